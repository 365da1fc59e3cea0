/* sign.c: signing JSON objects and checking their signatures.
 *
 * Spec: appendices, "Signing Details" and "Checking for a Signature". The
 * signed bytes are the canonical JSON of the object without its top-level
 * "signatures" and "unsigned"; json_canonical_encode_without() produces them
 * without copying the object. Key lookup (step 3 of the check) belongs to the
 * caller: federation key fetching lives in src/federation/. */
#include "matrix/sign.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/base64.h"
#include "crypto/sign.h"
#include "json/canonical.h"

static const char *const unsigned_keys[] = {"signatures", "unsigned", NULL};

int matrix_json_sign(json_t *object, const char *server_name, const struct signing_key *key)
{
    return matrix_json_sign_hash(object, server_name, key, NULL);
}

int matrix_json_sign_hash(json_t *object, const char *server_name, const struct signing_key *key,
                          unsigned char sha256[CRYPTO_SHA256_BYTES])
{
    struct buf bytes;
    int rc = 0;

    if (!json_is_object(object) || !server_name || !*server_name)
        return ERR_INVALID;
    json_t *sigs = json_object_get(object, "signatures");
    if (sigs && !json_is_object(sigs))
        return ERR_INVALID;
    json_t *mine = sigs ? json_object_get(sigs, server_name) : NULL;
    if (mine && !json_is_object(mine))
        return ERR_INVALID;

    buf_init(&bytes, MATRIX_SIGN_MAX_BYTES);
    rc = buf_reserve(&bytes, 1000); /* one 1,024-byte allocation for most objects */
    if (rc == 0)
        rc = json_canonical_encode_without(object, unsigned_keys, &bytes);
    if (rc != 0)
        goto out;
    unsigned char sig[CRYPTO_SIGNATURE_BYTES];
    crypto_ed25519_sign(key, bytes.data, bytes.len, sig);
    if (sha256)
        crypto_sha256(bytes.data, bytes.len, sha256);
    char sig_b64[CRYPTO_SIGNATURE_BYTES * 2];
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, sig, sizeof(sig), sig_b64);

    if (!sigs) {
        sigs = json_object();
        json_object_set_new(object, "signatures", sigs);
    }
    if (!mine) {
        mine = json_object();
        json_object_set_new(sigs, server_name, mine);
    }
    json_object_set_new(mine, key->key_id, json_string(sig_b64));

out:
    buf_fini(&bytes);
    return rc;
}

int matrix_json_verify(const json_t *object, const char *server_name, const char *key_id,
                       const unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES])
{
    if (!json_is_object(object))
        return ERR_INVALID;
    const json_t *sigs = json_object_get(object, "signatures");
    if (!json_is_object(sigs))
        return ERR_NOT_FOUND;
    const json_t *mine = json_object_get(sigs, server_name);
    if (!json_is_object(mine))
        return ERR_NOT_FOUND;
    const json_t *sig_json = json_object_get(mine, key_id);
    if (!sig_json)
        return ERR_NOT_FOUND;
    if (!json_is_string(sig_json))
        return ERR_INVALID;

    unsigned char sig[CRYPTO_SIGNATURE_BYTES];
    size_t sig_len = 0;
    int rc = crypto_base64_decode(CRYPTO_BASE64_STANDARD, json_string_value(sig_json),
                                  json_string_length(sig_json), sig, sizeof(sig), &sig_len);
    if (rc != 0 || sig_len != sizeof(sig))
        return ERR_INVALID;

    struct buf bytes;
    buf_init(&bytes, MATRIX_SIGN_MAX_BYTES);
    rc = json_canonical_encode_without(object, unsigned_keys, &bytes);
    if (rc == 0 && !crypto_ed25519_verify(public_key, bytes.data, bytes.len, sig))
        rc = ERR_FORBIDDEN;
    buf_fini(&bytes);
    return rc;
}

bool matrix_json_signed_by_key(const json_t *object,
                               const unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES])
{
    const json_t *sigs = json_object_get(object, "signatures");
    if (!json_is_object(object) || !json_is_object(sigs))
        return false;
    struct buf bytes;
    buf_init(&bytes, MATRIX_SIGN_MAX_BYTES);
    bool ok = false;
    if (json_canonical_encode_without(object, unsigned_keys, &bytes) != 0)
        goto out;
    const char *entity;
    const json_t *keys;
    json_object_foreach((json_t *)sigs, entity, keys)
    {
        const char *key_id;
        const json_t *sig_json;
        if (!json_is_object(keys))
            continue;
        json_object_foreach((json_t *)keys, key_id, sig_json)
        {
            unsigned char sig[CRYPTO_SIGNATURE_BYTES];
            size_t n = 0;
            if (strncmp(key_id, "ed25519:", 8) != 0 || !json_is_string(sig_json))
                continue;
            if (crypto_base64_decode(CRYPTO_BASE64_STANDARD, json_string_value(sig_json),
                                     json_string_length(sig_json), sig, sizeof(sig), &n) != 0 ||
                n != sizeof(sig))
                continue;
            if (crypto_ed25519_verify(public_key, bytes.data, bytes.len, sig)) {
                ok = true;
                goto out;
            }
        }
    }
out:
    buf_fini(&bytes);
    return ok;
}
