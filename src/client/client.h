/* client.h: the Client-Server API: its route table and the helpers shared by
 * the endpoint group files (one file per group of URLs, as the spec groups them). */
#ifndef RELAIS_CLIENT_CLIENT_H
#define RELAIS_CLIENT_CLIENT_H

#include "http/http.h"
#include "server/server.h"

#include <stdbool.h>

/* Adds every client, well-known and key route to the http server. */
void client_routes_register(struct http_server *http);

/* The server a request belongs to. */
static inline struct server *client_server(struct http_request *req)
{
    return http_server_app(req->server);
}

/* Reads an optional string member; a present non-string is answered with
 * 400 M_BAD_JSON naming the key. Returns false (rep filled) on error. */
bool client_opt_string(struct http_reply *rep, json_t *obj, const char *key, const char **out);
/* Same, but absence is 400 M_MISSING_PARAM. */
bool client_req_string(struct http_reply *rep, json_t *obj, const char *key, const char **out);
/* Reads an optional boolean member (default def). */
bool client_opt_bool(struct http_reply *rep, json_t *obj, const char *key, bool def, bool *out);
/* Answers 500 M_UNKNOWN for a storage failure (the details go to the log). */
void client_internal_error(struct http_reply *rep, int rc);
/* Answers a failed call: ERR_NOT_FOUND with 404 M_NOT_FOUND and the message not_found, any
 * other error with client_internal_error. Returns false, the reply untouched, when rc is 0. */
bool client_reply_failure(struct http_reply *rep, int rc, const char *not_found);
/* Reads the ?limit= query parameter into *limit (left as the caller's default when absent),
 * capped at max. A value that is not a non-negative integer is answered with 400
 * M_INVALID_PARAM; returns false then. */
bool client_query_limit(struct http_request *req, struct http_reply *rep, int64_t max,
                        int64_t *limit);
struct room;
/* Finds room_id and checks that user_id may read it (rooms_readable: joined, departed or
 * world_readable). *room (when room is not NULL) gets the room, which lives until shutdown;
 * *leave_id (when not NULL) the departed user's leave event ID (owned) or NULL. Otherwise
 * answers 403 M_FORBIDDEN with the message forbidden and returns false. */
bool client_room_readable(struct server *srv, struct http_reply *rep, const char *room_id,
                          const char *user_id, const char *forbidden, struct room **room,
                          char **leave_id);
/* As client_room_readable, with *upto set to how far the user may read: the
 * stream position of a departed user's leave event, else INT64_MAX. */
bool client_room_readable_upto(struct server *srv, struct http_reply *rep, const char *room_id,
                               const char *user_id, const char *forbidden, int64_t *upto);

/* Creates (or reuses) a device, issues its tokens and answers rep with the body that
 * /login and /register reply with (or an internal error). device_id NULL generates one. */
void client_login_start_session(struct server *srv, struct http_request *req,
                                struct http_reply *rep, const char *user_id,
                                const char *device_id, const char *display_name,
                                bool with_refresh);

/* ---- handlers, one group per file ---- */
/* versions.c */
void client_versions(struct http_request *req, struct http_reply *rep);
void client_well_known_client(struct http_request *req, struct http_reply *rep);
void client_well_known_server(struct http_request *req, struct http_reply *rep);
void client_capabilities(struct http_request *req, struct http_reply *rep);
void client_server_keys(struct http_request *req, struct http_reply *rep);
/* login.c */
void client_login_flows(struct http_request *req, struct http_reply *rep);
void client_login(struct http_request *req, struct http_reply *rep);
void client_logout(struct http_request *req, struct http_reply *rep);
void client_logout_all(struct http_request *req, struct http_reply *rep);
void client_refresh(struct http_request *req, struct http_reply *rep);
/* register.c */
void client_register(struct http_request *req, struct http_reply *rep);
void client_register_available(struct http_request *req, struct http_reply *rep);
void client_register_token_validity(struct http_request *req, struct http_reply *rep);
/* account.c */
void client_whoami(struct http_request *req, struct http_reply *rep);
void client_password(struct http_request *req, struct http_reply *rep);
void client_deactivate(struct http_request *req, struct http_reply *rep);
void client_threepids(struct http_request *req, struct http_reply *rep);
/* devices.c */
void client_devices_list(struct http_request *req, struct http_reply *rep);
void client_device_get(struct http_request *req, struct http_reply *rep);
void client_device_put(struct http_request *req, struct http_reply *rep);
void client_device_delete(struct http_request *req, struct http_reply *rep);
void client_devices_delete(struct http_request *req, struct http_reply *rep);
/* profile.c */
void client_profile_get(struct http_request *req, struct http_reply *rep);
void client_profile_field_get(struct http_request *req, struct http_reply *rep);
void client_profile_field_put(struct http_request *req, struct http_reply *rep);
/* rooms.c */
void client_rooms_error(struct http_reply *rep, int rc, const char *reason);
void client_create_room(struct http_request *req, struct http_reply *rep);
void client_join_by_alias(struct http_request *req, struct http_reply *rep);
void client_room_join(struct http_request *req, struct http_reply *rep);
void client_room_leave(struct http_request *req, struct http_reply *rep);
void client_room_member_action(struct http_request *req, struct http_reply *rep);
void client_room_forget(struct http_request *req, struct http_reply *rep);
void client_room_send(struct http_request *req, struct http_reply *rep);
void client_room_state_put(struct http_request *req, struct http_reply *rep);
void client_room_redact(struct http_request *req, struct http_reply *rep);
void client_room_state_all(struct http_request *req, struct http_reply *rep);
void client_room_state_get(struct http_request *req, struct http_reply *rep);
void client_room_members(struct http_request *req, struct http_reply *rep);
void client_room_joined_members(struct http_request *req, struct http_reply *rep);
void client_room_initial_sync(struct http_request *req, struct http_reply *rep);
void client_initial_sync(struct http_request *req, struct http_reply *rep);
void client_joined_rooms(struct http_request *req, struct http_reply *rep);
void client_room_event(struct http_request *req, struct http_reply *rep);
/* messages.c */
void client_room_messages(struct http_request *req, struct http_reply *rep);
void client_room_account_data_get(struct http_request *req, struct http_reply *rep);
void client_room_account_data_put(struct http_request *req, struct http_reply *rep);
void client_room_tags_get(struct http_request *req, struct http_reply *rep);
void client_room_tag_change(struct http_request *req, struct http_reply *rep);
/* aliases.c */
void client_alias_put(struct http_request *req, struct http_reply *rep);
void client_alias_get(struct http_request *req, struct http_reply *rep);
void client_alias_delete(struct http_request *req, struct http_reply *rep);
void client_room_aliases(struct http_request *req, struct http_reply *rep);
/* True when user_id has the power to send the state event type in room. */
struct room;
bool client_room_power_for_state(struct room *room, const char *user_id, const char *type);
/* Checks an m.room.canonical_alias content before it is sent: every alias it
 * adds must be valid (else 400 M_INVALID_PARAM) and point to room_id (else 400
 * M_BAD_ALIAS). Returns false with rep filled on refusal. */
bool client_canonical_alias_check(struct server *srv, struct http_reply *rep, const char *room_id,
                                  const json_t *content);
/* directory.c */
void client_directory_visibility_get(struct http_request *req, struct http_reply *rep);
void client_directory_visibility_put(struct http_request *req, struct http_reply *rep);
void client_public_rooms_get(struct http_request *req, struct http_reply *rep);
void client_public_rooms_post(struct http_request *req, struct http_reply *rep);
/* The directory's description of a room (spec: PublishedRoomsChunk). Owned. */
json_t *client_directory_chunk(struct room *room);
/* thirdparty.c */
void client_thirdparty_protocols(struct http_request *req, struct http_reply *rep);
void client_thirdparty_lookup(struct http_request *req, struct http_reply *rep);
/* relations.c */
void client_room_relations(struct http_request *req, struct http_reply *rep);
void client_room_threads(struct http_request *req, struct http_reply *rep);
/* hierarchy.c */
void client_room_hierarchy(struct http_request *req, struct http_reply *rep);
void client_room_summary(struct http_request *req, struct http_reply *rep);
/* upgrade.c */
void client_room_upgrade(struct http_request *req, struct http_reply *rep);
/* context.c */
void client_room_context(struct http_request *req, struct http_reply *rep);
void client_room_timestamp_to_event(struct http_request *req, struct http_reply *rep);
/* sync.c */
void client_sync(struct http_request *req, struct http_reply *rep);
/* events.c */
void client_events_peek(struct http_request *req, struct http_reply *rep);
void client_filter_create(struct http_request *req, struct http_reply *rep);
void client_filter_get(struct http_request *req, struct http_reply *rep);
/* account_data.c */
void client_account_data_get(struct http_request *req, struct http_reply *rep);
void client_account_data_put(struct http_request *req, struct http_reply *rep);
/* Whether the {userId} of an account-data path (params[0]) is the requester; answers 403
 * M_FORBIDDEN and returns false otherwise. */
bool client_account_data_own(struct http_request *req, struct http_reply *rep);
/* Stores content (borrowed) as user_id's account data of type (room_id NULL or "": global)
 * and wakes the user's syncs; returns 0 or the storage error. */
int client_account_data_store(struct server *srv, const char *user_id, const char *room_id,
                              const char *type, const json_t *content);

/* keys.c */
/* Checks and stores the device_keys, one_time_keys and fallback_keys of body
 * (borrowed) for the authenticated user's device_id, as /keys/upload does.
 * Returns false with rep filled (400 for bad keys or signatures, 500). */
bool client_keys_store(struct http_request *req, struct http_reply *rep, json_t *body,
                       const char *device_id);
void client_keys_upload(struct http_request *req, struct http_reply *rep);
void client_keys_query(struct http_request *req, struct http_reply *rep);
void client_keys_claim(struct http_request *req, struct http_reply *rep);
void client_keys_changes(struct http_request *req, struct http_reply *rep);
void client_keys_device_signing_upload(struct http_request *req, struct http_reply *rep);
void client_keys_signatures_upload(struct http_request *req, struct http_reply *rep);
/* dehydrated.c */
void client_dehydrated_get(struct http_request *req, struct http_reply *rep);
void client_dehydrated_put(struct http_request *req, struct http_reply *rep);
void client_dehydrated_delete(struct http_request *req, struct http_reply *rep);
void client_dehydrated_events(struct http_request *req, struct http_reply *rep);
/* to_device.c */
void client_send_to_device(struct http_request *req, struct http_reply *rep);
/* backup.c */
void client_backup_version_create(struct http_request *req, struct http_reply *rep);
void client_backup_version_get(struct http_request *req, struct http_reply *rep);
void client_backup_version_put(struct http_request *req, struct http_reply *rep);
void client_backup_version_delete(struct http_request *req, struct http_reply *rep);
void client_backup_keys_put(struct http_request *req, struct http_reply *rep);
void client_backup_keys_get(struct http_request *req, struct http_reply *rep);
void client_backup_keys_delete(struct http_request *req, struct http_reply *rep);

#endif
