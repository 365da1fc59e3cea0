/* push_test.c: the stored push rows of src/db/push.c (one row per event) and
 * the per-thread unread counts read from them, on a fresh database and on one
 * that held the rows in the layout before the event_pos-keyed table (the
 * migration must carry every row over, counts unchanged).
 *
 *   pos 1 $a1 !a:x by @s  main                      notifies all but @s
 *   pos 2 $b1 !b:x by @s  main                      notifies all but @s
 *   pos 3 $a2 !a:x by @s  main                      notifies all but @s, highlights @u
 *   pos 4 $a3 !a:x by @s  thread reply to $a1       notifies exactly @u
 *   pos 5 $a4 !a:x by @u  main                      notifies all but @u (the sender)
 *   pos 6 $a5 !a:x by @s  main                      notifies all but @s and @u
 *   pos 7 $a6 !a:x by @s  thread reply to $a1       notifies all but @s, highlights @u
 *
 * The expected counts are written out by hand from those lines. */
#include "harness.h"
#include "unit/db/dbtest.h"

#include "base/err.h"
#include "db/db.h"
#include "db/push.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ev {
    const char *id, *room, *sender, *thread, *users, *highlights;
    bool all_but;
};

static const struct ev evs[] = {
    {"$a1", "!a:x", "@s:x", "main", "", "", true},
    {"$b1", "!b:x", "@s:x", "main", "", "", true},
    {"$a2", "!a:x", "@s:x", "main", "", "\n@u:x\n", true},
    {"$a3", "!a:x", "@s:x", "$a1", "\n@u:x\n", "", false},
    {"$a4", "!a:x", "@u:x", "main", "", "", true},
    {"$a5", "!a:x", "@s:x", "main", "\n@u:x\n", "", true},
    {"$a6", "!a:x", "@s:x", "$a1", "", "\n@u:x\n", true},
};
enum { N_EVS = sizeof evs / sizeof evs[0] };

/* Stores the events (one persist per event: rooms interleave) and returns
 * their positions in pos[]. */
static void store_events(struct db *db, int64_t pos[N_EVS])
{
    for (size_t i = 0; i < N_EVS; i++) {
        bool reply = strcmp(evs[i].thread, "main") != 0;
        struct db_event_write w = {
            .event_id = evs[i].id,
            .room_id = evs[i].room,
            .type = "m.room.message",
            .sender = evs[i].sender,
            .depth = (int64_t)i + 1,
            .origin_server_ts = 1000 + (int64_t)i,
            .json = "{}",
            .relates_to = reply ? evs[i].thread : NULL,
            .rel_type = reply ? "m.thread" : NULL,
        };
        ASSERT_INT_EQ(db_events_persist(db, &w, 1), 0);
        pos[i] = w.pos;
    }
}

static void store_rows(struct db *db, const int64_t pos[N_EVS])
{
    struct db_push_event rows[N_EVS];
    for (size_t i = 0; i < N_EVS; i++)
        rows[i] = (struct db_push_event){
            .room_id = evs[i].room,
            .event_id = evs[i].id,
            .thread_id = evs[i].thread,
            .sender = evs[i].sender,
            .users = evs[i].users,
            .highlights = evs[i].highlights,
            .actions = "[\"notify\"]",
            .event_pos = pos[i],
            .ts = 1000 + (int64_t)i,
            .all_but = evs[i].all_but,
        };
    struct db_push_batch b = {.rows = rows, .n_rows = N_EVS, .processed_upto = pos[N_EVS - 1]};
    ASSERT_INT_EQ(db_push_batch_store(db, &b), 0);
}

/* One count query and its expected result, "thread=notifications/highlights;..." in
 * the order threads first appear. */
struct count_case {
    const char *room;
    int64_t after, upto;       /* event indexes: after evs[after-1] (0: all), up to evs[upto-1] */
    const char *thread;        /* a threaded receipt, or NULL */
    int64_t thread_after;      /* its event index */
    const char *want;
};

static const struct count_case count_cases[] = {
    /* no receipt: every notifying row of the room, by thread */
    {"!a:x", 0, N_EVS, NULL, 0, "main=2/1;$a1=2/1;"},
    {"!b:x", 0, N_EVS, NULL, 0, "main=1/0;"},
    /* a window: only $a2 and $a3 */
    {"!a:x", 2, 4, NULL, 0, "main=1/1;$a1=1/0;"},
    /* a "main" receipt at $a2: the main timeline after it ($a4 is @u's own, $a5 skips @u),
     * the thread in full */
    {"!a:x", 0, N_EVS, "main", 3, "$a1=2/1;"},
    /* a thread receipt at $a3: the main timeline in full, the thread after it */
    {"!a:x", 0, N_EVS, "$a1", 4, "main=2/1;$a1=1/1;"},
    /* a receipt in another room changes nothing here */
    {"!b:x", 0, N_EVS, "$a1", 7, "main=1/0;"},
};

static void check_counts(struct db *db, const int64_t pos[N_EVS])
{
    for (size_t i = 0; i < sizeof count_cases / sizeof count_cases[0]; i++) {
        const struct count_case *t = &count_cases[i];
        const char *threads[1] = {t->thread};
        int64_t afters[1] = {t->thread ? pos[t->thread_after - 1] : 0};
        struct db_push_thread_count *c;
        size_t n;
        ASSERT_INT_EQ(db_push_counts_by_thread(db, "@u:x", t->room, t->after ? pos[t->after - 1] : 0,
                                               pos[t->upto - 1], threads, afters, t->thread ? 1 : 0,
                                               &c, &n),
                      0);
        char got[256] = "";
        size_t used = 0;
        for (size_t k = 0; k < n; k++)
            used += (size_t)snprintf(got + used, sizeof got - used, "%s=%lld/%lld;", c[k].thread_id,
                                     (long long)c[k].notifications, (long long)c[k].highlights);
        db_push_thread_counts_free(c, n);
        if (strcmp(got, t->want) != 0)
            fprintf(stderr, "count case %zu: got %s want %s\n", i, got, t->want);
        ASSERT_STR_EQ(got, t->want);
    }
    /* every event has its row: none of them is left for the worker after a restart */
    struct db_push_backlog *b;
    size_t nb;
    ASSERT_INT_EQ(db_push_backlog(db, 0, 100, &b, &nb), 0);
    size_t below = 0;
    for (size_t i = 0; i < nb; i++)
        below += b[i].pos <= pos[N_EVS - 1];
    db_push_backlog_free(b, nb);
    ASSERT_INT_EQ((int)below, 0);
    int64_t processed;
    ASSERT_INT_EQ(db_push_processed_get(db, &processed), 0);
    ASSERT_INT_EQ((int)processed, (int)pos[N_EVS - 1]);
}

TEST_CASE(db, push_counts_by_thread_table)
{
    char dir[64];
    struct db *db = dbtest_open("push", dir, sizeof dir);
    int64_t pos[N_EVS];
    store_events(db, pos);
    store_rows(db, pos);
    check_counts(db, pos);
    dbtest_close(db, dir);
}

static void exec_sql(sqlite3 *c, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(c, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    ASSERT_INT_EQ(rc, SQLITE_OK);
}

/* A database in the layout before session 4's migrations (push rows
 * clustered by room with position and thread indexes; the transaction index
 * by sender first) migrates: the counts read the same afterwards, and a
 * transaction ID stored before still finds its event and refuses a second
 * event. */
TEST_CASE(db, push_rows_survive_migration)
{
    char dir[64], path[128];
    struct db *db = dbtest_open("pushmig", dir, sizeof dir);
    int64_t pos[N_EVS];
    store_events(db, pos);
    struct db_event_write txn = {
        .event_id = "$t1", .room_id = "!b:x", .type = "m.room.message", .sender = "@s:x",
        .depth = 9, .origin_server_ts = 3000, .json = "{}", .txn_device = "DEV", .txn_id = "m1.1",
    };
    ASSERT_INT_EQ(db_events_persist(db, &txn, 1), 0);
    db_close(db);
    snprintf(path, sizeof path, "%s/db.sqlite", dir);
    sqlite3 *c = NULL;
    ASSERT_INT_EQ(sqlite3_open(path, &c), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ASSERT_INT_EQ(sqlite3_prepare_v2(c, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
    int version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    exec_sql(c, "DROP TABLE event_push;"
                "CREATE TABLE event_push ("
                "  room_id TEXT NOT NULL, event_pos INTEGER NOT NULL, event_id TEXT NOT NULL,"
                "  thread_id TEXT NOT NULL, sender TEXT NOT NULL, ts INTEGER NOT NULL,"
                "  all_but INTEGER NOT NULL, users TEXT NOT NULL, highlights TEXT NOT NULL,"
                "  actions TEXT NOT NULL, overrides TEXT,"
                "  PRIMARY KEY (room_id, event_pos)) WITHOUT ROWID;"
                "CREATE INDEX event_push_pos ON event_push (event_pos);"
                "CREATE INDEX event_push_thread ON event_push (room_id, thread_id, event_pos);"
                "DROP INDEX events_txn;"
                "CREATE UNIQUE INDEX events_txn ON events (sender, txn_device, txn_id) "
                "  WHERE txn_id IS NOT NULL;");
    ASSERT_INT_EQ(sqlite3_prepare_v2(c,
                                     "INSERT INTO event_push (room_id, event_pos, event_id, "
                                     "thread_id, sender, ts, all_but, users, highlights, actions) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[\"notify\"]')",
                                     -1, &st, NULL),
                  SQLITE_OK);
    for (size_t i = 0; i < N_EVS; i++) {
        sqlite3_bind_text(st, 1, evs[i].room, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, pos[i]);
        sqlite3_bind_text(st, 3, evs[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, evs[i].thread, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, evs[i].sender, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, 1000 + (int64_t)i);
        sqlite3_bind_int(st, 7, evs[i].all_but);
        sqlite3_bind_text(st, 8, evs[i].users, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, evs[i].highlights, -1, SQLITE_STATIC);
        ASSERT_INT_EQ(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    char sql[160];
    snprintf(sql, sizeof sql,
             "UPDATE push_progress SET processed_pos = %lld; PRAGMA user_version = %d",
             (long long)pos[N_EVS - 1], version - 4);
    exec_sql(c, sql);
    ASSERT_INT_EQ(sqlite3_close(c), SQLITE_OK);
    char err[200];
    db = NULL;
    ASSERT_INT_EQ(db_open(path, &db, err, sizeof err), 0);
    check_counts(db, pos);
    /* the migrated table takes new rows as before */
    struct db_push_event more = {
        .room_id = "!b:x", .event_id = "$b2", .thread_id = "main", .sender = "@s:x",
        .users = "", .highlights = "", .actions = "[]", .event_pos = pos[N_EVS - 1] + 1,
        .ts = 2000, .all_but = true,
    };
    struct db_push_batch b = {.rows = &more, .n_rows = 1};
    ASSERT_INT_EQ(db_push_batch_store(db, &b), 0);
    char *found = NULL;
    ASSERT_INT_EQ(db_event_by_txn(db, "@s:x", "DEV", "m1.1", "!b:x", "m.room.message", &found), 0);
    ASSERT_STR_EQ(found, "$t1");
    free(found);
    ASSERT_INT_EQ(db_event_by_txn(db, "@s:x", "OTHER", "m1.1", "!b:x", "m.room.message", &found), ERR_NOT_FOUND);
    txn.event_id = "$t2";
    txn.prev_state_group = 0;
    ASSERT_INT_EQ(db_events_persist(db, &txn, 1), ERR_EXISTS);
    txn.txn_device = "OTHER"; /* the same ID from another device is another transaction */
    ASSERT_INT_EQ(db_events_persist(db, &txn, 1), 0);
    dbtest_close(db, dir);
}

enum { N_BUSY = 20001 }; /* newer rows of a room @u is not in: more than the old scan read */

/* Stores one event (a member event when membership is set) and, when
 * push_users is set, its push row notifying exactly those users; returns
 * its position. */
static int64_t store_one(struct db *db, const char *id, const char *room, const char *sender,
                         const char *membership, const char *push_users)
{
    struct db_event_write w = {
        .event_id = id, .room_id = room, .type = membership ? "m.room.member" : "m.room.message",
        .state_key = membership ? sender : NULL, .sender = sender, .depth = 1,
        .origin_server_ts = 1000, .json = "{}", .membership = membership,
    };
    ASSERT_INT_EQ(db_events_persist(db, &w, 1), 0);
    if (push_users) {
        struct db_push_event row = {
            .room_id = room, .event_id = id, .thread_id = "main", .sender = sender,
            .users = push_users, .highlights = "", .actions = "[\"notify\"]",
            .event_pos = w.pos, .ts = 1000, .all_but = false,
        };
        struct db_push_batch b = {.rows = &row, .n_rows = 1};
        ASSERT_INT_EQ(db_push_batch_store(db, &b), 0);
    }
    return w.pos;
}

/* GET /notifications' rows: @u's notifications in two rooms, newest first across
 * them, paged by position, then 20,001 newer rows of a room @u is not in, after which
 * every notification of @u is still listed (the newest-first scan of all rows stopped
 * after 20,000 and answered nothing). */
TEST_CASE(db, push_notifications_behind_busy_rooms)
{
    char dir[64];
    struct db *db = dbtest_open("pushnotif", dir, sizeof dir);
    store_one(db, "$ja", "!a:x", "@u:x", "join", NULL);
    store_one(db, "$jc", "!c:x", "@u:x", "join", NULL);
    int64_t pos[5];
    pos[0] = store_one(db, "$a1", "!a:x", "@s:x", NULL, "\n@u:x\n");
    pos[1] = store_one(db, "$c1", "!c:x", "@s:x", NULL, "\n@u:x\n");
    pos[2] = store_one(db, "$a2", "!a:x", "@s:x", NULL, "\n@u:x\n");
    pos[3] = store_one(db, "$own", "!a:x", "@u:x", NULL, "\n@s:x\n"); /* not for @u */
    pos[4] = store_one(db, "$c2", "!c:x", "@s:x", NULL, "\n@u:x\n");
    static const struct {
        int before;       /* index into pos (-1: from the newest) */
        size_t limit;
        const char *want; /* event IDs, newest first */
    } pages[] = {
        {-1, 10, "$c2 $a2 $c1 $a1"},
        {-1, 2, "$c2 $a2"},
        {2, 2, "$c1 $a1"},
        {0, 5, ""},
    };
    for (int round = 0; round < 2; round++) {
        if (round == 1) { /* a busy room @u is not in: newer rows than all of @u's */
            struct db_event_write *ws = calloc(N_BUSY, sizeof *ws);
            struct db_push_event *rows = calloc(N_BUSY, sizeof *rows);
            char(*ids)[16] = calloc(N_BUSY, sizeof *ids);
            ASSERT_TRUE(ws && rows && ids);
            for (size_t i = 0; i < N_BUSY; i++) {
                snprintf(ids[i], sizeof ids[i], "$busy%zu", i);
                ws[i] = (struct db_event_write){
                    .event_id = ids[i], .room_id = "!busy:x", .type = "m.room.message",
                    .sender = "@s:x", .depth = 1, .origin_server_ts = 1000, .json = "{}",
                };
            }
            ASSERT_INT_EQ(db_events_persist(db, ws, N_BUSY), 0);
            for (size_t i = 0; i < N_BUSY; i++)
                rows[i] = (struct db_push_event){
                    .room_id = "!busy:x", .event_id = ids[i], .thread_id = "main",
                    .sender = "@s:x", .users = "", .highlights = "", .actions = "[\"notify\"]",
                    .event_pos = ws[i].pos, .ts = 1000, .all_but = true,
                };
            struct db_push_batch b = {.rows = rows, .n_rows = N_BUSY};
            ASSERT_INT_EQ(db_push_batch_store(db, &b), 0);
            free(ws);
            free(rows);
            free(ids);
        }
        for (size_t t = 0; t < sizeof pages / sizeof pages[0]; t++) {
            struct db_push_event *got;
            size_t n;
            int64_t before = pages[t].before < 0 ? 0 : pos[pages[t].before];
            ASSERT_INT_EQ(db_push_notifications(db, "@u:x", before, pages[t].limit, false, &got, &n),
                          0);
            char list[128] = "";
            size_t len = 0;
            for (size_t i = 0; i < n && len < sizeof list; i++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? " " : "",
                                        got[i].event_id);
            ASSERT_STR_EQ(list, pages[t].want);
            db_push_events_free(got, n);
        }
    }
    dbtest_close(db, dir);
}
