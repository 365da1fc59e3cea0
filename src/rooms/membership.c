/* membership.c: join, invite, leave, kick, ban, unban and knock as member
 * events through the pipeline. The auth rules decide; this file only shapes
 * the event. Spec: client-server "Room membership". */
#define LOG_MODULE "rooms"
#include "rooms/internal.h"

#include "base/err.h"
#include "base/mem.h"
#include "db/db.h"
#include "server/server.h"

#include <string.h>

/* Adds the user's profile (displayname, avatar_url) to a join or invite. */
static void add_profile(struct server *srv, const char *user_id, json_t *content)
{
    struct db_user u;
    if (db_user_get(srv->db, user_id, &u) != 0)
        return;
    if (u.displayname && !json_object_get(content, "displayname"))
        json_object_set_new(content, "displayname", json_string(u.displayname));
    if (u.avatar_url && !json_object_get(content, "avatar_url"))
        json_object_set_new(content, "avatar_url", json_string(u.avatar_url));
    db_user_fini(&u);
}

/* For a restricted room, a local joined user able to invite vouches for the join. */
static void add_authoriser(struct server *srv, const char *room_id, json_t *content)
{
    struct room *room;
    if (rooms_get(srv, room_id, &room) != 0)
        return;
    json_t *jr = rooms_state_get(room, "m.room.join_rules", "");
    const char *rule = json_string_value(json_object_get(json_object_get(jr, "content"),
                                                         "join_rule"));
    bool restricted = rule && (strcmp(rule, "restricted") == 0 ||
                               strcmp(rule, "knock_restricted") == 0);
    json_decref(jr);
    if (!restricted)
        return;
    json_t *pl = rooms_state_get(room, "m.room.power_levels", "");
    json_t *invite = json_object_get(json_object_get(pl, "content"), "invite");
    int64_t needed = json_is_integer(invite) ? json_integer_value(invite) : 0;
    json_decref(pl);
    size_t n;
    char **members = rooms_joined_members(room, &n);
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(members[i], ':');
        if (colon && strcmp(colon + 1, srv->cfg->server_name) == 0 &&
            rooms_user_power(room, members[i]) >= needed) {
            json_object_set_new(content, "join_authorised_via_users_server",
                                json_string(members[i]));
            break;
        }
    }
    db_strings_free(members, n);
}

bool rooms_id_is_ours(struct server *srv, const char *id)
{
    const char *colon = strchr(id, ':');
    return colon && strcmp(colon + 1, srv->cfg->server_name) == 0;
}

int rooms_membership(struct server *srv, const char *room_id, const char *sender,
                     const char *action, const char *target, json_t *extra_content,
                     char event_id[MATRIX_EVENT_ID_HASH_LEN], char *reason, size_t reason_len)
{
    static const struct {
        const char *action, *membership;
    } actions[] = {{"join", "join"},   {"invite", "invite"}, {"leave", "leave"},
                   {"kick", "leave"},  {"ban", "ban"},       {"unban", "leave"},
                   {"knock", "knock"}};
    const char *membership = NULL;
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(action, actions[i].action) == 0)
            membership = actions[i].membership;
    if (!membership)
        return ERR_INVALID;
    /* No federation: an invite would never reach a remote user. Refused
     * before any event is built, as Synapse when federation with the
     * invitee's server is not allowed. */
    if (strcmp(action, "invite") == 0 && !rooms_id_is_ours(srv, target)) {
        const char *colon = strchr(target, ':');
        snprintf(reason, reason_len, "Federation denied with %s.", colon ? colon + 1 : target);
        return ERR_FORBIDDEN;
    }
    json_t *content = json_object();
    if (extra_content)
        json_object_update(content, extra_content);
    json_object_set_new(content, "membership", json_string(membership));
    if (strcmp(action, "join") == 0) {
        add_profile(srv, target, content);
        add_authoriser(srv, room_id, content);
    } else if (strcmp(action, "invite") == 0 || strcmp(action, "knock") == 0) {
        add_profile(srv, target, content);
    }
    if (strcmp(action, "unban") == 0) {
        /* Unbanning someone who is not banned is refused, as Synapse does. */
        struct room *room;
        if (rooms_get(srv, room_id, &room) == 0 &&
            strcmp(rooms_membership_of(room, target), "ban") != 0) {
            json_decref(content);
            snprintf(reason, reason_len, "%s is not banned", target);
            return ERR_FORBIDDEN;
        }
    }
    /* The same membership with the same content from the same sender (a
     * second join click) is the event already there, as Synapse answers. */
    struct room *room;
    if (rooms_get(srv, room_id, &room) == 0) {
        json_t *cur = rooms_state_get(room, "m.room.member", target);
        const char *cur_sender = json_string_value(json_object_get(cur, "sender"));
        const char *cur_id = json_string_value(json_object_get(cur, "event_id"));
        bool same = cur && cur_sender && cur_id && strcmp(cur_sender, sender) == 0 &&
                    json_equal(json_object_get(cur, "content"), content);
        if (same)
            snprintf(event_id, MATRIX_EVENT_ID_HASH_LEN, "%s", cur_id);
        json_decref(cur);
        if (same) {
            json_decref(content);
            return 0;
        }
        /* Kicking someone who is not there (left, banned or never in the
         * room) is refused, as Synapse does; a new kick would add a leave. */
        const char *m = rooms_membership_of(room, target);
        if (strcmp(action, "kick") == 0 && (strcmp(m, "leave") == 0 || strcmp(m, "ban") == 0)) {
            json_decref(content);
            snprintf(reason, reason_len, "The target user is not in the room");
            return ERR_FORBIDDEN;
        }
    }
    struct room_send req = {room_id, sender, "m.room.member", target, content, NULL, NULL, NULL};
    int rc = rooms_send(srv, &req, event_id, reason, reason_len);
    json_decref(content);
    return rc;
}

int rooms_readable(struct server *srv, struct room *room, const char *user_id,
                   char **leave_event_id)
{
    *leave_event_id = NULL;
    const char *m = rooms_membership_of(room, user_id);
    if (strcmp(m, "join") == 0)
        return 0;
    if (strcmp(m, "leave") == 0) {
        struct db_membership *ms;
        size_t n;
        if (db_user_memberships(srv->db, user_id, &ms, &n) == 0) {
            for (size_t i = 0; i < n && !*leave_event_id; i++)
                if (strcmp(ms[i].room_id, room->room_id) == 0 &&
                    strcmp(ms[i].membership, "leave") == 0)
                    *leave_event_id = xstrdup(ms[i].event_id);
            db_memberships_free(ms, n);
        }
        if (*leave_event_id)
            return 0;
    }
    json_t *hv = rooms_state_get(room, "m.room.history_visibility", "");
    const char *v = json_string_value(json_object_get(json_object_get(hv, "content"),
                                                      "history_visibility"));
    bool world = v && strcmp(v, "world_readable") == 0;
    json_decref(hv);
    return world ? 0 : ERR_FORBIDDEN;
}
