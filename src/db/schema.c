/* schema.c: versioned schema migrations, applied in order at start.
 *
 * PRAGMA user_version holds the version. Each migration is appended, never
 * edited once released; all pending ones run in one transaction, and a
 * database newer than this binary is refused. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/log.h"

#include <stdio.h>

static const char *const migrations[] = {
    /* 1: accounts, devices, tokens, registration tokens, account data. */
    "CREATE TABLE users ("
    "  user_id TEXT PRIMARY KEY,"
    "  user_id_lower TEXT NOT NULL UNIQUE,"
    "  password_hash TEXT,"
    "  is_admin INTEGER NOT NULL DEFAULT 0,"
    "  deactivated INTEGER NOT NULL DEFAULT 0,"
    "  displayname TEXT,"
    "  avatar_url TEXT,"
    "  created_ts INTEGER NOT NULL);"
    "CREATE TABLE devices ("
    "  user_id TEXT NOT NULL,"
    "  device_id TEXT NOT NULL,"
    "  display_name TEXT,"
    "  last_seen_ip TEXT,"
    "  last_seen_ts INTEGER NOT NULL DEFAULT 0,"
    "  created_ts INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, device_id));"
    "CREATE TABLE access_tokens ("
    "  token_hash BLOB PRIMARY KEY,"
    "  user_id TEXT NOT NULL,"
    "  device_id TEXT NOT NULL,"
    "  expires_ts INTEGER NOT NULL DEFAULT 0,"
    "  refresh_hash BLOB UNIQUE,"
    "  created_ts INTEGER NOT NULL);"
    "CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);"
    "CREATE TABLE registration_tokens ("
    "  token TEXT PRIMARY KEY,"
    "  uses_allowed INTEGER NOT NULL DEFAULT -1,"
    "  completed INTEGER NOT NULL DEFAULT 0,"
    "  expiry_ts INTEGER NOT NULL DEFAULT 0,"
    "  created_ts INTEGER NOT NULL);"
    "CREATE TABLE account_data ("
    "  user_id TEXT NOT NULL,"
    "  room_id TEXT NOT NULL DEFAULT '',"
    "  type TEXT NOT NULL,"
    "  content TEXT NOT NULL,"
    "  stream_pos INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, room_id, type));"
    "CREATE INDEX account_data_stream ON account_data (user_id, stream_pos);"
    "CREATE TABLE admin_changes ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  what TEXT NOT NULL,"
    "  ts INTEGER NOT NULL);",
    /* 2: rooms, events, state groups, current state, memberships, aliases, filters. */
    "CREATE TABLE rooms ("
    "  room_id TEXT PRIMARY KEY,"
    "  room_version TEXT NOT NULL,"
    "  creator TEXT NOT NULL,"
    "  is_public INTEGER NOT NULL DEFAULT 0,"
    "  created_ts INTEGER NOT NULL);"
    "CREATE TABLE events ("
    "  stream_pos INTEGER PRIMARY KEY,"
    "  event_id TEXT NOT NULL UNIQUE,"
    "  room_id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  state_key TEXT,"
    "  sender TEXT NOT NULL,"
    "  depth INTEGER NOT NULL,"
    "  origin_server_ts INTEGER NOT NULL,"
    "  json TEXT NOT NULL,"
    "  state_group INTEGER NOT NULL,"
    "  redacted_by TEXT,"
    "  txn_device TEXT,"
    "  txn_id TEXT,"
    "  relates_to TEXT,"
    "  rel_type TEXT);"
    "CREATE INDEX events_room ON events (room_id, stream_pos);"
    "CREATE INDEX events_relates ON events (relates_to, rel_type, stream_pos) "
    "  WHERE relates_to IS NOT NULL;"
    "CREATE INDEX events_member ON events (room_id, state_key, stream_pos) "
    "  WHERE type = 'm.room.member';"
    "CREATE UNIQUE INDEX events_txn ON events (sender, txn_device, txn_id) "
    "  WHERE txn_id IS NOT NULL;"
    "CREATE TABLE state_groups ("
    "  id INTEGER PRIMARY KEY,"
    "  room_id TEXT NOT NULL,"
    "  prev_group INTEGER,"
    "  chain_len INTEGER NOT NULL);"
    "CREATE TABLE state_group_entries ("
    "  group_id INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  state_key TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  PRIMARY KEY (group_id, type, state_key));"
    "CREATE TABLE current_state ("
    "  room_id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  state_key TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  PRIMARY KEY (room_id, type, state_key));"
    "CREATE TABLE memberships ("
    "  room_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  membership TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  stream_pos INTEGER NOT NULL,"
    "  forgotten INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (room_id, user_id));"
    "CREATE INDEX memberships_user ON memberships (user_id, stream_pos);"
    "CREATE TABLE forward_extremities ("
    "  room_id TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  PRIMARY KEY (room_id, event_id));"
    "CREATE TABLE room_aliases ("
    "  alias TEXT PRIMARY KEY,"
    "  room_id TEXT NOT NULL,"
    "  creator TEXT NOT NULL);"
    "CREATE INDEX room_aliases_room ON room_aliases (room_id);"
    "CREATE TABLE filters ("
    "  user_id TEXT NOT NULL,"
    "  filter_id INTEGER NOT NULL,"
    "  json TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, filter_id));",
    /* 3: end-to-end encryption: device keys, one-time and fallback keys,
     * cross-signing keys and signatures, the device-list change stream,
     * to-device messages, and server-side key backup. */
    "CREATE TABLE e2e_device_keys ("
    "  user_id TEXT NOT NULL,"
    "  device_id TEXT NOT NULL,"
    "  json TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, device_id));"
    "CREATE TABLE e2e_one_time_keys ("
    "  user_id TEXT NOT NULL,"
    "  device_id TEXT NOT NULL,"
    "  algorithm TEXT NOT NULL,"
    "  key_id TEXT NOT NULL,"
    "  json TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, device_id, algorithm, key_id));"
    "CREATE TABLE e2e_fallback_keys ("
    "  user_id TEXT NOT NULL,"
    "  device_id TEXT NOT NULL,"
    "  algorithm TEXT NOT NULL,"
    "  key_id TEXT NOT NULL,"
    "  json TEXT NOT NULL,"
    "  used INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (user_id, device_id, algorithm));"
    "CREATE TABLE e2e_cross_signing_keys ("
    "  user_id TEXT NOT NULL,"
    "  usage TEXT NOT NULL,"
    "  public_key TEXT NOT NULL,"
    "  json TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, usage));"
    "CREATE TABLE e2e_signatures ("
    "  target_user TEXT NOT NULL,"
    "  target_key TEXT NOT NULL,"
    "  signer_user TEXT NOT NULL,"
    "  signer_key_id TEXT NOT NULL,"
    "  signature TEXT NOT NULL,"
    "  PRIMARY KEY (target_user, target_key, signer_user, signer_key_id));"
    "CREATE TABLE e2e_device_list_changes ("
    "  stream_pos INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  user_id TEXT NOT NULL);"
    "CREATE INDEX e2e_device_list_changes_user ON e2e_device_list_changes (user_id, stream_pos);"
    "CREATE TABLE to_device_messages ("
    "  stream_pos INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  user_id TEXT NOT NULL,"
    "  device_id TEXT NOT NULL,"
    "  sender TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  content TEXT NOT NULL);"
    "CREATE INDEX to_device_messages_target ON to_device_messages (user_id, device_id, stream_pos);"
    "CREATE TABLE to_device_txns ("
    "  sender TEXT NOT NULL,"
    "  sender_device TEXT NOT NULL,"
    "  txn_id TEXT NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  PRIMARY KEY (sender, sender_device, txn_id));"
    "CREATE TABLE backup_versions ("
    "  user_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  algorithm TEXT NOT NULL,"
    "  auth_data TEXT NOT NULL,"
    "  etag INTEGER NOT NULL DEFAULT 0,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (user_id, version));"
    "CREATE TABLE backup_keys ("
    "  user_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  room_id TEXT NOT NULL,"
    "  session_id TEXT NOT NULL,"
    "  first_message_index INTEGER NOT NULL,"
    "  forwarded_count INTEGER NOT NULL,"
    "  is_verified INTEGER NOT NULL,"
    "  session_data TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, version, room_id, session_id));",
    /* AI API keys (db/apikeys.c) */
    "CREATE TABLE api_keys ("
    "  key_hash BLOB PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_ts INTEGER NOT NULL);",
    /* read receipts (db/receipts.c) */
    "CREATE TABLE receipts ("
    "  stream_pos INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  room_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  thread_id TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  event_pos INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  UNIQUE (room_id, user_id, type, thread_id));"
    "CREATE INDEX receipts_room_pos ON receipts (room_id, stream_pos);",
    /* dehydrated devices (MSC3814, db/keys.c): at most one per user. */
    "CREATE TABLE e2e_dehydrated_devices ("
    "  user_id TEXT PRIMARY KEY,"
    "  device_id TEXT NOT NULL,"
    "  device_data TEXT NOT NULL);",
    /* push rules and event push actions (db/push.c) */
    "CREATE TABLE push_rules ("
    "  user_id TEXT PRIMARY KEY,"
    "  data TEXT NOT NULL);"
    "CREATE TABLE event_push_actions ("
    "  user_id TEXT NOT NULL,"
    "  room_id TEXT NOT NULL,"
    "  event_pos INTEGER NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  thread_id TEXT NOT NULL,"
    "  highlight INTEGER NOT NULL,"
    "  actions TEXT,"
    "  ts INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, room_id, event_pos)) WITHOUT ROWID;",
    /* push outcomes as one row per event (db/push.c): replaces the per-user
     * rows of event_push_actions, too costly to write for large rooms */
    "DROP TABLE event_push_actions;"
    "CREATE TABLE event_push ("
    "  room_id TEXT NOT NULL,"
    "  event_pos INTEGER NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  thread_id TEXT NOT NULL,"
    "  sender TEXT NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  all_but INTEGER NOT NULL,"
    "  users TEXT NOT NULL,"
    "  highlights TEXT NOT NULL,"
    "  actions TEXT NOT NULL,"
    "  overrides TEXT,"
    "  PRIMARY KEY (room_id, event_pos)) WITHOUT ROWID;"
    "CREATE INDEX event_push_pos ON event_push (event_pos);",
    /* the content repository (db/media.c): media items, whose bytes are files
     * named by sha256 under the data folder's media/, and cached thumbnails */
    "CREATE TABLE media ("
    "  server TEXT NOT NULL,"
    "  media_id TEXT NOT NULL,"
    "  content_type TEXT,"
    "  upload_name TEXT,"
    "  sha256 TEXT,"
    "  uploader TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  created_ts INTEGER NOT NULL,"
    "  expires_ts INTEGER NOT NULL,"
    "  quarantined INTEGER NOT NULL,"
    "  PRIMARY KEY (server, media_id)) WITHOUT ROWID;"
    "CREATE INDEX media_sha256 ON media (sha256);"
    "CREATE INDEX media_uploader ON media (uploader, created_ts);"
    "CREATE TABLE media_thumbnails ("
    "  server TEXT NOT NULL,"
    "  media_id TEXT NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  method TEXT NOT NULL,"
    "  content_type TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  PRIMARY KEY (server, media_id, width, height, method)) WITHOUT ROWID;"
    "CREATE INDEX media_thumbnails_sha256 ON media_thumbnails (sha256);",
    /* pushers and the push gateway delivery queue (db/pushers.c) */
    "CREATE TABLE pushers ("
    "  user_id TEXT NOT NULL,"
    "  app_id TEXT NOT NULL,"
    "  pushkey TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, app_id, pushkey));"
    "CREATE INDEX pushers_key ON pushers (app_id, pushkey);"
    "CREATE TABLE push_deliveries ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  user_id TEXT NOT NULL,"
    "  app_id TEXT NOT NULL,"
    "  pushkey TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  next_ms INTEGER NOT NULL);"
    "CREATE INDEX push_deliveries_next ON push_deliveries (next_ms);",
    /* full-text search of room events (db/search.c); rowid = stream position */
    "CREATE VIRTUAL TABLE event_search USING fts5(body, room_id UNINDEXED,"
    "  tokenize = 'unicode61 remove_diacritics 2');",
    /* content reports for the admins (db/reports.c) */
    "CREATE TABLE reports ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  ts INTEGER NOT NULL,"
    "  room_id TEXT NOT NULL,"
    "  event_id TEXT,"
    "  user_id TEXT NOT NULL,"
    "  reason TEXT,"
    "  score TEXT);",
    /* search v2 (db/search.c): a room column holding 'r' || hex(room_id) so a
     * query names the searcher's rooms inside MATCH (posting lists
     * intersected, not every match filtered); the index is carried over */
    "CREATE VIRTUAL TABLE event_search_v2 USING fts5(body, room, room_id UNINDEXED,"
    "  tokenize = 'unicode61 remove_diacritics 2');"
    "INSERT INTO event_search_v2 (rowid, body, room, room_id)"
    "  SELECT rowid, body, 'r' || hex(room_id), room_id FROM event_search;"
    "DROP TABLE event_search;",
    /* URL previews (db/media.c): the OpenGraph answer per URL until it expires */
    "CREATE TABLE url_previews ("
    "  url TEXT PRIMARY KEY,"
    "  og TEXT NOT NULL,"
    "  created_ts INTEGER NOT NULL,"
    "  expires_ts INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX url_previews_expires ON url_previews (expires_ts);",
    /* threads (db/relations.c): one row per thread root with the position of
     * its latest unredacted reply, and who took part (root sender, reply
     * senders), kept on persist so /threads pages an index instead of
     * scanning the room's events; filled from the events already stored */
    "CREATE TABLE threads ("
    "  root_id TEXT PRIMARY KEY,"
    "  room_id TEXT NOT NULL,"
    "  latest_pos INTEGER NOT NULL);"
    "CREATE INDEX threads_room ON threads (room_id, latest_pos);"
    "CREATE TABLE thread_participants ("
    "  root_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL,"
    "  PRIMARY KEY (root_id, user_id)) WITHOUT ROWID;"
    "INSERT INTO threads (root_id, room_id, latest_pos)"
    "  SELECT relates_to, room_id, MAX(stream_pos) FROM events"
    "  WHERE rel_type = 'm.thread' AND redacted_by IS NULL GROUP BY relates_to;"
    "INSERT OR IGNORE INTO thread_participants (root_id, user_id)"
    "  SELECT relates_to, sender FROM events WHERE rel_type = 'm.thread'"
    "  AND redacted_by IS NULL;"
    "INSERT OR IGNORE INTO thread_participants (root_id, user_id)"
    "  SELECT e.event_id, e.sender FROM events e JOIN threads t ON t.root_id = e.event_id;",
    /* the push worker's durable position (db/push.c): every event at or below
     * it has been through the push rules and the search index; at start the
     * events after it are evaluated again. An existing database starts at its
     * newest event. */
    "CREATE TABLE push_progress ("
    "  id INTEGER PRIMARY KEY CHECK (id = 0),"
    "  processed_pos INTEGER NOT NULL);"
    "INSERT INTO push_progress (id, processed_pos)"
    "  SELECT 0, COALESCE(MAX(stream_pos), 0) FROM events;",
    /* per-thread unread counts (db/push.c): the main timeline's rows after a
     * "main" receipt are read through this index, not every row of the room
     * since the reader joined */
    "CREATE INDEX event_push_thread ON event_push (room_id, thread_id, event_pos);",
    /* forward extremities (db/events.c) without a rowid: every send deletes
     * its room's extremity and inserts its own, in one b-tree instead of the
     * table and its primary-key index */
    "CREATE TABLE forward_extremities_v2 ("
    "  room_id TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  PRIMARY KEY (room_id, event_id)) WITHOUT ROWID;"
    "INSERT INTO forward_extremities_v2 (room_id, event_id)"
    "  SELECT room_id, event_id FROM forward_extremities;"
    "DROP TABLE forward_extremities;"
    "ALTER TABLE forward_extremities_v2 RENAME TO forward_extremities;",
    /* push rows keyed by their event's stream position (db/push.c): a batch's
     * rows append to the same few pages of one b-tree instead of landing on a
     * page of each room in (room_id, event_pos), in event_push_thread and in
     * event_push_pos (together ~37% of the WAL frames written during sends);
     * a room's rows are found through events_room, and only thread replies
     * (rare) are in a per-room index */
    "CREATE TABLE event_push_v2 ("
    "  event_pos INTEGER PRIMARY KEY,"
    "  room_id TEXT NOT NULL,"
    "  event_id TEXT NOT NULL,"
    "  thread_id TEXT NOT NULL,"
    "  sender TEXT NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  all_but INTEGER NOT NULL,"
    "  users TEXT NOT NULL,"
    "  highlights TEXT NOT NULL,"
    "  actions TEXT NOT NULL,"
    "  overrides TEXT);"
    "INSERT INTO event_push_v2 (event_pos, room_id, event_id, thread_id, sender, ts, all_but,"
    "  users, highlights, actions, overrides)"
    "  SELECT event_pos, room_id, event_id, thread_id, sender, ts, all_but, users, highlights,"
    "  actions, overrides FROM event_push ORDER BY event_pos;"
    "DROP TABLE event_push;"
    "ALTER TABLE event_push_v2 RENAME TO event_push;"
    "CREATE INDEX event_push_threads ON event_push (room_id, event_pos) "
    "  WHERE thread_id <> 'main';",
    /* client transaction IDs (db/events.c) indexed by the ID first: clients
     * make them from a clock or a counter (matrix-js-sdk and Element:
     * "m<ms>.<n>"), so a commit's new entries land on the index's last pages
     * instead of one page per sender; random IDs (UUIDs) cost as before */
    "DROP INDEX events_txn;"
    "CREATE UNIQUE INDEX events_txn ON events (txn_id, sender, txn_device) "
    "  WHERE txn_id IS NOT NULL;",
    /* a transaction ID's scope is the device and the endpoint (spec: client-
     * server "Transaction identifiers"; Synapse keys on the request path):
     * the same ID in another room or for another event type is a new send */
    "DROP INDEX events_txn;"
    "CREATE UNIQUE INDEX events_txn ON events (txn_id, sender, txn_device, room_id, type) "
    "  WHERE txn_id IS NOT NULL;",
    /* a room's push rows side by side (db/push.c counts): read through
     * events_room, each row was a lookup by position in a table where every
     * room's rows interleave, a page read per unread event in a large
     * database (first /sync of a user with 10,000 unread: 229 instead of 64
     * ms); covering, so counting reads this index alone */
    "CREATE INDEX event_push_room ON event_push "
    "  (room_id, event_pos, thread_id, sender, all_but, users, highlights);",
};

enum { N_MIGRATIONS = sizeof migrations / sizeof migrations[0] };

int db__migrate(struct db_conn *c, char *err, size_t err_len)
{
    sqlite3_stmt *st = db__stmt(c, "PRAGMA user_version");
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, err_len, "cannot read the schema version");
        return ERR_DB;
    }
    int version = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (version > N_MIGRATIONS) {
        snprintf(err, err_len,
                 "the database schema is version %d but this relais knows only up to %d: "
                 "upgrade relais",
                 version, N_MIGRATIONS);
        return ERR_UNSUPPORTED;
    }
    if (version == N_MIGRATIONS)
        return 0;
    if (db__exec(c, "BEGIN IMMEDIATE"))
        goto fail;
    for (int v = version; v < N_MIGRATIONS; v++) {
        if (db__exec(c, migrations[v]))
            goto rollback;
        log_info("schema migrated to=%d", v + 1);
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", N_MIGRATIONS);
    if (db__exec(c, pragma) || db__exec(c, "COMMIT"))
        goto rollback;
    return 0;
rollback:
    db__exec(c, "ROLLBACK");
fail:
    snprintf(err, err_len, "schema migration from version %d failed", version);
    return ERR_DB;
}
