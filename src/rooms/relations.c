/* relations.c: the server-side aggregations of child events that clients
 * find in unsigned["m.relations"] of every event they are served (one place,
 * called by rooms_event_client_format, so /sync, /messages, /event, /context,
 * /relations and /threads all agree):
 *
 *   m.replace   the most recent valid edit (origin_server_ts, then the larger
 *               event_id), formatted as a normal event; never for a redacted
 *               original. The original's content is left as it is.
 *   m.thread    latest_event (the newest reply, itself aggregated), count,
 *               current_user_participated.
 *   m.reference chunk of {event_id}.
 *
 * m.annotation is not aggregated (the spec says so since v1.7). Most events
 * have no children: one indexed COUNT query answers that.
 * Spec: client-server "Aggregations of child events", "Event replacements",
 * "Threading", "Reference relations". */
#define LOG_MODULE "rooms"
#include "rooms/internal.h"

#include "base/mem.h"
#include "db/db.h"
#include "db/relations.h"
#include "server/server.h"

#include <stdint.h>
#include <string.h>

enum {
    RELATIONS_MAX_NESTING = 2,  /* latest_event and edits are aggregated one level down */
    RELATIONS_MAX_EDITS = 100,  /* newest edits considered for m.replace */
    RELATIONS_MAX_REFERENCES = 100,
    RELATIONS_LATEST_TRIES = 5, /* newest thread replies tried for a visible latest_event */
};

/* Nesting depth of this thread's aggregation calls (latest_event, edits). */
static _Thread_local int nesting;

/* Whether candidate is a valid replacement of the original (spec: "Validity
 * of replacement events"; room, type and relation are matched by the query). */
static bool valid_edit(const struct db_event *orig, const struct db_event *edit)
{
    if (strcmp(orig->sender, edit->sender) != 0 || edit->state_key || edit->redacted_by)
        return false;
    json_error_t jerr;
    json_t *pdu = json_loads(edit->json, 0, &jerr);
    bool ok = json_is_object(json_object_get(json_object_get(pdu, "content"), "m.new_content"));
    json_decref(pdu);
    return ok;
}

static json_t *replace_bundle(struct server *srv, const struct db_event *e, const char *viewer,
                              const char *viewer_device)
{
    struct db_event *edits;
    size_t n;
    if (db_relations_page(srv->db, e->room_id, e->event_id, "m.replace", e->type, 1, 0, INT64_MAX,
                          false, RELATIONS_MAX_EDITS, &edits, &n) != 0)
        return NULL;
    const struct db_event *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct db_event *c = &edits[i];
        if (!valid_edit(e, c))
            continue;
        if (!best || c->origin_server_ts > best->origin_server_ts ||
            (c->origin_server_ts == best->origin_server_ts &&
             strcmp(c->event_id, best->event_id) > 0))
            best = c;
    }
    json_t *out = best ? rooms_event_client_format(srv, best, viewer, viewer_device) : NULL;
    db_events_free(edits, n);
    return out;
}

static json_t *thread_bundle(struct server *srv, const struct db_event *e, int64_t count,
                             const char *viewer, const char *viewer_device)
{
    struct db_event *latest;
    size_t n;
    if (db_relations_page(srv->db, e->room_id, e->event_id, "m.thread", NULL, 1, 0, INT64_MAX,
                          false, RELATIONS_LATEST_TRIES, &latest, &n) != 0)
        return NULL;
    /* The newest reply the viewer may see (history visibility). */
    size_t pick = 0;
    while (pick < n && viewer && !rooms_event_visible(srv, e->room_id, latest[pick].pos, viewer))
        pick++;
    if (pick == n) {
        db_events_free(latest, n);
        return NULL;
    }
    bool participated = viewer && strcmp(viewer, e->sender) == 0;
    if (viewer && !participated && db_thread_participated(srv->db, e->event_id, viewer,
                                                          &participated) != 0)
        participated = false;
    json_t *out = json_pack("{s:o, s:I, s:b}", "latest_event",
                            rooms_event_client_format(srv, &latest[pick], viewer, viewer_device),
                            "count", (json_int_t)count, "current_user_participated",
                            participated);
    db_events_free(latest, n);
    return out;
}

static json_t *reference_bundle(struct server *srv, const struct db_event *e)
{
    struct db_event *refs;
    size_t n;
    if (db_relations_page(srv->db, e->room_id, e->event_id, "m.reference", NULL, 1, 0, INT64_MAX,
                          true, RELATIONS_MAX_REFERENCES, &refs, &n) != 0)
        return NULL;
    json_t *chunk = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(chunk, json_pack("{s:s}", "event_id", refs[i].event_id));
    db_events_free(refs, n);
    return json_pack("{s:o}", "chunk", chunk);
}

json_t *rooms__relations_bundle(struct server *srv, const struct db_event *e, const json_t *content,
                                const char *viewer, const char *viewer_device)
{
    if (nesting >= RELATIONS_MAX_NESTING)
        return NULL;
    struct db_relation_counts counts;
    if (db_relation_counts(srv->db, e->event_id, &counts) != 0 ||
        (counts.replace == 0 && counts.thread == 0 && counts.reference == 0))
        return NULL;
    nesting++;
    json_t *out = json_object();
    const char *own_rel = json_string_value(
        json_object_get(json_object_get(content, "m.relates_to"), "rel_type"));
    if (counts.replace && !e->redacted_by && !e->state_key &&
        !(own_rel && strcmp(own_rel, "m.replace") == 0)) {
        json_t *b = replace_bundle(srv, e, viewer, viewer_device);
        if (b)
            json_object_set_new(out, "m.replace", b);
    }
    if (counts.thread) {
        json_t *b = thread_bundle(srv, e, counts.thread, viewer, viewer_device);
        if (b)
            json_object_set_new(out, "m.thread", b);
    }
    if (counts.reference) {
        json_t *b = reference_bundle(srv, e);
        if (b)
            json_object_set_new(out, "m.reference", b);
    }
    nesting--;
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}
