/* aliases.c: room aliases and stored sync filters. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

struct alias_args {
    const char *alias, *room_id, *creator;
};

static int alias_create_fn(struct db_conn *c, void *arg)
{
    struct alias_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO room_aliases (alias, room_id, creator) VALUES "
                                   "(?,?,?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->alias);
    db__bind_text(st, 2, a->room_id);
    db__bind_text(st, 3, a->creator);
    return db__step_done(c, st);
}

int db_alias_create(struct db *db, const char *alias, const char *room_id, const char *creator)
{
    struct alias_args a = {alias, room_id, creator};
    return db__write(db, alias_create_fn, &a);
}

int db_alias_get(struct db *db, const char *alias, char **room_id, char **creator)
{
    *room_id = NULL;
    if (creator)
        *creator = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT room_id, creator FROM room_aliases WHERE alias = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, alias);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *room_id = db__col_text(st, 0);
        if (creator)
            *creator = db__col_text(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

static int alias_delete_fn(struct db_conn *c, void *arg)
{
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM room_aliases WHERE alias = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, arg);
    int rc = db__step_done(c, st);
    return rc ? rc : sqlite3_changes(c->sql) ? 0 : ERR_NOT_FOUND;
}

int db_alias_delete(struct db *db, const char *alias)
{
    return db__write(db, alias_delete_fn, (void *)alias);
}

int db_aliases_of_room(struct db *db, const char *room_id, char ***aliases, size_t *n)
{
    *aliases = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY "
                                       "alias")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    return db__rows_collect_text(st, aliases, n);
}

struct filter_args {
    const char *user_id, *json;
    int64_t *filter_id;
};

static int filter_create_fn(struct db_conn *c, void *arg)
{
    struct filter_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO filters (user_id, filter_id, json) VALUES (?1, "
                                   "(SELECT COALESCE(MAX(filter_id), -1) + 1 FROM filters WHERE "
                                   "user_id = ?1), ?2)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->json);
    int rc = db__step_done(c, st);
    if (rc)
        return rc;
    st = db__stmt(c, "SELECT MAX(filter_id) FROM filters WHERE user_id = ?");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    return db__step_i64(st, a->filter_id);
}

int db_filter_create(struct db *db, const char *user_id, const char *json, int64_t *filter_id)
{
    struct filter_args a = {user_id, json, filter_id};
    return db__write(db, filter_create_fn, &a);
}

int db_filter_get(struct db *db, const char *user_id, int64_t filter_id, char **json)
{
    *json = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT json FROM filters WHERE user_id = ? AND "
                                       "filter_id = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    sqlite3_bind_int64(st, 2, filter_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *json = db__col_text(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}
