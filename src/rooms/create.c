/* create.c: POST /createRoom: the initial events of a new room, built in the
 * spec's order (create, creator's join, power levels, canonical alias, preset
 * join rules and history visibility, initial_state, name, topic, invites) and
 * persisted in one transaction. Spec: client-server "Creation". */
#define LOG_MODULE "rooms"
#include "rooms/internal.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/random.h"
#include "db/db.h"
#include "matrix/ids.h"
#include "push/queue.h"
#include "server/server.h"

#include <string.h>

enum { CREATE_MAX_EVENTS = 128 };

struct builder {
    struct server *srv;
    struct room *room;
    const char *creator;
    struct rooms__pending pending[CREATE_MAX_EVENTS];
    struct room_send sends[CREATE_MAX_EVENTS];
    json_t *contents[CREATE_MAX_EVENTS]; /* owned contents */
    char *keys[CREATE_MAX_EVENTS];       /* owned state keys */
    size_t n;
    char *reason;
    size_t reason_len;
};

/* Builds one state event on the new room and applies it to the head. Takes content. */
static int add(struct builder *b, const char *type, const char *state_key, json_t *content)
{
    if (b->n == CREATE_MAX_EVENTS) {
        json_decref(content);
        snprintf(b->reason, b->reason_len, "too many initial events");
        return ERR_TOO_LARGE;
    }
    size_t i = b->n;
    b->contents[i] = content;
    b->keys[i] = xstrdup(state_key);
    b->sends[i] = (struct room_send){b->room->room_id, b->creator, type, b->keys[i], content,
                                     NULL, NULL, NULL};
    int rc = rooms__build(b->srv, b->room, &b->sends[i], &b->pending[i], b->reason, b->reason_len);
    if (rc) {
        json_decref(content);
        free(b->keys[i]);
        return rc;
    }
    rooms__apply(b->room, &b->pending[i], 0);
    b->n++;
    return 0;
}

static json_t *power_levels(const char *creator, const char *preset, json_t *invites,
                            json_t *override)
{
    bool is_public = strcmp(preset, "public_chat") == 0;
    json_t *users = json_pack("{s:i}", creator, 100);
    if (strcmp(preset, "trusted_private_chat") == 0) {
        size_t i;
        json_t *v;
        json_array_foreach(invites, i, v) json_object_set_new(users, json_string_value(v),
                                                              json_integer(100));
    }
    json_t *pl = json_pack(
        "{s:o, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}, s:i, s:i, s:i, s:i, s:i, s:i, "
        "s:{s:i}}",
        "users", users, "users_default", 0, "events", "m.room.name", 50, "m.room.power_levels",
        100, "m.room.history_visibility", 100, "m.room.canonical_alias", 50, "m.room.avatar", 50,
        "m.room.tombstone", 100, "m.room.server_acl", 100, "m.room.encryption", 100,
        "events_default", 0, "state_default", 50, "ban", 50, "kick", 50, "redact", 50, "invite",
        is_public ? 50 : 0, "notifications", "room", 50);
    if (json_is_object(override))
        json_object_update(pl, override);
    return pl;
}

static bool valid_body(json_t *body, char *reason, size_t reason_len)
{
    static const struct {
        const char *key;
        json_type type;
    } shapes[] = {
        {"visibility", JSON_STRING},   {"preset", JSON_STRING},
        {"room_version", JSON_STRING}, {"name", JSON_STRING},
        {"topic", JSON_STRING},        {"room_alias_name", JSON_STRING},
        {"invite", JSON_ARRAY},        {"initial_state", JSON_ARRAY},
        {"creation_content", JSON_OBJECT}, {"power_level_content_override", JSON_OBJECT},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        json_t *v = json_object_get(body, shapes[i].key);
        if (v && json_typeof(v) != shapes[i].type) {
            snprintf(reason, reason_len, "'%s' has the wrong type", shapes[i].key);
            return false;
        }
    }
    const char *preset = json_string_value(json_object_get(body, "preset"));
    if (preset && strcmp(preset, "private_chat") != 0 && strcmp(preset, "public_chat") != 0 &&
        strcmp(preset, "trusted_private_chat") != 0) {
        snprintf(reason, reason_len, "unknown preset '%s'", preset);
        return false;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(body, "invite"), i, v)
    {
        const char *id = json_string_value(v);
        struct matrix_user_id uid;
        if (!id || matrix_user_id_parse(id, strlen(id), &uid) != 0) {
            snprintf(reason, reason_len, "invite list holds an invalid user ID");
            return false;
        }
    }
    json_array_foreach(json_object_get(body, "initial_state"), i, v)
    {
        if (!json_is_string(json_object_get(v, "type")) ||
            !json_is_object(json_object_get(v, "content")) ||
            (json_object_get(v, "state_key") && !json_is_string(json_object_get(v, "state_key")))) {
            snprintf(reason, reason_len, "initial_state entries need type and content");
            return false;
        }
    }
    return true;
}

int rooms_create(struct server *srv, const char *creator, json_t *body, char **room_id_out,
                 char *reason, size_t reason_len)
{
    *room_id_out = NULL;
    reason[0] = '\0';
    if (!valid_body(body, reason, reason_len))
        return ERR_INVALID;
    const char *version_id = json_string_value(json_object_get(body, "room_version"));
    const struct matrix_room_version *ver =
        version_id ? matrix_room_version_find(version_id) : matrix_room_version_default();
    if (!ver || !ver->implemented || ver->room_id_format != MATRIX_ROOM_ID_DOMAIN) {
        snprintf(reason, reason_len, "room version %s is not supported", version_id);
        return ERR_UNSUPPORTED;
    }
    const char *visibility = json_string_value(json_object_get(body, "visibility"));
    bool listed = visibility && strcmp(visibility, "public") == 0;
    const char *preset = json_string_value(json_object_get(body, "preset"));
    if (!preset)
        preset = listed ? "public_chat" : "private_chat";
    json_t *invites = json_object_get(body, "invite");
    bool is_direct = json_is_true(json_object_get(body, "is_direct"));

    char *alias = NULL;
    const char *alias_name = json_string_value(json_object_get(body, "room_alias_name"));
    if (alias_name) {
        size_t len = strlen(alias_name) + strlen(srv->cfg->server_name) + 3;
        alias = xmalloc(len);
        snprintf(alias, len, "#%s:%s", alias_name, srv->cfg->server_name);
        struct matrix_room_alias parsed;
        char *existing = NULL;
        if (!alias_name[0] || strchr(alias_name, ':') ||
            matrix_room_alias_parse(alias, strlen(alias), &parsed) != 0) {
            snprintf(reason, reason_len, "invalid room_alias_name");
            free(alias);
            return ERR_INVALID;
        }
        if (db_alias_get(srv->db, alias, &existing, NULL) == 0) {
            free(existing);
            free(alias);
            snprintf(reason, reason_len, "Room alias already taken");
            return ERR_EXISTS;
        }
    }

    char local[19];
    crypto_random_token(local, sizeof local);
    size_t id_len = strlen(local) + strlen(srv->cfg->server_name) + 3;
    char *room_id = xmalloc(id_len);
    snprintf(room_id, id_len, "!%s:%s", local, srv->cfg->server_name);

    struct builder *b = xcalloc(1, sizeof *b);
    b->srv = srv;
    b->room = rooms__room_new(room_id, ver);
    b->creator = creator;
    b->reason = reason;
    b->reason_len = reason_len;

    json_t *create = json_object();
    json_t *cc = json_object_get(body, "creation_content");
    if (cc)
        json_object_update(create, cc);
    json_object_del(create, "creator");
    if (ver->create_requires_creator)
        json_object_set_new(create, "creator", json_string(creator));
    json_object_set_new(create, "room_version", json_string(ver->id));
    int rc = add(b, "m.room.create", "", create);

    struct db_user u;
    bool have_profile = db_user_get(srv->db, creator, &u) == 0;
    json_t *join = json_pack("{s:s}", "membership", "join");
    if (have_profile && u.displayname)
        json_object_set_new(join, "displayname", json_string(u.displayname));
    if (have_profile && u.avatar_url)
        json_object_set_new(join, "avatar_url", json_string(u.avatar_url));
    if (have_profile)
        db_user_fini(&u);
    if (!rc)
        rc = add(b, "m.room.member", creator, join);
    else
        json_decref(join);
    if (!rc)
        rc = add(b, "m.room.power_levels", "",
                 power_levels(creator, preset, invites,
                              json_object_get(body, "power_level_content_override")));
    if (!rc && alias)
        rc = add(b, "m.room.canonical_alias", "", json_pack("{s:s}", "alias", alias));
    if (!rc)
        rc = add(b, "m.room.join_rules", "",
                 json_pack("{s:s}", "join_rule",
                           strcmp(preset, "public_chat") == 0 ? "public" : "invite"));
    if (!rc)
        rc = add(b, "m.room.history_visibility", "", json_pack("{s:s}", "history_visibility",
                                                               "shared"));
    /* The private presets let guests join (spec: createRoom presets, as Synapse). */
    if (!rc && strcmp(preset, "public_chat") != 0)
        rc = add(b, "m.room.guest_access", "", json_pack("{s:s}", "guest_access", "can_join"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(body, "initial_state"), i, v)
    {
        if (rc)
            break;
        const char *key = json_string_value(json_object_get(v, "state_key"));
        rc = add(b, json_string_value(json_object_get(v, "type")), key ? key : "",
                 json_deep_copy(json_object_get(v, "content")));
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!rc && name)
        rc = add(b, "m.room.name", "", json_pack("{s:s}", "name", name));
    const char *topic = json_string_value(json_object_get(body, "topic"));
    if (!rc && topic)
        rc = add(b, "m.room.topic", "",
                 json_pack("{s:s, s:{s:[{s:s}]}}", "topic", topic, "m.topic", "m.text", "body",
                           topic)); /* spec v1.15: m.topic, text/plain when no mimetype */
    json_array_foreach(invites, i, v)
    {
        if (rc)
            break;
        json_t *content = json_pack("{s:s}", "membership", "invite");
        if (is_direct)
            json_object_set_new(content, "is_direct", json_true());
        struct db_user target;
        if (db_user_get(srv->db, json_string_value(v), &target) == 0) {
            if (target.displayname)
                json_object_set_new(content, "displayname", json_string(target.displayname));
            db_user_fini(&target);
        }
        rc = add(b, "m.room.member", json_string_value(v), content);
    }

    if (!rc)
        rc = db_room_create(srv->db, room_id, ver->id, creator);
    /* The alias is claimed before the events are stored: of two createRoom
     * with the same name at once, the one refused stores nothing (its room,
     * invites included, would stay, and its events never reach the push
     * rules). */
    bool alias_claimed = false;
    if (!rc && alias) {
        rc = db_alias_create(srv->db, alias, room_id, creator);
        alias_claimed = rc == 0;
        if (rc == ERR_EXISTS)
            snprintf(reason, reason_len, "Room alias already taken");
    }
    struct db_event_write *writes = xcalloc(b->n + 1, sizeof *writes);
    for (size_t k = 0; !rc && k < b->n; k++)
        rooms__pending_write(&b->sends[k], &b->pending[k], &writes[k]);
    if (!rc)
        rc = db_events_persist(srv->db, writes, b->n);
    if (rc && alias_claimed && db_alias_delete(srv->db, alias))
        log_error("createRoom failed and its alias %s could not be released", alias);
    if (!rc && listed)
        rc = db_room_set_public(srv->db, room_id, true);
    if (!rc) {
        b->room->state_group = writes[b->n - 1].state_group;
        rooms__register(srv, b->room);
        pthread_mutex_lock(&b->room->lock);
        for (size_t k = 0; k < b->n; k++) {
            const char *target =
                strcmp(b->sends[k].type, "m.room.member") == 0 ? b->sends[k].state_key : NULL;
            if (target && strcmp(target, creator) != 0)
                rooms__notify(srv, b->room, target, writes[k].pos);
        }
        rooms__notify(srv, b->room, NULL, writes[b->n - 1].pos);
        pthread_mutex_unlock(&b->room->lock);
        /* push rules see the room's first events too: an invite in createRoom notifies */
        for (size_t k = 0; k < b->n; k++)
            push_event_persisted(srv, b->pending[k].event_id, b->pending[k].pdu, writes[k].pos);
        *room_id_out = room_id;
        log_info("room created room=%s version=%s events=%zu", room_id, ver->id, b->n);
    } else {
        free(room_id);
        matrix_state_map_fini(&b->room->state);
        db_strings_free(b->room->extremities, b->room->n_extremities);
        pthread_cond_destroy(&b->room->sent);
        pthread_mutex_destroy(&b->room->lock);
        free(b->room->room_id);
        free(b->room);
    }
    free(writes);
    for (size_t k = 0; k < b->n; k++) {
        rooms__pending_fini(&b->pending[k]);
        json_decref(b->contents[k]);
        free(b->keys[k]);
    }
    free(b);
    free(alias);
    return rc;
}
