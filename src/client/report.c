/* report.c: POST /rooms/{roomId}/report/{eventId} and POST
 * /rooms/{roomId}/report — users report content to the server's admins
 * (stored: db/reports.h). Spec: client-server "Reporting content"; checks
 * and errors as Synapse. */
#define LOG_MODULE "report"
#include "client/conversation.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "db/db.h"
#include "db/reports.h"
#include "rooms/rooms.h"

#include <string.h>

void client_report_event(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0], *event_id = req->params[1];
    json_t *reason = json_object_get(req->json, "reason");
    if (reason && !json_is_string(reason) && !json_is_null(reason)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Param 'reason' must be a string");
        return;
    }
    json_t *score = json_object_get(req->json, "score");
    if (score && !json_is_null(score) &&
        (!json_is_integer(score) || json_integer_value(score) < -100 ||
         json_integer_value(score) > 0)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "Param 'score' must be an integer between 0 and -100");
        return;
    }
    /* Only an event of the room the reporter may see can be reported. */
    struct db_event e;
    bool seen = false;
    if (db_event_get(srv->db, event_id, &e) == 0) {
        struct room *room;
        char *leave = NULL;
        seen = strcmp(e.room_id, room_id) == 0 && rooms_get(srv, room_id, &room) == 0 &&
               rooms_readable(srv, room, req->user_id, &leave) == 0 &&
               rooms_event_visible(srv, room_id, e.pos, req->user_id);
        free(leave);
        db_event_fini(&e);
    }
    if (!seen) {
        http_reply_error(rep, 404, "M_NOT_FOUND",
                         "Unable to report event: it does not exist or you aren't able to see it.");
        return;
    }
    char *score_text = score && json_is_integer(score) ? json_dumps(score, JSON_ENCODE_ANY) : NULL;
    int64_t id;
    int rc = db_report_add(srv->db, room_id, event_id, req->user_id, json_string_value(reason),
                           score_text, clock_now_ms(), &id);
    free(score_text);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    log_info("event reported id=%lld room=%s event=%s by=%s", (long long)id, room_id, event_id,
             req->user_id);
    http_reply_json(rep, 200, json_object());
}

void client_report_room(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *room_id = req->params[0];
    const char *reason;
    if (!client_req_string(rep, req->json, "reason", &reason))
        return;
    struct room *room;
    if (rooms_get(srv, room_id, &room) != 0) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Room does not exist");
        return;
    }
    int64_t id;
    int rc = db_report_add(srv->db, room_id, NULL, req->user_id, reason, NULL, clock_now_ms(), &id);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    log_info("room reported id=%lld room=%s by=%s", (long long)id, room_id, req->user_id);
    http_reply_json(rep, 200, json_object());
}
