/* state.c: state groups (the state after each event, stored as a delta
 * against a parent group, with a full snapshot every STATE_CHAIN_MAX steps so
 * loading walks a bounded chain), current state and memberships. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"

#include <string.h>

void db_strings_free(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void db_state_entries_fini(struct db_state_entries *s)
{
    db_strings_free(s->types, s->n);
    db_strings_free(s->state_keys, s->n);
    db_strings_free(s->event_ids, s->n);
    memset(s, 0, sizeof *s);
}

/* Builds the map key "type\0state_key". */
static size_t state_key_of(const char *type, const char *state_key, char *out, size_t cap)
{
    size_t tl = strlen(type), kl = strlen(state_key);
    if (tl + kl + 1 > cap)
        return 0;
    memcpy(out, type, tl);
    out[tl] = '\0';
    memcpy(out + tl + 1, state_key, kl);
    return tl + 1 + kl;
}

/* Loads a group's full state into map (key -> owned event_id), walking the
 * parent chain; entries nearer the group win. */
int db__state_group_map(struct db_conn *c, int64_t group, struct map *out)
{
    int hops = 0;
    while (group > 0) {
        if (++hops > 1000)
            return ERR_INTERNAL; /* a cycle would be a bug */
        sqlite3_stmt *st = db__stmt(c, "SELECT type, state_key, event_id FROM state_group_entries "
                                       "WHERE group_id = ?");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int64(st, 1, group);
        int rc;
        char key[2048];
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            size_t len = state_key_of((const char *)sqlite3_column_text(st, 0),
                                      (const char *)sqlite3_column_text(st, 1), key, sizeof key);
            if (len && !map_get(out, key, len))
                map_put(out, key, len, db__col_text(st, 2));
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return ERR_DB;
        st = db__stmt(c, "SELECT prev_group FROM state_groups WHERE id = ?");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int64(st, 1, group);
        rc = sqlite3_step(st);
        group = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                    ? sqlite3_column_int64(st, 0)
                    : 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
            return ERR_DB;
    }
    return 0;
}

struct to_entries_ctx {
    struct db_state_entries *out;
};

static void to_entries(const char *key, size_t key_len, void *value, void *arg)
{
    struct db_state_entries *s = ((struct to_entries_ctx *)arg)->out;
    size_t tl = strlen(key);
    s->types[s->n] = xstrdup(key);
    s->state_keys[s->n] = xstrndup(key + tl + 1, key_len - tl - 1);
    s->event_ids[s->n] = xstrdup(value);
    s->n++;
}

int db_state_group_load(struct db *db, int64_t group, struct db_state_entries *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    if (!c)
        return ERR_DB;
    struct map m;
    map_init(&m, free);
    int rc = db__state_group_map(c, group, &m);
    if (!rc) {
        out->types = xcalloc(m.len + 1, sizeof(char *));
        out->state_keys = xcalloc(m.len + 1, sizeof(char *));
        out->event_ids = xcalloc(m.len + 1, sizeof(char *));
        struct to_entries_ctx ctx = {out};
        map_each(&m, to_entries, &ctx);
    }
    map_fini(&m);
    return rc;
}

enum { STATE_CHAIN_MAX = 64 };

struct snapshot_ctx {
    struct db_conn *c;
    int64_t group;
    int rc;
};

static void insert_entry(const char *key, size_t key_len, void *value, void *arg)
{
    struct snapshot_ctx *s = arg;
    if (s->rc)
        return;
    size_t tl = strlen(key);
    sqlite3_stmt *st = db__stmt(s->c, "INSERT OR REPLACE INTO state_group_entries (group_id, type, "
                                      "state_key, event_id) VALUES (?,?,?,?)");
    if (!st) {
        s->rc = ERR_DB;
        return;
    }
    sqlite3_bind_int64(st, 1, s->group);
    sqlite3_bind_text(st, 2, key, (int)tl, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, key + tl + 1, (int)(key_len - tl - 1), SQLITE_TRANSIENT);
    db__bind_text(st, 4, value);
    s->rc = db__step_done(s->c, st);
}

/* Creates the group for the state after a state event: a delta of one entry
 * over prev, or a full snapshot when the chain gets long. */
int db__state_group_add(struct db_conn *c, const char *room_id, int64_t prev, const char *type,
                        const char *state_key, const char *event_id, int64_t *group)
{
    int64_t chain = -1;
    if (prev > 0) {
        sqlite3_stmt *st = db__stmt(c, "SELECT chain_len FROM state_groups WHERE id = ?");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int64(st, 1, prev);
        if (sqlite3_step(st) == SQLITE_ROW)
            chain = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    bool snapshot = chain < 0 || chain + 1 >= STATE_CHAIN_MAX;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO state_groups (room_id, prev_group, chain_len) "
                                   "VALUES (?,?,?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    if (snapshot)
        sqlite3_bind_null(st, 2);
    else
        sqlite3_bind_int64(st, 2, prev);
    sqlite3_bind_int64(st, 3, snapshot ? 0 : chain + 1);
    int rc = db__step_done(c, st);
    if (rc)
        return rc;
    *group = sqlite3_last_insert_rowid(c->sql);
    struct snapshot_ctx ctx = {c, *group, 0};
    if (snapshot && prev > 0) {
        struct map m;
        map_init(&m, free);
        ctx.rc = db__state_group_map(c, prev, &m);
        map_each(&m, insert_entry, &ctx);
        map_fini(&m);
        if (ctx.rc)
            return ctx.rc;
    }
    char key[2048];
    size_t len = state_key_of(type, state_key, key, sizeof key);
    if (!len)
        return ERR_TOO_LARGE;
    insert_entry(key, len, (void *)event_id, &ctx);
    return ctx.rc;
}

static void membership_fini(void *elem)
{
    struct db_membership *m = elem;
    free(m->room_id);
    free(m->user_id);
    free(m->membership);
    free(m->event_id);
}

void db_memberships_free(struct db_membership *m, size_t n)
{
    db__items_free(m, n, sizeof *m, membership_fini);
}

static void membership_fill(sqlite3_stmt *st, void *elem)
{
    struct db_membership *m = elem;
    m->room_id = db__col_text(st, 0);
    m->user_id = db__col_text(st, 1);
    m->membership = db__col_text(st, 2);
    m->event_id = db__col_text(st, 3);
    m->pos = sqlite3_column_int64(st, 4);
}

int db_user_memberships(struct db *db, const char *user_id, struct db_membership **out, size_t *n)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT room_id, user_id, membership, event_id, stream_pos "
                                       "FROM memberships WHERE user_id = ? AND forgotten = 0 "
                                       "ORDER BY stream_pos")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    return db__rows_collect(st, sizeof **out, membership_fill, membership_fini, out, n);
}

int db_room_memberships(struct db *db, const char *room_id, const char *membership,
                        struct db_membership **out, size_t *n)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT room_id, user_id, membership, event_id, stream_pos "
                                       "FROM memberships WHERE room_id = ?1 AND "
                                       "(?2 IS NULL OR membership = ?2) ORDER BY user_id")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    db__bind_text(st, 2, membership);
    return db__rows_collect(st, sizeof **out, membership_fill, membership_fini, out, n);
}

static int forget_fn(struct db_conn *c, void *arg)
{
    const char **a = arg;
    sqlite3_stmt *st = db__stmt(c, "UPDATE memberships SET forgotten = 1 WHERE room_id = ? AND "
                                   "user_id = ? AND membership IN ('leave', 'ban')");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a[0]);
    db__bind_text(st, 2, a[1]);
    return db__step_done(c, st);
}

int db_membership_forget(struct db *db, const char *room_id, const char *user_id)
{
    const char *args[2] = {room_id, user_id};
    return db__write(db, forget_fn, args);
}

int db_membership_at(struct db *db, const char *room_id, const char *user_id, int64_t pos,
                     char **membership)
{
    *membership = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT json FROM events WHERE room_id = ? AND "
                                       "type = 'm.room.member' AND state_key = ? AND "
                                       "stream_pos < ? ORDER BY stream_pos DESC LIMIT 1")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    db__bind_text(st, 2, user_id);
    sqlite3_bind_int64(st, 3, pos);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        json_error_t jerr;
        json_t *ev = json_loads((const char *)sqlite3_column_text(st, 0), 0, &jerr);
        const char *m = json_string_value(json_object_get(json_object_get(ev, "content"),
                                                          "membership"));
        *membership = xstrdup(m ? m : "leave");
        json_decref(ev);
    } else {
        *membership = xstrdup("leave");
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_state_value_at(struct db *db, const char *room_id, const char *type, const char *state_key,
                      int64_t pos, char **event_json)
{
    *event_json = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT json FROM events WHERE room_id = ? AND type = ? AND "
                                       "state_key = ? AND stream_pos < ? ORDER BY stream_pos DESC "
                                       "LIMIT 1")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    db__bind_text(st, 2, type);
    db__bind_text(st, 3, state_key);
    sqlite3_bind_int64(st, 4, pos);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *event_json = db__col_text(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_DB;
}
