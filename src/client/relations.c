/* relations.c: GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}
 * [/{relType}[/{eventType}]] (child events of an event, paginated with the
 * same "t<pos>" tokens as /messages, optionally recursive) and GET
 * /_matrix/client/v1/rooms/{roomId}/threads (thread roots, most recently
 * active first). History visibility applies to the parent and to every
 * event returned. The aggregations in unsigned are rooms/relations.c's.
 * Spec: client-server "Relationships" (GET /relations), "Threading"
 * (GET /threads). */
#define LOG_MODULE "relations"
#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/client.h"
#include "db/db.h"
#include "db/relations.h"
#include "rooms/rooms.h"
#include "sync/notify.h"
#include "sync/sync.h"

#include <string.h>

enum {
    RELATIONS_DEFAULT_LIMIT = 5, /* Synapse's default */
    RELATIONS_MAX_LIMIT = 1000,
    RELATIONS_RECURSE_DEPTH = 3, /* the spec's minimum */
    THREADS_DEFAULT_LIMIT = 5,
    THREADS_MAX_LIMIT = 100,
};

static bool query_limit(struct http_request *req, struct http_reply *rep, int64_t def, int64_t max,
                        int64_t min, int64_t *out)
{
    *out = def;
    const char *s = http_query(req, "limit");
    if (s && str_to_i64(s, strlen(s), min, INT64_MAX, out) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "limit must be an integer of at least %lld",
                         (long long)min);
        return false;
    }
    if (*out > max)
        *out = max;
    return true;
}

/* GET /v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] */
void client_room_relations(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0], *parent_id = req->params[1];
    const char *rel_type = req->n_params > 2 ? req->params[2] : NULL;
    const char *event_type = req->n_params > 3 ? req->params[3] : NULL;
    const char *dir = http_query(req, "dir");
    bool forward = dir && strcmp(dir, "f") == 0;
    if (dir && !forward && strcmp(dir, "b") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "dir must be 'b' or 'f'");
        return;
    }
    int64_t limit;
    if (!query_limit(req, rep, RELATIONS_DEFAULT_LIMIT, RELATIONS_MAX_LIMIT, 0, &limit))
        return;
    const char *recurse_s = http_query(req, "recurse");
    bool recurse = recurse_s && strcmp(recurse_s, "true") == 0;
    if (recurse_s && !recurse && strcmp(recurse_s, "false") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "recurse must be true or false");
        return;
    }
    int64_t max_pos = notifier_position(srv->notifier, NOTIFY_EVENTS);
    int64_t from = forward ? 0 : max_pos, to = -1;
    const char *from_s = http_query(req, "from"), *to_s = http_query(req, "to");
    if ((from_s && sync_pagination_parse(from_s, &from)) ||
        (to_s && sync_pagination_parse(to_s, &to))) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid pagination token");
        return;
    }
    struct db_event parent;
    int rc = db_event_get(srv->db, parent_id, &parent);
    if (rc == 0 && (strcmp(parent.room_id, room_id) != 0 ||
                    !rooms_event_visible(srv, room_id, parent.pos, req->user_id))) {
        db_event_fini(&parent);
        rc = ERR_NOT_FOUND;
    }
    if (rc) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Event not found");
        return;
    }
    db_event_fini(&parent);
    struct db_event *events;
    size_t n;
    int depth = recurse ? RELATIONS_RECURSE_DEPTH : 1;
    if (forward)
        rc = db_relations_page(srv->db, room_id, parent_id, rel_type, event_type, depth, from,
                               to >= 0 ? to : max_pos, true, (size_t)limit, &events, &n);
    else
        rc = db_relations_page(srv->db, room_id, parent_id, rel_type, event_type, depth,
                               to >= 0 ? to : 0, from, false, (size_t)limit, &events, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t *chunk = json_array();
    for (size_t i = 0; i < n; i++)
        if (rooms_event_visible(srv, room_id, events[i].pos, req->user_id))
            json_array_append_new(chunk, rooms_event_client_format(srv, &events[i], req->user_id,
                                                                   req->device_id));
    json_t *body = json_pack("{s:o}", "chunk", chunk);
    char tok[32];
    if (n == (size_t)limit && n > 0) {
        int64_t last = events[n - 1].pos;
        snprintf(tok, sizeof tok, "t%lld", (long long)(forward ? last : last - 1));
        json_object_set_new(body, "next_batch", json_string(tok));
    }
    if (from_s)
        json_object_set_new(body, "prev_batch", json_string(from_s));
    if (recurse_s)
        json_object_set_new(body, "recursion_depth", json_integer(recurse ? depth : 0));
    db_events_free(events, n);
    http_reply_json(rep, 200, body);
}

/* GET /v1/rooms/{roomId}/threads?include=all|participated&from&limit
 * Tokens are "t<pos>": threads whose latest reply is at or before pos. */
void client_room_threads(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0];
    const char *include = http_query(req, "include");
    if (include && strcmp(include, "all") != 0 && strcmp(include, "participated") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "include must be 'all' or 'participated'");
        return;
    }
    int64_t limit;
    if (!query_limit(req, rep, THREADS_DEFAULT_LIMIT, THREADS_MAX_LIMIT, 1, &limit))
        return;
    int64_t before = INT64_MAX;
    const char *from_s = http_query(req, "from");
    if (from_s && (from_s[0] != 't' || sync_pagination_parse(from_s, &before))) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Unknown pagination token");
        return;
    }
    /* As Synapse: joined, departed (each root then passes history
     * visibility, so a departed user sees the threads started before the
     * leave) or world_readable. */
    if (!client_room_readable(srv, rep, room_id, req->user_id,
                              "You are not allowed to view this room", NULL, NULL))
        return;
    bool participated = include && strcmp(include, "participated") == 0;
    char **roots;
    int64_t *latest;
    size_t n;
    int rc = db_thread_roots(srv->db, room_id, before, participated ? req->user_id : NULL,
                             (size_t)limit, &roots, &latest, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t *chunk = json_array();
    for (size_t i = 0; i < n; i++) {
        struct db_event root;
        if (db_event_get(srv->db, roots[i], &root) != 0)
            continue;
        if (strcmp(root.room_id, room_id) == 0 &&
            rooms_event_visible(srv, room_id, root.pos, req->user_id))
            json_array_append_new(chunk, rooms_event_client_format(srv, &root, req->user_id,
                                                                   req->device_id));
        db_event_fini(&root);
    }
    json_t *body = json_pack("{s:o}", "chunk", chunk);
    if (n == (size_t)limit) {
        char tok[32];
        snprintf(tok, sizeof tok, "t%lld", (long long)(latest[n - 1] - 1));
        json_object_set_new(body, "next_batch", json_string(tok));
    }
    db_strings_free(roots, n);
    free(latest);
    http_reply_json(rep, 200, body);
}
