/* power.h: reading power levels out of m.room.power_levels and m.room.create.
 *
 * Spec: client-server API "m.room.power_levels" and "Permissions"; server-server
 * API "Definitions" (required power level, invite/kick/ban/redact levels);
 * rooms/v1 "m.room.power_levels events accept values as strings" and "... as
 * floats" (versions 1-9), rooms/v10 (integers only).
 *
 * Every function takes the events themselves (borrowed jansson PDUs, either may
 * be NULL when the room has none), so the auth rules, state resolution and the
 * client side (rooms/ deciding what a user may send) share one reading. Values
 * that cannot be read as a power level fall back to the spec default, as if
 * absent. Room version 12 (rooms/v12): the creators (the create event's sender
 * and content.additional_creators) have MATRIX_POWER_INFINITE whatever the
 * power levels say. Pure functions, safe from any thread. */
#ifndef RELAIS_MATRIX_POWER_H
#define RELAIS_MATRIX_POWER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct matrix_room_version;

/* The level of v12 room creators: above every value a power levels event can
 * hold (those stay within +-(2^53 - 1)). */
#define MATRIX_POWER_INFINITE INT64_MAX

/* The per-action levels of the power levels event, with their defaults. */
enum matrix_power_action {
    MATRIX_POWER_INVITE, /* "invite", default 0 */
    MATRIX_POWER_KICK,   /* "kick", default 50 */
    MATRIX_POWER_BAN,    /* "ban", default 50 */
    MATRIX_POWER_REDACT, /* "redact", default 50 */
};

/* Reads one power level value. v10+ (ver->integer_power_levels): only a JSON
 * integer. v1-9: also a string holding a base-10 integer (optional sign,
 * leading zeros, surrounding whitespace) or a real, truncated toward zero.
 * Returns 0 with *out set, or ERR_INVALID (also for NULL and for values beyond
 * +-(2^53 - 1), the canonical JSON range). */
int matrix_power_parse(const struct matrix_room_version *ver, const json_t *value, int64_t *out);

/* The room creator as the auth rules see it (borrowed from create): the
 * create event's sender when the version has no "creator" key (v11), else
 * content.creator. NULL when create is NULL or the field is missing. */
const char *matrix_power_creator(const struct matrix_room_version *ver, const json_t *create);

/* True when user_id is a room creator with infinite power (v12: the create
 * event's sender or one of content.additional_creators). Always false before
 * v12, where the creator is an ordinary user once power levels exist. */
bool matrix_power_is_creator(const struct matrix_room_version *ver, const json_t *create,
                             const char *user_id);

/* The power level of user_id: MATRIX_POWER_INFINITE for v12 creators; else
 * users[user_id], else users_default (0) when pl exists; without pl, 100 for
 * the creator (v1-11) and 0 for everyone else. */
int64_t matrix_power_user_level(const struct matrix_room_version *ver, const json_t *create,
                                const json_t *pl, const char *user_id);

/* The level required to send an event of type (events[type], else
 * state_default (50) for state events or events_default (0) for others). */
int64_t matrix_power_event_level(const struct matrix_room_version *ver, const json_t *pl,
                                 const char *type, bool is_state);

/* The invite/kick/ban/redact level (defaults 0/50/50/50). */
int64_t matrix_power_action_level(const struct matrix_room_version *ver, const json_t *pl,
                                  enum matrix_power_action action);

/* The level for a notification key such as "room" (notifications.<key>;
 * default 50). */
int64_t matrix_power_notification_level(const struct matrix_room_version *ver, const json_t *pl,
                                        const char *key);

#endif
