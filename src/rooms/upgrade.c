/* upgrade.c: replacing a room by a new one of another version (spec:
 * client-server "Room Upgrades", server behaviour), in the spec's steps:
 *
 *   1. the user must be joined and able to send m.room.tombstone;
 *   2. the new room's m.room.create carries predecessor {room_id, event_id of
 *      the old room's newest event} and the old room's type;
 *   3. the transferable state is copied (server ACL, encryption, name, avatar,
 *      topic, guest access, history visibility, join rules, power levels with
 *      the upgrading user raised to what sending that state needs) — through
 *      rooms_create, so the new room is built like any other;
 *   4. local aliases, the canonical alias and the directory listing move;
 *   5. m.room.tombstone is sent in the old room;
 *   6. the old room's power levels are restricted (events_default and invite
 *      to max(50, users_default + 1)).
 *
 * Steps after 2 are best effort once the new room exists (as Synapse): a
 * failure is logged and the new room is still answered. Two concurrent
 * upgrades of one room are not serialised. */
#define LOG_MODULE "rooms"
#include "rooms/internal.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "db/db.h"
#include "matrix/power.h"
#include "server/server.h"

#include <string.h>

static const char *const transferable[] = {
    "m.room.server_acl",       "m.room.encryption", "m.room.name",
    "m.room.avatar",           "m.room.topic",      "m.room.guest_access",
    "m.room.history_visibility", "m.room.join_rules",
};

/* The old room's content of (type, ""), a new reference or NULL. */
static json_t *state_content(struct room *room, const char *type)
{
    json_t *ev = rooms_state_get(room, type, "");
    json_t *c = json_incref(json_object_get(ev, "content"));
    json_decref(ev);
    return c;
}

/* The newest event of the room (its first forward extremity). Owned. */
static char *newest_event(struct room *room)
{
    pthread_mutex_lock(&room->lock);
    char *id = room->n_extremities ? xstrdup(room->extremities[0]) : NULL;
    pthread_mutex_unlock(&room->lock);
    return id;
}

/* The createRoom body that rebuilds the old room's transferable state. */
static json_t *new_room_body(struct room *old, const char *user_id, const char *new_version,
                             const char *predecessor_event)
{
    json_t *creation = json_pack("{s:{s:s}}", "predecessor", "room_id", old->room_id);
    if (predecessor_event)
        json_object_set_new(json_object_get(creation, "predecessor"), "event_id",
                            json_string(predecessor_event));
    json_t *create = state_content(old, "m.room.create");
    json_t *type = json_object_get(create, "type");
    if (json_is_string(type))
        json_object_set(creation, "type", type);
    json_t *federate = json_object_get(create, "m.federate");
    if (federate)
        json_object_set(creation, "m.federate", federate);
    json_decref(create);

    json_t *initial = json_array();
    for (size_t i = 0; i < sizeof transferable / sizeof transferable[0]; i++) {
        json_t *c = state_content(old, transferable[i]);
        if (json_is_object(c))
            json_array_append_new(initial, json_pack("{s:s, s:s, s:O}", "type", transferable[i],
                                                     "state_key", "", "content", c));
        json_decref(c);
    }
    json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "room_version", new_version, "preset",
                             "private_chat", "creation_content", creation, "initial_state",
                             initial);

    json_t *pl_event = rooms_state_get(old, "m.room.power_levels", "");
    json_t *pl = json_deep_copy(json_object_get(pl_event, "content"));
    if (json_is_object(pl)) {
        /* The upgrader must be able to send every copied event and the power
         * levels themselves in the new room. */
        int64_t needed = matrix_power_event_level(old->version, pl_event, "m.room.power_levels",
                                                  true);
        for (size_t i = 0; i < sizeof transferable / sizeof transferable[0]; i++) {
            int64_t l = matrix_power_event_level(old->version, pl_event, transferable[i], true);
            if (l > needed)
                needed = l;
        }
        int64_t level = rooms_user_power(old, user_id);
        if (level < needed) {
            json_t *users = json_object_get(pl, "users");
            if (!json_is_object(users)) {
                users = json_object();
                json_object_set_new(pl, "users", users);
            }
            json_object_set_new(users, user_id, json_integer(needed));
        }
        json_object_set_new(body, "power_level_content_override", pl);
    } else {
        json_decref(pl);
    }
    json_decref(pl_event);
    return body;
}

/* Moves the local aliases of old_id to new_id; returns the canonical alias
 * content to give the new room (NULL: none). */
static json_t *move_aliases(struct server *srv, struct room *old, const char *new_id)
{
    char **aliases;
    size_t n;
    if (db_aliases_of_room(srv->db, old->room_id, &aliases, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            char *room_id = NULL, *creator = NULL;
            if (db_alias_get(srv->db, aliases[i], &room_id, &creator) == 0 &&
                db_alias_delete(srv->db, aliases[i]) == 0 &&
                db_alias_create(srv->db, aliases[i], new_id, creator) != 0)
                log_warn("upgrade: alias not moved alias=%s", aliases[i]);
            free(room_id);
            free(creator);
        }
        db_strings_free(aliases, n);
    }
    json_t *canonical = state_content(old, "m.room.canonical_alias");
    if (!json_is_object(canonical) || json_object_size(canonical) == 0) {
        json_decref(canonical);
        return NULL;
    }
    return canonical;
}

static void send_state(struct server *srv, const char *room_id, const char *user_id,
                       const char *type, json_t *content)
{
    struct room_send s = {room_id, user_id, type, "", content, NULL, NULL, NULL};
    char event_id[MATRIX_EVENT_ID_HASH_LEN], reason[256];
    int rc = rooms_send(srv, &s, event_id, reason, sizeof reason);
    if (rc)
        log_warn("upgrade: %s not sent room=%s err=%s reason=%s", type, room_id, err_str(rc),
                 reason);
}

int rooms_upgrade(struct server *srv, const char *user_id, const char *room_id,
                  const char *new_version, char **new_room_id, char *reason, size_t reason_len)
{
    *new_room_id = NULL;
    reason[0] = '\0';
    struct room *old;
    if (rooms_get(srv, room_id, &old) != 0) {
        snprintf(reason, reason_len, "Unknown room");
        return ERR_NOT_FOUND;
    }
    if (strcmp(rooms_membership_of(old, user_id), "join") != 0) {
        snprintf(reason, reason_len, "You are not in the room");
        return ERR_FORBIDDEN;
    }
    json_t *pl = rooms_state_get(old, "m.room.power_levels", "");
    int64_t needed = matrix_power_event_level(old->version, pl, "m.room.tombstone", true);
    json_decref(pl);
    if (rooms_user_power(old, user_id) < needed) {
        snprintf(reason, reason_len, "You don't have permission to upgrade the room");
        return ERR_FORBIDDEN;
    }
    const struct matrix_room_version *ver = matrix_room_version_find(new_version);
    if (!ver || !ver->implemented || ver->room_id_format != MATRIX_ROOM_ID_DOMAIN) {
        snprintf(reason, reason_len, "Room version %s is not supported", new_version);
        return ERR_UNSUPPORTED;
    }

    char *predecessor = newest_event(old);
    json_t *body = new_room_body(old, user_id, new_version, predecessor);
    free(predecessor);
    char *new_id = NULL;
    int rc = rooms_create(srv, user_id, body, &new_id, reason, reason_len);
    json_decref(body);
    if (rc)
        return rc;

    json_t *canonical = move_aliases(srv, old, new_id);
    if (canonical) {
        send_state(srv, new_id, user_id, "m.room.canonical_alias", canonical);
        json_t *empty = json_object();
        send_state(srv, room_id, user_id, "m.room.canonical_alias", empty);
        json_decref(empty);
        json_decref(canonical);
    }
    char *version = NULL;
    bool listed = false;
    if (db_room_get(srv->db, room_id, &version, &listed) == 0 && listed &&
        (db_room_set_public(srv->db, new_id, true) != 0 ||
         db_room_set_public(srv->db, room_id, false) != 0))
        log_warn("upgrade: directory listing not moved room=%s", room_id);
    free(version);

    json_t *tombstone = json_pack("{s:s, s:s}", "body", "This room has been replaced",
                                  "replacement_room", new_id);
    send_state(srv, room_id, user_id, "m.room.tombstone", tombstone);
    json_decref(tombstone);

    /* Step 6: nobody without power may talk or invite in the old room. */
    json_t *pl_event = rooms_state_get(old, "m.room.power_levels", "");
    json_t *restricted = json_deep_copy(json_object_get(pl_event, "content"));
    json_decref(pl_event);
    if (json_is_object(restricted)) {
        json_t *ud = json_object_get(restricted, "users_default");
        int64_t level = (json_is_integer(ud) ? json_integer_value(ud) : 0) + 1;
        if (level < 50)
            level = 50;
        json_object_set_new(restricted, "events_default", json_integer(level));
        json_object_set_new(restricted, "invite", json_integer(level));
        send_state(srv, room_id, user_id, "m.room.power_levels", restricted);
    }
    json_decref(restricted);
    log_info("room upgraded room=%s new_room=%s version=%s", room_id, new_id, new_version);
    *new_room_id = new_id;
    return 0;
}
