/* register.c: account registration with User-Interactive Authentication.
 * Spec: client-server API, "Account registration" (POST /register,
 * GET /register/available, m.login.registration_token and its validity API). */
#define LOG_MODULE "register"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/account.h"
#include "client/client.h"
#include "client/ratelimit.h"
#include "client/uia.h"
#include "crypto/random.h"
#include "db/db.h"

#include <ctype.h>
#include <string.h>

static const struct uia_flow open_flows[] = {{{"m.login.dummy", NULL}}};
static const struct uia_flow token_flows[] = {{{"m.login.registration_token", NULL}}};

/* Answers M_INVALID_USERNAME / M_USER_IN_USE; returns false when the name is unusable. */
static bool username_usable(struct server *srv, struct http_reply *rep, const char *localpart)
{
    if (!client_account_localpart_valid(localpart, srv->cfg->server_name)) {
        http_reply_error(rep, 400, "M_INVALID_USERNAME",
                         "User ID may only contain a-z, 0-9, and . _ = - / +");
        return false;
    }
    char *user_id = server_user_id(srv, localpart), *found = NULL;
    int rc = db_user_find_ci(srv->db, user_id, &found);
    free(user_id);
    free(found);
    if (rc == 0) {
        http_reply_error(rep, 400, "M_USER_IN_USE", "User ID already taken");
        return false;
    }
    if (rc != ERR_NOT_FOUND) {
        client_internal_error(rep, rc);
        return false;
    }
    return true;
}

/* POST /register */
void client_register(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *kind = http_query(req, "kind");
    if (kind && strcmp(kind, "user") != 0) {
        http_reply_error(rep, 403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled");
        return;
    }
    if (srv->cfg->registration == REGISTRATION_DISABLED) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "Registration has been disabled");
        return;
    }
    const char *username, *password, *device_id, *display_name;
    bool inhibit_login, with_refresh;
    if (!client_opt_string(rep, req->json, "username", &username) ||
        !client_opt_string(rep, req->json, "password", &password) ||
        !client_opt_string(rep, req->json, "device_id", &device_id) ||
        !client_opt_string(rep, req->json, "initial_device_display_name", &display_name) ||
        !client_opt_bool(rep, req->json, "inhibit_login", false, &inhibit_login) ||
        !client_opt_bool(rep, req->json, "refresh_token", false, &with_refresh))
        return;
    /* Synapse lower-cases the requested name before checking it. */
    char localpart[256];
    if (username) {
        if (strlen(username) >= sizeof localpart) {
            http_reply_error(rep, 400, "M_INVALID_USERNAME", "User ID too long");
            return;
        }
        size_t i = 0;
        for (; username[i]; i++)
            localpart[i] = (char)tolower((unsigned char)username[i]);
        localpart[i] = '\0';
        if (!username_usable(srv, rep, localpart))
            return;
    }
    if (password && (int64_t)strlen(password) < srv->cfg->password_min_length) {
        http_reply_error(rep, 400, "M_WEAK_PASSWORD", "Password must be at least %lld characters",
                         (long long)srv->cfg->password_min_length);
        return;
    }
    struct uia_result uia;
    bool by_token = srv->cfg->registration == REGISTRATION_TOKEN;
    if (uia_check(srv, req, rep, by_token ? token_flows : open_flows, 1, NULL, &uia))
        return;
    if (!password) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'password'");
        return;
    }
    if (!username) { /* the spec lets the server pick: a random lower-case name */
        char random[13];
        crypto_random_token(random, sizeof random);
        for (size_t i = 0; random[i]; i++)
            localpart[i] = (char)tolower((unsigned char)random[i]);
        localpart[12] = '\0';
    }
    if (by_token && db_regtoken_use(srv->db, uia.registration_token) != 0) {
        http_reply_error(rep, 401, "M_FORBIDDEN", "Registration token is no longer valid");
        return;
    }
    char *user_id;
    int rc = client_account_create(srv->db, srv->cfg, localpart, password, false, &user_id);
    if (rc == ERR_EXISTS) {
        http_reply_error(rep, 400, "M_USER_IN_USE", "User ID already taken");
        return;
    }
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    uia_finish(srv->uia, uia.session);
    ratelimit_take(srv->ratelimit, "register", req->client_ip, srv->cfg->register_per_minute,
                   srv->cfg->register_burst);
    log_info("registered user=%s", user_id);
    if (inhibit_login) {
        http_reply_json(rep, 200, json_pack("{s:s, s:s}", "user_id", user_id, "home_server",
                                            srv->cfg->server_name));
    } else {
        client_login_start_session(srv, req, rep, user_id, device_id, display_name, with_refresh);
    }
    free(user_id);
}

/* GET /register/available?username= */
void client_register_available(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *username = http_query(req, "username");
    if (!username) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'username'");
        return;
    }
    if (srv->cfg->registration == REGISTRATION_DISABLED) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "Registration has been disabled");
        return;
    }
    if (username_usable(srv, rep, username))
        http_reply_json(rep, 200, json_pack("{s:b}", "available", 1));
}

/* GET /_matrix/client/v1/register/m.login.registration_token/validity?token= */
void client_register_token_validity(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *token = http_query(req, "token");
    if (!token) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing 'token'");
        return;
    }
    bool valid = false;
    int rc = db_regtoken_valid(srv->db, token, &valid);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, json_pack("{s:b}", "valid", valid));
}
