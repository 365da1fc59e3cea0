/* push.h: storage for push rules (one JSON document of a user's changes to
 * the default rules) and the per-user push actions of events (what counts
 * as a notification or a highlight, for /sync counts and GET
 * /notifications). SQL in db/push.c. */
#ifndef RELAIS_DB_PUSH_H
#define RELAIS_DB_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_search_doc;

/* The user's rule changes (owned JSON text); ERR_NOT_FOUND when none. */
int db_push_rules_get(struct db *db, const char *user_id, char **json);
int db_push_rules_put(struct db *db, const char *user_id, const char *json);

/* The push outcome of one event for the whole room, in one row: who is
 * notified (every member joined at the time but the sender and `users`, or
 * exactly `users`), who is highlighted, the common actions and the
 * per-user exceptions. One row per event keeps the write cost of a
 * message in a large room near that of the message itself. */
struct db_push_event {
    const char *room_id;    /* borrowed when writing, owned when read */
    const char *event_id;   /* same */
    const char *thread_id;  /* "main" or the thread root's event ID; same */
    const char *sender;     /* same */
    const char *users;      /* "\n"-separated with a leading and trailing "\n"; same */
    const char *highlights; /* the highlighted users, same form; same */
    const char *actions;    /* JSON array: the actions of most notified users; same */
    const char *overrides;  /* JSON object user -> actions for the others, or NULL; same */
    int64_t event_pos;      /* the event's stream position */
    int64_t ts;             /* origin_server_ts of the event */
    bool all_but;           /* users lists who is NOT notified */
};

/* The thread root of event_id when it is a thread reply (its m.thread
 * relation; *root owned), else ERR_NOT_FOUND. */
int db_push_thread_root(struct db *db, const char *event_id, char **root);
/* What one batch of the push worker writes, in one transaction. */
struct db_push_batch {
    const struct db_push_event *rows;  /* notifications to store (borrowed) */
    size_t n_rows;                     /* entries */
    const struct db_search_doc *docs;  /* texts to index for search (borrowed) */
    size_t n_docs;                     /* entries */
    const int64_t *unindexed;          /* redacted events to take out of the index (borrowed) */
    size_t n_unindexed;                /* entries */
    int64_t processed_upto;            /* the worker's new durable position, or 0 */
};
/* Stores the batch (documents indexed before the redacted ones are taken out)
 * and, when processed_upto > 0, raises the push worker's durable position to
 * it, in one transaction (nothing is written when all are empty). */
int db_push_batch_store(struct db *db, const struct db_push_batch *batch);
/* The push worker's durable position: every event at or below it has been
 * evaluated. */
int db_push_processed_get(struct db *db, int64_t *pos);
/* An event not evaluated yet (after a restart). */
struct db_push_backlog {
    int64_t pos;    /* stream position */
    char *event_id; /* owned */
    char *json;     /* owned PDU text */
};
/* Events with after < pos that have no event_push row (not evaluated, or
 * evaluated and notifying no one), oldest first, at most limit (owned). */
int db_push_backlog(struct db *db, int64_t after, size_t limit, struct db_push_backlog **out,
                    size_t *n);
void db_push_backlog_free(struct db_push_backlog *b, size_t n);
/* True when user is notified by the row (not the sender). */
bool db_push_event_notifies(const struct db_push_event *row, const char *user_id);
/* True when user is highlighted by the row. */
bool db_push_event_highlights(const struct db_push_event *row, const char *user_id);
/* The user's actions for the row (owned JSON text). */
char *db_push_event_actions(const struct db_push_event *row, const char *user_id);
/* Notification counts of one thread of a room. */
struct db_push_thread_count {
    char *thread_id;       /* owned: "main" or the thread root's event ID */
    int64_t notifications; /* events that notify the user */
    int64_t highlights;    /* of which highlighted */
};
/* The user's counts in the room per thread, after event position `after`
 * and up to `upto` (INT64_MAX: all) and, in a thread listed in threads[]
 * (thread IDs, n_threads of them), only after its position in afters[] when
 * that is higher (a threaded read receipt). Threads without a notification
 * are left out (owned array). */
int db_push_counts_by_thread(struct db *db, const char *user_id, const char *room_id,
                             int64_t after, int64_t upto, const char *const *threads,
                             const int64_t *afters, size_t n_threads,
                             struct db_push_thread_count **out, size_t *n);
/* The user's unread counts in the room per thread, as /sync and the push
 * gateway show them: in each thread the notifications after the user's
 * read receipt for it ("main" or the root) or their unthreaded one,
 * whichever is later; with no unthreaded receipt, after member_pos (their
 * membership event, as Synapse). Owned array. */
int db_push_unread(struct db *db, const char *user_id, const char *room_id, int64_t member_pos,
                   struct db_push_thread_count **out, size_t *n);
void db_push_thread_counts_free(struct db_push_thread_count *c, size_t n);
/* Rows of the rooms the user is joined to (after their join) with event_pos
 * < before (0: from the newest), newest first, that notify the user, at most
 * limit; only highlights when only_highlight. Scans a bounded number of rows. */
int db_push_notifications(struct db *db, const char *user_id, int64_t before, size_t limit,
                          bool only_highlight, struct db_push_event **out, size_t *n);
void db_push_events_free(struct db_push_event *rows, size_t n);
/* Frees one row's strings (not the row). */
void db_push_events_free_one(struct db_push_event *row);

#endif
