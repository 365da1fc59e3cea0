/* events.c: persisting events (with their state group, current state,
 * memberships, forward extremities and redaction links, all in one
 * transaction) and reading them back by ID, range, transaction or relation.
 * The stream position is the events table's rowid, assigned in commit order
 * by the single writer, so positions never skip or repeat for readers. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <string.h>

void db_event_fini(struct db_event *e)
{
    free(e->event_id);
    free(e->room_id);
    free(e->type);
    free(e->state_key);
    free(e->sender);
    free(e->json);
    free(e->redacted_by);
    free(e->txn_device);
    free(e->txn_id);
    memset(e, 0, sizeof *e);
}

void db_events_free(struct db_event *events, size_t n)
{
    for (size_t i = 0; i < n; i++)
        db_event_fini(&events[i]);
    free(events);
}

struct persist_args {
    struct db_event_write *events;
    size_t n;
};

static int persist_one(struct db_conn *c, struct db_event_write *w)
{
    int rc;
    w->state_group = w->prev_state_group;
    if (w->state_key) {
        rc = db__state_group_add(c, w->room_id, w->prev_state_group, w->type, w->state_key,
                                 w->event_id, &w->state_group);
        if (rc)
            return rc;
    }
    sqlite3_stmt *st = db__stmt(
        c, "INSERT INTO events (event_id, room_id, type, state_key, sender, depth, "
           "origin_server_ts, json, state_group, txn_device, txn_id, relates_to, rel_type) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, w->event_id);
    db__bind_text(st, 2, w->room_id);
    db__bind_text(st, 3, w->type);
    db__bind_text(st, 4, w->state_key);
    db__bind_text(st, 5, w->sender);
    sqlite3_bind_int64(st, 6, w->depth);
    sqlite3_bind_int64(st, 7, w->origin_server_ts);
    db__bind_text(st, 8, w->json);
    sqlite3_bind_int64(st, 9, w->state_group);
    db__bind_text(st, 10, w->txn_id ? w->txn_device : NULL);
    db__bind_text(st, 11, w->txn_id);
    db__bind_text(st, 12, w->relates_to);
    db__bind_text(st, 13, w->relates_to ? w->rel_type : NULL);
    rc = db__step_done(c, st);
    if (rc)
        return rc;
    w->pos = sqlite3_last_insert_rowid(c->sql);
    if (w->relates_to && w->rel_type && strcmp(w->rel_type, "m.thread") == 0 &&
        (rc = db__thread_reply(c, w->room_id, w->relates_to, w->sender, w->pos)))
        return rc;
    if (w->state_key) {
        st = db__stmt(c, "INSERT OR REPLACE INTO current_state (room_id, type, state_key, "
                         "event_id) VALUES (?,?,?,?)");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, w->room_id);
        db__bind_text(st, 2, w->type);
        db__bind_text(st, 3, w->state_key);
        db__bind_text(st, 4, w->event_id);
        if ((rc = db__step_done(c, st)))
            return rc;
    }
    if (w->membership && w->state_key) {
        st = db__stmt(c, "INSERT OR REPLACE INTO memberships (room_id, user_id, membership, "
                         "event_id, stream_pos, forgotten) VALUES (?,?,?,?,?,0)");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, w->room_id);
        db__bind_text(st, 2, w->state_key);
        db__bind_text(st, 3, w->membership);
        db__bind_text(st, 4, w->event_id);
        sqlite3_bind_int64(st, 5, w->pos);
        if ((rc = db__step_done(c, st)))
            return rc;
    }
    for (size_t i = 0; i < w->n_prev; i++) {
        st = db__stmt(c, "DELETE FROM forward_extremities WHERE room_id = ? AND event_id = ?");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, w->room_id);
        db__bind_text(st, 2, w->prev_events[i]);
        if ((rc = db__step_done(c, st)))
            return rc;
    }
    st = db__stmt(c, "INSERT OR IGNORE INTO forward_extremities (room_id, event_id) VALUES (?,?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, w->room_id);
    db__bind_text(st, 2, w->event_id);
    if ((rc = db__step_done(c, st)))
        return rc;
    if (w->redacts) {
        st = db__stmt(c, "UPDATE events SET redacted_by = ? WHERE event_id = ? AND room_id = ? "
                         "AND redacted_by IS NULL");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, w->event_id);
        db__bind_text(st, 2, w->redacts);
        db__bind_text(st, 3, w->room_id);
        if ((rc = db__step_done(c, st)) || (rc = db__thread_redacted(c, w->redacts)))
            return rc;
    }
    return 0;
}

static int persist_fn(struct db_conn *c, void *arg)
{
    struct persist_args *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        if (i > 0)
            a->events[i].prev_state_group = a->events[i - 1].state_group;
        int rc = persist_one(c, &a->events[i]);
        if (rc)
            return rc;
    }
    return 0;
}

int db_events_persist(struct db *db, struct db_event_write *events, size_t n)
{
    struct persist_args a = {events, n};
    return db__write(db, persist_fn, &a);
}

struct db_pending_write {
    struct db__job *job;   /* the writer's job, until db__write_end */
    struct persist_args a; /* its argument */
};

int db_events_persist_begin(struct db *db, struct db_event_write *events, size_t n,
                            void (*on_written)(void *ctx, int rc), void *ctx,
                            struct db_pending_write **out)
{
    struct db_pending_write *p = xmalloc(sizeof *p);
    p->a = (struct persist_args){events, n};
    *out = NULL;
    int rc = db__write_begin(db, persist_fn, &p->a, on_written, ctx, &p->job);
    if (rc) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int db_events_persist_end(struct db *db, struct db_pending_write *pending)
{
    int rc = db__write_end(db, pending->job);
    free(pending);
    return rc;
}

/* A db_events_persist_async write: its job's argument, freed when it is done. */
struct async_persist {
    struct persist_args a;                /* the events (the caller's) */
    void (*on_written)(void *ctx, int rc); /* the caller's callbacks and their argument */
    void (*on_done)(void *ctx, int rc);
    void *ctx;
};

static void async_written(void *arg, int rc)
{
    struct async_persist *p = arg;
    p->on_written(p->ctx, rc);
}

static void async_done(void *arg, int rc)
{
    struct async_persist *p = arg;
    void (*on_done)(void *ctx, int rc) = p->on_done;
    void *ctx = p->ctx;
    free(p);
    on_done(ctx, rc);
}

int db_events_persist_async(struct db *db, struct db_event_write *events, size_t n,
                            void (*on_written)(void *ctx, int rc),
                            void (*on_done)(void *ctx, int rc), void *ctx)
{
    struct async_persist *p = xmalloc(sizeof *p);
    *p = (struct async_persist){{events, n}, on_written, on_done, ctx};
    int rc = db__write_async(db, persist_fn, &p->a, async_written, async_done, p);
    if (rc)
        free(p);
    return rc;
}

#define EVENT_COLUMNS                                                                          \
    "stream_pos, event_id, room_id, type, state_key, sender, origin_server_ts, depth, "       \
    "state_group, json, redacted_by, txn_device, txn_id"

static void read_event(sqlite3_stmt *st, struct db_event *e)
{
    e->pos = sqlite3_column_int64(st, 0);
    e->event_id = db__col_text(st, 1);
    e->room_id = db__col_text(st, 2);
    e->type = db__col_text(st, 3);
    e->state_key = db__col_text(st, 4);
    e->sender = db__col_text(st, 5);
    e->origin_server_ts = sqlite3_column_int64(st, 6);
    e->depth = sqlite3_column_int64(st, 7);
    e->state_group = sqlite3_column_int64(st, 8);
    e->json = db__col_text(st, 9);
    e->redacted_by = db__col_text(st, 10);
    e->txn_device = db__col_text(st, 11);
    e->txn_id = db__col_text(st, 12);
}

/* Steps st once into *out: 0, ERR_NOT_FOUND when there is no row, or ERR_DB. */
static int read_one_event(sqlite3_stmt *st, struct db_event *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_event(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

static int read_events(sqlite3_stmt *st, struct db_event **out, size_t *n)
{
    size_t cap = 0;
    int rc;
    *out = NULL;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        read_event(st, &(*out)[(*n)++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_events_free(*out, *n);
        *out = NULL;
        *n = 0;
        return ERR_DB;
    }
    return 0;
}

int db_event_get(struct db *db, const char *event_id, struct db_event *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT " EVENT_COLUMNS " FROM events WHERE event_id = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, event_id);
    return read_one_event(st, out);
}

int db_event_by_txn(struct db *db, const char *sender, const char *device_id, const char *txn_id,
                    const char *room_id, const char *type, char **event_id)
{
    *event_id = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT event_id FROM events WHERE sender = ? AND "
                                       "txn_device = ? AND txn_id = ? AND room_id = ? "
                                       "AND type = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, sender);
    db__bind_text(st, 2, device_id);
    db__bind_text(st, 3, txn_id);
    db__bind_text(st, 4, room_id);
    db__bind_text(st, 5, type);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *event_id = db__col_text(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

int db_events_range(struct db *db, const char *room_id, int64_t from, int64_t to, bool forward,
                    size_t limit, struct db_event **out, size_t *n)
{
    struct db_conn *c = db__reader(db);
    const char *sql = forward ? "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ? AND "
                                "stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos ASC LIMIT ?"
                              : "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ? AND "
                                "stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos DESC LIMIT ?";
    sqlite3_stmt *st = c ? db__stmt(c, sql) : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, (int64_t)limit);
    return read_events(st, out, n);
}

#define RANGE_FILTERED_SQL(order)                                                              \
    "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ?1 AND stream_pos > ?2 AND "          \
    "stream_pos <= ?3 AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(?5) p WHERE "          \
    "events.type GLOB p.value)) AND (?6 IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(?6) p "   \
    "WHERE events.type GLOB p.value)) AND (?7 IS NULL OR sender IN (SELECT value FROM "         \
    "json_each(?7))) AND (?8 IS NULL OR sender NOT IN (SELECT value FROM json_each(?8))) AND "   \
    "(?9 IS NULL OR (COALESCE(json_type(json, '$.content.url'), '') = 'text') = ?9) "          \
    "ORDER BY stream_pos " order " LIMIT ?4"

int db_events_range_filtered(struct db *db, const char *room_id, int64_t from, int64_t to,
                             bool forward, const struct db_event_filter *f, size_t limit,
                             struct db_event **out, size_t *n)
{
    if (!f)
        return db_events_range(db, room_id, from, to, forward, limit, out, n);
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, forward ? RANGE_FILTERED_SQL("ASC") : RANGE_FILTERED_SQL("DESC")) : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, (int64_t)limit);
    db__bind_text(st, 5, f->types);
    db__bind_text(st, 6, f->not_types);
    db__bind_text(st, 7, f->senders);
    db__bind_text(st, 8, f->not_senders);
    if (f->contains_url >= 0)
        sqlite3_bind_int(st, 9, f->contains_url ? 1 : 0);
    return read_events(st, out, n);
}

int db_event_closest_ts(struct db *db, const char *room_id, int64_t ts_ms, bool forward,
                        struct db_event *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        !c ? NULL
        : forward ? db__stmt(c, "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ? AND "
                                "origin_server_ts >= ? ORDER BY origin_server_ts ASC, "
                                "stream_pos ASC LIMIT 1")
                  : db__stmt(c, "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ? AND "
                                "origin_server_ts <= ? ORDER BY origin_server_ts DESC, "
                                "stream_pos DESC LIMIT 1");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, ts_ms);
    return read_one_event(st, out);
}

int db_events_relations(struct db *db, const char *event_id, const char *rel_type,
                        int64_t from, int64_t to, bool forward, size_t limit,
                        struct db_event **out, size_t *n)
{
    struct db_conn *c = db__reader(db);
    const char *sql =
        forward ? "SELECT " EVENT_COLUMNS " FROM events WHERE relates_to = ?1 AND "
                  "(?2 IS NULL OR rel_type = ?2) AND stream_pos > ?3 AND stream_pos <= ?4 "
                  "ORDER BY stream_pos ASC LIMIT ?5"
                : "SELECT " EVENT_COLUMNS " FROM events WHERE relates_to = ?1 AND "
                  "(?2 IS NULL OR rel_type = ?2) AND stream_pos > ?3 AND stream_pos <= ?4 "
                  "ORDER BY stream_pos DESC LIMIT ?5";
    sqlite3_stmt *st = c ? db__stmt(c, sql) : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, event_id);
    db__bind_text(st, 2, rel_type);
    sqlite3_bind_int64(st, 3, from);
    sqlite3_bind_int64(st, 4, to);
    sqlite3_bind_int64(st, 5, (int64_t)limit);
    return read_events(st, out, n);
}

int db_rooms_with_events(struct db *db, int64_t since, int64_t upto, char ***rooms, size_t *n)
{
    *rooms = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    /* no DISTINCT: it sorts through a temporary b-tree, which costs more than
     * the few repeats of a short interval */
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT room_id FROM events WHERE stream_pos > ? "
                                       "AND stream_pos <= ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, upto);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *room = (const char *)sqlite3_column_text(st, 0);
        if (!room || (*n && strcmp((*rooms)[*n - 1], room) == 0))
            continue; /* the same room again in a row */
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *rooms = xrealloc(*rooms, cap * sizeof(char *));
        }
        (*rooms)[(*n)++] = db__col_text(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_strings_free(*rooms, *n);
        *rooms = NULL;
        *n = 0;
        return ERR_DB;
    }
    return 0;
}

int db_events_max_pos(struct db *db, int64_t *pos)
{
    *pos = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT COALESCE(MAX(stream_pos), 0) FROM events") : NULL;
    if (!st)
        return ERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *pos = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : ERR_DB;
}

int db_current_state_events(struct db *db, const char *room_id, struct db_event **out, size_t *n)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT e.stream_pos, e.event_id, e.room_id, e.type, e.state_key, e.sender, "
                        "e.origin_server_ts, e.depth, e.state_group, e.json, e.redacted_by, "
                        "e.txn_device, e.txn_id FROM current_state cs JOIN events e ON "
                        "e.event_id = cs.event_id WHERE cs.room_id = ? ORDER BY e.stream_pos")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    return read_events(st, out, n);
}

int db_room_head(struct db *db, const char *room_id, char ***extremities, size_t *n_ext,
                 int64_t *max_depth, int64_t *state_group)
{
    *extremities = NULL;
    *n_ext = 0;
    *max_depth = 0;
    *state_group = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT event_id FROM forward_extremities WHERE room_id = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n_ext == cap) {
            cap = cap ? cap * 2 : 4;
            *extremities = xrealloc(*extremities, cap * sizeof(char *));
        }
        (*extremities)[(*n_ext)++] = db__col_text(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return ERR_DB;
    st = db__stmt(c, "SELECT depth, state_group FROM events WHERE room_id = ? ORDER BY stream_pos "
                     "DESC LIMIT 1");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *max_depth = sqlite3_column_int64(st, 0);
        *state_group = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_state_events_between(struct db *db, const char *room_id, int64_t from, int64_t to,
                            size_t limit, struct db_event **out, size_t *n)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ? "
                                       "AND state_key IS NOT NULL AND stream_pos > ? AND "
                                       "stream_pos <= ? ORDER BY stream_pos ASC LIMIT ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    sqlite3_bind_int64(st, 4, (int64_t)limit);
    return read_events(st, out, n);
}

int db_state_events_of(struct db *db, const char *room_id, const char *type,
                       const char *state_key, int64_t after, int64_t upto,
                       struct db_event **out, size_t *n)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ? "
                                       "AND stream_pos > ? AND stream_pos <= ? AND type = ? AND "
                                       "state_key = ? ORDER BY stream_pos ASC")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, upto);
    db__bind_text(st, 4, type);
    db__bind_text(st, 5, state_key);
    return read_events(st, out, n);
}

int db_state_event_before(struct db *db, const char *room_id, const char *type,
                          const char *state_key, int64_t before, struct db_event *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    /* Member events have their own (partial) index, usable only with the literal type. */
    bool member = strcmp(type, "m.room.member") == 0;
    sqlite3_stmt *st =
        !c ? NULL
        : member ? db__stmt(c, "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ?1 AND "
                               "type = 'm.room.member' AND ?2 IS NOT NULL AND state_key = ?3 "
                               "AND stream_pos < ?4 ORDER BY stream_pos DESC LIMIT 1")
                 : db__stmt(c, "SELECT " EVENT_COLUMNS " FROM events WHERE room_id = ? "
                               "AND type = ? AND state_key = ? AND stream_pos < ? "
                               "ORDER BY stream_pos DESC LIMIT 1");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    db__bind_text(st, 2, type);
    db__bind_text(st, 3, state_key);
    sqlite3_bind_int64(st, 4, before);
    return read_one_event(st, out);
}

int db_room_state_group_before(struct db *db, const char *room_id, int64_t pos, int64_t *group)
{
    *group = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT state_group FROM events WHERE room_id = ? AND "
                                       "stream_pos < ? ORDER BY stream_pos DESC LIMIT 1")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, pos);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *group = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_events_get_many(struct db *db, char *const *ids, size_t n_ids, struct db_event **out,
                       size_t *n)
{
    *out = xcalloc(n_ids + 1, sizeof **out);
    *n = 0;
    for (size_t i = 0; i < n_ids; i++) {
        int rc = db_event_get(db, ids[i], &(*out)[*n]);
        if (rc == 0)
            (*n)++;
        else if (rc != ERR_NOT_FOUND) {
            db_events_free(*out, *n);
            *out = NULL;
            *n = 0;
            return rc;
        }
    }
    return 0;
}
