/* auth.h: the authorisation rules for room versions 1-11 and auth_events selection.
 *
 * Spec: rooms/v1.md .. v11.md "Authorisation rules"; server-server API "Checks
 * performed on receipt of a PDU", "Auth events selection", "Definitions";
 * client-server API "Size limits"; rooms/v3 "Handling redactions".
 *
 * An event (a jansson PDU, borrowed) is checked against a set of state: its
 * auth events, the state before it, or the current state (soft failure). The
 * state is given as a lookup (struct matrix_auth_state), so callers can back
 * it with an array of events, a state map (state_res.h) or a cache. Events in
 * that state must carry their "event_id" (v3+ callers add the computed ID):
 * the "only previous event is the create event" join rule compares IDs.
 *
 * Not done here: the format, hash and signature checks of the sender's server
 * (event.h / sign.h), rule 2.3 (auth events that were themselves rejected: the
 * caller knows), and the redaction itself. Signature rules inside the auth
 * rules (third-party invites, join_authorised_via_users_server) go through
 * the callbacks in struct matrix_auth_verify.
 *
 * Room version 12 (rooms/v12.md): the room ID is the create event's ID, the
 * create event is never among auth_events, and creators have infinite power.
 * The state given to matrix_auth_check must still return the create event
 * (the one the room ID names, with its "event_id") for m.room.create: callers
 * checking against auth_events add it.
 * Everything here is pure (no I/O, no globals): safe from any thread. */
#ifndef RELAIS_MATRIX_AUTH_H
#define RELAIS_MATRIX_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct matrix_room_version;

/* Event size limits (client-server API "Size limits"). */
#define MATRIX_EVENT_MAX_BYTES 65536 /* whole event, canonical JSON, with signatures */
#define MATRIX_EVENT_MAX_ID_BYTES 255 /* type, state_key, sender, room_id, event_id */

/* Signature checks the auth rules need; see each member. */
struct matrix_auth_verify {
    /* True when event carries a valid signature by server_name (rule 4.2,
     * v8+: the homeserver of join_authorised_via_users_server). NULL: such
     * events are rejected. */
    bool (*server_signed)(void *ctx, const json_t *event, const char *server_name);
    /* True when signed (content.third_party_invite.signed, borrowed) carries a
     * valid ed25519 signature by public_key (unpadded base64, as found in the
     * m.room.third_party_invite event). NULL: third-party invites are
     * rejected. */
    bool (*tpi_signed)(void *ctx, const json_t *signed_obj, const char *public_key);
    void *ctx; /* passed to both callbacks */
};

/* Returns the state event for (type, state_key), borrowed for as long as the
 * state lives, or NULL when there is none. */
typedef const json_t *(*matrix_auth_get_fn)(void *ctx, const char *type, const char *state_key);

/* The state an event is checked against. */
struct matrix_auth_state {
    matrix_auth_get_fn get;                 /* the lookup */
    void *ctx;                              /* passed to get */
    const struct matrix_auth_verify *verify; /* borrowed; NULL rejects whatever needs a signature */
};

/* Makes *st look events up in events (a JSON array of PDUs, borrowed and
 * kept by pointer: it must outlive *st). The first match wins. verify may be
 * NULL. */
void matrix_auth_state_from_array(struct matrix_auth_state *st, const json_t *events,
                                  const struct matrix_auth_verify *verify);

/* Applies the authorisation rules of ver to event against state. Returns 0
 * when allowed; ERR_FORBIDDEN when not, with a sentence for the client in
 * reason (may be NULL). Rule 2 (the auth_events list itself, rule 3 in v12)
 * is matrix_auth_check_auth_events. */
int matrix_auth_check(const struct matrix_room_version *ver, const json_t *event,
                      const struct matrix_auth_state *state, char *reason, size_t reason_len);

/* Rule 2 on event's auth events (auth_events: JSON array of the PDUs its
 * auth_events name, borrowed): no duplicate (type, state_key), nothing
 * outside the auth events selection, a create event present (v1-11), every
 * room_id equal to the event's. Returns 0 or ERR_FORBIDDEN with reason. */
int matrix_auth_check_auth_events(const struct matrix_room_version *ver, const json_t *event,
                                  const json_t *auth_events, char *reason, size_t reason_len);

/* Check 4 of "Checks performed on receipt of a PDU" in one call: rule 2 on
 * auth_events (the PDUs the event's auth_events name, borrowed), then the
 * authorisation rules against them. create is the create event the room ID
 * names, needed in v12 where auth_events never hold it (ignored before v12;
 * may be NULL there). verify may be NULL. Returns 0 or ERR_FORBIDDEN with
 * reason. */
int matrix_auth_check_with_auth_events(const struct matrix_room_version *ver, const json_t *event,
                                       const json_t *auth_events, const json_t *create,
                                       const struct matrix_auth_verify *verify, char *reason,
                                       size_t reason_len);

/* Size limits: canonical_len is the length of the event's canonical JSON
 * (federation format, with signatures). Returns 0 or ERR_TOO_LARGE with reason. */
int matrix_auth_check_size(const json_t *event, size_t canonical_len, char *reason,
                           size_t reason_len);

/* A (type, state_key) pair; both strings borrowed. */
struct matrix_state_key {
    const char *type;      /* event type */
    const char *state_key; /* state key */
};

#define MATRIX_AUTH_TYPES_MAX 7

/* The keys of the state events that auth event ("Auth events selection"),
 * written to out (strings borrowed from event or static), without duplicates,
 * create first. Returns how many (0 for m.room.create). */
size_t matrix_auth_types_for(const struct matrix_room_version *ver, const json_t *event,
                             struct matrix_state_key out[MATRIX_AUTH_TYPES_MAX]);

/* The auth_events for a new event: the event IDs of the selected events that
 * exist in state, create first. *out is a new JSON array of strings (owned:
 * json_decref). v1-2 PDUs need [id, {hashes}] pairs: the event builder
 * converts. Returns 0, or ERR_INVALID when a selected state event has no
 * "event_id". */
int matrix_auth_events_for(const struct matrix_room_version *ver, const json_t *event,
                           const struct matrix_auth_state *state, json_t **out);

/* Who a redaction may be applied for (rooms/v3 "Handling redactions"). */
enum matrix_redact_mode {
    MATRIX_REDACT_CLIENT,     /* client-server: own events, or redact level */
    MATRIX_REDACT_FEDERATION, /* server side: same sender domain, or redact level */
};

/* True when redactor may redact an event sent by original_sender: redactor's
 * power level is at least the redact level, or (CLIENT) redactor is
 * original_sender, or (FEDERATION) both have the same server name. The
 * required level for sending m.room.redaction itself is checked by the auth
 * rules (rule 7), not here. */
bool matrix_auth_redaction_allowed(const struct matrix_room_version *ver,
                                   const struct matrix_auth_state *state, const char *redactor,
                                   const char *original_sender, enum matrix_redact_mode mode);

/* The power level of user_id in state (power.h rules). */
int64_t matrix_auth_user_level(const struct matrix_room_version *ver,
                               const struct matrix_auth_state *state, const char *user_id);

/* The membership of user_id in state ("join", "invite", ...; borrowed), or
 * NULL when the user has no member event. */
const char *matrix_auth_membership(const struct matrix_auth_state *state, const char *user_id);

#endif
