/* login.c: /login, /logout, /logout/all and /refresh.
 * Spec: client-server API, "Login", "Logout", "Refreshing access tokens". */
#define LOG_MODULE "login"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/account.h"
#include "client/auth.h"
#include "client/client.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "db/db.h"
#include "sync/e2ee.h"

#include <string.h>

enum { DEVICE_ID_LEN = 11, DEVICE_ID_MAX = 255 };

/* GET /login */
void client_login_flows(struct http_request *req, struct http_reply *rep)
{
    (void)req;
    http_reply_json(rep, 200, json_pack("{s:[{s:s}]}", "flows", "type", "m.login.password"));
}

/* Fills the login/register answer shared by both endpoints. */
static json_t *session_json(struct server *srv, const char *user_id, const char *device_id,
                            const struct client_session *s)
{
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "user_id", user_id, "access_token",
                             s->access_token, "device_id", device_id, "home_server",
                             srv->cfg->server_name);
    if (s->refresh_token[0])
        json_object_set_new(body, "refresh_token", json_string(s->refresh_token));
    if (s->expires_in_ms)
        json_object_set_new(body, "expires_in_ms", json_integer(s->expires_in_ms));
    return body;
}

/* Creates (or reuses) the device, issues tokens and answers with the response body.
 * device_id NULL generates one. Shared with registration. */
void client_login_start_session(struct server *srv, struct http_request *req,
                                struct http_reply *rep, const char *user_id,
                                const char *device_id, const char *display_name,
                                bool with_refresh)
{
    char generated[DEVICE_ID_LEN];
    if (!device_id) {
        crypto_random_token(generated, sizeof generated);
        for (char *p = generated; *p; p++) /* device IDs read better in upper case */
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
        device_id = generated;
    }
    int rc = db_device_ensure(srv->db, user_id, device_id, display_name, req->client_ip);
    if (!rc && device_id != generated) /* a reused device's old token was revoked */
        client_auth_forget_device(srv->auth, user_id, device_id);
    struct client_session s;
    if (!rc)
        rc = client_auth_issue(srv, user_id, device_id, with_refresh, &s);
    if (rc)
        client_internal_error(rep, rc);
    else
        http_reply_json(rep, 200, session_json(srv, user_id, device_id, &s));
}

/* POST /login with m.login.password. */
void client_login(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *type, *password, *device_id, *display_name;
    bool with_refresh;
    if (!client_req_string(rep, req->json, "type", &type))
        return;
    if (strcmp(type, "m.login.password") != 0) {
        http_reply_error(rep, 400, "M_UNKNOWN", "Unknown login type %s", type);
        return;
    }
    if (!client_req_string(rep, req->json, "password", &password) ||
        !client_opt_string(rep, req->json, "device_id", &device_id) ||
        !client_opt_string(rep, req->json, "initial_device_display_name", &display_name) ||
        !client_opt_bool(rep, req->json, "refresh_token", false, &with_refresh))
        return;
    if (device_id && (!device_id[0] || strlen(device_id) > DEVICE_ID_MAX)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid device_id");
        return;
    }
    char *user_id = client_account_identifier_user(srv, req->json);
    if (!user_id) {
        http_reply_error(rep, 400, "M_UNKNOWN", "Missing or unsupported identifier");
        return;
    }
    struct db_user u;
    int rc = db_user_get(srv->db, user_id, &u);
    bool ok = rc == 0 && u.password_hash &&
              client_account_password_matches(u.password_hash, password);
    if (rc == 0 && u.deactivated) {
        http_reply_error(rep, 403, "M_USER_DEACTIVATED", "This account has been deactivated");
    } else if (!ok) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "Invalid username or password");
    } else {
        client_login_start_session(srv, req, rep, user_id, device_id, display_name, with_refresh);
    }
    if (rc == 0)
        db_user_fini(&u);
    free(user_id);
}

/* POST /logout: the token and its device go. */
void client_logout(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    client_auth_forget_device(srv->auth, req->user_id, req->device_id);
    int rc = db_device_delete(srv->db, req->user_id, req->device_id);
    if (rc == ERR_NOT_FOUND) /* a token whose device row is gone: drop the token alone */
        rc = client_auth_revoke_request_token(srv, req);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    sync_e2ee_device_list_changed(srv, req->user_id, 0);
    http_reply_json(rep, 200, json_object());
}

/* POST /logout/all: every token and device of the user. */
void client_logout_all(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    client_auth_forget_user(srv->auth, req->user_id, NULL);
    int rc = db_devices_delete_all(srv->db, req->user_id, NULL);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    sync_e2ee_device_list_changed(srv, req->user_id, 0);
    http_reply_json(rep, 200, json_object());
}

/* POST /refresh: a refresh token is exchanged once for a new pair. */
void client_refresh(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *refresh;
    if (!client_req_string(rep, req->json, "refresh_token", &refresh))
        return;
    unsigned char hash[32];
    crypto_sha256(refresh, strlen(refresh), hash);
    char *user_id, *device_id;
    int rc = db_refresh_consume(srv->db, hash, &user_id, &device_id);
    if (rc == ERR_NOT_FOUND) {
        http_reply_error(rep, 401, "M_UNKNOWN_TOKEN", "Unknown refresh token");
        rep->error_extra = json_pack("{s:b}", "soft_logout", 0);
        return;
    }
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    client_auth_forget_device(srv->auth, user_id, device_id);
    struct client_session s;
    rc = client_auth_issue(srv, user_id, device_id, true, &s);
    if (rc) {
        client_internal_error(rep, rc);
    } else {
        json_t *body = json_pack("{s:s, s:s}", "access_token", s.access_token, "refresh_token",
                                 s.refresh_token);
        if (s.expires_in_ms)
            json_object_set_new(body, "expires_in_ms", json_integer(s.expires_in_ms));
        http_reply_json(rep, 200, body);
    }
    free(user_id);
    free(device_id);
}
