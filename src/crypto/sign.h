/* sign.h: ed25519 detached signatures over bytes (libsodium crypto_sign_*).
 *
 * What gets signed (canonical JSON, redacted events) is decided in
 * src/matrix/sign.c; this file only signs and checks bytes. Thread-safe. */
#ifndef RELAIS_CRYPTO_SIGN_H
#define RELAIS_CRYPTO_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/keyring.h"

#define CRYPTO_SIGNATURE_BYTES 64

/* Signs msg[0..len) with key (borrowed) into sig. */
void crypto_ed25519_sign(const struct signing_key *key, const void *msg, size_t len,
                         unsigned char sig[CRYPTO_SIGNATURE_BYTES]);

/* Returns true when sig is a valid signature of msg[0..len) by public_key. */
bool crypto_ed25519_verify(const unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES],
                           const void *msg, size_t len,
                           const unsigned char sig[CRYPTO_SIGNATURE_BYTES]);

#endif
