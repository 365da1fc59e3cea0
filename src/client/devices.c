/* devices.c: the /devices endpoints. Spec: client-server API, "Device management". */
#define LOG_MODULE "devices"
#include "base/err.h"
#include "base/log.h"
#include "client/auth.h"
#include "client/client.h"
#include "client/uia.h"
#include "db/db.h"
#include "sync/e2ee.h"

#include <string.h>

static const struct uia_flow password_flows[] = {{{"m.login.password", NULL}}};

/* Every key is present, null when unknown: matrix-nio 0.20 rejects a device
 * without display_name, last_seen_ip and last_seen_ts (as Synapse sends them). */
static json_t *device_json(const char *user_id, const struct db_device *d)
{
    (void)user_id;
    json_t *o = json_pack("{s:s}", "device_id", d->device_id);
    json_object_set_new(o, "display_name",
                        d->display_name ? json_string(d->display_name) : json_null());
    json_object_set_new(o, "last_seen_ip",
                        d->last_seen_ip ? json_string(d->last_seen_ip) : json_null());
    json_object_set_new(o, "last_seen_ts",
                        d->last_seen_ts ? json_integer(d->last_seen_ts) : json_null());
    return o;
}

/* GET /devices */
void client_devices_list(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct db_device *devices;
    size_t n;
    int rc = db_device_list(srv->db, req->user_id, &devices, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, device_json(req->user_id, &devices[i]));
        db_device_fini(&devices[i]);
    }
    free(devices);
    http_reply_json(rep, 200, json_pack("{s:o}", "devices", list));
}

/* GET /devices/{deviceId} */
void client_device_get(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct db_device d;
    int rc = db_device_get(srv->db, req->user_id, req->params[0], &d);
    if (client_reply_failure(rep, rc, "Device not found"))
        return;
    http_reply_json(rep, 200, device_json(req->user_id, &d));
    db_device_fini(&d);
}

/* PUT /devices/{deviceId}: only the display name can change. */
void client_device_put(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *name;
    if (!client_opt_string(rep, req->json, "display_name", &name))
        return;
    if (name && strlen(name) > 100) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "display_name is longer than 100 bytes");
        return;
    }
    int rc = db_device_set_name(srv->db, req->user_id, req->params[0], name);
    if (client_reply_failure(rep, rc, "Device not found"))
        return;
    http_reply_json(rep, 200, json_object());
}

/* Signs the device out (its tokens forgotten) and deletes it; a device already gone is no
 * error. */
static int delete_device(struct server *srv, const char *user_id, const char *device_id)
{
    client_auth_forget_device(srv->auth, user_id, device_id);
    int rc = db_device_delete(srv->db, user_id, device_id);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* Answers a deletion the user confirmed through UIA: the session is spent and the user's
 * device list has changed. */
static void reply_deleted(struct server *srv, struct http_request *req, struct http_reply *rep,
                          const struct uia_result *uia)
{
    uia_finish(srv->uia, uia->session);
    sync_e2ee_device_list_changed(srv, req->user_id, 0);
    http_reply_json(rep, 200, json_object());
}

/* DELETE /devices/{deviceId} (UIA) */
void client_device_delete(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct db_device d;
    int rc = db_device_get(srv->db, req->user_id, req->params[0], &d);
    if (client_reply_failure(rep, rc, "Device not found"))
        return;
    db_device_fini(&d);
    struct uia_result uia;
    if (uia_check(srv, req, rep, password_flows, 1, req->user_id, &uia))
        return;
    rc = delete_device(srv, req->user_id, req->params[0]);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    reply_deleted(srv, req, rep, &uia);
}

/* POST /delete_devices {devices: [...]} (UIA). Unknown IDs are ignored. */
void client_devices_delete(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    json_t *ids = json_object_get(req->json, "devices");
    if (!json_is_array(ids)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'devices' must be an array of device IDs");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (!json_is_string(v)) {
            http_reply_error(rep, 400, "M_BAD_JSON", "'devices' must be an array of device IDs");
            return;
        }
    }
    struct uia_result uia;
    if (uia_check(srv, req, rep, password_flows, 1, req->user_id, &uia))
        return;
    json_array_foreach(ids, i, v)
    {
        int rc = delete_device(srv, req->user_id, json_string_value(v));
        if (rc) {
            client_internal_error(rep, rc);
            return;
        }
    }
    reply_deleted(srv, req, rep, &uia);
}
