/* account.c: account rules (account.h) and the /account endpoints: whoami,
 * password change, deactivation, third-party IDs.
 * Spec: client-server API, "Account registration and management". */
#define LOG_MODULE "account"
#include "client/account.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "client/auth.h"
#include "client/client.h"
#include "client/uia.h"
#include "config/config.h"
#include "crypto/password.h"
#include "db/db.h"

#include <string.h>

void client_account_configure(const struct config *cfg)
{
    crypto_password_set_cost((unsigned long long)cfg->argon2_ops,
                             (size_t)cfg->argon2_mem_kib * 1024);
}

bool client_account_password_matches(const char *hash, const char *password)
{
    return crypto_password_verify(hash, password);
}

bool client_account_localpart_valid(const char *localpart, const char *server_name)
{
    size_t n = strlen(localpart);
    if (n == 0 || n + strlen(server_name) + 2 > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = localpart[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '=' || c == '-' || c == '/' || c == '+';
        if (!ok)
            return false;
    }
    return true;
}

char *client_account_identifier_user(struct server *srv, json_t *body)
{
    json_t *ident = json_object_get(body, "identifier");
    const char *user = NULL;
    if (json_is_object(ident)) {
        const char *type = json_string_value(json_object_get(ident, "type"));
        if (!type || strcmp(type, "m.id.user") != 0)
            return NULL;
        user = json_string_value(json_object_get(ident, "user"));
    } else {
        user = json_string_value(json_object_get(body, "user"));
    }
    if (!user || !user[0] || strlen(user) > 255)
        return NULL;
    char *full = user[0] == '@' ? xstrdup(user) : server_user_id(srv, user);
    char *found = NULL;
    if (db_user_find_ci(srv->db, full, &found) != 0) {
        free(found);
        return full; /* unknown users fail later with the same error as a bad password */
    }
    free(full);
    return found;
}

int client_account_create(struct db *db, const struct config *cfg, const char *localpart,
                          const char *password, bool is_admin, char **user_id)
{
    *user_id = NULL;
    if (!client_account_localpart_valid(localpart, cfg->server_name))
        return ERR_INVALID;
    size_t len = strlen(localpart) + strlen(cfg->server_name) + 3;
    char *id = xmalloc(len);
    snprintf(id, len, "@%s:%s", localpart, cfg->server_name);
    char hash[CRYPTO_PASSWORD_HASH_BYTES];
    int rc = 0;
    if (password && crypto_password_hash(password, hash) != 0)
        rc = ERR_INTERNAL;
    if (!rc)
        rc = db_user_create(db, id, password ? hash : NULL, is_admin, localpart);
    if (rc) {
        free(id);
        return rc;
    }
    *user_id = id;
    return 0;
}

/* GET /account/whoami */
void client_whoami(struct http_request *req, struct http_reply *rep)
{
    http_reply_json(rep, 200,
                    json_pack("{s:s, s:s, s:b}", "user_id", req->user_id, "device_id",
                              req->device_id, "is_guest", 0));
}

static const struct uia_flow password_flows[] = {{{"m.login.password", NULL}}};

/* POST /account/password: UIA with the current password, then the new one.
 * Other devices are logged out unless logout_devices is false. */
void client_password(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *new_password;
    bool logout_devices;
    if (!client_req_string(rep, req->json, "new_password", &new_password) ||
        !client_opt_bool(rep, req->json, "logout_devices", true, &logout_devices))
        return;
    if ((int64_t)strlen(new_password) < srv->cfg->password_min_length) {
        http_reply_error(rep, 400, "M_WEAK_PASSWORD", "Password must be at least %lld characters",
                         (long long)srv->cfg->password_min_length);
        return;
    }
    struct uia_result uia;
    if (uia_check(srv, req, rep, password_flows, 1, req->user_id, &uia))
        return;
    char hash[CRYPTO_PASSWORD_HASH_BYTES];
    int rc = crypto_password_hash(new_password, hash) ? ERR_INTERNAL : 0;
    if (!rc)
        rc = db_user_set_password(srv->db, req->user_id, hash);
    if (!rc && logout_devices) {
        rc = db_devices_delete_all(srv->db, req->user_id, req->device_id);
        client_auth_forget_user(srv->auth, req->user_id, req->device_id);
    }
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    uia_finish(srv->uia, uia.session);
    log_info("password changed user=%s logout_devices=%d", req->user_id, logout_devices);
    http_reply_json(rep, 200, json_object());
}

/* POST /account/deactivate */
void client_deactivate(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    struct uia_result uia;
    if (uia_check(srv, req, rep, password_flows, 1, req->user_id, &uia))
        return;
    int rc = db_user_deactivate(srv->db, req->user_id);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    client_auth_forget_user(srv->auth, req->user_id, NULL);
    uia_finish(srv->uia, uia.session);
    log_info("account deactivated user=%s", req->user_id);
    http_reply_json(rep, 200, json_pack("{s:s}", "id_server_unbind_result", "no-support"));
}

/* GET /account/3pid: relais binds no e-mail addresses or phone numbers. */
void client_threepids(struct http_request *req, struct http_reply *rep)
{
    (void)req;
    http_reply_json(rep, 200, json_pack("{s:[]}", "threepids"));
}
