/* wal_vfs_test.c: the WAL-gathering VFS (src/db/wal_vfs.c) as SQLite's users
 * see it: a transaction larger than the gathering buffer that spills pages
 * into the WAL before its commit and rereads them, another connection reading
 * it after the commit, and a copy of the database and WAL files taken right
 * after each commit (as a crash would leave them: no checkpoint, no wal-index)
 * recovering every committed row through SQLite's default VFS; then a
 * checkpoint run the way the checkpointer runs it (paced, ckpt_pace.c): it
 * writes its ~2 MB in steps and leaves the database file complete. */
#include "harness.h"

#include "db/internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    WT_ROWS = 700,      /* rows of the first transaction (~2.2 MB of WAL: past 1 MiB) */
    WT_VALUE = 3000,    /* bytes per value */
    WT_UPDATED = 350,   /* rows rewritten in the same transaction */
};

static void wt_exec(sqlite3 *c, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(c, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "wal_vfs_test: %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    ASSERT_INT_EQ(rc, SQLITE_OK);
}

static sqlite3 *wt_open(const char *path, const char *vfs)
{
    sqlite3 *c = NULL;
    ASSERT_INT_EQ(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                  SQLITE_OK);
    wt_exec(c, "PRAGMA journal_mode=WAL");
    wt_exec(c, "PRAGMA synchronous=FULL");
    wt_exec(c, "PRAGMA wal_autocheckpoint=0"); /* the WAL keeps every frame */
    wt_exec(c, "PRAGMA cache_size=20");        /* a big transaction spills into the WAL */
    return c;
}

/* count(*), sum(length(v)) and the sum of the letters at three places. */
static void wt_sums(sqlite3 *c, int64_t out[3])
{
    sqlite3_stmt *st = NULL;
    ASSERT_INT_EQ(sqlite3_prepare_v2(c,
                                     "SELECT count(*), sum(length(v)), sum(unicode(substr(v, 1, 1)) "
                                     "+ unicode(substr(v, 1500, 1)) + unicode(substr(v, -1, 1))) "
                                     "FROM t",
                                     -1, &st, NULL),
                  SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
    for (int i = 0; i < 3; i++)
        out[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
}

/* The sums the rows should give: row k holds WT_VALUE copies of letter(k), the
 * first `updated` rows letter(k + 7) after the update, `extra` more rows. */
static void wt_expected(int updated, int extra, int64_t out[3])
{
    out[0] = WT_ROWS + extra;
    out[1] = (int64_t)(WT_ROWS + extra) * WT_VALUE;
    out[2] = 0;
    for (int k = 0; k < WT_ROWS + extra; k++) {
        int shift = k < updated ? 7 : 0;
        out[2] += 3 * ('A' + (k + shift) % 26);
    }
}

static void wt_copy(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    ASSERT_TRUE(in != NULL);
    FILE *out = fopen(to, "wb");
    ASSERT_TRUE(out != NULL);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        ASSERT_INT_EQ((int64_t)fwrite(chunk, 1, n, out), (int64_t)n);
    fclose(in);
    ASSERT_INT_EQ(fclose(out), 0);
}

/* Copies the database and its WAL (not the wal-index) and checks the copy
 * through the default VFS: SQLite rebuilds the index from the WAL's frames. */
static void wt_check_copy(const char *dir, int n, const int64_t want[3])
{
    char src[300], dst[300];
    snprintf(src, sizeof src, "%s/db.sqlite", dir);
    snprintf(dst, sizeof dst, "%s/copy%d.sqlite", dir, n);
    wt_copy(src, dst);
    snprintf(src, sizeof src, "%s/db.sqlite-wal", dir);
    snprintf(dst, sizeof dst, "%s/copy%d.sqlite-wal", dir, n);
    wt_copy(src, dst);
    snprintf(dst, sizeof dst, "%s/copy%d.sqlite", dir, n);
    sqlite3 *c = NULL;
    ASSERT_INT_EQ(sqlite3_open_v2(dst, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ASSERT_INT_EQ(sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    int64_t got[3];
    wt_sums(c, got);
    for (int i = 0; i < 3; i++)
        ASSERT_INT_EQ(got[i], want[i]);
    sqlite3_close(c);
    const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(dst, sizeof dst, "%s/copy%d.sqlite%s", dir, n, suffixes[i]);
        unlink(dst);
    }
}

TEST_CASE(db, wal_vfs_commits_reach_the_file)
{
    const char *vfs = db__wal_vfs();
    ASSERT_TRUE(vfs != NULL);
    char dir[64] = "/tmp/relais-walvfs-XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    char path[300];
    snprintf(path, sizeof path, "%s/db.sqlite", dir);
    sqlite3 *w = wt_open(path, vfs);
    wt_exec(w, "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
    sqlite3 *r = wt_open(path, vfs);
    int64_t want[3], got[3];

    /* One transaction of ~2.2 MB of frames, rows rewritten inside it (frames
     * written over pending ones, and pages spilled then read back). */
    wt_exec(w, "BEGIN");
    char sql[200];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k + 1 < %d) "
             "INSERT INTO t SELECT k, CAST(printf('%%.*c', %d, char(65 + k %% 26)) AS BLOB) FROM n",
             WT_ROWS, WT_VALUE);
    wt_exec(w, sql);
    snprintf(sql, sizeof sql,
             "UPDATE t SET v = CAST(printf('%%.*c', %d, char(65 + (k + 7) %% 26)) AS BLOB) "
             "WHERE k < %d",
             WT_VALUE, WT_UPDATED);
    wt_exec(w, sql);
    wt_sums(w, got); /* the writer reads its own spilled and pending frames */
    wt_expected(WT_UPDATED, 0, want);
    for (int i = 0; i < 3; i++)
        ASSERT_INT_EQ(got[i], want[i]);
    wt_sums(r, got); /* another connection still sees the empty table */
    ASSERT_INT_EQ(got[0], 0);
    wt_exec(w, "COMMIT");
    wt_sums(r, got);
    for (int i = 0; i < 3; i++)
        ASSERT_INT_EQ(got[i], want[i]);
    wt_check_copy(dir, 1, want);

    /* Small commits after it, each in the file once committed. */
    for (int j = 0; j < 5; j++) {
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%d, CAST(printf('%%.*c', %d, char(%d)) AS BLOB))",
                 WT_ROWS + j, WT_VALUE, 65 + (WT_ROWS + j) % 26);
        wt_exec(w, sql);
        wt_expected(WT_UPDATED, j + 1, want);
        wt_sums(r, got);
        for (int i = 0; i < 3; i++)
            ASSERT_INT_EQ(got[i], want[i]);
        wt_check_copy(dir, 2 + j, want);
    }
    /* A rolled-back transaction leaves nothing behind. */
    wt_exec(w, "BEGIN");
    wt_exec(w, "DELETE FROM t WHERE k % 2 = 0");
    wt_exec(w, "ROLLBACK");
    wt_sums(w, got);
    for (int i = 0; i < 3; i++)
        ASSERT_INT_EQ(got[i], want[i]);
    wt_check_copy(dir, 9, want);

    /* A checkpoint on a paced thread: ~2.2 MB of pages, written in steps of
     * 128 KiB; the database file alone then holds every row. */
    unsigned long steps = db__ckpt_pace_steps();
    db__ckpt_pace_thread(true);
    wt_exec(r, "PRAGMA wal_checkpoint(TRUNCATE)");
    db__ckpt_pace_thread(false);
    ASSERT_TRUE(db__ckpt_pace_steps() - steps >= 12);
    sqlite3_close(r);
    sqlite3_close(w);
    snprintf(path, sizeof path, "%s/db.sqlite-wal", dir);
    unlink(path); /* empty after TRUNCATE; without it the file must stand alone */
    snprintf(path, sizeof path, "%s/db.sqlite", dir);
    sqlite3 *plain = NULL;
    ASSERT_INT_EQ(sqlite3_open_v2(path, &plain, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    wt_sums(plain, got);
    for (int i = 0; i < 3; i++)
        ASSERT_INT_EQ(got[i], want[i]);
    sqlite3_close(plain);
    const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/db.sqlite%s", dir, suffixes[i]);
        unlink(path);
    }
    rmdir(dir);
}
