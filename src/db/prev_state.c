/* prev_state.c: the state event a new state event replaced (see prev_state.h),
 * found through the state group of the previous event: the group's delta
 * chain (at most a snapshot interval long) is walked by a recursive query,
 * nearest group first. */
#define LOG_MODULE "db"
#include "db/prev_state.h"

#include "db/internal.h"

#include "base/err.h"

int db_state_replaced(struct db *db, const char *room_id, int64_t pos, const char *type,
                      const char *state_key, char **event_id)
{
    *event_id = NULL;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st =
        c ? db__stmt(c, "WITH RECURSIVE chain(g, n) AS ("
                        "  SELECT (SELECT state_group FROM events WHERE room_id = ?1 AND "
                        "          stream_pos < ?2 ORDER BY stream_pos DESC LIMIT 1), 0 "
                        "  UNION ALL SELECT s.prev_group, chain.n + 1 FROM state_groups s "
                        "  JOIN chain ON s.id = chain.g WHERE s.prev_group IS NOT NULL "
                        "  AND chain.n < 1000) "
                        "SELECT e.event_id FROM chain JOIN state_group_entries e ON "
                        "e.group_id = chain.g AND e.type = ?3 AND e.state_key = ?4 "
                        "ORDER BY chain.n LIMIT 1")
          : NULL;
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, room_id);
    sqlite3_bind_int64(st, 2, pos);
    db__bind_text(st, 3, type);
    db__bind_text(st, 4, state_key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *event_id = db__col_text(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ERR_DB;
}
