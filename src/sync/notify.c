/* notify.c: per-user change counters and suspended /sync requests (see notify.h).
 *
 * Design notes:
 * 1. One mutex guards everything; every operation under it is O(waiters of one
 *    user) or O(log) bookkeeping, never I/O.
 * 2. A waiter is resumed exactly once: whoever unlinks it (notify, timer,
 *    shutdown) calls http_request_resume after unlinking, under the lock.
 * 3. The timer thread sleeps on a condition variable until the earliest
 *    deadline; new earlier deadlines signal it. */
#define LOG_MODULE "notify"
#include "sync/notify.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

struct waiter {
    struct http_request *req; /* borrowed until resumed */
    int64_t deadline_ms;      /* monotonic */
    struct user_entry *user;  /* the list it is on */
    struct waiter *next_user, *prev_user; /* the user's list */
    struct waiter *next_all, *prev_all;   /* every waiter, for the timer */
};

struct user_entry {
    uint64_t seq;          /* bumped on every change for the user */
    struct waiter *head;   /* suspended requests */
};

struct notifier {
    pthread_mutex_t lock;
    pthread_cond_t timer_cond;     /* wakes the timer thread */
    pthread_t timer;
    bool stopping;
    int64_t pos[NOTIFY_N_STREAMS]; /* global stream positions */
    struct map users;              /* user_id -> struct user_entry */
    struct waiter *all;            /* every waiter */
    struct map by_req;             /* request pointer -> struct waiter (for cancel) */
};

static struct user_entry *user_get(struct notifier *n, const char *user_id)
{
    size_t len = strlen(user_id);
    struct user_entry *u = map_get(&n->users, user_id, len);
    if (!u) {
        u = xcalloc(1, sizeof *u);
        map_put(&n->users, user_id, len, u);
    }
    return u;
}

static void unlink_waiter(struct notifier *n, struct waiter *w)
{
    if (w->prev_user)
        w->prev_user->next_user = w->next_user;
    else
        w->user->head = w->next_user;
    if (w->next_user)
        w->next_user->prev_user = w->prev_user;
    if (w->prev_all)
        w->prev_all->next_all = w->next_all;
    else
        n->all = w->next_all;
    if (w->next_all)
        w->next_all->prev_all = w->prev_all;
    map_del(&n->by_req, (const char *)&w->req, sizeof w->req);
}

static void fire(struct notifier *n, struct waiter *w)
{
    unlink_waiter(n, w);
    http_request_resume(w->req);
    free(w);
}

static void *timer_main(void *arg)
{
    struct notifier *n = arg;
    pthread_mutex_lock(&n->lock);
    while (!n->stopping) {
        int64_t now = clock_mono_ms(), next = now + 60000;
        for (struct waiter *w = n->all, *nx; w; w = nx) {
            nx = w->next_all;
            if (w->deadline_ms <= now)
                fire(n, w);
            else if (w->deadline_ms < next)
                next = w->deadline_ms;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t wait_ms = next - now;
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&n->timer_cond, &n->lock, &ts);
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

struct notifier *notifier_new(void)
{
    struct notifier *n = xcalloc(1, sizeof *n);
    pthread_mutex_init(&n->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&n->timer_cond, &attr);
    pthread_condattr_destroy(&attr);
    map_init(&n->users, free);
    map_init(&n->by_req, NULL);
    pthread_create(&n->timer, NULL, timer_main, n);
    return n;
}

void notifier_stop(struct notifier *n)
{
    pthread_mutex_lock(&n->lock);
    bool was_stopping = n->stopping;
    while (n->all)
        fire(n, n->all);
    n->stopping = true;
    pthread_cond_signal(&n->timer_cond);
    pthread_mutex_unlock(&n->lock);
    if (!was_stopping)
        pthread_join(n->timer, NULL);
}

void notifier_free(struct notifier *n)
{
    if (!n)
        return;
    notifier_stop(n);
    map_fini(&n->users);
    map_fini(&n->by_req);
    pthread_cond_destroy(&n->timer_cond);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

void notifier_advance(struct notifier *n, enum notify_stream s, int64_t pos)
{
    pthread_mutex_lock(&n->lock);
    if (pos > n->pos[s])
        n->pos[s] = pos;
    pthread_mutex_unlock(&n->lock);
}

int64_t notifier_position(struct notifier *n, enum notify_stream s)
{
    pthread_mutex_lock(&n->lock);
    int64_t p = n->pos[s];
    pthread_mutex_unlock(&n->lock);
    return p;
}

void notifier_positions(struct notifier *n, int64_t out[NOTIFY_N_STREAMS])
{
    pthread_mutex_lock(&n->lock);
    memcpy(out, n->pos, sizeof n->pos);
    pthread_mutex_unlock(&n->lock);
}

uint64_t notifier_user_seq(struct notifier *n, const char *user_id)
{
    pthread_mutex_lock(&n->lock);
    uint64_t seq = user_get(n, user_id)->seq;
    pthread_mutex_unlock(&n->lock);
    return seq;
}

void notifier_users_changed(struct notifier *n, enum notify_stream s, int64_t pos,
                            const char *const *user_ids, size_t n_users)
{
    pthread_mutex_lock(&n->lock);
    if (pos > n->pos[s])
        n->pos[s] = pos;
    for (size_t i = 0; i < n_users; i++) {
        struct user_entry *u = user_get(n, user_ids[i]);
        u->seq++;
        while (u->head)
            fire(n, u->head);
    }
    pthread_mutex_unlock(&n->lock);
}

bool notifier_wait(struct notifier *n, const char *user_id, uint64_t seq, int64_t deadline_ms,
                   struct http_request *req)
{
    pthread_mutex_lock(&n->lock);
    struct user_entry *u = user_get(n, user_id);
    if (u->seq != seq || n->stopping) {
        pthread_mutex_unlock(&n->lock);
        return false;
    }
    struct waiter *w = xcalloc(1, sizeof *w);
    w->req = req;
    w->deadline_ms = deadline_ms;
    w->user = u;
    w->next_user = u->head;
    if (u->head)
        u->head->prev_user = w;
    u->head = w;
    w->next_all = n->all;
    if (n->all)
        n->all->prev_all = w;
    n->all = w;
    map_put(&n->by_req, (const char *)&req, sizeof req, w);
    http_request_suspend(req);
    pthread_cond_signal(&n->timer_cond);
    pthread_mutex_unlock(&n->lock);
    return true;
}

void notifier_cancel(struct notifier *n, struct http_request *req)
{
    pthread_mutex_lock(&n->lock);
    struct waiter *w = map_get(&n->by_req, (const char *)&req, sizeof req);
    if (w) {
        unlink_waiter(n, w);
        free(w);
    }
    pthread_mutex_unlock(&n->lock);
}
