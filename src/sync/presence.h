/* presence.h: user presence (online, unavailable, offline, a status message)
 * in memory: set by PUT /presence and by /sync's set_presence, idle after 5
 * minutes without activity, offline 30 s after the last /sync ended (as
 * Synapse); changes go out on the NOTIFY_PRESENCE stream to the users who
 * share a room, and into their /sync. [presence] enabled = 0 turns it off.
 * Spec: client-server "Presence". Thread-safe. */
#ifndef RELAIS_SYNC_PRESENCE_H
#define RELAIS_SYNC_PRESENCE_H

#include "http/http.h"
#include "sync/sync.h"

#include <jansson.h>
#include <stdbool.h>

struct server;

/* Validates a presence state name. */
bool sync_presence_valid(const char *state);
/* Sets the user's presence (state valid; status_msg NULL clears it) and
 * wakes who shares a room. */
void sync_presence_set(struct server *srv, const char *user_id, const char *state,
                       const char *status_msg);
/* The user's presence as GET /presence shows it (owned). */
json_t *sync_presence_get(struct server *srv, const char *user_id);
/* Whether viewer may see user's presence: themselves, or a shared joined room. */
bool sync_presence_share_room(struct server *srv, const char *viewer, const char *user_id);

/* At the start of GET /sync: applies set_presence (NULL: online; "offline"
 * leaves it) and notes that the user is syncing for timeout_ms. Starts the
 * timeout checker on first use. */
void sync_presence_syncing(struct server *srv, const char *user_id, const char *set_presence,
                           int64_t timeout_ms);

/* Stops the timeout checker and forgets every presence (server stop,
 * before the notifier and the database go). */
void sync_presence_stop(void);

/* Fills out's "presence" section with the m.presence events of users
 * sharing a room with req's user that changed after the token (all of them
 * on an initial sync) and moves out's next_batch presence position. Returns
 * true when there are events. */
bool sync_presence_section(struct server *srv, const struct sync_request *req,
                           const struct sync_token *to, json_t *out);

#endif
