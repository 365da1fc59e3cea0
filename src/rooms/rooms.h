/* rooms.h: rooms as the server runs them: the in-memory head of each room
 * (current state, forward extremities, depth), and the one event pipeline
 * every local event goes through:
 *
 *   build PDU (prev_events, auth_events, depth) → hash, sign, event ID
 *   → size and authorisation checks against the current state (403 + reason)
 *   → writer (durable) → update the room head → notify the members
 *
 * Spec: client-server "Rooms"; room versions (auth rules, event format).
 * Threads: struct room fields are guarded by room->lock; event creation in
 * one room is serialised by it, so prev_events and depth are consistent. */
#ifndef RELAIS_ROOMS_ROOMS_H
#define RELAIS_ROOMS_ROOMS_H

#include "matrix/event.h"
#include "matrix/state_res.h"
#include "matrix/versions.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct server;
struct db_event;
struct rooms_hv_change;

/* The joined members of a room at one moment: immutable and shared (taken
 * with rooms_joined, released with rooms_members_unref; any thread). */
struct rooms_members {
    _Atomic int refs;   /* references */
    size_t n;           /* members */
    const char **ids;   /* their user IDs (borrowed from events) */
    const char **names; /* content.displayname of each member event, or NULL (same) */
    json_t **events;    /* the member events (owned references) */
};

struct room {
    char *room_id;                              /* owned */
    const struct matrix_room_version *version;  /* static table entry */
    pthread_mutex_t lock;                       /* guards the fields below */
    bool sending;                               /* an event is built and queued for the writer
                                                   but not yet applied to this head: the next
                                                   send waits (rooms_send) */
    pthread_cond_t sent;                        /* signalled when sending is cleared */
    struct matrix_state_map state;              /* current state; events carry "event_id" */
    char **extremities;                         /* owned forward extremities */
    size_t n_extremities;
    int64_t depth;                              /* depth of the newest event */
    int64_t state_group;                        /* state group after the newest event */
    struct rooms_hv_change *hv;                 /* owned cache: history_visibility changes,
                                                   oldest first (rooms/format.c) */
    size_t n_hv;
    int64_t hv_scanned;                         /* hv holds every change at positions <= this */
    struct rooms_members *joined;               /* owned reference: cache of the joined members
                                                   of state, NULL until computed (rooms__apply
                                                   drops it when state changes) */
};

struct rooms;

struct rooms *rooms_new(void);
void rooms_free(struct rooms *r);

/* The room (loaded from the database on first use; lives until shutdown).
 * Returns 0 or ERR_NOT_FOUND. */
int rooms_get(struct server *srv, const char *room_id, struct room **out);

/* What a local user asks to send. */
struct room_send {
    const char *room_id;
    const char *sender;
    const char *type;
    const char *state_key;   /* NULL for a message event */
    json_t *content;         /* borrowed */
    const char *txn_device;  /* with txn_id: the client transaction (idempotency) */
    const char *txn_id;
    const char *redacts;     /* m.room.redaction target */
};

/* Sends one event. On success event_id holds its ID (a retried transaction
 * gives the first attempt's ID). Returns 0, ERR_NOT_FOUND (no such room),
 * ERR_FORBIDDEN (reason filled: the auth rules refused), ERR_TOO_LARGE
 * (over 64 KiB), ERR_INVALID (content not encodable), ERR_DB. */
int rooms_send(struct server *srv, const struct room_send *req, char event_id[MATRIX_EVENT_ID_HASH_LEN],
               char *reason, size_t reason_len);
/* rooms_send without waiting for the fsync: done(ctx, rc, event_id, reason) is
 * called exactly once with rooms_send's result (event_id set when rc is 0,
 * reason possibly filled otherwise; both borrowed for the call), on this thread
 * when the send ends early (a refusal) or on the database writer's thread once
 * the event is durable (a retried transaction is found there). req and its strings must
 * live until then; done must not wait for the database writer. Returns 0. With
 * no_wait (an HTTP polling thread), a send that would have to wait first (the
 * room's previous event is not written yet, or the push worker is too far
 * behind) returns ERR_LIMIT at once instead, and done is not called. */
typedef void (*rooms_sent_fn)(void *ctx, int rc, const char *event_id, const char *reason);
int rooms_send_async(struct server *srv, const struct room_send *req, bool no_wait,
                     rooms_sent_fn done, void *ctx);

/* Creates a room from a createRoom request body (spec: POST /createRoom).
 * Returns 0 with room_id (owned), ERR_INVALID with reason for a bad body,
 * ERR_EXISTS when room_alias_name is taken, ERR_UNSUPPORTED for an unknown
 * room_version, ERR_FORBIDDEN when an initial event is refused. */
int rooms_create(struct server *srv, const char *creator, json_t *body, char **room_id,
                 char *reason, size_t reason_len);

/* Upgrades a room to new_version (rooms/upgrade.c; spec: "Room Upgrades"):
 * creates the replacement room with the transferable state, moves aliases and
 * the directory listing, tombstones and restricts the old room. Returns 0 with
 * *new_room_id (owned), ERR_NOT_FOUND (unknown room), ERR_FORBIDDEN (not
 * joined, or no power to send m.room.tombstone), ERR_UNSUPPORTED (unknown
 * version), or an error of rooms_create; reason filled on failure. */
int rooms_upgrade(struct server *srv, const char *user_id, const char *room_id,
                  const char *new_version, char **new_room_id, char *reason, size_t reason_len);

/* Membership changes (rooms/membership.c). action is "join", "invite",
 * "leave", "kick", "ban", "unban" or "knock"; target is the affected user
 * (the sender for join/leave/knock). extra_content (may be NULL) adds keys
 * such as reason. Errors as rooms_send; an invite of a user on another
 * server is ERR_FORBIDDEN before any event is built (no federation). */
int rooms_membership(struct server *srv, const char *room_id, const char *sender,
                     const char *action, const char *target, json_t *extra_content,
                     char event_id[MATRIX_EVENT_ID_HASH_LEN], char *reason, size_t reason_len);

/* Whether a user ID, room ID or alias names this server (the part after
 * its first ':' is our server_name). */
bool rooms_id_is_ours(struct server *srv, const char *id);

/* The current membership of user in the room ("leave" when none; static
 * string) and, when not NULL, a new reference to the room's current state
 * event (type, state_key), read under the room lock. */
const char *rooms_membership_of(struct room *room, const char *user_id);
json_t *rooms_state_get(struct room *room, const char *type, const char *state_key);
/* The user IDs whose membership is join (owned array of owned strings). */
char **rooms_joined_members(struct room *room, size_t *n);
/* The joined members now, with their display names (a new reference to the
 * room's cached snapshot: cheap). */
struct rooms_members *rooms_joined(struct room *room);
/* Releases a reference from rooms_joined (NULL is ignored). */
void rooms_members_unref(struct rooms_members *m);
/* Whether user may read the room's history, state and members, as Synapse
 * decides: joined; departed (membership leave, room not forgotten); or the
 * room is world_readable. For a departed user *leave_event_id (owned) names
 * their leave event: what they see stops there. Returns 0 or ERR_FORBIDDEN. */
int rooms_readable(struct server *srv, struct room *room, const char *user_id,
                   char **leave_event_id);
/* The current power level of user (rules of the room version). */
int64_t rooms_user_power(struct room *room, const char *user_id);

/* The stored PDU of an event (owned), in its redacted form when it was
 * redacted (the room version's algorithm); NULL when the stored JSON does
 * not parse. */
json_t *rooms_event_pdu(struct server *srv, const struct db_event *e);
/* The client format of a stored event (spec: "Client Event Format"): the PDU
 * reduced to the client keys, event_id added, redacted if redacted,
 * unsigned.age, and transaction_id for the sender's own device. Owned. */
json_t *rooms_event_client_format(struct server *srv, const struct db_event *e,
                                  const char *viewer_user_id, const char *viewer_device_id);

/* Whether user may see the event at pos in room under history_visibility
 * (spec: "History visibility"): world_readable, shared (member now), invited
 * or joined at the time. */
bool rooms_event_visible(struct server *srv, const char *room_id, int64_t pos,
                         const char *user_id);

#endif
