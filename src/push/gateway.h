/* gateway.h: delivering notifications to push gateways for HTTP pushers
 * (spec: push gateway API, POST /_matrix/push/v1/notify).
 *
 * The push worker (queue.h) hands each stored event outcome here; for every
 * notified user with pushers a delivery is written to the durable queue
 * (db/pushers.h). One sender thread posts them with libcurl, never a
 * request thread; failures retry with exponential back-off (1 s doubling,
 * at most 10 minutes apart, given up after 12 attempts); a pushkey the
 * gateway rejects loses its pusher. Thread-safe; one per process. */
#ifndef RELAIS_PUSH_GATEWAY_H
#define RELAIS_PUSH_GATEWAY_H

#include "db/push.h"

#include <jansson.h>
#include <stddef.h>

struct server;

/* Loads who has pushers and starts the sender. Returns 0 or an ERR_*. */
int push_gateway_start(struct server *srv);
/* Stops the sender (queued deliveries stay in the database). */
void push_gateway_stop(void);
/* Re-reads who has pushers (after /pushers/set). */
void push_gateway_pushers_changed(struct server *srv);
/* True when the user has at least one pusher (in memory, cheap). */
bool push_gateway_has_pushers(const char *user_id);
/* Queues deliveries for an event's outcome (row) whose PDU is pdu. */
void push_gateway_event(struct server *srv, const struct db_push_event *row, const json_t *pdu,
                        const char *const *notified, size_t n_notified);

#endif
