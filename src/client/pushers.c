/* pushers.c: GET /pushers and POST /pushers/set — a user's HTTP pushers
 * (delivery: push/gateway.h). Spec: client-server "Push Notifications"
 * (pushers); checks and errors as Synapse. */
#define LOG_MODULE "pushers"
#include "client/conversation.h"

#include "base/clock.h"
#include "base/err.h"
#include "db/pushers.h"
#include "push/gateway.h"

#include <string.h>

enum { PUSHER_APP_ID_MAX = 64, PUSHER_PUSHKEY_MAX = 512 };

#define NOTIFY_PATH "/_matrix/push/v1/notify"

void client_pushers_get(struct http_request *req, struct http_reply *rep)
{
    struct db_pusher *p;
    size_t n;
    int rc = db_pushers_list(client_server(req)->db, req->user_id, &p, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *j = json_loads(p[i].json, 0, &jerr);
        if (j)
            json_array_append_new(list, j);
    }
    db_pushers_free(p, n);
    http_reply_json(rep, 200, json_pack("{s:o}", "pushers", list));
}

/* An http(s) URL whose path is the push gateway's notify endpoint. */
static bool gateway_url_ok(const char *url)
{
    const char *rest = strncmp(url, "https://", 8) == 0   ? url + 8
                       : strncmp(url, "http://", 7) == 0 ? url + 7
                                                          : NULL;
    if (!rest || !*rest)
        return false;
    const char *path = strchr(rest, '/');
    return path && path != rest && strcmp(path, NOTIFY_PATH) == 0;
}

void client_pushers_set(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    json_t *b = req->json;
    const char *app_id, *pushkey;
    if (!client_req_string(rep, b, "app_id", &app_id) ||
        !client_req_string(rep, b, "pushkey", &pushkey))
        return;
    json_t *kind = json_object_get(b, "kind");
    if (!kind) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'kind'");
        return;
    }
    if (strlen(app_id) > PUSHER_APP_ID_MAX || strlen(pushkey) > PUSHER_PUSHKEY_MAX) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "app_id or pushkey is too long");
        return;
    }
    if (json_is_null(kind)) { /* removal (absent is not an error, as Synapse) */
        int rc = db_pusher_delete(srv->db, req->user_id, app_id, pushkey);
        if (rc && rc != ERR_NOT_FOUND) {
            client_internal_error(rep, rc);
            return;
        }
        push_gateway_pushers_changed(srv);
        http_reply_json(rep, 200, json_object());
        return;
    }
    if (!json_is_string(kind)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'kind' must be a string or null");
        return;
    }
    static const char *const required[] = {"app_display_name", "device_display_name", "lang"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        const char *v;
        if (!client_req_string(rep, b, required[i], &v))
            return;
    }
    const char *profile_tag;
    if (!client_opt_string(rep, b, "profile_tag", &profile_tag))
        return;
    json_t *data = json_object_get(b, "data");
    if (!data) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'data'");
        return;
    }
    if (!json_is_object(data)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'data' must be an object");
        return;
    }
    if (strcmp(json_string_value(kind), "http") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Only 'http' pushers are supported");
        return;
    }
    json_t *url = json_object_get(data, "url");
    if (!url) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "'url' required in data for HTTP pusher");
        return;
    }
    if (!json_is_string(url) || !gateway_url_ok(json_string_value(url))) {
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "'url' must be an http(s) URL with the path " NOTIFY_PATH);
        return;
    }
    const char *format = json_string_value(json_object_get(data, "format"));
    if (json_object_get(data, "format") && (!format || strcmp(format, "event_id_only") != 0)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "'format' must be \"event_id_only\"");
        return;
    }
    bool append;
    if (!client_opt_bool(rep, b, "append", false, &append))
        return;
    json_t *pusher = json_pack("{s:s, s:O, s:s, s:O, s:O, s:O, s:O}", "pushkey", pushkey, "kind",
                               kind, "app_id", app_id, "app_display_name",
                               json_object_get(b, "app_display_name"), "device_display_name",
                               json_object_get(b, "device_display_name"), "lang",
                               json_object_get(b, "lang"), "data", data);
    if (profile_tag)
        json_object_set_new(pusher, "profile_tag", json_string(profile_tag));
    char *text = json_dumps(pusher, JSON_COMPACT);
    json_decref(pusher);
    int rc = db_pusher_set(srv->db, req->user_id, app_id, pushkey, text, clock_now_ms(), append);
    free(text);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    push_gateway_pushers_changed(srv);
    http_reply_json(rep, 200, json_object());
}
