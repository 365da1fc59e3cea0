/* server.c: starting and stopping the homeserver: key, database, caches,
 * HTTP listener, signal handling and cross-process cache invalidation. */
#define LOG_MODULE "server"
#include "server/server.h"

#include "ai/ai.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/account.h"
#include "client/auth.h"
#include "client/client.h"
#include "client/ratelimit.h"
#include "client/uia.h"
#include "crypto/random.h"
#include "db/db.h"
#include "http/http.h"
#include "media/media.h"
#include "rooms/rooms.h"
#include "push/gateway.h"
#include "push/queue.h"
#include "sync/ephemeral.h"
#include "sync/presence.h"
#include "sync/notify.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

char *server_user_id(const struct server *srv, const char *localpart)
{
    size_t len = strlen(localpart) + strlen(srv->cfg->server_name) + 3;
    char *id = xmalloc(len);
    snprintf(id, len, "@%s:%s", localpart, srv->cfg->server_name);
    return id;
}

/* The http layer's rate-limit callback: login attempts per address; for
 * registration only a check here (like Synapse, a registration counts when it
 * completes, so UIA round trips are free), and the look-up endpoints
 * (/register/available, token validity) get ten times the allowance. */
static int server_ratelimit(void *app, struct http_request *req, struct http_reply *rep,
                            unsigned flags)
{
    struct server *srv = app;
    const struct config *cfg = srv->cfg;
    int64_t wait_ms;
    if (flags & ROUTE_RL_LOGIN)
        wait_ms = ratelimit_take(srv->ratelimit, "login", req->client_ip, cfg->login_per_minute,
                                 cfg->login_burst);
    else if (req->method == HTTP_POST)
        wait_ms = ratelimit_peek(srv->ratelimit, "register", req->client_ip,
                                 cfg->register_per_minute, cfg->register_burst);
    else
        wait_ms = ratelimit_take(srv->ratelimit, "register-lookup", req->client_ip,
                                 cfg->register_per_minute * 10, cfg->register_burst * 10);
    if (wait_ms == 0)
        return 0;
    http_reply_error(rep, 429, "M_LIMIT_EXCEEDED", "Too many requests");
    rep->retry_after_ms = wait_ms;
    return 1;
}

/* Blocks the signals we handle in every thread; the main thread waits for them. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Waits for SIGINT/SIGTERM; meanwhile reopens logs on SIGHUP, writes the buffered log
 * lines every LOG_FLUSH_MS and, once a second, flushes caches if an admin command
 * changed accounts. */
static void wait_for_stop(struct server *srv, const sigset_t *set)
{
    int64_t seen = 0;
    db_admin_changes_latest(srv->db, &seen);
    int64_t checked_ms = clock_mono_ms();
    for (;;) {
        struct timespec tick = {0, LOG_FLUSH_MS * 1000000L};
        int sig = sigtimedwait(set, NULL, &tick);
        log_flush();
        if (sig == SIGINT || sig == SIGTERM) {
            log_info("stopping signal=%d", sig);
            return;
        }
        if (sig == SIGHUP) {
            log_reopen();
            log_info("log reopened");
            continue;
        }
        if (clock_mono_ms() - checked_ms < 1000)
            continue;
        checked_ms = clock_mono_ms();
        int64_t latest;
        if (db_admin_changes_latest(srv->db, &latest) == 0 && latest != seen) {
            seen = latest;
            client_auth_flush(srv->auth);
            log_info("caches flushed after an admin change");
        }
    }
}

int server_run(const struct config *cfg)
{
    sigset_t set;
    block_signals(&set);
    int64_t t0 = clock_mono_ns();
    struct server srv = {.cfg = cfg, .started_ms = clock_now_ms()};
    int status = 1;
    char err[512];
    enum log_level level;
    if (log_level_parse(cfg->log_level, &level) == 0)
        log_set_level(level);
    if (cfg->log_file[0] && log_open(cfg->log_file)) {
        fprintf(stderr, "relais: cannot open log file %s\n", cfg->log_file);
        return 1;
    }
    if (crypto_init()) {
        fprintf(stderr, "relais: libsodium failed to initialise\n");
        return 1;
    }
    client_account_configure(cfg);
    if (crypto_keyring_load(cfg->signing_key_path, &srv.signing_key)) {
        fprintf(stderr, "relais: cannot read the signing key %s (run `relais init`)\n",
                cfg->signing_key_path);
        return 1;
    }
    if (db_open(cfg->database_path, &srv.db, err, sizeof err)) {
        fprintf(stderr, "relais: %s\n", err);
        goto out_key;
    }
    srv.auth = client_auth_new();
    srv.ratelimit = ratelimit_new();
    srv.uia = uia_new();
    srv.rooms = rooms_new();
    srv.notifier = notifier_new();
    srv.media = media_new(cfg, srv.db);
    if (!srv.media) {
        fprintf(stderr, "relais: cannot open the media folder under %s\n", cfg->data_dir);
        goto out;
    }
    int64_t pos;
    if (db_events_max_pos(srv.db, &pos) == 0)
        notifier_advance(srv.notifier, NOTIFY_EVENTS, pos);
    if (db_account_data_max_pos(srv.db, &pos) == 0)
        notifier_advance(srv.notifier, NOTIFY_ACCOUNT_DATA, pos);
    if (db_to_device_max_pos(srv.db, &pos) == 0)
        notifier_advance(srv.notifier, NOTIFY_TO_DEVICE, pos);
    if (db_device_lists_max_pos(srv.db, &pos) == 0)
        notifier_advance(srv.notifier, NOTIFY_DEVICE_LISTS, pos);
    if (sync_ephemeral_start(&srv))
        log_error("cannot read the receipt stream position");
    if (push_queue_start(&srv))
        log_error("push rules will not be evaluated");
    if (push_gateway_start(&srv))
        log_error("push gateways will not be called");
    struct http_server_options opt = {
        .bind_address = cfg->bind_address,
        .port = (int)cfg->port,
        .threads = (int)cfg->http_threads, /* 0: the HTTP layer's default */
        .max_body_bytes = (size_t)cfg->max_body_bytes,
        .max_raw_body_bytes = (size_t)cfg->media_max_upload_bytes,
        .raw_body_dir = media_spool_dir(srv.media),
        .max_json_depth = (size_t)cfg->max_json_depth,
        .max_header_bytes = (size_t)cfg->max_header_bytes,
        .connection_timeout_s = (unsigned)cfg->connection_timeout_s,
        .trusted_proxies = cfg->trusted_proxies,
        .app = &srv,
        .authenticate = client_auth_http,
        .ratelimit = server_ratelimit,
    };
    srv.http = http_server_new(&opt);
    if (!srv.http) {
        fprintf(stderr, "relais: invalid [http] options (see the log)\n");
        goto out;
    }
    client_routes_register(srv.http);
    srv.ai = ai_new(cfg);
    ai_routes_register(srv.http);
    if (http_server_start(srv.http)) {
        fprintf(stderr, "relais: cannot listen on %s:%lld\n", cfg->bind_address,
                (long long)cfg->port);
        goto out;
    }
    struct timespec cpu; /* the process's CPU time so far: start-up cost the load distorts least */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    log_info("listening addr=%s port=%d server_name=%s threads=%d start_ms=%.1f cpu_ms=%.1f",
             cfg->bind_address, http_server_port(srv.http), cfg->server_name,
             http_server_threads(srv.http),
             (double)(clock_mono_ns() - t0) / 1e6,
             (double)cpu.tv_sec * 1e3 + (double)cpu.tv_nsec / 1e6);
    printf("relais listening on http://%s:%d\n", cfg->bind_address, http_server_port(srv.http));
    fflush(stdout);
    log_set_buffered(true); /* wait_for_stop writes the lines every LOG_FLUSH_MS */
    malloc_trim(0); /* start-up's freed memory (migrations, room loading) back to the system */
    wait_for_stop(&srv, &set);
    status = 0;
out:
    if (srv.notifier)
        notifier_stop(srv.notifier); /* resume long-polls so the HTTP server can stop */
    ai_stop(srv.ai); /* answer queued and running AI requests */
    http_server_free(srv.http);
    media_free(srv.media); /* after the requests that could wait on it */
    ai_free(srv.ai);
    sync_ephemeral_stop(); /* the typing timer wakes through the notifier */
    sync_presence_stop();  /* so does the presence timeout checker */
    push_queue_stop(); /* stores the notifications still queued */
    push_gateway_stop(); /* undelivered notifications stay queued in the database */
    notifier_free(srv.notifier); /* after the push worker, which reads its positions */
    rooms_free(srv.rooms);
    uia_free(srv.uia);
    ratelimit_free(srv.ratelimit);
    client_auth_free(srv.auth);
    db_close(srv.db);
out_key:
    crypto_signing_key_wipe(&srv.signing_key);
    log_info("stopped");
    log_set_buffered(false); /* writes what is left */
    return status;
}
