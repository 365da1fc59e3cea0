/* uia.h: User-Interactive Authentication (spec: client-server API,
 * "User-Interactive Authentication API").
 *
 * An endpoint that needs UIA calls uia_check with its flows. Until a flow is
 * complete, uia_check fills the 401 reply ({flows, params, session,
 * completed}, plus errcode when a stage failed) and returns non-zero. Sessions
 * live in memory for 15 minutes. Thread-safe. */
#ifndef RELAIS_CLIENT_UIA_H
#define RELAIS_CLIENT_UIA_H

#include "http/http.h"

#include <stdbool.h>
#include <stddef.h>

struct server;
struct uia;

enum { UIA_MAX_STAGES = 4 };

/* One flow: a NULL-terminated list of stage types. */
struct uia_flow {
    const char *stages[UIA_MAX_STAGES + 1];
};

/* What a completed UIA tells the endpoint. */
struct uia_result {
    char session[40];        /* the session id */
    char registration_token[256]; /* the token given in m.login.registration_token, or "" */
};

struct uia *uia_new(void);
void uia_free(struct uia *u);

/* Runs the request body's "auth" against flows. user_id is the account whose
 * password m.login.password must match (NULL during registration). Returns 0
 * when a flow is complete (result filled), else 1 with rep filled. */
int uia_check(struct server *srv, struct http_request *req, struct http_reply *rep,
              const struct uia_flow *flows, size_t n_flows, const char *user_id,
              struct uia_result *result);
/* Forgets a session once its operation succeeded. */
void uia_finish(struct uia *u, const char *session);

#endif
