/* db.h: the storage interface. Handlers call these functions; no SQL exists
 * outside src/db/.
 *
 * The functions are written in terms of what the server needs (create a
 * user, look up a token), not in SQL, so that a PostgreSQL backend can be
 * added beside SQLite without touching callers.
 *
 * Threads: every function may be called from any thread. Reads run on a
 * per-thread connection. Writes are handed to the single writer thread, which
 * commits batches of them in one transaction (group commit) with synchronous
 * writes; a write function returns only after its transaction is on disk.
 *
 * Strings returned through out-parameters are owned by the caller (free()). */
#ifndef RELAIS_DB_DB_H
#define RELAIS_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/* Opens (creating if needed) the database at path, migrates it forward in
 * one transaction, refuses a schema newer than this binary knows, and starts
 * the writer thread. Returns 0 or ERR_DB/ERR_UNSUPPORTED with a message. */
int db_open(const char *path, struct db **out, char *err, size_t err_len);
/* Finishes pending writes, stops the writer and closes every connection. */
void db_close(struct db *db);
/* Groups the calling thread's following reads into one read transaction (one
 * snapshot, taken at the first read; one lock instead of one per statement)
 * until the matching db_read_end. Nests. The snapshot does not see writes
 * committed after it was taken, even the caller's own: do not write inside. */
void db_read_begin(struct db *db);
void db_read_end(struct db *db);

/* ---- users (db/users.c) ---- */

struct db_user {
    char *user_id;       /* owned: @local:server */
    char *password_hash; /* owned, NULL for accounts without a password */
    char *displayname;   /* owned, may be NULL */
    char *avatar_url;    /* owned, may be NULL */
    bool is_admin;
    bool deactivated;
    int64_t created_ts;  /* ms since epoch */
};

void db_user_fini(struct db_user *u);
/* ERR_EXISTS when the user id (compared case-insensitively) is taken. */
int db_user_create(struct db *db, const char *user_id, const char *password_hash, bool is_admin,
                   const char *displayname);
/* ERR_NOT_FOUND when absent. */
int db_user_get(struct db *db, const char *user_id, struct db_user *out);
/* Finds a user id case-insensitively (login accepts @Alice for @alice). */
int db_user_find_ci(struct db *db, const char *user_id, char **out_user_id);
int db_user_set_password(struct db *db, const char *user_id, const char *password_hash);
int db_user_set_admin(struct db *db, const char *user_id, bool is_admin);
/* Marks the account deactivated, removes its password, devices and tokens. */
int db_user_deactivate(struct db *db, const char *user_id);
/* field is "displayname" or "avatar_url"; value NULL clears it. */
int db_user_set_profile(struct db *db, const char *user_id, const char *field, const char *value);
/* Calls fn for every user in user_id order. */
int db_user_list(struct db *db, void (*fn)(const struct db_user *u, void *ctx), void *ctx);

/* ---- devices and tokens (db/devices.c) ---- */

struct db_device {
    char *device_id;    /* owned */
    char *display_name; /* owned, may be NULL */
    char *last_seen_ip; /* owned, may be NULL */
    int64_t last_seen_ts; /* ms since epoch, 0 if never */
};

void db_device_fini(struct db_device *d);
/* Creates the device, or keeps an existing one (display name updated only when
 * the existing one has none and display_name is given). */
int db_device_ensure(struct db *db, const char *user_id, const char *device_id,
                     const char *display_name, const char *ip);
int db_device_get(struct db *db, const char *user_id, const char *device_id, struct db_device *out);
/* Returns an owned array of *n devices (free each with db_device_fini, then free()). */
int db_device_list(struct db *db, const char *user_id, struct db_device **out, size_t *n);
int db_device_set_name(struct db *db, const char *user_id, const char *device_id, const char *name);
/* Deletes the device and its tokens; ERR_NOT_FOUND if it did not exist. */
int db_device_delete(struct db *db, const char *user_id, const char *device_id);
/* Deletes every device of the user except keep_device_id (may be NULL), with their tokens. */
int db_devices_delete_all(struct db *db, const char *user_id, const char *keep_device_id);
/* Records a device's last use (batched by the caller; best effort). */
int db_device_touch(struct db *db, const char *user_id, const char *device_id, const char *ip,
                    int64_t ts);

/* Tokens are stored as sha256 hashes (32 bytes), never in the clear. */
int db_token_insert(struct db *db, const unsigned char hash[32], const char *user_id,
                    const char *device_id, int64_t expires_ts,
                    const unsigned char refresh_hash[32] /* may be NULL */);
/* ERR_NOT_FOUND when unknown. expires_ts 0 = never. */
int db_token_lookup(struct db *db, const unsigned char hash[32], char **user_id, char **device_id,
                    int64_t *expires_ts);
int db_token_delete(struct db *db, const unsigned char hash[32]);
/* Exchanges a refresh token: returns the owner and deletes the refresh token
 * and the access token issued with it. ERR_NOT_FOUND when unknown. */
int db_refresh_consume(struct db *db, const unsigned char refresh_hash[32], char **user_id,
                       char **device_id);

/* ---- registration tokens (db/regtokens.c) ---- */

struct db_regtoken {
    char *token;          /* owned */
    int64_t uses_allowed; /* -1 = unlimited */
    int64_t completed;    /* registrations done with it */
    int64_t expiry_ts;    /* ms since epoch, 0 = never */
};

int db_regtoken_create(struct db *db, const char *token, int64_t uses_allowed, int64_t expiry_ts);
/* true when the token exists, is not expired and has uses left. */
int db_regtoken_valid(struct db *db, const char *token, bool *valid);
/* Counts one completed registration; ERR_FORBIDDEN when no longer valid. */
int db_regtoken_use(struct db *db, const char *token);
int db_regtoken_list(struct db *db, struct db_regtoken **out, size_t *n);
void db_regtoken_fini(struct db_regtoken *t);

/* ---- AI API keys (db/apikeys.c) ---- */

struct db_apikey {
    char *name;         /* owned, unique */
    int64_t created_ts; /* ms since epoch */
};

/* Stores a key's sha256 under a unique name; ERR_EXISTS when the name is taken. */
int db_apikey_create(struct db *db, const unsigned char hash[32], const char *name);
/* The name of the key with this hash (owned) or ERR_NOT_FOUND. */
int db_apikey_lookup(struct db *db, const unsigned char hash[32], char **name);
/* Owned array of *n keys by name (db_apikey_fini each, then free()). */
int db_apikey_list(struct db *db, struct db_apikey **out, size_t *n);
/* Deletes the key of that name; ERR_NOT_FOUND when there is none. */
int db_apikey_revoke(struct db *db, const char *name);
void db_apikey_fini(struct db_apikey *k);

/* ---- account data (db/account_data.c) ---- */

/* room_id "" for global account data. content_json is the JSON text. */
int db_account_data_put(struct db *db, const char *user_id, const char *room_id, const char *type,
                        const char *content_json);
/* ERR_NOT_FOUND when absent; *content_json owned. */
int db_account_data_get(struct db *db, const char *user_id, const char *room_id, const char *type,
                        char **content_json);

/* ---- rooms (db/rooms.c) ---- */

int db_room_create(struct db *db, const char *room_id, const char *room_version,
                   const char *creator);
/* ERR_NOT_FOUND when unknown; *room_version owned. */
int db_room_get(struct db *db, const char *room_id, char **room_version, bool *is_public);
int db_room_set_public(struct db *db, const char *room_id, bool is_public);
/* Owned array of owned room IDs of rooms listed in the directory. */
int db_rooms_public(struct db *db, char ***room_ids, size_t *n);

/* ---- events (db/events.c) ---- */

/* One event to persist; filled by the event pipeline, outputs set by the writer. */
struct db_event_write {
    const char *event_id, *room_id, *type, *state_key /* NULL: not state */, *sender;
    int64_t depth, origin_server_ts;
    const char *json;          /* the PDU as signed (canonical JSON) */
    const char *membership;    /* for m.room.member: the new membership */
    const char *txn_device, *txn_id; /* client transaction, may be NULL */
    const char *relates_to, *rel_type; /* m.relates_to, may be NULL */
    const char *redacts;       /* for m.room.redaction: the target event */
    const char *const *prev_events; /* the event's prev_events (leave the extremities) */
    size_t n_prev;
    int64_t prev_state_group;  /* state group after the previous event (0 for the create event) */
    int64_t pos;               /* out: stream position */
    int64_t state_group;       /* out: state group after this event */
};

/* Persists events of one room in order, in one durable transaction. */
int db_events_persist(struct db *db, struct db_event_write *events, size_t n);
/* The same in two halves, so a room need not wait for the fsync before its
 * next event: _begin queues the events and returns at once; the writer calls
 * on_written(ctx, rc) on its own thread as soon as they are written inside its
 * open transaction (rc 0: pos and state_group set, final unless the commit
 * fails; else nothing was written), before anything else of the transaction
 * runs. events and ctx must live until _end. On 0 the caller owns *out and
 * must pass it to _end, which waits until the transaction is durable (0) or
 * failed (rc, or ERR_DB for the commit). On failure of _begin nothing was
 * queued, on_written is not called and *out is NULL. on_written must not wait
 * for the writer. */
struct db_pending_write;
int db_events_persist_begin(struct db *db, struct db_event_write *events, size_t n,
                            void (*on_written)(void *ctx, int rc), void *ctx,
                            struct db_pending_write **out);
int db_events_persist_end(struct db *db, struct db_pending_write *pending);
/* The same without a waiting caller: on_written as above, then on_done(ctx, rc)
 * on the writer's thread once the transaction is durable (0) or failed (rc, or
 * ERR_DB for the commit); events and ctx must live until then. Returns 0, or
 * ERR_DB when the database is closing (nothing queued, no callback called).
 * Neither callback may wait for the writer. */
int db_events_persist_async(struct db *db, struct db_event_write *events, size_t n,
                            void (*on_written)(void *ctx, int rc),
                            void (*on_done)(void *ctx, int rc), void *ctx);

struct db_event {
    int64_t pos;            /* stream position */
    char *event_id;         /* owned */
    char *room_id;          /* owned */
    char *type;             /* owned */
    char *state_key;        /* owned; NULL for non-state events */
    char *sender;           /* owned */
    int64_t origin_server_ts;
    int64_t depth;
    int64_t state_group;    /* state after this event */
    char *json;             /* owned PDU text */
    char *redacted_by;      /* owned event ID of the redaction, or NULL */
    char *txn_device;       /* owned, NULL unless sent with a transaction ID */
    char *txn_id;           /* owned */
};

void db_event_fini(struct db_event *e);
void db_events_free(struct db_event *events, size_t n);
int db_event_get(struct db *db, const char *event_id, struct db_event *out);
/* Looks up a client transaction (scoped to the device, the room and the
 * event type); ERR_NOT_FOUND when new. *event_id owned. */
int db_event_by_txn(struct db *db, const char *sender, const char *device_id, const char *txn_id,
                    const char *room_id, const char *type, char **event_id);
/* Events of a room with from < pos <= to, oldest first when forward, newest
 * first otherwise, at most limit. Owned array. */
int db_events_range(struct db *db, const char *room_id, int64_t from, int64_t to, bool forward,
                    size_t limit, struct db_event **out, size_t *n);
/* An event filter applied inside the query, so that a page's limit counts
 * only matching events (spec: "Filtering", RoomEventFilter). Each list is a
 * JSON array text or NULL (no condition): types/not_types hold SQLite GLOB
 * patterns, senders/not_senders exact user IDs. All borrowed. */
struct db_event_filter {
    const char *types;      /* JSON array of GLOB patterns the type must match one of */
    const char *not_types;  /* JSON array of GLOB patterns the type must match none of */
    const char *senders;    /* JSON array of senders to keep */
    const char *not_senders; /* JSON array of senders to drop */
    int contains_url;       /* -1: any; 1: content.url is a string; 0: it is not */
};
/* db_events_range keeping only the events that pass f (NULL: all). */
int db_events_range_filtered(struct db *db, const char *room_id, int64_t from, int64_t to,
                             bool forward, const struct db_event_filter *f, size_t limit,
                             struct db_event **out, size_t *n);
/* The room's event closest to ts_ms: the first with origin_server_ts >= ts_ms
 * when forward, else the last with origin_server_ts <= ts_ms (ties: lowest /
 * highest stream position). 0, ERR_NOT_FOUND or ERR_DB. */
int db_event_closest_ts(struct db *db, const char *room_id, int64_t ts_ms, bool forward,
                        struct db_event *out);
/* Events relating to event_id (rel_type may be NULL for all), oldest first
 * when forward. pos bounds as db_events_range. */
int db_events_relations(struct db *db, const char *event_id, const char *rel_type,
                        int64_t from, int64_t to, bool forward, size_t limit,
                        struct db_event **out, size_t *n);
/* State events of a room with from < pos <= to, oldest first (at most limit). */
int db_state_events_between(struct db *db, const char *room_id, int64_t from, int64_t to,
                            size_t limit, struct db_event **out, size_t *n);
/* The room's state events (type, state_key) with after < pos <= upto, oldest
 * first (owned array). */
int db_state_events_of(struct db *db, const char *room_id, const char *type,
                       const char *state_key, int64_t after, int64_t upto,
                       struct db_event **out, size_t *n);
/* The newest state event (type, state_key) of the room with stream position
 * below `before`: 0, ERR_NOT_FOUND or ERR_DB. */
int db_state_event_before(struct db *db, const char *room_id, const char *type,
                          const char *state_key, int64_t before, struct db_event *out);
/* The state group after the newest event of the room before pos (0: none). */
int db_room_state_group_before(struct db *db, const char *room_id, int64_t pos, int64_t *group);
/* Loads the events named by ids (missing ones are skipped). Owned array. */
int db_events_get_many(struct db *db, char *const *ids, size_t n_ids, struct db_event **out,
                       size_t *n);
/* The rooms with events at since < pos <= upto (owned array of owned IDs;
 * a room may be listed more than once). */
int db_rooms_with_events(struct db *db, int64_t since, int64_t upto, char ***rooms, size_t *n);
/* The highest stream position written so far (0 for none). */
int db_events_max_pos(struct db *db, int64_t *pos);

/* ---- state (db/state.c) ---- */

/* Event IDs of the state in a group: parallel owned arrays (types, keys, ids). */
struct db_state_entries {
    char **types, **state_keys, **event_ids; /* owned */
    size_t n;
};
void db_state_entries_fini(struct db_state_entries *s);
int db_state_group_load(struct db *db, int64_t group, struct db_state_entries *out);
/* The room's current state as full events (owned array). */
int db_current_state_events(struct db *db, const char *room_id, struct db_event **out, size_t *n);
/* The room's forward extremities, and the depth / state group of the newest event. */
int db_room_head(struct db *db, const char *room_id, char ***extremities, size_t *n_ext,
                 int64_t *max_depth, int64_t *state_group);

/* ---- memberships (db/state.c) ---- */

struct db_membership {
    char *room_id;     /* owned */
    char *user_id;     /* owned */
    char *membership;  /* owned: join, invite, leave, ban, knock */
    char *event_id;    /* owned */
    int64_t pos;       /* stream position of the membership event */
};
void db_memberships_free(struct db_membership *m, size_t n);
/* A user's current memberships (forgotten rooms left out), in pos order. */
int db_user_memberships(struct db *db, const char *user_id, struct db_membership **out, size_t *n);
/* A room's current members with the given membership (NULL: all). */
int db_room_memberships(struct db *db, const char *room_id, const char *membership,
                        struct db_membership **out, size_t *n);
/* Marks a left room forgotten for the user. */
int db_membership_forget(struct db *db, const char *room_id, const char *user_id);
/* The user's membership in the room before stream position pos, from the
 * history of their member events ("leave" when none). *membership owned. */
int db_membership_at(struct db *db, const char *room_id, const char *user_id, int64_t pos,
                     char **membership);
/* The content JSON of the newest state event (type, "") before pos, or NULL. */
int db_state_value_at(struct db *db, const char *room_id, const char *type, const char *state_key,
                      int64_t pos, char **event_json);

/* ---- aliases and filters (db/aliases.c) ---- */

int db_alias_create(struct db *db, const char *alias, const char *room_id, const char *creator);
int db_alias_get(struct db *db, const char *alias, char **room_id, char **creator);
int db_alias_delete(struct db *db, const char *alias);
int db_aliases_of_room(struct db *db, const char *room_id, char ***aliases, size_t *n);
/* Stores a filter; *filter_id is the new ID. */
int db_filter_create(struct db *db, const char *user_id, const char *json, int64_t *filter_id);
int db_filter_get(struct db *db, const char *user_id, int64_t filter_id, char **json);

/* Account data changed after pos (room_id "" = global). Owned parallel arrays. */
struct db_account_data_changes {
    char **room_ids, **types, **contents; /* owned */
    int64_t max_pos;                      /* highest position seen */
    size_t n;
};
void db_account_data_changes_fini(struct db_account_data_changes *c);
int db_account_data_since(struct db *db, const char *user_id, int64_t since,
                          struct db_account_data_changes *out);
int db_account_data_max_pos(struct db *db, int64_t *pos);

/* Frees an owned array of owned strings. */
void db_strings_free(char **s, size_t n);

/* ---- cross-process cache invalidation (db/admin.c) ---- */

/* Admin commands that change accounts behind a running server's back call
 * this; servers poll db_admin_changes_latest and flush their caches. */
int db_admin_change_note(struct db *db, const char *what);
int db_admin_changes_latest(struct db *db, int64_t *latest);

/* ---- end-to-end encryption keys (db/keys.c) ----
 * The server stores what clients upload as JSON text and hands it back; it
 * never holds a private key. Every change to a user's device keys or
 * cross-signing keys (and every device deletion) appends a row to the
 * device-list stream, whose position is NOTIFY_DEVICE_LISTS. */

/* One uploaded key: "<algorithm>:<key_id>" split, with its JSON text. */
struct db_key_item {
    const char *algorithm; /* borrowed, e.g. signed_curve25519 */
    const char *key_id;    /* borrowed */
    const char *json;      /* borrowed JSON text (a string or an object) */
};

/* Stores an upload of one device in one transaction: device_keys_json (NULL:
 * unchanged) replaces the device's keys; one-time keys are added (an
 * existing key ID with different content is ERR_EXISTS and nothing is
 * written); fallback keys replace the device's key of that algorithm.
 * *dl_pos is the new device-list position when the device keys changed, else 0. */
int db_keys_upload(struct db *db, const char *user_id, const char *device_id,
                   const char *device_keys_json, const struct db_key_item *otks, size_t n_otks,
                   const struct db_key_item *fallbacks, size_t n_fallbacks, int64_t *dl_pos);

/* A device's uploaded keys, joined with the device's display name. */
struct db_device_keys {
    char *device_id;    /* owned */
    char *json;         /* owned device_keys JSON text */
    char *display_name; /* owned, may be NULL */
};
void db_device_keys_free(struct db_device_keys *k, size_t n);
/* Keys of the user's existing devices (device_id NULL: all). Owned array. */
int db_device_keys_get(struct db *db, const char *user_id, const char *device_id,
                       struct db_device_keys **out, size_t *n);

/* Unclaimed one-time keys per algorithm: owned parallel arrays. */
int db_otk_counts(struct db *db, const char *user_id, const char *device_id, char ***algorithms,
                  int64_t **counts, size_t *n);
/* Algorithms of the device's fallback keys not used yet (owned strings). */
int db_fallback_unused(struct db *db, const char *user_id, const char *device_id,
                       char ***algorithms, size_t *n);
/* Takes a one-time key of the algorithm (removing it), else the fallback key
 * (marking it used, keeping it). *key_id ("<algorithm>:<id>") and *json owned.
 * ERR_NOT_FOUND when the device has neither. */
int db_key_claim(struct db *db, const char *user_id, const char *device_id,
                 const char *algorithm, char **key_id, char **json);

/* Cross-signing key of a usage ("master", "self_signing", "user_signing"):
 * *json owned. ERR_NOT_FOUND when none. */
int db_cross_signing_get(struct db *db, const char *user_id, const char *usage, char **json);
/* Replaces the given cross-signing keys (NULL json: keep) in one
 * transaction. public_keys are the unpadded base64 ed25519 keys. *dl_pos: the
 * new device-list position. */
int db_cross_signing_put(struct db *db, const char *user_id, const char *const usage[3],
                         const char *const json[3], const char *const public_keys[3],
                         int64_t *dl_pos);

/* A signature by signer_user's key signer_key_id ("ed25519:<id>") on a
 * target key: target_key is a device ID or a cross-signing public key. */
struct db_key_signature {
    char *signer_user;   /* owned */
    char *signer_key_id; /* owned */
    char *signature;     /* owned unpadded base64 */
};
void db_key_signatures_free(struct db_key_signature *s, size_t n);
/* Stores signatures (one transaction) and notes a device-list change for each
 * distinct target user. *dl_pos: the new position. */
struct db_key_signature_write {
    const char *target_user, *target_key, *signer_user, *signer_key_id, *signature; /* borrowed */
};
int db_key_signatures_add(struct db *db, const struct db_key_signature_write *s, size_t n,
                          int64_t *dl_pos);
/* Signatures stored for a target key. Owned array. */
int db_key_signatures_get(struct db *db, const char *target_user, const char *target_key,
                          struct db_key_signature **out, size_t *n);

/* Users whose device list changed with from < pos <= to (owned, distinct). */
int db_device_list_changes(struct db *db, int64_t from, int64_t to, char ***user_ids, size_t *n);
/* Appends a device-list change for user_id (a new device, say); *pos is its position. */
int db_device_list_note(struct db *db, const char *user_id, int64_t *pos);
int db_device_lists_max_pos(struct db *db, int64_t *pos);
/* Membership changes that matter to user_id's device lists between from
 * (exclusive) and to: one row per (room, other member) of a room where the
 * user has a membership, when either the user's or the member's membership
 * event lies in the interval. */
struct db_shared_membership {
    char *user_id;          /* owned: the other member */
    bool member_joined;     /* their membership is join */
    bool member_changed;    /* their membership event is in the interval */
    bool mine_joined;       /* user_id's membership in that room is join */
    bool mine_changed;      /* user_id's membership event is in the interval */
};
void db_shared_memberships_free(struct db_shared_membership *m, size_t n);
int db_shared_membership_changes(struct db *db, const char *user_id, int64_t from, int64_t to,
                                 struct db_shared_membership **out, size_t *n);
/* Users who share a joined room with user_id, the user included (owned). */
int db_users_sharing_rooms(struct db *db, const char *user_id, char ***user_ids, size_t *n);

/* Dehydrated devices (MSC3814): one per user, its opaque device_data JSON.
 * ERR_NOT_FOUND when the user has none; strings owned. */
int db_dehydrated_get(struct db *db, const char *user_id, char **device_id, char **device_data);
/* Records device_id as the user's dehydrated device, first deleting the
 * previous one (its device row, tokens, keys and messages) whose ID goes to
 * *old_device_id (owned, NULL when none). The device row itself is created by
 * the caller (db_device_ensure). */
int db_dehydrated_put(struct db *db, const char *user_id, const char *device_id,
                      const char *device_data, char **old_device_id);
/* Deletes the dehydrated device as above; *device_id its ID. ERR_NOT_FOUND: none. */
int db_dehydrated_delete(struct db *db, const char *user_id, char **device_id);

/* ---- to-device messages (db/to_device.c) ---- */

struct db_to_device_write {
    const char *user_id, *device_id; /* borrowed target */
    const char *content_json;        /* borrowed */
};
/* Queues messages from (sender, sender_device) unless the transaction was
 * seen already (*duplicate set, nothing written). *pos: the highest new
 * position (unchanged when duplicate). */
int db_to_device_send(struct db *db, const char *sender, const char *sender_device,
                      const char *txn_id, const char *type, const struct db_to_device_write *msgs,
                      size_t n, int64_t *pos, bool *duplicate);
struct db_to_device_msg {
    int64_t pos;   /* stream position */
    char *sender;  /* owned */
    char *type;    /* owned */
    char *content; /* owned JSON text */
};
void db_to_device_msgs_free(struct db_to_device_msg *m, size_t n);
/* Messages for a device with after < pos <= upto, oldest first, at most limit. */
int db_to_device_fetch(struct db *db, const char *user_id, const char *device_id, int64_t after,
                       int64_t upto, size_t limit, struct db_to_device_msg **out, size_t *n);
/* Deletes the device's messages with pos <= upto (acknowledged by a sync);
 * does nothing (no write) when there are none. */
int db_to_device_ack(struct db *db, const char *user_id, const char *device_id, int64_t upto);
int db_to_device_max_pos(struct db *db, int64_t *pos);

/* ---- server-side key backup (db/backup.c) ---- */

struct db_backup_version {
    int64_t version;  /* 1, 2, ... per user */
    char *algorithm;  /* owned */
    char *auth_data;  /* owned JSON text */
    int64_t etag;     /* bumped on every change of the keys */
    int64_t count;    /* keys stored */
};
void db_backup_version_fini(struct db_backup_version *v);
int db_backup_version_create(struct db *db, const char *user_id, const char *algorithm,
                             const char *auth_data, int64_t *version);
/* version 0: the newest (current) one. ERR_NOT_FOUND when none (or deleted). */
int db_backup_version_get(struct db *db, const char *user_id, int64_t version,
                          struct db_backup_version *out);
/* ERR_NOT_FOUND when the version does not exist (or was deleted). */
int db_backup_version_update(struct db *db, const char *user_id, int64_t version,
                             const char *auth_data);
/* Marks the version deleted and drops its keys; ERR_NOT_FOUND when absent. */
int db_backup_version_delete(struct db *db, const char *user_id, int64_t version);

struct db_backup_key {
    const char *room_id, *session_id; /* borrowed (owned in results) */
    int64_t first_message_index;
    int64_t forwarded_count;
    bool is_verified;
    const char *session_data;         /* JSON text */
};
/* Stores keys in the version following the spec's replacement rules (a new
 * key wins when it is verified and the old is not, else with a lower
 * first_message_index, else with a lower forwarded_count). Fills the new etag
 * and count. ERR_NOT_FOUND: no such version. */
int db_backup_keys_put(struct db *db, const char *user_id, int64_t version,
                       const struct db_backup_key *keys, size_t n, int64_t *etag, int64_t *count);
/* Keys of a version, room_id / session_id NULL for all. Owned array: free
 * with db_backup_keys_free. */
int db_backup_keys_get(struct db *db, const char *user_id, int64_t version, const char *room_id,
                       const char *session_id, struct db_backup_key **out, size_t *n);
void db_backup_keys_free(struct db_backup_key *k, size_t n);
int db_backup_keys_delete(struct db *db, const char *user_id, int64_t version,
                          const char *room_id, const char *session_id, int64_t *etag,
                          int64_t *count);

#endif
