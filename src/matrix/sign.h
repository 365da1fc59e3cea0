/* sign.h: signing and verifying JSON objects (spec appendices, "Signing JSON").
 *
 * To sign: take the object without its "signatures" and "unsigned" keys,
 * encode it as canonical JSON, sign the bytes with ed25519, and store the
 * unpadded base64 signature at signatures.<server_name>.<key_id>, keeping the
 * signatures already there (other servers', other keys'). "unsigned" is put
 * back untouched. Events are signed in their redacted form: see event.h.
 * Thread-safe for objects no other thread touches. */
#ifndef RELAIS_MATRIX_SIGN_H
#define RELAIS_MATRIX_SIGN_H

#include <stdbool.h>

#include <jansson.h>

#include "crypto/hash.h"
#include "crypto/keyring.h"

/* Adds the signature of object (a JSON object, modified in place) by key
 * under signatures.<server_name>.<key->key_id>, replacing a previous one with
 * the same name and key ID. Returns 0; ERR_INVALID when object is not an
 * object, its "signatures" is not an object of objects, or it cannot be
 * encoded canonically (floats, big integers); ERR_TOO_LARGE beyond
 * MATRIX_SIGN_MAX_BYTES of canonical JSON. */
#define MATRIX_SIGN_MAX_BYTES (1u << 24)
int matrix_json_sign(json_t *object, const char *server_name, const struct signing_key *key);
/* matrix_json_sign that also gives the sha256 of the signed bytes (the
 * reference hash when object is a redacted event: one encoding for both). */
int matrix_json_sign_hash(json_t *object, const char *server_name, const struct signing_key *key,
                          unsigned char sha256[CRYPTO_SHA256_BYTES]);

/* Checks the signature signatures.<server_name>.<key_id> of object (borrowed)
 * against public_key. Returns 0 when it is valid; ERR_NOT_FOUND when there is
 * no such signature; ERR_INVALID when the signature is not a string of
 * unpadded base64 for 64 bytes or the object cannot be encoded canonically;
 * ERR_FORBIDDEN when the signature does not match. */
int matrix_json_verify(const json_t *object, const char *server_name, const char *key_id,
                       const unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES]);

/* True when any signature in object's "signatures" (any entity, any key ID
 * starting "ed25519:") verifies with public_key. Third-party invites need
 * this: "If any signature in signed matches any public key in the
 * m.room.third_party_invite event, allow" (auth rules, membership invite).
 * Malformed signatures are skipped; an object that cannot be encoded
 * canonically gives false. */
bool matrix_json_signed_by_key(const json_t *object,
                               const unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES]);

#endif
