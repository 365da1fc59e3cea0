/* context.c: GET /rooms/{roomId}/context/{eventId}: an event with the events
 * just before and after it and the room state at the last event returned.
 *
 * As Synapse, limit (default 10, at most 100) is split: floor(limit / 2)
 * events before, the rest after. start and end are "t<pos>" tokens that
 * /messages continues from (backwards from start, forwards from end). The
 * filter is a RoomEventFilter, applied to events_before, events_after and
 * state but not to the event itself (spec, as Synapse): with types
 * ["m.room.message"] the state is empty. With lazy_load_members the state
 * holds only the senders' member events (and the viewer's). History visibility applies
 * to every event. Spec: client-server "Retrieving events" (GET /context).
 *
 * Also GET /v1/rooms/{roomId}/timestamp_to_event (spec: "Events", v1.6): the
 * event closest to a time, which a client then opens with /context. As
 * Synapse, the user must be able to read the room (member, departed member up
 * to the leave, or world_readable); an event they may not see is not found. */
#define LOG_MODULE "context"
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

enum { CONTEXT_DEFAULT_LIMIT = 10, CONTEXT_MAX_LIMIT = 100 };

/* The state at group that passes the filter, client formatted, into out
 * (lazily loaded members when senders is not NULL). */
static int state_at(struct server *srv, struct http_request *req, int64_t group,
                    const struct sync_filter *f, json_t *senders, json_t *out)
{
    struct db_state_entries st;
    int rc = db_state_group_load(srv->db, group, &st);
    if (rc)
        return rc;
    char **ids = xcalloc(st.n + 1, sizeof(char *));
    size_t n_ids = 0;
    for (size_t i = 0; i < st.n; i++) {
        if (senders && strcmp(st.types[i], "m.room.member") == 0 &&
            strcmp(st.state_keys[i], req->user_id) != 0 &&
            !json_object_get(senders, st.state_keys[i]))
            continue;
        ids[n_ids++] = st.event_ids[i];
    }
    struct db_event *events;
    size_t n;
    rc = db_events_get_many(srv->db, ids, n_ids, &events, &n);
    free(ids);
    db_state_entries_fini(&st);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        json_t *e = rooms_event_client_format(srv, &events[i], req->user_id, req->device_id);
        if (sync_filter_state_json(f, events[i].room_id, e))
            json_array_append_new(out, e);
        else
            json_decref(e);
    }
    db_events_free(events, n);
    return 0;
}

/* Formats a page's events into array; remembers senders. */
static void add_events(struct server *srv, struct http_request *req, const struct sync_page *p,
                       json_t *array, json_t *senders)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct db_event *e = &p->events[i];
        json_array_append_new(array, rooms_event_client_format(srv, e, req->user_id,
                                                               req->device_id));
        json_object_set_new(senders, e->sender, json_true());
    }
}

void client_room_context(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0];
    int64_t limit = CONTEXT_DEFAULT_LIMIT;
    if (!client_query_limit(req, rep, CONTEXT_MAX_LIMIT, &limit))
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
    struct room *room;
    struct db_event ev;
    memset(&ev, 0, sizeof ev);
    struct sync_page before = {0}, after = {0};
    json_t *senders = json_object();
    if (rooms_get(srv, room_id, &room) != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You aren't a member of the room");
        goto out;
    }
    rc = db_event_get(srv->db, req->params[1], &ev);
    if (rc == 0 && (strcmp(ev.room_id, room_id) != 0 ||
                    !rooms_event_visible(srv, room_id, ev.pos, req->user_id)))
        rc = ERR_NOT_FOUND;
    if (rc) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Event not found");
        goto out;
    }
    int64_t n_want_before = limit / 2, n_want_after = limit - n_want_before;
    /* The limits count events that pass the filter and history visibility. */
    int64_t max_pos = notifier_position(srv->notifier, NOTIFY_EVENTS);
    rc = sync_events_page(srv, room_id, 0, ev.pos - 1, false, &filter, req->user_id, INT64_MAX,
                          (size_t)n_want_before, &before);
    if (!rc)
        rc = sync_events_page(srv, room_id, ev.pos, max_pos > ev.pos ? max_pos : ev.pos, true,
                              &filter, req->user_id, INT64_MAX, (size_t)n_want_after, &after);
    if (rc) {
        client_internal_error(rep, rc);
        goto out;
    }
    json_t *events_before = json_array(), *events_after = json_array();
    add_events(srv, req, &before, events_before, senders);
    add_events(srv, req, &after, events_after, senders);
    json_object_set_new(senders, ev.sender, json_true());
    /* /messages continues backwards from start and forwards from end. */
    char start[32], end[32];
    snprintf(start, sizeof start, "t%lld", (long long)before.resume);
    snprintf(end, sizeof end, "t%lld", (long long)after.resume);
    /* The state at the last event returned. */
    int64_t group = after.n ? after.events[after.n - 1].state_group : ev.state_group;
    json_t *state = json_array();
    rc = state_at(srv, req, group, &filter, filter.lazy_load_members ? senders : NULL, state);
    if (rc) {
        json_decref(events_before);
        json_decref(events_after);
        json_decref(state);
        client_internal_error(rep, rc);
        goto out;
    }
    json_t *event = json_pack("[o]", rooms_event_client_format(srv, &ev, req->user_id,
                                                                req->device_id));
    json_t *arrays[] = {event, events_before, events_after, state};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        sync_filter_format_events(srv, &filter, arrays[i]); /* event_fields / event_format */
    http_reply_json(rep, 200,
                    json_pack("{s:s, s:s, s:O, s:o, s:o, s:o}", "start", start, "end", end,
                              "event", json_array_get(event, 0), "events_before", events_before,
                              "events_after", events_after, "state", state));
    json_decref(event);
out:
    json_decref(senders);
    sync_page_fini(&before);
    sync_page_fini(&after);
    db_event_fini(&ev);
    sync_filter_fini(&filter);
}

/* GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event?ts=&dir=f|b */
void client_room_timestamp_to_event(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0];
    const char *ts_s = http_query(req, "ts"), *dir = http_query(req, "dir");
    int64_t ts;
    if (!ts_s || str_to_i64(ts_s, strlen(ts_s), INT64_MIN, INT64_MAX, &ts) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "ts must be an integer");
        return;
    }
    if (!dir || (strcmp(dir, "f") != 0 && strcmp(dir, "b") != 0)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "dir must be 'f' or 'b'");
        return;
    }
    if (!client_room_readable(srv, rep, room_id, req->user_id, "You aren't a member of the room",
                              NULL, NULL))
        return;
    struct db_event e;
    int rc = db_event_closest_ts(srv->db, room_id, ts, dir[0] == 'f', &e);
    if (rc == 0 && !rooms_event_visible(srv, room_id, e.pos, req->user_id)) {
        db_event_fini(&e);
        rc = ERR_NOT_FOUND;
    }
    if (rc == ERR_NOT_FOUND) {
        http_reply_error(rep, 404, "M_NOT_FOUND",
                         "Unable to find an event from %lld in direction %s", (long long)ts, dir);
        return;
    }
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, json_pack("{s:s, s:I}", "event_id", e.event_id, "origin_server_ts",
                                        (json_int_t)e.origin_server_ts));
    db_event_fini(&e);
}
