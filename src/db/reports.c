/* reports.c: content reports (see db/reports.h). */
#define LOG_MODULE "db"
#include "db/reports.h"
#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

struct report_args {
    const char *room_id, *event_id, *user_id, *reason, *score; /* borrowed */
    int64_t ts;                                                 /* received */
    int64_t id;                                                 /* out */
};

static int report_add_fn(struct db_conn *c, void *arg)
{
    struct report_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO reports (ts, room_id, event_id, user_id, reason, "
                                   "score) VALUES (?, ?, ?, ?, ?, ?)");
    if (!st)
        return ERR_DB;
    sqlite3_bind_int64(st, 1, a->ts);
    db__bind_text(st, 2, a->room_id);
    db__bind_text(st, 3, a->event_id);
    db__bind_text(st, 4, a->user_id);
    db__bind_text(st, 5, a->reason);
    db__bind_text(st, 6, a->score);
    int rc = db__step_done(c, st);
    a->id = rc ? 0 : sqlite3_last_insert_rowid(c->sql);
    return rc;
}

int db_report_add(struct db *db, const char *room_id, const char *event_id, const char *user_id,
                  const char *reason, const char *score, int64_t ts, int64_t *id)
{
    struct report_args a = {room_id, event_id, user_id, reason, score, ts, 0};
    int rc = db__write(db, report_add_fn, &a);
    *id = a.id;
    return rc;
}

static void report_fini(void *elem)
{
    struct db_report *r = elem;
    free(r->room_id);
    free(r->event_id);
    free(r->user_id);
    free(r->reason);
    free(r->score);
}

static void report_fill(sqlite3_stmt *st, void *elem)
{
    struct db_report *r = elem;
    r->id = sqlite3_column_int64(st, 0);
    r->ts = sqlite3_column_int64(st, 1);
    r->room_id = db__col_text(st, 2);
    r->event_id = db__col_text(st, 3);
    r->user_id = db__col_text(st, 4);
    r->reason = db__col_text(st, 5);
    r->score = db__col_text(st, 6);
}

int db_reports_list(struct db *db, size_t limit, struct db_report **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT id, ts, room_id, event_id, user_id, reason, score "
                                       "FROM reports ORDER BY id DESC LIMIT ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
    return db__rows_collect(st, sizeof **out, report_fill, report_fini, out, n);
}

void db_reports_free(struct db_report *r, size_t n)
{
    db__items_free(r, n, sizeof *r, report_fini);
}
