/* backup.c: server-side key backup storage (spec: client-server API, "Server-side
 * key backups"). Versions are numbered per user and never reused; the keys are
 * opaque encrypted session_data blobs with the three numbers the replacement
 * rules compare. The etag moves whenever the stored keys change. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

#include <string.h>

void db_backup_version_fini(struct db_backup_version *v)
{
    free(v->algorithm);
    free(v->auth_data);
    memset(v, 0, sizeof *v);
}

struct version_args {
    const char *user_id, *algorithm, *auth_data;
    int64_t version;
    int64_t *out_version;
};

static int version_create_fn(struct db_conn *c, void *arg)
{
    struct version_args *a = arg;
    sqlite3_stmt *st = db__stmt(
        c, "INSERT INTO backup_versions (user_id, version, algorithm, auth_data) VALUES (?1, "
           "(SELECT COALESCE(MAX(version), 0) + 1 FROM backup_versions WHERE user_id = ?1), ?2, "
           "?3) RETURNING version");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->algorithm);
    db__bind_text(st, 3, a->auth_data);
    return db__step_i64(st, a->out_version);
}

int db_backup_version_create(struct db *db, const char *user_id, const char *algorithm,
                             const char *auth_data, int64_t *version)
{
    struct version_args a = {user_id, algorithm, auth_data, 0, version};
    return db__write(db, version_create_fn, &a);
}

/* The statement for sql (a string literal) with ?1 bound to user_id and ?2 to version; NULL
 * on error (logged). */
static sqlite3_stmt *version_stmt(struct db_conn *c, const char *sql, const char *user_id,
                                  int64_t version)
{
    sqlite3_stmt *st = db__stmt(c, sql);
    if (st) {
        db__bind_text(st, 1, user_id);
        sqlite3_bind_int64(st, 2, version);
    }
    return st;
}

/* Reads a version row and its key count on connection c. */
static int version_read(struct db_conn *c, const char *user_id, int64_t version,
                        struct db_backup_version *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = version_stmt(c, "SELECT version, algorithm, auth_data, etag FROM "
                                       "backup_versions WHERE user_id = ?1 AND deleted = 0 AND "
                                       "(?2 = 0 OR version = ?2) ORDER BY version DESC LIMIT 1",
                                       user_id, version);
    if (!st)
        return ERR_DB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->version = sqlite3_column_int64(st, 0);
        out->algorithm = db__col_text(st, 1);
        out->auth_data = db__col_text(st, 2);
        out->etag = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    st = db__stmt(c, "SELECT COUNT(*) FROM backup_keys WHERE user_id = ? AND version = ?");
    if (!st) {
        db_backup_version_fini(out);
        return ERR_DB;
    }
    db__bind_text(st, 1, user_id);
    sqlite3_bind_int64(st, 2, out->version);
    if (sqlite3_step(st) == SQLITE_ROW)
        out->count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int db_backup_version_get(struct db *db, const char *user_id, int64_t version,
                          struct db_backup_version *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    return c ? version_read(c, user_id, version, out) : ERR_DB;
}

static int version_update_fn(struct db_conn *c, void *arg)
{
    struct version_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "UPDATE backup_versions SET auth_data = ? WHERE user_id = ? "
                                   "AND version = ? AND deleted = 0");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->auth_data);
    db__bind_text(st, 2, a->user_id);
    sqlite3_bind_int64(st, 3, a->version);
    int rc = db__step_done(c, st);
    return rc ? rc : sqlite3_changes(c->sql) ? 0 : ERR_NOT_FOUND;
}

int db_backup_version_update(struct db *db, const char *user_id, int64_t version,
                             const char *auth_data)
{
    struct version_args a = {user_id, NULL, auth_data, version, NULL};
    return db__write(db, version_update_fn, &a);
}

static int version_delete_fn(struct db_conn *c, void *arg)
{
    struct version_args *a = arg;
    sqlite3_stmt *st = version_stmt(c, "UPDATE backup_versions SET deleted = 1 WHERE user_id = ? "
                                       "AND version = ? AND deleted = 0", a->user_id, a->version);
    if (!st)
        return ERR_DB;
    int rc = db__step_done(c, st);
    if (rc)
        return rc;
    if (!sqlite3_changes(c->sql))
        return ERR_NOT_FOUND;
    st = version_stmt(c, "DELETE FROM backup_keys WHERE user_id = ? AND version = ?",
                         a->user_id, a->version);
    if (!st)
        return ERR_DB;
    return db__step_done(c, st);
}

int db_backup_version_delete(struct db *db, const char *user_id, int64_t version)
{
    struct version_args a = {user_id, NULL, NULL, version, NULL};
    return db__write(db, version_delete_fn, &a);
}

struct keys_args {
    const char *user_id, *room_id, *session_id;
    int64_t version;
    const struct db_backup_key *keys;
    size_t n;
    int64_t *etag, *count;
};

/* The spec's rule: does the new key replace the stored one? */
static bool should_replace(sqlite3_stmt *old, const struct db_backup_key *k)
{
    bool old_verified = sqlite3_column_int(old, 2) != 0;
    int64_t old_fmi = sqlite3_column_int64(old, 0), old_fc = sqlite3_column_int64(old, 1);
    if (old_verified != k->is_verified)
        return k->is_verified;
    if (old_fmi != k->first_message_index)
        return k->first_message_index < old_fmi;
    return k->forwarded_count < old_fc;
}

/* Bumps the etag when changed and reads the etag and count back. */
static int finish_keys_change(struct db_conn *c, struct keys_args *a, bool changed)
{
    sqlite3_stmt *st;
    if (changed) {
        st = version_stmt(c, "UPDATE backup_versions SET etag = etag + 1 WHERE user_id = ? AND "
                             "version = ?", a->user_id, a->version);
        if (!st)
            return ERR_DB;
        int rc = db__step_done(c, st);
        if (rc)
            return rc;
    }
    struct db_backup_version v;
    int rc = version_read(c, a->user_id, a->version, &v);
    if (rc)
        return rc;
    *a->etag = v.etag;
    *a->count = v.count;
    db_backup_version_fini(&v);
    return 0;
}

/* ERR_NOT_FOUND unless the version exists and is not deleted. */
static int version_exists(struct db_conn *c, const char *user_id, int64_t version)
{
    sqlite3_stmt *st = version_stmt(c, "SELECT 1 FROM backup_versions WHERE user_id = ? AND "
                                       "version = ? AND deleted = 0", user_id, version);
    if (!st)
        return ERR_DB;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

static int keys_put_fn(struct db_conn *c, void *arg)
{
    struct keys_args *a = arg;
    int rc = version_exists(c, a->user_id, a->version);
    if (rc)
        return rc;
    bool changed = false;
    for (size_t i = 0; i < a->n; i++) {
        const struct db_backup_key *k = &a->keys[i];
        sqlite3_stmt *st = version_stmt(c, "SELECT first_message_index, forwarded_count, "
                                           "is_verified FROM backup_keys WHERE user_id = ? AND "
                                           "version = ? AND room_id = ? AND session_id = ?",
                                           a->user_id, a->version);
        if (!st)
            return ERR_DB;
        db__bind_text(st, 3, k->room_id);
        db__bind_text(st, 4, k->session_id);
        int step = sqlite3_step(st);
        bool replace = step == SQLITE_DONE || (step == SQLITE_ROW && should_replace(st, k));
        sqlite3_reset(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            return ERR_DB;
        if (!replace)
            continue;
        st = version_stmt(c, "INSERT INTO backup_keys (user_id, version, room_id, session_id, "
                             "first_message_index, forwarded_count, is_verified, session_data) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (user_id, "
                             "version, room_id, session_id) DO UPDATE SET first_message_index = "
                             "excluded.first_message_index, forwarded_count = "
                             "excluded.forwarded_count, is_verified = excluded.is_verified, "
                             "session_data = excluded.session_data", a->user_id, a->version);
        if (!st)
            return ERR_DB;
        db__bind_text(st, 3, k->room_id);
        db__bind_text(st, 4, k->session_id);
        sqlite3_bind_int64(st, 5, k->first_message_index);
        sqlite3_bind_int64(st, 6, k->forwarded_count);
        sqlite3_bind_int(st, 7, k->is_verified ? 1 : 0);
        db__bind_text(st, 8, k->session_data);
        if ((rc = db__step_done(c, st)))
            return rc;
        changed = true;
    }
    return finish_keys_change(c, a, changed);
}

int db_backup_keys_put(struct db *db, const char *user_id, int64_t version,
                       const struct db_backup_key *keys, size_t n, int64_t *etag, int64_t *count)
{
    struct keys_args a = {user_id, NULL, NULL, version, keys, n, etag, count};
    return db__write(db, keys_put_fn, &a);
}

static void backup_key_fini(void *elem)
{
    struct db_backup_key *k = elem;
    free((char *)k->room_id);
    free((char *)k->session_id);
    free((char *)k->session_data);
}

void db_backup_keys_free(struct db_backup_key *k, size_t n)
{
    db__items_free(k, n, sizeof *k, backup_key_fini);
}

static void backup_key_fill(sqlite3_stmt *st, void *elem)
{
    struct db_backup_key *k = elem;
    k->room_id = db__col_text(st, 0);
    k->session_id = db__col_text(st, 1);
    k->first_message_index = sqlite3_column_int64(st, 2);
    k->forwarded_count = sqlite3_column_int64(st, 3);
    k->is_verified = sqlite3_column_int(st, 4) != 0;
    k->session_data = db__col_text(st, 5);
}

int db_backup_keys_get(struct db *db, const char *user_id, int64_t version, const char *room_id,
                       const char *session_id, struct db_backup_key **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT room_id, session_id, first_message_index, forwarded_count, "
                        "is_verified, session_data FROM backup_keys WHERE user_id = ?1 AND "
                        "version = ?2 AND (?3 IS NULL OR room_id = ?3) AND (?4 IS NULL OR "
                        "session_id = ?4) ORDER BY room_id, session_id")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    sqlite3_bind_int64(st, 2, version);
    db__bind_text(st, 3, room_id);
    db__bind_text(st, 4, session_id);
    return db__rows_collect(st, sizeof **out, backup_key_fill, backup_key_fini, out, n);
}

static int keys_delete_fn(struct db_conn *c, void *arg)
{
    struct keys_args *a = arg;
    int rc = version_exists(c, a->user_id, a->version);
    if (rc)
        return rc;
    sqlite3_stmt *st = version_stmt(c, "DELETE FROM backup_keys WHERE user_id = ?1 AND version = "
                                       "?2 AND (?3 IS NULL OR room_id = ?3) AND (?4 IS NULL OR "
                                       "session_id = ?4)", a->user_id, a->version);
    if (!st)
        return ERR_DB;
    db__bind_text(st, 3, a->room_id);
    db__bind_text(st, 4, a->session_id);
    if ((rc = db__step_done(c, st)))
        return rc;
    return finish_keys_change(c, a, sqlite3_changes(c->sql) > 0);
}

int db_backup_keys_delete(struct db *db, const char *user_id, int64_t version,
                          const char *room_id, const char *session_id, int64_t *etag,
                          int64_t *count)
{
    struct keys_args a = {user_id, room_id, session_id, version, NULL, 0, etag, count};
    return db__write(db, keys_delete_fn, &a);
}
