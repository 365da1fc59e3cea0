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

/* ---- account data (db/account_data.c) ---- */

/* room_id "" for global account data. content_json is the JSON text. */
int db_account_data_put(struct db *db, const char *user_id, const char *room_id, const char *type,
                        const char *content_json);
/* ERR_NOT_FOUND when absent; *content_json owned. */
int db_account_data_get(struct db *db, const char *user_id, const char *room_id, const char *type,
                        char **content_json);

/* ---- cross-process cache invalidation (db/admin.c) ---- */

/* Admin commands that change accounts behind a running server's back call
 * this; servers poll db_admin_changes_latest and flush their caches. */
int db_admin_change_note(struct db *db, const char *what);
int db_admin_changes_latest(struct db *db, int64_t *latest);

#endif
