/* rooms.c: room endpoints: createRoom, membership (join, invite, leave,
 * forget, kick, ban, unban, knock), sending messages and state, reading
 * state, events, members and joined rooms, redactions.
 * Spec: client-server "Rooms", "Room membership", "Sending events", "Getting events". */
#define LOG_MODULE "rooms"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/client.h"
#include "db/db.h"
#include "matrix/ids.h"
#include "rooms/rooms.h"
#include "sync/notify.h"
#include "sync/sync.h"

#include <string.h>

/* Turns a pipeline error into the client's answer. */
void client_rooms_error(struct http_reply *rep, int rc, const char *reason)
{
    switch (rc) {
    case ERR_NOT_FOUND:
        http_reply_error(rep, 404, "M_NOT_FOUND", "Unknown room");
        break;
    case ERR_FORBIDDEN:
        http_reply_error(rep, 403, "M_FORBIDDEN", "%s", reason && reason[0] ? reason : "Forbidden");
        break;
    case ERR_TOO_LARGE:
        http_reply_error(rep, 413, "M_TOO_LARGE", "%s", reason && reason[0] ? reason : "Event too large");
        break;
    case ERR_INVALID:
        http_reply_error(rep, 400, "M_BAD_JSON", "%s", reason && reason[0] ? reason : "Invalid event");
        break;
    case ERR_UNSUPPORTED:
        http_reply_error(rep, 400, "M_UNSUPPORTED_ROOM_VERSION", "%s",
                         reason && reason[0] ? reason : "Unsupported room version");
        break;
    case ERR_EXISTS:
        http_reply_error(rep, 400, "M_ROOM_IN_USE", "%s", reason && reason[0] ? reason : "In use");
        break;
    default:
        client_internal_error(rep, rc);
    }
}

/* createRoom's invites that need what relais does not have: a user on
 * another server (no federation) or a third-party ID (no identity server).
 * Answered as Synapse answers when federation with that server, or 3PID
 * lookups, are denied, but before the room exists (Synapse creates the room
 * first). False when answered. */
static bool create_invites_possible(struct server *srv, json_t *body, struct http_reply *rep)
{
    json_t *threepids = json_object_get(body, "invite_3pid");
    if (threepids && !json_is_array(threepids)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'invite_3pid' has the wrong type");
        return false;
    }
    static const char *const keys[] = {"medium", "address", "id_server", "id_access_token"};
    size_t i;
    json_t *v;
    json_array_foreach(threepids, i, v)
    {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (!json_object_get(v, keys[k])) {
                http_reply_error(rep, 400, "M_MISSING_PARAM",
                                 "all of `medium`, `address`, `id_server` and `id_access_token` "
                                 "are required when making a 3pid invite");
                return false;
            }
    }
    json_array_foreach(json_object_get(body, "invite"), i, v)
    {
        const char *id = json_string_value(v);
        struct matrix_user_id uid;
        if (id && matrix_user_id_parse(id, strlen(id), &uid) == 0 && !rooms_id_is_ours(srv, id)) {
            http_reply_error(rep, 403, "M_FORBIDDEN", "Federation denied with %.*s.",
                             (int)uid.server_name.len, uid.server_name.ptr);
            return false;
        }
    }
    if (json_array_size(threepids) > 0) {
        http_reply_error(rep, 403, "M_UNKNOWN",
                         "Looking up third-party identifiers is denied from this server");
        return false;
    }
    return true;
}

/* POST /createRoom */
void client_create_room(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    if (!create_invites_possible(srv, req->json, rep))
        return;
    char *room_id;
    char reason[256];
    int rc = rooms_create(srv, req->user_id, req->json, &room_id, reason, sizeof reason);
    if (rc) {
        client_rooms_error(rep, rc, reason);
        return;
    }
    json_t *body = json_pack("{s:s}", "room_id", room_id);
    const char *alias = json_string_value(json_object_get(req->json, "room_alias_name"));
    if (alias)
        json_object_set_new(body, "room_alias",
                            json_sprintf("#%s:%s", alias, srv->cfg->server_name));
    http_reply_json(rep, 200, body);
    free(room_id);
}

/* Resolves a room ID or alias (local aliases only until federation). Owned result. */
static char *resolve_room(struct server *srv, struct http_reply *rep, const char *id_or_alias)
{
    if (id_or_alias[0] == '!')
        return xstrdup(id_or_alias);
    if (id_or_alias[0] == '#') {
        if (!rooms_id_is_ours(srv, id_or_alias)) { /* would be a federation query (Synapse) */
            http_reply_error(rep, 502, "M_UNKNOWN", "Failed to fetch alias");
            return NULL;
        }
        char *room_id;
        if (db_alias_get(srv->db, id_or_alias, &room_id, NULL) == 0)
            return room_id;
        http_reply_error(rep, 404, "M_NOT_FOUND", "Room alias %s not found", id_or_alias);
        return NULL;
    }
    http_reply_error(rep, 400, "M_INVALID_PARAM", "Not a room ID or alias");
    return NULL;
}

/* A join or knock on a room this server does not hold and whose ID names
 * another server would need federation: answered as Synapse answers when
 * federation with every candidate server is denied ("No known servers" when
 * a join names none), before any event is built. False when answered. */
static bool remote_room_refused(struct http_request *req, struct http_reply *rep,
                                const char *room_id, const char *action)
{
    bool knock = strcmp(action, "knock") == 0;
    if (!knock && strcmp(action, "join") != 0)
        return true;
    struct server *srv = client_server(req);
    struct room *room;
    if (rooms_id_is_ours(srv, room_id) || rooms_get(srv, room_id, &room) == 0)
        return true;
    /* a knock also asks the room ID's server; a join only the via/server_name ones */
    bool via = knock || http_query(req, "via") || http_query(req, "server_name");
    if (via)
        http_reply_error(rep, 502, "M_UNKNOWN", "Failed to make_%s via any server", action);
    else
        http_reply_error(rep, 404, "M_UNKNOWN", "No known servers");
    return false;
}

/* Common body of the membership endpoints. target NULL = the sender. */
static void membership(struct http_request *req, struct http_reply *rep, const char *room_id,
                       const char *action, const char *target)
{
    struct server *srv = client_server(req);
    /* The spec types reason as a string; Synapse stores whatever it is given,
     * which clients reading it as a string then trip on: refused here. */
    json_t *why = json_object_get(req->json, "reason");
    if (why && !json_is_null(why) && !json_is_string(why)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "reason must be a string");
        return;
    }
    if (!remote_room_refused(req, rep, room_id, action))
        return;
    json_t *extra = json_object();
    if (json_is_string(why))
        json_object_set_new(extra, "reason", json_incref(why));
    char event_id[MATRIX_EVENT_ID_HASH_LEN], reason[256];
    int rc = rooms_membership(srv, room_id, req->user_id, action, target ? target : req->user_id,
                              extra, event_id, reason, sizeof reason);
    json_decref(extra);
    if (rc) {
        client_rooms_error(rep, rc, reason);
        return;
    }
    if (strcmp(action, "join") == 0 || strcmp(action, "knock") == 0)
        http_reply_json(rep, 200, json_pack("{s:s}", "room_id", room_id));
    else
        http_reply_json(rep, 200, json_object());
}

/* POST /join/{roomIdOrAlias} and /knock/{roomIdOrAlias} */
void client_join_by_alias(struct http_request *req, struct http_reply *rep)
{
    char *room_id = resolve_room(client_server(req), rep, req->params[0]);
    if (!room_id)
        return;
    bool knock = strstr(req->path, "/knock/") != NULL;
    membership(req, rep, room_id, knock ? "knock" : "join", NULL);
    free(room_id);
}

/* POST /rooms/{roomId}/join|leave */
void client_room_join(struct http_request *req, struct http_reply *rep)
{
    membership(req, rep, req->params[0], "join", NULL);
}

void client_room_leave(struct http_request *req, struct http_reply *rep)
{
    membership(req, rep, req->params[0], "leave", NULL);
}

/* POST /rooms/{roomId}/invite|kick|ban|unban {user_id, reason} */
void client_room_member_action(struct http_request *req, struct http_reply *rep)
{
    const char *slash = strrchr(req->path, '/');
    const char *action = slash ? slash + 1 : "";
    /* A third-party invite (medium, address): relais has no identity
     * server, so it answers as Synapse with 3PID lookups disabled. */
    if (strcmp(action, "invite") == 0 && json_object_get(req->json, "medium") &&
        json_object_get(req->json, "address")) {
        if (!json_object_get(req->json, "id_server") ||
            !json_object_get(req->json, "id_access_token"))
            http_reply_error(rep, 400, "M_MISSING_PARAM",
                             "`id_server` and `id_access_token` are required when doing 3pid invite");
        else
            http_reply_error(rep, 403, "M_UNKNOWN",
                             "Looking up third-party identifiers is denied from this server");
        return;
    }
    const char *target;
    if (!client_req_string(rep, req->json, "user_id", &target))
        return;
    struct matrix_user_id uid;
    if (matrix_user_id_parse(target, strlen(target), &uid) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid user_id");
        return;
    }
    membership(req, rep, req->params[0], action, target);
}

/* POST /rooms/{roomId}/forget: only once the user has left. */
void client_room_forget(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct room *room;
    if (rooms_get(srv, req->params[0], &room) != 0) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Unknown room");
        return;
    }
    const char *m = rooms_membership_of(room, req->user_id);
    if (strcmp(m, "join") == 0 || strcmp(m, "invite") == 0 || strcmp(m, "knock") == 0) {
        http_reply_error(rep, 400, "M_UNKNOWN", "Leave the room before forgetting it");
        return;
    }
    int rc = db_membership_forget(srv->db, req->params[0], req->user_id);
    if (rc)
        client_internal_error(rep, rc);
    else
        http_reply_json(rep, 200, json_object());
}

/* True when s can stand between JSON quotes as it is. */
static bool json_plain(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\')
            return false;
    return true;
}

/* The end of send_event's rooms_send_async: answers the deferred request (on the
 * db writer's thread: the usual answer is written as text, not built and dumped). */
static void event_sent(void *ctx, int rc, const char *event_id, const char *reason)
{
    struct http_request *req = ctx;
    struct http_reply rep = {0};
    if (rc) {
        client_rooms_error(&rep, rc, reason);
    } else if (json_plain(event_id)) {
        struct buf b;
        buf_init(&b, 64 + strlen(event_id));
        buf_printf(&b, "{\"event_id\":\"%s\"}", event_id);
        rep.body_len = b.len;
        rep.body = buf_steal(&b);
        rep.content_type = "application/json";
    } else {
        http_reply_json(&rep, 200, json_pack("{s:s}", "event_id", event_id));
    }
    http_request_finish(req, &rep);
}

/* Sends the event and answers once it is durable, from the database writer
 * (http_request_defer): no request thread waits for the fsync. PUT /send runs
 * on the polling thread (ROUTE_INLINE) and goes to a write worker only when the
 * send would wait for the room's previous event or for the push worker. */
static void send_event(struct http_request *req, struct http_reply *rep, const char *type,
                       const char *state_key, const char *txn_id, const char *redacts)
{
    (void)rep; /* event_sent answers */
    struct server *srv = client_server(req);
    struct room_send s = {req->params[0], req->user_id, type, state_key, req->json,
                          txn_id ? req->device_id : NULL, txn_id, redacts};
    http_request_defer(req);
    if (rooms_send_async(srv, &s, !http_request_may_wait(req), event_sent, req) == ERR_LIMIT)
        http_request_offload(req);
}

/* PUT /rooms/{roomId}/send/{eventType}/{txnId} */
void client_room_send(struct http_request *req, struct http_reply *rep)
{
    if (strcmp(req->params[1], "m.room.redaction") == 0) {
        const char *redacts = json_string_value(json_object_get(req->json, "redacts"));
        if (!redacts) {
            http_reply_error(rep, 400, "M_BAD_JSON", "m.room.redaction needs 'redacts'");
            return;
        }
        send_event(req, rep, req->params[1], NULL, req->params[2], redacts);
        return;
    }
    send_event(req, rep, req->params[1], NULL, req->params[2], NULL);
}

/* PUT /rooms/{roomId}/state/{eventType}[/{stateKey}] */
void client_room_state_put(struct http_request *req, struct http_reply *rep)
{
    if (strcmp(req->params[1], "m.room.canonical_alias") == 0 &&
        !client_canonical_alias_check(client_server(req), rep, req->params[0], req->json))
        return;
    const char *type = req->params[1], *key = req->n_params > 2 ? req->params[2] : "";
    /* An invite of a remote user written as state is refused as POST /invite is. */
    const char *m = json_string_value(json_object_get(req->json, "membership"));
    if (strcmp(type, "m.room.member") == 0 && m && strcmp(m, "invite") == 0 && strchr(key, ':') &&
        !rooms_id_is_ours(client_server(req), key)) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "Federation denied with %s.", strchr(key, ':') + 1);
        return;
    }
    /* As Synapse: the same content from the same (joined) sender as the
     * current state event is not sent again; its event ID is the answer. */
    struct room *room;
    if (strcmp(type, "m.room.member") != 0 && json_is_object(req->json) &&
        rooms_get(client_server(req), req->params[0], &room) == 0 &&
        strcmp(rooms_membership_of(room, req->user_id), "join") == 0) {
        json_t *cur = rooms_state_get(room, type, key);
        const char *sender = json_string_value(json_object_get(cur, "sender"));
        const char *id = json_string_value(json_object_get(cur, "event_id"));
        if (id && sender && strcmp(sender, req->user_id) == 0 &&
            json_equal(json_object_get(cur, "content"), req->json)) {
            http_reply_json(rep, 200, json_pack("{s:s}", "event_id", id));
            json_decref(cur);
            return;
        }
        json_decref(cur);
    }
    send_event(req, rep, type, key, NULL, NULL);
}

/* PUT /rooms/{roomId}/redact/{eventId}/{txnId} */
void client_room_redact(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct db_event target;
    int rc = db_event_get(srv->db, req->params[1], &target);
    if (rc == 0 && strcmp(target.room_id, req->params[0]) != 0)
        rc = ERR_NOT_FOUND;
    if (rc == 0)
        db_event_fini(&target);
    if (rc) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Event not found");
        return;
    }
    struct room *room;
    if (rooms_get(srv, req->params[0], &room) == 0) {
        /* Redacting someone else's event needs the redact level (rooms v3+:
         * the check is the server's, not the auth rules'). */
        struct db_event e;
        if (db_event_get(srv->db, req->params[1], &e) == 0) {
            bool own = strcmp(e.sender, req->user_id) == 0;
            db_event_fini(&e);
            json_t *pl = rooms_state_get(room, "m.room.power_levels", "");
            json_t *lvl = json_object_get(json_object_get(pl, "content"), "redact");
            int64_t needed = json_is_integer(lvl) ? json_integer_value(lvl) : 50;
            json_decref(pl);
            if (!own && rooms_user_power(room, req->user_id) < needed) {
                http_reply_error(rep, 403, "M_FORBIDDEN",
                                 "You don't have permission to redact events");
                return;
            }
        }
        if (room->version->redacts_in_content)
            json_object_set_new(req->json, "redacts", json_string(req->params[1]));
    }
    send_event(req, rep, "m.room.redaction", NULL, req->params[2], req->params[1]);
}

/* What a reader sees of a room's state: the current state, or for a departed
 * user the state at their leave (as Synapse). */
struct readable {
    struct room *room;            /* the room */
    bool at_leave;                /* st holds the state to show (at the leave or at ?at=) */
    int64_t leave_pos;            /* stream position of the user's leave, or INT64_MAX */
    struct db_state_entries st;   /* when at_leave */
};

static void readable_fini(struct readable *r)
{
    if (r->at_leave)
        db_state_entries_fini(&r->st);
}

/* Loads what the user may read of room_id: 0, ERR_FORBIDDEN or a db error. */
static int readable_load(struct server *srv, const char *room_id, const char *user_id,
                         struct readable *out)
{
    memset(out, 0, sizeof *out);
    out->leave_pos = INT64_MAX;
    char *leave_id = NULL;
    if (rooms_get(srv, room_id, &out->room) != 0 ||
        rooms_readable(srv, out->room, user_id, &leave_id) != 0)
        return ERR_FORBIDDEN;
    if (!leave_id)
        return 0;
    struct db_event e;
    int rc = db_event_get(srv->db, leave_id, &e);
    free(leave_id);
    if (rc == 0) {
        out->leave_pos = e.pos;
        rc = db_state_group_load(srv->db, e.state_group, &out->st);
        db_event_fini(&e);
    }
    if (rc)
        return rc;
    out->at_leave = true;
    return 0;
}

/* Whether the user may read the room's state and members (403 otherwise). */
static bool readable_room(struct http_request *req, struct http_reply *rep, struct readable *out)
{
    int rc = readable_load(client_server(req), req->params[0], req->user_id, out);
    if (rc == ERR_FORBIDDEN)
        http_reply_error(rep, 403, "M_FORBIDDEN", "You aren't a member of the room");
    else if (rc)
        client_internal_error(rep, rc);
    return rc == 0;
}

/* The stored event behind a state map entry, formatted for the client. */
static json_t *client_state_event(struct server *srv, const char *event_id,
                                  struct http_request *req)
{
    struct db_event e;
    json_t *out = NULL;
    if (event_id && db_event_get(srv->db, event_id, &e) == 0) {
        out = rooms_event_client_format(srv, &e, req->user_id, req->device_id);
        db_event_fini(&e);
    }
    return out;
}

struct state_collect {
    struct server *srv;
    struct http_request *req;
    json_t *out;
    const char *only_type; /* for /members: m.room.member */
    const char *membership, *not_membership;
};

static bool collect_wanted(const struct state_collect *c, const json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (c->only_type && (!type || strcmp(type, c->only_type) != 0))
        return false;
    const char *m = json_string_value(json_object_get(json_object_get(ev, "content"), "membership"));
    bool is = c->membership && m && strcmp(m, c->membership) == 0;
    bool is_not = c->not_membership && !(m && strcmp(m, c->not_membership) == 0);
    /* Both given: "an 'or' condition" (spec, GET /members); Synapse requires both. */
    if (c->membership && c->not_membership)
        return is || is_not;
    if (c->membership)
        return is;
    return !c->not_membership || is_not;
}

static void collect_state(const json_t *ev, void *arg)
{
    struct state_collect *c = arg;
    if (!collect_wanted(c, ev))
        return;
    json_t *f = client_state_event(c->srv, json_string_value(json_object_get(ev, "event_id")),
                                   c->req);
    if (f)
        json_array_append_new(c->out, f);
}

/* Collects the readable state: current, or at the user's leave. */
static int collect_readable(struct readable *r, struct state_collect *c)
{
    if (!r->at_leave) {
        pthread_mutex_lock(&r->room->lock);
        matrix_state_map_each(&r->room->state, collect_state, c);
        pthread_mutex_unlock(&r->room->lock);
        return 0;
    }
    struct db_event *events;
    size_t n;
    int rc = db_events_get_many(c->srv->db, r->st.event_ids, r->st.n, &events, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        json_t *f = rooms_event_client_format(c->srv, &events[i], c->req->user_id,
                                              c->req->device_id);
        if (collect_wanted(c, f))
            json_array_append_new(c->out, f);
        else
            json_decref(f);
    }
    db_events_free(events, n);
    return 0;
}

/* GET /rooms/{roomId}/state */
void client_room_state_all(struct http_request *req, struct http_reply *rep)
{
    struct readable r;
    if (!readable_room(req, rep, &r))
        return;
    struct state_collect c = {client_server(req), req, json_array(), NULL, NULL, NULL};
    int rc = collect_readable(&r, &c);
    readable_fini(&r);
    if (rc) {
        json_decref(c.out);
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, c.out);
}

/* GET /rooms/{roomId}/state/{eventType}[/{stateKey}] */
void client_room_state_get(struct http_request *req, struct http_reply *rep)
{
    const char *format = http_query(req, "format"); /* spec v1.16: content (default) or event */
    if (format && strcmp(format, "event") != 0 && strcmp(format, "content") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "format must be 'content' or 'event'");
        return;
    }
    struct readable r;
    if (!readable_room(req, rep, &r))
        return;
    const char *type = req->params[1], *key = req->n_params > 2 ? req->params[2] : "";
    json_t *ev = NULL;
    if (!r.at_leave) {
        json_t *cur = rooms_state_get(r.room, type, key);
        if (cur)
            ev = client_state_event(client_server(req),
                                    json_string_value(json_object_get(cur, "event_id")), req);
        json_decref(cur);
    } else {
        for (size_t i = 0; i < r.st.n && !ev; i++)
            if (strcmp(r.st.types[i], type) == 0 && strcmp(r.st.state_keys[i], key) == 0)
                ev = client_state_event(client_server(req), r.st.event_ids[i], req);
    }
    readable_fini(&r);
    if (!ev) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Event not found");
        return;
    }
    if (format && strcmp(format, "event") == 0)
        http_reply_json(rep, 200, ev);
    else {
        http_reply_json(rep, 200, json_incref(json_object_get(ev, "content")));
        json_decref(ev);
    }
}

/* NULL, or one of the spec's membership values (GET /members enum). */
static bool membership_valid(const char *m)
{
    static const char *const ok[] = {"join", "invite", "knock", "leave", "ban"};
    if (!m)
        return true;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(m, ok[i]) == 0)
            return true;
    return false;
}

/* One room as /initialSync shows it to req's user (r: what they may read;
 * ad: their account data). *out owned. Returns 0 or a db error. */
static int room_initial(struct http_request *req, struct readable *r, const char *room_id,
                        int64_t limit, const struct db_account_data_changes *ad, json_t **out)
{
    struct server *srv = client_server(req);
    *out = NULL;
    struct state_collect c = {srv, req, json_array(), NULL, NULL, NULL};
    int rc = collect_readable(r, &c);
    struct sync_filter all;
    char reason[64];
    sync_filter_parse(NULL, &all, reason, sizeof reason);
    int64_t hi = r->at_leave ? r->leave_pos : notifier_position(srv->notifier, NOTIFY_EVENTS);
    struct sync_page page = {0};
    if (!rc)
        rc = sync_events_page(srv, room_id, 0, hi, false, &all, req->user_id, INT64_MAX,
                              (size_t)limit, &page);
    sync_filter_fini(&all);
    if (rc) {
        json_decref(c.out);
        sync_page_fini(&page);
        return rc;
    }
    json_t *chunk = json_array();
    for (size_t i = page.n; i-- > 0;)
        json_array_append_new(chunk, rooms_event_client_format(srv, &page.events[i],
                                                               req->user_id, req->device_id));
    char start[32], end[32];
    snprintf(start, sizeof start, "t%lld", (long long)page.resume);
    snprintf(end, sizeof end, "t%lld", (long long)hi);
    json_t *messages = json_pack("{s:o, s:s}", "chunk", chunk, "end", end);
    if (page.more) /* "may be omitted" when nothing earlier is available */
        json_object_set_new(messages, "start", json_string(start));
    json_t *room_ad = json_array();
    for (size_t i = 0; i < ad->n; i++) {
        json_error_t jerr;
        json_t *content = strcmp(ad->room_ids[i], room_id) == 0
                              ? json_loads(ad->contents[i], 0, &jerr)
                              : NULL;
        if (content)
            json_array_append_new(room_ad, json_pack("{s:s, s:o}", "type", ad->types[i],
                                                     "content", content));
    }
    char *version = NULL;
    bool is_public = false;
    db_room_get(srv->db, room_id, &version, &is_public);
    free(version);
    json_t *body = json_pack("{s:s, s:o, s:o, s:s, s:o, s:[], s:[]}", "room_id", room_id,
                             "messages", messages, "state", c.out, "visibility",
                             is_public ? "public" : "private", "account_data", room_ad,
                             "presence", "receipts");
    const char *m = rooms_membership_of(r->room, req->user_id);
    if (r->at_leave || strcmp(m, "leave") != 0) /* a member or a departed one, not a peeker */
        json_object_set_new(body, "membership", json_string(m));
    sync_page_fini(&page);
    *out = body;
    return 0;
}

/* GET /rooms/{roomId}/initialSync (spec: "Room previews"; deprecated for
 * anything but peeking): the state (current, or at the user's leave) and the
 * newest visible messages, oldest first. As Synapse: members, departed
 * members (up to the leave) and anyone for world_readable rooms, who get no
 * `membership`; presence and receipts are left empty. */
void client_room_initial_sync(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t limit = 10;
    if (!client_query_limit(req, rep, 100, &limit))
        return;
    struct readable r;
    if (!readable_room(req, rep, &r))
        return;
    struct db_account_data_changes ad = {0};
    json_t *body = NULL;
    int rc = db_account_data_since(srv->db, req->user_id, 0, &ad);
    if (!rc)
        rc = room_initial(req, &r, req->params[0], limit, &ad, &body);
    db_account_data_changes_fini(&ad);
    readable_fini(&r);
    if (rc)
        client_internal_error(rep, rc);
    else
        http_reply_json(rep, 200, body);
}

/* GET /initialSync (deprecated; Synapse still serves it and some bots call
 * it): each joined room as /rooms/{id}/initialSync shows it, an invite as
 * its invite event, and with ?archived=true the rooms left (up to the leave,
 * history visibility enforced as for a departed member). As Synapse:
 * presence empty, the global account data, `end` a /events token. */
void client_initial_sync(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t limit = 10;
    if (!client_query_limit(req, rep, 100, &limit))
        return;
    const char *archived_q = http_query(req, "archived");
    bool archived = archived_q && strcmp(archived_q, "true") == 0;
    int64_t end_pos = notifier_position(srv->notifier, NOTIFY_EVENTS);
    struct db_membership *ms = NULL;
    size_t n = 0;
    struct db_account_data_changes ad = {0};
    int rc = db_user_memberships(srv->db, req->user_id, &ms, &n);
    if (!rc)
        rc = db_account_data_since(srv->db, req->user_id, 0, &ad);
    json_t *rooms = json_array();
    for (size_t i = 0; !rc && i < n; i++) {
        const char *m = ms[i].membership;
        if (strcmp(m, "invite") == 0 || strcmp(m, "knock") == 0) {
            struct db_event e;
            if (db_event_get(srv->db, ms[i].event_id, &e) != 0)
                continue;
            json_t *ev = rooms_event_client_format(srv, &e, req->user_id, req->device_id);
            db_event_fini(&e);
            json_t *entry = json_pack("{s:s, s:s}", "room_id", ms[i].room_id, "membership", m);
            json_object_set_new(entry, strcmp(m, "invite") == 0 ? "invite" : "knock", ev);
            json_array_append_new(rooms, entry);
            continue;
        }
        if (strcmp(m, "join") != 0 && !archived)
            continue;
        struct readable r;
        int lrc = readable_load(srv, ms[i].room_id, req->user_id, &r);
        if (lrc == ERR_FORBIDDEN) /* e.g. banned from a room that is not world_readable */
            continue;
        json_t *body = NULL;
        rc = lrc ? lrc : room_initial(req, &r, ms[i].room_id, limit, &ad, &body);
        if (!lrc)
            readable_fini(&r);
        if (!rc) {
            json_object_set_new(body, "membership", json_string(m));
            json_array_append_new(rooms, body);
        }
    }
    json_t *global_ad = json_array();
    for (size_t i = 0; !rc && i < ad.n; i++) {
        json_error_t jerr;
        json_t *content = ad.room_ids[i][0] ? NULL : json_loads(ad.contents[i], 0, &jerr);
        if (content)
            json_array_append_new(global_ad, json_pack("{s:s, s:o}", "type", ad.types[i],
                                                        "content", content));
    }
    db_account_data_changes_fini(&ad);
    db_memberships_free(ms, n);
    if (rc) {
        json_decref(rooms);
        json_decref(global_ad);
        client_internal_error(rep, rc);
        return;
    }
    char end[32];
    snprintf(end, sizeof end, "t%lld", (long long)end_pos);
    http_reply_json(rep, 200, json_pack("{s:s, s:o, s:[], s:o}", "end", end, "rooms", rooms,
                                        "presence", "account_data", global_ad));
}

/* GET /rooms/{roomId}/members */
void client_room_members(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct readable r;
    if (!readable_room(req, rep, &r))
        return;
    /* ?at=<prev_batch>: the members as they were at that point (never past a leave). */
    const char *at = http_query(req, "at");
    int64_t at_pos;
    int rc = 0;
    if (at && sync_pagination_parse(at, &at_pos) != 0) {
        readable_fini(&r);
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid 'at' token");
        return;
    }
    if (at && at_pos < r.leave_pos) {
        int64_t group;
        rc = db_room_state_group_before(srv->db, req->params[0], at_pos + 1, &group);
        if (!rc && group > 0) {
            readable_fini(&r);
            r.at_leave = false;
            rc = db_state_group_load(srv->db, group, &r.st);
            r.at_leave = rc == 0;
        }
    }
    struct state_collect c = {srv, req, json_array(), "m.room.member",
                              http_query(req, "membership"), http_query(req, "not_membership")};
    if (!rc && (!membership_valid(c.membership) || !membership_valid(c.not_membership))) {
        readable_fini(&r);
        json_decref(c.out);
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "membership must be join, invite, knock, leave or ban");
        return;
    }
    if (!rc)
        rc = collect_readable(&r, &c);
    readable_fini(&r);
    if (rc) {
        json_decref(c.out);
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, json_pack("{s:o}", "chunk", c.out));
}

struct joined_collect {
    json_t *joined;
};

static void collect_joined(const json_t *ev, void *arg)
{
    struct joined_collect *c = arg;
    if (strcmp(json_string_value(json_object_get(ev, "type")), "m.room.member") != 0)
        return;
    json_t *content = json_object_get(ev, "content");
    const char *m = json_string_value(json_object_get(content, "membership"));
    if (!m || strcmp(m, "join") != 0)
        return;
    json_t *info = json_object();
    json_t *dn = json_object_get(content, "displayname");
    json_t *av = json_object_get(content, "avatar_url");
    json_object_set(info, "display_name", json_is_string(dn) ? dn : json_null());
    json_object_set(info, "avatar_url", json_is_string(av) ? av : json_null());
    json_object_set_new(c->joined, json_string_value(json_object_get(ev, "state_key")), info);
}

/* GET /rooms/{roomId}/joined_members: only for users joined now ("The
 * current user must be in the room"; as Synapse, neither a departed member
 * nor a world_readable room is enough). */
void client_room_joined_members(struct http_request *req, struct http_reply *rep)
{
    struct room *room;
    if (rooms_get(client_server(req), req->params[0], &room) != 0 ||
        strcmp(rooms_membership_of(room, req->user_id), "join") != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You aren't a member of the room");
        return;
    }
    struct joined_collect c = {json_object()};
    pthread_mutex_lock(&room->lock);
    matrix_state_map_each(&room->state, collect_joined, &c);
    pthread_mutex_unlock(&room->lock);
    http_reply_json(rep, 200, json_pack("{s:o}", "joined", c.joined));
}

/* GET /joined_rooms */
void client_joined_rooms(struct http_request *req, struct http_reply *rep)
{
    struct db_membership *m;
    size_t n;
    int rc = db_user_memberships(client_server(req)->db, req->user_id, &m, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].membership, "join") == 0)
            json_array_append_new(list, json_string(m[i].room_id));
    db_memberships_free(m, n);
    http_reply_json(rep, 200, json_pack("{s:o}", "joined_rooms", list));
}

/* GET /rooms/{roomId}/event/{eventId} */
void client_room_event(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct db_event e;
    int rc = db_event_get(srv->db, req->params[1], &e);
    if (rc == 0 && (strcmp(e.room_id, req->params[0]) != 0 ||
                    !rooms_event_visible(srv, e.room_id, e.pos, req->user_id))) {
        db_event_fini(&e);
        rc = ERR_NOT_FOUND;
    }
    if (rc) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Event not found");
        return;
    }
    http_reply_json(rep, 200, rooms_event_client_format(srv, &e, req->user_id, req->device_id));
    db_event_fini(&e);
}
