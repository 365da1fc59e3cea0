/* uia.c: User-Interactive Authentication sessions and stages (see uia.h). */
#define LOG_MODULE "uia"
#include "client/uia.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "client/account.h"
#include "crypto/random.h"
#include "db/db.h"
#include "server/server.h"

#include <pthread.h>
#include <string.h>

enum { UIA_SESSION_TTL_MS = 15 * 60 * 1000, UIA_MAX_SESSIONS = 100000 };

struct uia_session {
    char *completed[8];          /* owned stage names done so far */
    size_t n_completed;
    char registration_token[256]; /* from m.login.registration_token */
    int64_t created_ms;          /* monotonic */
};

struct uia {
    pthread_mutex_t lock;  /* guards sessions */
    struct map sessions;   /* session id -> struct uia_session */
};

static void session_free(void *p)
{
    struct uia_session *s = p;
    for (size_t i = 0; i < s->n_completed; i++)
        free(s->completed[i]);
    free(s);
}

struct uia *uia_new(void)
{
    struct uia *u = xcalloc(1, sizeof *u);
    pthread_mutex_init(&u->lock, NULL);
    map_init(&u->sessions, session_free);
    return u;
}

void uia_free(struct uia *u)
{
    if (!u)
        return;
    map_fini(&u->sessions);
    pthread_mutex_destroy(&u->lock);
    free(u);
}

void uia_finish(struct uia *u, const char *session)
{
    pthread_mutex_lock(&u->lock);
    map_del(&u->sessions, session, strlen(session));
    pthread_mutex_unlock(&u->lock);
}

static bool session_has(const struct uia_session *s, const char *stage)
{
    for (size_t i = 0; i < s->n_completed; i++)
        if (strcmp(s->completed[i], stage) == 0)
            return true;
    return false;
}

static void session_add(struct uia_session *s, const char *stage)
{
    if (!session_has(s, stage) && s->n_completed < 8)
        s->completed[s->n_completed++] = xstrdup(stage);
}

static bool flow_done(const struct uia_flow *f, const struct uia_session *s)
{
    for (size_t i = 0; f->stages[i]; i++)
        if (!session_has(s, f->stages[i]))
            return false;
    return true;
}

static bool stage_offered(const struct uia_flow *flows, size_t n, const char *stage)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; flows[i].stages[j]; j++)
            if (strcmp(flows[i].stages[j], stage) == 0)
                return true;
    return false;
}

/* The 401 body: flows, params, session, completed. */
static json_t *challenge(const struct uia_flow *flows, size_t n, const char *session_id,
                         const struct uia_session *s)
{
    json_t *jflows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *stages = json_array();
        for (size_t j = 0; flows[i].stages[j]; j++)
            json_array_append_new(stages, json_string(flows[i].stages[j]));
        json_array_append_new(jflows, json_pack("{s:o}", "stages", stages));
    }
    json_t *completed = json_array();
    for (size_t i = 0; s && i < s->n_completed; i++)
        json_array_append_new(completed, json_string(s->completed[i]));
    return json_pack("{s:o, s:{}, s:s, s:o}", "flows", jflows, "params", "session", session_id,
                     "completed", completed);
}

/* Checks one stage's credentials. Returns 0 when they pass, else fills
 * errcode/message. */
static int run_stage(struct server *srv, const char *type, json_t *auth, const char *user_id,
                     struct uia_session *s, const char **errcode, char *msg, size_t msg_len)
{
    if (strcmp(type, "m.login.dummy") == 0)
        return 0;
    if (strcmp(type, "m.login.registration_token") == 0) {
        const char *token = json_string_value(json_object_get(auth, "token"));
        bool valid = false;
        if (token && strlen(token) < sizeof s->registration_token &&
            db_regtoken_valid(srv->db, token, &valid) == 0 && valid) {
            snprintf(s->registration_token, sizeof s->registration_token, "%s", token);
            return 0;
        }
        *errcode = "M_FORBIDDEN";
        snprintf(msg, msg_len, "Invalid registration token");
        return 1;
    }
    if (strcmp(type, "m.login.password") == 0) {
        const char *password = json_string_value(json_object_get(auth, "password"));
        char *claimed = client_account_identifier_user(srv, auth);
        bool ok = false;
        if (password && claimed && user_id && strcmp(claimed, user_id) == 0) {
            struct db_user u;
            if (db_user_get(srv->db, user_id, &u) == 0) {
                ok = !u.deactivated && u.password_hash &&
                     client_account_password_matches(u.password_hash, password);
                db_user_fini(&u);
            }
        }
        free(claimed);
        if (ok)
            return 0;
        *errcode = "M_FORBIDDEN";
        snprintf(msg, msg_len, "Invalid username or password");
        return 1;
    }
    *errcode = "M_UNRECOGNIZED";
    snprintf(msg, msg_len, "Unknown authentication type");
    return 1;
}

int uia_check(struct server *srv, struct http_request *req, struct http_reply *rep,
              const struct uia_flow *flows, size_t n_flows, const char *user_id,
              struct uia_result *result)
{
    struct uia *u = srv->uia;
    json_t *auth = req->json ? json_object_get(req->json, "auth") : NULL;
    const char *session_id = json_string_value(json_object_get(auth, "session"));
    const char *type = json_string_value(json_object_get(auth, "type"));
    char new_id[33];
    int done = 0;

    pthread_mutex_lock(&u->lock);
    struct uia_session *s = NULL;
    if (session_id) {
        s = map_get(&u->sessions, session_id, strlen(session_id));
        if (!s || clock_mono_ms() - s->created_ms > UIA_SESSION_TTL_MS) {
            pthread_mutex_unlock(&u->lock);
            http_reply_error(rep, 400, "M_UNKNOWN", "Unknown or expired session ID");
            return 1;
        }
    } else {
        crypto_random_token(new_id, sizeof new_id);
        if (u->sessions.len >= UIA_MAX_SESSIONS)
            map_clear(&u->sessions);
        s = xcalloc(1, sizeof *s);
        s->created_ms = clock_mono_ms();
        map_put(&u->sessions, new_id, strlen(new_id), s);
        session_id = new_id;
    }
    /* Copy the id: the map owns the key and the session may be replaced. */
    snprintf(result->session, sizeof result->session, "%s", session_id);
    session_id = result->session;

    const char *errcode = NULL;
    char msg[200] = "";
    if (type) {
        if (!stage_offered(flows, n_flows, type)) {
            errcode = "M_UNRECOGNIZED";
            snprintf(msg, sizeof msg, "Authentication type %s is not offered here", type);
        } else if (run_stage(srv, type, auth, user_id, s, &errcode, msg, sizeof msg) == 0) {
            session_add(s, type);
        }
    }
    for (size_t i = 0; i < n_flows && !done; i++)
        done = flow_done(&flows[i], s);
    if (done) {
        snprintf(result->registration_token, sizeof result->registration_token, "%s",
                 s->registration_token);
        pthread_mutex_unlock(&u->lock);
        return 0;
    }
    json_t *body = challenge(flows, n_flows, session_id, s);
    pthread_mutex_unlock(&u->lock);
    if (errcode) {
        http_reply_error(rep, 401, errcode, "%s", msg);
        rep->error_extra = body;
    } else {
        http_reply_json(rep, 401, body);
    }
    return 1;
}
