/* hash.c: SHA-256 through libsodium. */
#include "crypto/hash.h"

#include <sodium.h>

#include "crypto/internal.h"

_Static_assert(CRYPTO_SHA256_BYTES == crypto_hash_sha256_BYTES, "sha256 size");

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_BYTES])
{
    crypto__ensure_init();
    crypto_hash_sha256(out, (const unsigned char *)data, (unsigned long long)len);
}
