/* notifications.c: GET /notifications — the events that notified the user,
 * newest first, with their actions and whether they have been read (a read
 * receipt at or after them). Spec: client-server "Listing Notifications". */
#define LOG_MODULE "notifications"
#include "client/conversation.h"

#include "base/err.h"
#include "base/str.h"
#include "db/db.h"
#include "db/push.h"
#include "db/receipts.h"
#include "push/queue.h"
#include "rooms/rooms.h"
#include "sync/notify.h"

#include <stdio.h>
#include <string.h>

enum { NOTIFICATIONS_DEFAULT_LIMIT = 50, NOTIFICATIONS_MAX_LIMIT = 1000 };

void client_notifications(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *from = http_query(req, "from"), *limit_s = http_query(req, "limit");
    const char *only = http_query(req, "only");
    int64_t before = 0, limit = NOTIFICATIONS_DEFAULT_LIMIT;
    if (from && (str_to_i64(from, strlen(from), 1, INT64_MAX, &before) != 0)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid 'from' token");
        return;
    }
    if (limit_s && str_to_i64(limit_s, strlen(limit_s), 0, INT64_MAX, &limit) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "'limit' must be a non-negative integer");
        return;
    }
    if (limit > NOTIFICATIONS_MAX_LIMIT)
        limit = NOTIFICATIONS_MAX_LIMIT;
    bool only_highlight = only && strcmp(only, "highlight") == 0;
    /* the list is the push worker's rows: those of every event sent so far */
    push_wait_processed(notifier_position(srv->notifier, NOTIFY_EVENTS), 2000);
    struct db_push_event *rows;
    size_t n;
    int rc = db_push_notifications(srv->db, req->user_id, before, (size_t)limit, only_highlight,
                                   &rows, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        struct db_event e;
        if (db_event_get(srv->db, rows[i].event_id, &e) != 0)
            continue;
        int64_t upto = 0;
        db_receipt_read_upto(srv->db, rows[i].room_id, req->user_id, rows[i].thread_id, &upto);
        json_error_t jerr;
        char *text = db_push_event_actions(&rows[i], req->user_id);
        json_t *actions = json_loads(text, 0, &jerr);
        free(text);
        json_array_append_new(
            list, json_pack("{s:o, s:o, s:b, s:s, s:I}", "actions", actions ? actions : json_array(),
                            "event", rooms_event_client_format(srv, &e, req->user_id, NULL),
                            "read", rows[i].event_pos <= upto, "room_id", rows[i].room_id, "ts",
                            (json_int_t)rows[i].ts));
        db_event_fini(&e);
    }
    json_t *body = json_pack("{s:o}", "notifications", list);
    if (n && (int64_t)n == limit) {
        char token[32];
        snprintf(token, sizeof token, "%lld", (long long)rows[n - 1].event_pos);
        json_object_set_new(body, "next_token", json_string(token));
    }
    db_push_events_free(rows, n);
    http_reply_json(rep, 200, body);
}
