/* admin.c: a change counter that admin commands bump so that running servers
 * (possibly in another process) know to flush their caches. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/clock.h"
#include "base/err.h"

static int admin_change_fn(struct db_conn *c, void *arg)
{
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO admin_changes (what, ts) VALUES (?, ?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, arg);
    sqlite3_bind_int64(st, 2, clock_now_ms());
    return db__step_done(c, st);
}

int db_admin_change_note(struct db *db, const char *what)
{
    return db__write(db, admin_change_fn, (void *)what);
}

int db_admin_changes_latest(struct db *db, int64_t *latest)
{
    return db__read_i64(db, "SELECT COALESCE(MAX(id), 0) FROM admin_changes", latest);
}
