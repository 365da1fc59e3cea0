/* gateway.c: the push gateway sender and the delivery bodies (see gateway.h). */
#define LOG_MODULE "push"
#include "push/gateway.h"

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "db/db.h"
#include "db/pushers.h"
#include "http/curl_lib.h"
#include "rooms/rooms.h"
#include "server/server.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

enum {
    GATEWAY_MAX_ATTEMPTS = 12,
    GATEWAY_MAX_BACKOFF_MS = 600000,
    GATEWAY_BATCH = 16,
    GATEWAY_RESPONSE_MAX = 65536,
};

static struct {
    pthread_mutex_t lock;   /* guards everything below */
    pthread_cond_t wake;    /* new deliveries or stop (monotonic clock) */
    pthread_t thread;       /* the sender */
    bool running, stopping; /* thread state */
    struct server *srv;     /* borrowed */
    struct map users;       /* user IDs with pushers (values unused) */
    bool users_ready;       /* users initialised */
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

void push_gateway_pushers_changed(struct server *srv)
{
    struct db_pusher *p;
    size_t n;
    if (db_pushers_list(srv->db, NULL, &p, &n) != 0)
        return;
    pthread_mutex_lock(&g.lock);
    if (!g.users_ready) {
        map_init(&g.users, NULL);
        g.users_ready = true;
    }
    map_clear(&g.users);
    for (size_t i = 0; i < n; i++)
        map_put(&g.users, p[i].user_id, strlen(p[i].user_id), (void *)1);
    pthread_mutex_unlock(&g.lock);
    db_pushers_free(p, n);
}

bool push_gateway_has_pushers(const char *user_id)
{
    pthread_mutex_lock(&g.lock);
    bool yes = g.users_ready && map_get(&g.users, user_id, strlen(user_id)) != NULL;
    pthread_mutex_unlock(&g.lock);
    return yes;
}

/* The tweaks of an actions array. */
static json_t *tweaks_of(const json_t *actions)
{
    json_t *t = json_object();
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        const char *name = json_string_value(json_object_get(a, "set_tweak"));
        if (!name)
            continue;
        json_t *v = json_object_get(a, "value");
        json_object_set_new(t, name, v ? json_incref(v) : json_true());
    }
    return t;
}

/* The stream position of the user's current member event in the room (0 if none). */
static int64_t member_pos(struct server *srv, const char *room_id, const char *user_id)
{
    struct room *room;
    if (rooms_get(srv, room_id, &room) != 0)
        return 0;
    json_t *m = rooms_state_get(room, "m.room.member", user_id);
    const char *id = json_string_value(json_object_get(m, "event_id"));
    int64_t pos = 0;
    struct db_event e;
    if (id && db_event_get(srv->db, id, &e) == 0) {
        pos = e.pos;
        db_event_fini(&e);
    }
    json_decref(m);
    return pos;
}

/* The notify body for one pusher (owned). */
static json_t *notify_body(struct server *srv, const struct db_push_event *row, const json_t *pdu,
                           const char *user_id, const json_t *pusher, const json_t *actions)
{
    json_t *data = json_deep_copy(json_object_get(pusher, "data"));
    const char *format = json_string_value(json_object_get(data, "format"));
    json_object_del(data, "url");
    json_t *tweaks = tweaks_of(actions);
    bool high = json_object_get(tweaks, "sound") || json_is_true(json_object_get(tweaks, "highlight"));
    int64_t unread = 0; /* as /sync's unread_notifications without thread counts */
    struct db_push_thread_count *counts;
    size_t n_counts;
    if (db_push_unread(srv->db, user_id, row->room_id, member_pos(srv, row->room_id, user_id),
                       &counts, &n_counts) == 0) {
        for (size_t i = 0; i < n_counts; i++)
            unread += counts[i].notifications;
        db_push_thread_counts_free(counts, n_counts);
    }
    json_t *device = json_pack("{s:O, s:O, s:I, s:o, s:o}", "app_id",
                               json_object_get(pusher, "app_id"), "pushkey",
                               json_object_get(pusher, "pushkey"), "pushkey_ts",
                               (json_int_t)(json_integer_value(json_object_get(pusher, "ts")) / 1000),
                               "data", data, "tweaks", tweaks);
    json_t *n = json_pack("{s:s, s:s, s:s, s:{s:I}, s:[o]}", "event_id", row->event_id, "room_id",
                          row->room_id, "prio", high ? "high" : "low", "counts", "unread",
                          (json_int_t)unread, "devices", device);
    if (!format || strcmp(format, "event_id_only") != 0) {
        json_object_set(n, "type", json_object_get(pdu, "type"));
        json_object_set(n, "sender", json_object_get(pdu, "sender"));
        json_object_set(n, "content", json_object_get(pdu, "content"));
        const char *type = json_string_value(json_object_get(pdu, "type"));
        const char *target = json_string_value(json_object_get(pdu, "state_key"));
        if (type && target && strcmp(type, "m.room.member") == 0) /* spec: invites to the user */
            json_object_set_new(n, "user_is_target", json_boolean(strcmp(target, user_id) == 0));
        struct room *room;
        if (rooms_get(srv, row->room_id, &room) == 0) {
            json_t *name = rooms_state_get(room, "m.room.name", "");
            const char *s = json_string_value(json_object_get(json_object_get(name, "content"),
                                                              "name"));
            if (s)
                json_object_set_new(n, "room_name", json_string(s));
            json_decref(name);
            json_t *m = rooms_state_get(room, "m.room.member", row->sender);
            s = json_string_value(json_object_get(json_object_get(m, "content"), "displayname"));
            if (s)
                json_object_set_new(n, "sender_display_name", json_string(s));
            json_decref(m);
        }
    }
    return json_pack("{s:o}", "notification", n);
}

void push_gateway_event(struct server *srv, const struct db_push_event *row, const json_t *pdu,
                        const char *const *notified, size_t n_notified)
{
    struct db_delivery *d = NULL;
    size_t n = 0;
    for (size_t i = 0; i < n_notified; i++) {
        if (!push_gateway_has_pushers(notified[i]))
            continue;
        struct db_pusher *p;
        size_t np;
        if (db_pushers_list(srv->db, notified[i], &p, &np) != 0)
            continue;
        char *acts = db_push_event_actions(row, notified[i]);
        /* A pusher hears of events sent after it was set, as in Synapse (which starts it at
         * the stream's head): the worker may reach an older event only after the set. */
        json_int_t sent_ts = json_integer_value(json_object_get(pdu, "origin_server_ts"));
        json_error_t jerr;
        json_t *actions = json_loads(acts, 0, &jerr);
        free(acts);
        for (size_t k = 0; k < np; k++) {
            if (sent_ts < p[k].ts)
                continue;
            json_t *pusher = json_loads(p[k].json, 0, &jerr);
            const char *url = json_string_value(json_object_get(json_object_get(pusher, "data"),
                                                                "url"));
            if (url && strcmp(json_string_value(json_object_get(pusher, "kind")), "http") == 0) {
                json_object_set_new(pusher, "ts", json_integer(p[k].ts));
                json_t *body = notify_body(srv, row, pdu, notified[i], pusher, actions);
                d = xrealloc(d, (n + 1) * sizeof *d);
                d[n++] = (struct db_delivery){0, xstrdup(notified[i]), xstrdup(p[k].app_id),
                                              xstrdup(p[k].pushkey), xstrdup(url),
                                              json_dumps(body, JSON_COMPACT), 0, clock_now_ms()};
                json_decref(body);
            }
            json_decref(pusher);
        }
        json_decref(actions);
        db_pushers_free(p, np);
    }
    if (!n)
        return;
    if (db_deliveries_add(srv->db, d, n) != 0)
        log_error("queueing %zu push deliveries failed", n);
    db_deliveries_free(d, n);
    pthread_mutex_lock(&g.lock);
    if (g.running)
        pthread_cond_signal(&g.wake);
    pthread_mutex_unlock(&g.lock);
}

struct response {
    struct buf body; /* what the gateway answered */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct response *r = arg;
    buf_append(&r->body, data, size * nmemb);
    return size * nmemb;
}

/* Posts one delivery; true when the gateway took it (2xx). */
static bool post(struct server *srv, const struct db_delivery *d)
{
    char lib_err[200];
    const struct http_curl *c = http_curl_get(lib_err, sizeof lib_err);
    if (!c) { /* the delivery stays queued and is retried with back-off */
        log_error("%s: push gateways cannot be called", lib_err);
        return false;
    }
    CURL *curl = c->easy_init();
    if (!curl)
        return false;
    struct curl_slist *headers = c->slist_append(NULL, "Content-Type: application/json");
    struct response r;
    buf_init(&r.body, GATEWAY_RESPONSE_MAX);
    c->easy_setopt(curl, CURLOPT_URL, d->url);
    c->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    c->easy_setopt(curl, CURLOPT_POSTFIELDS, d->body);
    c->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    c->easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    c->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    c->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    c->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    c->easy_setopt(curl, CURLOPT_WRITEDATA, &r);
    c->easy_setopt(curl, CURLOPT_USERAGENT, "relais/" RELAIS_VERSION);
    CURLcode cr = c->easy_perform(curl);
    long status = 0;
    c->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    bool ok = cr == CURLE_OK && status >= 200 && status < 300;
    if (ok) { /* a rejected pushkey loses its pusher (spec: "rejected") */
        json_error_t jerr;
        json_t *ans = json_loads(buf_cstr(&r.body), 0, &jerr);
        size_t i;
        json_t *k;
        json_array_foreach(json_object_get(ans, "rejected"), i, k)
        {
            if (json_is_string(k) && strcmp(json_string_value(k), d->pushkey) == 0) {
                db_pusher_delete(srv->db, d->user_id, d->app_id, d->pushkey);
                push_gateway_pushers_changed(srv);
                log_info("pushkey rejected by the gateway user=%s app_id=%s", d->user_id,
                         d->app_id);
            }
        }
        json_decref(ans);
    } else {
        log_info("push gateway failed url=%s curl=%d status=%ld attempt=%d", d->url, (int)cr,
                 status, d->attempts + 1);
    }
    buf_fini(&r.body);
    c->slist_free_all(headers);
    c->easy_cleanup(curl);
    return ok;
}

static void wait_until(int64_t next_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t wait = next_ms ? next_ms - clock_now_ms() : 60000;
    if (wait < 0)
        return;
    if (wait > 60000)
        wait = 60000;
    ts.tv_sec += (time_t)(wait / 1000);
    ts.tv_nsec += (long)(wait % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&g.wake, &g.lock, &ts);
}

static void *sender_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g.lock);
    while (!g.stopping) {
        struct server *srv = g.srv;
        pthread_mutex_unlock(&g.lock);
        struct db_delivery *d;
        size_t n = 0;
        int64_t now = clock_now_ms();
        if (db_deliveries_due(srv->db, now, GATEWAY_BATCH, &d, &n) != 0)
            n = 0, d = NULL;
        for (size_t i = 0; i < n; i++) {
            if (post(srv, &d[i])) {
                db_delivery_done(srv->db, d[i].id);
                continue;
            }
            int attempts = d[i].attempts + 1;
            if (attempts >= GATEWAY_MAX_ATTEMPTS) {
                log_info("push delivery given up user=%s after %d attempts", d[i].user_id,
                         attempts);
                db_delivery_done(srv->db, d[i].id);
                continue;
            }
            int64_t backoff = 1000LL << (attempts - 1 < 20 ? attempts - 1 : 20);
            if (backoff > GATEWAY_MAX_BACKOFF_MS)
                backoff = GATEWAY_MAX_BACKOFF_MS;
            db_delivery_retry(srv->db, d[i].id, attempts, clock_now_ms() + backoff);
        }
        db_deliveries_free(d, n);
        int64_t next = 0;
        db_deliveries_next(srv->db, &next);
        pthread_mutex_lock(&g.lock);
        if (!g.stopping && (n < GATEWAY_BATCH || !next))
            wait_until(next);
    }
    pthread_mutex_unlock(&g.lock);
    return NULL;
}

int push_gateway_start(struct server *srv)
{
    push_gateway_pushers_changed(srv);
    pthread_mutex_lock(&g.lock);
    g.srv = srv;
    g.stopping = false;
    int rc = 0;
    if (!g.running) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&g.wake, &attr);
        pthread_condattr_destroy(&attr);
        g.running = pthread_create(&g.thread, NULL, sender_main, NULL) == 0;
        if (!g.running)
            rc = ERR_INTERNAL;
    }
    pthread_mutex_unlock(&g.lock);
    return rc;
}

void push_gateway_stop(void)
{
    pthread_mutex_lock(&g.lock);
    bool running = g.running;
    g.stopping = true;
    if (running)
        pthread_cond_signal(&g.wake);
    pthread_mutex_unlock(&g.lock);
    if (running) {
        pthread_join(g.thread, NULL);
        pthread_cond_destroy(&g.wake);
    }
    pthread_mutex_lock(&g.lock);
    g.running = false;
    if (g.users_ready) {
        map_fini(&g.users);
        g.users_ready = false;
    }
    pthread_mutex_unlock(&g.lock);
}
