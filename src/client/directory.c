/* directory.c: the published room directory: GET/PUT
 * /directory/list/room/{roomId} (a room's visibility) and GET/POST
 * /publicRooms (the list, with a generic search term, room type filter and
 * offset pagination tokens "o<offset>").
 *
 * As Synapse, a published room is listed only while it can be joined or read
 * by anyone (join rule public or knock, or history world_readable); rooms are
 * ordered by joined members (most first), then room ID. Only this server's
 * directory is served (a remote `server` is not queried).
 * Spec: client-server "Listing rooms". */
#define LOG_MODULE "directory"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "client/client.h"
#include "db/db.h"
#include "matrix/ids.h"
#include "rooms/rooms.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { DIRECTORY_MAX_LIMIT = 500 };

/* GET /directory/list/room/{roomId} (no authentication needed) */
void client_directory_visibility_get(struct http_request *req, struct http_reply *rep)
{
    char *version = NULL;
    bool is_public = false;
    int rc = db_room_get(client_server(req)->db, req->params[0], &version, &is_public);
    free(version);
    if (client_reply_failure(rep, rc, "Unknown room"))
        return;
    http_reply_json(rep, 200, json_pack("{s:s}", "visibility", is_public ? "public" : "private"));
}

/* PUT /directory/list/room/{roomId} {visibility}: members with the power to
 * send m.room.canonical_alias (moderators by default), as Synapse. */
void client_directory_visibility_put(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *vis;
    if (!client_opt_string(rep, req->json, "visibility", &vis))
        return;
    if (!vis)
        vis = "public"; /* the spec's default */
    if (strcmp(vis, "public") != 0 && strcmp(vis, "private") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "visibility must be 'public' or 'private'");
        return;
    }
    struct room *room;
    if (rooms_get(srv, req->params[0], &room) != 0) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Unknown room");
        return;
    }
    if (!req->is_admin &&
        (strcmp(rooms_membership_of(room, req->user_id), "join") != 0 ||
         !client_room_power_for_state(room, req->user_id, "m.room.canonical_alias"))) {
        http_reply_error(rep, 403, "M_FORBIDDEN",
                         "You don't have permission to change the room's directory visibility");
        return;
    }
    int rc = db_room_set_public(srv->db, req->params[0], strcmp(vis, "public") == 0);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    log_info("directory visibility room=%s visibility=%s", req->params[0], vis);
    http_reply_json(rep, 200, json_object());
}

/* Whether the room's state event (type, "") has content[key] == value. */
static bool content_is(struct room *room, const char *type, const char *key, const char *value)
{
    json_t *ev = rooms_state_get(room, type, "");
    const char *v = json_string_value(json_object_get(json_object_get(ev, "content"), key));
    bool is = v && strcmp(v, value) == 0;
    json_decref(ev);
    return is;
}

static void set_string(json_t *obj, const char *key, struct room *room, const char *type,
                       const char *ckey)
{
    json_t *ev = rooms_state_get(room, type, "");
    json_t *v = json_object_get(json_object_get(ev, "content"), ckey);
    if (json_is_string(v) && json_string_length(v) > 0)
        json_object_set(obj, key, v);
    json_decref(ev);
}

json_t *client_directory_chunk(struct room *room)
{
    json_t *c = json_pack("{s:s}", "room_id", room->room_id);
    set_string(c, "name", room, "m.room.name", "name");
    set_string(c, "topic", room, "m.room.topic", "topic");
    set_string(c, "canonical_alias", room, "m.room.canonical_alias", "alias");
    set_string(c, "avatar_url", room, "m.room.avatar", "url");
    set_string(c, "join_rule", room, "m.room.join_rules", "join_rule");
    set_string(c, "room_type", room, "m.room.create", "type");
    size_t n;
    char **members = rooms_joined_members(room, &n);
    db_strings_free(members, n);
    json_object_set_new(c, "num_joined_members", json_integer((json_int_t)n));
    json_object_set_new(c, "world_readable",
                        json_boolean(content_is(room, "m.room.history_visibility",
                                                "history_visibility", "world_readable")));
    json_object_set_new(c, "guest_can_join",
                        json_boolean(content_is(room, "m.room.guest_access", "guest_access",
                                                "can_join")));
    return c;
}

/* Case-insensitive (ASCII) substring test. */
static bool contains_ci(const char *hay, const char *needle)
{
    if (!hay)
        return false;
    size_t nl = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < nl && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == nl)
            return true;
    }
    return nl == 0;
}

static bool matches(const json_t *chunk, const char *term, const json_t *room_types)
{
    if (term && term[0] &&
        !contains_ci(json_string_value(json_object_get(chunk, "name")), term) &&
        !contains_ci(json_string_value(json_object_get(chunk, "topic")), term) &&
        !contains_ci(json_string_value(json_object_get(chunk, "canonical_alias")), term))
        return false;
    if (json_is_array(room_types)) {
        const json_t *type = json_object_get(chunk, "room_type");
        size_t i;
        json_t *v;
        bool any = false;
        json_array_foreach(room_types, i, v)
        {
            if (json_is_null(v) ? !type : type && json_equal(v, type))
                any = true;
        }
        if (!any)
            return false;
    }
    return true;
}

static int by_members(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t nx = json_integer_value(json_object_get(x, "num_joined_members"));
    json_int_t ny = json_integer_value(json_object_get(y, "num_joined_members"));
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "room_id")),
                  json_string_value(json_object_get(y, "room_id")));
}

/* Whether the directory shows a published room (Synapse's rule, see above). */
static bool listable(const json_t *chunk)
{
    const char *jr = json_string_value(json_object_get(chunk, "join_rule"));
    return json_is_true(json_object_get(chunk, "world_readable")) ||
           (jr && (strcmp(jr, "public") == 0 || strcmp(jr, "knock") == 0 ||
                   strcmp(jr, "knock_restricted") == 0));
}

static void public_rooms(struct http_request *req, struct http_reply *rep, int64_t limit,
                         const char *since, const char *term, const json_t *room_types)
{
    struct server *srv = client_server(req);
    int64_t offset = 0;
    if (since && (since[0] != 'o' ||
                  str_to_i64(since + 1, strlen(since + 1), 0, INT64_MAX, &offset) != 0)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Invalid 'since' token");
        return;
    }
    char **ids;
    size_t n;
    int rc = db_rooms_public(srv->db, &ids, &n);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    json_t **chunks = xcalloc(n + 1, sizeof *chunks);
    size_t total = 0, kept = 0;
    for (size_t i = 0; i < n; i++) {
        struct room *room;
        if (rooms_get(srv, ids[i], &room) != 0)
            continue;
        json_t *c = client_directory_chunk(room);
        if (!listable(c)) {
            json_decref(c);
            continue;
        }
        total++;
        if (!matches(c, term, room_types)) {
            json_decref(c);
            continue;
        }
        chunks[kept++] = c;
    }
    db_strings_free(ids, n);
    qsort(chunks, kept, sizeof *chunks, by_members);
    json_t *list = json_array();
    size_t start = offset < (int64_t)kept ? (size_t)offset : kept;
    size_t end = kept;
    if (limit >= 0 && (size_t)limit < kept - start)
        end = start + (size_t)limit;
    for (size_t i = start; i < end; i++)
        json_array_append(list, chunks[i]);
    for (size_t i = 0; i < kept; i++)
        json_decref(chunks[i]);
    free(chunks);
    json_t *body = json_pack("{s:o, s:I}", "chunk", list, "total_room_count_estimate",
                             (json_int_t)total);
    char tok[32];
    if (end < kept) {
        snprintf(tok, sizeof tok, "o%zu", end);
        json_object_set_new(body, "next_batch", json_string(tok));
    }
    if (start > 0) {
        int64_t prev = limit >= 0 && (int64_t)start > limit ? (int64_t)start - limit : 0;
        snprintf(tok, sizeof tok, "o%lld", (long long)prev);
        json_object_set_new(body, "prev_batch", json_string(tok));
    }
    http_reply_json(rep, 200, body);
}

/* A `server` other than this one would need federation: answered as Synapse
 * does for an unreachable server. */
static bool own_server(struct http_request *req, struct http_reply *rep, const char *server)
{
    if (!server || strcmp(server, client_server(req)->cfg->server_name) == 0)
        return true;
    http_reply_error(rep, 404, "M_NOT_FOUND", "Cannot query the directory of %s", server);
    return false;
}

/* GET /publicRooms?limit&since&server (no authentication needed) */
void client_public_rooms_get(struct http_request *req, struct http_reply *rep)
{
    int64_t limit = -1;
    if (!client_query_limit(req, rep, DIRECTORY_MAX_LIMIT, &limit))
        return;
    if (!own_server(req, rep, http_query(req, "server")))
        return;
    public_rooms(req, rep, limit, http_query(req, "since"), NULL, NULL);
}

/* POST /publicRooms {limit, since, filter: {generic_search_term, room_types},
 * include_all_networks, third_party_instance_id} */
void client_public_rooms_post(struct http_request *req, struct http_reply *rep)
{
    json_t *b = req->json;
    json_t *lim = json_object_get(b, "limit");
    if (lim && !json_is_null(lim) && (!json_is_integer(lim) || json_integer_value(lim) < 0)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'limit' must be a non-negative integer");
        return;
    }
    int64_t limit = json_is_integer(lim) ? json_integer_value(lim) : -1;
    if (limit > DIRECTORY_MAX_LIMIT)
        limit = DIRECTORY_MAX_LIMIT;
    const char *since, *term = NULL;
    if (!client_opt_string(rep, b, "since", &since))
        return;
    json_t *filter = json_object_get(b, "filter");
    if (filter && !json_is_null(filter) && !json_is_object(filter)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'filter' must be an object");
        return;
    }
    if (!client_opt_string(rep, filter, "generic_search_term", &term))
        return;
    json_t *types = json_object_get(filter, "room_types");
    if (types && !json_is_null(types) && !json_is_array(types)) {
        http_reply_error(rep, 400, "M_BAD_JSON", "'room_types' must be an array");
        return;
    }
    /* Networks of third-party bridges (application services): relais has
     * none, so only the Matrix rooms exist; a named network lists nothing.
     * As Synapse: include_all_networks with a network is 400, and a network
     * ID is "<protocol>|<instance>". */
    bool all_networks;
    const char *network;
    if (!client_opt_bool(rep, b, "include_all_networks", false, &all_networks) ||
        !client_opt_string(rep, b, "third_party_instance_id", &network))
        return;
    if (network && (all_networks || !strchr(network, '|'))) {
        http_reply_error(rep, 400, "M_INVALID_PARAM",
                         all_networks ? "Can't use include_all_networks with an explicit network"
                                      : "Invalid third_party_instance_id");
        return;
    }
    if (!own_server(req, rep, http_query(req, "server")))
        return;
    if (network) {
        http_reply_json(rep, 200, json_pack("{s:[], s:i}", "chunk", "total_room_count_estimate",
                                            0));
        return;
    }
    public_rooms(req, rep, limit, since, term, types);
}
