/* profile.c: /profile/{userId} and its displayname / avatar_url fields.
 * Spec: client-server API, "Profiles". */
#define LOG_MODULE "profile"
#include "base/err.h"
#include "base/log.h"
#include "client/client.h"
#include "db/db.h"
#include "rooms/rooms.h"

#include <string.h>

enum { PROFILE_FIELD_MAX = 256 };

/* Loads a local user's profile; answers 404 itself when there is none. */
static bool load(struct http_request *req, struct http_reply *rep, struct db_user *u)
{
    int rc = db_user_get(client_server(req)->db, req->params[0], u);
    if (rc == ERR_NOT_FOUND || (rc == 0 && u->deactivated)) {
        if (rc == 0)
            db_user_fini(u);
        http_reply_error(rep, 404, "M_NOT_FOUND", "Profile not found");
        return false;
    }
    if (rc) {
        client_internal_error(rep, rc);
        return false;
    }
    return true;
}

static void add_field(json_t *o, const char *key, const char *value)
{
    if (value)
        json_object_set_new(o, key, json_string(value));
}

/* GET /profile/{userId} */
void client_profile_get(struct http_request *req, struct http_reply *rep)
{
    struct db_user u;
    if (!load(req, rep, &u))
        return;
    json_t *body = json_object();
    add_field(body, "displayname", u.displayname);
    add_field(body, "avatar_url", u.avatar_url);
    db_user_fini(&u);
    http_reply_json(rep, 200, body);
}

/* The field named by the route's last path segment. */
static const char *field_of(struct http_request *req)
{
    const char *slash = strrchr(req->path, '/');
    return slash && strcmp(slash + 1, "avatar_url") == 0 ? "avatar_url" : "displayname";
}

/* GET /profile/{userId}/displayname|avatar_url */
void client_profile_field_get(struct http_request *req, struct http_reply *rep)
{
    const char *field = field_of(req);
    struct db_user u;
    if (!load(req, rep, &u))
        return;
    const char *value = strcmp(field, "displayname") == 0 ? u.displayname : u.avatar_url;
    if (!value) {
        db_user_fini(&u);
        http_reply_error(rep, 404, "M_NOT_FOUND", "The user has no %s", field);
        return;
    }
    http_reply_json(rep, 200, json_pack("{s:s}", field, value));
    db_user_fini(&u);
}

/* Sends the changed profile into every room the user has joined, as a new
 * m.room.member event (clients show names from member events; Synapse does
 * the same). A room that refuses is logged and skipped. */
static void announce_in_rooms(struct server *srv, const char *user_id, const char *field,
                              const char *value)
{
    struct db_membership *m;
    size_t n;
    if (db_user_memberships(srv->db, user_id, &m, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct room *room;
        if (strcmp(m[i].membership, "join") != 0 || rooms_get(srv, m[i].room_id, &room) != 0)
            continue;
        json_t *current = rooms_state_get(room, "m.room.member", user_id);
        json_t *content = json_deep_copy(json_object_get(current, "content"));
        json_decref(current);
        if (!json_is_object(content)) {
            json_decref(content);
            continue;
        }
        if (value)
            json_object_set_new(content, field, json_string(value));
        else
            json_object_del(content, field);
        json_object_del(content, "join_authorised_via_users_server");
        struct room_send send = {m[i].room_id, user_id, "m.room.member", user_id, content,
                                 NULL, NULL, NULL};
        char event_id[MATRIX_EVENT_ID_HASH_LEN], reason[256];
        int rc = rooms_send(srv, &send, event_id, reason, sizeof reason);
        if (rc)
            log_warn("profile change not sent room=%s err=%s reason=%s", m[i].room_id,
                     err_str(rc), reason);
        json_decref(content);
    }
    db_memberships_free(m, n);
}

/* PUT /profile/{userId}/displayname|avatar_url: only one's own profile. */
void client_profile_field_put(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *field = field_of(req);
    if (strcmp(req->params[0], req->user_id) != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You cannot change another user's profile");
        return;
    }
    const char *value;
    if (!client_opt_string(rep, req->json, field, &value))
        return;
    if (value && strlen(value) > PROFILE_FIELD_MAX) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "%s is longer than %d bytes", field,
                         PROFILE_FIELD_MAX);
        return;
    }
    if (value && strcmp(field, "avatar_url") == 0 && value[0] && strncmp(value, "mxc://", 6) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "avatar_url must be an mxc:// URI");
        return;
    }
    int rc = db_user_set_profile(srv->db, req->user_id, field, value && value[0] ? value : NULL);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    announce_in_rooms(srv, req->user_id, field, value && value[0] ? value : NULL);
    http_reply_json(rep, 200, json_object());
}
