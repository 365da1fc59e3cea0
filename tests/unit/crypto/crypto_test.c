/* crypto_test.c: src/crypto/ (base64, sha256, ed25519, tokens, passwords, key file).
 *
 * Reference values: base64 rows from the spec appendix "Unpadded Base64" and
 * RFC 4648; SHA-256 from FIPS 180-2; the ed25519 seed and signature from the
 * spec appendix "Cryptographic Test Vectors"; the public key of that seed was
 * computed independently with Python's cryptography package (OpenSSL). */
#include "harness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/keyring.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/sign.h"

#define SPEC_SEED_B64 "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"
#define SPEC_PUBLIC_B64 "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI"

TEST_CASE(crypto, base64_spec_vectors)
{
    static const struct {
        const char *in;
        const char *want;
    } rows[] = {
        {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char enc[16];
        size_t n = strlen(rows[i].in);
        ASSERT_INT_EQ(crypto_base64_encoded_len(n), strlen(rows[i].want));
        crypto_base64_encode(CRYPTO_BASE64_STANDARD, rows[i].in, n, enc);
        ASSERT_STR_EQ(enc, rows[i].want);
        unsigned char dec[16];
        size_t dec_len = 99;
        ASSERT_INT_EQ(crypto_base64_decode(CRYPTO_BASE64_STANDARD, enc, strlen(enc), dec,
                                           sizeof(dec), &dec_len),
                      0);
        ASSERT_INT_EQ(dec_len, n);
        ASSERT_TRUE(memcmp(dec, rows[i].in, n) == 0);
    }
    /* The two alphabets differ only in 62 and 63: 0xfb 0xff = "+/8" / "-_8". */
    const unsigned char hi[] = {0xfb, 0xff};
    char enc[8];
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, hi, 2, enc);
    ASSERT_STR_EQ(enc, "+/8");
    crypto_base64_encode(CRYPTO_BASE64_URLSAFE, hi, 2, enc);
    ASSERT_STR_EQ(enc, "-_8");
    struct buf b;
    buf_init(&b, 64);
    ASSERT_INT_EQ(crypto_base64_append(&b, CRYPTO_BASE64_URLSAFE, hi, 2), 0);
    ASSERT_STR_EQ(buf_cstr(&b), "-_8");
    buf_fini(&b);
}

TEST_CASE(crypto, base64_decode_rules)
{
    static const struct {
        enum crypto_base64_variant v;
        const char *in;
        int rc;
        const char *want; /* decoded bytes as a string */
    } rows[] = {
        {CRYPTO_BASE64_STANDARD, "Zg==", 0, "f"},     /* padded input is accepted */
        {CRYPTO_BASE64_STANDARD, "Zm8=", 0, "fo"},
        {CRYPTO_BASE64_STANDARD, "Zm9v", 0, "foo"},
        {CRYPTO_BASE64_STANDARD, "Zh", 0, "f"},       /* unused bits set: ignored */
        {CRYPTO_BASE64_STANDARD, "Z", ERR_INVALID, NULL}, /* 4n+1 characters */
        {CRYPTO_BASE64_STANDARD, "Zm9vY", ERR_INVALID, NULL},
        {CRYPTO_BASE64_STANDARD, "Zg=", ERR_INVALID, NULL}, /* half padding */
        {CRYPTO_BASE64_STANDARD, "Zm9v=", ERR_INVALID, NULL},
        {CRYPTO_BASE64_STANDARD, "====", ERR_INVALID, NULL},
        {CRYPTO_BASE64_STANDARD, "Zm 9v", ERR_INVALID, NULL},
        {CRYPTO_BASE64_STANDARD, "-_8", ERR_INVALID, NULL}, /* URL-safe chars in standard */
        {CRYPTO_BASE64_URLSAFE, "+/8", ERR_INVALID, NULL},
        {CRYPTO_BASE64_URLSAFE, "-_8", 0, "\xfb\xff"},
        {CRYPTO_BASE64_URLSAFE, "-_8=", 0, "\xfb\xff"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        unsigned char dec[16] = {0};
        size_t dec_len = 0;
        int rc = crypto_base64_decode(rows[i].v, rows[i].in, strlen(rows[i].in), dec,
                                      sizeof(dec), &dec_len);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu (%s): rc %d, want %d", i, rows[i].in, rc,
                         rows[i].rc);
        if (rows[i].want) {
            ASSERT_INT_EQ(dec_len, strlen(rows[i].want));
            ASSERT_TRUE(memcmp(dec, rows[i].want, dec_len) == 0);
        }
    }
    /* Output capacity is checked before anything is written. */
    unsigned char two[2];
    size_t n = 0;
    ASSERT_INT_EQ(crypto_base64_decode(CRYPTO_BASE64_STANDARD, "Zm9v", 4, two, 2, &n),
                  ERR_TOO_LARGE);
    /* The spec's seed has non-zero unused bits and must still decode to 32 bytes. */
    unsigned char seed[40];
    ASSERT_INT_EQ(crypto_base64_decode(CRYPTO_BASE64_STANDARD, SPEC_SEED_B64,
                                       strlen(SPEC_SEED_B64), seed, sizeof(seed), &n),
                  0);
    ASSERT_INT_EQ(n, 32);
    ASSERT_INT_EQ(seed[0], 0x60);
    ASSERT_INT_EQ(seed[31], 0x0d);
}

TEST_CASE(crypto, sha256_vectors)
{
    static const struct {
        const char *in;
        const char *want_b64; /* FIPS 180-2 digests, base64 */
    } rows[] = {
        {"", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"},
        {"abc", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        unsigned char d[CRYPTO_SHA256_BYTES];
        char enc[64];
        crypto_sha256(rows[i].in, strlen(rows[i].in), d);
        crypto_base64_encode(CRYPTO_BASE64_STANDARD, d, sizeof(d), enc);
        ASSERT_STR_EQ(enc, rows[i].want_b64);
    }
}

static void spec_key(struct signing_key *key)
{
    unsigned char seed[32];
    size_t n = 0;
    ASSERT_INT_EQ(crypto_base64_decode(CRYPTO_BASE64_STANDARD, SPEC_SEED_B64,
                                       strlen(SPEC_SEED_B64), seed, sizeof(seed), &n),
                  0);
    ASSERT_INT_EQ(crypto_signing_key_from_seed(seed, "1", key), 0);
}

TEST_CASE(crypto, ed25519_spec_key)
{
    struct signing_key key;
    spec_key(&key);
    ASSERT_STR_EQ(key.key_id, "ed25519:1");
    char pub[64];
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, key.public_key, 32, pub);
    ASSERT_STR_EQ(pub, SPEC_PUBLIC_B64);

    /* Spec "JSON Signing": the signature of the canonical JSON "{}". */
    unsigned char sig[CRYPTO_SIGNATURE_BYTES];
    crypto_ed25519_sign(&key, "{}", 2, sig);
    char sig_b64[100];
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, sig, sizeof(sig), sig_b64);
    ASSERT_STR_EQ(sig_b64, "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7"
                           "Xg4ahLwYGYZzuHGZKM5ZAQ");
    ASSERT_TRUE(crypto_ed25519_verify(key.public_key, "{}", 2, sig));
    ASSERT_TRUE(!crypto_ed25519_verify(key.public_key, "{ }", 3, sig));
    sig[5] ^= 1;
    ASSERT_TRUE(!crypto_ed25519_verify(key.public_key, "{}", 2, sig));

    ASSERT_INT_EQ(crypto_signing_key_from_seed(key.secret_key, "bad-version", &key),
                  ERR_INVALID);
    crypto_signing_key_wipe(&key);
    ASSERT_INT_EQ(key.key_id[0], 0);
    ASSERT_INT_EQ(key.secret_key[0] | key.secret_key[63], 0);
}

TEST_CASE(crypto, random_tokens)
{
    char a[33], b[33];
    crypto_random_token(a, sizeof(a));
    crypto_random_token(b, sizeof(b));
    ASSERT_INT_EQ(strlen(a), 32);
    ASSERT_TRUE(strcmp(a, b) != 0);
    for (size_t i = 0; i < 32; i++) {
        char c = a[i];
        ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    }
    char one[1] = {'x'};
    crypto_random_token(one, 1);
    ASSERT_INT_EQ(one[0], 0);
    /* All 62 characters turn up in a long enough token (a biased or short
     * alphabet would fail this with overwhelming probability). */
    char big[4001];
    crypto_random_token(big, sizeof(big));
    int seen[256] = {0};
    for (size_t i = 0; i < 4000; i++)
        seen[(unsigned char)big[i]] = 1;
    int distinct = 0;
    for (int i = 0; i < 256; i++)
        distinct += seen[i];
    ASSERT_INT_EQ(distinct, 62);
}

TEST_CASE(crypto, password_hash_verify)
{
    crypto_password_set_cost(1, 8192); /* minimum: keep the test fast */
    char h1[CRYPTO_PASSWORD_HASH_BYTES];
    char h2[CRYPTO_PASSWORD_HASH_BYTES];
    ASSERT_INT_EQ(crypto_password_hash("correct horse", h1), 0);
    ASSERT_INT_EQ(crypto_password_hash("correct horse", h2), 0);
    ASSERT_TRUE(strncmp(h1, "$argon2id$v=19$m=8,t=1,p=1$", 27) == 0);
    ASSERT_TRUE(strcmp(h1, h2) != 0); /* fresh salt each time */
    ASSERT_TRUE(crypto_password_verify(h1, "correct horse"));
    ASSERT_TRUE(crypto_password_verify(h2, "correct horse"));
    ASSERT_TRUE(!crypto_password_verify(h1, "correct horsE"));
    ASSERT_TRUE(!crypto_password_verify(h1, ""));
    ASSERT_TRUE(!crypto_password_verify("", "correct horse"));
    ASSERT_TRUE(!crypto_password_verify("$argon2id$garbage", "x"));
    ASSERT_TRUE(!crypto_password_verify(NULL, "x"));
    ASSERT_INT_EQ(crypto_password_hash(NULL, h1), ERR_INVALID);
    /* Empty and non-ASCII passwords are just bytes. */
    ASSERT_INT_EQ(crypto_password_hash("", h1), 0);
    ASSERT_TRUE(crypto_password_verify(h1, ""));
    ASSERT_INT_EQ(crypto_password_hash("p\xc3\xa4ss", h1), 0);
    ASSERT_TRUE(crypto_password_verify(h1, "p\xc3\xa4ss"));
    ASSERT_TRUE(!crypto_password_verify(h1, "pass"));
}

TEST_CASE(crypto, keyring_parse)
{
    static const struct {
        const char *text;
        int rc;
        const char *key_id;
    } rows[] = {
        {"ed25519 1 " SPEC_SEED_B64, 0, "ed25519:1"},
        {"ed25519 a_AbCd " SPEC_SEED_B64 "\n", 0, "ed25519:a_AbCd"},
        {"\n\n  ed25519\tauto " SPEC_SEED_B64 " \r\n", 0, "ed25519:auto"},
        {"ed25519 1 " SPEC_SEED_B64 "=\n", 0, "ed25519:1"},
        {"ed25519 1 " SPEC_SEED_B64 "\ned25519 2 garbage\n", 0, "ed25519:1"},
        {"", ERR_INVALID, NULL},
        {"\n \n", ERR_INVALID, NULL},
        {"ed25519 1", ERR_INVALID, NULL},
        {"ed448 1 " SPEC_SEED_B64, ERR_INVALID, NULL},
        {"ed25519 1 " SPEC_SEED_B64 " extra", ERR_INVALID, NULL},
        {"ed25519 1 Zm9v", ERR_INVALID, NULL},                    /* 3 bytes, not 32 */
        {"ed25519 1 " SPEC_SEED_B64 "AAAA", ERR_INVALID, NULL},    /* 35 bytes */
        {"ed25519 a:b " SPEC_SEED_B64, ERR_INVALID, NULL},         /* bad version */
        {"ed25519 abcdefghijabcdefghijabcdefghijabc " SPEC_SEED_B64, ERR_INVALID, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct signing_key key;
        int rc = crypto_keyring_parse(rows[i].text, strlen(rows[i].text), &key);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu: rc %d, want %d", i, rc, rows[i].rc);
        if (rc == 0) {
            ASSERT_STR_EQ(key.key_id, rows[i].key_id);
            char pub[64];
            crypto_base64_encode(CRYPTO_BASE64_STANDARD, key.public_key, 32, pub);
            ASSERT_STR_EQ(pub, SPEC_PUBLIC_B64);
        }
    }
    /* format() writes what parse() reads. */
    struct signing_key key;
    spec_key(&key);
    struct buf b;
    buf_init(&b, 256);
    ASSERT_INT_EQ(crypto_keyring_format(&key, &b), 0);
    ASSERT_STR_EQ(buf_cstr(&b), "ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0\n");
    buf_fini(&b);
}

TEST_CASE(crypto, keyring_file)
{
    char dir[] = "/tmp/relais-keyring-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/signing.key", dir);

    struct signing_key key;
    ASSERT_INT_EQ(crypto_keyring_load(path, &key), ERR_NOT_FOUND);
    ASSERT_INT_EQ(crypto_keyring_generate(path), 0);
    struct stat st;
    ASSERT_INT_EQ(stat(path, &st), 0);
    ASSERT_INT_EQ(st.st_mode & 0777, 0600);
    ASSERT_INT_EQ(crypto_keyring_generate(path), ERR_EXISTS); /* never overwritten */

    ASSERT_INT_EQ(crypto_keyring_load(path, &key), 0);
    ASSERT_TRUE(strncmp(key.key_id, "ed25519:a_", 10) == 0);
    ASSERT_INT_EQ(strlen(key.key_id), 14);
    unsigned char sig[64];
    crypto_ed25519_sign(&key, "x", 1, sig);
    ASSERT_TRUE(crypto_ed25519_verify(key.public_key, "x", 1, sig));

    /* A world-readable file still loads (with a warning in the log). */
    ASSERT_INT_EQ(chmod(path, 0644), 0);
    struct signing_key again;
    ASSERT_INT_EQ(crypto_keyring_load(path, &again), 0);
    ASSERT_TRUE(memcmp(&again, &key, sizeof(key)) == 0);

    char bad[128];
    snprintf(bad, sizeof(bad), "%s/bad.key", dir);
    int fd = open(bad, O_WRONLY | O_CREAT, 0600);
    ASSERT_TRUE(fd >= 0);
    ASSERT_INT_EQ(write(fd, "nonsense\n", 9), 9);
    close(fd);
    ASSERT_INT_EQ(crypto_keyring_load(bad, &again), ERR_INVALID);

    unlink(bad);
    unlink(path);
    rmdir(dir);
}
