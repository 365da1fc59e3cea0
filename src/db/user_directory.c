/* user_directory.c: the candidate users of a directory search (see
 * user_directory.h): the members of the searcher's and of public rooms in one
 * grouped query, then, when every local user is searched, the accounts
 * table in one plain scan. The matching itself (case- and accent-insensitive)
 * is done by the caller. */
#define LOG_MODULE "db"
#include "db/user_directory.h"
#include "db/internal.h"

#include "base/err.h"
#include "base/map.h"

#include <stdlib.h>
#include <string.h>

/* The members of the searcher's rooms and of public rooms. A user may appear
 * in several rooms: grouped by user_id with shares_room the maximum. */
static const char *const rooms_sql =
    "SELECT c.user_id, MAX(c.shared), u.displayname, u.avatar_url, "
    "  MAX(json_extract(e.json, '$.content.displayname')), "
    "  MAX(json_extract(e.json, '$.content.avatar_url')), u.user_id IS NOT NULL "
    "FROM ("
    "  SELECT m.user_id AS user_id, 1 AS shared, m.event_id AS ev FROM memberships s "
    "    JOIN memberships m ON m.room_id = s.room_id AND m.membership = 'join' "
    "    WHERE s.user_id = ?1 AND s.membership = 'join' "
    "  UNION ALL "
    "  SELECT m.user_id, 0, m.event_id FROM current_state cs "
    "    JOIN events je ON je.event_id = cs.event_id "
    "    JOIN memberships m ON m.room_id = cs.room_id AND m.membership = 'join' "
    "    WHERE cs.type = 'm.room.join_rules' AND cs.state_key = '' "
    "      AND json_extract(je.json, '$.content.join_rule') = 'public' "
    ") c "
    "LEFT JOIN users u ON u.user_id = c.user_id "
    "LEFT JOIN events e ON e.event_id = c.ev "
    "WHERE u.user_id IS NULL OR u.deactivated = 0 "
    "GROUP BY c.user_id";

/* Every active local account, read without grouping (the bulk of a search
 * over all users; those already seen in rooms_sql are skipped). */
static const char *const users_sql =
    "SELECT user_id, displayname, avatar_url FROM users WHERE deactivated = 0";

/* The value stored for a user already delivered (the map frees nothing). */
static char seen_mark;

static void dir_user_fini(struct db_dir_user *u)
{
    free(u->user_id);
    free(u->displayname);
    free(u->avatar_url);
}

int db_user_directory_scan(struct db *db, const char *searcher, bool all_local,
                           bool (*fn)(const struct db_dir_user *u, void *ctx), void *ctx)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, rooms_sql) : NULL;
    if (!st)
        return ERR_DB;
    struct map seen;
    map_init(&seen, NULL);
    db__bind_text(st, 1, searcher);
    bool more = true;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool local = sqlite3_column_int(st, 6) != 0;
        struct db_dir_user u = {
            .user_id = db__col_text(st, 0),
            .shares_room = sqlite3_column_int(st, 1) != 0,
            .displayname = db__col_text(st, local ? 2 : 4),
            .avatar_url = db__col_text(st, local ? 3 : 5),
        };
        if (all_local)
            map_put(&seen, u.user_id, strlen(u.user_id), &seen_mark);
        more = fn(&u, ctx);
        dir_user_fini(&u);
        if (!more)
            break;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        goto fail;
    rc = SQLITE_DONE;
    if (all_local && more) {
        st = db__stmt(c, users_sql);
        if (!st)
            goto fail;
        while (more && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(st, 0);
            if (map_get(&seen, id, strlen(id)))
                continue;
            struct db_dir_user u = {
                .user_id = db__col_text(st, 0),
                .displayname = db__col_text(st, 1),
                .avatar_url = db__col_text(st, 2),
            };
            more = fn(&u, ctx);
            dir_user_fini(&u);
        }
        sqlite3_reset(st);
        if (more && rc != SQLITE_DONE)
            goto fail;
    }
    map_fini(&seen);
    return 0;
fail:
    map_fini(&seen);
    return ERR_DB;
}
