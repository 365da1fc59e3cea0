/* auth.c: access-token authentication with a cache (see auth.h).
 * Spec: client-server API, "Client Authentication" (M_MISSING_TOKEN,
 * M_UNKNOWN_TOKEN with soft_logout for expired tokens). */
#define LOG_MODULE "auth"
#include "client/auth.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "db/db.h"
#include "server/server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

struct cached_token {
    char *user_id;       /* owned */
    char *device_id;     /* owned */
    int64_t expires_ts;  /* ms since epoch, 0 = never */
    bool is_admin;
    _Atomic int64_t seen_ms; /* last time the device's last_seen was written */
};

struct client_auth {
    pthread_rwlock_t lock; /* guards tokens */
    struct map tokens;     /* 32-byte token hash -> struct cached_token */
};

/* A device's last_seen_ts/ip is written when its token enters the cache and
 * then at most once per interval (the spec allows it to be minutes old). */
enum { AUTH_CACHE_MAX = 200000, AUTH_SEEN_INTERVAL_MS = 120000 };

static void cached_token_free(void *p)
{
    struct cached_token *t = p;
    free(t->user_id);
    free(t->device_id);
    free(t);
}

struct client_auth *client_auth_new(void)
{
    struct client_auth *a = xcalloc(1, sizeof *a);
    pthread_rwlock_init(&a->lock, NULL);
    map_init(&a->tokens, cached_token_free);
    return a;
}

void client_auth_free(struct client_auth *a)
{
    if (!a)
        return;
    map_fini(&a->tokens);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}

const char *client_auth_request_token(struct http_request *req)
{
    const char *h = http_header(req, "Authorization");
    if (h && strncmp(h, "Bearer ", 7) == 0)
        return h + 7;
    return http_query(req, "access_token");
}

static int token_new(char out[CLIENT_TOKEN_LEN], unsigned char hash[32])
{
    memcpy(out, "rls_", 4);
    crypto_random_token(out + 4, CLIENT_TOKEN_LEN - 4);
    crypto_sha256(out, strlen(out), hash);
    return 0;
}

int client_auth_issue(struct server *srv, const char *user_id, const char *device_id,
                      bool with_refresh, struct client_session *out)
{
    memset(out, 0, sizeof *out);
    unsigned char hash[32], refresh_hash[32];
    token_new(out->access_token, hash);
    int64_t expires_ts = 0;
    if (with_refresh) {
        token_new(out->refresh_token, refresh_hash);
        if (srv->cfg->access_token_lifetime_ms > 0) {
            out->expires_in_ms = srv->cfg->access_token_lifetime_ms;
            expires_ts = clock_now_ms() + out->expires_in_ms;
        }
    }
    return db_token_insert(srv->db, hash, user_id, device_id, expires_ts,
                           with_refresh ? refresh_hash : NULL);
}

/* Looks the token up in the cache, then the database. Returns a copy of the
 * entry's fields in the request arena. Sets *seen when the device's last
 * use is due to be recorded. */
static int lookup(struct server *srv, const unsigned char hash[32], struct http_request *req,
                  int64_t *expires_ts, bool *seen)
{
    struct client_auth *a = srv->auth;
    int64_t now = clock_now_ms();
    pthread_rwlock_rdlock(&a->lock);
    struct cached_token *t = map_get(&a->tokens, (const char *)hash, 32);
    if (t) {
        req->user_id = arena_strdup(&req->arena, t->user_id);
        req->device_id = arena_strdup(&req->arena, t->device_id);
        req->is_admin = t->is_admin;
        *expires_ts = t->expires_ts;
        int64_t last = t->seen_ms; /* one request per interval wins the write */
        *seen = now - last >= AUTH_SEEN_INTERVAL_MS &&
                atomic_compare_exchange_strong(&t->seen_ms, &last, now);
    }
    pthread_rwlock_unlock(&a->lock);
    if (t)
        return 0;
    char *user_id, *device_id;
    int rc = db_token_lookup(srv->db, hash, &user_id, &device_id, expires_ts);
    if (rc)
        return rc;
    struct db_user u;
    rc = db_user_get(srv->db, user_id, &u);
    if (rc || u.deactivated) {
        free(user_id);
        free(device_id);
        if (!rc)
            db_user_fini(&u);
        return ERR_NOT_FOUND;
    }
    t = xmalloc(sizeof *t);
    t->user_id = user_id;
    t->device_id = device_id;
    t->expires_ts = *expires_ts;
    t->is_admin = u.is_admin;
    t->seen_ms = now;
    *seen = true;
    db_user_fini(&u);
    req->user_id = arena_strdup(&req->arena, t->user_id);
    req->device_id = arena_strdup(&req->arena, t->device_id);
    req->is_admin = t->is_admin;
    pthread_rwlock_wrlock(&a->lock);
    if (a->tokens.len >= AUTH_CACHE_MAX)
        map_clear(&a->tokens);
    map_put(&a->tokens, (const char *)hash, 32, t);
    pthread_rwlock_unlock(&a->lock);
    return 0;
}

int client_auth_http(void *app, struct http_request *req, struct http_reply *rep, bool required)
{
    struct server *srv = app;
    const char *token = client_auth_request_token(req);
    if (!token || !token[0]) {
        if (!required)
            return 0;
        http_reply_error(rep, 401, "M_MISSING_TOKEN", "Missing access token");
        return 1;
    }
    unsigned char hash[32];
    crypto_sha256(token, strlen(token), hash);
    int64_t expires_ts = 0;
    bool seen = false;
    int rc = lookup(srv, hash, req, &expires_ts, &seen);
    if (rc == ERR_NOT_FOUND) {
        http_reply_error(rep, 401, "M_UNKNOWN_TOKEN", "Unknown access token");
        rep->error_extra = json_pack("{s:b}", "soft_logout", 0);
        return 1;
    }
    if (rc) {
        http_reply_error(rep, 500, "M_UNKNOWN", "Internal error");
        return 1;
    }
    if (expires_ts && expires_ts <= clock_now_ms()) {
        req->user_id = req->device_id = NULL;
        http_reply_error(rep, 401, "M_UNKNOWN_TOKEN", "Access token has expired");
        rep->error_extra = json_pack("{s:b}", "soft_logout", 1);
        return 1;
    }
    if (seen) /* best effort: a failed write only leaves last_seen older */
        db_device_touch(srv->db, req->user_id, req->device_id, req->client_ip, clock_now_ms());
    return 0;
}

int client_auth_revoke_request_token(struct server *srv, struct http_request *req)
{
    const char *token = client_auth_request_token(req);
    if (!token)
        return ERR_NOT_FOUND;
    unsigned char hash[32];
    crypto_sha256(token, strlen(token), hash);
    pthread_rwlock_wrlock(&srv->auth->lock);
    map_del(&srv->auth->tokens, (const char *)hash, 32);
    pthread_rwlock_unlock(&srv->auth->lock);
    return db_token_delete(srv->db, hash);
}

struct forget_ctx {
    const char *user_id, *device_id; /* device_id: the only one to drop, or NULL */
    const char *keep_device;         /* all but this one (may be NULL) */
    char (*victims)[32];             /* hashes to delete */
    size_t n, cap;
};

static void collect(const char *key, size_t key_len, void *value, void *arg)
{
    struct forget_ctx *c = arg;
    struct cached_token *t = value;
    (void)key_len;
    if (strcmp(t->user_id, c->user_id) != 0)
        return;
    if (c->device_id && strcmp(t->device_id, c->device_id) != 0)
        return;
    if (c->keep_device && strcmp(t->device_id, c->keep_device) == 0)
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->victims = xrealloc(c->victims, c->cap * sizeof *c->victims);
    }
    memcpy(c->victims[c->n++], key, 32);
}

static void forget(struct client_auth *a, struct forget_ctx *c)
{
    pthread_rwlock_wrlock(&a->lock);
    map_each(&a->tokens, collect, c);
    for (size_t i = 0; i < c->n; i++)
        map_del(&a->tokens, c->victims[i], 32);
    pthread_rwlock_unlock(&a->lock);
    free(c->victims);
}

void client_auth_forget_user(struct client_auth *a, const char *user_id, const char *keep_device)
{
    struct forget_ctx c = {user_id, NULL, keep_device, NULL, 0, 0};
    forget(a, &c);
}

void client_auth_forget_device(struct client_auth *a, const char *user_id, const char *device_id)
{
    struct forget_ctx c = {user_id, device_id, NULL, NULL, 0, 0};
    forget(a, &c);
}

void client_auth_flush(struct client_auth *a)
{
    pthread_rwlock_wrlock(&a->lock);
    map_clear(&a->tokens);
    pthread_rwlock_unlock(&a->lock);
}
