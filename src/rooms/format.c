/* format.c: what clients see of stored events: the client event format
 * (redaction applied, unsigned.age, transaction_id for the sending device) and
 * the history-visibility rule deciding whether a user may see an event.
 * Spec: client-server "Room Events" (client event format), "History visibility". */
#define LOG_MODULE "rooms"
#include "rooms/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "db/db.h"
#include "db/prev_state.h"
#include "server/server.h"
#include "sync/notify.h"

#include <string.h>

static void copy_key(json_t *to, const json_t *from, const char *key)
{
    json_t *v = json_object_get(from, key);
    if (v)
        json_object_set(to, key, v);
}

/* The redaction event that redacted another, in client format (no recursion). */
static json_t *redacted_because(struct server *srv, const char *redaction_id)
{
    struct db_event r;
    if (db_event_get(srv->db, redaction_id, &r) != 0)
        return json_pack("{s:s, s:s}", "event_id", redaction_id, "type", "m.room.redaction");
    json_t *out = rooms_event_client_format(srv, &r, NULL, NULL);
    db_event_fini(&r);
    return out;
}

/* unsigned.prev_content, prev_sender and replaces_state of a state event:
 * the event it replaced in the room state (redacted if it was redacted).
 * Synapse sends all three; the spec names prev_content. */
static void add_prev_state(struct server *srv, const struct db_event *e, json_t *uns)
{
    char *prev_id = NULL;
    struct db_event prev;
    if (db_state_replaced(srv->db, e->room_id, e->pos, e->type, e->state_key, &prev_id) != 0 ||
        !prev_id || db_event_get(srv->db, prev_id, &prev) != 0) {
        free(prev_id);
        return;
    }
    json_t *pdu = rooms_event_pdu(srv, &prev);
    json_t *content = json_object_get(pdu, "content");
    json_object_set_new(uns, "prev_content", content ? json_deep_copy(content) : json_object());
    json_object_set_new(uns, "prev_sender", json_string(prev.sender));
    json_object_set_new(uns, "replaces_state", json_string(prev_id));
    json_decref(pdu);
    db_event_fini(&prev);
    free(prev_id);
}

json_t *rooms_event_pdu(struct server *srv, const struct db_event *e)
{
    json_error_t jerr;
    json_t *pdu = json_loads(e->json, 0, &jerr);
    struct room *room;
    json_t *redacted = NULL;
    if (pdu && e->redacted_by && rooms_get(srv, e->room_id, &room) == 0 &&
        matrix_event_redact(pdu, room->version, &redacted) == 0) {
        json_decref(pdu);
        pdu = redacted;
    }
    return pdu;
}

json_t *rooms_event_client_format(struct server *srv, const struct db_event *e,
                                  const char *viewer_user_id, const char *viewer_device_id)
{
    json_t *pdu = rooms_event_pdu(srv, e);
    if (!pdu)
        return json_pack("{s:s, s:s}", "event_id", e->event_id, "type", e->type);
    json_t *out = json_object();
    copy_key(out, pdu, "type");
    copy_key(out, pdu, "content");
    if (!json_object_get(out, "content"))
        json_object_set_new(out, "content", json_object());
    copy_key(out, pdu, "sender");
    copy_key(out, pdu, "origin_server_ts");
    copy_key(out, pdu, "state_key");
    json_object_set_new(out, "event_id", json_string(e->event_id));
    json_object_set_new(out, "room_id", json_string(e->room_id));
    json_t *redacts = json_object_get(pdu, "redacts");
    if (!redacts && strcmp(e->type, "m.room.redaction") == 0)
        redacts = json_object_get(json_object_get(pdu, "content"), "redacts");
    if (redacts)
        json_object_set(out, "redacts", redacts);
    json_t *uns = json_object();
    int64_t age = clock_now_ms() - e->origin_server_ts;
    json_object_set_new(uns, "age", json_integer(age > 0 ? age : 0));
    if (viewer_user_id && e->txn_id && strcmp(viewer_user_id, e->sender) == 0 &&
        viewer_device_id && e->txn_device && strcmp(viewer_device_id, e->txn_device) == 0)
        json_object_set_new(uns, "transaction_id", json_string(e->txn_id));
    if (e->redacted_by)
        json_object_set_new(uns, "redacted_because", redacted_because(srv, e->redacted_by));
    if (e->state_key && e->pos > 0)
        add_prev_state(srv, e, uns);
    json_t *relations = viewer_user_id ? rooms__relations_bundle(srv, e, json_object_get(pdu,
                                                                                     "content"),
                                                                 viewer_user_id, viewer_device_id)
                                       : NULL;
    if (relations)
        json_object_set_new(uns, "m.relations", relations);
    json_object_set_new(out, "unsigned", uns);
    json_decref(pdu);
    return out;
}

/* The content.history_visibility of a stored event ("shared" when absent). */
static void visibility_value(const char *json, char *buf, size_t len)
{
    json_error_t jerr;
    json_t *ev = json_loads(json, 0, &jerr);
    const char *v = json_string_value(json_object_get(json_object_get(ev, "content"),
                                                      "history_visibility"));
    snprintf(buf, len, "%s", v ? v : "shared");
    json_decref(ev);
}

/* Brings the room's history_visibility cache up to the committed events
 * (caller holds room->lock). Returns 0 or a db error (cache unchanged). */
static int visibility_refresh(struct server *srv, struct room *room)
{
    int64_t upto = notifier_position(srv->notifier, NOTIFY_EVENTS);
    if (upto <= room->hv_scanned)
        return 0;
    struct db_event *events;
    size_t n;
    int rc = db_state_events_of(srv->db, room->room_id, "m.room.history_visibility", "",
                                room->hv_scanned, upto, &events, &n);
    if (rc)
        return rc;
    if (n)
        room->hv = xrealloc(room->hv, (room->n_hv + n) * sizeof *room->hv);
    for (size_t i = 0; i < n; i++) {
        struct rooms_hv_change *c = &room->hv[room->n_hv++];
        c->pos = events[i].pos;
        visibility_value(events[i].json, c->value, sizeof c->value);
    }
    db_events_free(events, n);
    room->hv_scanned = upto;
    return 0;
}

/* The history_visibility in force before stream position pos: from the
 * room's cache of changes (one indexed scan per room, then only new events),
 * or from the database for positions the cache has not reached. */
static const char *visibility_at(struct server *srv, const char *room_id, int64_t pos, char *buf,
                                 size_t len)
{
    snprintf(buf, len, "shared");
    struct room *room;
    if (rooms_get(srv, room_id, &room) == 0) {
        pthread_mutex_lock(&room->lock);
        bool cached = (pos - 1 <= room->hv_scanned ||
                       (visibility_refresh(srv, room) == 0 && pos - 1 <= room->hv_scanned));
        if (cached) {
            for (size_t i = room->n_hv; i-- > 0;)
                if (room->hv[i].pos < pos) {
                    snprintf(buf, len, "%s", room->hv[i].value);
                    break;
                }
        }
        pthread_mutex_unlock(&room->lock);
        if (cached)
            return buf;
    }
    char *json = NULL;
    if (db_state_value_at(srv->db, room_id, "m.room.history_visibility", "", pos, &json) == 0 &&
        json)
        visibility_value(json, buf, len);
    free(json);
    return buf;
}

/* Rank of a history_visibility value, most open first (unknown values count as shared). */
static int visibility_rank(const char *hv)
{
    static const char *const order[] = {"world_readable", "shared", "invited", "joined"};
    for (int i = 0; i < 4; i++)
        if (strcmp(hv, order[i]) == 0)
            return i;
    return 1;
}

bool rooms_event_visible(struct server *srv, const char *room_id, int64_t pos, const char *user_id)
{
    /* The visibility before the event; for an event that changes it, the more
     * open of the old and new values (as Synapse: the change itself is seen
     * by whoever may see either side). */
    char hv_buf[32], after_buf[32];
    const char *hv = visibility_at(srv, room_id, pos, hv_buf, sizeof hv_buf);
    const char *hv_after = visibility_at(srv, room_id, pos + 1, after_buf, sizeof after_buf);
    if (visibility_rank(hv_after) < visibility_rank(hv))
        hv = hv_after;
    if (strcmp(hv, "world_readable") == 0)
        return true;
    /* The membership after the event: one's own join is visible, one's own leave too. */
    char *before = NULL, *after = NULL;
    bool visible = false;
    if (db_membership_at(srv->db, room_id, user_id, pos, &before) == 0 &&
        db_membership_at(srv->db, room_id, user_id, pos + 1, &after) == 0) {
        if (strcmp(before, "join") == 0 || strcmp(after, "join") == 0)
            visible = true;
        else if (strcmp(hv, "invited") == 0 &&
                 (strcmp(before, "invite") == 0 || strcmp(after, "invite") == 0))
            visible = true;
        else if (strcmp(hv, "shared") == 0) {
            struct room *room;
            visible = rooms_get(srv, room_id, &room) == 0 &&
                      strcmp(rooms_membership_of(room, user_id), "join") == 0;
        }
    }
    free(before);
    free(after);
    return visible;
}
