/* notify.h: wakes long-polling /sync requests when something they care about
 * changes. A leaf module: it knows users, stream positions and suspended
 * requests, nothing about rooms.
 *
 * Per user it keeps a change counter and the suspended requests. Writers call
 * notifier_users_changed after their commit; each named user's counter moves
 * and their waiters are resumed at once (no polling). A sync request reads
 * the counter before computing; notifier_wait refuses to sleep if it moved
 * since, so a change between the computation and the sleep is never missed.
 * A timer thread resumes waiters whose timeout passed. Thread-safe. */
#ifndef RELAIS_SYNC_NOTIFY_H
#define RELAIS_SYNC_NOTIFY_H

#include "http/http.h"

#include <stdbool.h>
#include <stdint.h>

struct notifier;

/* Global stream positions, advanced by writers after commit. */
enum notify_stream {
    NOTIFY_EVENTS,
    NOTIFY_ACCOUNT_DATA,
    NOTIFY_RECEIPTS,
    NOTIFY_TO_DEVICE,
    NOTIFY_DEVICE_LISTS,
    NOTIFY_TYPING,
    NOTIFY_PRESENCE,
    NOTIFY_N_STREAMS,
};

struct notifier *notifier_new(void);
/* Resumes every waiter and refuses new waits (shutdown: call before the
 * HTTP server stops, since suspended connections would block it). */
void notifier_stop(struct notifier *n);
/* Stops (if not yet) and frees. */
void notifier_free(struct notifier *n);

/* Sets a stream's position (only forward) without waking anyone. */
void notifier_advance(struct notifier *n, enum notify_stream s, int64_t pos);
int64_t notifier_position(struct notifier *n, enum notify_stream s);
/* All positions at once (consistent snapshot). */
void notifier_positions(struct notifier *n, int64_t out[NOTIFY_N_STREAMS]);

/* The user's change counter (read before computing a sync response). */
uint64_t notifier_user_seq(struct notifier *n, const char *user_id);

/* Advances stream s to pos, bumps each user's counter and resumes their waiters. */
void notifier_users_changed(struct notifier *n, enum notify_stream s, int64_t pos,
                            const char *const *user_ids, size_t n_users);

/* Suspends req until the user's counter moves past seq or deadline_ms
 * (monotonic) passes. Returns true when the request was suspended (the
 * handler must return now and will run again resumed), false when the
 * counter already moved (compute again right away). */
bool notifier_wait(struct notifier *n, const char *user_id, uint64_t seq, int64_t deadline_ms,
                   struct http_request *req);

/* Removes req if it is still waiting (its connection closed). */
void notifier_cancel(struct notifier *n, struct http_request *req);

#endif
