/* devices.c: devices, access tokens and refresh tokens. Tokens are kept only
 * as sha256 hashes, so a copy of the database does not leak live sessions. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <string.h>

void db_device_fini(struct db_device *d)
{
    free(d->device_id);
    free(d->display_name);
    free(d->last_seen_ip);
    memset(d, 0, sizeof *d);
}

struct device_args {
    const char *user_id, *device_id, *text, *ip;
    int64_t ts;
};

/* A device has at most one live session: reusing a device ID (login with
 * device_id) revokes its earlier access and refresh tokens in the same
 * transaction, before the caller issues the new ones. */
static int device_ensure_fn(struct db_conn *c, void *arg)
{
    struct device_args *a = arg;
    sqlite3_stmt *st =
        db__stmt(c, "DELETE FROM access_tokens WHERE user_id = ?1 AND device_id = ?2");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    int rc = db__step_done(c, st);
    if (rc)
        return rc;
    st = db__stmt(
        c, "INSERT INTO devices (user_id, device_id, display_name, last_seen_ip, last_seen_ts, "
           "created_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (user_id, device_id) DO "
           "UPDATE SET display_name = COALESCE(display_name, excluded.display_name), "
           "last_seen_ip = excluded.last_seen_ip, last_seen_ts = excluded.last_seen_ts");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    db__bind_text(st, 3, a->text);
    db__bind_text(st, 4, a->ip);
    sqlite3_bind_int64(st, 5, a->ts);
    return db__step_done(c, st);
}

int db_device_ensure(struct db *db, const char *user_id, const char *device_id,
                     const char *display_name, const char *ip)
{
    struct device_args a = {user_id, device_id, display_name, ip, clock_now_ms()};
    return db__write(db, device_ensure_fn, &a);
}

/* A db__row_fn: fills a struct db_device from a row. */
static void read_device(sqlite3_stmt *st, void *elem)
{
    struct db_device *d = elem;
    d->device_id = db__col_text(st, 0);
    d->display_name = db__col_text(st, 1);
    d->last_seen_ip = db__col_text(st, 2);
    d->last_seen_ts = sqlite3_column_int64(st, 3);
}

int db_device_get(struct db *db, const char *user_id, const char *device_id, struct db_device *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT device_id, display_name, last_seen_ip, "
                                       "last_seen_ts FROM devices WHERE user_id = ? AND "
                                       "device_id = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, device_id);
    int rc = sqlite3_step(st);
    int out_rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    if (rc == SQLITE_ROW)
        read_device(st, out);
    sqlite3_reset(st);
    return out_rc;
}

static void device_fini(void *elem)
{
    db_device_fini(elem);
}

int db_device_list(struct db *db, const char *user_id, struct db_device **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT device_id, display_name, last_seen_ip, "
                                       "last_seen_ts FROM devices WHERE user_id = ? "
                                       "ORDER BY device_id")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    return db__rows_collect(st, sizeof **out, read_device, device_fini, out, n);
}

static int device_set_name_fn(struct db_conn *c, void *arg)
{
    struct device_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "UPDATE devices SET display_name = ? WHERE user_id = ? AND "
                                   "device_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->text);
    db__bind_text(st, 2, a->user_id);
    db__bind_text(st, 3, a->device_id);
    int rc = db__step_done(c, st);
    return rc ? rc : sqlite3_changes(c->sql) ? 0 : ERR_NOT_FOUND;
}

int db_device_set_name(struct db *db, const char *user_id, const char *device_id, const char *name)
{
    struct device_args a = {user_id, device_id, name, NULL, 0};
    return db__write(db, device_set_name_fn, &a);
}

static int device_delete_fn(struct db_conn *c, void *arg)
{
    struct device_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    int rc = db__step_done(c, st);
    if (rc)
        return rc;
    st = db__stmt(c, "DELETE FROM devices WHERE user_id = ? AND device_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    rc = db__step_done(c, st);
    if (rc)
        return rc;
    if (!sqlite3_changes(c->sql))
        return ERR_NOT_FOUND;
    return db__e2ee_devices_gone(c, a->user_id, a->device_id, NULL);
}

int db_device_delete(struct db *db, const char *user_id, const char *device_id)
{
    struct device_args a = {user_id, device_id, NULL, NULL, 0};
    return db__write(db, device_delete_fn, &a);
}

static int devices_delete_all_fn(struct db_conn *c, void *arg)
{
    struct device_args *a = arg;
    static const char *const sqls[] = {
        "DELETE FROM access_tokens WHERE user_id = ?1 AND device_id IS NOT ?2",
        "DELETE FROM devices WHERE user_id = ?1 AND device_id IS NOT ?2",
    };
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = db__stmt(c, sqls[i]);
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->user_id);
        db__bind_text(st, 2, a->device_id);
        int rc = db__step_done(c, st);
        if (rc)
            return rc;
    }
    return db__e2ee_devices_gone(c, a->user_id, NULL, a->device_id);
}

int db_devices_delete_all(struct db *db, const char *user_id, const char *keep_device_id)
{
    struct device_args a = {user_id, keep_device_id, NULL, NULL, 0};
    return db__write(db, devices_delete_all_fn, &a);
}

static int device_touch_fn(struct db_conn *c, void *arg)
{
    struct device_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "UPDATE devices SET last_seen_ip = ?, last_seen_ts = ? "
                                   "WHERE user_id = ? AND device_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->ip);
    sqlite3_bind_int64(st, 2, a->ts);
    db__bind_text(st, 3, a->user_id);
    db__bind_text(st, 4, a->device_id);
    return db__step_done(c, st);
}

/* A last-seen update handed to the writer with copies of its strings. */
struct touch_job {
    struct device_args a; /* must be first: the writer is handed &a */
    char *user_id;        /* owned copies that a points to */
    char *device_id;
    char *ip;
};

static void touch_job_free(void *arg)
{
    struct touch_job *t = arg;
    free(t->user_id);
    free(t->device_id);
    free(t->ip);
    free(t);
}

/* Detached: the request that noticed the device in use (once per interval, see
 * client/auth.c) does not wait for an fsync, which on a request thread held up every
 * connection that thread serves. Losing the update in a crash only leaves it older. */
int db_device_touch(struct db *db, const char *user_id, const char *device_id, const char *ip,
                    int64_t ts)
{
    struct touch_job *t = xcalloc(1, sizeof *t);
    t->user_id = xstrdup(user_id);
    t->device_id = xstrdup(device_id);
    t->ip = ip ? xstrdup(ip) : NULL;
    t->a = (struct device_args){t->user_id, t->device_id, NULL, t->ip, ts};
    db__write_detached(db, device_touch_fn, &t->a, touch_job_free);
    return 0;
}

struct token_args {
    const unsigned char *hash, *refresh_hash;
    const char *user_id, *device_id;
    int64_t expires_ts;
    char **out_user, **out_device; /* for consume */
};

static int token_insert_fn(struct db_conn *c, void *arg)
{
    struct token_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO access_tokens (token_hash, user_id, device_id, "
                                   "expires_ts, refresh_hash, created_ts) VALUES (?,?,?,?,?,?)");
    if (!st)
        return ERR_DB;
    sqlite3_bind_blob(st, 1, a->hash, 32, SQLITE_TRANSIENT);
    db__bind_text(st, 2, a->user_id);
    db__bind_text(st, 3, a->device_id);
    sqlite3_bind_int64(st, 4, a->expires_ts);
    if (a->refresh_hash)
        sqlite3_bind_blob(st, 5, a->refresh_hash, 32, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int64(st, 6, clock_now_ms());
    return db__step_done(c, st);
}

int db_token_insert(struct db *db, const unsigned char hash[32], const char *user_id,
                    const char *device_id, int64_t expires_ts, const unsigned char refresh_hash[32])
{
    struct token_args a = {hash, refresh_hash, user_id, device_id, expires_ts, NULL, NULL};
    return db__write(db, token_insert_fn, &a);
}

int db_token_lookup(struct db *db, const unsigned char hash[32], char **user_id, char **device_id,
                    int64_t *expires_ts)
{
    *user_id = *device_id = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT user_id, device_id, expires_ts FROM access_tokens "
                                       "WHERE token_hash = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int out_rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    if (rc == SQLITE_ROW) {
        *user_id = db__col_text(st, 0);
        *device_id = db__col_text(st, 1);
        *expires_ts = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    return out_rc;
}

static int token_delete_fn(struct db_conn *c, void *arg)
{
    struct token_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM access_tokens WHERE token_hash = ?");
    if (!st)
        return ERR_DB;
    sqlite3_bind_blob(st, 1, a->hash, 32, SQLITE_TRANSIENT);
    return db__step_done(c, st);
}

int db_token_delete(struct db *db, const unsigned char hash[32])
{
    struct token_args a = {hash, NULL, NULL, NULL, 0, NULL, NULL};
    return db__write(db, token_delete_fn, &a);
}

static int refresh_consume_fn(struct db_conn *c, void *arg)
{
    struct token_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "SELECT user_id, device_id FROM access_tokens WHERE "
                                   "refresh_hash = ?");
    if (!st)
        return ERR_DB;
    sqlite3_bind_blob(st, 1, a->refresh_hash, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    }
    *a->out_user = db__col_text(st, 0);
    *a->out_device = db__col_text(st, 1);
    sqlite3_reset(st);
    st = db__stmt(c, "DELETE FROM access_tokens WHERE refresh_hash = ?");
    if (!st)
        return ERR_DB;
    sqlite3_bind_blob(st, 1, a->refresh_hash, 32, SQLITE_TRANSIENT);
    return db__step_done(c, st);
}

int db_refresh_consume(struct db *db, const unsigned char refresh_hash[32], char **user_id,
                       char **device_id)
{
    *user_id = *device_id = NULL;
    struct token_args a = {NULL, refresh_hash, NULL, NULL, 0, user_id, device_id};
    int rc = db__write(db, refresh_consume_fn, &a);
    if (rc) {
        free(*user_id);
        free(*device_id);
        *user_id = *device_id = NULL;
    }
    return rc;
}
