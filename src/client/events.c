/* events.c: GET /events?room_id=&from=&timeout= — the legacy event stream of
 * one room, which peeking clients (matrix-js-sdk's peekInRoom, after
 * GET /rooms/{id}/initialSync) long-poll for new events of a room they have
 * not joined. Spec: client-server "Room previews" (peekEvents).
 *
 * Without room_id it is the deprecated global event stream (spec: "Legacy
 * endpoints", getEvents, deprecated in r0 for /sync; Synapse still serves
 * it): the new events of every room the user is in, oldest first, with the
 * same tokens and waiting. Its rooms are those joined now, plus those left,
 * kicked or banned from after `from` (their events up to that membership
 * event); a new invite or knock gives the user that one member event. Only
 * room events: presence, typing and receipts, which Synapse mixes in, are
 * /sync's business.
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
 * indexed range query) and waits again. A member, and the global stream,
 * wait on the user's own. */
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
    EVENTS_ACTIVE_SCAN_MAX = 500,  /* the global stream looks for the rooms with events in a
                                      stretch of at most this many positions; a longer one
                                      (a stale or t0 `from`) reads each of the user's rooms */
};

/* The request's parameters, kept across suspensions. */
struct peek_state {
    int64_t from;        /* events after this stream position */
    int64_t deadline_ms; /* monotonic */
    char *room_id;       /* owned; NULL for the global stream */
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
    s->room_id = room_id && room_id[0] ? xstrdup(room_id) : NULL; /* NULL: every room */
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

/* Orders events by stream position. */
static int by_pos(const void *a, const void *b)
{
    const struct db_event *x = a, *y = b;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Appends a page's events to *all (growing it); the page keeps nothing. */
static void take_page(struct sync_page *p, struct db_event **all, size_t *n_all)
{
    if (!p->n)
        return;
    *all = xrealloc(*all, (*n_all + p->n) * sizeof **all);
    memcpy(*all + *n_all, p->events, p->n * sizeof *p->events);
    *n_all += p->n;
    free(p->events); /* the strings moved to *all */
    p->events = NULL;
    p->n = 0;
}

/* The global stream: the user's rooms' readable events in (s->from, now]
 * into *chunk (owned, at most EVENTS_MAX_CHUNK, oldest first) and the position
 * that follows them. Returns 0, or 1 with rep answered. */
static int compute_global(struct http_request *req, struct http_reply *rep,
                          struct peek_state *s, json_t **chunk, int64_t *end)
{
    struct server *srv = s->srv;
    int64_t hi = notifier_position(srv->notifier, NOTIFY_EVENTS);
    *chunk = json_array();
    *end = s->from > hi ? s->from : hi;
    if (s->from >= hi)
        return 0;
    struct db_membership *ms = NULL;
    size_t n_ms = 0, n_active = 0, n_all = 0;
    char **active = NULL;
    struct db_event *all = NULL;
    int64_t cut = hi; /* nothing above it is answered this time */
    int rc = db_user_memberships(srv->db, req->user_id, &ms, &n_ms);
    /* the rooms with events in the stretch: one row per event, so only for a
     * short one (a `from` of t0 would list every event of the server) */
    bool scan = hi - s->from <= EVENTS_ACTIVE_SCAN_MAX;
    if (!rc && scan)
        rc = db_rooms_with_events(srv->db, s->from, hi, &active, &n_active);
    struct sync_filter every;
    char reason[64];
    sync_filter_parse(NULL, &every, reason, sizeof reason);
    for (size_t i = 0; !rc && i < n_ms; i++) {
        const struct db_membership *m = &ms[i];
        bool joined = strcmp(m->membership, "join") == 0;
        if (!joined && m->pos <= s->from)
            continue; /* gone before this stretch */
        /* an invite or knock of theirs is answered as its member event; before
         * it, in the same stretch, they may have been joined (kicked, then
         * invited again): those events are read like a departed member's */
        bool own = strcmp(m->membership, "invite") == 0 || strcmp(m->membership, "knock") == 0;
        if (own && m->pos <= cut) {
            all = xrealloc(all, (n_all + 1) * sizeof *all);
            if (db_event_get(srv->db, m->event_id, &all[n_all]) == 0)
                n_all++;
        }
        bool has_events = !scan;
        for (size_t k = 0; k < n_active && !has_events; k++)
            has_events = strcmp(active[k], m->room_id) == 0;
        /* a membership not announced yet (above the stretch) still ends the
         * stretch at its end: the events before it were readable and the next
         * stretch starts there */
        int64_t upto = joined || m->pos > cut ? cut : own ? m->pos - 1 : m->pos;
        if (!has_events || upto <= s->from)
            continue;
        /* after a join every event is readable; before it, each is checked */
        int64_t check_below = joined ? m->pos : INT64_MAX;
        struct sync_page page;
        rc = sync_events_page(srv, m->room_id, s->from, upto, true, &every, req->user_id,
                              check_below, EVENTS_MAX_CHUNK, &page);
        if (rc)
            break;
        if (page.more && page.resume < cut)
            cut = page.resume;
        take_page(&page, &all, &n_all);
        sync_page_fini(&page);
        if (n_all > 2 * EVENTS_MAX_CHUNK) {
            /* keep the oldest chunk: nothing above it is answered this time,
             * and the next rooms are read only up to it */
            qsort(all, n_all, sizeof *all, by_pos);
            if (all[EVENTS_MAX_CHUNK - 1].pos < cut)
                cut = all[EVENTS_MAX_CHUNK - 1].pos;
            while (n_all > EVENTS_MAX_CHUNK)
                db_event_fini(&all[--n_all]);
        }
    }
    sync_filter_fini(&every);
    for (size_t k = 0; k < n_active; k++)
        free(active[k]);
    free(active);
    db_memberships_free(ms, n_ms);
    if (rc) {
        db_events_free(all, n_all);
        json_decref(*chunk);
        *chunk = NULL;
        client_internal_error(rep, rc);
        return 1;
    }
    if (n_all)
        qsort(all, n_all, sizeof *all, by_pos);
    if (n_all > EVENTS_MAX_CHUNK && all[EVENTS_MAX_CHUNK - 1].pos < cut)
        cut = all[EVENTS_MAX_CHUNK - 1].pos;
    for (size_t i = 0; i < n_all && all[i].pos <= cut; i++)
        json_array_append_new(*chunk, rooms_event_client_format(srv, &all[i], req->user_id,
                                                                req->device_id));
    *end = cut;
    db_events_free(all, n_all);
    return 0;
}

/* GET /events[?room_id=] (spec: peekEvents, and the deprecated getEvents) */
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
        if (!s->room_id)
            key = xstrdup(req->user_id);
        else if (rooms_get(srv, s->room_id, &room) == 0)
            key = wake_key(room, req->user_id);
        if (key)
            seq = notifier_user_seq(srv->notifier, key); /* before computing: no lost wake-up */
        json_t *chunk;
        int64_t end;
        if (s->room_id ? compute(req, rep, s, &chunk, &end)
                       : compute_global(req, rep, s, &chunk, &end)) {
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
