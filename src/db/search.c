/* search.c: the FTS5 index of room events (see db/search.h). */
#define LOG_MODULE "db"
#include "db/search.h"
#include "db/internal.h"

#include "base/err.h"
#include "base/buf.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

int db__search_write(struct db_conn *c, const struct db_search_doc *docs, size_t n,
                     const int64_t *removed, size_t n_removed)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = db__stmt(c, "INSERT OR REPLACE INTO event_search_v2 (rowid, body, room, "
                                       "room_id) VALUES (?1, ?2, 'r' || hex(?3), ?3)");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int64(st, 1, docs[i].pos);
        db__bind_text(st, 2, docs[i].text);
        db__bind_text(st, 3, docs[i].room_id);
        if (db__step_done(c, st))
            return ERR_DB;
    }
    for (size_t i = 0; i < n_removed; i++) {
        sqlite3_stmt *st = db__stmt(c, "DELETE FROM event_search_v2 WHERE rowid = ?");
        if (!st)
            return ERR_DB;
        sqlite3_bind_int64(st, 1, removed[i]);
        if (db__step_done(c, st))
            return ERR_DB;
    }
    return 0;
}

struct search_args {
    const struct db_search_doc *docs; /* borrowed */
    size_t n;                         /* docs */
    const int64_t *removed;           /* positions to take out (borrowed) */
    size_t n_removed;                 /* entries */
};

static int search_write_fn(struct db_conn *c, void *arg)
{
    struct search_args *a = arg;
    return db__search_write(c, a->docs, a->n, a->removed, a->n_removed);
}

int db_search_delete(struct db *db, int64_t pos)
{
    struct search_args a = {NULL, 0, &pos, 1};
    return db__write(db, search_write_fn, &a);
}

int db_search_add(struct db *db, const struct db_search_doc *docs, size_t n)
{
    if (!n)
        return 0;
    struct search_args a = {docs, n, NULL, 0};
    return db__write(db, search_write_fn, &a);
}

/* Keeping the index merged. FTS5 adds a segment per write transaction (the
 * push worker writes batches of at most 16 events) and its automerge joins
 * them four at a time per level, so a long-running server's index holds
 * 7-18 segments, and every query word and room token is looked up in each
 * (at 1M messages a single segment took 15-50% less CPU per request). A
 * full merge rewrites the whole index, so it is started only when the
 * segments beside the largest add up to 1/SEARCH_MERGE_RATIO of it (each
 * page is then rewritten a bounded number of times however large the index
 * grows), and it runs in steps of at most SEARCH_MERGE_PAGES leaf pages,
 * one write transaction each, so a send never waits long behind it.
 * Between full merges a step only finishes FTS5's own level merges. */
enum { SEARCH_MERGE_RATIO = 8, SEARCH_MERGE_PAGES = 100 };

/* The segments of the index, from its %_idx shadow table (one row per leaf
 * page that begins a word: its number in the segment times 2, plus a flag):
 * how many, the pages of the largest, and of all (a doclist spanning pages
 * makes these a slight underestimate). */
static int segments_read(struct db_conn *c, struct db_search_segments *s)
{
    *s = (struct db_search_segments){0};
    sqlite3_stmt *st = db__stmt(c, "SELECT max(pgno) >> 1 FROM event_search_v2_idx GROUP BY segid");
    if (!st)
        return ERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t pages = sqlite3_column_int64(st, 0);
        s->count++;
        s->pages += pages;
        s->largest = pages > s->largest ? pages : s->largest;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ERR_DB;
}

int db_search_segments(struct db *db, struct db_search_segments *s)
{
    *s = (struct db_search_segments){0};
    struct db_conn *c = db__reader(db);
    return c ? segments_read(c, s) : ERR_DB;
}

struct merge_args {
    bool *full; /* in/out: a full merge is under way */
    bool *more; /* out: another step has work to do */
};

static int search_merge_fn(struct db_conn *c, void *arg)
{
    struct merge_args *a = arg;
    struct db_search_segments s;
    *a->more = false;
    if (segments_read(c, &s))
        return ERR_DB;
    if (s.count <= 1) {
        *a->full = false;
        return 0;
    }
    /* A negative page count starts a merge of every segment into one; a
     * positive one goes on with a merge under way (FTS5 keeps its state in
     * the index; a negative one would start over, rewriting what a write in
     * between left merged) or merges a level holding automerge's number of
     * segments. */
    int pages = SEARCH_MERGE_PAGES;
    if (!*a->full && (s.pages - s.largest) * SEARCH_MERGE_RATIO >= s.largest) {
        *a->full = true;
        pages = -SEARCH_MERGE_PAGES;
    }
    sqlite3_stmt *st = db__stmt(c, "INSERT INTO event_search_v2 (event_search_v2, rank) "
                                   "VALUES ('merge', ?1)");
    if (!st)
        return ERR_DB;
    sqlite3_bind_int(st, 1, pages);
    int64_t before = sqlite3_total_changes64(c->sql);
    if (db__step_done(c, st))
        return ERR_DB;
    /* FTS5: fewer than 2 changes means the merge found nothing to do */
    bool worked = sqlite3_total_changes64(c->sql) - before >= 2;
    *a->more = worked;
    if (!worked)
        *a->full = false;
    return 0;
}

int db_search_merge_step(struct db *db, bool *full, bool *more)
{
    struct merge_args a = {full, more};
    *more = false;
    return db__write(db, search_merge_fn, &a);
}

/* A page of search results comes from one walk over the matches, newest
 * first (the index's rowid order is the stream order, so FTS5 stops after
 * the LIMIT instead of sorting every match): at least SEARCH_CANDIDATES
 * matches, more when the page lies deeper.
 * - recent: the walk's order.
 * - rank: the newest SEARCH_CANDIDATES matches ordered by score (BM25's
 *   term-frequency and length part: every query word is in every match, so
 *   FTS5's bm25(), whose IDF pass reads the whole posting list of every word
 *   and every room token of the query, is not worth its fixed cost), then
 *   the older matches by recency.
 * - count: exact when the walk ended early; otherwise estimated from the
 *   walk's density (the spec's count is approximate). */
enum { SEARCH_CANDIDATES = 200 };
/* The walk of a query of several words: their matches are an intersection,
 * often sparse (two common words: ~150 matches in 1M messages, 50,000
 * visible), and FTS5 reads every posting list (each word's, each room
 * token's) down to the oldest match the walk reaches, so a walk of 200
 * read the whole index; this many read about a third of it (two words, 1M
 * messages: the walk 10-12 -> 6-7 ms of CPU, exact words 6-9 -> 2 ms). By
 * rank such a query orders its newest 50 matches; the count is estimated
 * beyond them. */
enum { SEARCH_CANDIDATES_MULTI = 50 };
/* At most this many matches in the whole index: the rooms are checked per
 * match (json_extract on the searcher's rooms) instead of in MATCH. */
enum { SEARCH_SPARSE = 1000 };

struct candidate {
    int64_t pos;   /* stream position */
    char *room_id; /* owned */
    double score;  /* higher is better */
    int hits;      /* marked words in the body */
    int words;     /* words in the body */
};

/* Counts the highlight spans (opened by \x01) and the words of a marked body. */
static void marked_stats(const char *text, int *hits, int *words)
{
    *hits = *words = 0;
    bool in_word = false;
    for (const unsigned char *p = (const unsigned char *)text; p && *p; p++) {
        if (*p == 1) {
            (*hits)++;
            continue;
        }
        bool w = *p >= 0x80 || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                 (*p >= 'A' && *p <= 'Z');
        if (w && !in_word)
            (*words)++;
        in_word = w;
    }
}

static int by_score(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->pos < y->pos ? 1 : x->pos > y->pos ? -1 : 0;
}

static int search_run(struct db_conn *c, const char *fts_query, const char *rooms_json,
                      bool bounded, bool by_rank, int64_t candidates, int64_t offset,
                      size_t limit, struct db_search_hit **out, size_t *n, int64_t *total)
{
    /* A room the searcher left is searched only up to their leave, and a
     * room not named in MATCH (a sparse query) not at all: that filter reads
     * each match's room, so it is there only when needed. */
    sqlite3_stmt *st =
        bounded ? db__stmt(c, "SELECT rowid, room_id, highlight(event_search_v2, 0, char(1), "
                              "char(2)) FROM event_search_v2 WHERE event_search_v2 MATCH ?1 AND "
                              "rowid <= json_extract(?2, '$.\"' || room_id || '\"') "
                              "ORDER BY rowid DESC LIMIT ?3")
                : db__stmt(c, "SELECT rowid, room_id, highlight(event_search_v2, 0, char(1), "
                              "char(2)) FROM event_search_v2 WHERE event_search_v2 MATCH ?1 "
                              "ORDER BY rowid DESC LIMIT ?3");
    if (!st)
        return ERR_DB;
    int64_t walk = offset + (int64_t)limit + 1;
    if (walk < candidates)
        walk = candidates;
    db__bind_text(st, 1, fts_query);
    if (bounded)
        db__bind_text(st, 2, rooms_json);
    sqlite3_bind_int64(st, 3, walk);
    struct candidate *cand = NULL;
    size_t n_cand = 0, cap = 0;
    int64_t sum_words = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n_cand == cap) {
            cap = cap ? cap * 2 : 64;
            cand = xrealloc(cand, cap * sizeof *cand);
        }
        struct candidate *k = &cand[n_cand++];
        k->pos = sqlite3_column_int64(st, 0);
        k->room_id = db__col_text(st, 1);
        marked_stats((const char *)sqlite3_column_text(st, 2), &k->hits, &k->words);
        sum_words += k->words;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < n_cand; i++)
            free(cand[i].room_id);
        free(cand);
        return rc == SQLITE_ERROR ? ERR_INVALID : ERR_DB;
    }
    /* BM25's k1 = 1.2, b = 0.75 over the candidates' mean length */
    double avg = n_cand ? (double)sum_words / (double)n_cand : 1.0;
    for (size_t i = 0; i < n_cand; i++) {
        double tf = cand[i].hits > 0 ? cand[i].hits : 1;
        double norm = 1.2 * (0.25 + 0.75 * (double)cand[i].words / (avg > 0 ? avg : 1.0));
        cand[i].score = tf * 2.2 / (tf + norm);
    }
    if (by_rank && n_cand > 1) {
        size_t ranked = n_cand < (size_t)candidates ? n_cand : (size_t)candidates;
        qsort(cand, ranked, sizeof *cand, by_score);
    }
    if ((int64_t)n_cand < walk) {
        *total = (int64_t)n_cand;
    } else { /* as many as the walk found per position, down to the first */
        int64_t newest = 0, oldest = INT64_MAX;
        for (size_t i = 0; i < n_cand; i++) {
            newest = cand[i].pos > newest ? cand[i].pos : newest;
            oldest = cand[i].pos < oldest ? cand[i].pos : oldest;
        }
        double est = (double)n_cand * (double)newest / (double)(newest - oldest + 1);
        *total = est > (double)n_cand ? (int64_t)est : (int64_t)n_cand;
    }
    for (size_t i = 0; i < n_cand; i++) {
        if ((int64_t)i >= offset && *n < limit) {
            *out = xrealloc(*out, (*n + 1) * sizeof **out);
            (*out)[(*n)++] = (struct db_search_hit){cand[i].pos, cand[i].room_id, cand[i].score};
        } else {
            free(cand[i].room_id);
        }
    }
    free(cand);
    return 0;
}

/* The MATCH expression: the words in the body, and one of the rooms by the
 * room column's token ('r' and the hex of the room ID, as stored), so FTS5
 * intersects posting lists instead of filtering every match. NULL when the
 * searcher has no room. *bounded: some room is visible only up to a
 * position. */
static char *match_expr(const char *words, const char *rooms_json, bool *bounded)
{
    *bounded = false;
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
        if (!json_is_integer(v) || json_integer_value(v) < DB_SEARCH_UNBOUNDED)
            *bounded = true;
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
    bool bounded;
    char *expr = match_expr(fts_query, rooms_json, &bounded);
    if (!expr)
        return 0;
    /* Words matching few events in the whole index: walking all of them and
     * checking each one's room is cheaper than intersecting with the posting
     * lists of every room of the searcher (which FTS5 reads whole). */
    char *words = xmalloc(strlen(fts_query) + 16);
    memcpy(words, "body : (", 8);
    memcpy(words + 8, fts_query, strlen(fts_query));
    memcpy(words + 8 + strlen(fts_query), ")", 2);
    /* the client's query is one quoted phrase per word */
    size_t quotes = 0;
    for (const char *p = fts_query; *p; p++)
        quotes += *p == '"';
    bool multi = quotes > 2;
    /* The probe of several words looks for the words themselves, not the
     * longer words they begin: FTS5 reads a prefix's posting lists whole
     * (every word it begins, merged in memory) where an exact word's are
     * skipped through, and their intersection is usually far smaller than
     * either (two words, 1M messages: the probe ~3.5 -> ~1 ms). It only
     * picks the cheaper of two plans that find the same matches. */
    char *probe = xstrdup(words);
    if (multi) {
        char *o = probe;
        for (const char *p = probe; *p; p++)
            if (*p != '*')
                *o++ = *p;
        *o = '\0';
    }
    sqlite3_stmt *st = db__stmt(c, "SELECT count(*) FROM (SELECT rowid FROM event_search_v2 "
                                   "WHERE event_search_v2 MATCH ?1 LIMIT ?2)");
    int64_t matches = SEARCH_SPARSE + 1;
    if (st) {
        db__bind_text(st, 1, probe);
        sqlite3_bind_int64(st, 2, SEARCH_SPARSE + 1);
        if (sqlite3_step(st) == SQLITE_ROW)
            matches = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    free(probe);
    int64_t candidates = multi ? SEARCH_CANDIDATES_MULTI : SEARCH_CANDIDATES;
    int rc = matches <= SEARCH_SPARSE
                 ? search_run(c, words, rooms_json, true, by_rank, candidates, offset, limit, out,
                              n, total)
                 : search_run(c, expr, rooms_json, bounded, by_rank, candidates, offset, limit,
                              out, n, total);
    free(words);
    free(expr);
    return rc;
}

int db_search_prefix_pages(struct db *db, const char *prefix, int64_t *pages)
{
    *pages = 0;
    struct db_conn *c = db__reader(db);
    sqlite3_stmt *st = c ? db__stmt(c, "SELECT count(*) FROM event_search_v2_idx WHERE "
                                       "term >= ?1 AND term < ?2")
                         : NULL;
    if (!st)
        return ERR_DB;
    size_t len = strlen(prefix);
    char *lo = xmalloc(len + 2);
    lo[0] = '0'; /* the main index (prefix indexes use '1'...) */
    memcpy(lo + 1, prefix, len);
    lo[len + 1] = (char)0xff; /* the upper bound: every continuation sorts below */
    sqlite3_bind_blob(st, 1, lo, (int)len + 1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, lo, (int)len + 2, SQLITE_TRANSIENT);
    free(lo);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *pages = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : ERR_DB;
}

void db_search_hits_free(struct db_search_hit *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(h[i].room_id);
    free(h);
}
