/* sign.c: ed25519 detached signatures through libsodium. */
#include "crypto/sign.h"

#include <sodium.h>

#include "crypto/internal.h"

_Static_assert(CRYPTO_SIGNATURE_BYTES == crypto_sign_ed25519_BYTES, "signature size");
_Static_assert(CRYPTO_KEY_PUBLIC_BYTES == crypto_sign_ed25519_PUBLICKEYBYTES, "public key size");
_Static_assert(CRYPTO_KEY_SECRET_BYTES == crypto_sign_ed25519_SECRETKEYBYTES, "secret key size");
_Static_assert(CRYPTO_KEY_SEED_BYTES == crypto_sign_ed25519_SEEDBYTES, "seed size");

void crypto_ed25519_sign(const struct signing_key *key, const void *msg, size_t len,
                         unsigned char sig[CRYPTO_SIGNATURE_BYTES])
{
    crypto__ensure_init();
    crypto_sign_ed25519_detached(sig, NULL, (const unsigned char *)msg, (unsigned long long)len,
                                 key->secret_key);
}

bool crypto_ed25519_verify(const unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES],
                           const void *msg, size_t len,
                           const unsigned char sig[CRYPTO_SIGNATURE_BYTES])
{
    crypto__ensure_init();
    return crypto_sign_ed25519_verify_detached(sig, (const unsigned char *)msg,
                                               (unsigned long long)len, public_key) == 0;
}
