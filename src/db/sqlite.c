/* sqlite.c: SQLite connections, the statement cache and the writer thread.
 *
 * Design notes:
 * 1. WAL mode with synchronous=FULL: a committed transaction survives a crash
 *    or power loss, so answering a client after commit never loses its write.
 * 2. One writer thread owns all writes. It takes every queued job, runs each
 *    inside a SAVEPOINT of one transaction and commits once (group commit: one
 *    fsync for many writes), then wakes the waiting callers.
 * 3. Readers use one connection per thread (WAL lets them read while the
 *    writer writes); statements are cached per connection.
 *
 *   caller: db__write ──queue──▶ writer: BEGIN; job1; job2; ...; COMMIT ──▶ done
 */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdio.h>
#include <string.h>

struct db__job {
    db__write_fn fn;     /* the work */
    void *arg;           /* its argument, owned by the caller */
    int rc;              /* result, valid once done */
    int done;            /* set by the writer under db->lock */
    struct db__job *next;
};

static int conn_open(const char *path, struct db_conn **out)
{
    struct db_conn *c = xcalloc(1, sizeof *c);
    int rc = sqlite3_open_v2(path, &c->sql,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        log_error("open failed path=%s err=%s", path, c->sql ? sqlite3_errmsg(c->sql) : "?");
        sqlite3_close(c->sql);
        free(c);
        return ERR_DB;
    }
    sqlite3_busy_timeout(c->sql, 10000);
    sqlite3_extended_result_codes(c->sql, 1);
    if (db__exec(c, "PRAGMA journal_mode=WAL") || db__exec(c, "PRAGMA synchronous=FULL") ||
        db__exec(c, "PRAGMA foreign_keys=ON")) {
        sqlite3_close(c->sql);
        free(c);
        return ERR_DB;
    }
    *out = c;
    return 0;
}

static void conn_close(struct db_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_stmt; i++)
        sqlite3_finalize(c->stmt[i]);
    sqlite3_close(c->sql);
    free(c);
}

int db__exec(struct db_conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->sql, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        log_error("exec failed sql=\"%.80s\" err=%s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return ERR_DB;
    }
    return 0;
}

sqlite3_stmt *db__stmt(struct db_conn *c, const char *sql)
{
    for (size_t i = 0; i < c->n_stmt; i++) {
        if (c->stmt_sql[i] == sql) {
            sqlite3_reset(c->stmt[i]);
            sqlite3_clear_bindings(c->stmt[i]);
            return c->stmt[i];
        }
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        log_error("prepare failed sql=\"%.80s\" err=%s", sql, sqlite3_errmsg(c->sql));
        return NULL;
    }
    ASSERT(c->n_stmt < DB__STMT_CACHE);
    c->stmt_sql[c->n_stmt] = sql;
    c->stmt[c->n_stmt] = st;
    c->n_stmt++;
    return st;
}

char *db__col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t)
        return NULL;
    return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

void db__bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (s)
        sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

int db__step_done(struct db_conn *c, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        out = ERR_EXISTS;
    } else if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        log_error("step failed err=%s", sqlite3_errmsg(c->sql));
        out = ERR_DB;
    }
    sqlite3_reset(st);
    return out;
}

static void reader_forget(void *p)
{
    (void)p; /* readers are closed by db_close, which owns them */
}

struct db_conn *db__reader(struct db *db)
{
    struct db_conn *c = pthread_getspecific(db->reader_key);
    if (c)
        return c;
    if (conn_open(db->path, &c))
        return NULL;
    pthread_setspecific(db->reader_key, c);
    pthread_mutex_lock(&db->readers_lock);
    c->next = db->readers;
    db->readers = c;
    pthread_mutex_unlock(&db->readers_lock);
    return c;
}

static void run_batch(struct db *db, struct db__job *jobs)
{
    struct db_conn *c = db->writer;
    int batch_rc = db__exec(c, "BEGIN IMMEDIATE");
    for (struct db__job *j = jobs; j; j = j->next) {
        if (batch_rc) {
            j->rc = batch_rc;
            continue;
        }
        if (db__exec(c, "SAVEPOINT job")) {
            j->rc = ERR_DB;
            continue;
        }
        j->rc = j->fn(c, j->arg);
        if (j->rc)
            db__exec(c, "ROLLBACK TO job");
        db__exec(c, "RELEASE job");
    }
    if (!batch_rc && db__exec(c, "COMMIT")) {
        db__exec(c, "ROLLBACK");
        for (struct db__job *j = jobs; j; j = j->next)
            j->rc = ERR_DB;
    }
}

static void *writer_main(void *arg)
{
    struct db *db = arg;
    pthread_mutex_lock(&db->lock);
    for (;;) {
        while (!db->queue_head && !db->stopping)
            pthread_cond_wait(&db->work, &db->lock);
        if (!db->queue_head && db->stopping)
            break;
        struct db__job *jobs = db->queue_head;
        db->queue_head = db->queue_tail = NULL;
        pthread_mutex_unlock(&db->lock);
        run_batch(db, jobs);
        pthread_mutex_lock(&db->lock);
        for (struct db__job *j = jobs; j;) {
            struct db__job *next = j->next; /* j lives on its caller's stack */
            j->done = 1;
            j = next;
        }
        pthread_cond_broadcast(&db->done);
    }
    pthread_mutex_unlock(&db->lock);
    return NULL;
}

int db__write(struct db *db, db__write_fn fn, void *arg)
{
    struct db__job job = {fn, arg, 0, 0, NULL};
    pthread_mutex_lock(&db->lock);
    if (db->stopping) {
        pthread_mutex_unlock(&db->lock);
        return ERR_DB;
    }
    if (db->queue_tail)
        db->queue_tail->next = &job;
    else
        db->queue_head = &job;
    db->queue_tail = &job;
    pthread_cond_signal(&db->work);
    while (!job.done)
        pthread_cond_wait(&db->done, &db->lock);
    pthread_mutex_unlock(&db->lock);
    return job.rc;
}

int db_open(const char *path, struct db **out, char *err, size_t err_len)
{
    struct db *db = xcalloc(1, sizeof *db);
    db->path = xstrdup(path);
    pthread_mutex_init(&db->lock, NULL);
    pthread_mutex_init(&db->readers_lock, NULL);
    pthread_cond_init(&db->work, NULL);
    pthread_cond_init(&db->done, NULL);
    pthread_key_create(&db->reader_key, reader_forget);
    int rc = conn_open(path, &db->writer);
    if (rc) {
        snprintf(err, err_len, "cannot open database %s", path);
        goto fail;
    }
    rc = db__migrate(db->writer, err, err_len);
    if (rc)
        goto fail;
    if (pthread_create(&db->writer_thread, NULL, writer_main, db) != 0) {
        snprintf(err, err_len, "cannot start the database writer thread");
        rc = ERR_INTERNAL;
        goto fail;
    }
    *out = db;
    return 0;
fail:
    conn_close(db->writer);
    pthread_key_delete(db->reader_key);
    free(db->path);
    free(db);
    return rc;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&db->lock);
    db->stopping = 1;
    pthread_cond_signal(&db->work);
    pthread_mutex_unlock(&db->lock);
    pthread_join(db->writer_thread, NULL);
    struct db_conn *c = db->readers;
    while (c) {
        struct db_conn *next = c->next;
        conn_close(c);
        c = next;
    }
    conn_close(db->writer);
    pthread_key_delete(db->reader_key);
    pthread_mutex_destroy(&db->lock);
    pthread_mutex_destroy(&db->readers_lock);
    pthread_cond_destroy(&db->work);
    pthread_cond_destroy(&db->done);
    free(db->path);
    free(db);
}
