/* receipts.c: POST /rooms/{roomId}/receipt/{receiptType}/{eventId} (m.read,
 * m.read.private, threaded with thread_id, and m.fully_read) and POST
 * /rooms/{roomId}/read_markers. The fully read marker is the room account
 * data m.fully_read. Spec: client-server "Receipts", "Read and unread markers". */
#define LOG_MODULE "receipts"
#include "client/conversation.h"

#include "base/clock.h"
#include "base/err.h"
#include "db/db.h"
#include "db/receipts.h"
#include "sync/ephemeral.h"
#include "sync/notify.h"

#include <string.h>

/* The stream position of event_id if it is an event of room_id; otherwise
 * answers 404 and returns false. */
static bool event_in_room(struct server *srv, struct http_reply *rep, const char *room_id,
                          const char *event_id, int64_t *pos)
{
    struct db_event e;
    int rc = db_event_get(srv->db, event_id, &e);
    if (rc == 0) {
        bool same = strcmp(e.room_id, room_id) == 0;
        *pos = e.pos;
        db_event_fini(&e);
        if (same)
            return true;
        rc = ERR_NOT_FOUND;
    }
    if (rc == ERR_NOT_FOUND)
        http_reply_error(rep, 404, "M_NOT_FOUND", "Event not found in this room");
    else
        client_internal_error(rep, rc);
    return false;
}

static int set_fully_read(struct server *srv, const char *user_id, const char *room_id,
                          const char *event_id)
{
    json_t *c = json_pack("{s:s}", "event_id", event_id);
    int rc = client_account_data_store(srv, user_id, room_id, "m.fully_read", c);
    json_decref(c);
    return rc;
}

static int put_receipt(struct server *srv, const char *room_id, const char *user_id,
                       const char *type, const char *thread_id, const char *event_id,
                       int64_t event_pos)
{
    int64_t pos;
    int rc = db_receipt_put(srv->db, room_id, user_id, type, thread_id, event_id, event_pos,
                            clock_now_ms(), &pos);
    if (!rc && pos)
        sync_receipt_notify(srv, room_id, user_id, strcmp(type, "m.read.private") == 0, pos);
    return rc;
}

void client_room_receipt(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0], *type = req->params[1], *event_id = req->params[2];
    bool fully_read = strcmp(type, "m.fully_read") == 0;
    if (!fully_read && strcmp(type, "m.read") != 0 && strcmp(type, "m.read.private") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "Receipt type must be 'm.read', 'm.read.private' or 'm.fully_read'");
        return;
    }
    const char *thread_id = NULL;
    json_t *t = req->json ? json_object_get(req->json, "thread_id") : NULL;
    if (t) {
        if (!json_is_string(t) || !json_string_length(t) ||
            (strcmp(json_string_value(t), "main") != 0 && json_string_value(t)[0] != '$')) {
            http_reply_error(rep, 400, "M_INVALID_PARAM",
                             "thread_id must be \"main\" or the event ID of a thread root");
            return;
        }
        if (fully_read) {
            http_reply_error(rep, 400, "M_INVALID_PARAM",
                             "m.fully_read does not take a thread_id");
            return;
        }
        thread_id = json_string_value(t);
    }
    if (!client_conv_joined(req, rep, room_id))
        return;
    int64_t event_pos;
    if (!event_in_room(srv, rep, room_id, event_id, &event_pos))
        return;
    int rc = fully_read ? set_fully_read(srv, req->user_id, room_id, event_id)
                        : put_receipt(srv, room_id, req->user_id, type, thread_id, event_id,
                                      event_pos);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, json_object());
}

void client_room_read_markers(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0];
    static const char *const keys[] = {"m.fully_read", "m.read", "m.read.private"};
    const char *ids[3];
    for (size_t i = 0; i < 3; i++)
        if (!client_opt_string(rep, req->json, keys[i], &ids[i]))
            return;
    if (!client_conv_joined(req, rep, room_id))
        return;
    int64_t poss[3] = {0, 0, 0};
    for (size_t i = 0; i < 3; i++)
        if (ids[i] && !event_in_room(srv, rep, room_id, ids[i], &poss[i]))
            return;
    int rc = 0;
    if (ids[0])
        rc = set_fully_read(srv, req->user_id, room_id, ids[0]);
    for (size_t i = 1; i < 3 && !rc; i++)
        if (ids[i])
            rc = put_receipt(srv, room_id, req->user_id, keys[i], NULL, ids[i], poss[i]);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, json_object());
}
