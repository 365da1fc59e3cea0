/* server.h: the running homeserver's shared state, and starting/stopping it.
 *
 * One struct server exists per process. It is built by server_run from the
 * config, handed to every handler as the http layer's app pointer, and is
 * read-only after start except through the thread-safe objects it holds. */
#ifndef RELAIS_SERVER_SERVER_H
#define RELAIS_SERVER_SERVER_H

#include "config/config.h"
#include "crypto/keyring.h"

#include <pthread.h>
#include <stdbool.h>

struct db;
struct http_server;
struct client_auth;
struct ratelimit;
struct uia;
struct rooms;
struct notifier;
struct ai;
struct media;

struct server {
    const struct config *cfg;       /* borrowed, read-only */
    struct db *db;                  /* owned */
    struct signing_key signing_key; /* the server's ed25519 key */
    struct http_server *http;       /* owned */
    struct client_auth *auth;       /* token cache, owned */
    struct ratelimit *ratelimit;    /* owned */
    struct uia *uia;                /* user-interactive auth sessions, owned */
    struct rooms *rooms;            /* in-memory room heads, owned */
    struct notifier *notifier;      /* wakes long-polls, owned */
    struct ai *ai;                  /* the AI API (/v1), owned */
    struct media *media;            /* the content repository, owned */
    int64_t started_ms;             /* wall clock at start */
};

/* Runs the server until SIGINT/SIGTERM: opens the database, loads the key,
 * listens, then stops cleanly (in-flight requests finish, the database is
 * closed). Prints "listening on http://ADDR:PORT" to stdout once ready.
 * Returns the process exit status. */
int server_run(const struct config *cfg);

/* Builds a user id @localpart:server_name into out (arena-free, owned). */
char *server_user_id(const struct server *srv, const char *localpart);

#endif
