/* thirdparty.c: the third-party network lookups (spec: client-server
 * "Third-party Networks", GET /thirdparty/...). Bridges to other networks are
 * application services, which relais does not have: no protocol is known, so
 * the protocol list is empty and every lookup finds nothing (404 M_NOT_FOUND,
 * the spec's answer for an unknown protocol, no portal room and no user).
 * Element's room directory asks for the protocols when it opens and shows an
 * error when the request fails; POST /publicRooms's third_party_instance_id
 * (directory.c) lists nothing for the same reason. */
#define LOG_MODULE "client"
#include "client/client.h"

/* GET /thirdparty/protocols */
void client_thirdparty_protocols(struct http_request *req, struct http_reply *rep)
{
    (void)req;
    http_reply_json(rep, 200, json_object());
}

/* GET /thirdparty/protocol/{protocol}, /thirdparty/location[/{protocol}],
 * /thirdparty/user[/{protocol}] */
void client_thirdparty_lookup(struct http_request *req, struct http_reply *rep)
{
    (void)req;
    http_reply_error(rep, 404, "M_NOT_FOUND", "No third-party network is bridged here");
}
