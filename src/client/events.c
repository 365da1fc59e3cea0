/* events.c: GET /events?room_id=&from=&timeout= — the legacy event stream of
 * one room, which peeking clients (matrix-js-sdk's peekInRoom, after
 * GET /rooms/{id}/initialSync) long-poll for new events of a room they have
 * not joined. Spec: client-server "Room previews" (peekEvents).
 *
 * Who may read: as /messages — members, departed members up to their leave
 * (after which nothing comes: they wait out the timeout like anyone, so a
 * client polling again at once does not spin), and anyone for world_readable
 * rooms; history visibility is checked per event. `from` is a /messages ("t<pos>")
 * or sync token; absent, the stream starts at the request (as Synapse; the
 * SDK's first poll sends none). `timeout` defaults to 30 s like Synapse's.
 * The answer holds at most EVENTS_MAX_CHUNK events, oldest first; `end`
 * continues after the last one scanned.
 *
 * Waiting: the notifier wakes users, not rooms, and a room's events wake its
 * joined members. A peeker who is not a member waits on the wake-ups of one
 * joined member (any event of the room reaches them all); that member's
 * changes in other rooms wake the peeker for nothing, and it recomputes (one
 * indexed range query) and waits again. A member waits on their own. */
#define LOG_MODULE "events"
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/client.h"
#include "db/db.h"
#include "rooms/rooms.h"
#include "sync/notify.h"
#include "sync/sync.h"

#include <string.h>

enum {
    EVENTS_DEFAULT_TIMEOUT_MS = 30 * 1000,
    EVENTS_MAX_TIMEOUT_MS = 5 * 60 * 1000,
    EVENTS_MAX_CHUNK = 100,
    EVENTS_MAX_RECOMPUTE = 8,
};

/* The request's parameters, kept across suspensions. */
struct peek_state {
    int64_t from;        /* events after this stream position */
    int64_t deadline_ms; /* monotonic */
    char *room_id;       /* owned */
    struct server *srv;  /* borrowed */
    struct http_request *http; /* borrowed: the request this state belongs to */
};

static void peek_state_free(void *p)
{
    struct peek_state *s = p;
    notifier_cancel(s->srv->notifier, s->http);
    free(s->room_id);
    free(s);
}

static int start(struct http_request *req, struct http_reply *rep, struct peek_state **out)
{
    struct server *srv = client_server(req);
    const char *room_id = http_query(req, "room_id");
    if (!room_id || !room_id[0]) {
        /* the room-less /events is deprecated; peeking names its room */
        http_reply_error(rep, 400, "M_MISSING_PARAM", "room_id is required");
        return 1;
    }
    int64_t from = notifier_position(srv->notifier, NOTIFY_EVENTS);
    const char *from_s = http_query(req, "from");
    if (from_s && from_s[0] && sync_pagination_parse(from_s, &from) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid 'from' token");
        return 1;
    }
    int64_t timeout_ms = EVENTS_DEFAULT_TIMEOUT_MS;
    const char *timeout = http_query(req, "timeout");
    if (timeout && str_to_i64(timeout, strlen(timeout), 0, INT64_MAX, &timeout_ms) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "timeout must be a whole number of ms");
        return 1;
    }
    if (timeout_ms > EVENTS_MAX_TIMEOUT_MS)
        timeout_ms = EVENTS_MAX_TIMEOUT_MS;
    struct peek_state *s = xcalloc(1, sizeof *s);
    s->from = from;
    s->deadline_ms = clock_mono_ms() + timeout_ms;
    s->room_id = xstrdup(room_id);
    s->srv = srv;
    s->http = req;
    req->handler_state = s;
    req->handler_state_free = peek_state_free;
    *out = s;
    return 0;
}

/* Whose wake-ups the request waits on (owned): the user when joined, else
 * one joined member, else the user (then only the timeout ends the wait). */
static char *wake_key(struct room *room, const char *user_id)
{
    if (strcmp(rooms_membership_of(room, user_id), "join") == 0)
        return xstrdup(user_id);
    size_t n;
    char **members = rooms_joined_members(room, &n);
    char *key = xstrdup(n ? members[0] : user_id);
    for (size_t i = 0; i < n; i++)
        free(members[i]);
    free(members);
    return key;
}

/* The room's readable events after s->from into *chunk (owned), and the
 * position that follows them. */
static int compute(struct http_request *req, struct http_reply *rep, struct peek_state *s,
                   json_t **chunk, int64_t *end)
{
    struct server *srv = s->srv;
    *chunk = NULL;
    int64_t hi;
    if (!client_room_readable_upto(srv, rep, s->room_id, req->user_id,
                                   "You aren't a member of the room and it is not world readable",
                                   &hi))
        return 1;
    int64_t now = notifier_position(srv->notifier, NOTIFY_EVENTS);
    if (hi > now)
        hi = now;
    *chunk = json_array();
    *end = s->from > hi ? s->from : hi;
    if (s->from >= hi)
        return 0;
    struct sync_filter all;
    char reason[64];
    sync_filter_parse(NULL, &all, reason, sizeof reason);
    struct sync_page page;
    int rc = sync_events_page(srv, s->room_id, s->from, hi, true, &all, req->user_id, INT64_MAX,
                              EVENTS_MAX_CHUNK, &page);
    sync_filter_fini(&all);
    if (rc) {
        json_decref(*chunk);
        *chunk = NULL;
        client_internal_error(rep, rc);
        return 1;
    }
    for (size_t i = 0; i < page.n; i++)
        json_array_append_new(*chunk, rooms_event_client_format(srv, &page.events[i],
                                                                req->user_id, req->device_id));
    *end = page.resume;
    sync_page_fini(&page);
    return 0;
}

/* GET /events?room_id= (spec: peekEvents) */
void client_events_peek(struct http_request *req, struct http_reply *rep)
{
    struct peek_state *s = req->handler_state;
    if (!s && start(req, rep, &s))
        return;
    struct server *srv = s->srv;
    for (int attempt = 0;; attempt++) {
        struct room *room;
        char *key = NULL;
        uint64_t seq = 0;
        if (rooms_get(srv, s->room_id, &room) == 0) {
            key = wake_key(room, req->user_id);
            seq = notifier_user_seq(srv->notifier, key); /* before computing: no lost wake-up */
        }
        json_t *chunk;
        int64_t end;
        if (compute(req, rep, s, &chunk, &end)) {
            free(key);
            return;
        }
        bool wait = json_array_size(chunk) == 0 && key &&
                    s->deadline_ms > clock_mono_ms() && attempt < EVENTS_MAX_RECOMPUTE;
        if (!wait) {
            free(key);
            char start_tok[32], end_tok[32];
            snprintf(start_tok, sizeof start_tok, "t%lld", (long long)s->from);
            snprintf(end_tok, sizeof end_tok, "t%lld", (long long)end);
            http_reply_json(rep, 200, json_pack("{s:s, s:s, s:o}", "start", start_tok, "end",
                                                end_tok, "chunk", chunk));
            return;
        }
        json_decref(chunk);
        bool suspended = notifier_wait(srv->notifier, key, seq, s->deadline_ms, req);
        free(key);
        if (suspended)
            return; /* runs again on a wake-up or at the deadline */
    }
}
