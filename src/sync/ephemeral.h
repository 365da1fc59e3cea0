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

#endif
