/* typing.c: PUT /rooms/{roomId}/typing/{userId} — the user starts (with a
 * timeout) or stops typing; the state lives in memory (sync/ephemeral.h).
 * Spec: client-server "Typing Notifications". */
#define LOG_MODULE "typing"
#include "client/conversation.h"

#include "rooms/rooms.h"
#include "sync/ephemeral.h"

#include <string.h>

/* As Synapse: 30 s when absent, at most 120 s. */
enum { TYPING_DEFAULT_MS = 30000, TYPING_MAX_MS = 120000 };

bool client_conv_joined(struct http_request *req, struct http_reply *rep, const char *room_id)
{
    struct room *room;
    if (rooms_get(client_server(req), room_id, &room) != 0 ||
        strcmp(rooms_membership_of(room, req->user_id), "join") != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "You are not in this room");
        return false;
    }
    return true;
}

void client_room_typing(struct http_request *req, struct http_reply *rep)
{
    const char *room_id = req->params[0];
    if (strcmp(req->params[1], req->user_id) != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "Cannot set another user's typing state");
        return;
    }
    json_t *typing = json_object_get(req->json, "typing");
    if (!typing) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'typing'");
        return;
    }
    if (!json_is_boolean(typing)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'typing' must be a boolean");
        return;
    }
    int64_t timeout = TYPING_DEFAULT_MS;
    json_t *t = json_object_get(req->json, "timeout");
    if (t && !json_is_null(t)) {
        if (!json_is_integer(t) || json_integer_value(t) < 0) {
            http_reply_error(rep, 400, "M_BAD_JSON", "'timeout' must be a non-negative integer");
            return;
        }
        timeout = json_integer_value(t);
    }
    if (timeout > TYPING_MAX_MS)
        timeout = TYPING_MAX_MS;
    if (!client_conv_joined(req, rep, room_id))
        return;
    sync_typing_set(client_server(req), room_id, req->user_id, json_is_true(typing), timeout);
    http_reply_json(rep, 200, json_object());
}
