/* e2ee.h: the end-to-end-encryption parts of /sync (to_device,
 * device_lists, device_one_time_keys_count, device_unused_fallback_key_types)
 * and the device-list change computation shared with /keys/changes.
 * Spec: client-server "Extensions to /sync" in "End-to-End Encryption" and
 * "Send-to-Device messaging". Thread-safe (reads the database only, except
 * sync_e2ee_ack, which acknowledges delivered to-device messages). */
#ifndef RELAIS_SYNC_E2EE_H
#define RELAIS_SYNC_E2EE_H

#include "sync/sync.h"

#include <jansson.h>
#include <stdbool.h>

struct server;

enum { SYNC_TO_DEVICE_LIMIT = 100 };

/* Acknowledges (deletes) the to-device messages req's since token confirms:
 * a write, so call it before a read transaction, not inside. */
void sync_e2ee_ack(struct server *srv, const struct sync_request *req);

/* Builds {to_device, device_lists, device_one_time_keys_count,
 * device_unused_fallback_key_types} for req up to `to` (owned result, never
 * NULL: failures are logged and give empty sections). Moves
 * next->pos[NOTIFY_TO_DEVICE] back when more messages wait than one response
 * carries. Reads only (sync_e2ee_ack acknowledges first). rooms_moved: some
 * room of the user had events since the token (false spares looking for
 * membership changes). Sets *changed when something new is in it for the
 * client. */
json_t *sync_e2ee_sections(struct server *srv, const struct sync_request *req,
                           const struct sync_token *to, bool rooms_moved, struct sync_token *next,
                           bool *changed);

/* The users whose devices or cross-signing keys changed between the tokens
 * and who share a room with user_id (the user included), plus members of
 * rooms joined since; and the users who no longer share any room. Appends
 * user ID strings to the arrays `changed` and `left` (borrowed). */
int sync_e2ee_device_lists(struct server *srv, const char *user_id, const struct sync_token *from,
                           const struct sync_token *to, json_t *changed, json_t *left);

/* After a device-list change of user_id committed at position pos: wakes
 * every user who shares a room with them (and the user). pos 0: read the
 * current highest position. */
void sync_e2ee_device_list_changed(struct server *srv, const char *user_id, int64_t pos);

#endif
