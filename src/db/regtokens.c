/* regtokens.c: registration tokens (spec: m.login.registration_token). */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"

#include <string.h>

void db_regtoken_fini(struct db_regtoken *t)
{
    free(t->token);
    memset(t, 0, sizeof *t);
}

struct regtoken_args {
    const char *token;
    int64_t uses_allowed, expiry_ts;
};

static int regtoken_create_fn(struct db_conn *c, void *arg)
{
    struct regtoken_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO registration_tokens (token, uses_allowed, "
                                   "expiry_ts, created_ts) VALUES (?,?,?,?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->token);
    sqlite3_bind_int64(st, 2, a->uses_allowed);
    sqlite3_bind_int64(st, 3, a->expiry_ts);
    sqlite3_bind_int64(st, 4, clock_now_ms());
    return db__step_done(c, st);
}

int db_regtoken_create(struct db *db, const char *token, int64_t uses_allowed, int64_t expiry_ts)
{
    struct regtoken_args a = {token, uses_allowed, expiry_ts};
    return db__write(db, regtoken_create_fn, &a);
}

static const char sql_valid[] =
    "SELECT 1 FROM registration_tokens WHERE token = ?1 AND (expiry_ts = 0 OR expiry_ts > ?2) "
    "AND (uses_allowed < 0 OR completed < uses_allowed)";

int db_regtoken_valid(struct db *db, const char *token, bool *valid)
{
    *valid = false;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, sql_valid) : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, token);
    sqlite3_bind_int64(st, 2, clock_now_ms());
    int rc = sqlite3_step(st);
    *valid = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_DB;
}

static int regtoken_use_fn(struct db_conn *c, void *arg)
{
    struct regtoken_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "UPDATE registration_tokens SET completed = completed + 1 "
                                   "WHERE token = ?1 AND (expiry_ts = 0 OR expiry_ts > ?2) AND "
                                   "(uses_allowed < 0 OR completed < uses_allowed)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->token);
    sqlite3_bind_int64(st, 2, clock_now_ms());
    int rc = db__step_done(c, st);
    return rc ? rc : sqlite3_changes(c->sql) ? 0 : ERR_FORBIDDEN;
}

int db_regtoken_use(struct db *db, const char *token)
{
    struct regtoken_args a = {token, 0, 0};
    return db__write(db, regtoken_use_fn, &a);
}

static void regtoken_fill(sqlite3_stmt *st, void *elem)
{
    struct db_regtoken *t = elem;
    t->token = db__col_text(st, 0);
    t->uses_allowed = sqlite3_column_int64(st, 1);
    t->completed = sqlite3_column_int64(st, 2);
    t->expiry_ts = sqlite3_column_int64(st, 3);
}

static void regtoken_fini(void *elem)
{
    db_regtoken_fini(elem);
}

int db_regtoken_list(struct db *db, struct db_regtoken **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT token, uses_allowed, completed, expiry_ts FROM "
                                       "registration_tokens ORDER BY created_ts, token")
                         : NULL;
    if (!st)
        return ERR_DB;
    return db__rows_collect(st, sizeof **out, regtoken_fill, regtoken_fini, out, n);
}
