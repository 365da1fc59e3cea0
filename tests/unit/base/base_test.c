/* base_test.c: buffers, number parsing, UTF-8 validation and the arena. */
#include "harness.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/map.h"
#include "base/str.h"

TEST_CASE(base, buf_append_and_ceiling)
{
    struct buf b;
    buf_init(&b, 8);
    ASSERT_INT_EQ(buf_append_str(&b, "abcd"), 0);
    ASSERT_INT_EQ(buf_printf(&b, "%d", 123), 0);
    ASSERT_STR_EQ(buf_cstr(&b), "abcd123");
    ASSERT_INT_EQ(buf_append_str(&b, "xy"), ERR_TOO_LARGE);
    ASSERT_STR_EQ(buf_cstr(&b), "abcd123"); /* a refused append leaves it unchanged */
    ASSERT_INT_EQ(buf_append_char(&b, 'z'), 0);
    ASSERT_INT_EQ(b.len, 8);
    buf_fini(&b);
}

TEST_CASE(base, str_to_i64_ranges)
{
    static const struct {
        const char *in;
        int64_t min, max;
        int rc;
        int64_t want;
    } rows[] = {
        {"0", 0, 10, 0, 0},
        {"10", 0, 10, 0, 10},
        {"11", 0, 10, ERR_TOO_LARGE, 0},
        {"-5", -10, 10, 0, -5},
        {"", 0, 10, ERR_INVALID, 0},
        {"-", -10, 10, ERR_INVALID, 0},
        {"1a", 0, 10, ERR_INVALID, 0},
        {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
        {"9223372036854775808", INT64_MIN, INT64_MAX, ERR_TOO_LARGE, 0},
        {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
        {"99999999999999999999999", INT64_MIN, INT64_MAX, ERR_TOO_LARGE, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t v = 0;
        int rc = str_to_i64(rows[i].in, strlen(rows[i].in), rows[i].min, rows[i].max, &v);
        ASSERT_INT_EQ(rc, rows[i].rc);
        if (rc == 0)
            ASSERT_INT_EQ(v, rows[i].want);
    }
}

TEST_CASE(base, utf8_validation)
{
    static const struct {
        const char *in;
        bool ok;
    } rows[] = {
        {"plain ascii", true},
        {"r\xc3\xa9union", true},          /* é */
        {"\xe2\x82\xac", true},             /* € */
        {"\xf0\x9f\x98\x80", true},         /* 😀 */
        {"\xc3", false},                    /* truncated */
        {"\xc0\xaf", false},                /* overlong '/' */
        {"\xed\xa0\x80", false},            /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", false},        /* above U+10FFFF */
        {"\xff", false},
        {"\xe0\x80\xaf", false},            /* overlong 3-byte */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        ASSERT_INT_EQ(str_utf8_valid(rows[i].in, strlen(rows[i].in)), rows[i].ok);
}

TEST_CASE(base, arena_ceiling)
{
    struct arena a;
    arena_init(&a, 10000);
    char *s = arena_strdup(&a, "hello");
    ASSERT_STR_EQ(s, "hello");
    ASSERT_TRUE(arena_alloc(&a, 5000) != NULL);
    ASSERT_TRUE(arena_alloc(&a, 6000) == NULL);
    char *p = arena_printf(&a, "%s-%d", "x", 42);
    ASSERT_STR_EQ(p, "x-42");
    arena_fini(&a);
}

TEST_CASE(base, map_put_get_del)
{
    struct map m;
    map_init(&m, free);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "key%d", i);
        int *v = malloc(sizeof *v);
        *v = i;
        map_put(&m, key, (size_t)n, v);
    }
    ASSERT_INT_EQ(m.len, 1000);
    for (int i = 0; i < 1000; i += 2) {
        int n = snprintf(key, sizeof key, "key%d", i);
        ASSERT_INT_EQ(map_del(&m, key, (size_t)n), 1);
    }
    ASSERT_INT_EQ(m.len, 500);
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "key%d", i);
        int *v = map_get(&m, key, (size_t)n);
        if (i % 2)
            ASSERT_INT_EQ(v ? *v : -1, i);
        else
            ASSERT_TRUE(v == NULL);
    }
    map_fini(&m);
}
