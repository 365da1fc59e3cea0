/* apikeys.c: API keys of the AI API (/v1): created by `relais apikey create`, stored only as
 * sha256 hashes, listed and revoked by name. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"

#include <string.h>

void db_apikey_fini(struct db_apikey *k)
{
    free(k->name);
    memset(k, 0, sizeof *k);
}

struct apikey_args {
    const unsigned char *hash; /* 32 bytes, or NULL */
    const char *name;          /* key name */
    bool found;                /* revoke: a row was deleted */
};

static int apikey_create_fn(struct db_conn *c, void *arg)
{
    struct apikey_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO api_keys (key_hash, name, created_ts) "
                                   "VALUES (?,?,?)");
    if (!st)
        return ERR_DB;
    sqlite3_bind_blob(st, 1, a->hash, 32, SQLITE_TRANSIENT);
    db__bind_text(st, 2, a->name);
    sqlite3_bind_int64(st, 3, clock_now_ms());
    return db__step_done(c, st);
}

int db_apikey_create(struct db *db, const unsigned char hash[32], const char *name)
{
    struct apikey_args a = {hash, name, false};
    return db__write(db, apikey_create_fn, &a);
}

int db_apikey_lookup(struct db *db, const unsigned char hash[32], char **name)
{
    *name = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT name FROM api_keys WHERE key_hash = ?") : NULL;
    if (!st)
        return ERR_DB;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int out_rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    if (rc == SQLITE_ROW)
        *name = db__col_text(st, 0);
    sqlite3_reset(st);
    return out_rc;
}

static void apikey_fill(sqlite3_stmt *st, void *elem)
{
    struct db_apikey *k = elem;
    k->name = db__col_text(st, 0);
    k->created_ts = sqlite3_column_int64(st, 1);
}

static void apikey_fini(void *elem)
{
    db_apikey_fini(elem);
}

int db_apikey_list(struct db *db, struct db_apikey **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT name, created_ts FROM api_keys ORDER BY name")
                         : NULL;
    if (!st)
        return ERR_DB;
    return db__rows_collect(st, sizeof **out, apikey_fill, apikey_fini, out, n);
}

static int apikey_revoke_fn(struct db_conn *c, void *arg)
{
    struct apikey_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM api_keys WHERE name = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->name);
    int rc = db__step_done(c, st);
    a->found = rc == 0 && sqlite3_changes(sqlite3_db_handle(st)) > 0;
    return rc;
}

int db_apikey_revoke(struct db *db, const char *name)
{
    struct apikey_args a = {NULL, name, false};
    int rc = db__write(db, apikey_revoke_fn, &a);
    if (rc)
        return rc;
    return a.found ? 0 : ERR_NOT_FOUND;
}
