/* backup.c: server-side key backup, /room_keys/version and /room_keys/keys at
 * the three levels (all rooms, one room, one session). The server stores the
 * encrypted session_data blobs as given and applies the spec's replacement
 * rules (src/db/backup.c). Spec: client-server API, "Server-side key backups". */
#define LOG_MODULE "backup"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/client.h"
#include "db/db.h"

#include <stdio.h>
#include <string.h>

enum { BACKUP_MAX_KEYS_PER_UPLOAD = 100000 };

/* Parses a version string; false (404 filled) for anything but a positive number. */
static bool parse_version(struct http_reply *rep, const char *text, int64_t *version)
{
    if (!text || str_to_i64(text, strlen(text), 1, INT64_MAX, version)) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Unknown backup version");
        return false;
    }
    return true;
}

static json_t *version_json(const struct db_backup_version *v)
{
    json_error_t jerr;
    json_t *auth = json_loads(v->auth_data, 0, &jerr);
    char etag[32], version[32];
    snprintf(etag, sizeof etag, "%lld", (long long)v->etag);
    snprintf(version, sizeof version, "%lld", (long long)v->version);
    return json_pack("{s:s, s:o, s:I, s:s, s:s}", "algorithm", v->algorithm, "auth_data",
                     auth ? auth : json_object(), "count", (json_int_t)v->count, "etag", etag,
                     "version", version);
}

/* Checks algorithm (string) and auth_data (object) of a version body. */
static bool version_body(struct http_request *req, struct http_reply *rep, const char **alg,
                         char **auth_text)
{
    if (!client_req_string(rep, req->json, "algorithm", alg))
        return false;
    json_t *auth = json_object_get(req->json, "auth_data");
    if (!json_is_object(auth)) {
        http_reply_error(rep, 400, auth ? "M_BAD_JSON" : "M_MISSING_PARAM",
                         "'auth_data' must be an object");
        return false;
    }
    *auth_text = json_dumps(auth, JSON_COMPACT);
    return true;
}

/* POST /room_keys/version */
void client_backup_version_create(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *alg;
    char *auth;
    if (!version_body(req, rep, &alg, &auth))
        return;
    int64_t version;
    int rc = db_backup_version_create(srv->db, req->user_id, alg, auth, &version);
    free(auth);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)version);
    log_info("backup version created user=%s version=%s", req->user_id, text);
    http_reply_json(rep, 200, json_pack("{s:s}", "version", text));
}

/* GET /room_keys/version[/{version}] */
void client_backup_version_get(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t version = 0;
    if (req->n_params > 0 && !parse_version(rep, req->params[0], &version))
        return;
    struct db_backup_version v;
    int rc = db_backup_version_get(srv->db, req->user_id, version, &v);
    if (rc == ERR_NOT_FOUND) {
        http_reply_error(rep, 404, "M_NOT_FOUND",
                         version ? "Unknown backup version" : "No current backup version");
        return;
    }
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, version_json(&v));
    db_backup_version_fini(&v);
}

/* PUT /room_keys/version/{version}: only auth_data may change. */
void client_backup_version_put(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t version;
    if (!parse_version(rep, req->params[0], &version))
        return;
    const char *alg, *body_version;
    char *auth = NULL;
    if (!client_opt_string(rep, req->json, "version", &body_version) ||
        !version_body(req, rep, &alg, &auth))
        return;
    if (body_version && strcmp(body_version, req->params[0]) != 0) {
        free(auth);
        http_reply_error(rep, 400, "M_INVALID_PARAM", "The version in the body does not match");
        return;
    }
    struct db_backup_version v;
    int rc = db_backup_version_get(srv->db, req->user_id, version, &v);
    if (rc == 0 && strcmp(v.algorithm, alg) != 0) {
        db_backup_version_fini(&v);
        free(auth);
        http_reply_error(rep, 400, "M_INVALID_PARAM", "The algorithm cannot change");
        return;
    }
    if (rc == 0) {
        db_backup_version_fini(&v);
        rc = db_backup_version_update(srv->db, req->user_id, version, auth);
    }
    free(auth);
    if (client_reply_failure(rep, rc, "Unknown backup version"))
        return;
    http_reply_json(rep, 200, json_object());
}

/* DELETE /room_keys/version/{version} */
void client_backup_version_delete(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t version;
    if (!parse_version(rep, req->params[0], &version))
        return;
    int rc = db_backup_version_delete(srv->db, req->user_id, version);
    if (client_reply_failure(rep, rc, "Unknown backup version"))
        return;
    http_reply_json(rep, 200, json_object());
}

/* The ?version= of a keys request: 400 when absent or malformed. */
static bool keys_version(struct http_request *req, struct http_reply *rep, int64_t *version)
{
    const char *text = http_query(req, "version");
    if (!text) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'version'");
        return false;
    }
    if (str_to_i64(text, strlen(text), 1, INT64_MAX, version)) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Unknown backup version");
        return false;
    }
    return true;
}

/* Reads one KeyBackupData into k (strings in the request arena). */
static bool parse_key_data(struct http_request *req, struct http_reply *rep, json_t *o,
                           const char *room_id, const char *session_id, struct db_backup_key *k)
{
    json_t *fmi = json_object_get(o, "first_message_index");
    json_t *fc = json_object_get(o, "forwarded_count");
    json_t *ver = json_object_get(o, "is_verified");
    json_t *data = json_object_get(o, "session_data");
    if (!json_is_object(o) || !json_is_integer(fmi) || !json_is_integer(fc) ||
        !json_is_boolean(ver) || !json_is_object(data)) {
        http_reply_error(rep, 400, "M_BAD_JSON",
                         "Key backup data needs first_message_index, forwarded_count, "
                         "is_verified and session_data");
        return false;
    }
    char *text = json_dumps(data, JSON_COMPACT);
    k->room_id = room_id;
    k->session_id = session_id;
    k->first_message_index = json_integer_value(fmi);
    k->forwarded_count = json_integer_value(fc);
    k->is_verified = json_is_true(ver);
    k->session_data = arena_strdup(&req->arena, text);
    free(text);
    if (!k->session_data) {
        http_reply_error(rep, 413, "M_TOO_LARGE", "Too much key data");
        return false;
    }
    return true;
}

/* Collects the sessions object {sessionId: data} of one room. */
static bool parse_sessions(struct http_request *req, struct http_reply *rep, json_t *sessions,
                           const char *room_id, struct db_backup_key **keys, size_t *n,
                           size_t *cap)
{
    if (!json_is_object(sessions)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'sessions' must be an object");
        return false;
    }
    const char *session_id;
    json_t *o;
    json_object_foreach(sessions, session_id, o)
    {
        if (*n >= BACKUP_MAX_KEYS_PER_UPLOAD) {
            http_reply_error(rep, 400, "M_TOO_LARGE", "Too many keys in one upload");
            return false;
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *keys = xrealloc(*keys, *cap * sizeof **keys);
        }
        if (!parse_key_data(req, rep, o, room_id, session_id, &(*keys)[*n]))
            return false;
        (*n)++;
    }
    return true;
}

static void reply_etag_count(struct http_reply *rep, int64_t etag, int64_t count)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)etag);
    http_reply_json(rep, 200, json_pack("{s:s, s:I}", "etag", text, "count", (json_int_t)count));
}

/* PUT /room_keys/keys[/{roomId}[/{sessionId}]]?version= : only into the
 * current version (else 403 M_WRONG_ROOM_KEYS_VERSION). */
void client_backup_keys_put(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t version;
    if (!keys_version(req, rep, &version))
        return;
    struct db_backup_key *keys = NULL;
    size_t n = 0, cap = 0;
    bool ok;
    if (req->n_params == 2) {
        cap = 1;
        keys = xmalloc(sizeof *keys);
        ok = parse_key_data(req, rep, req->json, req->params[0], req->params[1], keys);
        n = ok;
    } else if (req->n_params == 1) {
        ok = parse_sessions(req, rep, json_object_get(req->json, "sessions"), req->params[0],
                            &keys, &n, &cap);
    } else {
        json_t *rooms = json_object_get(req->json, "rooms");
        ok = json_is_object(rooms);
        if (!ok)
            http_reply_error(rep, 400, "M_BAD_JSON", "'rooms' must be an object");
        const char *room_id;
        json_t *room;
        json_object_foreach(rooms, room_id, room)
        {
            if (!ok)
                break;
            ok = parse_sessions(req, rep, json_object_get(room, "sessions"), room_id, &keys, &n,
                                &cap);
        }
    }
    if (!ok) {
        free(keys);
        return;
    }
    struct db_backup_version current;
    int rc = db_backup_version_get(srv->db, req->user_id, 0, &current);
    if (rc == ERR_NOT_FOUND) {
        free(keys);
        http_reply_error(rep, 404, "M_NOT_FOUND", "Unknown backup version");
        return;
    }
    if (rc == 0 && current.version != version) {
        char cur[32];
        snprintf(cur, sizeof cur, "%lld", (long long)current.version);
        db_backup_version_fini(&current);
        free(keys);
        http_reply_error(rep, 403, "M_WRONG_ROOM_KEYS_VERSION",
                         "Wrong backup version: the current one is %s", cur);
        rep->error_extra = json_pack("{s:s}", "current_version", cur);
        return;
    }
    if (rc == 0)
        db_backup_version_fini(&current);
    int64_t etag = 0, count = 0;
    if (!rc)
        rc = db_backup_keys_put(srv->db, req->user_id, version, keys, n, &etag, &count);
    free(keys);
    if (client_reply_failure(rep, rc, "Unknown backup version"))
        return;
    reply_etag_count(rep, etag, count);
}

static json_t *key_json(const struct db_backup_key *k)
{
    json_error_t jerr;
    json_t *data = json_loads(k->session_data, 0, &jerr);
    return json_pack("{s:I, s:I, s:b, s:o}", "first_message_index",
                     (json_int_t)k->first_message_index, "forwarded_count",
                     (json_int_t)k->forwarded_count, "is_verified", k->is_verified,
                     "session_data", data ? data : json_object());
}

/* GET /room_keys/keys[/{roomId}[/{sessionId}]]?version= */
void client_backup_keys_get(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t version;
    if (!keys_version(req, rep, &version))
        return;
    struct db_backup_version v;
    int rc = db_backup_version_get(srv->db, req->user_id, version, &v);
    if (client_reply_failure(rep, rc, "Unknown backup version"))
        return;
    db_backup_version_fini(&v);
    const char *room_id = req->n_params > 0 ? req->params[0] : NULL;
    const char *session_id = req->n_params > 1 ? req->params[1] : NULL;
    struct db_backup_key *keys;
    size_t n;
    rc = db_backup_keys_get(srv->db, req->user_id, version, room_id, session_id, &keys, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    if (session_id) {
        if (n == 0)
            http_reply_error(rep, 404, "M_NOT_FOUND", "No room key found for this session");
        else
            http_reply_json(rep, 200, key_json(&keys[0]));
    } else {
        json_t *rooms = json_object();
        for (size_t i = 0; i < n; i++) {
            json_t *room = json_object_get(rooms, keys[i].room_id);
            if (!room) {
                room = json_pack("{s:{}}", "sessions");
                json_object_set_new(rooms, keys[i].room_id, room);
            }
            json_object_set_new(json_object_get(room, "sessions"), keys[i].session_id,
                                key_json(&keys[i]));
        }
        if (room_id) {
            json_t *room = json_object_get(rooms, room_id);
            http_reply_json(rep, 200, room ? json_incref(room) : json_pack("{s:{}}", "sessions"));
            json_decref(rooms);
        } else {
            http_reply_json(rep, 200, json_pack("{s:o}", "rooms", rooms));
        }
    }
    db_backup_keys_free(keys, n);
}

/* DELETE /room_keys/keys[/{roomId}[/{sessionId}]]?version= */
void client_backup_keys_delete(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t version;
    if (!keys_version(req, rep, &version))
        return;
    int64_t etag, count;
    int rc = db_backup_keys_delete(srv->db, req->user_id, version,
                                   req->n_params > 0 ? req->params[0] : NULL,
                                   req->n_params > 1 ? req->params[1] : NULL, &etag, &count);
    if (client_reply_failure(rep, rc, "Unknown backup version"))
        return;
    reply_etag_count(rep, etag, count);
}
