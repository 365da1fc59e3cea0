/* ephemeral.h: the rooms' ephemeral section of /sync (m.typing, m.receipt)
 * and the in-memory typing state behind it.
 *
 * Typing notifications live only in memory with a timeout; a timer thread
 * expires them and wakes the room's members. Their stream (NOTIFY_TYPING)
 * starts at the wall clock in ms at start, so tokens from a previous run stay
 * below the new positions. Receipts are stored (db/receipts.h) on the
 * NOTIFY_RECEIPTS stream. Spec: client-server "Typing Notifications",
 * "Receipts". Thread-safe. */
#ifndef RELAIS_SYNC_EPHEMERAL_H
#define RELAIS_SYNC_EPHEMERAL_H

#include "sync/sync.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct server;

/* At server start, after the notifier exists: sets the receipt and typing
 * stream positions and starts the typing timer. Returns 0 or ERR_DB. */
int sync_ephemeral_start(struct server *srv);
/* Stops the typing timer (before the notifier is freed). */
void sync_ephemeral_stop(void);

/* Sets (typing, for timeout_ms) or clears the user's typing state in the
 * room and wakes the room's joined members when it changed. */
void sync_typing_set(struct server *srv, const char *room_id, const char *user_id, bool typing,
                     int64_t timeout_ms);

/* Wakes the users who should see a receipt at stream position pos: the
 * room's joined members, or only the owner for a private receipt. */
void sync_receipt_notify(struct server *srv, const char *room_id, const char *user_id,
                         bool is_private, int64_t pos);

/* The ephemeral events of a joined room for req up to `to` (owned array,
 * possibly empty). initial: the room is new in this response (everything
 * current is sent). */
json_t *sync_ephemeral_room(struct server *srv, const struct sync_request *req,
                            const char *room_id, const struct sync_token *to, bool initial);

/* Waits (bounded) until every event up to `to` has been through the push
 * rules, so the counts read next include them. Call before opening a read
 * transaction whose snapshot the counts are read in. */
void sync_ephemeral_prepare(const struct sync_token *to);

/* The room's unread_notifications for the user ({"notification_count",
 * "highlight_count"}, owned), once every event up to `to` has been through
 * the push rules: in each thread ("main" and every thread root) the
 * notifications after the user's read receipt for that thread or their
 * unthreaded one, whichever is later (with no unthreaded receipt, after
 * their membership event at member_pos, as Synapse). by_thread (the sync
 * filter's unread_thread_notifications, MSC3773): the counts are the main
 * timeline's only and *threads gets {thread root: counts} for the threads
 * with notifications (owned; NULL when none); otherwise the counts add up
 * every thread and *threads is NULL. */
json_t *sync_unread_counts(struct server *srv, const char *user_id, const char *room_id,
                           int64_t member_pos, const struct sync_token *to, bool by_thread,
                           json_t **threads);

#endif
