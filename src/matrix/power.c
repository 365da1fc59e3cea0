/* power.c: power level lookups with the spec's defaults (see power.h).
 *
 * Leaves the decision of who may do what to auth.c; this file only answers
 * "what level does X have / need". */
#include "matrix/power.h"

#include <math.h>
#include <string.h>

#include "base/err.h"
#include "matrix/versions.h"

/* Canonical JSON integers are in [-(2^53)+1, (2^53)-1]. */
#define POWER_MAX ((int64_t)9007199254740991)

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* rooms/v1 "m.room.power_levels events accept values as strings". */
static int parse_string_level(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    while (i < len && is_space(s[i]))
        i++;
    while (len > i && is_space(s[len - 1]))
        len--;
    bool neg = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len)
        return ERR_INVALID;
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
        v = v * 10 + (s[i] - '0');
        if (v > POWER_MAX)
            return ERR_INVALID;
    }
    *out = neg ? -v : v;
    return 0;
}

int matrix_power_parse(const struct matrix_room_version *ver, const json_t *value, int64_t *out)
{
    if (!value)
        return ERR_INVALID;
    if (json_is_integer(value)) {
        json_int_t v = json_integer_value(value);
        if (v > POWER_MAX || v < -POWER_MAX)
            return ERR_INVALID;
        *out = (int64_t)v;
        return 0;
    }
    if (ver->integer_power_levels)
        return ERR_INVALID;
    if (json_is_string(value))
        return parse_string_level(json_string_value(value), json_string_length(value), out);
    if (json_is_real(value)) {
        /* rooms/v1 "... accept values as floats": truncate at the decimal point. */
        double d = trunc(json_real_value(value));
        if (!isfinite(d) || d > (double)POWER_MAX || d < -(double)POWER_MAX)
            return ERR_INVALID;
        *out = (int64_t)d;
        return 0;
    }
    return ERR_INVALID;
}

/* Reads content.<key> (or content.<obj>.<key> when obj is not NULL), falling
 * back to def when absent or unreadable. */
static int64_t level_or(const struct matrix_room_version *ver, const json_t *pl, const char *obj,
                        const char *key, int64_t def)
{
    if (!pl)
        return def;
    const json_t *c = json_object_get(pl, "content");
    if (obj)
        c = json_object_get(c, obj);
    int64_t v;
    if (json_is_object(c) && matrix_power_parse(ver, json_object_get(c, key), &v) == 0)
        return v;
    return def;
}

const char *matrix_power_creator(const struct matrix_room_version *ver, const json_t *create)
{
    if (!create)
        return NULL;
    if (!ver->create_requires_creator)
        return json_string_value(json_object_get(create, "sender"));
    return json_string_value(json_object_get(json_object_get(create, "content"), "creator"));
}

bool matrix_power_is_creator(const struct matrix_room_version *ver, const json_t *create,
                             const char *user_id)
{
    if (!ver->creators_privileged || !create || !user_id)
        return false;
    const char *sender = json_string_value(json_object_get(create, "sender"));
    if (sender && strcmp(sender, user_id) == 0)
        return true;
    const json_t *extra =
        json_object_get(json_object_get(create, "content"), "additional_creators");
    size_t i;
    const json_t *u;
    json_array_foreach(extra, i, u) {
        if (json_is_string(u) && strcmp(json_string_value(u), user_id) == 0)
            return true;
    }
    return false;
}

int64_t matrix_power_user_level(const struct matrix_room_version *ver, const json_t *create,
                                const json_t *pl, const char *user_id)
{
    if (matrix_power_is_creator(ver, create, user_id))
        return MATRIX_POWER_INFINITE; /* rooms/v12 "room creators" */
    if (!pl) {
        /* "If the room contains no m.room.power_levels event, the room's
         * creator has a power level of 100, and all other users 0." */
        const char *creator = ver->creators_privileged ? NULL : matrix_power_creator(ver, create);
        return creator && user_id && strcmp(creator, user_id) == 0 ? 100 : 0;
    }
    int64_t def = level_or(ver, pl, NULL, "users_default", 0);
    if (!user_id)
        return def;
    return level_or(ver, pl, "users", user_id, def);
}

int64_t matrix_power_event_level(const struct matrix_room_version *ver, const json_t *pl,
                                 const char *type, bool is_state)
{
    int64_t def = is_state ? level_or(ver, pl, NULL, "state_default", 50)
                           : level_or(ver, pl, NULL, "events_default", 0);
    return level_or(ver, pl, "events", type, def);
}

int64_t matrix_power_action_level(const struct matrix_room_version *ver, const json_t *pl,
                                  enum matrix_power_action action)
{
    switch (action) {
    case MATRIX_POWER_INVITE:
        return level_or(ver, pl, NULL, "invite", 0);
    case MATRIX_POWER_KICK:
        return level_or(ver, pl, NULL, "kick", 50);
    case MATRIX_POWER_BAN:
        return level_or(ver, pl, NULL, "ban", 50);
    case MATRIX_POWER_REDACT:
        return level_or(ver, pl, NULL, "redact", 50);
    }
    return 50;
}

int64_t matrix_power_notification_level(const struct matrix_room_version *ver, const json_t *pl,
                                        const char *key)
{
    return level_or(ver, pl, "notifications", key, 50);
}
