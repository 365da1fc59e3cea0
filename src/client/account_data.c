/* account_data.c: global account data, GET/PUT /user/{userId}/account_data/{type}, and
 * client_account_data_store for the handlers that write account data of their own (room
 * account data and tags, m.fully_read, m.push_rules). Spec: client-server API, "Client
 * Config". */
#define LOG_MODULE "account_data"
#include "base/err.h"
#include "base/log.h"
#include "client/client.h"
#include "db/db.h"
#include "json/parse.h"
#include "sync/notify.h"

#include <string.h>

int client_account_data_store(struct server *srv, const char *user_id, const char *room_id,
                              const char *type, const json_t *content)
{
    char *text = json_dumps(content, JSON_COMPACT);
    int rc = db_account_data_put(srv->db, user_id, room_id, type, text);
    free(text);
    int64_t pos;
    if (!rc && db_account_data_max_pos(srv->db, &pos) == 0)
        notifier_users_changed(srv->notifier, NOTIFY_ACCOUNT_DATA, pos, &user_id, 1);
    return rc;
}

bool client_account_data_own(struct http_request *req, struct http_reply *rep)
{
    if (strcmp(req->params[0], req->user_id) != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "Cannot access another user's account data");
        return false;
    }
    return true;
}

/* GET /user/{userId}/account_data/{type} */
void client_account_data_get(struct http_request *req, struct http_reply *rep)
{
    if (!client_account_data_own(req, rep))
        return;
    char *content;
    int rc = db_account_data_get(client_server(req)->db, req->user_id, "", req->params[1], &content);
    if (client_reply_failure(rep, rc, "Account data not found"))
        return;
    rep->body = content;
    rep->body_len = strlen(content);
    rep->content_type = "application/json";
    rep->status = 200;
}

/* PUT /user/{userId}/account_data/{type} */
void client_account_data_put(struct http_request *req, struct http_reply *rep)
{
    if (!client_account_data_own(req, rep))
        return;
    const char *type = req->params[1];
    if (strcmp(type, "m.fully_read") == 0 || strcmp(type, "m.push_rules") == 0) {
        http_reply_error(rep, 405, "M_BAD_JSON", "Cannot set %s through this API", type);
        return;
    }
    char *text = json_dumps(req->json, JSON_COMPACT);
    struct server *srv = client_server(req);
    int rc = db_account_data_put(srv->db, req->user_id, "", type, text);
    free(text);
    int64_t pos;
    if (!rc)
        rc = db_account_data_max_pos(srv->db, &pos);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    notifier_users_changed(srv->notifier, NOTIFY_ACCOUNT_DATA, pos, &req->user_id, 1);
    http_reply_json(rep, 200, json_object());
}
