/* ratelimit.h: per-address token buckets for login and registration.
 * Thread-safe (one mutex; the buckets are touched once per limited request). */
#ifndef RELAIS_CLIENT_RATELIMIT_H
#define RELAIS_CLIENT_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);
/* Takes one token from the bucket (class, key) refilled at per_minute with
 * the given burst. Returns 0 when allowed, else the ms until a token is back. */
int64_t ratelimit_take(struct ratelimit *rl, const char *cls, const char *key, int64_t per_minute,
                       int64_t burst);
/* Like ratelimit_take but takes nothing: 0 when a token is available. */
int64_t ratelimit_peek(struct ratelimit *rl, const char *cls, const char *key, int64_t per_minute,
                       int64_t burst);

#endif
