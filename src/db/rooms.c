/* rooms.c: the rooms table (version, creator, directory visibility). */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"

struct room_args {
    const char *room_id, *version, *creator;
    bool is_public;
};

static int room_create_fn(struct db_conn *c, void *arg)
{
    struct room_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO rooms (room_id, room_version, creator, "
                                   "created_ts) VALUES (?,?,?,?)");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->room_id);
    db__bind_text(st, 2, a->version);
    db__bind_text(st, 3, a->creator);
    sqlite3_bind_int64(st, 4, clock_now_ms());
    return db__step_done(c, st);
}

int db_room_create(struct db *db, const char *room_id, const char *room_version,
                   const char *creator)
{
    struct room_args a = {room_id, room_version, creator, false};
    return db__write(db, room_create_fn, &a);
}

int db_room_get(struct db *db, const char *room_id, char **room_version, bool *is_public)
{
    *room_version = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT room_version, is_public FROM rooms WHERE room_id = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *room_version = db__col_text(st, 0);
        *is_public = sqlite3_column_int(st, 1) != 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
}

static int room_public_fn(struct db_conn *c, void *arg)
{
    struct room_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "UPDATE rooms SET is_public = ? WHERE room_id = ?");
    if (!st)
        return ERR_DB;
    sqlite3_bind_int(st, 1, a->is_public);
    db__bind_text(st, 2, a->room_id);
    int rc = db__step_done(c, st);
    return rc ? rc : sqlite3_changes(c->sql) ? 0 : ERR_NOT_FOUND;
}

int db_room_set_public(struct db *db, const char *room_id, bool is_public)
{
    struct room_args a = {room_id, NULL, NULL, is_public};
    return db__write(db, room_public_fn, &a);
}

int db_rooms_public(struct db *db, char ***room_ids, size_t *n)
{
    *room_ids = NULL;
    *n = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT room_id FROM rooms WHERE is_public = 1 ORDER BY "
                                       "created_ts, room_id")
                         : NULL;
    if (!st)
        return ERR_DB;
    return db__rows_collect_text(st, room_ids, n);
}
