/* hierarchy.c: GET /_matrix/client/v1/rooms/{roomId}/hierarchy, the rooms of
 * a space tree (spec: client-server "Spaces", "Discovering rooms within
 * spaces"), breadth first from the root, for the rooms on this server (no
 * federation yet: remote children are left out).
 *
 * As Synapse: a room is shown when the user is joined or invited, its join
 * rule is public or knock (knock_restricted where the version has it), its
 * history is world_readable, or it is restricted to a room the user is joined
 * to; the root must be one of these (403 otherwise). Only rooms of type
 * m.space list their m.space.child events (children_state) and are walked;
 * a child event counts when its `via` is a non-empty array. Children are
 * walked in the spec's display order ("Ordering of children within a
 * space"): a valid `order` first, then origin_server_ts, then room ID.
 * Tokens are "h<offset>_<max_depth>_<suggested>" into the same walk; a token
 * from other parameters is refused (400 M_INVALID_PARAM).
 *
 * Also GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (spec v1.15, "Room
 * summary"): the same entry for one room, with the user's membership ("leave"
 * when none), 404 M_NOT_FOUND when the room is unknown here or may not be
 * previewed (Synapse). Authenticated only for now. */
#define LOG_MODULE "hierarchy"
#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/client.h"
#include "db/db.h"
#include "matrix/versions.h"
#include "rooms/rooms.h"

#include <stdlib.h>
#include <string.h>

enum {
    HIERARCHY_DEFAULT_LIMIT = 50,
    HIERARCHY_MAX_LIMIT = 50,     /* per page */
    HIERARCHY_MAX_DEPTH = 50,     /* deepest level walked */
    HIERARCHY_MAX_ROOMS = 1000,   /* rooms one walk visits at most */
    HIERARCHY_ORDER_MAX_LEN = 50, /* m.space.child order: at most 50 characters */
};

/* One m.space.child event of a space, for sorting. */
struct child {
    json_t *ev;          /* owned reference to the state event */
    const char *room_id; /* its state_key, borrowed from ev */
    const char *order;   /* valid content.order or NULL, borrowed from ev */
    int64_t ts;          /* origin_server_ts */
};

struct child_list {
    struct child *items; /* owned */
    size_t n, cap;       /* used and allocated entries */
};

/* order: a string of 1-50 characters in 0x20..0x7E (spec: m.space.child). */
static const char *valid_order(const json_t *content)
{
    const char *o = json_string_value(json_object_get(content, "order"));
    if (!o || strlen(o) > HIERARCHY_ORDER_MAX_LEN)
        return NULL;
    for (const char *p = o; *p; p++)
        if (*p < 0x20 || *p > 0x7E)
            return NULL;
    return o;
}

static void collect_child(const json_t *ev, void *arg)
{
    struct child_list *l = arg;
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *key = json_string_value(json_object_get(ev, "state_key"));
    const json_t *content = json_object_get(ev, "content");
    const json_t *via = json_object_get(content, "via");
    if (!type || strcmp(type, "m.space.child") != 0 || !key || key[0] != '!' ||
        !json_is_array(via) || json_array_size(via) == 0)
        return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    struct child *c = &l->items[l->n++];
    c->ev = json_incref((json_t *)ev);
    c->room_id = key;
    c->order = valid_order(content);
    c->ts = json_integer_value(json_object_get(ev, "origin_server_ts"));
}

static int child_cmp(const void *a, const void *b)
{
    const struct child *x = a, *y = b;
    if (x->order && y->order) {
        int c = strcmp(x->order, y->order);
        if (c)
            return c;
    } else if (x->order || y->order) {
        return x->order ? -1 : 1;
    }
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return strcmp(x->room_id, y->room_id);
}

static void child_list_fini(struct child_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        json_decref(l->items[i].ev);
    free(l->items);
}

/* Synapse's test of whether a local room may be previewed by user. */
static bool accessible(struct server *srv, struct room *room, const char *user_id)
{
    const char *m = rooms_membership_of(room, user_id);
    if (strcmp(m, "join") == 0 || strcmp(m, "invite") == 0)
        return true;
    json_t *jr = rooms_state_get(room, "m.room.join_rules", "");
    json_t *hv = rooms_state_get(room, "m.room.history_visibility", "");
    const json_t *jc = json_object_get(jr, "content");
    const char *rule = json_string_value(json_object_get(jc, "join_rule"));
    const char *vis = json_string_value(json_object_get(json_object_get(hv, "content"),
                                                        "history_visibility"));
    bool knock_restricted = rule && strcmp(rule, "knock_restricted") == 0 &&
                            room->version->knock_restricted;
    bool ok = (vis && strcmp(vis, "world_readable") == 0) ||
              (rule && (strcmp(rule, "public") == 0 || strcmp(rule, "knock") == 0)) ||
              knock_restricted;
    bool restricted = knock_restricted || (rule && strcmp(rule, "restricted") == 0 &&
                                           room->version->restricted_join);
    if (!ok && restricted) {
        size_t i;
        json_t *allow;
        json_array_foreach(json_object_get(jc, "allow"), i, allow)
        {
            const char *type = json_string_value(json_object_get(allow, "type"));
            const char *rid = json_string_value(json_object_get(allow, "room_id"));
            struct room *other;
            if (type && rid && strcmp(type, "m.room_membership") == 0 &&
                rooms_get(srv, rid, &other) == 0 &&
                strcmp(rooms_membership_of(other, user_id), "join") == 0) {
                ok = true;
                break;
            }
        }
    }
    json_decref(jr);
    json_decref(hv);
    return ok;
}

/* The room's entry (spec: SpaceHierarchyRoomsChunk): the directory chunk,
 * room_version, encryption, allowed_room_ids and, for spaces, the stripped
 * child events. Fills kids (sorted) for the walk. */
static json_t *room_entry(struct room *room, struct child_list *kids)
{
    json_t *c = client_directory_chunk(room);
    json_object_set_new(c, "room_version", json_string(room->version->id));
    json_t *enc = rooms_state_get(room, "m.room.encryption", "");
    json_t *alg = json_object_get(json_object_get(enc, "content"), "algorithm");
    if (json_is_string(alg))
        json_object_set(c, "encryption", alg);
    json_decref(enc);
    json_t *jr = rooms_state_get(room, "m.room.join_rules", "");
    json_t *allowed = json_array();
    size_t i;
    json_t *allow;
    json_array_foreach(json_object_get(json_object_get(jr, "content"), "allow"), i, allow)
    {
        json_t *rid = json_object_get(allow, "room_id");
        if (json_is_string(rid))
            json_array_append(allowed, rid);
    }
    json_decref(jr);
    if (json_array_size(allowed))
        json_object_set_new(c, "allowed_room_ids", allowed);
    else
        json_decref(allowed);
    json_t *state = json_array();
    const char *type = json_string_value(json_object_get(c, "room_type"));
    if (type && strcmp(type, "m.space") == 0) {
        pthread_mutex_lock(&room->lock);
        matrix_state_map_each(&room->state, collect_child, kids);
        pthread_mutex_unlock(&room->lock);
        if (kids->n)
            qsort(kids->items, kids->n, sizeof *kids->items, child_cmp);
        for (size_t k = 0; k < kids->n; k++) {
            const json_t *ev = kids->items[k].ev;
            json_array_append_new(state, json_pack("{s:O, s:O, s:O, s:O, s:O}", "type",
                                                   json_object_get(ev, "type"), "state_key",
                                                   json_object_get(ev, "state_key"), "content",
                                                   json_object_get(ev, "content"), "sender",
                                                   json_object_get(ev, "sender"),
                                                   "origin_server_ts",
                                                   json_object_get(ev, "origin_server_ts")));
        }
    }
    json_object_set_new(c, "children_state", state);
    return c;
}

static bool query_int(struct http_request *req, const char *name, int64_t min, int64_t *out)
{
    const char *s = http_query(req, name);
    return !s || str_to_i64(s, strlen(s), min, INT64_MAX, out) == 0;
}

void client_room_hierarchy(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t limit = HIERARCHY_DEFAULT_LIMIT, max_depth = HIERARCHY_MAX_DEPTH, offset = 0;
    if (!query_int(req, "limit", 1, &limit)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "limit must be a positive integer");
        return;
    }
    if (!query_int(req, "max_depth", 0, &max_depth)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "max_depth must be a non-negative integer");
        return;
    }
    const char *sug = http_query(req, "suggested_only");
    if (sug && strcmp(sug, "true") != 0 && strcmp(sug, "false") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "suggested_only must be true or false");
        return;
    }
    bool suggested_only = sug && strcmp(sug, "true") == 0;
    if (limit > HIERARCHY_MAX_LIMIT)
        limit = HIERARCHY_MAX_LIMIT;
    if (max_depth > HIERARCHY_MAX_DEPTH)
        max_depth = HIERARCHY_MAX_DEPTH;
    const char *from = http_query(req, "from");
    if (from) {
        /* "h<offset>_<max_depth>_<0|1>", made by this function for the same parameters */
        char expect[64];
        const char *us = from[0] == 'h' ? strchr(from, '_') : NULL;
        snprintf(expect, sizeof expect, "_%lld_%d", (long long)max_depth, suggested_only ? 1 : 0);
        if (!us || strcmp(us, expect) != 0 ||
            str_to_i64(from + 1, (size_t)(us - from - 1), 0, HIERARCHY_MAX_ROOMS, &offset) != 0) {
            http_reply_error(rep, 400, "M_INVALID_PARAM",
                             "Unknown pagination token (suggested_only and max_depth cannot "
                             "change on paginated requests)");
            return;
        }
    }
    struct room *root;
    if (rooms_get(srv, req->params[0], &root) != 0 || !accessible(srv, root, req->user_id)) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You cannot view or peek on this room");
        return;
    }
    /* Breadth first: a queue of (room, depth), each room once. */
    char **queue = xcalloc(HIERARCHY_MAX_ROOMS, sizeof *queue);
    int64_t *depth = xcalloc(HIERARCHY_MAX_ROOMS, sizeof *depth);
    json_t *seen = json_object();
    size_t head = 0, tail = 0;
    queue[tail++] = xstrdup(root->room_id);
    json_object_set_new(seen, root->room_id, json_true());
    json_t *rooms = json_array();
    int64_t shown = 0;
    bool more = false;
    while (head < tail) {
        char *rid = queue[head];
        int64_t d = depth[head++];
        struct room *room;
        if (rooms_get(srv, rid, &room) != 0 || (d > 0 && !accessible(srv, room, req->user_id)))
            continue; /* remote (no federation yet) or not for this user */
        struct child_list kids = {0};
        json_t *entry = room_entry(room, &kids);
        if (shown >= offset && shown < offset + limit)
            json_array_append(rooms, entry);
        else if (shown >= offset + limit)
            more = true;
        json_decref(entry);
        shown++;
        for (size_t k = 0; k < kids.n && d < max_depth && !more; k++) {
            const json_t *content = json_object_get(kids.items[k].ev, "content");
            const char *cid = kids.items[k].room_id;
            if ((suggested_only && !json_is_true(json_object_get(content, "suggested"))) ||
                json_object_get(seen, cid) || tail == HIERARCHY_MAX_ROOMS)
                continue;
            json_object_set_new(seen, cid, json_true());
            depth[tail] = d + 1;
            queue[tail++] = xstrdup(cid);
        }
        child_list_fini(&kids);
        if (more)
            break;
    }
    json_t *body = json_pack("{s:o}", "rooms", rooms);
    if (more) {
        char tok[64];
        snprintf(tok, sizeof tok, "h%lld_%lld_%d", (long long)(offset + limit),
                 (long long)max_depth, suggested_only ? 1 : 0);
        json_object_set_new(body, "next_batch", json_string(tok));
    }
    for (size_t i = 0; i < tail; i++)
        free(queue[i]);
    free(queue);
    free(depth);
    json_decref(seen);
    http_reply_json(rep, 200, body);
}

/* GET /_matrix/client/v1/room_summary/{roomIdOrAlias} */
void client_room_summary(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *id = req->params[0];
    char *room_id = NULL;
    if (id[0] == '#') {
        if (db_alias_get(srv->db, id, &room_id, NULL) != 0)
            room_id = NULL;
    } else if (id[0] == '!') {
        room_id = xstrdup(id);
    } else {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Not a room ID or alias");
        return;
    }
    struct room *room;
    if (!room_id || rooms_get(srv, room_id, &room) != 0 || !accessible(srv, room, req->user_id)) {
        free(room_id);
        http_reply_error(rep, 404, "M_NOT_FOUND", "Room not found or is not accessible");
        return;
    }
    free(room_id);
    struct child_list kids = {0};
    json_t *entry = room_entry(room, &kids);
    child_list_fini(&kids);
    json_object_del(entry, "children_state");
    json_object_set_new(entry, "membership",
                        json_string(rooms_membership_of(room, req->user_id)));
    http_reply_json(rep, 200, entry);
}
