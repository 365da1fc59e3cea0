/* event_fields.c: the shape of the events a filter returns — a Filter's
 * `event_fields` (dot-separated property paths, spec appendix "Dot-separated
 * property paths") and `event_format` ("client", or "federation": the PDU as
 * stored, redaction applied). /sync, /messages and /context call
 * sync_filter_format_events on their finished arrays of client events; a
 * filter with neither key leaves them untouched at the cost of one test.
 * /sync's hook (sync_filter_format_room) also drops the state events of the
 * rooms room.state's rooms / not_rooms leave out, and those room.state's
 * contains_url leaves out (content.url a string or not), the last filter
 * steps that need the events' room_id and content before event_fields may
 * remove them.
 *
 * As Synapse: an empty event_fields list keeps every field; a path through a
 * missing key or a non-object copies nothing; the federation form carries the
 * event_id and the client form's `unsigned`; the bundled aggregations
 * (unsigned["m.relations"]) stay whatever event_fields says, their events
 * shaped alike. Invite and knock stripped state
 * is not reshaped (Synapse neither). Which events a filter keeps is
 * filter.c's business; this file only reshapes them. */
#include "sync/sync.h"

#include "base/mem.h"
#include "db/db.h"
#include "rooms/rooms.h"
#include "server/server.h"

#include <string.h>

/* Splits one path at its unescaped dots into parts (each owned, NUL
 * terminated): "\." is a dot and "\\" a backslash inside a part; any other
 * backslash is kept with the character after it. Returns the count. */
static size_t split_path(const char *path, char ***parts_out)
{
    size_t len = strlen(path);
    char **parts = xcalloc(len + 2, sizeof *parts); /* at most len + 1 parts */
    char *cur = xmalloc(len + 1);
    size_t n = 0, o = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = path[i];
        if (c == '\\' && (path[i + 1] == '.' || path[i + 1] == '\\')) {
            cur[o++] = path[++i];
            continue;
        }
        if (c == '.' || c == '\0') {
            cur[o] = '\0';
            parts[n++] = xstrdup(cur);
            o = 0;
            continue;
        }
        cur[o++] = c;
    }
    free(cur);
    *parts_out = parts;
    return n;
}

/* Copies the value at parts[0..n) of src into dst, creating the objects on
 * the way; nothing when a step is missing or not an object. */
static void copy_path(const json_t *src, json_t *dst, char **parts, size_t n)
{
    const json_t *from = src;
    for (size_t i = 0; i + 1 < n; i++) {
        from = json_object_get(from, parts[i]);
        if (!json_is_object(from))
            return;
    }
    json_t *value = json_object_get(from, parts[n - 1]);
    if (!value)
        return;
    json_t *to = dst;
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *next = json_object_get(to, parts[i]);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(to, parts[i], next);
        }
        to = next;
    }
    json_object_set(to, parts[n - 1], value);
}

json_t *sync_event_fields_apply(const json_t *fields, const json_t *event)
{
    if (!json_array_size(fields) || !json_is_object(event))
        return json_incref((json_t *)event);
    json_t *out = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        char **parts;
        size_t n = split_path(json_string_value(f), &parts);
        copy_path(event, out, parts, n);
        for (size_t k = 0; k < n; k++)
            free(parts[k]);
        free(parts);
    }
    return out;
}

/* The federation form of a client event: the stored PDU (redacted when the
 * event was), with its event_id and the client form's unsigned. NULL when
 * the event cannot be loaded. Owned. */
static json_t *federation_form(struct server *srv, const json_t *client_event)
{
    const char *id = json_string_value(json_object_get(client_event, "event_id"));
    struct db_event e;
    if (!id || db_event_get(srv->db, id, &e) != 0)
        return NULL;
    json_t *pdu = rooms_event_pdu(srv, &e);
    if (pdu) {
        json_object_set_new(pdu, "event_id", json_string(e.event_id));
        json_t *uns = json_object_get(client_event, "unsigned");
        if (uns)
            json_object_set(pdu, "unsigned", uns);
    }
    db_event_fini(&e);
    return pdu;
}

/* One client event shaped as f asks (owned). Its bundled aggregations
 * (unsigned["m.relations"]) are kept even when event_fields trims unsigned
 * away, as Synapse does (the spec lets a server return more fields than
 * asked): a client that filters fields still learns of edits and threads.
 * The events inside them (the m.replace edit, the thread's latest_event) are
 * shaped the same way; m.reference's chunk of IDs is kept as it is. */
static json_t *format_one(struct server *srv, const struct sync_filter *f, const json_t *e)
{
    json_t *pdu = f->federation ? federation_form(srv, e) : NULL;
    json_t *shaped = sync_event_fields_apply(f->event_fields, pdu ? pdu : e);
    json_decref(pdu);
    const json_t *rel = json_object_get(json_object_get(e, "unsigned"), "m.relations");
    if (!json_is_object(rel) || !json_is_object(shaped))
        return shaped;
    json_t *out_rel = json_deep_copy(rel);
    json_t *edit = json_object_get(rel, "m.replace");
    if (json_is_object(edit))
        json_object_set_new(out_rel, "m.replace", format_one(srv, f, edit));
    json_t *thread = json_object_get(out_rel, "m.thread");
    json_t *latest = json_object_get(json_object_get(rel, "m.thread"), "latest_event");
    if (json_is_object(thread) && json_is_object(latest))
        json_object_set_new(thread, "latest_event", format_one(srv, f, latest));
    if (shaped == e) { /* untouched (no event_fields): a copy to change */
        json_decref(shaped);
        shaped = json_copy((json_t *)e);
    }
    json_t *uns = json_object_get(shaped, "unsigned");
    if (!json_is_object(uns)) {
        uns = json_object();
        json_object_set_new(shaped, "unsigned", uns);
    } else {
        uns = json_copy(uns); /* may be shared with e */
        json_object_set_new(shaped, "unsigned", uns);
    }
    json_object_set_new(uns, "m.relations", out_rel);
    return shaped;
}

void sync_filter_format_events(struct server *srv, const struct sync_filter *f, json_t *events)
{
    if (!f->federation && !json_array_size(f->event_fields))
        return; /* the unfiltered fast path */
    for (size_t i = 0; i < json_array_size(events); i++)
        json_array_set_new(events, i, format_one(srv, f, json_array_get(events, i)));
}

void sync_filter_format_room(struct server *srv, const struct sync_filter *f, json_t *timeline,
                             json_t *state)
{
    json_t *events = json_object_get(state, "events");
    if (f->st_rooms || f->st_not_rooms || f->st_contains_url >= 0) {
        for (size_t i = json_array_size(events); i-- > 0;) {
            const json_t *e = json_array_get(events, i);
            const char *room_id = json_string_value(json_object_get(e, "room_id"));
            bool has_url = json_is_string(json_object_get(json_object_get(e, "content"), "url"));
            if (!room_id || !sync_filter_state_room(f, room_id) ||
                (f->st_contains_url >= 0 && has_url != (f->st_contains_url == 1)))
                json_array_remove(events, i);
        }
    }
    sync_filter_format_events(srv, f, json_object_get(timeline, "events"));
    sync_filter_format_events(srv, f, events);
}
