/* dehydrated.c: dehydrated devices (MSC3814, unstable prefix
 * org.matrix.msc3814.v1): a user parks one device whose private keys are
 * encrypted client-side in device_data; it receives to-device messages while
 * no client runs, and a new client fetches them, then "rehydrates" it. The
 * server keeps device_data opaque. Keys go through the /keys/upload checks. */
#define LOG_MODULE "keys"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/client.h"
#include "db/db.h"
#include "sync/e2ee.h"

#include <stdio.h>
#include <string.h>

/* GET /dehydrated_device */
void client_dehydrated_get(struct http_request *req, struct http_reply *rep)
{
    char *device_id, *data;
    int rc = db_dehydrated_get(client_server(req)->db, req->user_id, &device_id, &data);
    if (client_reply_failure(rep, rc, "No dehydrated device available"))
        return;
    json_error_t jerr;
    json_t *d = json_loads(data, 0, &jerr);
    http_reply_json(rep, 200, json_pack("{s:s, s:o}", "device_id", device_id, "device_data",
                                        d ? d : json_object()));
    free(device_id);
    free(data);
}

/* PUT /dehydrated_device: replaces the user's dehydrated device. */
void client_dehydrated_put(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *device_id, *name;
    json_t *data = json_object_get(req->json, "device_data");
    if (!client_req_string(rep, req->json, "device_id", &device_id) ||
        !client_opt_string(rep, req->json, "initial_device_display_name", &name))
        return;
    if (!json_is_object(data)) {
        http_reply_error(rep, 400, data ? "M_BAD_JSON" : "M_MISSING_PARAM",
                         "'device_data' must be an object");
        return;
    }
    if (!device_id[0] || strlen(device_id) > 255 || strcmp(device_id, req->device_id) == 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid device_id");
        return;
    }
    char *text = json_dumps(data, JSON_COMPACT), *old = NULL;
    int rc = db_dehydrated_put(srv->db, req->user_id, device_id, text, &old);
    free(text);
    if (!rc)
        rc = db_device_ensure(srv->db, req->user_id, device_id, name ? name : "Dehydrated device",
                              NULL);
    free(old);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    if (!client_keys_store(req, rep, req->json, device_id)) {
        char *gone;
        if (db_dehydrated_delete(srv->db, req->user_id, &gone) == 0)
            free(gone);
        return;
    }
    sync_e2ee_device_list_changed(srv, req->user_id, 0);
    log_info("dehydrated device stored user=%s device=%s", req->user_id, device_id);
    http_reply_json(rep, 200, json_pack("{s:s}", "device_id", device_id));
}

/* DELETE /dehydrated_device */
void client_dehydrated_delete(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    char *device_id;
    int rc = db_dehydrated_delete(srv->db, req->user_id, &device_id);
    if (client_reply_failure(rep, rc, "No dehydrated device available"))
        return;
    sync_e2ee_device_list_changed(srv, req->user_id, 0);
    http_reply_json(rep, 200, json_pack("{s:s}", "device_id", device_id));
    free(device_id);
}

/* POST /dehydrated_device/{deviceId}/events {next_batch}: the to-device
 * messages waiting for the dehydrated device, 100 at a time; a next_batch
 * acknowledges (deletes) what the previous answer carried. */
void client_dehydrated_events(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    char *device_id, *data;
    int rc = db_dehydrated_get(srv->db, req->user_id, &device_id, &data);
    bool mine = rc == 0 && strcmp(device_id, req->params[0]) == 0;
    if (rc == 0) {
        free(device_id);
        free(data);
    }
    if (rc && rc != ERR_NOT_FOUND) {
        client_internal_error(rep, rc);
        return;
    }
    if (!mine) {
        http_reply_error(rep, 403, "M_FORBIDDEN",
                         "You may only fetch messages for your dehydrated device");
        return;
    }
    const char *since_text;
    int64_t since = 0;
    if (!client_opt_string(rep, req->json, "next_batch", &since_text))
        return;
    if (since_text && str_to_i64(since_text, strlen(since_text), 0, INT64_MAX, &since)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid next_batch");
        return;
    }
    if (since && (rc = db_to_device_ack(srv->db, req->user_id, req->params[0], since))) {
        client_internal_error(rep, rc);
        return;
    }
    struct db_to_device_msg *msgs;
    size_t n;
    rc = db_to_device_fetch(srv->db, req->user_id, req->params[0], since, INT64_MAX,
                            SYNC_TO_DEVICE_LIMIT, &msgs, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t *events = json_array();
    int64_t next = since;
    for (size_t i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *content = json_loads(msgs[i].content, 0, &jerr);
        if (content)
            json_array_append_new(events, json_pack("{s:s, s:s, s:o}", "sender",
                                                    msgs[i].sender, "type", msgs[i].type,
                                                    "content", content));
        next = msgs[i].pos;
    }
    db_to_device_msgs_free(msgs, n);
    char next_text[32];
    snprintf(next_text, sizeof next_text, "%lld", (long long)next);
    http_reply_json(rep, 200, json_pack("{s:o, s:s}", "events", events, "next_batch", next_text));
}
