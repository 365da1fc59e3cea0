/* ephemeral.c: typing state in memory with its timer thread, receipt wake-ups
 * and the rooms' ephemeral /sync section (see ephemeral.h). */
#define LOG_MODULE "sync"
#include "sync/ephemeral.h"
#include "sync/unread.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "db/receipts.h"
#include "rooms/rooms.h"
#include "server/server.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

struct typing_entry {
    char *room_id;      /* owned */
    char *user_id;      /* owned */
    int64_t expires_ms; /* monotonic */
};

struct typing_room {
    char *room_id;  /* owned */
    int64_t serial; /* typing stream position of its last change */
};

static struct {
    pthread_mutex_t lock;          /* guards everything below */
    pthread_cond_t cond;           /* the timer waits on it (monotonic clock) */
    pthread_t thread;              /* the timer */
    bool running;                  /* the timer thread exists */
    bool stopping;                 /* asks the timer to end */
    struct server *srv;            /* borrowed, set at start */
    int64_t serial;                /* last typing stream position */
    struct typing_entry *entries;  /* who types where (owned) */
    size_t n_entries, cap_entries; /* used and allocated */
    struct typing_room *rooms;     /* per-room last change (owned) */
    size_t n_rooms, cap_rooms;     /* used and allocated */
} typing = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Under the lock: records a change in room_id, returns the new serial. */
static int64_t room_changed(const char *room_id)
{
    int64_t s = ++typing.serial;
    for (size_t i = 0; i < typing.n_rooms; i++)
        if (strcmp(typing.rooms[i].room_id, room_id) == 0) {
            typing.rooms[i].serial = s;
            return s;
        }
    if (typing.n_rooms == typing.cap_rooms) {
        typing.cap_rooms = typing.cap_rooms ? typing.cap_rooms * 2 : 16;
        typing.rooms = xrealloc(typing.rooms, typing.cap_rooms * sizeof *typing.rooms);
    }
    typing.rooms[typing.n_rooms++] = (struct typing_room){xstrdup(room_id), s};
    return s;
}

static void entry_remove(size_t i)
{
    free(typing.entries[i].room_id);
    free(typing.entries[i].user_id);
    typing.entries[i] = typing.entries[--typing.n_entries];
}

static void notify_room(struct server *srv, const char *room_id, int64_t serial)
{
    struct room *room;
    if (!srv || rooms_get(srv, room_id, &room) != 0)
        return;
    size_t n;
    char **members = rooms_joined_members(room, &n);
    notifier_users_changed(srv->notifier, NOTIFY_TYPING, serial, (const char *const *)members, n);
    for (size_t i = 0; i < n; i++)
        free(members[i]);
    free(members);
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&typing.lock);
    while (!typing.stopping) {
        int64_t now = clock_mono_ms(), next = 0;
        char **expired = NULL;
        int64_t *serials = NULL;
        size_t n_expired = 0;
        for (size_t i = 0; i < typing.n_entries;) {
            if (typing.entries[i].expires_ms <= now) {
                expired = xrealloc(expired, (n_expired + 1) * sizeof *expired);
                serials = xrealloc(serials, (n_expired + 1) * sizeof *serials);
                expired[n_expired] = xstrdup(typing.entries[i].room_id);
                serials[n_expired] = room_changed(typing.entries[i].room_id);
                n_expired++;
                entry_remove(i);
                continue;
            }
            if (!next || typing.entries[i].expires_ms < next)
                next = typing.entries[i].expires_ms;
            i++;
        }
        if (n_expired) {
            struct server *srv = typing.srv;
            pthread_mutex_unlock(&typing.lock);
            for (size_t i = 0; i < n_expired; i++) {
                notify_room(srv, expired[i], serials[i]);
                free(expired[i]);
            }
            free(expired);
            free(serials);
            pthread_mutex_lock(&typing.lock);
            continue;
        }
        if (!next) {
            pthread_cond_wait(&typing.cond, &typing.lock);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t wait_ms = next - now;
            ts.tv_sec += (time_t)(wait_ms / 1000);
            ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&typing.cond, &typing.lock, &ts);
        }
    }
    pthread_mutex_unlock(&typing.lock);
    return NULL;
}

int sync_ephemeral_start(struct server *srv)
{
    sync_unread_reset(); /* counts kept for another database (tests start several servers) */
    int64_t pos;
    int rc = db_receipts_max_pos(srv->db, &pos);
    if (rc)
        return rc;
    notifier_advance(srv->notifier, NOTIFY_RECEIPTS, pos);
    pthread_mutex_lock(&typing.lock);
    typing.srv = srv;
    typing.stopping = false;
    if (typing.serial < clock_now_ms())
        typing.serial = clock_now_ms();
    notifier_advance(srv->notifier, NOTIFY_TYPING, typing.serial);
    if (!typing.running) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&typing.cond, &attr);
        pthread_condattr_destroy(&attr);
        typing.running = pthread_create(&typing.thread, NULL, timer_main, NULL) == 0;
        if (!typing.running)
            log_error("typing timer thread failed to start");
    }
    pthread_mutex_unlock(&typing.lock);
    return 0;
}

void sync_ephemeral_stop(void)
{
    sync_unread_reset();
    pthread_mutex_lock(&typing.lock);
    bool running = typing.running;
    typing.stopping = true;
    typing.srv = NULL;
    if (running)
        pthread_cond_signal(&typing.cond);
    pthread_mutex_unlock(&typing.lock);
    if (running) {
        pthread_join(typing.thread, NULL);
        pthread_cond_destroy(&typing.cond);
    }
    pthread_mutex_lock(&typing.lock);
    typing.running = false;
    while (typing.n_entries)
        entry_remove(0);
    for (size_t i = 0; i < typing.n_rooms; i++)
        free(typing.rooms[i].room_id);
    free(typing.rooms);
    free(typing.entries);
    typing.rooms = NULL;
    typing.entries = NULL;
    typing.n_rooms = typing.cap_rooms = typing.n_entries = typing.cap_entries = 0;
    pthread_mutex_unlock(&typing.lock);
}

void sync_typing_set(struct server *srv, const char *room_id, const char *user_id, bool on,
                     int64_t timeout_ms)
{
    pthread_mutex_lock(&typing.lock);
    size_t i = 0;
    while (i < typing.n_entries && !(strcmp(typing.entries[i].room_id, room_id) == 0 &&
                                     strcmp(typing.entries[i].user_id, user_id) == 0))
        i++;
    bool was = i < typing.n_entries;
    int64_t serial = 0;
    if (on) {
        int64_t expires = clock_mono_ms() + timeout_ms;
        if (was) {
            typing.entries[i].expires_ms = expires;
        } else {
            if (typing.n_entries == typing.cap_entries) {
                typing.cap_entries = typing.cap_entries ? typing.cap_entries * 2 : 16;
                typing.entries =
                    xrealloc(typing.entries, typing.cap_entries * sizeof *typing.entries);
            }
            typing.entries[typing.n_entries++] =
                (struct typing_entry){xstrdup(room_id), xstrdup(user_id), expires};
            serial = room_changed(room_id);
        }
        if (typing.running)
            pthread_cond_signal(&typing.cond);
    } else if (was) {
        entry_remove(i);
        serial = room_changed(room_id);
    }
    pthread_mutex_unlock(&typing.lock);
    if (serial)
        notify_room(srv, room_id, serial);
}

/* The room's m.typing event when it changed after since (owned), else NULL. */
static json_t *typing_event(const char *room_id, int64_t since, bool initial)
{
    pthread_mutex_lock(&typing.lock);
    int64_t serial = 0;
    for (size_t i = 0; i < typing.n_rooms; i++)
        if (strcmp(typing.rooms[i].room_id, room_id) == 0)
            serial = typing.rooms[i].serial;
    json_t *users = json_array();
    int64_t now = clock_mono_ms();
    for (size_t i = 0; i < typing.n_entries; i++)
        if (strcmp(typing.entries[i].room_id, room_id) == 0 && typing.entries[i].expires_ms > now)
            json_array_append_new(users, json_string(typing.entries[i].user_id));
    pthread_mutex_unlock(&typing.lock);
    bool send = initial ? json_array_size(users) > 0 : serial > since;
    if (!send) {
        json_decref(users);
        return NULL;
    }
    return json_pack("{s:s, s:{s:o}}", "type", "m.typing", "content", "user_ids", users);
}

void sync_receipt_notify(struct server *srv, const char *room_id, const char *user_id,
                         bool is_private, int64_t pos)
{
    if (is_private) {
        notifier_users_changed(srv->notifier, NOTIFY_RECEIPTS, pos, &user_id, 1);
        return;
    }
    struct room *room;
    if (rooms_get(srv, room_id, &room) != 0)
        return;
    size_t n;
    char **members = rooms_joined_members(room, &n);
    notifier_users_changed(srv->notifier, NOTIFY_RECEIPTS, pos, (const char *const *)members, n);
    for (size_t i = 0; i < n; i++)
        free(members[i]);
    free(members);
}

/* The room's m.receipt event for receipts after since (owned), or NULL. */
static json_t *receipt_event(struct server *srv, const char *viewer, const char *room_id,
                             int64_t since, int64_t upto)
{
    struct db_receipt *r;
    size_t n;
    if (db_receipts_room(srv->db, room_id, since, upto, &r, &n) != 0 || !n)
        return NULL;
    json_t *content = json_object();
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].type, "m.read.private") == 0 && strcmp(r[i].user_id, viewer) != 0)
            continue;
        json_t *by_event = json_object_get(content, r[i].event_id);
        if (!by_event) {
            by_event = json_object();
            json_object_set_new(content, r[i].event_id, by_event);
        }
        json_t *by_type = json_object_get(by_event, r[i].type);
        if (!by_type) {
            by_type = json_object();
            json_object_set_new(by_event, r[i].type, by_type);
        }
        json_t *info = json_pack("{s:I}", "ts", (json_int_t)r[i].ts);
        if (r[i].thread_id[0])
            json_object_set_new(info, "thread_id", json_string(r[i].thread_id));
        json_object_set_new(by_type, r[i].user_id, info);
    }
    db_receipts_free(r, n);
    if (!json_object_size(content)) {
        json_decref(content);
        return NULL;
    }
    return json_pack("{s:s, s:o}", "type", "m.receipt", "content", content);
}

json_t *sync_ephemeral_room(struct server *srv, const struct sync_request *req,
                            const char *room_id, const struct sync_token *to, bool initial)
{
    bool fresh = initial || !req->has_since;
    json_t *events = json_array();
    if (sync_filter_section_blocks(&req->filter->ephemeral, room_id))
        return events; /* room.ephemeral lets nothing of this room through */
    int64_t since_typing = req->has_since ? req->since.pos[NOTIFY_TYPING] : 0;
    /* A token from before a restart may be ahead of the new stream. */
    if (since_typing > to->pos[NOTIFY_TYPING])
        since_typing = 0;
    json_t *t = typing_event(room_id, since_typing, fresh);
    if (t)
        json_array_append_new(events, t);
    int64_t since_r = fresh ? 0 : req->since.pos[NOTIFY_RECEIPTS];
    /* no query when the receipt stream has not moved since the token */
    json_t *r = since_r < to->pos[NOTIFY_RECEIPTS]
                    ? receipt_event(srv, req->user_id, room_id, since_r, to->pos[NOTIFY_RECEIPTS])
                    : NULL;
    if (r)
        json_array_append_new(events, r);
    sync_filter_section(&req->filter->ephemeral, room_id, events);
    return events;
}
