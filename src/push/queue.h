/* queue.h: evaluating push rules for every joined member after an event is
 * persisted, off the request thread.
 *
 * rooms_send calls push_event_persisted (cheap: the event is queued); one
 * worker thread drains the queue in batches, evaluates each member's rules
 * (cached per user) against the room's current state, and stores the
 * notifications in one write per batch. /sync calls push_wait_processed
 * before reading counts, so the counts include every event it sends.
 * Thread-safe; one queue per process. */
#ifndef RELAIS_PUSH_QUEUE_H
#define RELAIS_PUSH_QUEUE_H

#include <jansson.h>
#include <stdint.h>

struct server;

/* Starts the worker (server start). Returns 0 or ERR_INTERNAL. */
int push_queue_start(struct server *srv);
/* Processes what is queued, then stops the worker (before the database closes). */
void push_queue_stop(void);

/* Queues the persisted event (pdu: its JSON, borrowed) at stream position pos.
 * A message event (no state_key) is kept by reference, so the caller must not
 * change it any more; a state event, which room state maps share, is copied. */
void push_event_persisted(struct server *srv, const char *event_id, const json_t *pdu, int64_t pos);

/* Waits (at most max_ms) until every queued event at or below pos has been
 * processed. */
void push_wait_processed(int64_t pos, int64_t max_ms);

/* The user's merged ruleset (new reference; cached). */
json_t *push_user_ruleset(struct server *srv, const char *user_id);
/* Drops the cached ruleset after the user's rules changed. */
void push_user_ruleset_changed(const char *user_id);

#endif
