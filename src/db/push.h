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

/* The user's rule changes (owned JSON text); ERR_NOT_FOUND when none. */
int db_push_rules_get(struct db *db, const char *user_id, char **json);
int db_push_rules_put(struct db *db, const char *user_id, const char *json);

/* One notification for one user. */
struct db_push_action {
    const char *user_id;   /* borrowed when writing, owned when read */
    const char *room_id;   /* same */
    const char *event_id;  /* same */
    const char *thread_id; /* "main" or the thread root's event ID; same */
    const char *actions;   /* JSON array text, NULL for ["notify"]; same */
    int64_t event_pos;     /* the event's stream position */
    int64_t ts;            /* origin_server_ts of the event */
    bool highlight;        /* set_tweak highlight */
};

/* Stores rows (one transaction). */
int db_push_actions_add(struct db *db, const struct db_push_action *rows, size_t n);
/* Notification and highlight counts of the user in the room after event
 * position `after` (thread_id NULL: every thread). */
int db_push_counts(struct db *db, const char *user_id, const char *room_id, const char *thread_id,
                   int64_t after, int64_t *notifications, int64_t *highlights);
/* Per-thread counts after each thread's own `after` are not kept: this gives
 * the threads (other than "main") with notifications after `after`, and
 * their counts (owned arrays). */
int db_push_thread_counts(struct db *db, const char *user_id, const char *room_id, int64_t after,
                          char ***thread_ids, int64_t **notifications, int64_t **highlights,
                          size_t *n);
/* The user's notifications, newest first, with event_pos < before (0: from
 * the newest), at most limit; only highlights when only_highlight. */
int db_push_notifications(struct db *db, const char *user_id, int64_t before, size_t limit,
                          bool only_highlight, struct db_push_action **out, size_t *n);
void db_push_actions_free(struct db_push_action *rows, size_t n);

#endif
