/* filter.c: the subset of event filters that sync and /messages apply.
 * Spec: client-server "Filtering" (RoomFilter, RoomEventFilter, StateFilter). */
#include "sync/sync.h"

#include "base/err.h"

#include <stdio.h>
#include <string.h>

static int take_array(const json_t *obj, const char *key, json_t **out, char *reason,
                      size_t reason_len)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_array(v)) {
        snprintf(reason, reason_len, "filter '%s' must be an array", key);
        return ERR_INVALID;
    }
    size_t i;
    json_t *s;
    json_array_foreach(v, i, s) if (!json_is_string(s))
    {
        snprintf(reason, reason_len, "filter '%s' must hold strings", key);
        return ERR_INVALID;
    }
    *out = json_incref(v);
    return 0;
}

int sync_filter_parse(const json_t *filter, struct sync_filter *f, char *reason, size_t reason_len)
{
    memset(f, 0, sizeof *f);
    f->timeline_limit = 10;
    if (!filter)
        return 0;
    if (!json_is_object(filter)) {
        snprintf(reason, reason_len, "filter must be an object");
        return ERR_INVALID;
    }
    const json_t *room = json_object_get(filter, "room");
    const json_t *timeline = json_object_get(room, "timeline");
    const json_t *state = json_object_get(room, "state");
    json_t *limit = json_object_get(timeline, "limit");
    if (limit) {
        if (!json_is_integer(limit) || json_integer_value(limit) < 0) {
            snprintf(reason, reason_len, "timeline limit must be a non-negative integer");
            return ERR_INVALID;
        }
        f->timeline_limit = json_integer_value(limit);
        if (f->timeline_limit > 1000)
            f->timeline_limit = 1000;
    }
    f->lazy_load_members = json_is_true(json_object_get(state, "lazy_load_members"));
    f->include_redundant_members = json_is_true(json_object_get(state,
                                                                "include_redundant_members"));
    f->include_leave = json_is_true(json_object_get(room, "include_leave"));
    int rc = take_array(room, "rooms", &f->rooms, reason, reason_len);
    if (!rc)
        rc = take_array(room, "not_rooms", &f->not_rooms, reason, reason_len);
    if (!rc)
        rc = take_array(timeline, "types", &f->types, reason, reason_len);
    if (!rc)
        rc = take_array(timeline, "not_types", &f->not_types, reason, reason_len);
    if (!rc)
        rc = take_array(timeline, "senders", &f->senders, reason, reason_len);
    if (!rc)
        rc = take_array(timeline, "not_senders", &f->not_senders, reason, reason_len);
    if (rc)
        sync_filter_fini(f);
    return rc;
}

void sync_filter_fini(struct sync_filter *f)
{
    json_t **arrays[] = {&f->rooms, &f->not_rooms, &f->types, &f->not_types, &f->senders,
                         &f->not_senders};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        json_decref(*arrays[i]);
        *arrays[i] = NULL;
    }
}

/* Matches a filter pattern where '*' stands for any run of characters. */
static bool glob(const char *pat, const char *s)
{
    if (*pat == '\0')
        return *s == '\0';
    if (*pat == '*')
        return glob(pat + 1, s) || (*s && glob(pat, s + 1));
    return *s == *pat && glob(pat + 1, s + 1);
}

static bool listed(const json_t *list, const char *value, bool use_glob)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *p = json_string_value(v);
        if (use_glob ? glob(p, value) : strcmp(p, value) == 0)
            return true;
    }
    return false;
}

bool sync_filter_room(const struct sync_filter *f, const char *room_id)
{
    if (f->not_rooms && listed(f->not_rooms, room_id, false))
        return false;
    return !f->rooms || listed(f->rooms, room_id, false);
}

bool sync_filter_event(const struct sync_filter *f, const char *type, const char *sender)
{
    if (f->not_types && listed(f->not_types, type, true))
        return false;
    if (f->types && !listed(f->types, type, true))
        return false;
    if (f->not_senders && listed(f->not_senders, sender, false))
        return false;
    return !f->senders || listed(f->senders, sender, false);
}
