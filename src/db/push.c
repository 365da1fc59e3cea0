/* push.c: push rule documents and event push actions (see db/push.h). */
#define LOG_MODULE "db"
#include "db/push.h"
#include "db/internal.h"
#include "db/receipts.h"
#include "db/search.h"

#include "base/err.h"
#include "base/mem.h"

#include <string.h>

int db_push_rules_get(struct db *db, const char *user_id, char **json)
{
    *json = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT data FROM push_rules WHERE user_id = ?") : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *json = db__col_text(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

struct rules_args {
    const char *user_id, *json; /* borrowed */
};

static int rules_put_fn(struct db_conn *c, void *arg)
{
    struct rules_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO push_rules (user_id, data) VALUES (?, ?) "
                                   "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->json);
    return db__step_done(c, st);
}

int db_push_rules_put(struct db *db, const char *user_id, const char *json)
{
    struct rules_args a = {user_id, json};
    return db__write(db, rules_put_fn, &a);
}

static int batch_store_fn(struct db_conn *c, void *arg)
{
    const struct db_push_batch *a = arg;
    if (db__search_write(c, a->docs, a->n_docs, a->unindexed, a->n_unindexed))
        return ERR_DB;
    for (size_t i = 0; i < a->n_rows; i++) {
        const struct db_push_event *r = &a->rows[i];
        sqlite3_stmt *st = db__stmt(c, "INSERT OR IGNORE INTO event_push (room_id, event_pos, "
                                       "event_id, thread_id, sender, ts, all_but, users, "
                                       "highlights, actions, overrides) VALUES "
                                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, r->room_id);
        sqlite3_bind_int64(st, 2, r->event_pos);
        db__bind_text(st, 3, r->event_id);
        db__bind_text(st, 4, r->thread_id);
        db__bind_text(st, 5, r->sender);
        sqlite3_bind_int64(st, 6, r->ts);
        sqlite3_bind_int(st, 7, r->all_but);
        db__bind_text(st, 8, r->users);
        db__bind_text(st, 9, r->highlights);
        db__bind_text(st, 10, r->actions);
        db__bind_text(st, 11, r->overrides);
        if (db__step_done(c, st))
            return ERR_DB;
    }
    if (a->processed_upto > 0) {
        sqlite3_stmt *st = db__stmt(c, "UPDATE push_progress SET processed_pos = ?1 WHERE "
                                       "id = 0 AND processed_pos < ?1");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int64(st, 1, a->processed_upto);
        if (db__step_done(c, st))
            return ERR_DB;
    }
    return 0;
}

int db_push_batch_store(struct db *db, const struct db_push_batch *batch)
{
    if (!batch->n_rows && !batch->n_docs && !batch->n_unindexed && batch->processed_upto <= 0)
        return 0;
    return db__write(db, batch_store_fn, (void *)batch);
}

int db_push_thread_root(struct db *db, const char *event_id, char **root)
{
    *root = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT relates_to FROM events WHERE event_id = ? AND "
                                       "rel_type = 'm.thread' AND redacted_by IS NULL")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, event_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *root = db__col_text(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return *root ? 0 : ERR_NOT_FOUND;
    return rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

int db_push_processed_get(struct db *db, int64_t *pos)
{
    *pos = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT processed_pos FROM push_progress WHERE id = 0") : NULL;
    if (!st)
        return ERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *pos = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_push_backlog(struct db *db, int64_t after, size_t limit, struct db_push_backlog **out,
                    size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT e.stream_pos, e.event_id, e.json FROM events e "
                                       "WHERE e.stream_pos > ? AND NOT EXISTS (SELECT 1 FROM "
                                       "event_push p WHERE p.event_pos = e.stream_pos) "
                                       "ORDER BY e.stream_pos LIMIT ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = (struct db_push_backlog){sqlite3_column_int64(st, 0),
                                                  db__col_text(st, 1), db__col_text(st, 2)};
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_push_backlog_free(*out, *n);
        *out = NULL;
        *n = 0;
        return ERR_DB;
    }
    return 0;
}

void db_push_backlog_free(struct db_push_backlog *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(b[i].event_id);
        free(b[i].json);
    }
    free(b);
}

/* Whether "\n<user>\n" occurs in list. */
static bool listed(const char *list, const char *user_id)
{
    if (!list || !list[0])
        return false;
    size_t ul = strlen(user_id);
    for (const char *p = strstr(list, user_id); p; p = strstr(p + 1, user_id))
        if (p > list && p[-1] == '\n' && p[ul] == '\n')
            return true;
    return false;
}

bool db_push_event_notifies(const struct db_push_event *row, const char *user_id)
{
    if (strcmp(row->sender, user_id) == 0)
        return false;
    return row->all_but ? !listed(row->users, user_id) : listed(row->users, user_id);
}

bool db_push_event_highlights(const struct db_push_event *row, const char *user_id)
{
    return listed(row->highlights, user_id) && db_push_event_notifies(row, user_id);
}

char *db_push_event_actions(const struct db_push_event *row, const char *user_id)
{
    if (row->overrides) {
        json_error_t jerr;
        json_t *o = json_loads(row->overrides, 0, &jerr);
        json_t *a = json_object_get(o, user_id);
        char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
        json_decref(o);
        if (text)
            return text;
    }
    return xstrdup(row->actions ? row->actions : "[]");
}

/* Adds the rows of st (thread_id, event_pos, sender, all_but, users,
 * highlights) that notify user and are not read to the per-thread counts. */
static int count_rows(sqlite3_stmt *st, const char *user_id, const char *const *threads,
                      const int64_t *afters, size_t n_threads, struct db_push_thread_count **out,
                      size_t *n)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *thread = (const char *)sqlite3_column_text(st, 0);
        int64_t pos = sqlite3_column_int64(st, 1);
        struct db_push_event r = {
            .sender = (const char *)sqlite3_column_text(st, 2),
            .all_but = sqlite3_column_int(st, 3) != 0,
            .users = (const char *)sqlite3_column_text(st, 4),
            .highlights = (const char *)sqlite3_column_text(st, 5),
        };
        if (!thread || !r.sender || !db_push_event_notifies(&r, user_id))
            continue;
        bool read = false;
        for (size_t i = 0; i < n_threads && !read; i++)
            read = strcmp(threads[i], thread) == 0 && pos <= afters[i];
        if (read)
            continue;
        size_t k = 0;
        while (k < *n && strcmp((*out)[k].thread_id, thread) != 0)
            k++;
        if (k == *n) {
            *out = xrealloc(*out, (*n + 1) * sizeof **out);
            (*out)[(*n)++] = (struct db_push_thread_count){xstrdup(thread), 0, 0};
        }
        (*out)[k].notifications++;
        if (listed(r.highlights, user_id))
            (*out)[k].highlights++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

/* The rows (thread_id, event_pos, sender, all_but, users, highlights) of room
 * ?1 at ?2 < pos <= ?3 (and extra), from the covering per-room index alone. */
#define ROOM_ROWS_SQL(extra)                                                                     \
    "SELECT p.thread_id, p.event_pos, p.sender, p.all_but, p.users, p.highlights FROM "          \
    "event_push p INDEXED BY event_push_room WHERE p.room_id = ?1 AND p.event_pos > ?2 AND "     \
    "p.event_pos <= ?3" extra

int db_push_counts_by_thread(struct db *db, const char *user_id, const char *room_id,
                             int64_t after, int64_t upto, const char *const *threads,
                             const int64_t *afters, size_t n_threads,
                             struct db_push_thread_count **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    if (!c)
        return ERR_DB;
    int64_t main_after = after;
    for (size_t i = 0; i < n_threads; i++)
        if (strcmp(threads[i], "main") == 0 && afters[i] > main_after)
            main_after = afters[i];
    int rc;
    if (main_after == after) { /* the unthreaded receipt is the latest: one range */
        sqlite3_stmt *st = db__stmt(c, ROOM_ROWS_SQL(""));
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, room_id);
        sqlite3_bind_int64(st, 2, after);
        sqlite3_bind_int64(st, 3, upto);
        rc = count_rows(st, user_id, threads, afters, n_threads, out, n);
    } else {
        /* a "main" receipt ahead (a threaded client): the main timeline from
         * it on, and the thread replies from `after` on through their own
         * index, instead of every row of the room since `after` */
        sqlite3_stmt *st = db__stmt(c, ROOM_ROWS_SQL(" AND p.thread_id = 'main'"));
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, room_id);
        sqlite3_bind_int64(st, 2, main_after);
        sqlite3_bind_int64(st, 3, upto);
        rc = count_rows(st, user_id, threads, afters, n_threads, out, n);
        if (!rc) {
            st = db__stmt(c, "SELECT thread_id, event_pos, sender, all_but, users, highlights "
                             "FROM event_push INDEXED BY event_push_threads WHERE room_id = ? "
                             "AND thread_id <> 'main' AND event_pos > ? AND event_pos <= ?");
            if (!st)
                rc = ERR_DB;
        }
        if (!rc) {
            db__bind_text(st, 1, room_id);
            sqlite3_bind_int64(st, 2, after);
            sqlite3_bind_int64(st, 3, upto);
            rc = count_rows(st, user_id, threads, afters, n_threads, out, n);
        }
    }
    if (rc) {
        db_push_thread_counts_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int db_push_unread(struct db *db, const char *user_id, const char *room_id, int64_t member_pos,
                   struct db_push_thread_count **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_read_position *reads;
    size_t n_reads;
    int rc = db_receipt_read_positions(db, room_id, user_id, &reads, &n_reads);
    if (rc)
        return rc;
    int64_t base = 0;
    const char **ids = xcalloc(n_reads + 1, sizeof *ids);
    int64_t *afters = xcalloc(n_reads + 1, sizeof *afters);
    for (size_t i = 0; i < n_reads; i++) {
        ids[i] = reads[i].thread_id;
        afters[i] = reads[i].event_pos;
        if (!reads[i].thread_id[0])
            base = reads[i].event_pos;
    }
    if (!base)
        base = member_pos;
    rc = db_push_counts_by_thread(db, user_id, room_id, base, INT64_MAX, ids, afters, n_reads, out,
                                  n);
    free(ids);
    free(afters);
    db_read_positions_free(reads, n_reads);
    return rc;
}

void db_push_thread_counts_free(struct db_push_thread_count *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].thread_id);
    free(c);
}

enum {
    NOTIFICATIONS_ROOM_SCAN = 20000, /* rows read in one room per request at most */
    NOTIFICATIONS_MAX_SCAN = 100000, /* rows read in all per request at most: five rooms of
                                        10,000 rows none of which notify the user (muted)
                                        cost 110-140 ms of CPU on a 1M-event database; a
                                        smaller budget spent on them missed the user's
                                        notifications in their other rooms */
};

/* Orders rows newest first. */
static int by_pos_desc(const void *a, const void *b)
{
    const struct db_push_event *x = a, *y = b;
    return (x->event_pos < y->event_pos) - (x->event_pos > y->event_pos);
}

/* Appends the rows of m's room at floor < pos < below that notify the user
 * (after their join, or naming them: an invite), newest first, at most
 * limit, reading at most *budget rows (taken from it). */
static int room_notifications(struct db_conn *c, const struct db_membership *m,
                              const char *user_id, int64_t floor, int64_t below, size_t limit,
                              bool only_highlight, size_t *budget, struct db_push_event **out,
                              size_t *n)
{
    bool joined = strcmp(m->membership, "join") == 0;
    if (!joined && strcmp(m->membership, "invite") != 0)
        return 0;
    sqlite3_stmt *st = db__stmt(
        c, "SELECT p.room_id, p.event_id, p.thread_id, p.sender, p.all_but, p.users, "
           "p.highlights, p.actions, p.overrides, p.event_pos, p.ts FROM events e INDEXED BY "
           "events_room CROSS JOIN event_push p ON p.event_pos = e.stream_pos WHERE "
           "e.room_id = ?1 AND e.stream_pos > ?2 AND e.stream_pos < ?3 "
           "ORDER BY e.stream_pos DESC LIMIT ?4");
    if (!st)
        return ERR_DB;
    size_t scan = *budget < NOTIFICATIONS_ROOM_SCAN ? *budget : NOTIFICATIONS_ROOM_SCAN;
    db__bind_text(st, 1, m->room_id);
    sqlite3_bind_int64(st, 2, floor);
    sqlite3_bind_int64(st, 3, below);
    sqlite3_bind_int64(st, 4, (int64_t)scan);
    size_t kept = 0;
    int rc = SQLITE_DONE;
    while (kept < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        (*budget)--;
        int64_t pos = sqlite3_column_int64(st, 9);
        bool listed_row = sqlite3_column_int(st, 4) == 0;
        if (!(joined && pos > m->pos) && !listed_row)
            continue;
        /* most rows read in a room whose rows rarely notify the user (muted,
         * or their own) are skipped: decided on the borrowed columns */
        struct db_push_event peek = {
            .sender = (const char *)sqlite3_column_text(st, 3),
            .users = (const char *)sqlite3_column_text(st, 5),
            .highlights = (const char *)sqlite3_column_text(st, 6),
            .all_but = !listed_row,
        };
        if (!peek.sender || !db_push_event_notifies(&peek, user_id) ||
            (only_highlight && !listed(peek.highlights, user_id)))
            continue;
        struct db_push_event r = {
            .room_id = db__col_text(st, 0),
            .event_id = db__col_text(st, 1),
            .thread_id = db__col_text(st, 2),
            .sender = db__col_text(st, 3),
            .all_but = !listed_row,
            .users = db__col_text(st, 5),
            .highlights = db__col_text(st, 6),
            .actions = db__col_text(st, 7),
            .overrides = db__col_text(st, 8),
            .event_pos = pos,
            .ts = sqlite3_column_int64(st, 10),
        };
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = r;
        kept++;
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        rc = 0;
    else
        rc = ERR_DB;
    sqlite3_reset(st);
    return rc;
}

/* Each room of the user is read on its own, through events_room (the rows of
 * all rooms share one table in position order: a scan of it newest first
 * missed a user's notifications behind 20,000 newer rows of other rooms),
 * and the rooms' newest rows are merged; at most 2 x limit rows are held, and
 * once limit are, the next rooms are read only above the oldest of them. */
int db_push_notifications(struct db *db, const char *user_id, int64_t before, size_t limit,
                          bool only_highlight, struct db_push_event **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (limit == 0)
        return 0;
    struct db_membership *ms;
    size_t n_ms;
    int rc = db_user_memberships(db, user_id, &ms, &n_ms);
    if (rc)
        return rc;
    struct db_conn *c = db__reader(db);
    if (!c) {
        db_memberships_free(ms, n_ms);
        return ERR_DB;
    }
    int64_t below = before ? before : INT64_MAX, floor = 0;
    size_t budget = NOTIFICATIONS_MAX_SCAN;
    for (size_t i = 0; i < n_ms && budget > 0 && rc == 0; i++) {
        rc = room_notifications(c, &ms[i], user_id, floor, below, limit, only_highlight, &budget,
                                out, n);
        if (rc == 0 && *n >= limit) {
            qsort(*out, *n, sizeof **out, by_pos_desc);
            while (*n > limit)
                db_push_events_free_one(&(*out)[--*n]);
            floor = (*out)[limit - 1].event_pos;
        }
    }
    db_memberships_free(ms, n_ms);
    if (rc) {
        db_push_events_free(*out, *n);
        *out = NULL;
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(*out, *n, sizeof **out, by_pos_desc);
    return 0;
}

void db_push_events_free_one(struct db_push_event *r)
{
    free((char *)r->room_id);
    free((char *)r->event_id);
    free((char *)r->thread_id);
    free((char *)r->sender);
    free((char *)r->users);
    free((char *)r->highlights);
    free((char *)r->actions);
    free((char *)r->overrides);
}

void db_push_events_free(struct db_push_event *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        db_push_events_free_one(&rows[i]);
    free(rows);
}
