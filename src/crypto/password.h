/* password.h: password hashing with argon2id (libsodium crypto_pwhash_str).
 *
 * The stored form is libsodium's self-describing "$argon2id$v=19$m=...,t=...,p=1$salt$hash"
 * string, so the cost can change later without breaking old hashes. The cost is
 * process-wide, set once at start-up (tests set it low); it defaults to
 * libsodium's INTERACTIVE limits (ops 2, 64 MiB). Thread-safe after start-up. */
#ifndef RELAIS_CRYPTO_PASSWORD_H
#define RELAIS_CRYPTO_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define CRYPTO_PASSWORD_HASH_BYTES 128 /* size of the out buffer, NUL included */

/* Sets the argon2id cost for later crypto_password_hash calls: ops passes
 * (>= 1) and memory in bytes (>= 8192); values below the minimum are raised to
 * it. Call before any thread hashes (not synchronised). */
void crypto_password_set_cost(unsigned long long ops, size_t mem_bytes);

/* Hashes password (NUL-terminated UTF-8) with a fresh random salt into out, a
 * NUL-terminated string the caller owns. Returns 0, ERR_NOMEM when argon2
 * could not allocate its memory, or ERR_INTERNAL. Slow on purpose: do not call
 * on a request thread in a loop. */
int crypto_password_hash(const char *password, char out[CRYPTO_PASSWORD_HASH_BYTES]);

/* Returns true when password matches hash (a string from crypto_password_hash).
 * A malformed hash or NULL argument returns false. Takes constant time with
 * respect to the password. */
bool crypto_password_verify(const char *hash, const char *password);

#endif
