/* auth.h: access tokens: issuing them, and authenticating requests through
 * an in-memory cache in front of the database.
 *
 * Tokens are random (libsodium), shown to the client once, and stored only as
 * sha256 hashes. The cache maps a token hash to its user and device; the
 * database is read on a miss. Thread-safe (a read-write lock). */
#ifndef RELAIS_CLIENT_AUTH_H
#define RELAIS_CLIENT_AUTH_H

#include "http/http.h"

#include <stdbool.h>
#include <stdint.h>

struct server;
struct client_auth;

enum { CLIENT_TOKEN_LEN = 44 }; /* "rls_" + 39 characters + NUL */

struct client_session {
    char access_token[CLIENT_TOKEN_LEN];  /* give to the client, never log */
    char refresh_token[CLIENT_TOKEN_LEN]; /* empty unless asked for */
    int64_t expires_in_ms;                /* 0 = no expiry */
};

struct client_auth *client_auth_new(void);
void client_auth_free(struct client_auth *a);

/* The http layer's authentication callback (app is the struct server). */
int client_auth_http(void *app, struct http_request *req, struct http_reply *rep, bool required);

/* Creates an access token (and a refresh token when with_refresh) for the
 * device, stores its hash, and fills out. */
int client_auth_issue(struct server *srv, const char *user_id, const char *device_id,
                      bool with_refresh, struct client_session *out);

/* Revokes the request's own token (logout). */
int client_auth_revoke_request_token(struct server *srv, struct http_request *req);
/* Drops cached entries of a user (all devices, or all but keep_device). */
void client_auth_forget_user(struct client_auth *a, const char *user_id, const char *keep_device);
/* Drops cached entries of one device. */
void client_auth_forget_device(struct client_auth *a, const char *user_id, const char *device_id);
/* Drops everything (an admin command changed accounts behind our back). */
void client_auth_flush(struct client_auth *a);

/* The token the request carried (Authorization: Bearer, or ?access_token=), or NULL. */
const char *client_auth_request_token(struct http_request *req);

#endif
