/* search.c: the FTS5 index of room events (see db/search.h). */
#define LOG_MODULE "db"
#include "db/search.h"
#include "db/internal.h"

#include "base/err.h"
#include "base/buf.h"
#include "base/mem.h"

#include <string.h>

struct search_args {
    const struct db_search_doc *docs; /* borrowed */
    size_t n;                         /* docs */
};

static int search_add_fn(struct db_conn *c, void *arg)
{
    struct search_args *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        sqlite3_stmt *st = db__stmt(c, "INSERT OR REPLACE INTO event_search_v2 (rowid, body, room, "
                                       "room_id) VALUES (?1, ?2, 'r' || hex(?3), ?3)");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int64(st, 1, a->docs[i].pos);
        db__bind_text(st, 2, a->docs[i].text);
        db__bind_text(st, 3, a->docs[i].room_id);
        if (db__step_done(c, st))
            return ERR_DB;
    }
    return 0;
}

static int search_delete_fn(struct db_conn *c, void *arg)
{
    const int64_t *pos = arg;
    sqlite3_stmt *st = db__stmt(c, "DELETE FROM event_search_v2 WHERE rowid = ?");
    if (!st)
        return ERR_DB;
    sqlite3_bind_int64(st, 1, *pos);
    return db__step_done(c, st);
}

int db_search_delete(struct db *db, int64_t pos)
{
    return db__write(db, search_delete_fn, &pos);
}

int db_search_add(struct db *db, const struct db_search_doc *docs, size_t n)
{
    if (!n)
        return 0;
    struct search_args a = {docs, n};
    return db__write(db, search_add_fn, &a);
}

static int search_run(struct db_conn *c, const char *fts_query, const char *rooms_json,
                      bool by_rank, int64_t offset, size_t limit, struct db_search_hit **out,
                      size_t *n, int64_t *total);

/* The MATCH expression: the words in the body, and one of the rooms by the
 * room column's token ('r' and the hex of the room ID, as stored), so FTS5
 * intersects posting lists instead of filtering every match. NULL when the
 * searcher has no room. */
static char *match_expr(const char *words, const char *rooms_json)
{
    json_error_t jerr;
    json_t *rooms = json_loads(rooms_json, 0, &jerr);
    if (!json_is_object(rooms) || !json_object_size(rooms)) {
        json_decref(rooms);
        return NULL;
    }
    struct buf q;
    buf_init(&q, 64u << 20);
    buf_printf(&q, "body : (%s) AND room : (", words);
    static const char hexd[] = "0123456789abcdef";
    const char *key;
    json_t *v;
    bool first = true;
    json_object_foreach(rooms, key, v)
    {
        if (!first)
            buf_append_str(&q, " OR ");
        first = false;
        buf_append_char(&q, 'r');
        for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
            buf_append_char(&q, hexd[*p >> 4]);
            buf_append_char(&q, hexd[*p & 15]);
        }
    }
    buf_append_char(&q, ')');
    json_decref(rooms);
    return buf_steal(&q);
}

int db_search(struct db *db, const char *fts_query, const char *rooms_json, bool by_rank,
              int64_t offset, size_t limit, struct db_search_hit **out, size_t *n, int64_t *total)
{
    *out = NULL;
    *n = 0;
    *total = 0;
    struct db_conn *c = db__reader(db);
    if (!c)
        return ERR_DB;
    char *expr = match_expr(fts_query, rooms_json);
    if (!expr)
        return 0;
    int rc = search_run(c, expr, rooms_json, by_rank, offset, limit, out, n, total);
    free(expr);
    return rc;
}

static int search_run(struct db_conn *c, const char *fts_query, const char *rooms_json,
                      bool by_rank, int64_t offset, size_t limit, struct db_search_hit **out,
                      size_t *n, int64_t *total)
{
    /* the same filter in both statements: the room is the searcher's and the
     * event no later than what they may see there */
    sqlite3_stmt *st = db__stmt(c, "SELECT COUNT(*) FROM event_search_v2 WHERE event_search_v2 MATCH ?1 "
                                   "AND rowid <= json_extract(?2, '$.\"' || room_id || '\"')");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, fts_query);
    db__bind_text(st, 2, rooms_json);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_ERROR ? ERR_INVALID : ERR_DB;
    st = by_rank ? db__stmt(c, "SELECT rowid, room_id, -bm25(event_search_v2, 1.0, 0.0) FROM event_search_v2 "
                               "WHERE event_search_v2 MATCH ?1 AND rowid <= json_extract(?2, '$.\"' "
                               "|| room_id || '\"') ORDER BY bm25(event_search_v2, 1.0, 0.0), rowid DESC "
                               "LIMIT ?3 OFFSET ?4")
                 : db__stmt(c, "SELECT rowid, room_id, -bm25(event_search_v2, 1.0, 0.0) FROM event_search_v2 "
                               "WHERE event_search_v2 MATCH ?1 AND rowid <= json_extract(?2, '$.\"' "
                               "|| room_id || '\"') ORDER BY rowid DESC LIMIT ?3 OFFSET ?4");
    if (!st)
        return ERR_DB;
    db__bind_text(st, 1, fts_query);
    db__bind_text(st, 2, rooms_json);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    sqlite3_bind_int64(st, 4, offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        struct db_search_hit *h = &(*out)[(*n)++];
        h->pos = sqlite3_column_int64(st, 0);
        h->room_id = db__col_text(st, 1);
        h->rank = sqlite3_column_double(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_search_hits_free(*out, *n);
        *out = NULL;
        *n = 0;
        return ERR_DB;
    }
    return 0;
}

void db_search_hits_free(struct db_search_hit *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(h[i].room_id);
    free(h);
}
