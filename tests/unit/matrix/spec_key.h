/* spec_key.h: the signing key of the spec's "Cryptographic Test Vectors"
 * (seed YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1, server "domain", key
 * "ed25519:1"), shared by the tests in tests/unit/matrix/. The public key
 * was computed independently with Python's cryptography package. */
#ifndef RELAIS_TESTS_SPEC_KEY_H
#define RELAIS_TESTS_SPEC_KEY_H

#include <string.h>

#include "crypto/base64.h"
#include "crypto/keyring.h"
#include "harness.h"

#define TEST_SPEC_SEED_B64 "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"
#define TEST_SPEC_PUBLIC_B64 "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI"

static inline void test_spec_key(struct signing_key *key)
{
    unsigned char seed[32];
    size_t n = 0;
    ASSERT_TRUE(crypto_base64_decode(CRYPTO_BASE64_STANDARD, TEST_SPEC_SEED_B64,
                                     strlen(TEST_SPEC_SEED_B64), seed, sizeof(seed), &n) == 0);
    ASSERT_TRUE(n == 32);
    ASSERT_TRUE(crypto_signing_key_from_seed(seed, "1", key) == 0);
}

#endif
