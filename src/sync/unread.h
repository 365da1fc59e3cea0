/* unread.h: the rooms' unread_notifications in /sync, counted without
 * waiting for the push worker.
 *
 * The push worker evaluates the rules of events after they are persisted and
 * stores one row per notifying event (db/push.h). A /sync counts the stored
 * rows up to the worker's position and evaluates the user's rules itself for
 * the events above it, so its counts cover every event up to its token
 * however far behind the worker is. Counts of rows the worker will not
 * change any more are kept in memory per (user, room, read receipts), so a
 * sync reads only the rows that arrived since the last one.
 * Spec: client-server "Receiving notifications" (unread_notifications,
 * MSC3773's unread_thread_notifications). Thread-safe. */
#ifndef RELAIS_SYNC_UNREAD_H
#define RELAIS_SYNC_UNREAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct server;

/* The positions one sync response counts at. */
struct sync_unread_at {
    int64_t upto;      /* the response's event stream position */
    int64_t processed; /* every event at or below it has its push row stored */
    int64_t settled;   /* rows at or below it no longer change (at most processed) */
};

/* Samples the push worker's positions for a response up to event position
 * upto. Call before the read transaction the counts are read in begins. */
void sync_unread_prepare(int64_t upto, struct sync_unread_at *at);

/* The room's unread_notifications for the user ({"notification_count",
 * "highlight_count"}, owned) as of at->upto: in each thread ("main" and every
 * thread root) the notifications after the user's read receipt for that
 * thread or their unthreaded one, whichever is later (with no unthreaded
 * receipt, after their membership event at member_pos, as Synapse).
 * by_thread (the sync filter's unread_thread_notifications, MSC3773): the
 * counts are the main timeline's only and *threads gets {thread root: counts}
 * for the threads with notifications (owned; NULL when none); otherwise the
 * counts add up every thread and *threads is NULL. */
json_t *sync_unread_counts(struct server *srv, const char *user_id, const char *room_id,
                           int64_t member_pos, const struct sync_unread_at *at, bool by_thread,
                           json_t **threads);

/* Forgets the kept counts (server stop). */
void sync_unread_reset(void);

#endif
