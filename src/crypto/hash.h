/* hash.h: SHA-256 (libsodium crypto_hash_sha256). Pure, thread-safe. */
#ifndef RELAIS_CRYPTO_HASH_H
#define RELAIS_CRYPTO_HASH_H

#include <stddef.h>

#define CRYPTO_SHA256_BYTES 32

/* Writes the SHA-256 digest of data[0..len) to out. */
void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_BYTES]);

#endif
