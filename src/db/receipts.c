/* receipts.c: storage of read receipts (see receipts.h). One row per (room,
 * user, type, thread); an update takes a new stream position. */
#define LOG_MODULE "db"
#include "db/receipts.h"
#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

#include <string.h>

struct receipt_args {
    const char *room_id, *user_id, *type, *thread_id, *event_id; /* borrowed */
    int64_t event_pos, ts;                                         /* the receipt */
    int64_t pos;                                                   /* out */
};

/* Binds the receipt's key (room, user, type, thread) to parameters 1 to 4 of st. */
static void bind_key(sqlite3_stmt *st, const struct receipt_args *a)
{
    db__bind_text(st, 1, a->room_id);
    db__bind_text(st, 2, a->user_id);
    db__bind_text(st, 3, a->type);
    db__bind_text(st, 4, a->thread_id);
}

static int receipt_put_fn(struct db_conn *c, void *arg)
{
    struct receipt_args *a = arg;
    a->pos = 0;
    sqlite3_stmt *st = db__stmt(c, "SELECT event_pos FROM receipts WHERE room_id = ? AND "
                                   "user_id = ? AND type = ? AND thread_id = ?");
    if (!st)
        return ERR_DB;
    bind_key(st, a);
    int rc = sqlite3_step(st);
    int64_t old = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ERR_DB;
    if (old >= a->event_pos)
        return 0;
    st = db__stmt(c, "DELETE FROM receipts WHERE room_id = ? AND user_id = ? AND type = ? AND "
                     "thread_id = ?");
    if (!st)
        return ERR_DB;
    bind_key(st, a);
    if (db__step_done(c, st))
        return ERR_DB;
    st = db__stmt(c, "INSERT INTO receipts (room_id, user_id, type, thread_id, event_id, "
                     "event_pos, ts) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!st)
        return ERR_DB;
    bind_key(st, a);
    db__bind_text(st, 5, a->event_id);
    sqlite3_bind_int64(st, 6, a->event_pos);
    sqlite3_bind_int64(st, 7, a->ts);
    if (db__step_done(c, st))
        return ERR_DB;
    a->pos = sqlite3_last_insert_rowid(c->sql);
    return 0;
}

int db_receipt_put(struct db *db, const char *room_id, const char *user_id, const char *type,
                   const char *thread_id, const char *event_id, int64_t event_pos, int64_t ts,
                   int64_t *pos)
{
    struct receipt_args a = {room_id, user_id, type, thread_id ? thread_id : "", event_id,
                             event_pos, ts, 0};
    int rc = db__write(db, receipt_put_fn, &a);
    *pos = a.pos;
    return rc;
}

/* Fills a struct db_receipt but for its room_id, which the caller sets. */
static void receipt_fill(sqlite3_stmt *st, void *elem)
{
    struct db_receipt *r = elem;
    r->pos = sqlite3_column_int64(st, 0);
    r->user_id = db__col_text(st, 1);
    r->type = db__col_text(st, 2);
    r->thread_id = db__col_text(st, 3);
    r->event_id = db__col_text(st, 4);
    r->event_pos = sqlite3_column_int64(st, 5);
    r->ts = sqlite3_column_int64(st, 6);
}

static void receipt_fini(void *elem)
{
    struct db_receipt *r = elem;
    free(r->room_id);
    free(r->user_id);
    free(r->type);
    free(r->thread_id);
    free(r->event_id);
}

int db_receipts_room(struct db *db, const char *room_id, int64_t since, int64_t upto,
                     struct db_receipt **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT stream_pos, user_id, type, thread_id, event_id, "
                                       "event_pos, ts FROM receipts WHERE room_id = ? AND "
                                       "stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, upto);
    int rc = db__rows_collect(st, sizeof **out, receipt_fill, receipt_fini, out, n);
    for (size_t i = 0; i < *n; i++)
        (*out)[i].room_id = xstrdup(room_id);
    return rc;
}

int db_receipt_read_upto(struct db *db, const char *room_id, const char *user_id,
                         const char *thread_id, int64_t *event_pos)
{
    *event_pos = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT COALESCE(MAX(event_pos), 0) FROM receipts WHERE "
                                       "room_id = ?1 AND user_id = ?2 AND (thread_id = '' OR "
                                       "thread_id = ?3)")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    db__bind_text(st, 2, user_id);
    db__bind_text(st, 3, thread_id ? thread_id : "main");
    return db__step_i64(st, event_pos);
}

static void read_position_fill(sqlite3_stmt *st, void *elem)
{
    struct db_read_position *p = elem;
    p->thread_id = db__col_text(st, 0);
    p->event_pos = sqlite3_column_int64(st, 1);
}

static void read_position_fini(void *elem)
{
    free(((struct db_read_position *)elem)->thread_id);
}

int db_receipt_read_positions(struct db *db, const char *room_id, const char *user_id,
                              struct db_read_position **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT thread_id, MAX(event_pos) FROM receipts WHERE "
                                       "room_id = ? AND user_id = ? GROUP BY thread_id")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    db__bind_text(st, 2, user_id);
    return db__rows_collect(st, sizeof **out, read_position_fill, read_position_fini, out, n);
}

void db_read_positions_free(struct db_read_position *p, size_t n)
{
    db__items_free(p, n, sizeof *p, read_position_fini);
}

int db_receipts_max_pos(struct db *db, int64_t *pos)
{
    return db__read_i64(db, "SELECT COALESCE(MAX(stream_pos), 0) FROM receipts", pos);
}

void db_receipts_free(struct db_receipt *r, size_t n)
{
    db__items_free(r, n, sizeof *r, receipt_fini);
}
