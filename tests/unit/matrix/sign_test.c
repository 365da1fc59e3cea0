/* sign_test.c: src/matrix/sign.c and server_keys.c against the spec's
 * "JSON Signing" test vectors (appendices, "Cryptographic Test Vectors"). */
#include "harness.h"

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/base64.h"
#include "crypto/keyring.h"
#include "json/canonical.h"
#include "matrix/server_keys.h"
#include "matrix/sign.h"
#include "unit/matrix/spec_key.h"

TEST_CASE(matrix, sign_json_spec_vectors)
{
    static const struct {
        const char *in;
        const char *want_sig;
    } rows[] = {
        {"{}", "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"},
        {"{\"one\": 1, \"two\": \"Two\"}",
         "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"},
        /* "unsigned" and existing "signatures" are not covered: same signature as {}. */
        {"{\"unsigned\": {\"age_ts\": 922834800000}, \"signatures\": {\"other\": {\"ed25519:x\": \"abc\"}}}",
         "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"},
    };
    struct signing_key key;
    test_spec_key(&key);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *obj = json_loads(rows[i].in, 0, NULL);
        ASSERT_TRUE(obj != NULL);
        ASSERT_INT_EQ(matrix_json_sign(obj, "domain", &key), 0);
        const char *sig = json_string_value(
            json_object_get(json_object_get(json_object_get(obj, "signatures"), "domain"),
                            "ed25519:1"));
        ASSERT_STR_EQ(sig, rows[i].want_sig);
        ASSERT_INT_EQ(matrix_json_verify(obj, "domain", "ed25519:1", key.public_key), 0);
        json_decref(obj);
    }

    /* The whole signed object of the second vector, as the spec prints it. */
    json_t *obj = json_pack("{s:i,s:s}", "one", 1, "two", "Two");
    ASSERT_INT_EQ(matrix_json_sign(obj, "domain", &key), 0);
    struct buf out;
    buf_init(&out, 4096);
    ASSERT_INT_EQ(json_canonical_encode(obj, &out), 0);
    ASSERT_STR_EQ(buf_cstr(&out),
                  "{\"one\":1,\"signatures\":{\"domain\":{\"ed25519:1\":\"KqmLSbO39/Bzb0QIYE82zqLwsA+"
                  "PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw\"}},\"two\":\"Two\"}");
    buf_fini(&out);
    json_decref(obj);
}

TEST_CASE(matrix, sign_json_keeps_others)
{
    struct signing_key key;
    test_spec_key(&key);
    json_t *obj = json_loads("{\"a\":1,\"unsigned\":{\"x\":2},\"signatures\":{\"other.org\":"
                             "{\"ed25519:z\":\"sig\"},\"domain\":{\"ed25519:0\":\"old\"}}}",
                             0, NULL);
    ASSERT_INT_EQ(matrix_json_sign(obj, "domain", &key), 0);
    json_t *sigs = json_object_get(obj, "signatures");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(sigs, "other.org"), "ed25519:z")),
                  "sig");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(sigs, "domain"), "ed25519:0")),
                  "old");
    ASSERT_INT_EQ(json_object_size(json_object_get(sigs, "domain")), 2);
    ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(obj, "unsigned"), "x")), 2);

    /* Signing twice replaces our signature rather than adding another. */
    ASSERT_INT_EQ(matrix_json_sign(obj, "domain", &key), 0);
    ASSERT_INT_EQ(json_object_size(json_object_get(sigs, "domain")), 2);

    /* Changing unsigned keeps the signature valid; changing content does not. */
    json_object_set_new(json_object_get(obj, "unsigned"), "y", json_true());
    ASSERT_INT_EQ(matrix_json_verify(obj, "domain", "ed25519:1", key.public_key), 0);
    json_object_set_new(obj, "a", json_integer(2));
    ASSERT_INT_EQ(matrix_json_verify(obj, "domain", "ed25519:1", key.public_key), ERR_FORBIDDEN);
    json_decref(obj);
}

TEST_CASE(matrix, verify_json_errors)
{
    struct signing_key key;
    test_spec_key(&key);
    static const struct {
        const char *in;
        int rc;
    } rows[] = {
        {"{}", ERR_NOT_FOUND},
        {"{\"signatures\":{}}", ERR_NOT_FOUND},
        {"{\"signatures\":{\"domain\":{}}}", ERR_NOT_FOUND},
        {"{\"signatures\":{\"domain\":{\"ed25519:2\":\"x\"}}}", ERR_NOT_FOUND},
        {"{\"signatures\":{\"domain\":{\"ed25519:1\":5}}}", ERR_INVALID},
        {"{\"signatures\":{\"domain\":{\"ed25519:1\":\"not base64!\"}}}", ERR_INVALID},
        {"{\"signatures\":{\"domain\":{\"ed25519:1\":\"Zm9v\"}}}", ERR_INVALID}, /* 3 bytes */
        /* The spec's signature of {} does not verify for {"a":1}. */
        {"{\"a\":1,\"signatures\":{\"domain\":{\"ed25519:1\":\"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+"
         "UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ\"}}}",
         ERR_FORBIDDEN},
        /* ... but does for {}, padded or not. */
        {"{\"signatures\":{\"domain\":{\"ed25519:1\":\"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+"
         "UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ==\"}}}",
         0},
        /* Floats cannot be encoded canonically. */
        {"{\"f\":1.5,\"signatures\":{\"domain\":{\"ed25519:1\":\"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+"
         "UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ\"}}}",
         ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *obj = json_loads(rows[i].in, 0, NULL);
        ASSERT_TRUE(obj != NULL);
        int rc = matrix_json_verify(obj, "domain", "ed25519:1", key.public_key);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu: rc %d, want %d", i, rc, rows[i].rc);
        json_decref(obj);
    }
    json_t *arr = json_array();
    ASSERT_INT_EQ(matrix_json_sign(arr, "domain", &key), ERR_INVALID);
    json_decref(arr);
    json_t *bad = json_loads("{\"signatures\":[]}", 0, NULL);
    ASSERT_INT_EQ(matrix_json_sign(bad, "domain", &key), ERR_INVALID);
    json_decref(bad);
    bad = json_loads("{\"f\":0.5}", 0, NULL);
    ASSERT_INT_EQ(matrix_json_sign(bad, "domain", &key), ERR_INVALID);
    ASSERT_TRUE(json_object_get(bad, "signatures") == NULL); /* unchanged on failure */
    json_decref(bad);
}

TEST_CASE(matrix, server_keys_document)
{
    struct signing_key key;
    test_spec_key(&key);
    json_t *doc = NULL;
    ASSERT_INT_EQ(matrix_server_keys_build(&key, "domain", 1700000000000LL, &doc), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(doc, "server_name")), "domain");
    ASSERT_INT_EQ(json_integer_value(json_object_get(doc, "valid_until_ts")), 1700000000000LL);
    ASSERT_STR_EQ(json_string_value(json_object_get(
                      json_object_get(json_object_get(doc, "verify_keys"), "ed25519:1"), "key")),
                  TEST_SPEC_PUBLIC_B64);
    ASSERT_TRUE(json_is_object(json_object_get(doc, "old_verify_keys")));
    ASSERT_INT_EQ(json_object_size(json_object_get(doc, "old_verify_keys")), 0);

    /* Verify with the published key, decoded from the document itself. */
    unsigned char pub[32];
    size_t n = 0;
    const char *pub_b64 = TEST_SPEC_PUBLIC_B64;
    ASSERT_INT_EQ(crypto_base64_decode(CRYPTO_BASE64_STANDARD, pub_b64, strlen(pub_b64), pub,
                                       sizeof(pub), &n),
                  0);
    ASSERT_INT_EQ(matrix_json_verify(doc, "domain", "ed25519:1", pub), 0);
    /* Exactly these keys, nothing else. */
    ASSERT_INT_EQ(json_object_size(doc), 5);
    json_object_set_new(doc, "valid_until_ts", json_integer(1700000000001LL));
    ASSERT_INT_EQ(matrix_json_verify(doc, "domain", "ed25519:1", pub), ERR_FORBIDDEN);
    json_decref(doc);

    ASSERT_INT_EQ(matrix_server_keys_build(&key, "", 1, &doc), ERR_INVALID);
}

/* Third-party invite "signed" blocks: any signature by the given key counts. */
TEST_CASE(matrix, sign_json_signed_by_key)
{
    struct signing_key key;
    test_spec_key(&key);
    struct signing_key other;
    unsigned char seed[32] = {1};
    ASSERT_INT_EQ(crypto_signing_key_from_seed(seed, "x", &other), 0);

    json_t *signed_ = json_pack("{s:s,s:s,s:s}", "mxid", "@a:x", "sender", "@b:y", "token", "t");
    ASSERT_TRUE(!matrix_json_signed_by_key(signed_, key.public_key)); /* no signatures */
    ASSERT_INT_EQ(matrix_json_sign(signed_, "other.example", &other), 0);
    ASSERT_TRUE(!matrix_json_signed_by_key(signed_, key.public_key));
    ASSERT_INT_EQ(matrix_json_sign(signed_, "magic.uk", &key), 0);
    ASSERT_TRUE(matrix_json_signed_by_key(signed_, key.public_key));
    ASSERT_TRUE(matrix_json_signed_by_key(signed_, other.public_key));
    /* Garbage entries beside a good one are skipped. */
    json_object_set_new(json_object_get(signed_, "signatures"), "junk", json_string("x"));
    json_object_set_new(json_object_get(json_object_get(signed_, "signatures"), "magic.uk"),
                        "ed25519:bad", json_string("!!"));
    ASSERT_TRUE(matrix_json_signed_by_key(signed_, key.public_key));
    /* Any change to the signed data breaks it. */
    json_object_set_new(signed_, "token", json_string("u"));
    ASSERT_TRUE(!matrix_json_signed_by_key(signed_, key.public_key));
    json_decref(signed_);
}
