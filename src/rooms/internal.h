/* internal.h: what the files of src/rooms/ share. */
#ifndef RELAIS_ROOMS_INTERNAL_H
#define RELAIS_ROOMS_INTERNAL_H

#include "rooms/rooms.h"

struct db_event;

/* One change of a room's history_visibility (cached in struct room). */
struct rooms_hv_change {
    int64_t pos;     /* stream position of the m.room.history_visibility event */
    char value[32];  /* its content.history_visibility ("shared" when not a string) */
};

/* Parses a stored event and adds "event_id". Owned; NULL if unparsable. */
json_t *rooms__event_with_id(const struct db_event *e);
/* Registers a new room (takes ownership). */
void rooms__register(struct server *srv, struct room *r);
/* Membership / joined members while holding room->lock. */
const char *rooms__membership_locked(struct room *room, const char *user_id);
char **rooms__joined_locked(struct room *room, size_t *n);
/* rooms_joined while holding room->lock (a new reference). */
struct rooms_members *rooms__joined_snapshot_locked(struct room *room);

/* A room being built by rooms_create before it is registered. */
struct room *rooms__room_new(const char *room_id, const struct matrix_room_version *ver);

/* One event built and checked but not yet persisted (send.c). */
struct rooms__pending {
    json_t *pdu;                              /* owned, signed; with "event_id" added for state maps */
    char event_id[MATRIX_EVENT_ID_HASH_LEN];
    char *json;                               /* owned canonical PDU text (without event_id) */
    char **prev_events;                       /* owned */
    size_t n_prev;
};

/* Builds, signs and authorises req on top of room's head (caller holds the
 * lock). Changes nothing: see rooms__apply. */
int rooms__build(struct server *srv, struct room *room, const struct room_send *req,
                 struct rooms__pending *out, char *reason, size_t reason_len);
/* Moves the in-memory head past a built event (state, extremities, depth). */
void rooms__apply(struct room *room, const struct rooms__pending *p, int64_t state_group);
/* Replaces the current state event target (if it is one) by its redacted form
 * under the room's version (caller holds the lock or owns the room). */
void rooms__state_redact(struct room *room, const char *target);
void rooms__pending_fini(struct rooms__pending *p);
/* Fills a db_event_write for p (borrowing p's strings). */
struct db_event_write;
void rooms__pending_write(const struct room_send *req, const struct rooms__pending *p,
                          struct db_event_write *w);
/* The unsigned["m.relations"] aggregations of e (relations.c), or NULL when
 * it has none; content is e's (possibly redacted) content. Owned. */
json_t *rooms__relations_bundle(struct server *srv, const struct db_event *e, const json_t *content,
                                const char *viewer, const char *viewer_device);
/* Wakes the members (and the target of a member event) after a commit. */
void rooms__notify(struct server *srv, struct room *room, const char *extra_user, int64_t pos);

#endif
