/* messages.c: GET /rooms/{roomId}/messages — paginating a room's timeline
 * backwards and forwards with "t<pos>" tokens, filtered, with history
 * visibility applied and lazily loaded members. Spec: client-server
 * "Syncing" (GET /rooms/{roomId}/messages). */
#define LOG_MODULE "messages"
#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/client.h"
#include "db/db.h"
#include "json/parse.h"
#include "rooms/rooms.h"
#include "sync/notify.h"
#include "sync/sync.h"

#include <string.h>

enum { MESSAGES_MAX_LIMIT = 1000, MESSAGES_DEFAULT_LIMIT = 10 };

void client_room_messages(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0];
    /* A departed user pages up to their leave and no further (as Synapse);
     * each event is also checked against history visibility below. */
    int64_t max_pos;
    if (!client_room_readable_upto(srv, rep, room_id, req->user_id,
                                   "You aren't a member of the room", &max_pos))
        return;
    int64_t now = notifier_position(srv->notifier, NOTIFY_EVENTS);
    if (max_pos > now)
        max_pos = now;
    const char *dir = http_query(req, "dir");
    bool forward = dir && strcmp(dir, "f") == 0;
    if (dir && !forward && strcmp(dir, "b") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "dir must be 'b' or 'f'");
        return;
    }
    int64_t from = forward ? 0 : max_pos, to = -1;
    const char *from_s = http_query(req, "from"), *to_s = http_query(req, "to");
    if ((from_s && sync_pagination_parse(from_s, &from)) ||
        (to_s && sync_pagination_parse(to_s, &to))) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid pagination token");
        return;
    }
    int64_t limit = MESSAGES_DEFAULT_LIMIT;
    if (!client_query_limit(req, rep, MESSAGES_MAX_LIMIT, &limit))
        return;
    struct sync_filter filter;
    char reason[200];
    json_t *fj = NULL;
    const char *filter_s = http_query(req, "filter");
    if (filter_s && json_parse_bounded(filter_s, strlen(filter_s), 32, &fj, reason, sizeof reason)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "filter is not valid JSON");
        return;
    }
    int rc = sync_filter_parse_room_event(fj, &filter, reason, sizeof reason);
    json_decref(fj);
    if (rc) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "%s", reason);
        return;
    }
    /* The limit counts events that pass the filter (and history visibility). */
    struct sync_page page;
    if (forward)
        rc = sync_events_page(srv, room_id, from, to >= 0 && to < max_pos ? to : max_pos, true,
                              &filter, req->user_id, INT64_MAX, (size_t)limit, &page);
    else
        rc = sync_events_page(srv, room_id, to >= 0 ? to : 0, from < max_pos ? from : max_pos,
                              false, &filter, req->user_id, INT64_MAX, (size_t)limit, &page);
    if (rc) {
        sync_filter_fini(&filter);
        client_internal_error(rep, rc);
        return;
    }
    json_t *chunk = json_array(), *senders = json_object();
    for (size_t i = 0; i < page.n; i++) {
        struct db_event *e = &page.events[i];
        json_array_append_new(chunk, rooms_event_client_format(srv, e, req->user_id,
                                                               req->device_id));
        json_object_set_new(senders, e->sender, json_true());
    }
    char start[32], end[32];
    snprintf(start, sizeof start, "t%lld", (long long)from);
    json_t *body = json_pack("{s:s, s:o}", "start", start, "chunk", chunk);
    /* end is left out when no further events are available (spec). */
    if (page.more) {
        snprintf(end, sizeof end, "t%lld", (long long)page.resume);
        json_object_set_new(body, "end", json_string(end));
    }
    if (filter.lazy_load_members && json_object_size(senders)) {
        /* The senders as they were at the chunk's first event (as Synapse),
         * not as they are now: old messages keep the names they were sent with. */
        json_t *state = json_array();
        int64_t group = page.events[0].state_group;
        sync_lazy_members(srv, room_id, group, senders, state, req->user_id, req->device_id);
        json_object_set_new(body, "state", state);
    }
    sync_filter_format_events(srv, &filter, chunk);
    sync_filter_format_events(srv, &filter, json_object_get(body, "state"));
    json_decref(senders);
    sync_page_fini(&page);
    sync_filter_fini(&filter);
    http_reply_json(rep, 200, body);
}

/* Room account data and tags: GET/PUT /user/{userId}/rooms/{roomId}/account_data/{type},
 * GET /user/{userId}/rooms/{roomId}/tags, PUT/DELETE .../tags/{tag}. */
void client_room_account_data_get(struct http_request *req, struct http_reply *rep)
{
    if (!client_account_data_own(req, rep))
        return;
    char *content;
    int rc = db_account_data_get(client_server(req)->db, req->user_id, req->params[1],
                                 req->params[2], &content);
    if (client_reply_failure(rep, rc, "Account data not found"))
        return;
    rep->body = content;
    rep->body_len = strlen(content);
    rep->content_type = "application/json";
}

void client_room_account_data_put(struct http_request *req, struct http_reply *rep)
{
    if (!client_account_data_own(req, rep))
        return;
    if (strcmp(req->params[2], "m.fully_read") == 0) { /* spec: "Read markers", set by the server */
        http_reply_error(rep, 405, "M_BAD_JSON",
                         "Cannot set m.fully_read through this API. Use /rooms/{roomId}/read_markers");
        return;
    }
    int rc = client_account_data_store(client_server(req), req->user_id, req->params[1],
                                       req->params[2], req->json);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, json_object());
}

static json_t *load_tags(struct server *srv, const char *user_id, const char *room_id)
{
    char *content = NULL;
    json_t *tags = NULL;
    if (db_account_data_get(srv->db, user_id, room_id, "m.tag", &content) == 0) {
        json_error_t jerr;
        json_t *c = json_loads(content, 0, &jerr);
        tags = json_incref(json_object_get(c, "tags"));
        json_decref(c);
    }
    free(content);
    return json_is_object(tags) ? tags : (json_decref(tags), json_object());
}

void client_room_tags_get(struct http_request *req, struct http_reply *rep)
{
    if (!client_account_data_own(req, rep))
        return;
    http_reply_json(rep, 200, json_pack("{s:o}", "tags",
                                        load_tags(client_server(req), req->user_id,
                                                  req->params[1])));
}

/* PUT and DELETE .../tags/{tag} */
void client_room_tag_change(struct http_request *req, struct http_reply *rep)
{
    if (!client_account_data_own(req, rep))
        return;
    struct server *srv = client_server(req);
    json_t *tags = load_tags(srv, req->user_id, req->params[1]);
    if (req->method == HTTP_PUT)
        json_object_set(tags, req->params[2], req->json ? req->json : json_object());
    else
        json_object_del(tags, req->params[2]);
    json_t *content = json_pack("{s:o}", "tags", tags);
    int rc = client_account_data_store(srv, req->user_id, req->params[1], "m.tag", content);
    json_decref(content);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, json_object());
}
