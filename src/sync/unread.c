/* unread.c: the rooms' unread notification counts of /sync from the stored
 * push rows, the kept counts and the user's own evaluation of the events the
 * push worker has not reached (see unread.h). */
#define LOG_MODULE "sync"
#include "sync/unread.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "db/db.h"
#include "db/push.h"
#include "db/receipts.h"
#include "push/queue.h"
#include "server/server.h"

#include <pthread.h>
#include <string.h>

enum {
    UNREAD_KEPT_MAX = 20000,  /* kept (user, room) counts; all are dropped beyond */
    UNREAD_INLINE_MAX = 5000, /* events above the worker's position evaluated per room */
    UNREAD_READS_MAX = 1 << 16, /* bytes of one receipt signature */
};

/* The counts of one user in one room up to a settled position. */
struct kept {
    int64_t member_pos;                  /* the membership they were counted for */
    char *reads;                         /* the read receipts they were counted with (owned) */
    int64_t upto;                        /* rows at or below it are counted */
    struct db_push_thread_count *counts; /* per thread (owned) */
    size_t n;                            /* threads */
};

static struct {
    pthread_mutex_t lock; /* guards kept */
    bool ready;           /* kept is initialised */
    struct map kept;      /* "user\nroom" -> struct kept */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void kept_free(void *v)
{
    struct kept *k = v;
    free(k->reads);
    db_push_thread_counts_free(k->counts, k->n);
    free(k);
}

void sync_unread_reset(void)
{
    pthread_mutex_lock(&cache.lock);
    if (cache.ready)
        map_fini(&cache.kept);
    cache.ready = false;
    pthread_mutex_unlock(&cache.lock);
}

void sync_unread_prepare(int64_t upto, struct sync_unread_at *at)
{
    at->upto = upto;
    push_counted_positions(upto, &at->processed, &at->settled);
}

/* Adds notifications and highlights to thread's entry of the counts. */
static void add(struct db_push_thread_count **c, size_t *n, const char *thread, int64_t notifications,
                int64_t highlights)
{
    size_t k = 0;
    while (k < *n && strcmp((*c)[k].thread_id, thread) != 0)
        k++;
    if (k == *n) {
        *c = xrealloc(*c, (*n + 1) * sizeof **c);
        (*c)[(*n)++] = (struct db_push_thread_count){xstrdup(thread), 0, 0};
    }
    (*c)[k].notifications += notifications;
    (*c)[k].highlights += highlights;
}

static void add_all(struct db_push_thread_count **c, size_t *n,
                    const struct db_push_thread_count *more, size_t n_more)
{
    for (size_t i = 0; i < n_more; i++)
        add(c, n, more[i].thread_id, more[i].notifications, more[i].highlights);
}

/* The user's read positions in the room. */
struct reads {
    int64_t base;         /* the unthreaded receipt, or member_pos without one */
    const char **threads; /* thread IDs (borrowed from raw) */
    int64_t *afters;      /* their receipts' positions */
    size_t n;             /* entries */
    struct buf sig;       /* every receipt as text: what kept counts were counted with */
    bool sig_whole;       /* sig holds every receipt (else nothing is kept or reused) */
    struct db_read_position *raw; /* owned */
};

static int reads_load(struct server *srv, const char *user_id, const char *room_id,
                      int64_t member_pos, struct reads *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->sig, UNREAD_READS_MAX);
    int rc = db_receipt_read_positions(srv->db, room_id, user_id, &r->raw, &r->n);
    if (rc)
        return rc;
    r->sig_whole = true;
    r->threads = xcalloc(r->n + 1, sizeof *r->threads);
    r->afters = xcalloc(r->n + 1, sizeof *r->afters);
    for (size_t i = 0; i < r->n; i++) {
        r->threads[i] = r->raw[i].thread_id;
        r->afters[i] = r->raw[i].event_pos;
        if (!r->raw[i].thread_id[0])
            r->base = r->raw[i].event_pos;
        if (buf_printf(&r->sig, "%s=%lld\n", r->raw[i].thread_id, (long long)r->raw[i].event_pos))
            r->sig_whole = false;
    }
    if (!r->base)
        r->base = member_pos;
    return 0;
}

static void reads_fini(struct reads *r)
{
    free((void *)r->threads);
    free(r->afters);
    buf_fini(&r->sig);
    db_read_positions_free(r->raw, r->n);
}

/* Adds the stored rows at lo < pos <= hi to the counts. */
static int add_rows(struct server *srv, const char *user_id, const char *room_id,
                    const struct reads *r, int64_t lo, int64_t hi,
                    struct db_push_thread_count **c, size_t *n)
{
    if (hi <= lo || hi <= r->base)
        return 0;
    struct db_push_thread_count *more;
    size_t n_more;
    int rc = db_push_counts_by_thread(srv->db, user_id, room_id, lo > r->base ? lo : r->base, hi,
                                      r->threads, r->afters, r->n, &more, &n_more);
    if (rc)
        return rc;
    add_all(c, n, more, n_more);
    db_push_thread_counts_free(more, n_more);
    return 0;
}

/* Evaluates the user's rules for the room's events at lo < pos <= hi (not
 * processed by the worker yet) and adds the unread ones to the counts. */
static int add_unprocessed(struct server *srv, const char *user_id, const char *room_id,
                           const struct reads *r, int64_t lo, int64_t hi,
                           struct db_push_thread_count **c, size_t *n)
{
    if (lo < r->base)
        lo = r->base;
    if (hi <= lo)
        return 0;
    struct db_event *ev;
    size_t n_ev;
    int rc = db_events_range(srv->db, room_id, lo, hi, true, UNREAD_INLINE_MAX, &ev, &n_ev);
    if (rc)
        return rc;
    for (size_t i = 0; i < n_ev; i++) {
        if (strcmp(ev[i].sender, user_id) == 0)
            continue;
        json_error_t jerr;
        json_t *pdu = json_loads(ev[i].json, 0, &jerr);
        bool highlight;
        char *thread = NULL;
        if (pdu && push_evaluate_for(srv, pdu, user_id, &highlight, &thread)) {
            bool read = false;
            for (size_t k = 0; k < r->n && !read; k++)
                read = strcmp(r->threads[k], thread) == 0 && ev[i].pos <= r->afters[k];
            if (!read)
                add(c, n, thread, 1, highlight);
        }
        free(thread);
        json_decref(pdu);
    }
    if (n_ev == UNREAD_INLINE_MAX)
        log_warn("unread counts: more than %d events above the push worker in %s", UNREAD_INLINE_MAX,
                 room_id);
    db_events_free(ev, n_ev);
    return 0;
}

/* Counts up to at->upto: the kept counts, the rows stored since, the events
 * above the worker's position; keeps the counts up to the settled position. */
static int count(struct server *srv, const char *user_id, const char *room_id, int64_t member_pos,
                 const struct sync_unread_at *at, struct db_push_thread_count **c, size_t *n)
{
    struct reads r;
    int rc = reads_load(srv, user_id, room_id, member_pos, &r);
    if (rc) {
        reads_fini(&r);
        return rc;
    }
    struct buf key;
    buf_init(&key, UNREAD_READS_MAX);
    buf_printf(&key, "%s\n%s", user_id, room_id);
    int64_t from = 0; /* rows above it are still to count */
    pthread_mutex_lock(&cache.lock);
    struct kept *k = cache.ready && r.sig_whole ? map_get(&cache.kept, key.data, key.len) : NULL;
    /* kept counts ahead of this response's snapshot would count twice */
    if (k && k->member_pos == member_pos && k->upto <= at->processed &&
        strcmp(k->reads, buf_cstr(&r.sig)) == 0) {
        add_all(c, n, k->counts, k->n);
        from = k->upto;
    }
    pthread_mutex_unlock(&cache.lock);
    int64_t keep = at->settled;
    if (from < keep) {
        rc = add_rows(srv, user_id, room_id, &r, from, keep, c, n);
        if (!rc && r.sig_whole) {
            struct kept *nk = xcalloc(1, sizeof *nk);
            nk->member_pos = member_pos;
            nk->reads = xstrdup(buf_cstr(&r.sig));
            nk->upto = keep;
            add_all(&nk->counts, &nk->n, *c, *n);
            pthread_mutex_lock(&cache.lock);
            if (!cache.ready) {
                map_init(&cache.kept, kept_free);
                cache.ready = true;
            }
            if (cache.kept.len >= UNREAD_KEPT_MAX)
                map_clear(&cache.kept);
            struct kept *old = map_get(&cache.kept, key.data, key.len);
            if (!old || old->upto < nk->upto || old->member_pos != nk->member_pos ||
                strcmp(old->reads, nk->reads) != 0)
                map_put(&cache.kept, key.data, key.len, nk);
            else
                kept_free(nk);
            pthread_mutex_unlock(&cache.lock);
        }
        from = keep;
    }
    if (!rc)
        rc = add_rows(srv, user_id, room_id, &r, from, at->processed, c, n);
    if (!rc)
        rc = add_unprocessed(srv, user_id, room_id, &r, at->processed > from ? at->processed : from,
                             at->upto, c, n);
    buf_fini(&key);
    reads_fini(&r);
    return rc;
}

json_t *sync_unread_counts(struct server *srv, const char *user_id, const char *room_id,
                           int64_t member_pos, const struct sync_unread_at *at, bool by_thread,
                           json_t **threads)
{
    *threads = NULL;
    int64_t notifications = 0, highlights = 0;
    struct db_push_thread_count *counts = NULL;
    size_t n = 0;
    if (count(srv, user_id, room_id, member_pos, at, &counts, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (!counts[i].notifications)
                continue;
            bool main_timeline = strcmp(counts[i].thread_id, "main") == 0;
            if (by_thread && !main_timeline) {
                if (!*threads)
                    *threads = json_object();
                json_object_set_new(*threads, counts[i].thread_id,
                                    json_pack("{s:I, s:I}", "notification_count",
                                              (json_int_t)counts[i].notifications,
                                              "highlight_count",
                                              (json_int_t)counts[i].highlights));
                continue;
            }
            notifications += counts[i].notifications;
            highlights += counts[i].highlights;
        }
    }
    db_push_thread_counts_free(counts, n);
    return json_pack("{s:I, s:I}", "notification_count", (json_int_t)notifications,
                     "highlight_count", (json_int_t)highlights);
}
