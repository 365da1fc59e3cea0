/* sync.c: GET /sync with long-polling, and the filter endpoints.
 * A sync with nothing new suspends its connection on the notifier until a
 * change for the user or the timeout; it never polls.
 * Spec: client-server "Syncing", "Filtering". */
#define LOG_MODULE "sync"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/client.h"
#include "db/db.h"
#include "json/parse.h"
#include "sync/notify.h"
#include "sync/presence.h"
#include "sync/sync.h"

#include <string.h>

enum { SYNC_MAX_TIMEOUT_MS = 5 * 60 * 1000, SYNC_MAX_RECOMPUTE = 8 };

/* The request's parsed parameters, kept across suspensions. */
struct sync_state {
    struct sync_request req;
    struct sync_filter filter;
    int64_t deadline_ms;   /* monotonic; 0 = answer at once */
    struct server *srv;
    struct http_request *http;
};

static void sync_state_free(void *p)
{
    struct sync_state *s = p;
    notifier_cancel(s->srv->notifier, s->http);
    sync_filter_fini(&s->filter);
    free(s);
}

/* Loads the filter named by the "filter" parameter: a stored filter ID or inline JSON. */
static int load_filter(struct server *srv, struct http_request *req, struct http_reply *rep,
                       struct sync_filter *f)
{
    const char *param = http_query(req, "filter");
    json_t *j = NULL;
    char reason[200] = "";
    if (param && param[0] == '{') {
        if (json_parse_bounded(param, strlen(param), 32, &j, reason, sizeof reason)) {
            http_reply_error(rep, 400, "M_INVALID_PARAM", "filter is not valid JSON");
            return 1;
        }
    } else if (param) {
        int64_t id;
        char *text = NULL;
        if (str_to_i64(param, strlen(param), 0, INT64_MAX, &id) ||
            db_filter_get(srv->db, req->user_id, id, &text)) {
            http_reply_error(rep, 400, "M_INVALID_PARAM", "No such filter");
            return 1;
        }
        json_error_t jerr;
        j = json_loads(text, 0, &jerr);
        free(text);
    }
    int rc = sync_filter_parse(j, f, reason, sizeof reason);
    json_decref(j);
    if (rc) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "%s", reason);
        return 1;
    }
    return 0;
}

static int start(struct http_request *req, struct http_reply *rep, struct sync_state **out)
{
    struct server *srv = client_server(req);
    struct sync_state *s = xcalloc(1, sizeof *s);
    s->srv = srv;
    s->http = req;
    s->req.user_id = req->user_id;
    s->req.device_id = req->device_id;
    s->req.filter = &s->filter;
    const char *since = http_query(req, "since");
    if (since && since[0]) {
        if (sync_token_parse(since, &s->req.since)) {
            free(s);
            http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid since token");
            return 1;
        }
        s->req.has_since = true;
    }
    const char *full_state = http_query(req, "full_state");
    s->req.full_state = full_state && strcmp(full_state, "true") == 0;
    const char *after = http_query(req, "use_state_after");
    const char *after_msc = http_query(req, "org.matrix.msc4222.use_state_after");
    s->req.state_after = after && strcmp(after, "true") == 0           ? 1
                         : after_msc && strcmp(after_msc, "true") == 0 ? 2
                                                                       : 0;
    const char *timeout = http_query(req, "timeout");
    int64_t timeout_ms = 0;
    if (timeout && str_to_i64(timeout, strlen(timeout), 0, INT64_MAX, &timeout_ms)) {
        free(s);
        http_reply_error(rep, 400, "M_INVALID_PARAM", "timeout must be a whole number of ms");
        return 1;
    }
    if (timeout_ms > SYNC_MAX_TIMEOUT_MS)
        timeout_ms = SYNC_MAX_TIMEOUT_MS;
    const char *set_presence = http_query(req, "set_presence");
    if (set_presence && !sync_presence_valid(set_presence)) {
        free(s);
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         "set_presence must be online, unavailable or offline");
        return 1;
    }
    if (load_filter(srv, req, rep, &s->filter)) {
        free(s);
        return 1;
    }
    sync_presence_syncing(srv, req->user_id, set_presence, timeout_ms);
    s->deadline_ms = timeout_ms ? clock_mono_ms() + timeout_ms : 0;
    req->handler_state = s;
    req->handler_state_free = sync_state_free;
    *out = s;
    return 0;
}

/* GET /sync */
void client_sync(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct sync_state *s = req->handler_state;
    if (!s && start(req, rep, &s))
        return;
    for (int attempt = 0; attempt < SYNC_MAX_RECOMPUTE; attempt++) {
        uint64_t seq = notifier_user_seq(srv->notifier, req->user_id);
        struct sync_token to;
        notifier_positions(srv->notifier, to.pos);
        json_t *body;
        bool changes;
        int rc = sync_compute(srv, &s->req, &to, &body, &changes);
        if (rc) {
            client_internal_error(rep, rc);
            return;
        }
        bool waitable = s->req.has_since && !s->req.full_state && !changes &&
                        s->deadline_ms > clock_mono_ms();
        if (!waitable) {
            http_reply_json(rep, 200, body);
            return;
        }
        json_decref(body);
        if (notifier_wait(srv->notifier, req->user_id, seq, s->deadline_ms, req))
            return; /* suspended: runs again on a change or at the deadline */
    }
    /* Changes kept arriving for others while we computed: answer what we have. */
    struct sync_token to;
    notifier_positions(srv->notifier, to.pos);
    json_t *body;
    bool changes;
    int rc = sync_compute(srv, &s->req, &to, &body, &changes);
    if (rc)
        client_internal_error(rep, rc);
    else
        http_reply_json(rep, 200, body);
}

/* POST /user/{userId}/filter */
void client_filter_create(struct http_request *req, struct http_reply *rep)
{
    if (strcmp(req->params[0], req->user_id) != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "Cannot create filters for other users");
        return;
    }
    struct sync_filter f;
    char reason[200];
    if (sync_filter_parse(req->json, &f, reason, sizeof reason)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "%s", reason);
        return;
    }
    sync_filter_fini(&f);
    char *text = json_dumps(req->json, JSON_COMPACT);
    int64_t id;
    int rc = db_filter_create(client_server(req)->db, req->user_id, text, &id);
    free(text);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    char id_text[32];
    snprintf(id_text, sizeof id_text, "%lld", (long long)id);
    http_reply_json(rep, 200, json_pack("{s:s}", "filter_id", id_text));
}

/* GET /user/{userId}/filter/{filterId} */
void client_filter_get(struct http_request *req, struct http_reply *rep)
{
    int64_t id;
    char *text = NULL;
    if (strcmp(req->params[0], req->user_id) != 0) { /* as Synapse */
        http_reply_error(rep, 403, "M_FORBIDDEN", "Cannot get filters for other users");
        return;
    }
    if (str_to_i64(req->params[1], strlen(req->params[1]), 0, INT64_MAX, &id) ||
        db_filter_get(client_server(req)->db, req->user_id, id, &text)) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "No such filter");
        return;
    }
    rep->body = text;
    rep->body_len = strlen(text);
    rep->content_type = "application/json";
    rep->status = 200;
}
