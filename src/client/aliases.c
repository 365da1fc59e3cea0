/* aliases.c: room aliases: PUT/GET/DELETE /directory/room/{roomAlias},
 * GET /rooms/{roomId}/aliases, and the check that an m.room.canonical_alias
 * event only names aliases that point to its room. Aliases are local only
 * (no federation queries yet): an alias of another server is not found.
 * Spec: client-server "Room aliases", "m.room.canonical_alias". */
#define LOG_MODULE "aliases"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/client.h"
#include "db/db.h"
#include "matrix/ids.h"
#include "matrix/power.h"
#include "rooms/rooms.h"

#include <string.h>

/* Parses the {roomAlias} parameter; answers 400 M_INVALID_PARAM when it is
 * not an alias. *local tells whether its server part is ours. */
static bool parse_alias(struct server *srv, struct http_reply *rep, const char *alias, bool *local)
{
    struct matrix_room_alias a;
    if (matrix_room_alias_parse(alias, strlen(alias), &a) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid room alias");
        return false;
    }
    const char *ours = srv->cfg->server_name;
    *local = a.server_name.len == strlen(ours) && memcmp(a.server_name.ptr, ours, a.server_name.len) == 0;
    return true;
}

bool client_room_power_for_state(struct room *room, const char *user_id, const char *type)
{
    json_t *pl = rooms_state_get(room, "m.room.power_levels", "");
    int64_t needed = matrix_power_event_level(room->version, pl, type, true);
    json_decref(pl);
    return rooms_user_power(room, user_id) >= needed;
}

/* PUT /directory/room/{roomAlias} {room_id} */
void client_alias_put(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *alias = req->params[0], *room_id;
    bool local;
    if (!parse_alias(srv, rep, alias, &local) ||
        !client_req_string(rep, req->json, "room_id", &room_id))
        return;
    if (!local) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Room alias must be on this server");
        return;
    }
    struct room *room;
    if (rooms_get(srv, room_id, &room) != 0) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Unknown room");
        return;
    }
    /* Like Synapse (require_membership_for_aliases): only members may alias a room. */
    if (strcmp(rooms_membership_of(room, req->user_id), "join") != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You must be in the room to create an alias for it");
        return;
    }
    char *existing = NULL;
    int rc = db_alias_get(srv->db, alias, &existing, NULL);
    free(existing);
    if (rc == 0) {
        /* The spec's example errcode for 409 is M_UNKNOWN (Synapse does the same). */
        http_reply_error(rep, 409, "M_UNKNOWN", "Room alias %s already exists", alias);
        return;
    }
    if (rc == ERR_NOT_FOUND)
        rc = db_alias_create(srv->db, alias, room_id, req->user_id);
    if (rc == ERR_EXISTS || rc == ERR_DB) {
        /* A concurrent PUT of the same alias loses on the primary key. */
        existing = NULL;
        if (db_alias_get(srv->db, alias, &existing, NULL) == 0) {
            free(existing);
            http_reply_error(rep, 409, "M_UNKNOWN", "Room alias %s already exists", alias);
            return;
        }
    }
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    log_info("alias created alias=%s room=%s", alias, room_id);
    http_reply_json(rep, 200, json_object());
}

/* The room (and, when creator is not NULL, the creator) of the alias in req->params[0], both
 * owned by the caller. Replies 400, 404 or 500 and returns false when there is none. */
static bool lookup_alias(struct server *srv, struct http_request *req, struct http_reply *rep,
                         char **room_id, char **creator)
{
    bool local;
    if (!parse_alias(srv, rep, req->params[0], &local))
        return false;
    int rc = db_alias_get(srv->db, req->params[0], room_id, creator);
    if (rc == ERR_NOT_FOUND) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Room alias %s not found", req->params[0]);
        return false;
    }
    if (rc) {
        client_internal_error(rep, rc);
        return false;
    }
    return true;
}

/* GET /directory/room/{roomAlias} (no authentication needed) */
void client_alias_get(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    char *room_id = NULL;
    if (!lookup_alias(srv, req, rep, &room_id, NULL))
        return;
    http_reply_json(rep, 200, json_pack("{s:s, s:[s]}", "room_id", room_id, "servers",
                                        srv->cfg->server_name));
    free(room_id);
}

/* After an alias is deleted, the room's m.room.canonical_alias no longer names
 * it (as Synapse; sent as the deleting user, and skipped when they lack the
 * power to). */
static void drop_from_canonical(struct server *srv, struct room *room, const char *user_id,
                                const char *alias)
{
    json_t *ev = rooms_state_get(room, "m.room.canonical_alias", "");
    json_t *content = json_deep_copy(json_object_get(ev, "content"));
    json_decref(ev);
    if (!json_is_object(content))
        goto out;
    bool changed = false;
    const char *main_alias = json_string_value(json_object_get(content, "alias"));
    if (main_alias && strcmp(main_alias, alias) == 0) {
        json_object_del(content, "alias");
        changed = true;
    }
    json_t *alt = json_object_get(content, "alt_aliases");
    for (size_t i = json_is_array(alt) ? json_array_size(alt) : 0; i-- > 0;) {
        const char *a = json_string_value(json_array_get(alt, i));
        if (a && strcmp(a, alias) == 0) {
            json_array_remove(alt, i);
            changed = true;
        }
    }
    if (!changed || !client_room_power_for_state(room, user_id, "m.room.canonical_alias"))
        goto out;
    struct room_send s = {room->room_id, user_id, "m.room.canonical_alias", "", content,
                          NULL, NULL, NULL};
    char event_id[MATRIX_EVENT_ID_HASH_LEN], reason[256];
    int rc = rooms_send(srv, &s, event_id, reason, sizeof reason);
    if (rc)
        log_warn("canonical alias not updated room=%s err=%s", room->room_id, err_str(rc));
out:
    json_decref(content);
}

/* DELETE /directory/room/{roomAlias}: the alias's creator, or a member with the
 * power to send m.room.canonical_alias (as Synapse), or a server admin. */
void client_alias_delete(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    char *room_id = NULL, *creator = NULL;
    if (!lookup_alias(srv, req, rep, &room_id, &creator))
        return;
    bool allowed = req->is_admin || strcmp(creator, req->user_id) == 0;
    struct room *room = NULL;
    if (rooms_get(srv, room_id, &room) != 0)
        room = NULL;
    if (!allowed && room)
        allowed = strcmp(rooms_membership_of(room, req->user_id), "join") == 0 &&
                  client_room_power_for_state(room, req->user_id, "m.room.canonical_alias");
    if (!allowed) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You don't have permission to delete the alias");
        goto out;
    }
    int rc = db_alias_delete(srv->db, req->params[0]);
    if (rc == ERR_NOT_FOUND)
        http_reply_error(rep, 404, "M_NOT_FOUND", "Room alias %s not found", req->params[0]);
    else if (rc)
        client_internal_error(rep, rc);
    else {
        log_info("alias deleted alias=%s room=%s", req->params[0], room_id);
        if (room)
            drop_from_canonical(srv, room, req->user_id, req->params[0]);
        http_reply_json(rep, 200, json_object());
    }
out:
    free(room_id);
    free(creator);
}

/* GET /rooms/{roomId}/aliases: members, or anyone when world_readable. */
void client_room_aliases(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct room *room;
    struct matrix_room_id rid;
    if (matrix_room_id_parse(req->params[0], strlen(req->params[0]), &rid) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid room ID");
        return;
    }
    if (rooms_get(srv, req->params[0], &room) != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You aren't a member of the room");
        return;
    }
    json_t *hv = rooms_state_get(room, "m.room.history_visibility", "");
    const char *v = json_string_value(json_object_get(json_object_get(hv, "content"),
                                                      "history_visibility"));
    bool world = v && strcmp(v, "world_readable") == 0;
    json_decref(hv);
    if (!world && strcmp(rooms_membership_of(room, req->user_id), "join") != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You aren't a member of the room");
        return;
    }
    char **aliases;
    size_t n;
    int rc = db_aliases_of_room(srv->db, req->params[0], &aliases, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(aliases[i]));
    db_strings_free(aliases, n);
    http_reply_json(rep, 200, json_pack("{s:o}", "aliases", list));
}

/* One alias named by a canonical alias event: valid, and pointing to room_id. */
static bool alias_points_to(struct server *srv, struct http_reply *rep, const json_t *v,
                            const char *room_id)
{
    const char *alias = json_string_value(v);
    if (!alias || matrix_room_alias_parse(alias, strlen(alias), NULL) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid alias in m.room.canonical_alias");
        return false;
    }
    char *target = NULL;
    bool ok = db_alias_get(srv->db, alias, &target, NULL) == 0 && strcmp(target, room_id) == 0;
    free(target);
    if (!ok)
        http_reply_error(rep, 400, "M_BAD_ALIAS", "Room alias %s does not point to the room",
                         alias);
    return ok;
}

bool client_canonical_alias_check(struct server *srv, struct http_reply *rep, const char *room_id,
                                  const json_t *content)
{
    json_t *alias = json_object_get(content, "alias");
    if (alias && !json_is_null(alias) && !alias_points_to(srv, rep, alias, room_id))
        return false;
    json_t *alt = json_object_get(content, "alt_aliases");
    if (alt && !json_is_array(alt)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "alt_aliases must be an array");
        return false;
    }
    /* As Synapse: alt_aliases already in the current event are not re-checked,
     * so an alias deleted since does not block unrelated changes. */
    json_t *old_alt = NULL, *current = NULL;
    struct room *room;
    if (rooms_get(srv, room_id, &room) == 0)
        current = rooms_state_get(room, "m.room.canonical_alias", "");
    old_alt = json_object_get(json_object_get(current, "content"), "alt_aliases");
    bool ok = true;
    size_t i, j;
    json_t *v, *w;
    json_array_foreach(alt, i, v)
    {
        bool known = false;
        json_array_foreach(old_alt, j, w) known = known || json_equal(v, w);
        if (!known && !alias_points_to(srv, rep, v, room_id)) {
            ok = false;
            break;
        }
    }
    json_decref(current);
    return ok;
}
