/* filter.c: parsing filters and deciding which events they keep: the
 * timeline and state filters of /sync, /messages and /context, and the
 * EventFilters of /sync's other sections (presence, global and room account
 * data, room ephemeral events). How the kept events are shaped (event_fields,
 * event_format) is event_fields.c's. Spec: client-server "Filtering" (Filter,
 * RoomFilter, RoomEventFilter, StateFilter, EventFilter). */
#include "sync/sync.h"

#include "base/err.h"
#include "base/mem.h"
#include "db/db.h"

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

void sync_filter_glob(const char *pattern, char *out, size_t out_len)
{
    size_t o = 0;
    for (const char *p = pattern; *p && o + 4 <= out_len; p++) {
        if (*p == '?' || *p == '[') {
            out[o++] = '[';
            out[o++] = *p;
            out[o++] = ']';
        } else {
            out[o++] = *p;
        }
    }
    if (out_len)
        out[o < out_len ? o : out_len - 1] = '\0';
}

/* A JSON array text of the list for the database (type patterns as GLOBs). */
static char *db_patterns(const json_t *list, bool glob_patterns)
{
    if (!list)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        if (!glob_patterns) {
            json_array_append(out, v);
            continue;
        }
        size_t cap = 3 * strlen(s) + 4;
        char *g = xmalloc(cap);
        sync_filter_glob(s, g, cap);
        json_array_append_new(out, json_string(g));
        free(g);
    }
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    return text;
}

bool sync_filter_narrows(const struct sync_filter *f)
{
    return f->types || f->not_types || f->senders || f->not_senders || f->contains_url >= 0 ||
           f->tl_rooms || f->tl_not_rooms;
}

void sync_filter_db(const struct sync_filter *f, struct db_event_filter *out)
{
    out->types = f->db_types;
    out->not_types = f->db_not_types;
    out->senders = f->db_senders;
    out->not_senders = f->db_not_senders;
    out->contains_url = f->contains_url;
}

/* The shapes of a filter's known keys (spec: "Filtering"; Synapse checks the
 * same with its filter JSON schema and answers 400 M_BAD_JSON). Unknown keys
 * pass, as in the schema. */
enum filter_shape {
    SHAPE_STRINGS,           /* array of strings */
    SHAPE_BOOL,              /* true or false */
    SHAPE_NUMBER,            /* a JSON number */
    SHAPE_FORMAT,            /* "client" or "federation" */
    SHAPE_EVENT_FILTER,      /* EventFilter object */
    SHAPE_ROOM_EVENT_FILTER, /* RoomEventFilter / StateFilter object */
    SHAPE_ROOM_FILTER,       /* RoomFilter object */
};

struct filter_key {
    const char *key;         /* NULL ends a table */
    enum filter_shape shape; /* what its value must be */
};

static const struct filter_key event_filter_keys[] = {
    {"limit", SHAPE_NUMBER},      {"types", SHAPE_STRINGS},       {"not_types", SHAPE_STRINGS},
    {"senders", SHAPE_STRINGS},   {"not_senders", SHAPE_STRINGS}, {NULL, SHAPE_BOOL},
};
static const struct filter_key room_event_filter_keys[] = {
    {"limit", SHAPE_NUMBER},
    {"types", SHAPE_STRINGS},
    {"not_types", SHAPE_STRINGS},
    {"senders", SHAPE_STRINGS},
    {"not_senders", SHAPE_STRINGS},
    {"rooms", SHAPE_STRINGS},
    {"not_rooms", SHAPE_STRINGS},
    {"contains_url", SHAPE_BOOL},
    {"lazy_load_members", SHAPE_BOOL},
    {"include_redundant_members", SHAPE_BOOL},
    {"unread_thread_notifications", SHAPE_BOOL},
    {NULL, SHAPE_BOOL},
};
static const struct filter_key room_filter_keys[] = {
    {"rooms", SHAPE_STRINGS},
    {"not_rooms", SHAPE_STRINGS},
    {"include_leave", SHAPE_BOOL},
    {"timeline", SHAPE_ROOM_EVENT_FILTER},
    {"state", SHAPE_ROOM_EVENT_FILTER},
    {"ephemeral", SHAPE_ROOM_EVENT_FILTER},
    {"account_data", SHAPE_ROOM_EVENT_FILTER},
    {NULL, SHAPE_BOOL},
};
static const struct filter_key top_keys[] = {
    {"event_format", SHAPE_FORMAT},       {"event_fields", SHAPE_STRINGS},
    {"presence", SHAPE_EVENT_FILTER},     {"account_data", SHAPE_EVENT_FILTER},
    {"room", SHAPE_ROOM_FILTER},          {NULL, SHAPE_BOOL},
};

static int check_keys(const json_t *obj, const struct filter_key *keys, const char *path,
                      char *reason, size_t reason_len);

static int check_value(const json_t *v, enum filter_shape shape, const char *path, char *reason,
                       size_t reason_len)
{
    const char *what = NULL;
    const struct filter_key *sub = NULL;
    switch (shape) {
    case SHAPE_STRINGS: {
        size_t i;
        json_t *s;
        bool ok = json_is_array(v);
        json_array_foreach(v, i, s) ok = ok && json_is_string(s);
        what = ok ? NULL : "an array of strings";
        break;
    }
    case SHAPE_BOOL:
        what = json_is_boolean(v) ? NULL : "a boolean";
        break;
    case SHAPE_NUMBER:
        what = json_is_number(v) ? NULL : "a number";
        break;
    case SHAPE_FORMAT: {
        const char *f = json_string_value(v);
        what = f && (strcmp(f, "client") == 0 || strcmp(f, "federation") == 0)
                   ? NULL
                   : "\"client\" or \"federation\"";
        break;
    }
    case SHAPE_EVENT_FILTER:
        sub = event_filter_keys;
        break;
    case SHAPE_ROOM_EVENT_FILTER:
        sub = room_event_filter_keys;
        break;
    case SHAPE_ROOM_FILTER:
        sub = room_filter_keys;
        break;
    }
    if (sub) {
        if (!json_is_object(v))
            what = "an object";
        else
            return check_keys(v, sub, path, reason, reason_len);
    }
    if (what) {
        snprintf(reason, reason_len, "filter %s must be %s", path, what);
        return ERR_INVALID;
    }
    return 0;
}

static int check_keys(const json_t *obj, const struct filter_key *keys, const char *path,
                      char *reason, size_t reason_len)
{
    for (const struct filter_key *k = keys; k->key; k++) {
        const json_t *v = json_object_get(obj, k->key);
        if (!v)
            continue;
        char sub[128];
        snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", k->key);
        int rc = check_value(v, k->shape, sub, reason, reason_len);
        if (rc)
            return rc;
    }
    return 0;
}

/* Reads an EventFilter (obj may be NULL) into ef; rooms/not_rooms only for
 * the room sections. A limit that is not a non-negative integer is ignored
 * rather than refused: POST /filter accepts any number there (as Synapse,
 * which applies none of these limits), and a /sync refused over its presence
 * limit would leave the client with nothing. */
static int parse_event_filter(const json_t *obj, bool room_section, struct sync_event_filter *ef,
                              char *reason, size_t reason_len)
{
    ef->limit = -1;
    if (!obj)
        return 0;
    json_t *limit = json_object_get(obj, "limit");
    if (json_is_integer(limit) && json_integer_value(limit) >= 0)
        ef->limit = json_integer_value(limit);
    int rc = take_array(obj, "types", &ef->types, reason, reason_len);
    if (!rc)
        rc = take_array(obj, "not_types", &ef->not_types, reason, reason_len);
    if (!rc)
        rc = take_array(obj, "senders", &ef->senders, reason, reason_len);
    if (!rc)
        rc = take_array(obj, "not_senders", &ef->not_senders, reason, reason_len);
    if (!rc && room_section)
        rc = take_array(obj, "rooms", &ef->rooms, reason, reason_len);
    if (!rc && room_section)
        rc = take_array(obj, "not_rooms", &ef->not_rooms, reason, reason_len);
    ef->active = ef->limit >= 0 || ef->types || ef->not_types || ef->senders ||
                 ef->not_senders || ef->rooms || ef->not_rooms;
    return rc;
}

static void event_filter_fini(struct sync_event_filter *ef)
{
    json_t **arrays[] = {&ef->types,       &ef->not_types, &ef->senders,
                         &ef->not_senders, &ef->rooms,     &ef->not_rooms};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        json_decref(*arrays[i]);
        *arrays[i] = NULL;
    }
    ef->active = false;
}

int sync_filter_parse(const json_t *filter, struct sync_filter *f, char *reason, size_t reason_len)
{
    memset(f, 0, sizeof *f);
    f->timeline_limit = 10;
    f->contains_url = f->st_contains_url = -1;
    f->presence.limit = f->account_data.limit = f->ephemeral.limit = -1;
    f->room_account_data.limit = -1;
    if (!filter)
        return 0;
    if (!json_is_object(filter)) {
        snprintf(reason, reason_len, "filter must be an object");
        return ERR_INVALID;
    }
    if (check_keys(filter, top_keys, "", reason, reason_len))
        return ERR_INVALID;
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
    const json_t *sections[] = {timeline, state};
    int *curl_out[] = {&f->contains_url, &f->st_contains_url};
    for (size_t i = 0; i < 2; i++) {
        json_t *curl = json_object_get(sections[i], "contains_url");
        if (curl) {
            if (!json_is_boolean(curl)) {
                snprintf(reason, reason_len, "contains_url must be a boolean");
                return ERR_INVALID;
            }
            *curl_out[i] = json_is_true(curl);
        }
    }
    f->lazy_load_members = json_is_true(json_object_get(state, "lazy_load_members"));
    f->include_redundant_members = json_is_true(json_object_get(state,
                                                                "include_redundant_members"));
    f->include_leave = json_is_true(json_object_get(room, "include_leave"));
    f->unread_thread_notifications =
        json_is_true(json_object_get(timeline, "unread_thread_notifications"));
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
    if (!rc)
        rc = take_array(timeline, "rooms", &f->tl_rooms, reason, reason_len);
    if (!rc)
        rc = take_array(timeline, "not_rooms", &f->tl_not_rooms, reason, reason_len);
    if (!rc)
        rc = take_array(state, "types", &f->st_types, reason, reason_len);
    if (!rc)
        rc = take_array(state, "not_types", &f->st_not_types, reason, reason_len);
    if (!rc)
        rc = take_array(state, "senders", &f->st_senders, reason, reason_len);
    if (!rc)
        rc = take_array(state, "not_senders", &f->st_not_senders, reason, reason_len);
    if (!rc)
        rc = take_array(state, "rooms", &f->st_rooms, reason, reason_len);
    if (!rc)
        rc = take_array(state, "not_rooms", &f->st_not_rooms, reason, reason_len);
    if (!rc)
        rc = parse_event_filter(json_object_get(filter, "presence"), false, &f->presence, reason,
                                reason_len);
    if (!rc)
        rc = parse_event_filter(json_object_get(filter, "account_data"), false, &f->account_data,
                                reason, reason_len);
    if (!rc)
        rc = parse_event_filter(json_object_get(room, "ephemeral"), true, &f->ephemeral, reason,
                                reason_len);
    if (!rc)
        rc = parse_event_filter(json_object_get(room, "account_data"), true,
                                &f->room_account_data, reason, reason_len);
    if (!rc)
        rc = take_array(filter, "event_fields", &f->event_fields, reason, reason_len);
    f->federation = json_is_string(json_object_get(filter, "event_format")) &&
                    strcmp(json_string_value(json_object_get(filter, "event_format")),
                           "federation") == 0;
    if (rc) {
        sync_filter_fini(f);
        return rc;
    }
    f->db_types = db_patterns(f->types, true);
    f->db_not_types = db_patterns(f->not_types, true);
    f->db_senders = db_patterns(f->senders, false);
    f->db_not_senders = db_patterns(f->not_senders, false);
    return 0;
}

void sync_filter_fini(struct sync_filter *f)
{
    json_t **arrays[] = {&f->rooms,        &f->not_rooms,      &f->types,      &f->not_types,
                         &f->senders,      &f->not_senders,    &f->tl_rooms,   &f->tl_not_rooms,
                         &f->st_types,     &f->st_not_types,   &f->st_senders, &f->st_not_senders,
                         &f->st_rooms,     &f->st_not_rooms};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        json_decref(*arrays[i]);
        *arrays[i] = NULL;
    }
    char **texts[] = {&f->db_types, &f->db_not_types, &f->db_senders, &f->db_not_senders};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        free(*texts[i]);
        *texts[i] = NULL;
    }
    event_filter_fini(&f->presence);
    event_filter_fini(&f->account_data);
    event_filter_fini(&f->ephemeral);
    event_filter_fini(&f->room_account_data);
    json_decref(f->event_fields);
    f->event_fields = NULL;
}

int sync_filter_parse_room_event(const json_t *filter, struct sync_filter *f, char *reason,
                                 size_t reason_len)
{
    if (filter && !json_is_object(filter)) {
        memset(f, 0, sizeof *f);
        snprintf(reason, reason_len, "filter must be an object");
        return ERR_INVALID;
    }
    json_t *wrapped = NULL;
    if (filter) {
        wrapped = json_pack("{s:{s:O, s:O}}", "room", "timeline", filter, "state", filter);
        const char *top[] = {"event_fields", "event_format"};
        for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
            json_t *v = json_object_get(filter, top[i]);
            if (v)
                json_object_set(wrapped, top[i], v);
        }
    }
    int rc = sync_filter_parse(wrapped, f, reason, reason_len);
    json_decref(wrapped);
    return rc;
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

/* The EventFilter test shared by the timeline and state filters. */
static bool event_passes(const json_t *types, const json_t *not_types, const json_t *senders,
                         const json_t *not_senders, const char *type, const char *sender)
{
    if (not_types && listed(not_types, type, true))
        return false;
    if (types && !listed(types, type, true))
        return false;
    if (not_senders && listed(not_senders, sender, false))
        return false;
    return !senders || listed(senders, sender, false);
}

bool sync_filter_state_event(const struct sync_filter *f, const char *type, const char *sender)
{
    return event_passes(f->st_types, f->st_not_types, f->st_senders, f->st_not_senders, type,
                        sender);
}

bool sync_filter_state_json(const struct sync_filter *f, const char *room_id,
                            const json_t *event)
{
    const char *type = json_string_value(json_object_get(event, "type"));
    const char *sender = json_string_value(json_object_get(event, "sender"));
    if (!sync_filter_state_room(f, room_id) ||
        !sync_filter_state_event(f, type ? type : "", sender ? sender : ""))
        return false;
    bool has_url = json_is_string(json_object_get(json_object_get(event, "content"), "url"));
    return f->st_contains_url < 0 || has_url == (f->st_contains_url == 1);
}

bool sync_filter_state_room(const struct sync_filter *f, const char *room_id)
{
    if (f->st_not_rooms && listed(f->st_not_rooms, room_id, false))
        return false;
    return !f->st_rooms || listed(f->st_rooms, room_id, false);
}

bool sync_filter_timeline_room(const struct sync_filter *f, const char *room_id)
{
    if (f->tl_not_rooms && listed(f->tl_not_rooms, room_id, false))
        return false;
    return !f->tl_rooms || listed(f->tl_rooms, room_id, false);
}

bool sync_filter_event(const struct sync_filter *f, const char *type, const char *sender)
{
    return event_passes(f->types, f->not_types, f->senders, f->not_senders, type, sender);
}

bool sync_filter_section_event(const struct sync_event_filter *ef, const char *room_id,
                               const json_t *event)
{
    if (!ef->active)
        return true;
    if (room_id && ef->not_rooms && listed(ef->not_rooms, room_id, false))
        return false;
    if (room_id && ef->rooms && !listed(ef->rooms, room_id, false))
        return false;
    const char *type = json_string_value(json_object_get(event, "type"));
    const char *sender = json_string_value(json_object_get(event, "sender"));
    if (!type)
        type = "";
    if (ef->not_types && listed(ef->not_types, type, true))
        return false;
    if (ef->types && !listed(ef->types, type, true))
        return false;
    /* No sender: no not_senders entry matches, and no senders entry either. */
    if (sender && ef->not_senders && listed(ef->not_senders, sender, false))
        return false;
    return !ef->senders || (sender && listed(ef->senders, sender, false));
}

void sync_filter_section(const struct sync_event_filter *ef, const char *room_id, json_t *events)
{
    if (!ef->active)
        return;
    for (size_t i = json_array_size(events); i-- > 0;)
        if (!sync_filter_section_event(ef, room_id, json_array_get(events, i)))
            json_array_remove(events, i);
    while (ef->limit >= 0 && json_array_size(events) > (size_t)ef->limit)
        json_array_remove(events, json_array_size(events) - 1);
}

bool sync_filter_section_blocks(const struct sync_event_filter *ef, const char *room_id)
{
    if (!ef->active)
        return false;
    if (ef->limit == 0 || (ef->types && json_array_size(ef->types) == 0) ||
        (ef->senders && json_array_size(ef->senders) == 0))
        return true;
    if (ef->not_types && listed(ef->not_types, "*", false)) /* "*" matches every type */
        return true;
    return room_id && ((ef->not_rooms && listed(ef->not_rooms, room_id, false)) ||
                       (ef->rooms && !listed(ef->rooms, room_id, false)));
}

bool sync_filter_section_type(const struct sync_event_filter *ef, const char *type)
{
    if (ef->not_types && listed(ef->not_types, type, true))
        return false;
    return !ef->types || listed(ef->types, type, true);
}
