/* common.c: request-body, query and error-reply helpers shared by the client endpoint
 * files. */
#define LOG_MODULE "client"
#include "client/client.h"

#include "base/err.h"
#include "base/log.h"
#include "base/str.h"
#include "db/db.h"
#include "rooms/rooms.h"
#include "server/server.h"

#include <string.h>

bool client_opt_string(struct http_reply *rep, json_t *obj, const char *key, const char **out)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'%s' must be a string", key);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool client_req_string(struct http_reply *rep, json_t *obj, const char *key, const char **out)
{
    if (!client_opt_string(rep, obj, key, out))
        return false;
    if (!*out) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing '%s'", key);
        return false;
    }
    return true;
}

bool client_opt_bool(struct http_reply *rep, json_t *obj, const char *key, bool def, bool *out)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    *out = def;
    if (!v)
        return true;
    if (!json_is_boolean(v)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'%s' must be a boolean", key);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

void client_internal_error(struct http_reply *rep, int rc)
{
    log_error("request failed err=%s", err_str(rc));
    http_reply_error(rep, 500, "M_UNKNOWN", "Internal server error");
}

bool client_query_limit(struct http_request *req, struct http_reply *rep, int64_t max,
                        int64_t *limit)
{
    const char *s = http_query(req, "limit");
    if (s && str_to_i64(s, strlen(s), 0, INT64_MAX, limit) != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "limit must be a non-negative integer");
        return false;
    }
    if (*limit > max)
        *limit = max;
    return true;
}

bool client_room_readable(struct server *srv, struct http_reply *rep, const char *room_id,
                          const char *user_id, const char *forbidden, struct room **room,
                          char **leave_id)
{
    struct room *r;
    char *leave = NULL;
    if (rooms_get(srv, room_id, &r) != 0 || rooms_readable(srv, r, user_id, &leave) != 0) {
        http_reply_error(rep, 403, "M_FORBIDDEN", "%s", forbidden);
        return false;
    }
    if (room)
        *room = r;
    if (leave_id)
        *leave_id = leave;
    else
        free(leave);
    return true;
}

bool client_room_readable_upto(struct server *srv, struct http_reply *rep, const char *room_id,
                               const char *user_id, const char *forbidden, int64_t *upto)
{
    char *leave_id;
    *upto = INT64_MAX;
    if (!client_room_readable(srv, rep, room_id, user_id, forbidden, NULL, &leave_id))
        return false;
    struct db_event le;
    if (leave_id && db_event_get(srv->db, leave_id, &le) == 0) {
        *upto = le.pos;
        db_event_fini(&le);
    }
    free(leave_id);
    return true;
}

bool client_reply_failure(struct http_reply *rep, int rc, const char *not_found)
{
    if (rc == ERR_NOT_FOUND)
        http_reply_error(rep, 404, "M_NOT_FOUND", "%s", not_found);
    else if (rc)
        client_internal_error(rep, rc);
    return rc != 0;
}
