/* keys.c: end-to-end encryption key storage: device keys, one-time and
 * fallback keys, cross-signing keys, signatures and the device-list change
 * stream. Checking signatures and shaping answers is the client layer's job
 * (src/client/keys.c); this file only stores and returns JSON text. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

#include <stdio.h>
#include <string.h>

/* Appends a device-list change row for user_id; *pos gets its position. */
static int note_change(struct db_conn *c, const char *user_id, int64_t *pos)
{
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO e2e_device_list_changes (user_id) VALUES (?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    int rc = db__step_done(c, st);
    if (!rc && pos)
        *pos = sqlite3_last_insert_rowid(c->sql);
    return rc;
}

struct upload_args {
    const char *user_id, *device_id, *device_keys;
    const struct db_key_item *otks, *fallbacks;
    size_t n_otks, n_fallbacks;
    int64_t *dl_pos;
};

static int upload_fn(struct db_conn *c, void *arg)
{
    struct upload_args *a = arg;
    int rc = 0;
    if (a->device_keys) {
        sqlite3_stmt *st = db__stmt(c, "SELECT json FROM e2e_device_keys WHERE user_id = ? AND "
                                       "device_id = ?");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->user_id);
        db__bind_text(st, 2, a->device_id);
        bool same = false;
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *old = (const char *)sqlite3_column_text(st, 0);
            same = old && strcmp(old, a->device_keys) == 0;
        }
        sqlite3_reset(st);
        if (!same) {
            st = db__stmt(c, "INSERT INTO e2e_device_keys (user_id, device_id, json) VALUES "
                             "(?1, ?2, ?3) ON CONFLICT (user_id, device_id) DO UPDATE SET "
                             "json = excluded.json");
            if (!st)
                return ERR_DB;
            db__bind_text(st, 1, a->user_id);
            db__bind_text(st, 2, a->device_id);
            db__bind_text(st, 3, a->device_keys);
            rc = db__step_done(c, st);
            if (!rc)
                rc = note_change(c, a->user_id, a->dl_pos);
            if (rc)
                return rc;
        }
    }
    for (size_t i = 0; i < a->n_otks; i++) {
        const struct db_key_item *k = &a->otks[i];
        sqlite3_stmt *st = db__stmt(c, "SELECT json FROM e2e_one_time_keys WHERE user_id = ? AND "
                                       "device_id = ? AND algorithm = ? AND key_id = ?");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->user_id);
        db__bind_text(st, 2, a->device_id);
        db__bind_text(st, 3, k->algorithm);
        db__bind_text(st, 4, k->key_id);
        int step = sqlite3_step(st);
        bool exists = step == SQLITE_ROW, same = false;
        if (exists) {
            const char *old = (const char *)sqlite3_column_text(st, 0);
            same = old && strcmp(old, k->json) == 0;
        }
        sqlite3_reset(st);
        if (exists && !same)
            return ERR_EXISTS;
        if (exists)
            continue;
        st = db__stmt(c, "INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, "
                         "json) VALUES (?, ?, ?, ?, ?)");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->user_id);
        db__bind_text(st, 2, a->device_id);
        db__bind_text(st, 3, k->algorithm);
        db__bind_text(st, 4, k->key_id);
        db__bind_text(st, 5, k->json);
        if ((rc = db__step_done(c, st)))
            return rc;
    }
    for (size_t i = 0; i < a->n_fallbacks; i++) {
        const struct db_key_item *k = &a->fallbacks[i];
        /* The same key uploaded again keeps its used flag (Synapse does the same). */
        sqlite3_stmt *st = db__stmt(
            c, "INSERT INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, json, used) "
               "VALUES (?1, ?2, ?3, ?4, ?5, 0) ON CONFLICT (user_id, device_id, algorithm) DO "
               "UPDATE SET used = CASE WHEN key_id = excluded.key_id AND json = excluded.json "
               "THEN used ELSE 0 END, key_id = excluded.key_id, json = excluded.json");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->user_id);
        db__bind_text(st, 2, a->device_id);
        db__bind_text(st, 3, k->algorithm);
        db__bind_text(st, 4, k->key_id);
        db__bind_text(st, 5, k->json);
        if ((rc = db__step_done(c, st)))
            return rc;
    }
    return 0;
}

int db_keys_upload(struct db *db, const char *user_id, const char *device_id,
                   const char *device_keys_json, const struct db_key_item *otks, size_t n_otks,
                   const struct db_key_item *fallbacks, size_t n_fallbacks, int64_t *dl_pos)
{
    *dl_pos = 0;
    struct upload_args a = {user_id, device_id, device_keys_json, otks, fallbacks,
                            n_otks,  n_fallbacks, dl_pos};
    return db__write(db, upload_fn, &a);
}

static void device_keys_fini(void *elem)
{
    struct db_device_keys *k = elem;
    free(k->device_id);
    free(k->json);
    free(k->display_name);
}

void db_device_keys_free(struct db_device_keys *k, size_t n)
{
    db__items_free(k, n, sizeof *k, device_keys_fini);
}

static void device_keys_fill(sqlite3_stmt *st, void *elem)
{
    struct db_device_keys *k = elem;
    k->device_id = db__col_text(st, 0);
    k->json = db__col_text(st, 1);
    k->display_name = db__col_text(st, 2);
}

int db_device_keys_get(struct db *db, const char *user_id, const char *device_id,
                       struct db_device_keys **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT k.device_id, k.json, d.display_name FROM e2e_device_keys k "
                        "JOIN devices d ON d.user_id = k.user_id AND d.device_id = k.device_id "
                        "WHERE k.user_id = ?1 AND (?2 IS NULL OR k.device_id = ?2) "
                        "ORDER BY k.device_id")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, device_id);
    return db__rows_collect(st, sizeof **out, device_keys_fill, device_keys_fini, out, n);
}

int db_otk_counts(struct db *db, const char *user_id, const char *device_id, char ***algorithms,
                  int64_t **counts, size_t *n)
{
    *algorithms = NULL;
    *counts = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT algorithm, COUNT(*) FROM e2e_one_time_keys WHERE "
                                       "user_id = ? AND device_id = ? GROUP BY algorithm")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, device_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *algorithms = xrealloc(*algorithms, cap * sizeof(char *));
            *counts = xrealloc(*counts, cap * sizeof(int64_t));
        }
        (*algorithms)[*n] = db__col_text(st, 0);
        (*counts)[*n] = sqlite3_column_int64(st, 1);
        (*n)++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_strings_free(*algorithms, *n);
        free(*counts);
        *algorithms = NULL;
        *counts = NULL;
        *n = 0;
        return ERR_DB;
    }
    return 0;
}

int db_fallback_unused(struct db *db, const char *user_id, const char *device_id,
                       char ***algorithms, size_t *n)
{
    *algorithms = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT algorithm FROM e2e_fallback_keys WHERE user_id = ? "
                                       "AND device_id = ? AND used = 0 ORDER BY algorithm")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, device_id);
    return db__rows_collect_text(st, algorithms, n);
}

struct claim_args {
    const char *user_id, *device_id, *algorithm;
    char **key_id, **json;
};

/* Copies "<algorithm>:<key_id>" and the JSON of the row in st (columns 0, 1). */
static void claim_result(struct claim_args *a, sqlite3_stmt *st)
{
    const char *id = (const char *)sqlite3_column_text(st, 0);
    size_t len = strlen(a->algorithm) + 1 + strlen(id ? id : "") + 1;
    *a->key_id = xmalloc(len);
    snprintf(*a->key_id, len, "%s:%s", a->algorithm, id ? id : "");
    *a->json = db__col_text(st, 1);
}

static int claim_fn(struct db_conn *c, void *arg)
{
    struct claim_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "SELECT key_id, json FROM e2e_one_time_keys WHERE user_id = ? "
                                   "AND device_id = ? AND algorithm = ? ORDER BY key_id LIMIT 1");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    db__bind_text(st, 3, a->algorithm);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        claim_result(a, st);
        char *key_id = db__col_text(st, 0);
        sqlite3_reset(st);
        st = db__stmt(c, "DELETE FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND "
                         "algorithm = ? AND key_id = ?");
        if (!st) {
            free(key_id);
            return ERR_DB;
        }
        db__bind_text(st, 1, a->user_id);
        db__bind_text(st, 2, a->device_id);
        db__bind_text(st, 3, a->algorithm);
        db__bind_text(st, 4, key_id);
        free(key_id);
        return db__step_done(c, st);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return ERR_DB;
    st = db__stmt(c, "SELECT key_id, json FROM e2e_fallback_keys WHERE user_id = ? AND "
                     "device_id = ? AND algorithm = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    db__bind_text(st, 3, a->algorithm);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    }
    claim_result(a, st);
    sqlite3_reset(st);
    st = db__stmt(c, "UPDATE e2e_fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? "
                     "AND algorithm = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    db__bind_text(st, 3, a->algorithm);
    return db__step_done(c, st);
}

int db_key_claim(struct db *db, const char *user_id, const char *device_id,
                 const char *algorithm, char **key_id, char **json)
{
    *key_id = *json = NULL;
    struct claim_args a = {user_id, device_id, algorithm, key_id, json};
    int rc = db__write(db, claim_fn, &a);
    if (rc) {
        free(*key_id);
        free(*json);
        *key_id = *json = NULL;
    }
    return rc;
}

int db_cross_signing_get(struct db *db, const char *user_id, const char *usage, char **json)
{
    *json = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT json FROM e2e_cross_signing_keys WHERE user_id = ? "
                                       "AND usage = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, usage);
    int rc = sqlite3_step(st);
    int out_rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    if (rc == SQLITE_ROW)
        *json = db__col_text(st, 0);
    sqlite3_reset(st);
    return out_rc;
}

struct cs_args {
    const char *user_id;
    const char *const *usage, *const *json, *const *public_keys;
    int64_t *dl_pos;
};

static int cross_signing_put_fn(struct db_conn *c, void *arg)
{
    struct cs_args *a = arg;
    for (int i = 0; i < 3; i++) {
        if (!a->json[i])
            continue;
        sqlite3_stmt *st = db__stmt(
            c, "INSERT INTO e2e_cross_signing_keys (user_id, usage, public_key, json) VALUES "
               "(?1, ?2, ?3, ?4) ON CONFLICT (user_id, usage) DO UPDATE SET public_key = "
               "excluded.public_key, json = excluded.json");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, a->user_id);
        db__bind_text(st, 2, a->usage[i]);
        db__bind_text(st, 3, a->public_keys[i]);
        db__bind_text(st, 4, a->json[i]);
        int rc = db__step_done(c, st);
        if (rc)
            return rc;
    }
    return note_change(c, a->user_id, a->dl_pos);
}

int db_cross_signing_put(struct db *db, const char *user_id, const char *const usage[3],
                         const char *const json[3], const char *const public_keys[3],
                         int64_t *dl_pos)
{
    *dl_pos = 0;
    struct cs_args a = {user_id, usage, json, public_keys, dl_pos};
    return db__write(db, cross_signing_put_fn, &a);
}

static void key_signature_fini(void *elem)
{
    struct db_key_signature *s = elem;
    free(s->signer_user);
    free(s->signer_key_id);
    free(s->signature);
}

void db_key_signatures_free(struct db_key_signature *s, size_t n)
{
    db__items_free(s, n, sizeof *s, key_signature_fini);
}

static void key_signature_fill(sqlite3_stmt *st, void *elem)
{
    struct db_key_signature *s = elem;
    s->signer_user = db__col_text(st, 0);
    s->signer_key_id = db__col_text(st, 1);
    s->signature = db__col_text(st, 2);
}

struct sig_args {
    const struct db_key_signature_write *s;
    size_t n;
    int64_t *dl_pos;
};

static int signatures_add_fn(struct db_conn *c, void *arg)
{
    struct sig_args *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        const struct db_key_signature_write *w = &a->s[i];
        sqlite3_stmt *st = db__stmt(
            c, "INSERT INTO e2e_signatures (target_user, target_key, signer_user, signer_key_id, "
               "signature) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (target_user, target_key, "
               "signer_user, signer_key_id) DO UPDATE SET signature = excluded.signature");
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, w->target_user);
        db__bind_text(st, 2, w->target_key);
        db__bind_text(st, 3, w->signer_user);
        db__bind_text(st, 4, w->signer_key_id);
        db__bind_text(st, 5, w->signature);
        int rc = db__step_done(c, st);
        if (rc)
            return rc;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(a->s[j].target_user, w->target_user) == 0;
        if (!seen && (rc = note_change(c, w->target_user, a->dl_pos)))
            return rc;
    }
    return 0;
}

int db_key_signatures_add(struct db *db, const struct db_key_signature_write *s, size_t n,
                          int64_t *dl_pos)
{
    *dl_pos = 0;
    if (n == 0)
        return 0;
    struct sig_args a = {s, n, dl_pos};
    return db__write(db, signatures_add_fn, &a);
}

int db_key_signatures_get(struct db *db, const char *target_user, const char *target_key,
                          struct db_key_signature **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT signer_user, signer_key_id, signature FROM "
                                       "e2e_signatures WHERE target_user = ? AND target_key = ? "
                                       "ORDER BY signer_user, signer_key_id")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, target_user);
    db__bind_text(st, 2, target_key);
    return db__rows_collect(st, sizeof **out, key_signature_fill, key_signature_fini, out, n);
}

int db_device_list_changes(struct db *db, int64_t from, int64_t to, char ***user_ids, size_t *n)
{
    *user_ids = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT DISTINCT user_id FROM e2e_device_list_changes "
                                       "WHERE stream_pos > ? AND stream_pos <= ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    return db__rows_collect_text(st, user_ids, n);
}

struct note_args {
    const char *user_id;
    int64_t *pos;
};

static int note_fn(struct db_conn *c, void *arg)
{
    struct note_args *a = arg;
    return note_change(c, a->user_id, a->pos);
}

int db_device_list_note(struct db *db, const char *user_id, int64_t *pos)
{
    *pos = 0;
    struct note_args a = {user_id, pos};
    return db__write(db, note_fn, &a);
}

int db_device_lists_max_pos(struct db *db, int64_t *pos)
{
    return db__read_i64(db, "SELECT COALESCE(MAX(stream_pos), 0) FROM e2e_device_list_changes",
                        pos);
}

int db_users_sharing_rooms(struct db *db, const char *user_id, char ***user_ids, size_t *n)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT ?1 UNION SELECT DISTINCT b.user_id FROM memberships a JOIN "
                        "memberships b ON a.room_id = b.room_id WHERE a.user_id = ?1 AND "
                        "a.membership = 'join' AND b.membership = 'join'")
          : NULL;
    if (!st) {
        *user_ids = NULL;
        *n = 0;
        return ERR_DB;
    }
    db__bind_text(st, 1, user_id);
    return db__rows_collect_text(st, user_ids, n);
}

int db__e2ee_devices_gone(struct db_conn *c, const char *user_id, const char *device_id,
                          const char *keep_device_id)
{
    static const char *const one[] = {
        "DELETE FROM e2e_device_keys WHERE user_id = ?1 AND device_id = ?2",
        "DELETE FROM e2e_one_time_keys WHERE user_id = ?1 AND device_id = ?2",
        "DELETE FROM e2e_fallback_keys WHERE user_id = ?1 AND device_id = ?2",
        "DELETE FROM e2e_signatures WHERE target_user = ?1 AND target_key = ?2",
        "DELETE FROM to_device_messages WHERE user_id = ?1 AND device_id = ?2",
    };
    static const char *const all[] = {
        "DELETE FROM e2e_device_keys WHERE user_id = ?1 AND device_id IS NOT ?2",
        "DELETE FROM e2e_one_time_keys WHERE user_id = ?1 AND device_id IS NOT ?2",
        "DELETE FROM e2e_fallback_keys WHERE user_id = ?1 AND device_id IS NOT ?2",
        "DELETE FROM to_device_messages WHERE user_id = ?1 AND device_id IS NOT ?2",
    };
    const char *const *sqls = device_id ? one : all;
    size_t n = device_id ? sizeof one / sizeof one[0] : sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = db__stmt(c, sqls[i]);
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, user_id);
        db__bind_text(st, 2, device_id ? device_id : keep_device_id);
        int rc = db__step_done(c, st);
        if (rc)
            return rc;
    }
    return note_change(c, user_id, NULL);
}

/* ---- dehydrated devices (MSC3814) ---- */

int db_dehydrated_get(struct db *db, const char *user_id, char **device_id, char **device_data)
{
    *device_id = *device_data = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT device_id, device_data FROM "
                                       "e2e_dehydrated_devices WHERE user_id = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    int rc = sqlite3_step(st);
    int out_rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    if (rc == SQLITE_ROW) {
        *device_id = db__col_text(st, 0);
        *device_data = db__col_text(st, 1);
    }
    sqlite3_reset(st);
    return out_rc;
}

struct dehydrated_args {
    const char *user_id, *device_id, *device_data;
    char **old_device_id;
};

/* Deletes the user's dehydrated device (row, device, tokens, keys, messages);
 * *old gets its ID, NULL when there was none. */
static int dehydrated_drop(struct db_conn *c, const char *user_id, char **old)
{
    *old = NULL;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM e2e_dehydrated_devices WHERE user_id = ? "
                                   "RETURNING device_id");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *old = db__col_text(st, 0);
    while (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return ERR_DB;
    if (!*old)
        return 0;
    static const char *const sqls[] = {
        "DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?",
        "DELETE FROM devices WHERE user_id = ? AND device_id = ?",
    };
    for (size_t i = 0; i < 2; i++) {
        st = db__stmt(c, sqls[i]);
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, user_id);
        db__bind_text(st, 2, *old);
        if ((rc = db__step_done(c, st)))
            return rc;
    }
    return db__e2ee_devices_gone(c, user_id, *old, NULL);
}

static int dehydrated_put_fn(struct db_conn *c, void *arg)
{
    struct dehydrated_args *a = arg;
    int rc = dehydrated_drop(c, a->user_id, a->old_device_id);
    if (rc)
        return rc;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO e2e_dehydrated_devices (user_id, device_id, "
                                   "device_data) VALUES (?, ?, ?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->device_id);
    db__bind_text(st, 3, a->device_data);
    return db__step_done(c, st);
}

int db_dehydrated_put(struct db *db, const char *user_id, const char *device_id,
                      const char *device_data, char **old_device_id)
{
    *old_device_id = NULL;
    struct dehydrated_args a = {user_id, device_id, device_data, old_device_id};
    int rc = db__write(db, dehydrated_put_fn, &a);
    if (rc) {
        free(*old_device_id);
        *old_device_id = NULL;
    }
    return rc;
}

static int dehydrated_delete_fn(struct db_conn *c, void *arg)
{
    struct dehydrated_args *a = arg;
    int rc = dehydrated_drop(c, a->user_id, a->old_device_id);
    return rc ? rc : *a->old_device_id ? 0 : ERR_NOT_FOUND;
}

int db_dehydrated_delete(struct db *db, const char *user_id, char **device_id)
{
    *device_id = NULL;
    struct dehydrated_args a = {user_id, NULL, NULL, device_id};
    int rc = db__write(db, dehydrated_delete_fn, &a);
    if (rc) {
        free(*device_id);
        *device_id = NULL;
    }
    return rc;
}

static void shared_membership_fini(void *elem)
{
    free(((struct db_shared_membership *)elem)->user_id);
}

void db_shared_memberships_free(struct db_shared_membership *m, size_t n)
{
    db__items_free(m, n, sizeof *m, shared_membership_fini);
}

static void shared_membership_fill(sqlite3_stmt *st, void *elem)
{
    struct db_shared_membership *m = elem;
    m->user_id = db__col_text(st, 0);
    m->member_joined = sqlite3_column_int(st, 1) != 0;
    m->member_changed = sqlite3_column_int(st, 2) != 0;
    m->mine_joined = sqlite3_column_int(st, 3) != 0;
    m->mine_changed = sqlite3_column_int(st, 4) != 0;
}

int db_shared_membership_changes(struct db *db, const char *user_id, int64_t from, int64_t to,
                                 struct db_shared_membership **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "SELECT b.user_id, b.membership = 'join', b.stream_pos > ?2 AND "
                        "b.stream_pos <= ?3, a.membership = 'join', a.stream_pos > ?2 AND "
                        "a.stream_pos <= ?3 FROM memberships a JOIN memberships b ON "
                        "b.room_id = a.room_id WHERE a.user_id = ?1 AND b.user_id != ?1 AND "
                        "a.stream_pos <= ?3 AND ((a.stream_pos > ?2 AND a.stream_pos <= ?3) OR "
                        "(b.stream_pos > ?2 AND b.stream_pos <= ?3))")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    return db__rows_collect(st, sizeof **out, shared_membership_fill, shared_membership_fini,
                            out, n);
}
