/* state_res.h: room state maps and state resolution v2 (room versions 2-11)
 * and v2.1 (room version 12).
 *
 * Spec: rooms/v2 "State resolution" (content/rooms/fragments/v2-state-res.md),
 * rooms/v12 "State resolution" (the conflicted state subgraph, and the
 * iterative auth checks starting from the empty state).
 * Given the states after each prev_event of an event, resolution picks one
 * state: unconflicted entries are kept; the conflicted ones plus the auth
 * difference are re-authorised, power events first in reverse topological
 * power order, then the rest in mainline order.
 *
 * Events are jansson PDUs that carry their "event_id" (v3+ callers add the
 * computed ID). Events come from the caller's state sets and from a fetch
 * callback (for auth chains); this module never does I/O itself.
 *
 * In v12 rooms the create event is found through the room ID (fetch is asked
 * for "$" + the room ID without its "!"). Events of the state sets are taken
 * as not rejected.
 *
 * Not implemented: state resolution v1 (room version 1) returns
 * ERR_UNSUPPORTED. Pure code, no globals: safe from any thread as long as the
 * callbacks are. */
#ifndef RELAIS_MATRIX_STATE_RES_H
#define RELAIS_MATRIX_STATE_RES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/map.h"
#include "matrix/auth.h"

struct matrix_room_version;

/* A state map: (type, state_key) -> state event. The map holds a reference
 * to each event (json_incref on put, json_decref on replace and fini).
 * Caller-allocated: matrix_state_map_init / matrix_state_map_fini. Not
 * thread-safe. */
struct matrix_state_map {
    struct map m; /* key "type\0state_key" -> json_t * (one reference owned) */
};

/* Makes sm an empty map. */
void matrix_state_map_init(struct matrix_state_map *sm);
/* Drops every event reference and the map's memory; sm may be initialised
 * again afterwards. */
void matrix_state_map_fini(struct matrix_state_map *sm);
/* Inserts event under its (type, state_key), replacing what was there.
 * Returns 0, or ERR_INVALID when event has no string type or state_key. */
int matrix_state_map_put(struct matrix_state_map *sm, json_t *event);
/* Returns the event for (type, state_key), borrowed while the map holds it,
 * or NULL. */
const json_t *matrix_state_map_get(const struct matrix_state_map *sm, const char *type,
                                   const char *state_key);
/* The number of (type, state_key) entries. */
size_t matrix_state_map_len(const struct matrix_state_map *sm);
/* Calls fn for every event (in no particular order); fn must not change sm. */
void matrix_state_map_each(const struct matrix_state_map *sm,
                           void (*fn)(const json_t *event, void *ctx), void *ctx);
/* Makes *st a lookup into sm (borrowed; sm must outlive *st and not change
 * while *st is used). verify may be NULL. */
void matrix_state_map_auth_state(const struct matrix_state_map *sm,
                                 const struct matrix_auth_verify *verify,
                                 struct matrix_auth_state *st);

/* Finds an event by ID for the auth chain walk: sets *event (borrowed; it must
 * stay valid until matrix_state_resolve_v2 returns) and *rejected (true when
 * the event was rejected; rejected auth events are not used by the iterative
 * auth checks). Returns 0 or ERR_NOT_FOUND. */
typedef int (*matrix_event_fetch_fn)(void *ctx, const char *event_id, const json_t **event,
                                     bool *rejected);

/* The most events one resolution may look at (state sets and auth chains). */
#define MATRIX_STATE_RES_MAX_EVENTS 1000000

/* Resolves n_sets states. Each state_sets[i] is a JSON array of state events
 * (borrowed). fetch finds auth events (the events of the state sets are
 * known already). verify is passed to the auth rules (third-party invite
 * and restricted join signatures). On success *out (initialised here; the
 * caller always calls matrix_state_map_fini) holds the resolved state.
 * Returns 0; ERR_NOT_FOUND when an auth event cannot be fetched; ERR_INVALID
 * for an event without event_id or type/state_key; ERR_TOO_LARGE beyond
 * MATRIX_STATE_RES_MAX_EVENTS; ERR_UNSUPPORTED when ver uses state
 * resolution v1. */
int matrix_state_resolve_v2(const struct matrix_room_version *ver, const json_t *const *state_sets,
                            size_t n_sets, matrix_event_fetch_fn fetch, void *fetch_ctx,
                            const struct matrix_auth_verify *verify, struct matrix_state_map *out);

#endif
