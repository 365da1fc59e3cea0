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
 * 4. db__write_begin queues a job and returns; the writer calls the caller's
 *    on_run callback on its own thread as soon as the job has run inside the
 *    open transaction (its rows and positions are final unless the commit
 *    fails), and db__write_end waits for the commit. A room sender keeps its
 *    room busy only until that callback (which moves the room head), so the
 *    next event of the room can join the same or the next commit instead of
 *    waiting for this fsync, and the sender is woken once, not twice. Should
 *    a commit with such an early-released job fail, later jobs may build on
 *    rows that were rolled back: the writer then refuses every later write (ERR_DB,
 *    logged) until the server restarts and reloads its rooms from disk.
 * 5. Each waiter has its own condition variable: the writer wakes exactly the
 *    callers whose job committed. A db__write_async job has no waiter: the
 *    writer calls its on_done callback after the commit (a client's message
 *    send is answered from there, so no request thread sits waiting for the
 *    fsync and the next requests can be built meanwhile).
 * 6. Checkpoints (copying the WAL back into the database file, with its own
 *    fsync) run on a checkpointer thread with its own connection, started by
 *    the writer's WAL hook once the WAL holds DB_CKPT_PAGES pages: SQLite's
 *    automatic checkpoint would run inside the writer's commit and stall every
 *    waiting write for its duration. Should the WAL grow past
 *    DB_CKPT_FORCE_PAGES (the checkpointer cannot keep up), the writer
 *    checkpoints itself, as SQLite would.
 */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdio.h>
#include <string.h>

/* A checkpoint copies a page rewritten by many commits once: the longer the
 * stretch of WAL it covers, the fewer writes. Its writes reach the disk in
 * small steps (ckpt_pace.c), so a long checkpoint no longer holds the commits
 * behind one burst (before that, 8,000-page checkpoints doubled the send
 * latency). At 1,000 msg/s (bench/chat/disk_io.sh, 2 runs each): every 1,000
 * frames 7.5 / 6.5 device writes and 71 / 61 KB per message, every 5,000
 * 5.1 / 5.1 and 59 / 58 KB, every 10,000 4.6 / 4.5 and 56 / 55 KB, every
 * 20,000 (only at the wrap-around) 4.2 / 4.0 and 53 / 52 KB but a p99 of
 * 5.2 / 11.5 ms against 3.5 / 4.2 (the writer then waits for one long
 * checkpoint at each wrap). */
enum {
    DB_CKPT_PAGES = 10000,       /* WAL pages that start a background checkpoint */
    DB_CKPT_FORCE_PAGES = 20000, /* WAL pages past which the WAL is made to start over */
    DB_CKPT_TAIL_PAGES = 256,    /* at most this many uncopied pages: the writer copies them */
    DB_CKPT_LIMIT_PAGES = 30000, /* WAL pages at which the writer checkpoints regardless */
};

struct db__job {
    db__write_fn fn;     /* the work */
    void *arg;           /* its argument, owned by the caller */
    int rc;              /* result, valid once done (fn's part once fn has run) */
    int done;            /* committed or failed (set by the writer under db->lock) */
    int early;           /* its effects are used before the commit (db__write_begin) */
    void (*on_run)(void *ctx, int rc); /* db__write_begin: called by the writer after fn */
    void *on_run_ctx;    /* its argument */
    pthread_cond_t cond; /* signalled when done */
    struct db__job *next; /* in the queue, then in the writer's batch */
    void (*free_arg)(void *arg); /* a detached job (db__write_detached): frees arg, and the
                                    writer frees the job; NULL for a waited-for job */
    void (*on_done)(void *ctx, int rc); /* db__write_async: called by the writer once the
                                           transaction is durable or failed; it frees the job */
};

static int conn_open(const char *path, struct db_conn **out)
{
    struct db_conn *c = xcalloc(1, sizeof *c);
    int rc = sqlite3_open_v2(path, &c->sql,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             db__wal_vfs());
    if (rc != SQLITE_OK) {
        log_error("open failed path=%s err=%s", path, c->sql ? sqlite3_errmsg(c->sql) : "?");
        sqlite3_close(c->sql);
        free(c);
        return ERR_DB;
    }
    sqlite3_busy_timeout(c->sql, 10000);
    sqlite3_extended_result_codes(c->sql, 1);
    /* A new database gets 2 KiB pages (an existing one keeps its size: SQLite
     * ignores the pragma once the file has pages, and a WAL database cannot be
     * rebuilt with another). A message dirties ~6-9 pages of random-insert
     * indexes, each written whole to the WAL and again by the checkpoint:
     * with 2 KiB pages, 18-20 instead of 20-23 KB of disk per message at
     * saturation and 67 instead of 93-103 KB at 1,000 msg/s (one or two
     * messages per commit), at about the same CPU (send_cost.sh 172-206 vs
     * 187-233 us per message; fixed rate +6%) and /sync and initial-sync
     * cost (sync_cost.sh, initial_sync.sh: within the runs' noise). */
    if (db__exec(c, "PRAGMA page_size=2048") || db__exec(c, "PRAGMA journal_mode=WAL") ||
        db__exec(c, "PRAGMA synchronous=FULL") || db__exec(c, "PRAGMA foreign_keys=ON")) {
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

int db__rows_collect(sqlite3_stmt *st, size_t elem_size, db__row_fn fill, db__elem_fini_fn fini,
                     void *items, size_t *n)
{
    unsigned char *arr = NULL;
    size_t cap = 0, count = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            arr = xrealloc(arr, cap * elem_size);
        }
        unsigned char *elem = arr + count++ * elem_size;
        memset(elem, 0, elem_size);
        fill(st, elem);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db__items_free(arr, count, elem_size, fini);
        arr = NULL;
        count = 0;
    }
    memcpy(items, &arr, sizeof arr); /* items is the caller's T **, see internal.h */
    *n = count;
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db__step_i64(sqlite3_stmt *st, int64_t *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : ERR_DB;
}

int db__read_i64(struct db *db, const char *sql, int64_t *out)
{
    *out = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, sql) : NULL;
    return st ? db__step_i64(st, out) : ERR_DB;
}

void db__items_free(void *items, size_t n, size_t elem_size, db__elem_fini_fn fini)
{
    for (size_t i = 0; fini && i < n; i++)
        fini((unsigned char *)items + i * elem_size);
    free(items);
}

static void text_fill(sqlite3_stmt *st, void *elem)
{
    *(char **)elem = db__col_text(st, 0);
}

static void text_fini(void *elem)
{
    free(*(char **)elem);
}

int db__rows_collect_text(sqlite3_stmt *st, char ***out, size_t *n)
{
    return db__rows_collect(st, sizeof **out, text_fill, text_fini, out, n);
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

/* Tells a db__write_begin caller that j has run (on this thread: no wake-up). */
static void job_executed(struct db__job *j)
{
    if (j->on_run)
        j->on_run(j->on_run_ctx, j->rc);
}

/* db__exec for the transaction statements run per job or per sync: prepared
 * once per connection (sqlite3_exec parses its text on every call). */
static int exec_cached(struct db_conn *c, const char *sql)
{
    sqlite3_stmt *st = db__stmt(c, sql);
    if (!st)
        return db__exec(c, sql);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        log_error("exec failed sql=\"%.80s\" err=%s", sql, sqlite3_errmsg(c->sql));
        return ERR_DB;
    }
    return 0;
}

void db_read_begin(struct db *db)
{
    struct db_conn *c = db__reader(db);
    if (!c)
        return;
    if (c->read_depth == 0 && exec_cached(c, "BEGIN")) /* deferred: the snapshot is the first read */
        return;
    c->read_depth++;
}

void db_read_end(struct db *db)
{
    struct db_conn *c = db__reader(db);
    if (!c || c->read_depth == 0)
        return;
    if (--c->read_depth > 0)
        return;
    sqlite3_stmt *st = db__stmt(c, "COMMIT");
    if (st) {
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return;
    }
    /* A statement still stepping keeps the transaction open: reset them all,
     * since a snapshot left open would hide every later write from this thread. */
    for (size_t i = 0; i < c->n_stmt; i++)
        sqlite3_reset(c->stmt[i]);
    if (db__exec(c, "COMMIT"))
        sqlite3_exec(c->sql, "ROLLBACK", NULL, NULL, NULL);
}

static void run_batch(struct db *db, struct db__job *jobs)
{
    struct db_conn *c = db->writer;
    int batch_rc = db->broken ? ERR_DB : exec_cached(c, "BEGIN IMMEDIATE");
    bool released = false; /* an early job succeeded: later ones may depend on it */
    for (struct db__job *j = jobs; j; j = j->next) {
        if (batch_rc) {
            j->rc = batch_rc;
        } else if (exec_cached(c, "SAVEPOINT job")) {
            j->rc = ERR_DB;
        } else {
            j->rc = j->fn(c, j->arg);
            if (j->rc)
                exec_cached(c, "ROLLBACK TO job");
            exec_cached(c, "RELEASE job");
            released |= j->early && j->rc == 0;
        }
        job_executed(j);
    }
    if (!batch_rc && exec_cached(c, "COMMIT")) {
        db__exec(c, "ROLLBACK");
        for (struct db__job *j = jobs; j; j = j->next)
            j->rc = ERR_DB;
        if (released) {
            db->broken = true;
            log_error("commit failed after events were handed to rooms: "
                      "refusing further writes until restart");
        }
    }
}

/* The writer connection's WAL hook, called after each commit with the WAL's
 * length in frames. Under a steady write load the WAL rarely starts over (a
 * restart needs the WAL copied completely and no reader on its frames when a
 * write transaction begins), so it grows past DB_CKPT_PAGES: a background
 * checkpoint is asked for once per DB_CKPT_PAGES new frames, not after every
 * commit past the mark (that ran ~75 checkpoints a second, two fsyncs each,
 * copying a few pages each; wrk sends, 200 users, 100 rooms). Past
 * DB_CKPT_FORCE_PAGES the WAL is made to start over (without that it grew
 * without bound: 330 MB in 5 s of sends): the writer checkpoints itself after
 * a commit, which leaves the WAL copied to its end when the next write
 * begins. It does so only once the checkpointer has copied all but
 * DB_CKPT_TAIL_PAGES frames (asking it for that first), so the writer copies
 * the few frames committed during that checkpoint, not up to DB_CKPT_PAGES of
 * them while every send waits (3-8 ms per wrap at 1,000 msg/s, 7-10 ms with
 * 4,000-page checkpoints; now 1.4-7.5 / 4-8.7 ms, mostly the database file's
 * fsync); past DB_CKPT_LIMIT_PAGES (a reader holds old frames, the
 * checkpointer cannot keep up) it checkpoints regardless. */
static int wal_hook(void *arg, sqlite3 *sql, const char *name, int pages)
{
    struct db *db = arg;
    if (pages < db->ckpt_asked_at) /* the WAL started over */
        db->ckpt_asked_at = 0;
    bool ask = pages - db->ckpt_asked_at >= DB_CKPT_PAGES;
    if (pages >= DB_CKPT_FORCE_PAGES) {
        pthread_mutex_lock(&db->ckpt_lock);
        bool busy = db->ckpt_wanted || db->ckpt_active;
        int uncopied = pages - db->ckpt_copied; /* negative if stale: copy */
        pthread_mutex_unlock(&db->ckpt_lock);
        if (!db->ckpt_running || pages >= DB_CKPT_LIMIT_PAGES ||
            (!busy && uncopied <= DB_CKPT_TAIL_PAGES)) {
            sqlite3_wal_checkpoint_v2(sql, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
            return SQLITE_OK;
        }
        ask = !busy && pages - db->ckpt_asked_at >= DB_CKPT_TAIL_PAGES;
    }
    if (ask) {
        db->ckpt_asked_at = pages;
        pthread_mutex_lock(&db->ckpt_lock);
        db->ckpt_wanted = true;
        pthread_cond_signal(&db->ckpt_cond);
        pthread_mutex_unlock(&db->ckpt_lock);
    }
    return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
    struct db *db = arg;
    db__ckpt_pace_thread(true); /* its database writes reach the disk in steps */
    pthread_mutex_lock(&db->ckpt_lock);
    for (;;) {
        while (!db->ckpt_wanted && !db->ckpt_stopping)
            pthread_cond_wait(&db->ckpt_cond, &db->ckpt_lock);
        if (db->ckpt_stopping)
            break;
        db->ckpt_wanted = false;
        db->ckpt_active = true;
        pthread_mutex_unlock(&db->ckpt_lock);
        int copied = 0;
        int rc = sqlite3_wal_checkpoint_v2(db->ckpt->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                           &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_warn("checkpoint failed err=%s", sqlite3_errmsg(db->ckpt->sql));
        pthread_mutex_lock(&db->ckpt_lock);
        db->ckpt_active = false;
        db->ckpt_copied = rc == SQLITE_OK ? copied : 0;
    }
    pthread_mutex_unlock(&db->ckpt_lock);
    return NULL;
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
        /* Asynchronous jobs are completed here after the waiting callers are
         * woken, outside db->lock (their callbacks may queue writes). */
        struct db__job *async = NULL, **async_tail = &async, *rest = NULL, **rest_tail = &rest;
        for (struct db__job *j = jobs; j; j = j->next) {
            struct db__job ***tail = j->on_done ? &async_tail : &rest_tail;
            **tail = j;
            *tail = &j->next;
        }
        *async_tail = NULL;
        *rest_tail = NULL;
        jobs = rest;
        pthread_mutex_lock(&db->lock);
        for (struct db__job *j = jobs; j;) {
            struct db__job *next = j->next; /* j is its caller's, freed once done */
            if (j->free_arg) { /* nobody waits for a detached job */
                j->free_arg(j->arg);
                pthread_cond_destroy(&j->cond);
                free(j);
                j = next;
                continue;
            }
            j->done = 1;
            pthread_cond_signal(&j->cond);
            j = next;
        }
        if (async) {
            pthread_mutex_unlock(&db->lock);
            while (async) {
                struct db__job *next = async->next;
                async->on_done(async->on_run_ctx, async->rc);
                free(async);
                async = next;
            }
            pthread_mutex_lock(&db->lock);
        }
    }
    pthread_mutex_unlock(&db->lock);
    return NULL;
}

/* Queues j (initialised by the caller). Caller holds db->lock. Returns
 * ERR_DB when the database is closing (j is then not queued). */
static int enqueue_locked(struct db *db, struct db__job *j)
{
    if (db->stopping)
        return ERR_DB;
    pthread_cond_init(&j->cond, NULL);
    if (db->queue_tail)
        db->queue_tail->next = j;
    else
        db->queue_head = j;
    db->queue_tail = j;
    pthread_cond_signal(&db->work);
    return 0;
}

void db__write_detached(struct db *db, db__write_fn fn, void *arg, void (*free_arg)(void *arg))
{
    struct db__job *j = xcalloc(1, sizeof *j);
    j->fn = fn;
    j->arg = arg;
    j->free_arg = free_arg;
    pthread_mutex_lock(&db->lock);
    int rc = enqueue_locked(db, j);
    pthread_mutex_unlock(&db->lock);
    if (rc) {
        free_arg(arg);
        free(j);
    }
}

int db__write(struct db *db, db__write_fn fn, void *arg)
{
    struct db__job job = {.fn = fn, .arg = arg};
    pthread_mutex_lock(&db->lock);
    int rc = enqueue_locked(db, &job);
    if (rc) {
        pthread_mutex_unlock(&db->lock);
        return rc;
    }
    while (!job.done)
        pthread_cond_wait(&job.cond, &db->lock);
    pthread_mutex_unlock(&db->lock);
    pthread_cond_destroy(&job.cond);
    return job.rc;
}

int db__write_begin(struct db *db, db__write_fn fn, void *arg, void (*on_run)(void *ctx, int rc),
                    void *ctx, struct db__job **out)
{
    struct db__job *job = xcalloc(1, sizeof *job);
    job->fn = fn;
    job->arg = arg;
    job->early = 1;
    job->on_run = on_run;
    job->on_run_ctx = ctx;
    *out = NULL;
    pthread_mutex_lock(&db->lock);
    int rc = enqueue_locked(db, job);
    pthread_mutex_unlock(&db->lock);
    if (rc) {
        free(job);
        return rc;
    }
    *out = job;
    return 0;
}

int db__write_async(struct db *db, db__write_fn fn, void *arg, void (*on_run)(void *ctx, int rc),
                    void (*on_done)(void *ctx, int rc), void *ctx)
{
    struct db__job *job = xcalloc(1, sizeof *job);
    job->fn = fn;
    job->arg = arg;
    job->early = on_run != NULL;
    job->on_run = on_run;
    job->on_done = on_done;
    job->on_run_ctx = ctx;
    pthread_mutex_lock(&db->lock);
    int rc = db->stopping ? ERR_DB : 0;
    if (!rc) { /* no condition variable: nobody waits on it */
        if (db->queue_tail)
            db->queue_tail->next = job;
        else
            db->queue_head = job;
        db->queue_tail = job;
        pthread_cond_signal(&db->work);
    }
    pthread_mutex_unlock(&db->lock);
    if (rc)
        free(job);
    return rc;
}

int db__write_end(struct db *db, struct db__job *job)
{
    pthread_mutex_lock(&db->lock);
    while (!job->done)
        pthread_cond_wait(&job->cond, &db->lock);
    pthread_mutex_unlock(&db->lock);
    int rc = job->rc;
    pthread_cond_destroy(&job->cond);
    free(job);
    return rc;
}

/* Stops the checkpointer (if it runs) and closes its connection. */
static void ckpt_stop(struct db *db)
{
    if (db->ckpt_running) {
        pthread_mutex_lock(&db->ckpt_lock);
        db->ckpt_stopping = true;
        pthread_cond_signal(&db->ckpt_cond);
        pthread_mutex_unlock(&db->ckpt_lock);
        pthread_join(db->ckpt_thread, NULL);
        db->ckpt_running = false;
    }
    conn_close(db->ckpt);
    db->ckpt = NULL;
}

int db_open(const char *path, struct db **out, char *err, size_t err_len)
{
    struct db *db = xcalloc(1, sizeof *db);
    db->path = xstrdup(path);
    pthread_mutex_init(&db->lock, NULL);
    pthread_mutex_init(&db->readers_lock, NULL);
    pthread_cond_init(&db->work, NULL);
    pthread_key_create(&db->reader_key, reader_forget);
    int rc = conn_open(path, &db->writer);
    if (rc) {
        snprintf(err, err_len, "cannot open database %s", path);
        goto fail;
    }
    rc = db__migrate(db->writer, err, err_len);
    if (rc)
        goto fail;
    /* The writer's per-job savepoints keep the pages a job changes in a
     * sub-journal, which spills to a temporary file past 64 KiB (a push
     * worker batch): open, write, close, on every such job. In memory it is
     * bounded by one job's pages (set after the migrations, whose
     * sorts over a large old database may be big). */
    if (db__exec(db->writer, "PRAGMA temp_store=MEMORY")) {
        snprintf(err, err_len, "cannot configure database %s", path);
        rc = ERR_DB;
        goto fail;
    }

    /* The migrations filled the page cache with schema pages no request needs. */
    sqlite3_db_release_memory(db->writer->sql);
    pthread_mutex_init(&db->ckpt_lock, NULL);
    pthread_cond_init(&db->ckpt_cond, NULL);
    if (conn_open(path, &db->ckpt) == 0 &&
        pthread_create(&db->ckpt_thread, NULL, checkpointer_main, db) == 0) {
        db->ckpt_running = true;
        sqlite3_wal_hook(db->writer->sql, wal_hook, db); /* replaces the automatic checkpoint */
    }
    if (pthread_create(&db->writer_thread, NULL, writer_main, db) != 0) {
        snprintf(err, err_len, "cannot start the database writer thread");
        rc = ERR_INTERNAL;
        goto fail;
    }
    *out = db;
    return 0;
fail:
    ckpt_stop(db);
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
    ckpt_stop(db);
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
    pthread_mutex_destroy(&db->ckpt_lock);
    pthread_cond_destroy(&db->ckpt_cond);
    free(db->path);
    free(db);
}
