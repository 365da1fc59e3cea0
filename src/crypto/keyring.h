/* keyring.h: the server's ed25519 signing key and its file.
 *
 * File format (Synapse's signing.key), one line, UTF-8, trailing newline optional:
 *
 *     ed25519 <version> <unpadded standard base64 of the 32-byte seed>
 *
 * <version> is [A-Za-z0-9_] (1..32 chars); the key ID is "ed25519:<version>".
 * Only the first non-empty line is used. The file holds a secret: it is created
 * 0600, and loading one readable by group or others logs a warning. */
#ifndef RELAIS_CRYPTO_KEYRING_H
#define RELAIS_CRYPTO_KEYRING_H

#include <stddef.h>

#define CRYPTO_KEY_SEED_BYTES 32
#define CRYPTO_KEY_PUBLIC_BYTES 32
#define CRYPTO_KEY_SECRET_BYTES 64
#define CRYPTO_KEY_VERSION_MAX 32

struct signing_key {
    char key_id[64];                                  /* "ed25519:<version>", NUL-terminated */
    unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES]; /* ed25519 public key */
    unsigned char secret_key[CRYPTO_KEY_SECRET_BYTES]; /* libsodium form: seed || public key */
};

/* Creates a new key file at path with a random seed and a random version
 * "a_XXXX" ([A-Za-z0-9] after "a_"). The file is created with
 * open(O_CREAT|O_EXCL, 0600): returns 0, ERR_EXISTS if path exists, ERR_IO for
 * other file errors (the partial file is removed). */
int crypto_keyring_generate(const char *path);

/* Reads the key file at path into *out (caller-owned; wipe it with
 * crypto_signing_key_wipe when done). Returns 0, ERR_NOT_FOUND if the file does
 * not exist, ERR_IO, ERR_TOO_LARGE (file > 4 KiB) or ERR_INVALID for a
 * malformed file. Logs a warning when the file is readable by group/others. */
int crypto_keyring_load(const char *path, struct signing_key *out);

/* Parses the file contents text[0..len) (no I/O; for tests and fuzzing).
 * Same results as crypto_keyring_load minus the file errors. */
int crypto_keyring_parse(const char *text, size_t len, struct signing_key *out);

/* Derives a key from a 32-byte seed and a version ([A-Za-z0-9_], 1..32 chars).
 * Returns 0 or ERR_INVALID for a bad version. */
int crypto_signing_key_from_seed(const unsigned char seed[CRYPTO_KEY_SEED_BYTES],
                                 const char *version, struct signing_key *out);

/* Writes the key file line "ed25519 <version> <seed base64>\n" for key into
 * out (appends). Returns 0 or ERR_TOO_LARGE from the buffer. The buffer then
 * holds a secret: sodium_memzero its data before buf_fini. */
struct buf;
int crypto_keyring_format(const struct signing_key *key, struct buf *out);

/* Overwrites the whole struct with zeros (sodium_memzero). */
void crypto_signing_key_wipe(struct signing_key *key);

#endif
