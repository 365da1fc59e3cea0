/* to_device.c: the to-device message queue. A message waits per target
 * device until a /sync acknowledges it (by sending a since token past its
 * position); transaction IDs make /sendToDevice idempotent per device. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"

#include <string.h>

struct send_args {
    const char *sender, *sender_device, *txn_id, *type;
    const struct db_to_device_write *msgs;
    size_t n;
    int64_t *pos;
    bool *duplicate;
};

/* Transaction IDs are remembered for a day: a client retries within seconds. */
enum { TO_DEVICE_TXN_KEEP_MS = 24 * 3600 * 1000 };

static int send_fn(struct db_conn *c, void *arg)
{
    struct send_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM to_device_txns WHERE sender = ? AND "
                                   "sender_device = ? AND ts < ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->sender);
    db__bind_text(st, 2, a->sender_device);
    sqlite3_bind_int64(st, 3, clock_now_ms() - TO_DEVICE_TXN_KEEP_MS);
    if (db__step_done(c, st))
        return ERR_DB;
    st = db__stmt(c, "INSERT INTO to_device_txns (sender, sender_device, txn_id, ts) "
                                   "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->sender);
    db__bind_text(st, 2, a->sender_device);
    db__bind_text(st, 3, a->txn_id);
    sqlite3_bind_int64(st, 4, clock_now_ms());
    int rc = db__step_done(c, st);
    if (rc)
        return rc;
    if (sqlite3_changes(c->sql) == 0) {
        *a->duplicate = true;
        return 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        st = db__stmt(c, "INSERT INTO to_device_messages (user_id, device_id, sender, type, "
                         "content) VALUES (?, ?, ?, ?, ?)");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->msgs[i].user_id);
        db__bind_text(st, 2, a->msgs[i].device_id);
        db__bind_text(st, 3, a->sender);
        db__bind_text(st, 4, a->type);
        db__bind_text(st, 5, a->msgs[i].content_json);
        if ((rc = db__step_done(c, st)))
            return rc;
        *a->pos = sqlite3_last_insert_rowid(c->sql);
    }
    return 0;
}

int db_to_device_send(struct db *db, const char *sender, const char *sender_device,
                      const char *txn_id, const char *type, const struct db_to_device_write *msgs,
                      size_t n, int64_t *pos, bool *duplicate)
{
    *duplicate = false;
    struct send_args a = {sender, sender_device, txn_id, type, msgs, n, pos, duplicate};
    return db__write(db, send_fn, &a);
}

static void to_device_msg_fini(void *elem)
{
    struct db_to_device_msg *m = elem;
    free(m->sender);
    free(m->type);
    free(m->content);
}

void db_to_device_msgs_free(struct db_to_device_msg *m, size_t n)
{
    db__items_free(m, n, sizeof *m, to_device_msg_fini);
}

static void to_device_msg_fill(sqlite3_stmt *st, void *elem)
{
    struct db_to_device_msg *m = elem;
    m->pos = sqlite3_column_int64(st, 0);
    m->sender = db__col_text(st, 1);
    m->type = db__col_text(st, 2);
    m->content = db__col_text(st, 3);
}

int db_to_device_fetch(struct db *db, const char *user_id, const char *device_id, int64_t after,
                       int64_t upto, size_t limit, struct db_to_device_msg **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT stream_pos, sender, type, content FROM "
                                       "to_device_messages WHERE user_id = ? AND device_id = ? "
                                       "AND stream_pos > ? AND stream_pos <= ? "
                                       "ORDER BY stream_pos LIMIT ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, device_id);
    sqlite3_bind_int64(st, 3, after);
    sqlite3_bind_int64(st, 4, upto);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)limit);
    return db__rows_collect(st, sizeof **out, to_device_msg_fill, to_device_msg_fini, out, n);
}

struct ack_args {
    const char *user_id, *device_id;
    int64_t upto;
};

static int ack_fn(struct db_conn *c, void *arg)
{
    struct ack_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM to_device_messages WHERE user_id = ? AND "
                                   "device_id = ? AND stream_pos <= ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    sqlite3_bind_int64(st, 3, a->upto);
    return db__step_done(c, st);
}

int db_to_device_ack(struct db *db, const char *user_id, const char *device_id, int64_t upto)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT 1 FROM to_device_messages WHERE user_id = ? AND "
                                       "device_id = ? AND stream_pos <= ? LIMIT 1")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, device_id);
    sqlite3_bind_int64(st, 3, upto);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return ERR_DB;
    struct ack_args a = {user_id, device_id, upto};
    return db__write(db, ack_fn, &a);
}

int db_to_device_max_pos(struct db *db, int64_t *pos)
{
    /* sqlite_sequence keeps the AUTOINCREMENT high mark even when the queue is empty. */
    return db__read_i64(db, "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = "
                            "'to_device_messages'", pos);
}
