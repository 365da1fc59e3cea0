/* server_keys.c: the body of GET /_matrix/key/v2/server for our own key.
 *
 * Spec: server-server API, "Publishing Keys". Only the current key is
 * published; old_verify_keys stays empty until key rotation exists. */
#include "matrix/server_keys.h"

#include "base/err.h"
#include "crypto/base64.h"
#include "matrix/sign.h"

int matrix_server_keys_build(const struct signing_key *key, const char *server_name,
                             int64_t valid_until_ts, json_t **out)
{
    if (!server_name || !*server_name || valid_until_ts < 0)
        return ERR_INVALID;
    char pub[CRYPTO_KEY_PUBLIC_BYTES * 2];
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, key->public_key, CRYPTO_KEY_PUBLIC_BYTES, pub);

    json_t *verify_keys = json_object();
    json_object_set_new(verify_keys, key->key_id, json_pack("{s:s}", "key", pub));
    json_t *doc = json_object();
    json_object_set_new(doc, "server_name", json_string(server_name));
    json_object_set_new(doc, "valid_until_ts", json_integer((json_int_t)valid_until_ts));
    json_object_set_new(doc, "verify_keys", verify_keys);
    json_object_set_new(doc, "old_verify_keys", json_object());

    int rc = matrix_json_sign(doc, server_name, key);
    if (rc != 0) {
        json_decref(doc);
        return rc;
    }
    *out = doc;
    return 0;
}
