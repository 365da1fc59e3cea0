/* ids_test.c: src/matrix/ids.c against the spec's identifier grammar
 * (appendices "Server Name", "User Identifiers", "Historical User IDs",
 * "Room IDs", "Room Aliases", "Event IDs"; room version event ID formats). */
#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "matrix/ids.h"

#define S(lit) lit, sizeof(lit) - 1

/* A 255-byte user ID: "@" + 243 'a' + ":" + "example.org"... built at run time. */
static void fill(char *p, char c, size_t n)
{
    memset(p, c, n);
}

TEST_CASE(matrix, ids_server_names)
{
    static const struct {
        const char *s;
        int rc;
        enum matrix_host_kind kind;
        const char *host;
        uint32_t port;
    } rows[] = {
        /* The spec's examples of valid server names. */
        {"matrix.org", 0, MATRIX_HOST_DNS, "matrix.org", 0},
        {"matrix.org:8888", 0, MATRIX_HOST_DNS, "matrix.org", 8888},
        {"1.2.3.4", 0, MATRIX_HOST_IPV4, "1.2.3.4", 0},
        {"1.2.3.4:1234", 0, MATRIX_HOST_IPV4, "1.2.3.4", 1234},
        {"[1234:5678::abcd]", 0, MATRIX_HOST_IPV6, "1234:5678::abcd", 0},
        {"[1234:5678::abcd]:5678", 0, MATRIX_HOST_IPV6, "1234:5678::abcd", 5678},
        /* More valid ones. */
        {"localhost", 0, MATRIX_HOST_DNS, "localhost", 0},
        {"Example-1.ORG", 0, MATRIX_HOST_DNS, "Example-1.ORG", 0},
        {"[::1]:8448", 0, MATRIX_HOST_IPV6, "::1", 8448},
        {"[::ffff:1.2.3.4]", 0, MATRIX_HOST_IPV6, "::ffff:1.2.3.4", 0},
        {"255.255.255.255", 0, MATRIX_HOST_IPV4, "255.255.255.255", 0},
        {"256.1.1.1", 0, MATRIX_HOST_DNS, "256.1.1.1", 0}, /* not IPv4, but a dns-name */
        {"x:0", 0, MATRIX_HOST_DNS, "x", 0},
        {"x:99999", 0, MATRIX_HOST_DNS, "x", 99999}, /* 1*5DIGIT */
        /* Invalid. */
        {"", ERR_INVALID, 0, NULL, 0},
        {":80", ERR_INVALID, 0, NULL, 0},
        {"matrix.org:", ERR_INVALID, 0, NULL, 0},
        {"matrix.org:123456", ERR_INVALID, 0, NULL, 0},
        {"matrix.org:8a", ERR_INVALID, 0, NULL, 0},
        {"matrix.org:80:80", ERR_INVALID, 0, NULL, 0},
        {"matrix_org", ERR_INVALID, 0, NULL, 0},
        {"m\xc3\xa4trix.org", ERR_INVALID, 0, NULL, 0},
        {"matrix.org ", ERR_INVALID, 0, NULL, 0},
        {"[1234:5678::abcd", ERR_INVALID, 0, NULL, 0},
        {"[]", ERR_INVALID, 0, NULL, 0},
        {"[::1]x", ERR_INVALID, 0, NULL, 0},
        {"[::1]:", ERR_INVALID, 0, NULL, 0},
        {"[1:2:3:4:5:6:7:8:9]", ERR_INVALID, 0, NULL, 0},
        {"[fe80::1%eth0]", ERR_INVALID, 0, NULL, 0},
        {"[g::1]", ERR_INVALID, 0, NULL, 0},
        {"1.2.3.4.5:80", 0, MATRIX_HOST_DNS, "1.2.3.4.5", 80},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct matrix_server_name sn;
        int rc = matrix_server_name_parse(rows[i].s, strlen(rows[i].s), &sn);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu (%s): rc %d, want %d", i, rows[i].s, rc,
                         rows[i].rc);
        if (rc != 0)
            continue;
        ASSERT_INT_EQ(sn.kind, rows[i].kind);
        ASSERT_INT_EQ(sn.host.len, strlen(rows[i].host));
        ASSERT_TRUE(memcmp(sn.host.ptr, rows[i].host, sn.host.len) == 0);
        ASSERT_INT_EQ(sn.port, rows[i].port);
        ASSERT_INT_EQ(sn.has_port, strchr(rows[i].s, ']') ? strstr(rows[i].s, "]:") != NULL
                                                           : strchr(rows[i].s, ':') != NULL);
    }
    /* dns-name is at most 255 characters. */
    char longname[260];
    fill(longname, 'a', 255);
    ASSERT_TRUE(matrix_server_name_valid(longname, 255));
    fill(longname, 'a', 256);
    ASSERT_TRUE(!matrix_server_name_valid(longname, 256));
    /* The length is explicit: an embedded NUL is just an invalid byte. */
    ASSERT_TRUE(!matrix_server_name_valid("a\0b", 3));
}

TEST_CASE(matrix, ids_user_ids)
{
    static const struct {
        const char *s;
        int rc;
        enum matrix_localpart_class cls;
        const char *local;
        const char *server;
    } rows[] = {
        {"@alice:example.org", 0, MATRIX_LOCALPART_STRICT, "alice", "example.org"},
        {"@a.b_c=d-e/f+g9:example.org:8448", 0, MATRIX_LOCALPART_STRICT, "a.b_c=d-e/f+g9",
         "example.org:8448"},
        {"@john.doe:[::1]", 0, MATRIX_LOCALPART_STRICT, "john.doe", "[::1]"},
        /* Historical: U+0021..U+007E, accepted but not strict. */
        {"@Alice:example.org", 0, MATRIX_LOCALPART_HISTORICAL, "Alice", "example.org"},
        {"@a!b#c:example.org", 0, MATRIX_LOCALPART_HISTORICAL, "a!b#c", "example.org"},
        /* Non-compliant but legal in events: empty, spaces, controls, non-ASCII. */
        {"@:example.org", 0, MATRIX_LOCALPART_NONCOMPLIANT, "", "example.org"},
        {"@a b:example.org", 0, MATRIX_LOCALPART_NONCOMPLIANT, "a b", "example.org"},
        {"@\x01:example.org", 0, MATRIX_LOCALPART_NONCOMPLIANT, "\x01", "example.org"},
        {"@\xc3\xa9:example.org", 0, MATRIX_LOCALPART_NONCOMPLIANT, "\xc3\xa9", "example.org"},
        /* The first ':' ends the localpart; the rest must be a server name. */
        {"@a:b:c", ERR_INVALID, 0, NULL, NULL},
        {"@a:", ERR_INVALID, 0, NULL, NULL},
        {"@alice", ERR_INVALID, 0, NULL, NULL},
        {"alice:example.org", ERR_INVALID, 0, NULL, NULL},
        {"!alice:example.org", ERR_INVALID, 0, NULL, NULL},
        {"@\xed\xa0\x80:example.org", ERR_INVALID, 0, NULL, NULL}, /* surrogate */
        {"@\xff:example.org", ERR_INVALID, 0, NULL, NULL},
        {"", ERR_INVALID, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct matrix_user_id u;
        int rc = matrix_user_id_parse(rows[i].s, strlen(rows[i].s), &u);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu (%s): rc %d, want %d", i, rows[i].s, rc,
                         rows[i].rc);
        if (rc != 0)
            continue;
        ASSERT_INT_EQ(u.lp_class, rows[i].cls);
        ASSERT_INT_EQ(u.localpart.len, strlen(rows[i].local));
        ASSERT_TRUE(memcmp(u.localpart.ptr, rows[i].local, u.localpart.len) == 0);
        ASSERT_INT_EQ(u.server_name.len, strlen(rows[i].server));
        ASSERT_TRUE(memcmp(u.server_name.ptr, rows[i].server, u.server_name.len) == 0);
    }
    ASSERT_INT_EQ(matrix_user_id_parse(S("@a\0b:example.org"), NULL), ERR_INVALID);

    /* 255 bytes in total is the limit. */
    char id[300];
    id[0] = '@';
    fill(id + 1, 'a', 241);
    memcpy(id + 242, ":example.org", 12); /* 254 + 1 = 255 bytes */
    ASSERT_INT_EQ(matrix_user_id_parse(id, 254, NULL), 0);
    fill(id + 1, 'a', 242);
    memcpy(id + 243, ":example.org", 12);
    ASSERT_INT_EQ(matrix_user_id_parse(id, 255, NULL), 0);
    fill(id + 1, 'a', 243);
    memcpy(id + 244, ":example.org", 12);
    ASSERT_INT_EQ(matrix_user_id_parse(id, 256, NULL), ERR_INVALID);
}

TEST_CASE(matrix, ids_user_id_build)
{
    static const struct {
        const char *local;
        const char *server;
        int rc;
        const char *want;
    } rows[] = {
        {"alice", "example.org", 0, "@alice:example.org"},
        {"a.b_c=d-e/f+1", "example.org:8448", 0, "@a.b_c=d-e/f+1:example.org:8448"},
        {"Alice", "example.org", ERR_INVALID, NULL}, /* new IDs: lower case only */
        {"", "example.org", ERR_INVALID, NULL},
        {"a:b", "example.org", ERR_INVALID, NULL},
        {"a b", "example.org", ERR_INVALID, NULL},
        {"\xc3\xa9", "example.org", ERR_INVALID, NULL},
        {"alice", "bad_server", ERR_INVALID, NULL},
        {"alice", "", ERR_INVALID, NULL},
    };
    struct buf b;
    buf_init(&b, 1024);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        buf_reset(&b);
        int rc = matrix_user_id_build(rows[i].local, rows[i].server, &b);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu: rc %d, want %d", i, rc, rows[i].rc);
        if (rows[i].want)
            ASSERT_STR_EQ(buf_cstr(&b), rows[i].want);
    }
    char local[300];
    fill(local, 'a', 242);
    local[242] = '\0';
    buf_reset(&b);
    ASSERT_INT_EQ(matrix_user_id_build(local, "example.org", &b), 0); /* 255 bytes */
    ASSERT_INT_EQ(b.len, 255);
    local[242] = 'a';
    local[243] = '\0';
    ASSERT_INT_EQ(matrix_user_id_build(local, "example.org", &b), ERR_TOO_LARGE);
    buf_fini(&b);
    ASSERT_TRUE(matrix_user_localpart_valid(S("abc")));
    ASSERT_TRUE(!matrix_user_localpart_valid(S("ABC")));
    ASSERT_TRUE(!matrix_user_localpart_valid(S("")));
}

#define HASH_STD "acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk" /* spec v3 example */
#define HASH_URL "Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg" /* spec v4 example */
#define HASH_BOTH "CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o" /* spec v3 example */

TEST_CASE(matrix, ids_event_ids)
{
    static const struct {
        const char *s;
        int rc;
        enum matrix_event_id_format fmt;
        bool v1, v3, v4; /* valid for rooms with each format */
    } rows[] = {
        {"$0:domain", 0, MATRIX_EVENT_ID_V1, true, false, false},
        {"$randomstring:example.org", 0, MATRIX_EVENT_ID_V1, true, false, false},
        {"$a/b+c:example.org:8448", 0, MATRIX_EVENT_ID_V1, true, false, false},
        {"$" HASH_STD, 0, MATRIX_EVENT_ID_V3, false, true, false},
        {"$" HASH_URL, 0, MATRIX_EVENT_ID_V4, false, false, true},
        {"$" HASH_BOTH, 0, MATRIX_EVENT_ID_V4, false, true, true},
        {"$:domain", ERR_INVALID, 0, false, false, false},
        {"$abc", ERR_INVALID, 0, false, false, false},
        {"$" HASH_URL "A", ERR_INVALID, 0, false, false, false},  /* 44 chars */
        {"$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7Xc-k", ERR_INVALID, 0, false, false, false},
        {"$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7Xc=k", ERR_INVALID, 0, false, false, false},
        {"$x:bad_server", ERR_INVALID, 0, false, false, false},
        {"@" HASH_URL, ERR_INVALID, 0, false, false, false},
        {"$", ERR_INVALID, 0, false, false, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct matrix_event_id e;
        size_t len = strlen(rows[i].s);
        int rc = matrix_event_id_parse(rows[i].s, len, &e);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu (%s): rc %d, want %d", i, rows[i].s, rc,
                         rows[i].rc);
        if (rc == 0)
            ASSERT_INT_EQ(e.format, rows[i].fmt);
        ASSERT_INT_EQ(matrix_event_id_valid_for(rows[i].s, len, MATRIX_EVENT_ID_V1), rows[i].v1);
        ASSERT_INT_EQ(matrix_event_id_valid_for(rows[i].s, len, MATRIX_EVENT_ID_V3), rows[i].v3);
        ASSERT_INT_EQ(matrix_event_id_valid_for(rows[i].s, len, MATRIX_EVENT_ID_V4), rows[i].v4);
    }
    char id[300];
    id[0] = '$';
    fill(id + 1, 'a', 247);
    memcpy(id + 248, ":domain", 7);
    ASSERT_INT_EQ(matrix_event_id_parse(id, 255, NULL), 0);
    fill(id + 1, 'a', 248);
    memcpy(id + 249, ":domain", 7);
    ASSERT_INT_EQ(matrix_event_id_parse(id, 256, NULL), ERR_INVALID);
}

TEST_CASE(matrix, ids_rooms_aliases_devices)
{
    static const struct {
        const char *s;
        int rc;
        bool has_domain;
    } rooms[] = {
        {"!abc:example.org", 0, true},
        {"!x:domain", 0, true},
        {"!:example.org", 0, true},
        {"!\xc3\xa9 x:example.org:80", 0, true},
        {"!" HASH_URL, 0, false},                       /* v12 */
        {"!" HASH_STD, ERR_INVALID, false},             /* v12 uses URL-safe base64 only */
        {"!abc", ERR_INVALID, false},
        {"!abc:", ERR_INVALID, false},
        {"#abc:example.org", ERR_INVALID, false},
        {"!", ERR_INVALID, false},
    };
    for (size_t i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
        struct matrix_room_id r;
        int rc = matrix_room_id_parse(rooms[i].s, strlen(rooms[i].s), &r);
        if (rc != rooms[i].rc)
            harness_fail(__FILE__, __LINE__, "room row %zu (%s): rc %d, want %d", i, rooms[i].s,
                         rc, rooms[i].rc);
        if (rc == 0)
            ASSERT_INT_EQ(r.has_domain, rooms[i].has_domain);
    }
    struct matrix_room_id r;
    ASSERT_INT_EQ(matrix_room_id_parse(S("!abc:example.org"), &r), 0);
    ASSERT_INT_EQ(r.opaque.len, 3);
    ASSERT_TRUE(str_eq_cstr(r.server_name, "example.org"));

    static const struct {
        const char *s;
        int rc;
    } aliases[] = {
        {"#room:example.org", 0},
        {"#r\xc3\xa4um mit leerzeichen:example.org", 0},
        {"#:example.org", 0},
        {"#room", ERR_INVALID},
        {"#room:", ERR_INVALID},
        {"#a:b:c", ERR_INVALID},
        {"room:example.org", ERR_INVALID},
        {"#\xc0\x80:example.org", ERR_INVALID}, /* overlong NUL */
    };
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        int rc = matrix_room_alias_parse(aliases[i].s, strlen(aliases[i].s), NULL);
        if (rc != aliases[i].rc)
            harness_fail(__FILE__, __LINE__, "alias row %zu (%s): rc %d, want %d", i,
                         aliases[i].s, rc, aliases[i].rc);
    }
    struct matrix_room_alias a;
    ASSERT_INT_EQ(matrix_room_alias_parse(S("#room:example.org"), &a), 0);
    ASSERT_TRUE(str_eq_cstr(a.localpart, "room"));
    ASSERT_TRUE(str_eq_cstr(a.server_name, "example.org"));

    ASSERT_TRUE(matrix_device_id_valid(S("ABCDEFGHIJ")));
    ASSERT_TRUE(matrix_device_id_valid(S("dev-1 \xc3\xa9")));
    ASSERT_TRUE(!matrix_device_id_valid(S("")));
    ASSERT_TRUE(!matrix_device_id_valid(S("a\nb")));
    ASSERT_TRUE(!matrix_device_id_valid(S("a\x7f")));
    ASSERT_TRUE(!matrix_device_id_valid(S("\xff")));
    char dev[256];
    fill(dev, 'D', 256);
    ASSERT_TRUE(matrix_device_id_valid(dev, 255));
    ASSERT_TRUE(!matrix_device_id_valid(dev, 256));
}

#define IDS_FUZZ_NO_MAIN
#include "fuzz/ids_fuzz.c"

/* Replays the checked-in fuzz corpus through the harness (no libFuzzer needed). */
TEST_CASE(matrix, ids_fuzz_corpus_replays)
{
    ASSERT_TRUE(harness_replay_corpus(harness_path("tests/fuzz/corpus/ids"), ids_fuzz_one) >= 5);
}
