/* versions.c: discovery endpoints: /versions, /.well-known, /capabilities and
 * the server's signing keys (/_matrix/key/v2/server). */
#define LOG_MODULE "client"
#include "base/clock.h"
#include "base/err.h"
#include "client/client.h"
#include "matrix/server_keys.h"
#include "matrix/versions.h"

#include <string.h>

/* GET /_matrix/client/versions */
void client_versions(struct http_request *req, struct http_reply *rep)
{
    (void)req;
    static const char *const versions[] = {
        "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
        "v1.1",   "v1.2",   "v1.3",   "v1.4",   "v1.5",   "v1.6",   "v1.7",   "v1.8",
        "v1.9",   "v1.10",  "v1.11",  "v1.12",  "v1.13",  "v1.14",  "v1.15",  "v1.16",
    };
    json_t *list = json_array();
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        json_array_append_new(list, json_string(versions[i]));
    /* MSC3814: dehydrated devices (src/client/dehydrated.c). */
    http_reply_json(rep, 200, json_pack("{s:o, s:{s:b}}", "versions", list, "unstable_features",
                                        "org.matrix.msc3814", 1));
}

/* GET /.well-known/matrix/client */
void client_well_known_client(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    http_reply_json(rep, 200, json_pack("{s:{s:s}}", "m.homeserver", "base_url",
                                        srv->cfg->public_baseurl));
}

/* GET /.well-known/matrix/server: host:port taken from public_baseurl. */
void client_well_known_server(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *url = srv->cfg->public_baseurl;
    bool https = strncmp(url, "https://", 8) == 0;
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t len = strcspn(host, "/");
    const char *colon = memchr(host, ':', len);
    char *value = colon ? arena_strndup(&req->arena, host, len)
                        : arena_printf(&req->arena, "%.*s:%d", (int)len, host, https ? 443 : 80);
    http_reply_json(rep, 200, json_pack("{s:s}", "m.server", value ? value : ""));
}

/* GET /capabilities */
void client_capabilities(struct http_request *req, struct http_reply *rep)
{
    (void)req;
    json_t *available = json_object();
    for (int v = 1; v <= 11; v++) {
        char name[8];
        snprintf(name, sizeof name, "%d", v);
        json_object_set_new(available, name, json_string("stable"));
    }
    json_t *caps = json_pack(
        "{s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:s, s:o}}", "m.change_password",
        "enabled", 1, "m.set_displayname", "enabled", 1, "m.set_avatar_url", "enabled", 1,
        "m.3pid_changes", "enabled", 0, "m.get_login_token", "enabled", 0, "m.room_versions",
        "default", "10", "available", available);
    http_reply_json(rep, 200, json_pack("{s:o}", "capabilities", caps));
}

/* GET /_matrix/key/v2/server: our signing key, self-signed, valid a week. */
void client_server_keys(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    json_t *body;
    int64_t valid_until = clock_now_ms() + 7LL * 24 * 3600 * 1000;
    int rc = matrix_server_keys_build(&srv->signing_key, srv->cfg->server_name, valid_until, &body);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    http_reply_json(rep, 200, body);
}
