/* timeline.c: one page of a room's timeline for /sync, /messages and
 * /context, with the filter applied BEFORE the limit (spec: "Filtering": a
 * RoomEventFilter's limit is "the maximum number of events to return"; the
 * events it counts are the ones that pass). The filter's type, sender and
 * contains_url conditions run inside the database query; history visibility,
 * which depends on the room's state at each event, is checked here, and a
 * page that loses events to it is refilled from where the scan stopped, for a
 * bounded number of rounds (as Synapse's filtered timeline loading does). */
#include "sync/sync.h"

#include "base/err.h"
#include "base/mem.h"
#include "db/db.h"
#include "rooms/rooms.h"
#include "server/server.h"

#include <string.h>

/* Database rounds per page: after them a page may be short, with `more` set. */
enum { TIMELINE_PAGE_ROUNDS = 3 };

void sync_page_fini(struct sync_page *p)
{
    db_events_free(p->events, p->n);
    memset(p, 0, sizeof *p);
}

int sync_events_page(struct server *srv, const char *room_id, int64_t lo, int64_t hi,
                     bool forward, const struct sync_filter *f, const char *viewer,
                     int64_t check_below, size_t limit, struct sync_page *out)
{
    memset(out, 0, sizeof *out);
    struct db_event_filter dbf;
    sync_filter_db(f, &dbf);
    /* NULL: the plain range query */
    const struct db_event_filter *cond = sync_filter_narrows(f) ? &dbf : NULL;
    size_t want = limit + 1; /* one more than the page tells whether more exist */
    size_t cap = want;
    out->events = xcalloc(cap, sizeof *out->events);
    int64_t cur_lo = lo, cur_hi = hi, last_pos = forward ? lo : hi;
    /* A RoomEventFilter's rooms / not_rooms leave the whole room out. */
    bool exhausted = !sync_filter_timeline_room(f, room_id);
    int rc = 0;
    for (int round = 0;
         !exhausted && round < TIMELINE_PAGE_ROUNDS && out->n < want && cur_lo < cur_hi; round++) {
        size_t need = want - out->n;
        struct db_event *batch;
        size_t bn;
        rc = db_events_range_filtered(srv->db, room_id, cur_lo, cur_hi, forward, cond, need,
                                      &batch, &bn);
        if (rc)
            break;
        for (size_t i = 0; i < bn; i++) {
            struct db_event *e = &batch[i];
            last_pos = e->pos;
            if (viewer && e->pos < check_below &&
                !rooms_event_visible(srv, room_id, e->pos, viewer)) {
                db_event_fini(e);
                continue;
            }
            out->events[out->n++] = *e; /* moved */
        }
        free(batch); /* the elements were moved or released */
        if (bn < need) {
            exhausted = true;
            break;
        }
        if (forward)
            cur_lo = last_pos;
        else
            cur_hi = last_pos - 1;
    }
    if (rc) {
        sync_page_fini(out);
        return rc;
    }
    if (cur_lo >= cur_hi)
        exhausted = true;
    if (out->n > limit) {
        /* Keep `limit`; the first one left out starts the next page. */
        const struct db_event *next = &out->events[limit];
        out->resume = forward ? next->pos - 1 : next->pos;
        for (size_t i = limit; i < out->n; i++)
            db_event_fini(&out->events[i]);
        out->n = limit;
        out->more = true;
    } else if (exhausted) {
        out->resume = forward ? hi : lo;
    } else {
        out->resume = forward ? last_pos : last_pos - 1;
        out->more = true;
    }
    return 0;
}
