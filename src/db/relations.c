/* relations.c: queries over the events table's relates_to / rel_type columns
 * (see relations.h): relation pages (recursive through a bounded CTE), the
 * counts behind unsigned["m.relations"], and thread roots (the threads and
 * thread_participants tables, kept by the event writer). */
#define LOG_MODULE "db"
#include "db/relations.h"

#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

#include <string.h>

#define REL_COLUMNS                                                                            \
    "stream_pos, event_id, room_id, type, state_key, sender, origin_server_ts, depth, "       \
    "state_group, json, redacted_by, txn_device, txn_id"

static int read_rows(sqlite3_stmt *st, struct db_event **out, size_t *n)
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
        struct db_event *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
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
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_events_free(*out, *n);
        *out = NULL;
        *n = 0;
        return ERR_DB;
    }
    return 0;
}

#define REL_PAGE_SQL(order)                                                                    \
    "WITH RECURSIVE rel(id, d) AS (SELECT ?1, 0 UNION SELECT e.event_id, rel.d + 1 FROM "      \
    "events e JOIN rel ON e.relates_to = rel.id WHERE rel.d < ?2 AND e.redacted_by IS NULL) "   \
    "SELECT " REL_COLUMNS " FROM events WHERE event_id IN (SELECT id FROM rel WHERE d > 0) "    \
    "AND room_id = ?3 AND (?4 IS NULL OR rel_type = ?4) AND (?5 IS NULL OR type = ?5) "         \
    "AND stream_pos > ?6 AND stream_pos <= ?7 ORDER BY stream_pos " order " LIMIT ?8"

int db_relations_page(struct db *db, const char *room_id, const char *event_id,
                      const char *rel_type, const char *event_type, int max_depth, int64_t from,
                      int64_t to, bool forward, size_t limit, struct db_event **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, forward ? REL_PAGE_SQL("ASC") : REL_PAGE_SQL("DESC"))
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, event_id);
    sqlite3_bind_int(st, 2, max_depth < 1 ? 1 : max_depth);
    db__bind_text(st, 3, room_id);
    db__bind_text(st, 4, rel_type);
    db__bind_text(st, 5, event_type);
    sqlite3_bind_int64(st, 6, from);
    sqlite3_bind_int64(st, 7, to);
    sqlite3_bind_int64(st, 8, (int64_t)limit);
    return read_rows(st, out, n);
}

int db_relation_counts(struct db *db, const char *event_id, struct db_relation_counts *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT rel_type, COUNT(*) FROM events WHERE relates_to = ? "
                                       "AND redacted_by IS NULL GROUP BY rel_type")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, event_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        int64_t count = sqlite3_column_int64(st, 1);
        if (!t)
            continue;
        if (strcmp(t, "m.replace") == 0)
            out->replace = count;
        else if (strcmp(t, "m.thread") == 0)
            out->thread = count;
        else if (strcmp(t, "m.reference") == 0)
            out->reference = count;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_thread_participated(struct db *db, const char *root_id, const char *user_id, bool *out)
{
    *out = false;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT 1 FROM events WHERE relates_to = ? AND rel_type = "
                                       "'m.thread' AND sender = ? AND redacted_by IS NULL LIMIT 1")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, root_id);
    db__bind_text(st, 2, user_id);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db__thread_reply(struct db_conn *c, const char *room_id, const char *root_id,
                     const char *sender, int64_t pos)
{
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO threads (root_id, room_id, latest_pos) "
                                   "VALUES (?1, ?2, ?3) ON CONFLICT (root_id) DO UPDATE SET "
                                   "latest_pos = MAX(latest_pos, excluded.latest_pos)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, root_id);
    db__bind_text(st, 2, room_id);
    sqlite3_bind_int64(st, 3, pos);
    int rc = db__step_done(c, st);
    if (rc)
        return rc;
    /* The replier and the root's sender (once the root is known here). */
    st = db__stmt(c, "INSERT OR IGNORE INTO thread_participants (root_id, user_id) "
                     "SELECT ?1, ?2 UNION SELECT ?1, sender FROM events WHERE event_id = ?1");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, root_id);
    db__bind_text(st, 2, sender);
    return db__step_done(c, st);
}

int db__thread_redacted(struct db_conn *c, const char *event_id)
{
    sqlite3_stmt *st = db__stmt(
        c, "UPDATE threads SET latest_pos = COALESCE((SELECT MAX(stream_pos) FROM events WHERE "
           "relates_to = threads.root_id AND rel_type = 'm.thread' AND redacted_by IS NULL), -1) "
           "WHERE root_id = (SELECT relates_to FROM events WHERE event_id = ?1 AND "
           "rel_type = 'm.thread')");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, event_id);
    int rc = db__step_done(c, st);
    if (rc || sqlite3_changes(c->sql) == 0)
        return rc;
    /* The sender no longer took part unless another reply or the root is theirs. */
    st = db__stmt(c, "DELETE FROM thread_participants WHERE (root_id, user_id) = (SELECT "
                     "relates_to, sender FROM events WHERE event_id = ?1) AND NOT EXISTS "
                     "(SELECT 1 FROM events e WHERE e.relates_to = thread_participants.root_id "
                     "AND e.rel_type = 'm.thread' AND e.sender = thread_participants.user_id "
                     "AND e.redacted_by IS NULL) AND NOT EXISTS (SELECT 1 FROM events r WHERE "
                     "r.event_id = thread_participants.root_id AND "
                     "r.sender = thread_participants.user_id)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, event_id);
    if ((rc = db__step_done(c, st)))
        return rc;
    st = db__stmt(c, "DELETE FROM threads WHERE latest_pos < 0 AND root_id = (SELECT "
                     "relates_to FROM events WHERE event_id = ?1)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, event_id);
    return db__step_done(c, st);
}

int db_thread_roots(struct db *db, const char *room_id, int64_t before, const char *participant,
                    size_t limit, char ***root_ids, int64_t **latest_pos, size_t *n)
{
    *root_ids = NULL;
    *latest_pos = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT t.root_id, t.latest_pos FROM threads t WHERE t.room_id = ?1 "
                        "AND t.latest_pos <= ?2 AND (?3 IS NULL OR EXISTS (SELECT 1 FROM "
                        "thread_participants p WHERE p.root_id = t.root_id AND p.user_id = ?3)) "
                        "ORDER BY t.latest_pos DESC LIMIT ?4")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, before);
    db__bind_text(st, 3, participant);
    sqlite3_bind_int64(st, 4, (int64_t)limit);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *root_ids = xrealloc(*root_ids, cap * sizeof(char *));
            *latest_pos = xrealloc(*latest_pos, cap * sizeof(int64_t));
        }
        (*root_ids)[*n] = db__col_text(st, 0);
        (*latest_pos)[*n] = sqlite3_column_int64(st, 1);
        (*n)++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_strings_free(*root_ids, *n);
        free(*latest_pos);
        *root_ids = NULL;
        *latest_pos = NULL;
        *n = 0;
        return ERR_DB;
    }
    return 0;
}
