/* keys.c: the /keys endpoints: device, one-time and fallback key upload,
 * key queries and claims, device-list changes, cross-signing keys and
 * signature uploads. The server checks signatures and relays public keys; it
 * never sees a private key or plaintext. Spec: client-server API,
 * "End-to-End Encryption" (Key management API, Cross-signing).
 * Storage is src/db/keys.c; device-list wake-ups go through src/sync/e2ee.c. */
#define LOG_MODULE "keys"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/client.h"
#include "client/uia.h"
#include "crypto/base64.h"
#include "db/db.h"
#include "matrix/ids.h"
#include "matrix/sign.h"
#include "sync/e2ee.h"
#include "sync/sync.h"

#include <string.h>

enum { KEYS_MAX_PER_UPLOAD = 1000, KEYS_MAX_QUERY_USERS = 1000 };

static const struct uia_flow password_flows[] = {{{"m.login.password", NULL}}};
static const char *const cs_usages[3] = {"master", "self_signing", "user_signing"};

/* True when user_id belongs to this server. */
static bool is_local(struct server *srv, const char *user_id)
{
    struct matrix_user_id u;
    if (matrix_user_id_parse(user_id, strlen(user_id), &u))
        return false;
    return u.server_name.len == strlen(srv->cfg->server_name) &&
           memcmp(u.server_name.ptr, srv->cfg->server_name, u.server_name.len) == 0;
}

/* The server part of a user ID (into out), for failures. */
static void server_of(const char *user_id, char *out, size_t len)
{
    const char *colon = strchr(user_id, ':');
    snprintf(out, len, "%s", colon ? colon + 1 : user_id);
}

/* Decodes an unpadded base64 ed25519 public key. */
static bool decode_key(const char *b64, unsigned char out[CRYPTO_KEY_PUBLIC_BYTES])
{
    size_t n;
    return b64 && crypto_base64_decode(CRYPTO_BASE64_STANDARD, b64, strlen(b64), out,
                                       CRYPTO_KEY_PUBLIC_BYTES, &n) == 0 &&
           n == CRYPTO_KEY_PUBLIC_BYTES;
}

/* Verifies signatures.<user_id>.<key_id> of obj with the base64 key. */
static bool verify_with(const json_t *obj, const char *user_id, const char *key_id,
                        const char *b64_key)
{
    unsigned char pk[CRYPTO_KEY_PUBLIC_BYTES];
    return decode_key(b64_key, pk) && matrix_json_verify(obj, user_id, key_id, pk) == 0;
}

/* The device's ed25519 key from its stored device keys (owned), or NULL. */
static char *device_ed25519(struct server *srv, const char *user_id, const char *device_id)
{
    struct db_device_keys *k;
    size_t n;
    char *out = NULL;
    if (db_device_keys_get(srv->db, user_id, device_id, &k, &n))
        return NULL;
    if (n == 1) {
        json_error_t jerr;
        json_t *j = json_loads(k[0].json, 0, &jerr);
        char key_id[300];
        snprintf(key_id, sizeof key_id, "ed25519:%s", device_id);
        const char *v = json_string_value(json_object_get(json_object_get(j, "keys"), key_id));
        if (v)
            out = xstrdup(v);
        json_decref(j);
    }
    db_device_keys_free(k, n);
    return out;
}

/* Splits "<algorithm>:<key_id>" (arena copies). */
static bool split_key_name(struct http_request *req, const char *name, const char **alg,
                           const char **id)
{
    const char *colon = strchr(name, ':');
    if (!colon || colon == name || !colon[1])
        return false;
    size_t alen = (size_t)(colon - name);
    char *a = arena_alloc(&req->arena, alen + 1);
    if (!a)
        return false;
    memcpy(a, name, alen);
    a[alen] = 0;
    *alg = a;
    *id = colon + 1;
    return true;
}

/* Parses an object of "<alg>:<id>" -> key into items (arena). Signed keys
 * (objects) must verify with the device's ed25519 key when one is known.
 * Returns false with rep filled. */
static bool parse_key_items(struct http_request *req, struct http_reply *rep, json_t *obj,
                            const char *what, const char *device_id, const char *ed25519,
                            struct db_key_item **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    if (!obj || json_is_null(obj))
        return true;
    if (!json_is_object(obj)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'%s' must be an object", what);
        return false;
    }
    if (json_object_size(obj) > KEYS_MAX_PER_UPLOAD) {
        http_reply_error(rep, 400, "M_TOO_LARGE", "Too many keys in '%s'", what);
        return false;
    }
    *items = arena_alloc(&req->arena, (json_object_size(obj) + 1) * sizeof **items);
    if (!*items) {
        http_reply_error(rep, 413, "M_TOO_LARGE", "Too many keys in '%s'", what);
        return false;
    }
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v)
    {
        struct db_key_item *it = &(*items)[*n];
        if (!split_key_name(req, name, &it->algorithm, &it->key_id) ||
            !(json_is_string(v) || json_is_object(v))) {
            http_reply_error(rep, 400, "M_BAD_JSON", "Invalid key '%s' in '%s'", name, what);
            return false;
        }
        if (json_is_object(v) && ed25519) {
            char key_id[300];
            snprintf(key_id, sizeof key_id, "ed25519:%s", device_id);
            if (!verify_with(v, req->user_id, key_id, ed25519)) {
                http_reply_error(rep, 400, "M_INVALID_SIGNATURE",
                                 "Key '%s' in '%s' is not signed by the device", name, what);
                return false;
            }
        }
        char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        it->json = arena_strdup(&req->arena, text);
        free(text);
        if (!it->json) {
            http_reply_error(rep, 413, "M_TOO_LARGE", "Keys too large in '%s'", what);
            return false;
        }
        (*n)++;
    }
    return true;
}

/* The one_time_key_counts object for a device (signed_curve25519 always present). */
static json_t *otk_counts(struct server *srv, const char *user_id, const char *device_id)
{
    json_t *counts = json_object();
    char **algs;
    int64_t *nums;
    size_t n;
    if (db_otk_counts(srv->db, user_id, device_id, &algs, &nums, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            json_object_set_new(counts, algs[i], json_integer(nums[i]));
        db_strings_free(algs, n);
        free(nums);
    }
    if (!json_object_get(counts, "signed_curve25519"))
        json_object_set_new(counts, "signed_curve25519", json_integer(0));
    return counts;
}

/* Checks uploaded device keys: owner, device, algorithms, keys and the
 * self-signature. *ed25519 is the device's key (borrowed from dk). */
static bool check_device_keys(struct http_request *req, struct http_reply *rep, json_t *dk,
                              const char *for_device, const char **ed25519)
{
    const char *user_id, *device_id;
    if (!json_is_object(dk)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'device_keys' must be an object");
        return false;
    }
    if (!client_req_string(rep, dk, "user_id", &user_id) ||
        !client_req_string(rep, dk, "device_id", &device_id))
        return false;
    if (strcmp(user_id, req->user_id) != 0 || strcmp(device_id, for_device) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "device_keys must be for the authenticated user and device");
        return false;
    }
    json_t *keys = json_object_get(dk, "keys");
    if (!json_is_object(keys) || !json_is_array(json_object_get(dk, "algorithms"))) {
        http_reply_error(rep, 400, "M_BAD_JSON", "device_keys needs 'keys' and 'algorithms'");
        return false;
    }
    char key_id[300];
    snprintf(key_id, sizeof key_id, "ed25519:%s", device_id);
    *ed25519 = json_string_value(json_object_get(keys, key_id));
    unsigned char pk[CRYPTO_KEY_PUBLIC_BYTES];
    if (!*ed25519 || !decode_key(*ed25519, pk)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "device_keys has no valid '%s' key",
                         key_id);
        return false;
    }
    int rc = matrix_json_verify(dk, user_id, key_id, pk);
    if (rc) {
        http_reply_error(rep, 400, "M_INVALID_SIGNATURE", "device_keys %s",
                         rc == ERR_NOT_FOUND ? "are not self-signed by the device"
                                             : "have an invalid signature");
        return false;
    }
    return true;
}

bool client_keys_store(struct http_request *req, struct http_reply *rep, json_t *body,
                       const char *device_id)
{
    struct server *srv = client_server(req);
    bool ok = false;
    json_t *dk = json_object_get(body, "device_keys");
    const char *ed25519 = NULL;
    char *dk_text = NULL, *stored_ed = NULL;
    if (dk && !json_is_null(dk)) {
        if (!check_device_keys(req, rep, dk, device_id, &ed25519))
            return false;
        json_t *copy = json_deep_copy(dk);
        json_object_del(copy, "unsigned");
        dk_text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(copy);
    } else {
        ed25519 = stored_ed = device_ed25519(srv, req->user_id, device_id);
    }
    json_t *fb = json_object_get(body, "fallback_keys");
    if (!fb)
        fb = json_object_get(body, "org.matrix.msc2732.fallback_keys");
    struct db_key_item *otks, *fbs;
    size_t n_otks, n_fbs;
    int64_t pos = 0;
    int rc = 0;
    if (!parse_key_items(req, rep, json_object_get(body, "one_time_keys"), "one_time_keys",
                         device_id, ed25519, &otks, &n_otks) ||
        !parse_key_items(req, rep, fb, "fallback_keys", device_id, ed25519, &fbs, &n_fbs))
        goto out;
    rc = db_keys_upload(srv->db, req->user_id, device_id, dk_text, otks, n_otks, fbs, n_fbs,
                        &pos);
    if (rc == ERR_EXISTS) {
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "One time key already exists with different content");
        goto out;
    }
    if (rc) {
        client_internal_error(rep, rc);
        goto out;
    }
    if (pos)
        sync_e2ee_device_list_changed(srv, req->user_id, pos);
    ok = true;
out:
    free(dk_text);
    free(stored_ed);
    return ok;
}

/* POST /keys/upload */
void client_keys_upload(struct http_request *req, struct http_reply *rep)
{
    if (!client_keys_store(req, rep, req->json, req->device_id))
        return;
    struct server *srv = client_server(req);
    http_reply_json(rep, 200,
                    json_pack("{s:o}", "one_time_key_counts",
                              otk_counts(srv, req->user_id, req->device_id)));
}

/* Adds the stored signatures on (target_user, target_key) made by the owner
 * or by the viewer into obj's "signatures". */
static void merge_signatures(struct server *srv, json_t *obj, const char *target_user,
                             const char *target_key, const char *viewer)
{
    struct db_key_signature *s;
    size_t n;
    if (db_key_signatures_get(srv->db, target_user, target_key, &s, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s[i].signer_user, target_user) != 0 && strcmp(s[i].signer_user, viewer) != 0)
            continue;
        json_t *sigs = json_object_get(obj, "signatures");
        if (!json_is_object(sigs)) {
            sigs = json_object();
            json_object_set_new(obj, "signatures", sigs);
        }
        json_t *by = json_object_get(sigs, s[i].signer_user);
        if (!json_is_object(by)) {
            by = json_object();
            json_object_set_new(sigs, s[i].signer_user, by);
        }
        json_object_set_new(by, s[i].signer_key_id, json_string(s[i].signature));
    }
    db_key_signatures_free(s, n);
}

/* The single "ed25519:<pub>" public key of a cross-signing key (borrowed). */
static const char *cs_public_key(const json_t *key)
{
    json_t *keys = json_object_get(key, "keys");
    if (!json_is_object(keys) || json_object_size(keys) != 1)
        return NULL;
    const char *name;
    json_t *v;
    json_object_foreach(keys, name, v)
    {
        if (strncmp(name, "ed25519:", 8) != 0 || !json_is_string(v) ||
            strcmp(name + 8, json_string_value(v)) != 0)
            return NULL;
        return json_string_value(v);
    }
    return NULL;
}

/* A stored cross-signing key with the signatures the viewer may see (owned), or NULL. */
static json_t *cs_key_for(struct server *srv, const char *user_id, const char *usage,
                          const char *viewer)
{
    char *text;
    if (db_cross_signing_get(srv->db, user_id, usage, &text))
        return NULL;
    json_error_t jerr;
    json_t *key = json_loads(text, 0, &jerr);
    free(text);
    const char *pub = cs_public_key(key);
    if (pub)
        merge_signatures(srv, key, user_id, pub, viewer);
    return key;
}

/* The device keys of one user for /keys/query (owned object). */
static json_t *user_device_keys(struct server *srv, const char *user_id, json_t *wanted,
                                const char *viewer)
{
    json_t *out = json_object();
    struct db_device_keys *k;
    size_t n;
    if (db_device_keys_get(srv->db, user_id, NULL, &k, &n))
        return out;
    for (size_t i = 0; i < n; i++) {
        if (json_array_size(wanted)) {
            bool want = false;
            size_t j;
            json_t *v;
            json_array_foreach(wanted, j, v) if (json_is_string(v) &&
                                                 strcmp(json_string_value(v), k[i].device_id) == 0)
                want = true;
            if (!want)
                continue;
        }
        json_error_t jerr;
        json_t *dk = json_loads(k[i].json, 0, &jerr);
        if (!dk)
            continue;
        merge_signatures(srv, dk, user_id, k[i].device_id, viewer);
        json_t *uns = json_object();
        if (k[i].display_name)
            json_object_set_new(uns, "device_display_name", json_string(k[i].display_name));
        json_object_set_new(dk, "unsigned", uns);
        json_object_set_new(out, k[i].device_id, dk);
    }
    db_device_keys_free(k, n);
    return out;
}

/* POST /keys/query */
void client_keys_query(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    json_t *dks = json_object_get(req->json, "device_keys");
    if (!json_is_object(dks)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'device_keys' must be an object");
        return;
    }
    if (json_object_size(dks) > KEYS_MAX_QUERY_USERS) {
        http_reply_error(rep, 400, "M_TOO_LARGE", "Too many users in one query");
        return;
    }
    json_t *failures = json_object(), *device_keys = json_object(), *master = json_object(),
           *self_signing = json_object(), *user_signing = json_object();
    const char *user_id;
    json_t *wanted;
    json_object_foreach(dks, user_id, wanted)
    {
        if (!is_local(srv, user_id)) {
            char server[256];
            server_of(user_id, server, sizeof server);
            json_object_set_new(failures, server,
                                json_pack("{s:i, s:s}", "status", 503, "message",
                                          "Federation is not available on this server"));
            continue;
        }
        json_object_set_new(device_keys, user_id,
                            user_device_keys(srv, user_id, wanted, req->user_id));
        json_t *k = cs_key_for(srv, user_id, "master", req->user_id);
        if (k)
            json_object_set_new(master, user_id, k);
        if ((k = cs_key_for(srv, user_id, "self_signing", req->user_id)))
            json_object_set_new(self_signing, user_id, k);
        if (strcmp(user_id, req->user_id) == 0 &&
            (k = cs_key_for(srv, user_id, "user_signing", req->user_id)))
            json_object_set_new(user_signing, user_id, k);
    }
    http_reply_json(rep, 200,
                    json_pack("{s:o, s:o, s:o, s:o, s:o}", "failures", failures, "device_keys",
                              device_keys, "master_keys", master, "self_signing_keys",
                              self_signing, "user_signing_keys", user_signing));
}

/* POST /keys/claim */
void client_keys_claim(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    json_t *otk = json_object_get(req->json, "one_time_keys");
    if (!json_is_object(otk)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'one_time_keys' must be an object");
        return;
    }
    size_t total = 0;
    const char *user_id;
    json_t *devices;
    json_object_foreach(otk, user_id, devices)
    {
        if (!json_is_object(devices)) {
            http_reply_error(rep, 400, "M_BAD_JSON", "one_time_keys.%s must be an object",
                             user_id);
            return;
        }
        total += json_object_size(devices);
    }
    if (total > KEYS_MAX_PER_UPLOAD) {
        http_reply_error(rep, 400, "M_TOO_LARGE", "Too many keys claimed at once");
        return;
    }
    json_t *failures = json_object(), *result = json_object();
    json_object_foreach(otk, user_id, devices)
    {
        if (!is_local(srv, user_id)) {
            char server[256];
            server_of(user_id, server, sizeof server);
            json_object_set_new(failures, server,
                                json_pack("{s:i, s:s}", "status", 503, "message",
                                          "Federation is not available on this server"));
            continue;
        }
        json_t *per_user = json_object();
        const char *device_id;
        json_t *alg;
        json_object_foreach(devices, device_id, alg)
        {
            if (!json_is_string(alg))
                continue;
            char *key_id, *text;
            if (db_key_claim(srv->db, user_id, device_id, json_string_value(alg), &key_id,
                             &text))
                continue;
            json_error_t jerr;
            json_t *key = json_loads(text, JSON_DECODE_ANY, &jerr);
            if (key)
                json_object_set_new(per_user, device_id, json_pack("{s:o}", key_id, key));
            free(key_id);
            free(text);
        }
        if (json_object_size(per_user))
            json_object_set_new(result, user_id, per_user);
        else
            json_decref(per_user);
    }
    http_reply_json(rep, 200,
                    json_pack("{s:o, s:o}", "failures", failures, "one_time_keys", result));
}

/* GET /keys/changes?from=&to= */
void client_keys_changes(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *from_text = http_query(req, "from"), *to_text = http_query(req, "to");
    struct sync_token from, to;
    if (!from_text) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'from'");
        return;
    }
    if (sync_token_parse(from_text, &from) || (to_text && sync_token_parse(to_text, &to))) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid 'from' or 'to' token");
        return;
    }
    if (!to_text)
        notifier_positions(srv->notifier, to.pos);
    json_t *changed = json_array(), *left = json_array();
    int rc = sync_e2ee_device_lists(srv, req->user_id, &from, &to, changed, left);
    if (rc) {
        json_decref(changed);
        json_decref(left);
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, json_pack("{s:o, s:o}", "changed", changed, "left", left));
}

/* Checks one uploaded cross-signing key of a usage; *pub gets its key. */
static bool check_cs_key(struct http_request *req, struct http_reply *rep, json_t *key,
                         const char *usage, const char **pub)
{
    const char *user_id;
    if (!json_is_object(key)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "The %s key must be an object", usage);
        return false;
    }
    if (!client_req_string(rep, key, "user_id", &user_id))
        return false;
    if (strcmp(user_id, req->user_id) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "The %s key is for another user", usage);
        return false;
    }
    json_t *usages = json_object_get(key, "usage");
    bool has_usage = false;
    size_t i;
    json_t *v;
    json_array_foreach(usages, i, v) if (json_is_string(v) &&
                                         strcmp(json_string_value(v), usage) == 0) has_usage =
        true;
    if (!has_usage) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "The %s key lacks usage '%s'", usage,
                         usage);
        return false;
    }
    *pub = cs_public_key(key);
    unsigned char pk[CRYPTO_KEY_PUBLIC_BYTES];
    if (!*pub || !decode_key(*pub, pk)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "The %s key must have exactly one ed25519 key", usage);
        return false;
    }
    return true;
}

/* POST /keys/device_signing/upload. UIA, except (as Synapse does, MSC3967)
 * for the first upload and for a repeat of the stored keys. */
void client_keys_device_signing_upload(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    json_t *given[3];
    const char *pubs[3] = {NULL, NULL, NULL};
    char *texts[3] = {NULL, NULL, NULL}, *stored[3] = {NULL, NULL, NULL};
    const char *json_texts[3] = {NULL, NULL, NULL};
    json_t *master_stored = NULL;
    static const char *const fields[3] = {"master_key", "self_signing_key", "user_signing_key"};
    bool any = false, all_same = true;
    for (int i = 0; i < 3; i++) {
        given[i] = json_object_get(req->json, fields[i]);
        if (given[i] && json_is_null(given[i]))
            given[i] = NULL;
        if (given[i] && !check_cs_key(req, rep, given[i], cs_usages[i], &pubs[i]))
            goto out;
        if (db_cross_signing_get(srv->db, req->user_id, cs_usages[i], &stored[i]) == 0 &&
            i == 0) {
            json_error_t jerr;
            master_stored = json_loads(stored[0], 0, &jerr);
        }
        if (given[i]) {
            any = true;
            texts[i] = json_dumps(given[i], JSON_COMPACT | JSON_SORT_KEYS);
            json_texts[i] = texts[i];
            if (!stored[i] || strcmp(stored[i], texts[i]) != 0)
                all_same = false;
        }
    }
    if (!any) {
        http_reply_json(rep, 200, json_object());
        goto out;
    }
    const char *master_pub = given[0] ? pubs[0] : cs_public_key(master_stored);
    if (!master_pub) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "A master key is required");
        goto out;
    }
    for (int i = 1; i < 3; i++) {
        char key_id[80];
        snprintf(key_id, sizeof key_id, "ed25519:%s", master_pub);
        if (given[i] && !verify_with(given[i], req->user_id, key_id, master_pub)) {
            http_reply_error(rep, 400, "M_INVALID_SIGNATURE",
                             "The %s key is not signed by the master key", cs_usages[i]);
            goto out;
        }
    }
    if (all_same) { /* a replay of what is stored: nothing to authorise */
        http_reply_json(rep, 200, json_object());
        goto out;
    }
    struct uia_result uia = {{0}, {0}};
    if (master_stored && uia_check(srv, req, rep, password_flows, 1, req->user_id, &uia))
        goto out;
    int64_t pos;
    int rc = db_cross_signing_put(srv->db, req->user_id, cs_usages, json_texts, pubs, &pos);
    if (rc) {
        client_internal_error(rep, rc);
        goto out;
    }
    if (uia.session[0])
        uia_finish(srv->uia, uia.session);
    sync_e2ee_device_list_changed(srv, req->user_id, pos);
    log_info("cross-signing keys uploaded user=%s", req->user_id);
    http_reply_json(rep, 200, json_object());
out:
    for (int i = 0; i < 3; i++) {
        free(texts[i]);
        free(stored[i]);
    }
    json_decref(master_stored);
}

/* A per-key failure for /keys/signatures/upload. */
static void sig_failure(json_t *failures, const char *user_id, const char *key_id, int status,
                        const char *errcode, const char *message)
{
    json_t *per_user = json_object_get(failures, user_id);
    if (!per_user) {
        per_user = json_object();
        json_object_set_new(failures, user_id, per_user);
    }
    json_object_set_new(per_user, key_id,
                        json_pack("{s:i, s:s, s:s}", "status", status, "errcode", errcode,
                                  "message", message));
}

/* Loads a stored JSON key object and returns it without signatures/unsigned
 * but with the single signature (signer, key_id, sig) (owned), for checking. */
static json_t *with_only_signature(const char *stored_text, const char *signer,
                                   const char *key_id, const char *sig)
{
    json_error_t jerr;
    json_t *obj = json_loads(stored_text, 0, &jerr);
    if (!obj)
        return NULL;
    json_object_del(obj, "unsigned");
    json_object_set_new(obj, "signatures", json_pack("{s:{s:s}}", signer, key_id, sig));
    return obj;
}

/* Handles one signed object of /keys/signatures/upload: collects the
 * signatures that verify into writes (arena strings), or reports a failure. */
static void signature_upload_one(struct server *srv, struct http_request *req, json_t *failures,
                                 const char *target_user, const char *target_key, json_t *signed_obj,
                                 struct db_key_signature_write *writes, size_t *n_writes,
                                 size_t max_writes)
{
    const char *me = req->user_id;
    json_t *mine = json_object_get(json_object_get(signed_obj, "signatures"), me);
    if (!json_is_object(mine)) {
        sig_failure(failures, target_user, target_key, 400, "M_INVALID_SIGNATURE",
                    "No signature by the uploading user");
        return;
    }
    char *stored_text = NULL;
    bool is_device = false, is_master = false;
    char *master_text = NULL;
    json_t *master = NULL;
    if (db_cross_signing_get(srv->db, target_user, "master", &master_text) == 0) {
        json_error_t jerr;
        master = json_loads(master_text, 0, &jerr);
        const char *pub = cs_public_key(master);
        if (pub && strcmp(pub, target_key) == 0) {
            is_master = true;
            stored_text = master_text;
            master_text = NULL;
        }
    }
    if (!is_master && strcmp(target_user, me) == 0) {
        struct db_device_keys *k;
        size_t n;
        if (db_device_keys_get(srv->db, target_user, target_key, &k, &n) == 0) {
            if (n == 1) {
                is_device = true;
                stored_text = xstrdup(k[0].json);
            }
            db_device_keys_free(k, n);
        }
    }
    if (!is_master && !is_device) {
        sig_failure(failures, target_user, target_key, 404, "M_NOT_FOUND", "Unknown key");
        goto out;
    }
    /* Which of my keys may sign it: my self-signing key for my devices, my
     * devices for my master key, my user-signing key for others' master keys. */
    const char *key_name;
    json_t *sig;
    size_t added = 0;
    bool bad = false;
    json_object_foreach(mine, key_name, sig)
    {
        if (!json_is_string(sig) || strncmp(key_name, "ed25519:", 8) != 0)
            continue;
        char *signer_pub = NULL;
        if (is_device || strcmp(target_user, me) != 0) {
            char *cs_text;
            const char *usage = is_device ? "self_signing" : "user_signing";
            if (db_cross_signing_get(srv->db, me, usage, &cs_text) == 0) {
                json_error_t jerr;
                json_t *cs = json_loads(cs_text, 0, &jerr);
                const char *pub = cs_public_key(cs);
                if (pub && strcmp(pub, key_name + 8) == 0)
                    signer_pub = xstrdup(pub);
                json_decref(cs);
                free(cs_text);
            }
        } else {
            signer_pub = device_ed25519(srv, me, key_name + 8);
        }
        if (!signer_pub)
            continue; /* a signature by a key we do not track (the object's own) */
        json_t *check = with_only_signature(stored_text, me, key_name, json_string_value(sig));
        bool ok = check && verify_with(check, me, key_name, signer_pub);
        json_decref(check);
        free(signer_pub);
        if (!ok) {
            bad = true;
            continue;
        }
        if (*n_writes < max_writes) {
            writes[(*n_writes)++] = (struct db_key_signature_write){
                arena_strdup(&req->arena, target_user), arena_strdup(&req->arena, target_key),
                me, arena_strdup(&req->arena, key_name),
                arena_strdup(&req->arena, json_string_value(sig))};
            added++;
        }
    }
    if (bad || !added)
        sig_failure(failures, target_user, target_key, 400, "M_INVALID_SIGNATURE",
                    bad ? "Invalid signature" : "No signature by a key allowed to sign this key");
out:
    free(stored_text);
    free(master_text);
    json_decref(master);
}

/* POST /keys/signatures/upload */
void client_keys_signatures_upload(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    size_t total = 0;
    const char *user_id;
    json_t *keys;
    json_object_foreach(req->json, user_id, keys)
    {
        if (!json_is_object(keys)) {
            http_reply_error(rep, 400, "M_BAD_JSON", "'%s' must map key IDs to signed keys",
                             user_id);
            return;
        }
        total += json_object_size(keys);
    }
    if (total > KEYS_MAX_PER_UPLOAD) {
        http_reply_error(rep, 400, "M_TOO_LARGE", "Too many keys");
        return;
    }
    size_t max_writes = total * 4 + 1, n_writes = 0;
    struct db_key_signature_write *writes =
        arena_alloc(&req->arena, max_writes * sizeof *writes);
    json_t *failures = json_object();
    json_object_foreach(req->json, user_id, keys)
    {
        const char *key_id;
        json_t *obj;
        json_object_foreach(keys, key_id, obj)
        {
            if (!is_local(srv, user_id)) {
                sig_failure(failures, user_id, key_id, 400, "M_UNRECOGNIZED",
                            "Federation is not available on this server");
                continue;
            }
            if (!json_is_object(obj)) {
                sig_failure(failures, user_id, key_id, 400, "M_BAD_JSON",
                            "The signed key must be an object");
                continue;
            }
            signature_upload_one(srv, req, failures, user_id, key_id, obj, writes, &n_writes,
                                 max_writes);
        }
    }
    int64_t pos;
    int rc = db_key_signatures_add(srv->db, writes, n_writes, &pos);
    if (rc) {
        json_decref(failures);
        client_internal_error(rep, rc);
        return;
    }
    /* Each target user's list changed (their sharers see the new signature). */
    for (size_t i = 0; i < n_writes; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(writes[j].target_user, writes[i].target_user) == 0;
        if (!seen)
            sync_e2ee_device_list_changed(srv, writes[i].target_user, pos);
    }
    http_reply_json(rep, 200, json_pack("{s:o}", "failures", failures));
}
