/* pushers.c: pushers and the delivery queue (see db/pushers.h). */
#define LOG_MODULE "db"
#include "db/pushers.h"
#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

#include <string.h>

struct pusher_args {
    const char *user_id, *app_id, *pushkey, *json; /* borrowed */
    int64_t ts;                                     /* when set */
    bool append;                                    /* keep other users' same pushkey */
    bool found;                                     /* out: a row was deleted */
};

static int pusher_set_fn(struct db_conn *c, void *arg)
{
    struct pusher_args *a = arg;
    sqlite3_stmt *st;
    if (!a->append) {
        st = db__stmt(c, "DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id != ?");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->app_id);
        db__bind_text(st, 2, a->pushkey);
        db__bind_text(st, 3, a->user_id);
        if (db__step_done(c, st))
            return ERR_DB;
    }
    st = db__stmt(c, "INSERT INTO pushers (user_id, app_id, pushkey, data, ts) VALUES "
                     "(?, ?, ?, ?, ?) ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET "
                     "data = excluded.data, ts = excluded.ts");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->app_id);
    db__bind_text(st, 3, a->pushkey);
    db__bind_text(st, 4, a->json);
    sqlite3_bind_int64(st, 5, a->ts);
    return db__step_done(c, st);
}

int db_pusher_set(struct db *db, const char *user_id, const char *app_id, const char *pushkey,
                  const char *json, int64_t ts, bool append)
{
    struct pusher_args a = {user_id, app_id, pushkey, json, ts, append, false};
    return db__write(db, pusher_set_fn, &a);
}

static int pusher_delete_fn(struct db_conn *c, void *arg)
{
    struct pusher_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM pushers WHERE user_id = ? AND app_id = ? AND "
                                   "pushkey = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->app_id);
    db__bind_text(st, 3, a->pushkey);
    int rc = db__step_done(c, st);
    a->found = !rc && sqlite3_changes(c->sql) > 0;
    return rc;
}

int db_pusher_delete(struct db *db, const char *user_id, const char *app_id, const char *pushkey)
{
    struct pusher_args a = {user_id, app_id, pushkey, NULL, 0, false, false};
    int rc = db__write(db, pusher_delete_fn, &a);
    return rc ? rc : a.found ? 0 : ERR_NOT_FOUND;
}

static void pusher_fini(void *elem)
{
    struct db_pusher *p = elem;
    free(p->user_id);
    free(p->app_id);
    free(p->pushkey);
    free(p->json);
}

static void pusher_fill(sqlite3_stmt *st, void *elem)
{
    struct db_pusher *p = elem;
    p->user_id = db__col_text(st, 0);
    p->app_id = db__col_text(st, 1);
    p->pushkey = db__col_text(st, 2);
    p->json = db__col_text(st, 3);
    p->ts = sqlite3_column_int64(st, 4);
}

int db_pushers_list(struct db *db, const char *user_id, struct db_pusher **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT user_id, app_id, pushkey, data, ts FROM pushers "
                                       "WHERE ?1 IS NULL OR user_id = ?1 ORDER BY ts")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    return db__rows_collect(st, sizeof **out, pusher_fill, pusher_fini, out, n);
}

void db_pushers_free(struct db_pusher *p, size_t n)
{
    db__items_free(p, n, sizeof *p, pusher_fini);
}

struct deliveries_args {
    const struct db_delivery *d; /* borrowed */
    size_t n;                    /* entries */
};

static int deliveries_add_fn(struct db_conn *c, void *arg)
{
    struct deliveries_args *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        sqlite3_stmt *st = db__stmt(c, "INSERT INTO push_deliveries (user_id, app_id, pushkey, "
                                       "url, body, attempts, next_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->d[i].user_id);
        db__bind_text(st, 2, a->d[i].app_id);
        db__bind_text(st, 3, a->d[i].pushkey);
        db__bind_text(st, 4, a->d[i].url);
        db__bind_text(st, 5, a->d[i].body);
        sqlite3_bind_int(st, 6, a->d[i].attempts);
        sqlite3_bind_int64(st, 7, a->d[i].next_ms);
        if (db__step_done(c, st))
            return ERR_DB;
    }
    return 0;
}

int db_deliveries_add(struct db *db, const struct db_delivery *d, size_t n)
{
    if (!n)
        return 0;
    struct deliveries_args a = {d, n};
    return db__write(db, deliveries_add_fn, &a);
}

static void delivery_fini(void *elem)
{
    struct db_delivery *d = elem;
    free(d->user_id);
    free(d->app_id);
    free(d->pushkey);
    free(d->url);
    free(d->body);
}

static void delivery_fill(sqlite3_stmt *st, void *elem)
{
    struct db_delivery *d = elem;
    d->id = sqlite3_column_int64(st, 0);
    d->user_id = db__col_text(st, 1);
    d->app_id = db__col_text(st, 2);
    d->pushkey = db__col_text(st, 3);
    d->url = db__col_text(st, 4);
    d->body = db__col_text(st, 5);
    d->attempts = sqlite3_column_int(st, 6);
    d->next_ms = sqlite3_column_int64(st, 7);
}

int db_deliveries_due(struct db *db, int64_t now_ms, size_t limit, struct db_delivery **out,
                      size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT id, user_id, app_id, pushkey, url, body, attempts, "
                                       "next_ms FROM push_deliveries WHERE next_ms <= ? "
                                       "ORDER BY id LIMIT ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    return db__rows_collect(st, sizeof **out, delivery_fill, delivery_fini, out, n);
}

int db_deliveries_next(struct db *db, int64_t *next_ms)
{
    return db__read_i64(db, "SELECT COALESCE(MIN(next_ms), 0) FROM push_deliveries", next_ms);
}

struct delivery_args {
    int64_t id, next_ms; /* entry, next try */
    int attempts;        /* tries so far; < 0: remove */
};

static int delivery_update_fn(struct db_conn *c, void *arg)
{
    struct delivery_args *a = arg;
    sqlite3_stmt *st;
    if (a->attempts < 0) {
        st = db__stmt(c, "DELETE FROM push_deliveries WHERE id = ?");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int64(st, 1, a->id);
    } else {
        st = db__stmt(c, "UPDATE push_deliveries SET attempts = ?, next_ms = ? WHERE id = ?");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int(st, 1, a->attempts);
        sqlite3_bind_int64(st, 2, a->next_ms);
        sqlite3_bind_int64(st, 3, a->id);
    }
    return db__step_done(c, st);
}

int db_delivery_done(struct db *db, int64_t id)
{
    struct delivery_args a = {id, 0, -1};
    return db__write(db, delivery_update_fn, &a);
}

int db_delivery_retry(struct db *db, int64_t id, int attempts, int64_t next_ms)
{
    struct delivery_args a = {id, next_ms, attempts};
    return db__write(db, delivery_update_fn, &a);
}

void db_deliveries_free(struct db_delivery *d, size_t n)
{
    db__items_free(d, n, sizeof *d, delivery_fini);
}
