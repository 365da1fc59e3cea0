/* users.c: accounts and profiles. */
#define LOG_MODULE "db"
#include "db/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <ctype.h>
#include <string.h>

void db_user_fini(struct db_user *u)
{
    free(u->user_id);
    free(u->password_hash);
    free(u->displayname);
    free(u->avatar_url);
    memset(u, 0, sizeof *u);
}

static char *lowercase(const char *s)
{
    char *r = xstrdup(s);
    for (char *p = r; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return r;
}

struct user_create_args {
    const char *user_id, *password_hash, *displayname;
    bool is_admin;
};

static int user_create_fn(struct db_conn *c, void *arg)
{
    struct user_create_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO users (user_id, user_id_lower, password_hash, "
                                   "is_admin, displayname, created_ts) VALUES (?,?,?,?,?,?)");
    if (!st)
        return ERR_DB;
    char *lower = lowercase(a->user_id);
    db__bind_text(st, 1, a->user_id);
    db__bind_text(st, 2, lower);
    db__bind_text(st, 3, a->password_hash);
    sqlite3_bind_int(st, 4, a->is_admin);
    db__bind_text(st, 5, a->displayname);
    sqlite3_bind_int64(st, 6, clock_now_ms());
    int rc = db__step_done(c, st);
    free(lower);
    return rc;
}

int db_user_create(struct db *db, const char *user_id, const char *password_hash, bool is_admin,
                   const char *displayname)
{
    struct user_create_args a = {user_id, password_hash, displayname, is_admin};
    return db__write(db, user_create_fn, &a);
}

static void read_user(sqlite3_stmt *st, struct db_user *out)
{
    out->user_id = db__col_text(st, 0);
    out->password_hash = db__col_text(st, 1);
    out->displayname = db__col_text(st, 2);
    out->avatar_url = db__col_text(st, 3);
    out->is_admin = sqlite3_column_int(st, 4) != 0;
    out->deactivated = sqlite3_column_int(st, 5) != 0;
    out->created_ts = sqlite3_column_int64(st, 6);
}

#define USER_COLUMNS \
    "user_id, password_hash, displayname, avatar_url, is_admin, deactivated, created_ts"

int db_user_get(struct db *db, const char *user_id, struct db_user *out)
{
    memset(out, 0, sizeof *out);
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT " USER_COLUMNS " FROM users WHERE user_id = ?")
                         : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, user_id);
    int rc = sqlite3_step(st);
    int out_rc = ERR_NOT_FOUND;
    if (rc == SQLITE_ROW) {
        read_user(st, out);
        out_rc = 0;
    } else if (rc != SQLITE_DONE) {
        out_rc = ERR_DB;
    }
    sqlite3_reset(st);
    return out_rc;
}

int db_user_find_ci(struct db *db, const char *user_id, char **out_user_id)
{
    *out_user_id = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT user_id FROM users WHERE user_id_lower = ?") : NULL;
    if (!st)
        return ERR_DB;
    char *lower = lowercase(user_id);
    db__bind_text(st, 1, lower);
    free(lower);
    int rc = sqlite3_step(st);
    int out_rc = ERR_NOT_FOUND;
    if (rc == SQLITE_ROW) {
        *out_user_id = db__col_text(st, 0);
        out_rc = 0;
    } else if (rc != SQLITE_DONE) {
        out_rc = ERR_DB;
    }
    sqlite3_reset(st);
    return out_rc;
}

int db_user_list(struct db *db, void (*fn)(const struct db_user *u, void *ctx), void *ctx)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT " USER_COLUMNS " FROM users ORDER BY user_id") : NULL;
    if (!st)
        return ERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct db_user u;
        read_user(st, &u);
        fn(&u, ctx);
        db_user_fini(&u);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

struct user_update_args {
    const char *user_id;
    const char *text; /* new value */
    int flag;         /* new flag */
    const char *sql;  /* statement: ?1 = value, ?2 = user_id */
    int bind_int;     /* bind flag instead of text */
};

static int user_update_fn(struct db_conn *c, void *arg)
{
    struct user_update_args *a = arg;
    sqlite3_stmt *st = db__stmt(c, a->sql);
    if (!st)
        return ERR_DB;
    if (a->bind_int)
        sqlite3_bind_int(st, 1, a->flag);
    else
        db__bind_text(st, 1, a->text);
    db__bind_text(st, 2, a->user_id);
    int rc = db__step_done(c, st);
    if (rc == 0 && sqlite3_changes(c->sql) == 0)
        rc = ERR_NOT_FOUND;
    return rc;
}

static const char sql_set_password[] = "UPDATE users SET password_hash = ?1 WHERE user_id = ?2";
static const char sql_set_admin[] = "UPDATE users SET is_admin = ?1 WHERE user_id = ?2";
static const char sql_set_displayname[] = "UPDATE users SET displayname = ?1 WHERE user_id = ?2";
static const char sql_set_avatar[] = "UPDATE users SET avatar_url = ?1 WHERE user_id = ?2";

int db_user_set_password(struct db *db, const char *user_id, const char *password_hash)
{
    struct user_update_args a = {user_id, password_hash, 0, sql_set_password, 0};
    return db__write(db, user_update_fn, &a);
}

int db_user_set_admin(struct db *db, const char *user_id, bool is_admin)
{
    struct user_update_args a = {user_id, NULL, is_admin, sql_set_admin, 1};
    return db__write(db, user_update_fn, &a);
}

int db_user_set_profile(struct db *db, const char *user_id, const char *field, const char *value)
{
    const char *sql;
    if (strcmp(field, "displayname") == 0)
        sql = sql_set_displayname;
    else if (strcmp(field, "avatar_url") == 0)
        sql = sql_set_avatar;
    else
        return ERR_INVALID;
    struct user_update_args a = {user_id, value, 0, sql, 0};
    return db__write(db, user_update_fn, &a);
}

static int user_deactivate_fn(struct db_conn *c, void *arg)
{
    const char *user_id = arg;
    static const char *const sqls[] = {
        "UPDATE users SET deactivated = 1, password_hash = NULL, displayname = NULL, "
        "avatar_url = NULL WHERE user_id = ?",
        "DELETE FROM access_tokens WHERE user_id = ?",
        "DELETE FROM devices WHERE user_id = ?",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        sqlite3_stmt *st = db__stmt(c, sqls[i]);
        if (!st)
            return ERR_DB;
        db__bind_text(st, 1, user_id);
        int rc = db__step_done(c, st);
        if (rc)
            return rc;
        if (i == 0 && sqlite3_changes(c->sql) == 0)
            return ERR_NOT_FOUND;
    }
    return db__e2ee_devices_gone(c, user_id, NULL, NULL); /* and their E2EE keys */
}

int db_user_deactivate(struct db *db, const char *user_id)
{
    return db__write(db, user_deactivate_fn, (void *)user_id);
}
