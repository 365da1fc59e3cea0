/* event_test.c: src/matrix/event.c — content/reference hashes, event IDs,
 * redaction per room version, event signing and PDU checks.
 *
 * Reference values: the spec's "Event Signing" test vectors (appendices,
 * "Cryptographic Test Vectors"); the rest computed independently with
 * Python (hashlib, the spec's canonical_json definition, the cryptography
 * package for ed25519) from redacted forms written out by hand from the room
 * version pages. The script is in the comment at the end of this file. */
#include "harness.h"

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"
#include "json/canonical.h"
#include "matrix/event.h"
#include "matrix/versions.h"
#include "unit/matrix/spec_key.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v)
        harness_fail(__FILE__, __LINE__, "test JSON does not parse: %s: %s", e.text, text);
    return v;
}

/* Canonical text of v (static buffer, valid until the next call). */
static const char *canon(const json_t *v)
{
    static struct buf b;
    static int ready;
    if (!ready) {
        buf_init(&b, 1 << 20);
        ready = 1;
    }
    buf_reset(&b);
    if (json_canonical_encode(v, &b) != 0)
        harness_fail(__FILE__, __LINE__, "cannot encode");
    return buf_cstr(&b);
}

static const struct matrix_room_version *ver(const char *id)
{
    const struct matrix_room_version *v = matrix_room_version_find(id);
    ASSERT_TRUE(v != NULL);
    return v;
}

TEST_CASE(matrix, event_sign_spec_vectors)
{
    struct signing_key key;
    test_spec_key(&key);
    /* Both examples predate v11; their signatures hold for every version with
     * the v1-v10 top-level keep-list (origin is protected). The second one
     * carries an "event_id", which only v1-2 PDUs have (v3+ hashes and
     * signatures ignore it), so it is checked for those two. */
    static const char *const versions[] = {"1", "2", "3", "4", "6", "9", "10"};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        json_t *e1 = parse("{\"room_id\":\"!x:domain\",\"sender\":\"@a:domain\",\"origin\":\"domain\","
                           "\"origin_server_ts\":1000000,\"signatures\":{},\"hashes\":{},\"type\":\"X\","
                           "\"content\":{},\"prev_events\":[],\"auth_events\":[],\"depth\":3,"
                           "\"unsigned\":{\"age_ts\":1000000}}");
        ASSERT_INT_EQ(matrix_event_sign(e1, ver(versions[i]), "domain", &key), 0);
        ASSERT_STR_EQ(canon(e1),
                      "{\"auth_events\":[],\"content\":{},\"depth\":3,\"hashes\":{\"sha256\":"
                      "\"5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos\"},\"origin\":\"domain\","
                      "\"origin_server_ts\":1000000,\"prev_events\":[],\"room_id\":\"!x:domain\","
                      "\"sender\":\"@a:domain\",\"signatures\":{\"domain\":{\"ed25519:1\":"
                      "\"KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+"
                      "lYAg\"}},\"type\":\"X\",\"unsigned\":{\"age_ts\":1000000}}");
        json_decref(e1);
        if (!ver(versions[i])->event_id_in_pdu)
            continue;

        json_t *e2 = parse("{\"content\":{\"body\":\"Here is the message content\"},"
                           "\"event_id\":\"$0:domain\",\"origin\":\"domain\",\"origin_server_ts\":1000000,"
                           "\"type\":\"m.room.message\",\"room_id\":\"!r:domain\",\"sender\":\"@u:domain\","
                           "\"signatures\":{},\"unsigned\":{\"age_ts\":1000000}}");
        ASSERT_INT_EQ(matrix_event_sign(e2, ver(versions[i]), "domain", &key), 0);
        ASSERT_STR_EQ(canon(e2),
                      "{\"content\":{\"body\":\"Here is the message content\"},\"event_id\":\"$0:domain\","
                      "\"hashes\":{\"sha256\":\"onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g\"},"
                      "\"origin\":\"domain\",\"origin_server_ts\":1000000,\"room_id\":\"!r:domain\","
                      "\"sender\":\"@u:domain\",\"signatures\":{\"domain\":{\"ed25519:1\":"
                      "\"Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhz"
                      "BA\"}},\"type\":\"m.room.message\",\"unsigned\":{\"age_ts\":1000000}}");
        ASSERT_INT_EQ(matrix_event_check_content_hash(e2, ver(versions[i])), 0);
        ASSERT_INT_EQ(matrix_event_verify_signature(e2, ver(versions[i]), "domain", "ed25519:1",
                                                    key.public_key),
                      0);
        /* The redacted copy still carries a valid signature (that is the point). */
        json_t *red = NULL;
        ASSERT_INT_EQ(matrix_event_redact(e2, ver(versions[i]), &red), 0);
        ASSERT_INT_EQ(matrix_event_verify_signature(red, ver(versions[i]), "domain", "ed25519:1",
                                                    key.public_key),
                      0);
        ASSERT_INT_EQ(matrix_event_check_content_hash(red, ver(versions[i])), ERR_FORBIDDEN);
        json_decref(red);
        json_decref(e2);
    }

    /* Under v11 "origin" is no longer protected, so the signature changes (Python). */
    json_t *e1 = parse("{\"room_id\":\"!x:domain\",\"sender\":\"@a:domain\",\"origin\":\"domain\","
                       "\"origin_server_ts\":1000000,\"signatures\":{},\"hashes\":{},\"type\":\"X\","
                       "\"content\":{},\"prev_events\":[],\"auth_events\":[],\"depth\":3}");
    ASSERT_INT_EQ(matrix_event_sign(e1, ver("11"), "domain", &key), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_object_get(json_object_get(e1, "signatures"), "domain"), "ed25519:1")),
                  "Jxp+1glFcZM+nnHpY0EkedRR7u0VmKsJYGnQqIvqus3UvL5X/p1y6wSkLhGoTBel6MZ9lrMIzUqrjqFquWJKBw");
    json_decref(e1);
}

#define MEMBER_EVENT(depth)                                                                        \
    "{\"type\":\"m.room.member\",\"state_key\":\"@alice:example.org\",\"sender\":\"@alice:example.org\"," \
    "\"room_id\":\"!room:example.org\",\"origin_server_ts\":1700000000000,\"depth\":" depth ","        \
    "\"prev_events\":[\"$prev1\"],\"auth_events\":[\"$auth1\",\"$auth2\"],\"content\":{\"membership\":"   \
    "\"join\",\"displayname\":\"Alice \\u65e5\\u672c\",\"avatar_url\":\"mxc://x/y\","                 \
    "\"join_authorised_via_users_server\":\"@bob:example.org\"},\"origin\":\"example.org\","           \
    "\"unsigned\":{\"age\":5},\"hashes\":{\"sha256\":\"fakehash\"},\"signatures\":{\"example.org\":"    \
    "{\"ed25519:1\":\"sig\"}}}"

TEST_CASE(matrix, event_ids_and_hashes)
{
    json_t *ev = parse(MEMBER_EVENT("5"));
    unsigned char h[32];
    char b64[64];
    ASSERT_INT_EQ(matrix_event_content_hash(ev, ver("10"), h), 0);
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, h, 32, b64);
    ASSERT_STR_EQ(b64, "t9Q3AUGouNr/jPMXLaZmNtGTu9tQ25urhwR9JMHTZ6I");

    static const struct {
        const char *version;
        const char *want;
    } rows[] = {
        {"4", "$9BzqlMAu3gYcqk0d4wJMbsXGtx4sCh8ICk4WXPMK6dE"},  /* V1 rules */
        {"8", "$9BzqlMAu3gYcqk0d4wJMbsXGtx4sCh8ICk4WXPMK6dE"},  /* V8: member keeps membership only */
        {"9", "$2avYTMxDn5uK5JsgS1PgUBVFZqxJFBwqxTIBl4M4YXc"},  /* V9: + join_authorised_via... */
        {"10", "$2avYTMxDn5uK5JsgS1PgUBVFZqxJFBwqxTIBl4M4YXc"},
        {"11", "$maubsP8eCpzo4BIH8zZFRKxRe9rgT5Jn1Opw1zRQA1U"}, /* V11: origin dropped */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char id[MATRIX_EVENT_ID_HASH_LEN];
        ASSERT_INT_EQ(matrix_event_compute_id(ev, ver(rows[i].version), id), 0);
        ASSERT_STR_EQ(id, rows[i].want);
    }
    char id[MATRIX_EVENT_ID_HASH_LEN];
    ASSERT_INT_EQ(matrix_event_compute_id(ev, ver("1"), id), ERR_UNSUPPORTED);
    ASSERT_INT_EQ(matrix_event_compute_id(ev, ver("2"), id), ERR_UNSUPPORTED);
    json_decref(ev);

    /* v3 uses standard base64, v4+ URL-safe: same hash, different ID. */
    ev = parse(MEMBER_EVENT("6"));
    ASSERT_INT_EQ(matrix_event_compute_id(ev, ver("9"), id), 0);
    ASSERT_STR_EQ(id, "$sXr0cLher3-3jZxxUcgfquFJmhZOcIWgjuBCGbvNy9w");
    /* v3 and v4 both redact with the V1 rules: same hash, two alphabets. */
    ASSERT_INT_EQ(matrix_event_compute_id(ev, ver("3"), id), 0);
    ASSERT_STR_EQ(id, "$mvy+hvxPTSihQYUgZIyYJtqeWx4Yb/Li3LUaEbwUExM");
    ASSERT_INT_EQ(matrix_event_compute_id(ev, ver("4"), id), 0);
    ASSERT_STR_EQ(id, "$mvy-hvxPTSihQYUgZIyYJtqeWx4Yb_Li3LUaEbwUExM");
    json_decref(ev);

    /* Unsigned, signatures and hashes do not change the content hash; other keys do. */
    json_t *a = parse("{\"type\":\"m.room.message\",\"content\":{\"body\":\"hi\"}}");
    json_t *b = parse("{\"type\":\"m.room.message\",\"content\":{\"body\":\"hi\"},\"unsigned\":{\"x\":1},"
                      "\"hashes\":{\"sha256\":\"zz\"},\"signatures\":{\"s\":{}}}");
    json_t *c = parse("{\"type\":\"m.room.message\",\"content\":{\"body\":\"hi!\"}}");
    unsigned char ha[32], hb[32], hc[32];
    ASSERT_INT_EQ(matrix_event_content_hash(a, ver("10"), ha), 0);
    ASSERT_INT_EQ(matrix_event_content_hash(b, ver("10"), hb), 0);
    ASSERT_INT_EQ(matrix_event_content_hash(c, ver("10"), hc), 0);
    ASSERT_TRUE(memcmp(ha, hb, 32) == 0);
    ASSERT_TRUE(memcmp(ha, hc, 32) != 0);
    /* sha256 of {"content":{"body":"hi"},"type":"m.room.message"} (Python hashlib). */
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, ha, 32, b64);
    ASSERT_STR_EQ(b64, "1NVxWj17VCg9pJMbSEh+cJ5k3tNKE8rMkANR6wL4dDw");
    ASSERT_INT_EQ(matrix_event_check_content_hash(a, ver("10")), ERR_INVALID); /* no hashes */
    ASSERT_INT_EQ(matrix_event_add_content_hash(a, ver("10")), 0);
    ASSERT_INT_EQ(matrix_event_check_content_hash(a, ver("10")), 0);
    json_object_set_new(json_object_get(a, "content"), "body", json_string("changed"));
    ASSERT_INT_EQ(matrix_event_check_content_hash(a, ver("10")), ERR_FORBIDDEN);
    json_decref(a);
    json_decref(b);
    json_decref(c);

    json_t *f = parse("{\"type\":\"m.room.message\",\"content\":{\"x\":1.5}}");
    ASSERT_INT_EQ(matrix_event_content_hash(f, ver("10"), ha), ERR_INVALID);
    json_decref(f);
}

/* Top-level keep-lists: every key an event can have, plus junk. */
#define ALL_TOP                                                                                    \
    "\"type\":\"m.room.message\",\"content\":{\"body\":\"x\"},\"event_id\":\"$e:x\",\"room_id\":"     \
    "\"!r:x\",\"sender\":\"@s:x\",\"state_key\":\"\",\"hashes\":{\"sha256\":\"h\"},\"signatures\":"   \
    "{\"x\":{\"ed25519:1\":\"s\"}},\"depth\":1,\"prev_events\":[],\"prev_state\":[],\"auth_events\":" \
    "[],\"origin\":\"x\",\"origin_server_ts\":1,\"membership\":\"join\",\"unsigned\":{\"age\":1},"   \
    "\"redacts\":\"$r:x\",\"extra\":true"

TEST_CASE(matrix, event_redact_top_level)
{
    static const char *const old_keys =
        "{\"auth_events\":[],\"content\":{},\"depth\":1,\"event_id\":\"$e:x\",\"hashes\":{\"sha256\":"
        "\"h\"},\"membership\":\"join\",\"origin\":\"x\",\"origin_server_ts\":1,\"prev_events\":[],"
        "\"prev_state\":[],\"room_id\":\"!r:x\",\"sender\":\"@s:x\",\"signatures\":{\"x\":{\"ed25519:1\":"
        "\"s\"}},\"state_key\":\"\",\"type\":\"m.room.message\"}";
    static const char *const v11_keys =
        "{\"auth_events\":[],\"content\":{},\"depth\":1,\"event_id\":\"$e:x\",\"hashes\":{\"sha256\":"
        "\"h\"},\"origin_server_ts\":1,\"prev_events\":[],\"room_id\":\"!r:x\",\"sender\":\"@s:x\","
        "\"signatures\":{\"x\":{\"ed25519:1\":\"s\"}},\"state_key\":\"\",\"type\":\"m.room.message\"}";
    json_t *ev = parse("{" ALL_TOP "}");
    size_t n = 0;
    const struct matrix_room_version *all = matrix_room_versions(&n);
    for (size_t i = 0; i < n; i++) {
        json_t *red = NULL;
        ASSERT_INT_EQ(matrix_event_redact(ev, &all[i], &red), 0);
        ASSERT_STR_EQ(canon(red), all[i].redaction >= MATRIX_REDACTION_V11 ? v11_keys : old_keys);
        json_decref(red);
    }
    /* The input is untouched, and the copy shares nothing mutable with it. */
    ASSERT_TRUE(json_object_get(ev, "extra") != NULL);
    json_t *red = NULL;
    ASSERT_INT_EQ(matrix_event_redact(ev, ver("10"), &red), 0);
    json_object_set_new(json_object_get(red, "hashes"), "sha256", json_string("other"));
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(ev, "hashes"), "sha256")), "h");
    json_decref(red);
    json_decref(ev);

    /* No content, or content that is not an object: the redacted form has {}. */
    static const struct {
        const char *event, *version, *want;
    } empty[] = {
        {"{\"type\":\"m.room.member\"}", "10", "{\"content\":{},\"type\":\"m.room.member\"}"},
        {"{\"type\":\"m.room.create\",\"content\":\"str\"}", "11",
         "{\"content\":{},\"type\":\"m.room.create\"}"},
        {"{\"type\":7,\"content\":{\"membership\":\"join\"}}", "10", "{\"content\":{},\"type\":7}"},
    };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        ev = parse(empty[i].event);
        ASSERT_INT_EQ(matrix_event_redact(ev, ver(empty[i].version), &red), 0);
        ASSERT_STR_EQ(canon(red), empty[i].want);
        json_decref(red);
        json_decref(ev);
    }
    json_t *arr = json_array();
    ASSERT_INT_EQ(matrix_event_redact(arr, ver("10"), &red), ERR_INVALID);
    json_decref(arr);
}

TEST_CASE(matrix, event_redact_content_per_version)
{
    /* Content keep-lists from the room version pages. Columns: the content
     * that survives in v1-5 / v6-7 / v8 / v9-10 / v11-12. */
    static const struct {
        const char *type;
        const char *content;
        const char *want[5];
    } rows[] = {
        {"m.room.member",
         "{\"membership\":\"join\",\"displayname\":\"A\",\"join_authorised_via_users_server\":\"@b:x\","
         "\"third_party_invite\":{\"display_name\":\"d\",\"signed\":{\"mxid\":\"@a:x\",\"token\":\"t\"}}}",
         {"{\"membership\":\"join\"}", "{\"membership\":\"join\"}", "{\"membership\":\"join\"}",
          "{\"join_authorised_via_users_server\":\"@b:x\",\"membership\":\"join\"}",
          "{\"join_authorised_via_users_server\":\"@b:x\",\"membership\":\"join\","
          "\"third_party_invite\":{\"signed\":{\"mxid\":\"@a:x\",\"token\":\"t\"}}}"}},
        {"m.room.member", "{\"membership\":\"invite\",\"third_party_invite\":{\"display_name\":\"d\"}}",
         {"{\"membership\":\"invite\"}", "{\"membership\":\"invite\"}", "{\"membership\":\"invite\"}",
          "{\"membership\":\"invite\"}", "{\"membership\":\"invite\"}"}},
        {"m.room.create", "{\"creator\":\"@a:x\",\"room_version\":\"1\",\"m.federate\":false}",
         {"{\"creator\":\"@a:x\"}", "{\"creator\":\"@a:x\"}", "{\"creator\":\"@a:x\"}",
          "{\"creator\":\"@a:x\"}",
          "{\"creator\":\"@a:x\",\"m.federate\":false,\"room_version\":\"1\"}"}},
        {"m.room.join_rules",
         "{\"join_rule\":\"restricted\",\"allow\":[{\"type\":\"m.room_membership\",\"room_id\":\"!a:x\"}],"
         "\"other\":1}",
         {"{\"join_rule\":\"restricted\"}", "{\"join_rule\":\"restricted\"}",
          "{\"allow\":[{\"room_id\":\"!a:x\",\"type\":\"m.room_membership\"}],\"join_rule\":\"restricted\"}",
          "{\"allow\":[{\"room_id\":\"!a:x\",\"type\":\"m.room_membership\"}],\"join_rule\":\"restricted\"}",
          "{\"allow\":[{\"room_id\":\"!a:x\",\"type\":\"m.room_membership\"}],\"join_rule\":\"restricted\"}"}},
        {"m.room.power_levels",
         "{\"ban\":50,\"events\":{\"m.room.name\":50},\"events_default\":0,\"invite\":0,\"kick\":50,"
         "\"redact\":50,\"state_default\":50,\"users\":{\"@a:x\":100},\"users_default\":0,"
         "\"notifications\":{\"room\":50},\"historical\":1}",
         {"{\"ban\":50,\"events\":{\"m.room.name\":50},\"events_default\":0,\"kick\":50,\"redact\":50,"
          "\"state_default\":50,\"users\":{\"@a:x\":100},\"users_default\":0}",
          "{\"ban\":50,\"events\":{\"m.room.name\":50},\"events_default\":0,\"kick\":50,\"redact\":50,"
          "\"state_default\":50,\"users\":{\"@a:x\":100},\"users_default\":0}",
          "{\"ban\":50,\"events\":{\"m.room.name\":50},\"events_default\":0,\"kick\":50,\"redact\":50,"
          "\"state_default\":50,\"users\":{\"@a:x\":100},\"users_default\":0}",
          "{\"ban\":50,\"events\":{\"m.room.name\":50},\"events_default\":0,\"kick\":50,\"redact\":50,"
          "\"state_default\":50,\"users\":{\"@a:x\":100},\"users_default\":0}",
          "{\"ban\":50,\"events\":{\"m.room.name\":50},\"events_default\":0,\"invite\":0,\"kick\":50,"
          "\"redact\":50,\"state_default\":50,\"users\":{\"@a:x\":100},\"users_default\":0}"}},
        {"m.room.history_visibility", "{\"history_visibility\":\"shared\",\"x\":1}",
         {"{\"history_visibility\":\"shared\"}", "{\"history_visibility\":\"shared\"}",
          "{\"history_visibility\":\"shared\"}", "{\"history_visibility\":\"shared\"}",
          "{\"history_visibility\":\"shared\"}"}},
        {"m.room.aliases", "{\"aliases\":[\"#a:x\"],\"x\":1}",
         {"{\"aliases\":[\"#a:x\"]}", "{}", "{}", "{}", "{}"}},
        {"m.room.redaction", "{\"redacts\":\"$e:x\",\"reason\":\"spam\"}",
         {"{}", "{}", "{}", "{}", "{\"redacts\":\"$e:x\"}"}},
        {"m.room.message", "{\"body\":\"secret\",\"msgtype\":\"m.text\"}", {"{}", "{}", "{}", "{}", "{}"}},
        {"m.room.name", "{\"name\":\"n\"}", {"{}", "{}", "{}", "{}", "{}"}},
        /* Keys are matched exactly: no prefix or case games. */
        {"m.room.member", "{\"Membership\":\"join\",\"membershipx\":1}", {"{}", "{}", "{}", "{}", "{}"}},
    };
    /* version -> column */
    static const struct {
        const char *id;
        int col;
    } cols[] = {{"1", 0}, {"2", 0}, {"3", 0}, {"4", 0},  {"5", 0},  {"6", 1},
                {"7", 1}, {"8", 2}, {"9", 3}, {"10", 3}, {"11", 4}, {"12", 4}};
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
            json_t *ev = json_object();
            json_object_set_new(ev, "type", json_string(rows[r].type));
            json_object_set_new(ev, "content", parse(rows[r].content));
            json_t *red = NULL;
            ASSERT_INT_EQ(matrix_event_redact(ev, ver(cols[c].id), &red), 0);
            const char *got = canon(json_object_get(red, "content"));
            const char *want = rows[r].want[cols[c].col];
            if (strcmp(got, want) != 0)
                harness_fail(__FILE__, __LINE__, "%s in v%s: got %s, want %s", rows[r].type,
                             cols[c].id, got, want);
            json_decref(red);
            json_decref(ev);
        }
    }
}

/* A key lookup for the tests: knows "domain" ed25519:1 (the spec key) until
 * valid_until, and nothing else. */
struct lookup_ctx {
    unsigned char pk[32]; /* the spec public key */
    int64_t valid_until;  /* ms */
    int calls;            /* lookups made */
    int64_t last_ts;      /* ts of the last lookup */
};

static int lookup(void *opaque, const char *server, const char *key_id, int64_t ts,
                  unsigned char out[32])
{
    struct lookup_ctx *ctx = opaque;
    ctx->calls++;
    ctx->last_ts = ts;
    if (strcmp(server, "domain") != 0 || strcmp(key_id, "ed25519:1") != 0)
        return ERR_NOT_FOUND;
    if (ts >= 0 && ts > ctx->valid_until)
        return ERR_NOT_FOUND;
    memcpy(out, ctx->pk, 32);
    return 0;
}

TEST_CASE(matrix, event_check_pdu)
{
    struct signing_key key;
    test_spec_key(&key);
    struct lookup_ctx ctx = {.valid_until = 2000000};
    memcpy(ctx.pk, key.public_key, 32);
    const struct matrix_room_version *v10 = ver("10");
    const char *msg = "{\"type\":\"m.room.message\",\"room_id\":\"!r:domain\",\"sender\":\"@u:domain\","
                      "\"origin_server_ts\":1000000,\"depth\":2,\"prev_events\":[],\"auth_events\":[],"
                      "\"content\":{\"body\":\"hello\"}}";

    json_t *ev = parse(msg);
    ASSERT_INT_EQ(matrix_event_sign(ev, v10, "domain", &key), 0);
    enum matrix_pdu_verdict verdict = MATRIX_PDU_REDACT;
    json_t *red = NULL;
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, &red), 0);
    ASSERT_INT_EQ(verdict, MATRIX_PDU_OK);
    ASSERT_TRUE(red == NULL);
    ASSERT_INT_EQ(ctx.last_ts, 1000000); /* v5+: the key must be valid at origin_server_ts */

    /* Content changed in transit: signature still fine, hash not -> redact. */
    json_object_set_new(json_object_get(ev, "content"), "body", json_string("evil"));
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, &red), 0);
    ASSERT_INT_EQ(verdict, MATRIX_PDU_REDACT);
    ASSERT_STR_EQ(canon(json_object_get(red, "content")), "{}");
    json_decref(red);
    red = NULL;

    /* A protected key changed: the signature fails -> drop. */
    json_object_set_new(ev, "depth", json_integer(3));
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, &red), ERR_FORBIDDEN);
    json_decref(ev);

    /* Expired key (v5+): skipped, so no valid signature remains -> drop.
     * In v4 key validity is not enforced (lookup gets ts -1). */
    ev = parse(msg);
    json_object_set_new(ev, "origin_server_ts", json_integer(3000000));
    ASSERT_INT_EQ(matrix_event_sign(ev, v10, "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, NULL), ERR_FORBIDDEN);
    ASSERT_INT_EQ(matrix_event_sign(ev, ver("4"), "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, ver("4"), lookup, &ctx, &verdict, NULL), 0);
    ASSERT_INT_EQ(ctx.last_ts, -1);
    json_decref(ev);

    /* Signed by an unknown key only, or by nobody -> drop. Unknown extra
     * keys and algorithms beside a good signature are skipped. */
    ev = parse(msg);
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, NULL), ERR_FORBIDDEN);
    json_object_set_new(ev, "signatures",
                        parse("{\"domain\":{\"ed25519:other\":\"AAAA\",\"curve:1\":\"x\"}}"));
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, NULL), ERR_FORBIDDEN);
    ASSERT_INT_EQ(matrix_event_sign(ev, v10, "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, NULL), 0);
    /* A garbage signature under a known key is a failure, not a skip. */
    json_object_set_new(json_object_get(json_object_get(ev, "signatures"), "domain"), "ed25519:1",
                        json_string("not-base64"));
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, NULL), ERR_FORBIDDEN);
    json_decref(ev);

    /* The sender's server must sign: an event from @u:elsewhere signed by
     * "domain" is dropped. */
    ev = parse(msg);
    json_object_set_new(ev, "sender", json_string("@u:elsewhere"));
    ASSERT_INT_EQ(matrix_event_sign(ev, v10, "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, NULL), ERR_FORBIDDEN);
    /* ... unless it is a third-party invite. */
    json_object_set_new(ev, "type", json_string("m.room.member"));
    json_object_set_new(ev, "state_key", json_string("@x:domain"));
    json_object_set_new(ev, "content",
                        parse("{\"membership\":\"invite\",\"third_party_invite\":{\"signed\":{}}}"));
    ASSERT_INT_EQ(matrix_event_sign(ev, v10, "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, NULL), 0);
    json_object_set_new(ev, "sender", json_string("not a user id"));
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, v10, lookup, &ctx, &verdict, NULL), ERR_INVALID);
    json_decref(ev);

    /* v1-2: the event_id's server must sign too when it differs. */
    ev = parse(msg);
    json_object_set_new(ev, "event_id", json_string("$abc:elsewhere"));
    ASSERT_INT_EQ(matrix_event_sign(ev, ver("1"), "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, ver("1"), lookup, &ctx, &verdict, NULL), ERR_FORBIDDEN);
    json_object_set_new(ev, "event_id", json_string("$abc:domain"));
    ASSERT_INT_EQ(matrix_event_sign(ev, ver("1"), "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, ver("1"), lookup, &ctx, &verdict, NULL), 0);
    json_object_del(ev, "event_id");
    ASSERT_INT_EQ(matrix_event_check_pdu(ev, ver("1"), lookup, &ctx, &verdict, NULL), ERR_INVALID);
    json_decref(ev);
}

TEST_CASE(matrix, event_strict_json)
{
    static const struct {
        const char *json;
        bool strict;
    } rows[] = {
        {"{\"a\":[1,-9007199254740991,{\"b\":9007199254740991}]}", true},
        {"{\"a\":\"1.5\",\"b\":null,\"c\":true}", true},
        {"{\"a\":[{\"b\":1.0}]}", false},
        {"{\"a\":1e3}", false},
        {"{\"a\":9007199254740992}", false},
        {"[-9007199254740992]", false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *v = json_loads(rows[i].json, JSON_DECODE_ANY, NULL);
        ASSERT_TRUE(v != NULL);
        ASSERT_INT_EQ(matrix_event_json_is_strict(v), rows[i].strict);
        json_decref(v);
    }
    ASSERT_TRUE(!matrix_event_json_is_strict(NULL));
}

/* v3+ PDUs carry no event_id; one inserted by our own code (the auth code
 * wants it) must not change the ID, the content hash or the signatures. In
 * v1-2 the event_id is part of the PDU and is covered. */
TEST_CASE(matrix, event_inserted_event_id_ignored_v3)
{
    struct signing_key key;
    test_spec_key(&key);
    json_t *ev = parse(MEMBER_EVENT("5"));
    char id[MATRIX_EVENT_ID_HASH_LEN];
    char id2[MATRIX_EVENT_ID_HASH_LEN];
    ASSERT_INT_EQ(matrix_event_sign(ev, ver("10"), "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_compute_id(ev, ver("10"), id), 0);
    json_object_set_new(ev, "event_id", json_string(id));
    ASSERT_INT_EQ(matrix_event_compute_id(ev, ver("10"), id2), 0);
    ASSERT_STR_EQ(id2, id);
    ASSERT_INT_EQ(matrix_event_check_content_hash(ev, ver("10")), 0);
    ASSERT_INT_EQ(matrix_event_verify_signature(ev, ver("10"), "domain", "ed25519:1", key.public_key),
                  0);
    /* Signing with the ID present gives the same signature as without. */
    json_t *copy = json_deep_copy(ev);
    json_object_del(copy, "event_id");
    ASSERT_INT_EQ(matrix_event_sign(copy, ver("10"), "domain", &key), 0);
    ASSERT_INT_EQ(matrix_event_sign(ev, ver("10"), "domain", &key), 0);
    ASSERT_STR_EQ(canon(json_object_get(ev, "signatures")), canon(json_object_get(copy, "signatures")));
    json_decref(copy);
    /* The redaction itself keeps event_id, as the spec's keep-list says. */
    json_t *red = NULL;
    ASSERT_INT_EQ(matrix_event_redact(ev, ver("10"), &red), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(red, "event_id")), id);
    json_decref(red);
    json_decref(ev);

    /* v1: event_id is covered by hash and signature. */
    ev = parse("{\"type\":\"m.room.message\",\"event_id\":\"$a:domain\",\"sender\":\"@u:domain\","
               "\"content\":{}}");
    ASSERT_INT_EQ(matrix_event_sign(ev, ver("1"), "domain", &key), 0);
    json_object_set_new(ev, "event_id", json_string("$b:domain"));
    ASSERT_INT_EQ(matrix_event_check_content_hash(ev, ver("1")), ERR_FORBIDDEN);
    ASSERT_INT_EQ(matrix_event_verify_signature(ev, ver("1"), "domain", "ed25519:1", key.public_key),
                  ERR_FORBIDDEN);
    json_decref(ev);
}

/* Reference script (Python 3, hashlib + cryptography), abridged:
 *   canon = lambda v: json.dumps(v, ensure_ascii=False, separators=(',',':'), sort_keys=True).encode()
 *   refhash(red) = sha256(canon(red minus signatures/unsigned))
 *   member_v8  = hand-redacted MEMBER_EVENT("5") with content {"membership":"join"}
 *   member_v9  = member_v8 + content.join_authorised_via_users_server
 *   member_v11 = member_v9 without "origin"
 *   "$" + base64(refhash(...)) (std for v3, urlsafe for v4+), rstrip("=")
 * The full script: tests/unit/matrix/event_vectors.py (needs the cryptography package). */

/* matrix_event_sign_encode: the spec's first "Event Signing" example (v3+: no
 * event_id; without "unsigned", which neither hash nor signature covers) comes out
 * as the spec's signed bytes; a member event (state_key, nested content) as the
 * plain encoding of the event matrix_event_sign_id signs, with the same ID. */
TEST_CASE(matrix, event_sign_encode_spec_bytes)
{
    struct signing_key key;
    test_spec_key(&key);
    static const char *const versions[] = {"3", "4", "6", "9", "10"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        json_t *e1 = parse("{\"room_id\":\"!x:domain\",\"sender\":\"@a:domain\",\"origin\":\"domain\","
                           "\"origin_server_ts\":1000000,\"type\":\"X\",\"content\":{},"
                           "\"prev_events\":[],\"auth_events\":[],\"depth\":3}");
        struct buf enc;
        buf_init(&enc, 1 << 16);
        char id[MATRIX_EVENT_ID_HASH_LEN];
        ASSERT_INT_EQ(matrix_event_sign_encode(e1, ver(versions[i]), "domain", &key, id, &enc), 0);
        ASSERT_STR_EQ(buf_cstr(&enc),
                      "{\"auth_events\":[],\"content\":{},\"depth\":3,\"hashes\":{\"sha256\":"
                      "\"5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos\"},\"origin\":\"domain\","
                      "\"origin_server_ts\":1000000,\"prev_events\":[],\"room_id\":\"!x:domain\","
                      "\"sender\":\"@a:domain\",\"signatures\":{\"domain\":{\"ed25519:1\":"
                      "\"KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+"
                      "lYAg\"}},\"type\":\"X\"}");
        ASSERT_STR_EQ(buf_cstr(&enc), canon(e1));
        buf_fini(&enc);
        json_decref(e1);
    }
    static const char *const all[] = {"3", "4", "9", "10", "11"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        json_t *a = parse(MEMBER_EVENT("7"));
        json_object_del(a, "unsigned");
        json_object_del(a, "hashes");
        json_object_del(a, "signatures");
        json_t *b = json_deep_copy(a);
        struct buf enc;
        buf_init(&enc, 1 << 16);
        char id[MATRIX_EVENT_ID_HASH_LEN], want[MATRIX_EVENT_ID_HASH_LEN];
        ASSERT_INT_EQ(matrix_event_sign_encode(a, ver(all[i]), "domain", &key, id, &enc), 0);
        ASSERT_INT_EQ(matrix_event_sign_id(b, ver(all[i]), "domain", &key, want), 0);
        ASSERT_STR_EQ(id, want);
        ASSERT_STR_EQ(buf_cstr(&enc), canon(b));
        /* With "unsigned" (not spliced: encoded again), still the whole event. */
        json_object_set_new(a, "unsigned", json_pack("{s:i}", "age", 5));
        buf_reset(&enc);
        ASSERT_INT_EQ(matrix_event_sign_encode(a, ver(all[i]), "domain", &key, id, &enc), 0);
        ASSERT_STR_EQ(id, want);
        ASSERT_STR_EQ(buf_cstr(&enc), canon(a));
        buf_fini(&enc);
        json_decref(a);
        json_decref(b);
    }
    json_t *ev = parse(MEMBER_EVENT("7"));
    struct buf enc;
    buf_init(&enc, 1 << 16);
    char id[MATRIX_EVENT_ID_HASH_LEN];
    ASSERT_INT_EQ(matrix_event_sign_encode(ev, ver("1"), "domain", &key, id, &enc), ERR_UNSUPPORTED);
    buf_fini(&enc);
    json_decref(ev);
}

/* The ID matrix_event_sign_id gives from its signing pass is the reference
 * hash of the signed event, in each version's alphabet (v3 standard base64,
 * v4+ URL-safe), and the signature is the one matrix_event_sign makes. */
TEST_CASE(matrix, event_sign_id_matches_reference_hash)
{
    struct signing_key key;
    test_spec_key(&key);
    static const char *const versions[] = {"3", "4", "9", "10", "11"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        json_t *a = parse(MEMBER_EVENT("7"));
        json_t *b = json_deep_copy(a);
        char id[MATRIX_EVENT_ID_HASH_LEN], want[MATRIX_EVENT_ID_HASH_LEN];
        ASSERT_INT_EQ(matrix_event_sign_id(a, ver(versions[i]), "domain", &key, id), 0);
        ASSERT_INT_EQ(matrix_event_sign(b, ver(versions[i]), "domain", &key), 0);
        ASSERT_INT_EQ(matrix_event_compute_id(b, ver(versions[i]), want), 0);
        ASSERT_STR_EQ(id, want);
        ASSERT_TRUE(strlen(id) == 44 && id[0] == '$');
        if (strcmp(versions[i], "3") != 0) /* URL-safe from v4 */
            ASSERT_TRUE(strchr(id, '/') == NULL && strchr(id, '+') == NULL);
        ASSERT_STR_EQ(canon(a), canon(b));
        json_decref(a);
        json_decref(b);
    }
    json_t *ev = parse(MEMBER_EVENT("7"));
    char id[MATRIX_EVENT_ID_HASH_LEN];
    ASSERT_INT_EQ(matrix_event_sign_id(ev, ver("1"), "domain", &key, id), ERR_UNSUPPORTED);
    json_decref(ev);
}
