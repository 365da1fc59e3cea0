/* random.h: random bytes and tokens from libsodium's CSPRNG.
 *
 * Everything in src/crypto/ initialises libsodium on first use (sodium_init()
 * through pthread_once), so callers need not; crypto_init() exists so main()
 * can do it early and fail loudly. All functions here are thread-safe. */
#ifndef RELAIS_CRYPTO_RANDOM_H
#define RELAIS_CRYPTO_RANDOM_H

#include <stddef.h>

/* Initialises libsodium once. Returns 0, or ERR_INTERNAL when libsodium cannot
 * start (no entropy source); later calls return the first result. */
int crypto_init(void);

/* Fills out[0..len) with random bytes. Aborts (ASSERT) if libsodium cannot be
 * initialised, since no secret may be made without it. */
void crypto_random_bytes(void *out, size_t len);

/* Writes len-1 random characters from [A-Za-z0-9] (uniform, no modulo bias)
 * and a terminating NUL into out, which the caller owns and sizes to len.
 * len == 0 writes nothing. Used for access tokens, device IDs, txn IDs. */
void crypto_random_token(char *out, size_t len);

#endif
