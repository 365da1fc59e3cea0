/* upgrade.c: POST /rooms/{roomId}/upgrade {new_version}: answers
 * {replacement_room}; the work is rooms_upgrade's (rooms/upgrade.c).
 * Spec: client-server "Room Upgrades". */
#define LOG_MODULE "rooms"
#include "base/err.h"
#include "client/client.h"
#include "rooms/rooms.h"

#include <stdlib.h>

void client_room_upgrade(struct http_request *req, struct http_reply *rep)
{
    const char *version;
    if (!client_req_string(rep, req->json, "new_version", &version))
        return;
    char *new_room = NULL, reason[256];
    int rc = rooms_upgrade(client_server(req), req->user_id, req->params[0], version, &new_room,
                           reason, sizeof reason);
    if (rc == ERR_NOT_FOUND) {
        /* Synapse: a room the user is not in is forbidden, known or not. */
        http_reply_error(rep, 403, "M_FORBIDDEN", "You are not in the room");
        return;
    }
    if (rc) {
        client_rooms_error(rep, rc, reason);
        return;
    }
    http_reply_json(rep, 200, json_pack("{s:s}", "replacement_room", new_room));
    free(new_room);
}
