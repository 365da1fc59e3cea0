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
