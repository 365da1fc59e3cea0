/* to_device.c: PUT /sendToDevice/{eventType}/{txnId}. Messages are queued per
 * target device ("*": every device of the user), delivered through /sync
 * to_device and deleted once a later sync acknowledges them (src/sync/e2ee.c).
 * Idempotent per (sender, device, txnId). Spec: client-server API,
 * "Send-to-Device messaging". */
#define LOG_MODULE "to_device"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/client.h"
#include "db/db.h"
#include "sync/notify.h"

#include <string.h>

enum { TO_DEVICE_MAX_TARGETS = 10000 };

/* Appends a target (strings borrowed from the request or devs). */
static void add_target(struct db_to_device_write **w, size_t *n, size_t *cap, const char *user,
                       const char *device, const char *content)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *w = xrealloc(*w, *cap * sizeof **w);
    }
    (*w)[(*n)++] = (struct db_to_device_write){user, device, content};
}

/* PUT /sendToDevice/{eventType}/{txnId} */
void client_send_to_device(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *type = req->params[0], *txn_id = req->params[1];
    json_t *messages = json_object_get(req->json, "messages");
    if (!json_is_object(messages)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'messages' must be an object");
        return;
    }
    struct db_to_device_write *w = NULL;
    size_t n = 0, cap = 0, n_users = 0;
    const char **users = xcalloc(json_object_size(messages) + 1, sizeof(char *));
    struct db_device **lists = xcalloc(json_object_size(messages) + 1, sizeof *lists);
    size_t *list_lens = xcalloc(json_object_size(messages) + 1, sizeof(size_t));
    const char *user_id;
    json_t *devices;
    bool failed = false;
    json_object_foreach(messages, user_id, devices)
    {
        if (!json_is_object(devices)) {
            http_reply_error(rep, 400, "M_BAD_JSON", "messages.%s must be an object", user_id);
            failed = true;
            break;
        }
        const char *device_id;
        json_t *content;
        json_object_foreach(devices, device_id, content)
        {
            if (!json_is_object(content)) {
                http_reply_error(rep, 400, "M_BAD_JSON", "Message content must be an object");
                failed = true;
                break;
            }
        }
        if (failed)
            break;
        size_t u = n_users++;
        users[u] = user_id;
        /* "*" needs the whole device list; named devices are looked up one by one. */
        if (json_object_get(devices, "*") &&
            db_device_list(srv->db, user_id, &lists[u], &list_lens[u]))
            list_lens[u] = 0;
        json_object_foreach(devices, device_id, content)
        {
            char *text = json_dumps(content, JSON_COMPACT);
            const char *ctext = arena_strdup(&req->arena, text);
            free(text);
            if (!ctext) {
                http_reply_error(rep, 413, "M_TOO_LARGE", "Messages too large");
                failed = true;
                break;
            }
            if (strcmp(device_id, "*") == 0) {
                for (size_t d = 0; d < list_lens[u]; d++)
                    add_target(&w, &n, &cap, user_id, lists[u][d].device_id, ctext);
            } else {
                struct db_device dev;
                if (db_device_get(srv->db, user_id, device_id, &dev) == 0) {
                    db_device_fini(&dev);
                    add_target(&w, &n, &cap, user_id, device_id, ctext);
                }
            }
            if (n > TO_DEVICE_MAX_TARGETS) {
                http_reply_error(rep, 400, "M_TOO_LARGE", "Too many target devices");
                failed = true;
                break;
            }
        }
        if (failed)
            break;
    }
    if (!failed) {
        int64_t pos = 0;
        bool duplicate;
        int rc = db_to_device_send(srv->db, req->user_id, req->device_id ? req->device_id : "",
                                   txn_id, type, w, n, &pos, &duplicate);
        if (rc) {
            client_internal_error(rep, rc);
        } else {
            if (!duplicate && n)
                notifier_users_changed(srv->notifier, NOTIFY_TO_DEVICE, pos, users, n_users);
            log_debug("to-device type=%s targets=%zu duplicate=%d", type, n, duplicate);
            http_reply_json(rep, 200, json_object());
        }
    }
    for (size_t u = 0; u < n_users; u++) {
        for (size_t d = 0; d < list_lens[u]; d++)
            db_device_fini(&lists[u][d]);
        free(lists[u]);
    }
    free(lists);
    free(list_lens);
    free(users);
    free(w);
}
