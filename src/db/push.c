/* push.c: push rule documents and event push actions (see db/push.h). */
#define LOG_MODULE "db"
#include "db/push.h"
#include "db/internal.h"

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

struct actions_args {
    const struct db_push_action *rows; /* borrowed */
    size_t n;                          /* rows */
};

static int actions_add_fn(struct db_conn *c, void *arg)
{
    struct actions_args *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        const struct db_push_action *r = &a->rows[i];
        sqlite3_stmt *st = db__stmt(c, "INSERT OR IGNORE INTO event_push_actions (user_id, "
                                       "room_id, event_pos, event_id, thread_id, highlight, "
                                       "actions, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, r->user_id);
        db__bind_text(st, 2, r->room_id);
        sqlite3_bind_int64(st, 3, r->event_pos);
        db__bind_text(st, 4, r->event_id);
        db__bind_text(st, 5, r->thread_id);
        sqlite3_bind_int(st, 6, r->highlight);
        db__bind_text(st, 7, r->actions);
        sqlite3_bind_int64(st, 8, r->ts);
        if (db__step_done(c, st))
            return ERR_DB;
    }
    return 0;
}

int db_push_actions_add(struct db *db, const struct db_push_action *rows, size_t n)
{
    if (!n)
        return 0;
    struct actions_args a = {rows, n};
    return db__write(db, actions_add_fn, &a);
}

int db_push_counts(struct db *db, const char *user_id, const char *room_id, const char *thread_id,
                   int64_t after, int64_t *notifications, int64_t *highlights)
{
    *notifications = *highlights = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT COUNT(*), COALESCE(SUM(highlight), 0) FROM "
                                       "event_push_actions WHERE user_id = ?1 AND room_id = ?2 "
                                       "AND event_pos > ?3 AND (?4 IS NULL OR thread_id = ?4)")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, room_id);
    sqlite3_bind_int64(st, 3, after);
    db__bind_text(st, 4, thread_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *notifications = sqlite3_column_int64(st, 0);
        *highlights = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : ERR_DB;
}

int db_push_thread_counts(struct db *db, const char *user_id, const char *room_id, int64_t after,
                          char ***thread_ids, int64_t **notifications, int64_t **highlights,
                          size_t *n)
{
    *thread_ids = NULL;
    *notifications = *highlights = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT thread_id, COUNT(*), SUM(highlight) FROM "
                                       "event_push_actions WHERE user_id = ? AND room_id = ? AND "
                                       "event_pos > ? AND thread_id != 'main' GROUP BY thread_id")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, room_id);
    sqlite3_bind_int64(st, 3, after);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *thread_ids = xrealloc(*thread_ids, (*n + 1) * sizeof **thread_ids);
        *notifications = xrealloc(*notifications, (*n + 1) * sizeof **notifications);
        *highlights = xrealloc(*highlights, (*n + 1) * sizeof **highlights);
        (*thread_ids)[*n] = db__col_text(st, 0);
        (*notifications)[*n] = sqlite3_column_int64(st, 1);
        (*highlights)[*n] = sqlite3_column_int64(st, 2);
        (*n)++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_push_notifications(struct db *db, const char *user_id, int64_t before, size_t limit,
                          bool only_highlight, struct db_push_action **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT room_id, event_id, thread_id, actions, event_pos, ts, highlight "
                        "FROM event_push_actions WHERE user_id = ?1 AND (?2 = 0 OR event_pos < ?2) "
                        "AND (?3 = 0 OR highlight = 1) ORDER BY event_pos DESC LIMIT ?4")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    sqlite3_bind_int64(st, 2, before);
    sqlite3_bind_int(st, 3, only_highlight);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        struct db_push_action *r = &(*out)[(*n)++];
        r->user_id = xstrdup(user_id);
        r->room_id = db__col_text(st, 0);
        r->event_id = db__col_text(st, 1);
        r->thread_id = db__col_text(st, 2);
        r->actions = db__col_text(st, 3);
        if (!r->actions)
            r->actions = xstrdup("[\"notify\"]");
        r->event_pos = sqlite3_column_int64(st, 4);
        r->ts = sqlite3_column_int64(st, 5);
        r->highlight = sqlite3_column_int(st, 6) != 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_push_actions_free(*out, *n);
        *out = NULL;
        *n = 0;
        return ERR_DB;
    }
    return 0;
}

void db_push_actions_free(struct db_push_action *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)rows[i].user_id);
        free((char *)rows[i].room_id);
        free((char *)rows[i].event_id);
        free((char *)rows[i].thread_id);
        free((char *)rows[i].actions);
    }
    free(rows);
}
