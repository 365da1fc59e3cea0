/* ratelimit.c: token buckets keyed by class and client address. */
#include "client/ratelimit.h"

#include "base/clock.h"
#include "base/map.h"
#include "base/mem.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

struct bucket {
    double tokens;      /* available now */
    int64_t updated_ms; /* monotonic time of the last refill */
};

struct ratelimit {
    pthread_mutex_t lock; /* guards buckets */
    struct map buckets;   /* "class\0key" -> struct bucket */
};

enum { RATELIMIT_MAX_BUCKETS = 100000 };

struct ratelimit *ratelimit_new(void)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    pthread_mutex_init(&rl->lock, NULL);
    map_init(&rl->buckets, free);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    map_fini(&rl->buckets);
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

static int64_t bucket_use(struct ratelimit *rl, const char *cls, const char *key,
                          int64_t per_minute, int64_t burst, bool consume)
{
    char k[256];
    int n = snprintf(k, sizeof k, "%s|%s", cls, key);
    if (n < 0 || (size_t)n >= sizeof k)
        n = (int)sizeof k - 1;
    int64_t now = clock_mono_ms();
    double rate_per_ms = (double)per_minute / 60000.0;
    int64_t wait_ms = 0;
    pthread_mutex_lock(&rl->lock);
    struct bucket *b = map_get(&rl->buckets, k, (size_t)n);
    if (!b) {
        if (rl->buckets.len >= RATELIMIT_MAX_BUCKETS)
            map_clear(&rl->buckets); /* bounded memory: forget old addresses */
        b = xmalloc(sizeof *b);
        b->tokens = (double)burst;
        b->updated_ms = now;
        map_put(&rl->buckets, k, (size_t)n, b);
    }
    b->tokens += (double)(now - b->updated_ms) * rate_per_ms;
    if (b->tokens > (double)burst)
        b->tokens = (double)burst;
    b->updated_ms = now;
    if (b->tokens >= 1.0) {
        if (consume)
            b->tokens -= 1.0;
    }
    else
        wait_ms = (int64_t)((1.0 - b->tokens) / rate_per_ms) + 1;
    pthread_mutex_unlock(&rl->lock);
    return wait_ms;
}

int64_t ratelimit_take(struct ratelimit *rl, const char *cls, const char *key, int64_t per_minute,
                       int64_t burst)
{
    return bucket_use(rl, cls, key, per_minute, burst, true);
}

int64_t ratelimit_peek(struct ratelimit *rl, const char *cls, const char *key, int64_t per_minute,
                       int64_t burst)
{
    return bucket_use(rl, cls, key, per_minute, burst, false);
}
