/* presence.c: GET and PUT /presence/{userId}/status — a user sets their own
 * presence (online, unavailable, offline) and status message, and reads
 * their own or a room-mate's. The state lives in memory (sync/presence.h).
 * Errors as Synapse: another user's presence cannot be set (403), nor read
 * without a shared room (403). Spec: client-server "Presence". */
#define LOG_MODULE "presence"
#include "client/conversation.h"

#include "sync/presence.h"

#include <string.h>

void client_presence_put(struct http_request *req, struct http_reply *rep)
{
    if (strcmp(req->params[0], req->user_id) != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "Can only set your own presence state");
        return;
    }
    const char *state, *status_msg = NULL;
    if (!client_req_string(rep, req->json, "presence", &state))
        return;
    if (!sync_presence_valid(state)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "'presence' must be online, unavailable or offline");
        return;
    }
    if (!client_opt_string(rep, req->json, "status_msg", &status_msg))
        return;
    sync_presence_set(client_server(req), req->user_id, state, status_msg);
    http_reply_json(rep, 200, json_object());
}

void client_presence_get(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *target = req->params[0];
    if (!sync_presence_share_room(srv, req->user_id, target)) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You are not allowed to see their presence");
        return;
    }
    http_reply_json(rep, 200, sync_presence_get(srv, target));
}
