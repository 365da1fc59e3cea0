/* canonical_test.c: src/json/canonical.c against the spec's canonical JSON rules.
 *
 * The example rows are every example in the spec appendix "Canonical JSON"
 * (matrix-spec content/appendices.md); the escape rows follow its grammar. */
#include "harness.h"

#include <dirent.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"
#include "json/canonical.h"

/* Parses text with jansson, encodes it, and returns rc; *out gets the bytes. */
static int canon(const char *text, struct buf *out)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v)
        harness_fail(__FILE__, __LINE__, "test input does not parse: %s (%s)", text, e.text);
    buf_reset(out);
    int rc = json_canonical_encode(v, out);
    json_decref(v);
    return rc;
}

TEST_CASE(json, canonical_spec_examples)
{
    static const struct {
        const char *in;
        const char *want;
    } rows[] = {
        {"{}", "{}"},
        {"{\n    \"one\": 1,\n    \"two\": \"Two\"\n}", "{\"one\":1,\"two\":\"Two\"}"},
        {"{\n    \"b\": \"2\",\n    \"a\": \"1\"\n}", "{\"a\":\"1\",\"b\":\"2\"}"},
        {"{\"b\":\"2\",\"a\":\"1\"}", "{\"a\":\"1\",\"b\":\"2\"}"},
        {"{\n    \"auth\": {\n        \"success\": true,\n        \"mxid\": \"@john.doe:example.com\",\n"
         "        \"profile\": {\n            \"display_name\": \"John Doe\",\n"
         "            \"three_pids\": [\n                {\n                    \"medium\": \"email\",\n"
         "                    \"address\": \"john.doe@example.org\"\n                },\n"
         "                {\n                    \"medium\": \"msisdn\",\n"
         "                    \"address\": \"123456789\"\n                }\n            ]\n"
         "        }\n    }\n}",
         "{\"auth\":{\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":\"John Doe\","
         "\"three_pids\":[{\"address\":\"john.doe@example.org\",\"medium\":\"email\"},"
         "{\"address\":\"123456789\",\"medium\":\"msisdn\"}]},\"success\":true}}"},
        {"{\n    \"a\": \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"\n}",
         "{\"a\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"}"},
        {"{\n    \"\xe6\x9c\xac\": 2,\n    \"\xe6\x97\xa5\": 1\n}",
         "{\"\xe6\x97\xa5\":1,\"\xe6\x9c\xac\":2}"},
        {"{\n    \"a\": \"\\u65E5\"\n}", "{\"a\":\"\xe6\x97\xa5\"}"},
        {"{\n    \"a\": null\n}", "{\"a\":null}"},
        {"{\n    \"a\": -0,\n    \"b\": 1e10\n}", "{\"a\":0,\"b\":10000000000}"},
    };
    struct buf out;
    buf_init(&out, 1 << 16);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        ASSERT_INT_EQ(canon(rows[i].in, &out), 0);
        ASSERT_STR_EQ(buf_cstr(&out), rows[i].want);
    }
    buf_fini(&out);
}

/* The "escaped" rule of the spec's grammar: \b \t \n \f \r \" \\ and \u00XX
 * (lowercase hex) for the other controls; everything else literal. */
TEST_CASE(json, canonical_string_escapes)
{
    static const struct {
        const char *in; /* JSON text of a string */
        const char *want;
    } rows[] = {
        {"\"\\b\\t\\n\\f\\r\"", "\"\\b\\t\\n\\f\\r\""},
        {"\"\\u0008\\u0009\\u000A\\u000C\\u000D\"", "\"\\b\\t\\n\\f\\r\""},
        {"\"\\\"\\\\\"", "\"\\\"\\\\\""},
        {"\"\\u0000\"", "\"\\u0000\""},
        {"\"\\u0001\\u0007\\u000b\\u000E\\u000f\"", "\"\\u0001\\u0007\\u000b\\u000e\\u000f\""},
        {"\"\\u0010\\u001a\\u001F\"", "\"\\u0010\\u001a\\u001f\""},
        {"\"\\/\"", "\"/\""},                       /* solidus needs no escape */
        {"\"\\u007f\"", "\"\x7f\""},                /* DEL is not a control for JSON */
        {"\"\\u2028\\u2029\"", "\"\xe2\x80\xa8\xe2\x80\xa9\""},
        {"\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""}, /* surrogate pair -> 4-byte UTF-8 */
        {"\"\\u00e9\"", "\"\xc3\xa9\""},
        {"\" a<>&'\"", "\" a<>&'\""},
    };
    struct buf out;
    buf_init(&out, 1024);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        ASSERT_INT_EQ(canon(rows[i].in, &out), 0);
        ASSERT_STR_EQ(buf_cstr(&out), rows[i].want);
    }
    /* Key escaping follows the same rules. */
    ASSERT_INT_EQ(canon("{\"\\n\\u0001\":true}", &out), 0);
    ASSERT_STR_EQ(buf_cstr(&out), "{\"\\n\\u0001\":true}");
    buf_fini(&out);
}

TEST_CASE(json, canonical_numbers)
{
    static const struct {
        const char *in;
        int rc;
        const char *want;
    } rows[] = {
        {"0", 0, "0"},
        {"-1", 0, "-1"},
        {"9007199254740991", 0, "9007199254740991"},   /* 2^53 - 1 */
        {"-9007199254740991", 0, "-9007199254740991"}, /* -(2^53) + 1 */
        {"9007199254740992", ERR_INVALID, NULL},       /* 2^53 */
        {"-9007199254740992", ERR_INVALID, NULL},
        {"9223372036854775807", ERR_INVALID, NULL},
        {"1.5", ERR_INVALID, NULL},
        {"-0.5", ERR_INVALID, NULL},
        {"1e-3", ERR_INVALID, NULL},
        {"1.0", 0, "1"},      /* an integral value; see canonical.c on reals */
        {"-0.0", 0, "0"},     /* negative zero MUST NOT appear */
        {"1E2", 0, "100"},
        {"9007199254740991e0", 0, "9007199254740991"},
        {"9007199254740992e0", ERR_INVALID, NULL},
        {"1e300", ERR_INVALID, NULL},
        {"[1,-2,3e3]", 0, "[1,-2,3000]"},
    };
    struct buf out;
    buf_init(&out, 1024);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int rc = canon(rows[i].in, &out);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu (%s): rc %d, want %d", i, rows[i].in, rc,
                         rows[i].rc);
        if (rows[i].want)
            ASSERT_STR_EQ(buf_cstr(&out), rows[i].want);
    }
    buf_fini(&out);
}

/* Keys sort by code point, i.e. UTF-8 byte order: U+FF61 before U+1F600
 * (UTF-16 order would put the emoji's surrogate D83D first), "" first, a
 * prefix before its extensions, upper case before lower case. */
TEST_CASE(json, canonical_key_order)
{
    struct buf out;
    buf_init(&out, 1024);
    ASSERT_INT_EQ(canon("{\"\\ud83d\\ude00\":1,\"\\uff61\":2,\"b\":3,\"B\":4,\"ab\":5,\"a\":6,"
                        "\"\":7,\"\\u00e9\":8,\"z\":{\"y\":[],\"x\":{}}}",
                        &out),
                  0);
    ASSERT_STR_EQ(buf_cstr(&out), "{\"\":7,\"B\":4,\"a\":6,\"ab\":5,\"b\":3,\"z\":{\"x\":{},\"y\":[]},"
                                  "\"\xc3\xa9\":8,\"\xef\xbd\xa1\":2,\"\xf0\x9f\x98\x80\":1}");

    /* Keys with an embedded NUL sort by all their bytes and escape it. */
    json_t *o = json_object();
    json_object_setn_new(o, "a\0b", 3, json_integer(1));
    json_object_setn_new(o, "a", 1, json_integer(2));
    json_object_setn_new(o, "a\0a", 3, json_integer(3));
    buf_reset(&out);
    ASSERT_INT_EQ(json_canonical_encode(o, &out), 0);
    ASSERT_STR_EQ(buf_cstr(&out), "{\"a\":2,\"a\\u0000a\":3,\"a\\u0000b\":1}");
    json_decref(o);

    /* Many keys (past the on-stack array). */
    o = json_object();
    for (int i = 39; i >= 0; i--) {
        char k[8];
        snprintf(k, sizeof(k), "k%02d", i);
        json_object_set_new(o, k, json_true());
    }
    buf_reset(&out);
    ASSERT_INT_EQ(json_canonical_encode(o, &out), 0);
    ASSERT_TRUE(strncmp(buf_cstr(&out), "{\"k00\":true,\"k01\":true,", 23) == 0);
    ASSERT_TRUE(strstr(buf_cstr(&out), "\"k38\":true,\"k39\":true}") != NULL);
    json_decref(o);
    buf_fini(&out);
}

TEST_CASE(json, canonical_limits_and_bad_input)
{
    struct buf out;
    buf_init(&out, 1 << 16);

    /* Nesting: JSON_CANONICAL_MAX_DEPTH containers are fine, one more is not. */
    json_t *v = json_array();
    for (int i = 1; i < JSON_CANONICAL_MAX_DEPTH; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, v);
        v = outer;
    }
    ASSERT_INT_EQ(json_canonical_encode(v, &out), 0);
    ASSERT_INT_EQ(out.len, 2 * JSON_CANONICAL_MAX_DEPTH);
    json_t *deeper = json_object();
    json_object_set_new(deeper, "x", v);
    buf_reset(&out);
    ASSERT_INT_EQ(json_canonical_encode(deeper, &out), ERR_TOO_LARGE);
    json_decref(deeper);

    /* Invalid UTF-8 smuggled in through the unchecked constructor. */
    json_t *bad = json_stringn_nocheck("a\xff", 2);
    buf_reset(&out);
    ASSERT_INT_EQ(json_canonical_encode(bad, &out), ERR_INVALID);
    json_decref(bad);
    ASSERT_INT_EQ(json_canonical_encode(NULL, &out), ERR_INVALID);

    /* The buffer ceiling surfaces as ERR_TOO_LARGE. */
    struct buf small;
    buf_init(&small, 8);
    v = json_pack("{s:s}", "key", "a long value");
    ASSERT_INT_EQ(json_canonical_encode(v, &small), ERR_TOO_LARGE);
    json_decref(v);
    buf_fini(&small);
    buf_fini(&out);
}

TEST_CASE(json, canonical_without_keys)
{
    static const char *const skip[] = {"signatures", "unsigned", NULL};
    struct buf out;
    buf_init(&out, 1024);
    json_t *v = json_loads("{\"unsigned\":{\"age\":1},\"b\":{\"signatures\":1},\"signatures\":{},"
                           "\"a\":[]}",
                           0, NULL);
    ASSERT_INT_EQ(json_canonical_encode_without(v, skip, &out), 0);
    /* Only top-level keys are left out. */
    ASSERT_STR_EQ(buf_cstr(&out), "{\"a\":[],\"b\":{\"signatures\":1}}");
    json_decref(v);
    v = json_array();
    ASSERT_INT_EQ(json_canonical_encode_without(v, skip, &out), ERR_INVALID);
    json_decref(v);
    buf_fini(&out);
}

/* json_canonical_encode_marked + json_canonical_insert: an object encoded without
 * "hashes" and "signatures", then with them inserted at the marks, is byte for byte
 * the expected canonical text (written out by hand), wherever the two fall among
 * the other keys: first, last, together, alone, with nested keys of the same names. */
TEST_CASE(json, canonical_insert_at_marks_table)
{
    static const char *const skip[] = {"hashes", "signatures", NULL};
    static const struct {
        const char *object; /* without hashes and signatures */
        const char *expect; /* with "hashes":1 and "signatures":{"s":[2]} */
    } rows[] = {
        {"{}", "{\"hashes\":1,\"signatures\":{\"s\":[2]}}"},
        {"{\"a\":0}", "{\"a\":0,\"hashes\":1,\"signatures\":{\"s\":[2]}}"},
        {"{\"z\":0}", "{\"hashes\":1,\"signatures\":{\"s\":[2]},\"z\":0}"},
        {"{\"type\":\"t\",\"depth\":3,\"sender\":\"@a:b\",\"origin_server_ts\":5}",
         "{\"depth\":3,\"hashes\":1,\"origin_server_ts\":5,\"sender\":\"@a:b\","
         "\"signatures\":{\"s\":[2]},\"type\":\"t\"}"},
        {"{\"hashes0\":0,\"hashe\":0,\"signature\":0,\"signaturesz\":0}",
         "{\"hashe\":0,\"hashes\":1,\"hashes0\":0,\"signature\":0,\"signatures\":{\"s\":[2]},"
         "\"signaturesz\":0}"},
        {"{\"content\":{\"hashes\":\",\\\"x\\\":\",\"z\":{\"signatures\":[]}},\"room_id\":\"!r\"}",
         "{\"content\":{\"hashes\":\",\\\"x\\\":\",\"z\":{\"signatures\":[]}},\"hashes\":1,"
         "\"room_id\":\"!r\",\"signatures\":{\"s\":[2]}}"},
    };
    json_t *hashes = json_integer(1);
    json_t *sigs = json_loads("{\"s\":[2]}", 0, NULL);
    json_t *const values[] = {hashes, sigs};
    struct buf enc, out;
    buf_init(&enc, 1024);
    buf_init(&out, 1024);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *v = json_loads(rows[i].object, 0, NULL);
        ASSERT_TRUE(v != NULL);
        size_t marks[2];
        buf_reset(&enc);
        buf_reset(&out);
        buf_append(&out, "x", 1); /* the insert appends */
        ASSERT_INT_EQ(json_canonical_encode_marked(v, skip, marks, &enc), 0);
        ASSERT_INT_EQ(json_canonical_insert(enc.data, enc.len, skip, marks, values, 2, &out), 0);
        ASSERT_TRUE(out.data[0] == 'x');
        ASSERT_STR_EQ(buf_cstr(&out) + 1, rows[i].expect);
        /* The object itself with the two keys encodes the same. */
        json_object_set(v, "hashes", hashes);
        json_object_set(v, "signatures", sigs);
        buf_reset(&enc);
        ASSERT_INT_EQ(json_canonical_encode(v, &enc), 0);
        ASSERT_STR_EQ(buf_cstr(&enc), rows[i].expect);
        json_decref(v);
    }
    json_decref(hashes);
    json_decref(sigs);
    buf_fini(&enc);
    buf_fini(&out);
}

#define CANONICAL_JSON_FUZZ_NO_MAIN
#include "fuzz/canonical_json_fuzz.c"

/* Replays the checked-in fuzz corpus through the harness (no libFuzzer needed). */
TEST_CASE(json, canonical_fuzz_corpus_replays)
{
    ASSERT_TRUE(harness_replay_corpus(harness_path("tests/fuzz/corpus/canonical_json"),
                                      canonical_json_fuzz_one) >= 5);
}
