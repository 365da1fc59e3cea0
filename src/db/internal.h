/* internal.h: what the files of src/db/ share: connections, the statement
 * cache and the writer queue. Nothing outside src/db/ includes this. */
#ifndef RELAIS_DB_INTERNAL_H
#define RELAIS_DB_INTERNAL_H

#include "db/db.h"

#include <pthread.h>
#include <jansson.h>
#include <sqlite3.h>

enum { DB__STMT_CACHE = 256 };

/* One SQLite connection and its prepared statements. A reader belongs to one
 * thread; the writer connection belongs to the writer thread. */
struct db_conn {
    sqlite3 *sql;                      /* owned */
    const char *stmt_sql[DB__STMT_CACHE]; /* SQL text (string literals, compared by pointer) */
    sqlite3_stmt *stmt[DB__STMT_CACHE];   /* owned prepared statements */
    size_t n_stmt;                     /* entries used */
    struct db_conn *next;              /* all readers, for closing */
    int read_depth;                    /* db_read_begin nesting; >0: a read transaction is open */
};

struct db__job;

struct db {
    char *path;                   /* owned */
    struct db_conn *writer;       /* owned; touched only by the writer thread after open */
    pthread_t writer_thread;
    pthread_mutex_t lock;         /* guards queue, stopping and the job done flags */
    pthread_cond_t work;          /* signalled when a job is queued or on stop */
    struct db__job *queue_head;   /* pending jobs, oldest first */
    struct db__job *queue_tail;
    int stopping;                 /* set by db_close */
    bool broken;                  /* a commit failed after an early release: no more writes */
    struct db_conn *ckpt;         /* owned; the checkpointer thread's connection (or NULL) */
    pthread_t ckpt_thread;        /* runs WAL checkpoints off the writer (see sqlite.c) */
    bool ckpt_running;            /* ckpt_thread was started */
    pthread_mutex_t ckpt_lock;    /* guards ckpt_wanted, ckpt_stopping, ckpt_active, ckpt_copied */
    pthread_cond_t ckpt_cond;     /* signalled when a checkpoint is wanted or on stop */
    bool ckpt_wanted;             /* the WAL is long enough: checkpoint it */
    bool ckpt_stopping;           /* set by db_close */
    int ckpt_asked_at;            /* WAL frames when a checkpoint was last asked for (writer only) */
    bool ckpt_active;             /* the checkpointer is copying (guarded by ckpt_lock) */
    int ckpt_copied;              /* WAL frames its last checkpoint had copied back (ckpt_lock) */
    pthread_key_t reader_key;     /* thread -> struct db_conn * */
    pthread_mutex_t readers_lock; /* guards readers */
    struct db_conn *readers;      /* every reader connection, owned */
};

/* A unit of write work run on the writer connection inside a transaction.
 * Returning non-zero rolls back this job's changes only. */
typedef int (*db__write_fn)(struct db_conn *c, void *arg);

/* Queues fn for the writer and waits until its transaction is durable.
 * Returns fn's result, or ERR_DB if the commit failed. */
int db__write(struct db *db, db__write_fn fn, void *arg);
/* The first half of db__write: queues fn and returns at once; the writer calls
 * on_run(ctx, rc) on its thread right after fn has run inside its open
 * transaction (rc: fn's result; nothing of fn is kept unless it is 0). On 0,
 * *job (owned by the caller) must be passed to db__write_end, which waits for
 * the commit and returns fn's result, or ERR_DB if the commit failed. On
 * failure (the database is closing) nothing was queued, on_run is not called
 * and *job is NULL. on_run must not wait for the writer. */
int db__write_begin(struct db *db, db__write_fn fn, void *arg, void (*on_run)(void *ctx, int rc),
                    void *ctx, struct db__job **job);
int db__write_end(struct db *db, struct db__job *job);
/* db__write_begin without a waiter: on_run (may be NULL) as there, then
 * on_done(ctx, rc) on the writer's thread once the transaction is durable (rc:
 * fn's result) or failed (ERR_DB). Returns 0, or ERR_DB when the database is
 * closing (nothing queued, neither callback called). on_done may queue writes
 * but must not wait for them. */
int db__write_async(struct db *db, db__write_fn fn, void *arg, void (*on_run)(void *ctx, int rc),
                    void (*on_done)(void *ctx, int rc), void *ctx);
/* Queues fn for the writer and returns at once, for best-effort writes whose loss in a
 * crash is harmless (a device's last-seen time): a request thread never waits for their
 * fsync. arg is handed over: free_arg(arg) runs on the writer once fn's transaction ended
 * (committed or not), or here at once when the database is closing. */
void db__write_detached(struct db *db, db__write_fn fn, void *arg, void (*free_arg)(void *arg));
/* The name of the VFS connections open with (wal_vfs.c: a WAL file's writes
 * gathered into one call per commit), or NULL for SQLite's default. */
const char *db__wal_vfs(void);
/* ckpt_pace.c: the database file of that VFS. db__ckpt_pace_open opens one
 * (the default VFS's file at real_offset inside ours); on a thread that
 * called db__ckpt_pace_thread(true) (the checkpointer) its writes are synced
 * in small steps. db__ckpt_pace_file_size is the size of our part. */
int db__ckpt_pace_open(sqlite3_vfs *real_vfs, size_t real_offset, const char *name,
                       sqlite3_file *file, int flags, int *out_flags);
void db__ckpt_pace_thread(bool on);
unsigned long db__ckpt_pace_steps(void); /* steps taken in this process */
size_t db__ckpt_pace_file_size(void);
/* The calling thread's read connection (opened on first use); NULL on failure. */
struct db_conn *db__reader(struct db *db);
/* A prepared statement for sql (a string literal), reset and unbound; NULL on
 * error (logged). Do not use it after another call with the same sql returns. */
sqlite3_stmt *db__stmt(struct db_conn *c, const char *sql);
/* Runs SQL without results; returns 0 or ERR_DB (logged). */
int db__exec(struct db_conn *c, const char *sql);
/* Copies a text column (NULL stays NULL). */
char *db__col_text(sqlite3_stmt *st, int col);
/* Binds text or NULL. */
void db__bind_text(sqlite3_stmt *st, int idx, const char *s);
/* Runs a statement that returns no rows; returns 0 or ERR_DB (logged). */
int db__step_done(struct db_conn *c, sqlite3_stmt *st);
/* Steps a statement (bound, reset after) that answers one row and reads its column 0
 * into *out (untouched when there is no row); returns 0, or ERR_DB when there is no row
 * or the step fails. */
int db__step_i64(sqlite3_stmt *st, int64_t *out);
/* db__step_i64 of sql (a string literal without parameters) on the calling thread's
 * reader; *out is 0 on failure. */
int db__read_i64(struct db *db, const char *sql, int64_t *out);
/* Fills elem (zeroed) from the statement's current row. */
typedef void (*db__row_fn)(sqlite3_stmt *st, void *elem);
/* Frees what one element owns (not the element itself). */
typedef void (*db__elem_fini_fn)(void *elem);
/* Steps st to its end and resets it, collecting one elem_size-byte element a row, filled by
 * fill, into an owned array: items is the address of the caller's array pointer (a T ** for
 * T elements), set with *n to the array and its length (NULL and 0 when there are no rows).
 * On a step error the elements are released with fini (NULL: they own nothing) and the
 * array freed, *items is NULL, *n is 0, and it returns ERR_DB. */
int db__rows_collect(sqlite3_stmt *st, size_t elem_size, db__row_fn fill, db__elem_fini_fn fini,
                     void *items, size_t *n);
/* Releases each of the n elem_size-byte elements of items with fini (NULL: they own
 * nothing), then frees items (owned, may be NULL). */
void db__items_free(void *items, size_t n, size_t elem_size, db__elem_fini_fn fini);
/* db__rows_collect of column 0 as owned strings (free with db_strings_free). */
int db__rows_collect_text(sqlite3_stmt *st, char ***out, size_t *n);

/* Threads (relations.c), for the event writer: a reply at pos to root by
 * sender moves the thread up; a redaction of a reply recomputes its latest. */
int db__thread_reply(struct db_conn *c, const char *room_id, const char *root_id,
                     const char *sender, int64_t pos);
int db__thread_redacted(struct db_conn *c, const char *event_id);

/* State groups (state.c), for the event writer. */
struct map;
int db__state_group_map(struct db_conn *c, int64_t group, struct map *out);
int db__state_group_add(struct db_conn *c, const char *room_id, int64_t prev, const char *type,
                        const char *state_key, const char *event_id, int64_t *group);

/* E2EE cleanup for db/devices.c, inside its delete transactions (keys.c):
 * drops the keys and to-device messages of device_id (NULL: of every device
 * of the user except keep_device_id) and notes a device-list change. */
int db__e2ee_devices_gone(struct db_conn *c, const char *user_id, const char *device_id,
                          const char *keep_device_id);

/* The search index (search.c), for the push worker's batch (push.c): indexes
 * docs, then takes the events at removed[] out. */
struct db_search_doc;
int db__search_write(struct db_conn *c, const struct db_search_doc *docs, size_t n,
                     const int64_t *removed, size_t n_removed);

/* Schema migrations (schema.c). */
int db__migrate(struct db_conn *c, char *err, size_t err_len);

#endif
