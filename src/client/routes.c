/* routes.c: the one table of client-facing endpoints (Client-Server API,
 * discovery, and the key server). "v3" in a pattern also answers "r0".
 * Order matters only where two patterns could match the same path. */
#include "client/client.h"
#include "client/conversation.h"
#include "client/media.h"

#define CS "/_matrix/client/v3"
#define MSC3814 "/_matrix/client/unstable/org.matrix.msc3814.v1"
#define A ROUTE_AUTH
#define J ROUTE_JSON

static const struct http_route client_routes[] = {
    /* discovery */
    {HTTP_GET, "/_matrix/client/versions", client_versions, 0},
    {HTTP_GET, "/.well-known/matrix/client", client_well_known_client, 0},
    {HTTP_GET, "/.well-known/matrix/server", client_well_known_server, 0},
    {HTTP_GET, "/_matrix/key/v2/server", client_server_keys, 0},
    {HTTP_GET, CS "/capabilities", client_capabilities, A},
    /* login, logout, tokens */
    {HTTP_GET, CS "/login", client_login_flows, 0},
    {HTTP_POST, CS "/login", client_login, J | ROUTE_RL_LOGIN},
    {HTTP_POST, CS "/logout", client_logout, A},
    {HTTP_POST, CS "/logout/all", client_logout_all, A},
    {HTTP_POST, CS "/refresh", client_refresh, J},
    /* registration */
    {HTTP_POST, CS "/register", client_register, J | ROUTE_RL_REGISTER},
    {HTTP_GET, CS "/register/available", client_register_available, ROUTE_RL_REGISTER},
    {HTTP_GET, "/_matrix/client/v1/register/m.login.registration_token/validity",
     client_register_token_validity, ROUTE_RL_REGISTER},
    /* account */
    {HTTP_GET, CS "/account/whoami", client_whoami, A},
    {HTTP_POST, CS "/account/password", client_password, A | J},
    {HTTP_POST, CS "/account/deactivate", client_deactivate, A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_GET, CS "/account/3pid", client_threepids, A},
    /* devices */
    {HTTP_GET, CS "/devices", client_devices_list, A},
    {HTTP_GET, CS "/devices/{deviceId}", client_device_get, A},
    {HTTP_PUT, CS "/devices/{deviceId}", client_device_put, A | J},
    {HTTP_DELETE, CS "/devices/{deviceId}", client_device_delete, A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_POST, CS "/delete_devices", client_devices_delete, A | J},
    /* profile */
    {HTTP_GET, CS "/profile/{userId}", client_profile_get, ROUTE_AUTH_OPTIONAL},
    {HTTP_GET, CS "/profile/{userId}/displayname", client_profile_field_get, ROUTE_AUTH_OPTIONAL},
    {HTTP_PUT, CS "/profile/{userId}/displayname", client_profile_field_put, A | J},
    {HTTP_GET, CS "/profile/{userId}/avatar_url", client_profile_field_get, ROUTE_AUTH_OPTIONAL},
    {HTTP_PUT, CS "/profile/{userId}/avatar_url", client_profile_field_put, A | J},
    /* rooms (rooms.c) */
    {HTTP_POST, CS "/createRoom", client_create_room, A | J},
    {HTTP_POST, CS "/join/{roomIdOrAlias}", client_join_by_alias, A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_POST, CS "/knock/{roomIdOrAlias}", client_join_by_alias, A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_POST, CS "/rooms/{roomId}/join", client_room_join, A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_POST, CS "/rooms/{roomId}/leave", client_room_leave, A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_POST, CS "/rooms/{roomId}/forget", client_room_forget, A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_POST, CS "/rooms/{roomId}/invite", client_room_member_action, A | J},
    {HTTP_POST, CS "/rooms/{roomId}/kick", client_room_member_action, A | J},
    {HTTP_POST, CS "/rooms/{roomId}/ban", client_room_member_action, A | J},
    {HTTP_POST, CS "/rooms/{roomId}/unban", client_room_member_action, A | J},
    {HTTP_PUT, CS "/rooms/{roomId}/send/{eventType}/{txnId}", client_room_send,
     A | J | ROUTE_INLINE}, /* built on the polling thread: rooms.c send_event */
    {HTTP_PUT, CS "/rooms/{roomId}/redact/{eventId}/{txnId}", client_room_redact,
     A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_GET, CS "/rooms/{roomId}/state", client_room_state_all, A},
    {HTTP_GET, CS "/rooms/{roomId}/state/{eventType}", client_room_state_get, A},
    {HTTP_GET, CS "/rooms/{roomId}/state/{eventType}/{stateKey}", client_room_state_get, A},
    {HTTP_PUT, CS "/rooms/{roomId}/state/{eventType}", client_room_state_put, A | J},
    {HTTP_PUT, CS "/rooms/{roomId}/state/{eventType}/{stateKey}", client_room_state_put, A | J},
    {HTTP_GET, CS "/rooms/{roomId}/event/{eventId}", client_room_event, A},
    {HTTP_GET, CS "/rooms/{roomId}/members", client_room_members, A},
    {HTTP_GET, CS "/rooms/{roomId}/joined_members", client_room_joined_members, A},
    {HTTP_GET, CS "/rooms/{roomId}/initialSync", client_room_initial_sync, A},
    {HTTP_GET, CS "/initialSync", client_initial_sync, A},
    {HTTP_GET, CS "/joined_rooms", client_joined_rooms, A},
    {HTTP_GET, CS "/rooms/{roomId}/messages", client_room_messages, A},
    /* room aliases (aliases.c) */
    {HTTP_PUT, CS "/directory/room/{roomAlias}", client_alias_put, A | J},
    {HTTP_GET, CS "/directory/room/{roomAlias}", client_alias_get, ROUTE_AUTH_OPTIONAL},
    {HTTP_DELETE, CS "/directory/room/{roomAlias}", client_alias_delete, A},
    {HTTP_GET, CS "/rooms/{roomId}/aliases", client_room_aliases, A},
    /* room directory (directory.c) */
    {HTTP_GET, CS "/directory/list/room/{roomId}", client_directory_visibility_get, 0},
    {HTTP_PUT, CS "/directory/list/room/{roomId}", client_directory_visibility_put, A | J},
    {HTTP_GET, CS "/publicRooms", client_public_rooms_get, ROUTE_AUTH_OPTIONAL},
    {HTTP_POST, CS "/publicRooms", client_public_rooms_post, A | J},
    /* third-party networks (thirdparty.c): none */
    {HTTP_GET, CS "/thirdparty/protocols", client_thirdparty_protocols, A},
    {HTTP_GET, CS "/thirdparty/protocol/{protocol}", client_thirdparty_lookup, A},
    {HTTP_GET, CS "/thirdparty/location/{protocol}", client_thirdparty_lookup, A},
    {HTTP_GET, CS "/thirdparty/user/{protocol}", client_thirdparty_lookup, A},
    {HTTP_GET, CS "/thirdparty/location", client_thirdparty_lookup, A},
    {HTTP_GET, CS "/thirdparty/user", client_thirdparty_lookup, A},
    /* relations and threads (relations.c) */
    {HTTP_GET, "/_matrix/client/v1/rooms/{roomId}/relations/{eventId}", client_room_relations, A},
    {HTTP_GET, "/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}",
     client_room_relations, A},
    {HTTP_GET, "/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}",
     client_room_relations, A},
    {HTTP_GET, "/_matrix/client/v1/rooms/{roomId}/threads", client_room_threads, A},
    {HTTP_GET, "/_matrix/client/v1/rooms/{roomId}/hierarchy", client_room_hierarchy, A},
    {HTTP_GET, "/_matrix/client/v1/room_summary/{roomIdOrAlias}", client_room_summary, A},
    /* MSC3266's unstable path, the one matrix-js-sdk's getRoomSummary calls */
    {HTTP_GET, "/_matrix/client/unstable/im.nheko.summary/summary/{roomIdOrAlias}",
     client_room_summary, A},
    /* room upgrades (upgrade.c) */
    {HTTP_POST, CS "/rooms/{roomId}/upgrade", client_room_upgrade, A | J},
    /* event context (context.c) */
    {HTTP_GET, CS "/rooms/{roomId}/context/{eventId}", client_room_context, A},
    {HTTP_GET, "/_matrix/client/v1/rooms/{roomId}/timestamp_to_event",
     client_room_timestamp_to_event, A},
    /* sync and filters (sync.c) */
    {HTTP_GET, CS "/sync", client_sync, A},
    {HTTP_GET, CS "/events", client_events_peek, A},
    {HTTP_POST, CS "/user/{userId}/filter", client_filter_create, A | J},
    {HTTP_GET, CS "/user/{userId}/filter/{filterId}", client_filter_get, A},
    /* room account data and tags (messages.c) */
    {HTTP_GET, CS "/user/{userId}/rooms/{roomId}/account_data/{type}",
     client_room_account_data_get, A},
    {HTTP_PUT, CS "/user/{userId}/rooms/{roomId}/account_data/{type}",
     client_room_account_data_put, A | J},
    {HTTP_GET, CS "/user/{userId}/rooms/{roomId}/tags", client_room_tags_get, A},
    {HTTP_PUT, CS "/user/{userId}/rooms/{roomId}/tags/{tag}", client_room_tag_change, A | J},
    {HTTP_DELETE, CS "/user/{userId}/rooms/{roomId}/tags/{tag}", client_room_tag_change, A},
    /* account data */
    {HTTP_GET, CS "/user/{userId}/account_data/{type}", client_account_data_get, A},
    {HTTP_PUT, CS "/user/{userId}/account_data/{type}", client_account_data_put, A | J},
    /* typing (typing.c), receipts and read markers (receipts.c) */
    {HTTP_PUT, CS "/rooms/{roomId}/typing/{userId}", client_room_typing, A | J},
    {HTTP_POST, CS "/rooms/{roomId}/receipt/{receiptType}/{eventId}", client_room_receipt,
     A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_POST, CS "/rooms/{roomId}/read_markers", client_room_read_markers, A | J},
    /* notifications (notifications.c), push rules (pushrules.c) */
    {HTTP_GET, CS "/notifications", client_notifications, A},
    {HTTP_POST, CS "/search", client_search, A | J},
    {HTTP_POST, CS "/rooms/{roomId}/report/{eventId}", client_report_event,
     A | J | ROUTE_JSON_OPTIONAL},
    {HTTP_POST, CS "/rooms/{roomId}/report", client_report_room, A | J},
    {HTTP_GET, CS "/pushers", client_pushers_get, A},
    {HTTP_GET, CS "/presence/{userId}/status", client_presence_get, A},
    {HTTP_PUT, CS "/presence/{userId}/status", client_presence_put, A | J},
    {HTTP_POST, CS "/pushers/set", client_pushers_set, A | J},
    {HTTP_GET, CS "/pushrules/", client_pushrules_get_all, A},
    {HTTP_GET, CS "/pushrules/{scope}/", client_pushrules_get_all, A},
    {HTTP_GET, CS "/pushrules/{scope}/{kind}/{ruleId}", client_pushrule_get, A},
    {HTTP_PUT, CS "/pushrules/{scope}/{kind}/{ruleId}", client_pushrule_put, A | J},
    {HTTP_DELETE, CS "/pushrules/{scope}/{kind}/{ruleId}", client_pushrule_delete, A},
    {HTTP_GET, CS "/pushrules/{scope}/{kind}/{ruleId}/enabled", client_pushrule_get, A},
    {HTTP_PUT, CS "/pushrules/{scope}/{kind}/{ruleId}/enabled", client_pushrule_put_attr, A | J},
    {HTTP_GET, CS "/pushrules/{scope}/{kind}/{ruleId}/actions", client_pushrule_get, A},
    {HTTP_PUT, CS "/pushrules/{scope}/{kind}/{ruleId}/actions", client_pushrule_put_attr, A | J},
    /* end-to-end encryption keys (keys.c), to-device (to_device.c), key backup (backup.c) */
    {HTTP_POST, CS "/keys/upload", client_keys_upload, A | J},
    {HTTP_POST, CS "/keys/query", client_keys_query, A | J},
    {HTTP_POST, CS "/keys/claim", client_keys_claim, A | J},
    {HTTP_GET, CS "/keys/changes", client_keys_changes, A},
    {HTTP_POST, CS "/keys/device_signing/upload", client_keys_device_signing_upload, A | J},
    {HTTP_POST, CS "/keys/signatures/upload", client_keys_signatures_upload, A | J},
    {HTTP_PUT, CS "/sendToDevice/{eventType}/{txnId}", client_send_to_device, A | J},
    {HTTP_POST, CS "/room_keys/version", client_backup_version_create, A | J},
    {HTTP_GET, CS "/room_keys/version", client_backup_version_get, A},
    {HTTP_GET, CS "/room_keys/version/{version}", client_backup_version_get, A},
    {HTTP_PUT, CS "/room_keys/version/{version}", client_backup_version_put, A | J},
    {HTTP_DELETE, CS "/room_keys/version/{version}", client_backup_version_delete, A},
    {HTTP_PUT, CS "/room_keys/keys", client_backup_keys_put, A | J},
    {HTTP_GET, CS "/room_keys/keys", client_backup_keys_get, A},
    {HTTP_DELETE, CS "/room_keys/keys", client_backup_keys_delete, A},
    {HTTP_PUT, CS "/room_keys/keys/{roomId}", client_backup_keys_put, A | J},
    {HTTP_GET, CS "/room_keys/keys/{roomId}", client_backup_keys_get, A},
    {HTTP_DELETE, CS "/room_keys/keys/{roomId}", client_backup_keys_delete, A},
    {HTTP_PUT, CS "/room_keys/keys/{roomId}/{sessionId}", client_backup_keys_put, A | J},
    {HTTP_GET, CS "/room_keys/keys/{roomId}/{sessionId}", client_backup_keys_get, A},
    {HTTP_DELETE, CS "/room_keys/keys/{roomId}/{sessionId}", client_backup_keys_delete, A},
    /* user directory (user_directory.c) */
    {HTTP_POST, CS "/user_directory/search", client_user_directory_search, A | J},
    /* dehydrated devices, MSC3814 (dehydrated.c) */
    {HTTP_GET, MSC3814 "/dehydrated_device", client_dehydrated_get, A},
    {HTTP_PUT, MSC3814 "/dehydrated_device", client_dehydrated_put, A | J},
    {HTTP_DELETE, MSC3814 "/dehydrated_device", client_dehydrated_delete, A},
    {HTTP_POST, MSC3814 "/dehydrated_device/{deviceId}/events", client_dehydrated_events,
     A | J | ROUTE_JSON_OPTIONAL},
    /* content repository (media.c); the legacy /_matrix/media/{v3,r0} downloads and
     * thumbnails answer 404 unless [media] legacy_unauthenticated = 1 */
    {HTTP_POST, "/_matrix/media/v3/upload", client_media_upload, A | ROUTE_RAW_BODY},
    {HTTP_POST, "/_matrix/media/r0/upload", client_media_upload, A | ROUTE_RAW_BODY},
    {HTTP_POST, "/_matrix/media/v1/create", client_media_create, A},
    {HTTP_PUT, "/_matrix/media/v3/upload/{serverName}/{mediaId}", client_media_upload_put,
     A | ROUTE_RAW_BODY},
    {HTTP_GET, "/_matrix/client/v1/media/download/{serverName}/{mediaId}", client_media_download,
     A},
    {HTTP_GET, "/_matrix/client/v1/media/download/{serverName}/{mediaId}/{fileName}",
     client_media_download, A},
    {HTTP_GET, "/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}",
     client_media_thumbnail, A},
    {HTTP_GET, "/_matrix/client/v1/media/config", client_media_config, A},
    {HTTP_GET, "/_matrix/client/v1/media/preview_url", client_media_preview_url, A},
    {HTTP_GET, "/_matrix/media/v3/download/{serverName}/{mediaId}", client_media_download, 0},
    {HTTP_GET, "/_matrix/media/v3/download/{serverName}/{mediaId}/{fileName}",
     client_media_download, 0},
    {HTTP_GET, "/_matrix/media/r0/download/{serverName}/{mediaId}", client_media_download, 0},
    {HTTP_GET, "/_matrix/media/r0/download/{serverName}/{mediaId}/{fileName}",
     client_media_download, 0},
    {HTTP_GET, "/_matrix/media/v3/thumbnail/{serverName}/{mediaId}", client_media_thumbnail, 0},
    {HTTP_GET, "/_matrix/media/r0/thumbnail/{serverName}/{mediaId}", client_media_thumbnail, 0},
    {HTTP_GET, "/_matrix/media/v3/config", client_media_config, A},
    {HTTP_GET, "/_matrix/media/r0/config", client_media_config, A},
    {HTTP_GET, "/_matrix/media/v3/preview_url", client_media_preview_url, A},
    {HTTP_GET, "/_matrix/media/r0/preview_url", client_media_preview_url, A},
};

void client_routes_register(struct http_server *http)
{
    http_server_add_routes(http, client_routes, sizeof client_routes / sizeof client_routes[0],
                           HTTP_ERRORS_MATRIX);
}
