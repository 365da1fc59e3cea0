/* user_directory.c: the candidate users of a directory search (see
 * user_directory.h), read in one query. The matching itself (case- and
 * accent-insensitive) is done by the caller. */
#define LOG_MODULE "db"
#include "db/user_directory.h"
#include "db/internal.h"

#include "base/err.h"

#include <stdlib.h>

/* A user may appear several times (several rooms, or also as a local
 * account): grouped by user_id with shares_room the maximum. */
static const char *const scan_sql =
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
    "  UNION ALL "
    "  SELECT user_id, 0, NULL FROM users WHERE ?2 AND deactivated = 0"
    ") c "
    "LEFT JOIN users u ON u.user_id = c.user_id "
    "LEFT JOIN events e ON e.event_id = c.ev "
    "WHERE u.user_id IS NULL OR u.deactivated = 0 "
    "GROUP BY c.user_id";

int db_user_directory_scan(struct db *db, const char *searcher, bool all_local,
                           bool (*fn)(const struct db_dir_user *u, void *ctx), void *ctx)
{
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, scan_sql) : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, searcher);
    sqlite3_bind_int(st, 2, all_local ? 1 : 0);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool local = sqlite3_column_int(st, 6) != 0;
        struct db_dir_user u = {
            .user_id = db__col_text(st, 0),
            .shares_room = sqlite3_column_int(st, 1) != 0,
            .displayname = db__col_text(st, local ? 2 : 4),
            .avatar_url = db__col_text(st, local ? 3 : 5),
        };
        bool more = fn(&u, ctx);
        free(u.user_id);
        free(u.displayname);
        free(u.avatar_url);
        if (!more) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}
