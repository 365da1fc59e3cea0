/* router_test.c: path matching (segments, parameters, r0 as v3, encoded
 * slashes kept inside a parameter) and percent-decoding. */
#include "harness.h"

#include "http/http.h"

TEST_CASE(http, route_match_table)
{
    static const struct {
        const char *pattern, *path;
        bool match;
        const char *p0, *p1;
    } rows[] = {
        {"/_matrix/client/v3/login", "/_matrix/client/v3/login", true, NULL, NULL},
        {"/_matrix/client/v3/login", "/_matrix/client/r0/login", true, NULL, NULL},
        {"/_matrix/client/v3/login", "/_matrix/client/v3/login/", true, NULL, NULL},
        {"/_matrix/client/v3/login", "/_matrix/client/v4/login", false, NULL, NULL},
        {"/_matrix/client/v3/login", "/_matrix/client/v3/logout", false, NULL, NULL},
        {"/_matrix/client/v3/login", "/_matrix/client/v3/login/x", false, NULL, NULL},
        {"/_matrix/key/v2/server", "/_matrix/key/r0/server", false, NULL, NULL},
        {"/_matrix/client/v3/profile/{userId}", "/_matrix/client/v3/profile/%40a%3Ab",
         true, "@a:b", NULL},
        {"/_matrix/client/v3/rooms/{roomId}/state/{type}/{key}",
         "/_matrix/client/v3/rooms/!r:x/state/m.room.member/%40u%2Fv", true, "!r:x",
         "m.room.member"},
        {"/_matrix/client/v3/profile/{userId}", "/_matrix/client/v3/profile/", false, NULL, NULL},
        {"/_matrix/client/v3/profile/{userId}", "/_matrix/client/v3/profile/%zz", false, NULL,
         NULL},
        {"/_matrix/client/v3/profile/{userId}", "/_matrix/client/v3/profile/a%00b", false, NULL,
         NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct arena a;
        arena_init(&a, 0);
        const char *params[HTTP_MAX_PARAMS];
        size_t n = 0;
        bool m = http_route_match(rows[i].pattern, rows[i].path, &a, params, &n);
        if (m != rows[i].match)
            harness_fail(__FILE__, __LINE__, "row %zu: %s vs %s matched=%d", i, rows[i].pattern,
                         rows[i].path, m);
        if (m && rows[i].p0)
            ASSERT_STR_EQ(params[0], rows[i].p0);
        if (m && rows[i].p1)
            ASSERT_STR_EQ(params[1], rows[i].p1);
        arena_fini(&a);
    }
}

TEST_CASE(http, encoded_slash_stays_in_parameter)
{
    struct arena a;
    arena_init(&a, 0);
    const char *params[HTTP_MAX_PARAMS];
    size_t n = 0;
    ASSERT_TRUE(http_route_match("/_matrix/client/v3/rooms/{roomId}/event/{eventId}",
                                 "/_matrix/client/v3/rooms/!r:x/event/%24abc%2Fdef%2B", &a, params,
                                 &n));
    ASSERT_INT_EQ(n, 2);
    ASSERT_STR_EQ(params[1], "$abc/def+");
    arena_fini(&a);
}

TEST_CASE(http, percent_decode_query_plus)
{
    struct arena a;
    arena_init(&a, 0);
    ASSERT_STR_EQ(http_percent_decode(&a, "a+b%20c", 7, true), "a b c");
    ASSERT_STR_EQ(http_percent_decode(&a, "a+b", 3, false), "a+b");
    ASSERT_TRUE(http_percent_decode(&a, "%4", 2, false) == NULL);
    ASSERT_TRUE(http_percent_decode(&a, "%", 1, false) == NULL);
    arena_fini(&a);
}
