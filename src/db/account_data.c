/* account_data.c: per-user global and per-room account data, with a stream
 * position so /sync can send what changed since a token. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/err.h"
#include "base/mem.h"

#include <string.h>

struct account_data_args {
    const char *user_id, *room_id, *type, *content;
};

static int account_data_put_fn(struct db_conn *c, void *arg)
{
    struct account_data_args *a = arg;
    sqlite3_stmt *st = db__stmt(
        c, "INSERT INTO account_data (user_id, room_id, type, content, stream_pos) VALUES "
           "(?1, ?2, ?3, ?4, (SELECT COALESCE(MAX(stream_pos), 0) + 1 FROM account_data)) "
           "ON CONFLICT (user_id, room_id, type) DO UPDATE SET content = excluded.content, "
           "stream_pos = excluded.stream_pos");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, a->room_id);
    db__bind_text(st, 3, a->type);
    db__bind_text(st, 4, a->content);
    return db__step_done(c, st);
}

int db_account_data_put(struct db *db, const char *user_id, const char *room_id, const char *type,
                        const char *content_json)
{
    struct account_data_args a = {user_id, room_id ? room_id : "", type, content_json};
    return db__write(db, account_data_put_fn, &a);
}

int db_account_data_get(struct db *db, const char *user_id, const char *room_id, const char *type,
                        char **content_json)
{
    *content_json = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT content FROM account_data WHERE user_id = ? AND "
                                       "room_id = ? AND type = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    db__bind_text(st, 2, room_id ? room_id : "");
    db__bind_text(st, 3, type);
    int rc = sqlite3_step(st);
    int out_rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_NOT_FOUND : ERR_DB;
    if (rc == SQLITE_ROW)
        *content_json = db__col_text(st, 0);
    sqlite3_reset(st);
    return out_rc;
}

void db_account_data_changes_fini(struct db_account_data_changes *c)
{
    db_strings_free(c->room_ids, c->n);
    db_strings_free(c->types, c->n);
    db_strings_free(c->contents, c->n);
    c->room_ids = c->types = c->contents = NULL;
    c->n = 0;
}

int db_account_data_since(struct db *db, const char *user_id, int64_t since,
                          struct db_account_data_changes *out)
{
    memset(out, 0, sizeof *out);
    out->max_pos = since;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT room_id, type, content, stream_pos FROM "
                                       "account_data WHERE user_id = ? AND stream_pos > ? "
                                       "ORDER BY stream_pos")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    sqlite3_bind_int64(st, 2, since);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 8;
            out->room_ids = xrealloc(out->room_ids, cap * sizeof(char *));
            out->types = xrealloc(out->types, cap * sizeof(char *));
            out->contents = xrealloc(out->contents, cap * sizeof(char *));
        }
        out->room_ids[out->n] = db__col_text(st, 0);
        out->types[out->n] = db__col_text(st, 1);
        out->contents[out->n] = db__col_text(st, 2);
        out->max_pos = sqlite3_column_int64(st, 3);
        out->n++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_account_data_max_pos(struct db *db, int64_t *pos)
{
    return db__read_i64(db, "SELECT COALESCE(MAX(stream_pos), 0) FROM account_data", pos);
}
