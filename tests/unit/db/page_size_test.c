/* page_size_test.c: a new database gets 2 KiB pages, an existing one keeps its page size
 * (src/db/sqlite.c conn_open). */
#include "harness.h"
#include "db/internal.h"
#include "dbtest.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* PRAGMA page_size of the database file at path, read through a plain connection. */
static int64_t file_page_size(const char *path)
{
    sqlite3 *s = NULL;
    int64_t size = -1;
    if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            size = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(s);
    return size;
}

TEST_CASE(db, page_size_new_2k_existing_kept)
{
    /* A new database: the schema is written with 2,048-byte pages. */
    char dir[300];
    struct db *db = dbtest_open("pagesize", dir, sizeof dir);
    int64_t got = -1;
    ASSERT_INT_EQ(db__read_i64(db, "PRAGMA page_size", &got), 0);
    ASSERT_INT_EQ(got, 2048);
    dbtest_close(db, dir);

    /* An existing database made with 4,096-byte pages (in WAL mode, as every relais
     * database is) keeps them when relais opens and migrates it. */
    char odir[64] = "/tmp/relais-pagesize-XXXXXX";
    ASSERT_TRUE(mkdtemp(odir) != NULL);
    char opath[300];
    snprintf(opath, sizeof opath, "%s/old.sqlite", odir);
    sqlite3 *s = NULL;
    ASSERT_INT_EQ(sqlite3_open(opath, &s), SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_exec(s, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; "
                                  "CREATE TABLE keep_me (k INTEGER PRIMARY KEY)",
                               NULL, NULL, NULL),
                  SQLITE_OK);
    sqlite3_close(s);
    ASSERT_INT_EQ(file_page_size(opath), 4096);
    struct db *old = NULL;
    char err[200] = "";
    ASSERT_INT_EQ(db_open(opath, &old, err, sizeof err), 0);
    got = -1;
    ASSERT_INT_EQ(db__read_i64(old, "PRAGMA page_size", &got), 0);
    ASSERT_INT_EQ(got, 4096);
    ASSERT_INT_EQ(db__read_i64(old, "SELECT count(*) FROM keep_me", &got), 0);
    ASSERT_INT_EQ(got, 0);
    db_close(old);
    ASSERT_INT_EQ(file_page_size(opath), 4096);
    char wal[320], shm[320];
    snprintf(wal, sizeof wal, "%s-wal", opath);
    snprintf(shm, sizeof shm, "%s-shm", opath);
    unlink(wal);
    unlink(shm);
    unlink(opath);
    rmdir(odir);
}
