/* hash.h: SHA-256 (libsodium crypto_hash_sha256). Pure, thread-safe. */
#ifndef RELAIS_CRYPTO_HASH_H
#define RELAIS_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_BYTES 32

/* Writes the SHA-256 digest of data[0..len) to out. */
void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_BYTES]);
/* Writes the SHA-256 digest of the first len bytes of the open file fd (read
 * with pread from offset 0) to out. Returns 0, or ERR_IO when they cannot be read. */
int crypto_sha256_fd(int fd, uint64_t len, unsigned char out[CRYPTO_SHA256_BYTES]);

#endif
