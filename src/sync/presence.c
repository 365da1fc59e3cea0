/* presence.c: presence state in memory, its timeouts and the /sync section
 * (see presence.h). */
#define LOG_MODULE "presence"
#include "sync/presence.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "base/str.h"
#include "db/db.h"
#include "rooms/rooms.h"
#include "server/server.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

enum {
    PRESENCE_CHECK_MS = 1000,       /* how often timeouts are checked */
    PRESENCE_ACTIVE_MS = 60 * 1000, /* currently_active within this of activity */
};

struct presence {
    char state[16];         /* as set: online, unavailable, offline */
    char shown[16];         /* as last published (after timeouts) */
    char *status_msg;       /* owned, or NULL */
    int64_t last_active_ms; /* wall clock of the last activity */
    int64_t syncing_until;  /* monotonic: a /sync is (or was lately) open until then */
    int64_t serial;         /* presence stream position of its last change */
};

static struct {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;  /* the checker sleeps on it (monotonic) */
    pthread_t thread;     /* the checker */
    bool running, stopping;
    struct server *srv;   /* borrowed */
    struct map users;     /* user ID -> struct presence * */
    bool ready;           /* users initialised */
    int64_t serial;       /* last presence stream position */
} p = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool enabled(const struct server *srv)
{
    return srv->cfg->presence_enabled != 0;
}

static void presence_free(void *v)
{
    struct presence *e = v;
    free(e->status_msg);
    free(e);
}

static void ensure_ready(void)
{
    if (!p.ready) {
        map_init(&p.users, presence_free);
        p.ready = true;
        if (p.serial < clock_now_ms())
            p.serial = clock_now_ms();
    }
}

/* Under the lock: the entry (created offline). */
static struct presence *entry(const char *user_id)
{
    ensure_ready();
    struct presence *e = map_get(&p.users, user_id, strlen(user_id));
    if (!e) {
        e = xcalloc(1, sizeof *e);
        memcpy(e->state, "offline", 8);
        memcpy(e->shown, "offline", 8);
        map_put(&p.users, user_id, strlen(user_id), e);
    }
    return e;
}

/* What the state is now, after the idle and sync timeouts. */
static const char *effective(const struct presence *e, int64_t now_wall, int64_t now_mono)
{
    if (strcmp(e->state, "offline") == 0)
        return "offline";
    if (e->syncing_until && now_mono > e->syncing_until)
        return "offline";
    int64_t idle = p.srv ? p.srv->cfg->presence_idle_timeout_ms : 300000;
    if (strcmp(e->state, "online") == 0 && now_wall - e->last_active_ms > idle)
        return "unavailable";
    return e->state;
}

bool sync_presence_valid(const char *state)
{
    return state && (strcmp(state, "online") == 0 || strcmp(state, "offline") == 0 ||
                     strcmp(state, "unavailable") == 0);
}

/* Wakes user_id and everyone who shares a joined room with them. */
static void notify_sharing(struct server *srv, const char *user_id, int64_t serial)
{
    struct db_membership *ms;
    size_t n_ms;
    const char *self = user_id;
    notifier_users_changed(srv->notifier, NOTIFY_PRESENCE, serial, &self, 1);
    if (db_user_memberships(srv->db, user_id, &ms, &n_ms) != 0)
        return;
    for (size_t i = 0; i < n_ms; i++) {
        struct room *room;
        if (strcmp(ms[i].membership, "join") != 0 || rooms_get(srv, ms[i].room_id, &room) != 0)
            continue;
        size_t n;
        char **members = rooms_joined_members(room, &n);
        notifier_users_changed(srv->notifier, NOTIFY_PRESENCE, serial,
                               (const char *const *)members, n);
        for (size_t k = 0; k < n; k++)
            free(members[k]);
        free(members);
    }
    db_memberships_free(ms, n_ms);
}

/* Under the lock: publishes e's effective state if it changed; returns the
 * new serial or 0. */
static int64_t publish(struct presence *e, bool force)
{
    const char *now = effective(e, clock_now_ms(), clock_mono_ms());
    if (!force && strcmp(now, e->shown) == 0)
        return 0;
    size_t len = strlen(now);
    memcpy(e->shown, now, len + 1);
    e->serial = ++p.serial;
    return e->serial;
}

void sync_presence_set(struct server *srv, const char *user_id, const char *state,
                       const char *status_msg)
{
    if (!enabled(srv))
        return;
    pthread_mutex_lock(&p.lock);
    if (!p.srv)
        p.srv = srv;
    struct presence *e = entry(user_id);
    bool msg_changed = false;
    {
        const char *old = e->status_msg ? e->status_msg : "";
        const char *new_msg = status_msg ? status_msg : "";
        msg_changed = strcmp(old, new_msg) != 0;
        free(e->status_msg);
        e->status_msg = status_msg ? xstrdup(status_msg) : NULL;
    }
    size_t len = strlen(state);
    memcpy(e->state, state, len + 1);
    if (strcmp(state, "online") == 0)
        e->last_active_ms = clock_now_ms();
    if (strcmp(state, "offline") != 0 && e->syncing_until &&
        clock_mono_ms() > e->syncing_until)
        e->syncing_until = 0; /* set explicitly: not tied to a past /sync */
    int64_t serial = publish(e, msg_changed);
    pthread_mutex_unlock(&p.lock);
    if (serial)
        notify_sharing(srv, user_id, serial);
}

static json_t *content_of(const struct presence *e, bool self_view)
{
    (void)self_view;
    json_t *c = json_pack("{s:s}", "presence", e->shown);
    if (e->last_active_ms) {
        int64_t ago = clock_now_ms() - e->last_active_ms;
        json_object_set_new(c, "last_active_ago", json_integer(ago < 0 ? 0 : ago));
        json_object_set_new(c, "currently_active",
                            json_boolean(strcmp(e->shown, "online") == 0 &&
                                         ago < PRESENCE_ACTIVE_MS));
    }
    if (e->status_msg)
        json_object_set_new(c, "status_msg", json_string(e->status_msg));
    return c;
}

json_t *sync_presence_get(struct server *srv, const char *user_id)
{
    if (!enabled(srv))
        return json_pack("{s:s}", "presence", "offline");
    pthread_mutex_lock(&p.lock);
    ensure_ready();
    struct presence *e = map_get(&p.users, user_id, strlen(user_id));
    json_t *c = e ? content_of(e, false) : json_pack("{s:s}", "presence", "offline");
    pthread_mutex_unlock(&p.lock);
    return c;
}

static void start_checker(struct server *srv);

void sync_presence_syncing(struct server *srv, const char *user_id, const char *set_presence,
                           int64_t timeout_ms)
{
    if (!enabled(srv))
        return;
    start_checker(srv);
    const char *state = set_presence ? set_presence : "online";
    pthread_mutex_lock(&p.lock);
    struct presence *e = entry(user_id);
    /* "offline" on /sync leaves the presence as it is (spec) */
    if (strcmp(state, "offline") != 0) {
        e->syncing_until = clock_mono_ms() + timeout_ms + srv->cfg->presence_offline_timeout_ms;
        if (strcmp(e->state, state) != 0) {
            memcpy(e->state, state, strlen(state) + 1);
            if (strcmp(state, "online") == 0)
                e->last_active_ms = clock_now_ms();
        }
    }
    int64_t serial = publish(e, false);
    pthread_mutex_unlock(&p.lock);
    if (serial)
        notify_sharing(srv, user_id, serial);
}

bool sync_presence_share_room(struct server *srv, const char *viewer, const char *user_id)
{
    if (strcmp(viewer, user_id) == 0)
        return true;
    struct db_membership *ms;
    size_t n_ms;
    if (db_user_memberships(srv->db, viewer, &ms, &n_ms) != 0)
        return false;
    bool shared = false;
    for (size_t i = 0; i < n_ms && !shared; i++) {
        struct room *room;
        shared = strcmp(ms[i].membership, "join") == 0 &&
                 rooms_get(srv, ms[i].room_id, &room) == 0 &&
                 strcmp(rooms_membership_of(room, user_id), "join") == 0;
    }
    db_memberships_free(ms, n_ms);
    return shared;
}

struct collect {
    int64_t since;        /* changes after this */
    char **users;         /* changed users (owned copies) */
    json_t **contents;    /* their contents (owned) */
    size_t n;             /* entries */
    int64_t max_serial;   /* highest serial seen */
};

static void collect_fn(const char *key, size_t key_len, void *value, void *ctx)
{
    struct collect *c = ctx;
    struct presence *e = value;
    if (e->serial > c->max_serial)
        c->max_serial = e->serial;
    if (e->serial <= c->since)
        return;
    c->users = xrealloc(c->users, (c->n + 1) * sizeof *c->users);
    c->contents = xrealloc(c->contents, (c->n + 1) * sizeof *c->contents);
    char *u = xmalloc(key_len + 1);
    memcpy(u, key, key_len);
    u[key_len] = '\0';
    c->users[c->n] = u;
    c->contents[c->n] = content_of(e, false);
    c->n++;
}

/* Whether other shares a joined room with user (their joined rooms). */
static bool shares_room(struct server *srv, const struct db_membership *ms, size_t n_ms,
                        const char *other)
{
    for (size_t i = 0; i < n_ms; i++) {
        struct room *room;
        if (strcmp(ms[i].membership, "join") != 0 || rooms_get(srv, ms[i].room_id, &room) != 0)
            continue;
        if (strcmp(rooms_membership_of(room, other), "join") == 0)
            return true;
    }
    return false;
}

static json_t *presence_events(struct server *srv, const struct sync_request *req,
                               const struct sync_token *to, struct sync_token *next)
{
    json_t *events = json_array();
    if (!enabled(srv) || sync_filter_section_blocks(&req->filter->presence, NULL) ||
        !sync_filter_section_type(&req->filter->presence, "m.presence"))
        return events; /* the filter lets no presence through: nothing to collect */
    int64_t since = req->has_since ? req->since.pos[NOTIFY_PRESENCE] : 0;
    if (since > to->pos[NOTIFY_PRESENCE]) /* a token from before a restart */
        since = 0;
    struct collect c = {.since = since};
    pthread_mutex_lock(&p.lock);
    ensure_ready();
    map_each(&p.users, collect_fn, &c);
    pthread_mutex_unlock(&p.lock);
    if (c.max_serial > next->pos[NOTIFY_PRESENCE])
        next->pos[NOTIFY_PRESENCE] = c.max_serial;
    struct db_membership *ms = NULL;
    size_t n_ms = 0;
    if (c.n && db_user_memberships(srv->db, req->user_id, &ms, &n_ms) != 0)
        n_ms = 0;
    for (size_t i = 0; i < c.n; i++) {
        bool show = strcmp(c.users[i], req->user_id) == 0 ||
                    shares_room(srv, ms, n_ms, c.users[i]);
        if (show)
            json_array_append_new(events, json_pack("{s:s, s:s, s:O}", "type", "m.presence",
                                                    "sender", c.users[i], "content",
                                                    c.contents[i]));
        json_decref(c.contents[i]);
        free(c.users[i]);
    }
    free(c.users);
    free(c.contents);
    if (ms)
        db_memberships_free(ms, n_ms);
    sync_filter_section(&req->filter->presence, NULL, events);
    return events;
}

struct expired {
    char **users;     /* owned */
    int64_t *serials; /* their new serials */
    size_t n;         /* entries */
};

static void check_fn(const char *key, size_t key_len, void *value, void *ctx)
{
    struct expired *x = ctx;
    int64_t serial = publish(value, false);
    if (!serial)
        return;
    x->users = xrealloc(x->users, (x->n + 1) * sizeof *x->users);
    x->serials = xrealloc(x->serials, (x->n + 1) * sizeof *x->serials);
    char *u = xmalloc(key_len + 1);
    memcpy(u, key, key_len);
    u[key_len] = '\0';
    x->users[x->n] = u;
    x->serials[x->n++] = serial;
}

static void *checker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&p.lock);
    while (!p.stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += PRESENCE_CHECK_MS / 1000;
        pthread_cond_timedwait(&p.cond, &p.lock, &ts);
        if (p.stopping)
            break;
        struct expired x = {0};
        ensure_ready();
        map_each(&p.users, check_fn, &x); /* check_fn changes values only, not the map */
        struct server *srv = p.srv;
        pthread_mutex_unlock(&p.lock);
        for (size_t i = 0; i < x.n; i++) {
            notify_sharing(srv, x.users[i], x.serials[i]);
            free(x.users[i]);
        }
        free(x.users);
        free(x.serials);
        pthread_mutex_lock(&p.lock);
    }
    pthread_mutex_unlock(&p.lock);
    return NULL;
}

bool sync_presence_section(struct server *srv, const struct sync_request *req,
                           const struct sync_token *to, json_t *out)
{
    struct sync_token next;
    const char *nb = json_string_value(json_object_get(out, "next_batch"));
    if (!nb || sync_token_parse(nb, &next) != 0)
        next = *to;
    json_t *events = presence_events(srv, req, to, &next);
    bool any = json_array_size(events) > 0;
    json_object_set_new(out, "presence", json_pack("{s:o}", "events", events));
    char text[200];
    sync_token_format(&next, text, sizeof text);
    json_object_set_new(out, "next_batch", json_string(text));
    return any;
}

/* Starts the timeout checker once (it lives until the process ends). */
static void start_checker(struct server *srv)
{
    pthread_mutex_lock(&p.lock);
    if (p.running) {
        pthread_mutex_unlock(&p.lock);
        return;
    }
    ensure_ready();
    p.srv = srv;
    p.stopping = false;
    if (enabled(srv) && !p.running) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&p.cond, &attr);
        pthread_condattr_destroy(&attr);
        p.running = pthread_create(&p.thread, NULL, checker_main, NULL) == 0;
        if (!p.running)
            log_error("presence timeout thread failed to start");
    }
    pthread_mutex_unlock(&p.lock);
}

void sync_presence_stop(void)
{
    pthread_mutex_lock(&p.lock);
    bool running = p.running;
    p.stopping = true;
    if (running)
        pthread_cond_signal(&p.cond);
    pthread_mutex_unlock(&p.lock);
    if (running) {
        pthread_join(p.thread, NULL);
        pthread_cond_destroy(&p.cond);
    }
    pthread_mutex_lock(&p.lock);
    p.running = false;
    p.srv = NULL;
    if (p.ready) {
        map_fini(&p.users);
        p.ready = false;
    }
    pthread_mutex_unlock(&p.lock);
}
