/* search_test.c: the search index of src/db/search.c over hand-made
 * documents: order by recency and by rank, a left room searched only up to
 * the leave, pages, and the count (exact within the walk over the newest
 * matches, estimated from its density beyond). Expected results are written
 * out by hand. */
#include "harness.h"
#include "unit/db/dbtest.h"

#include "base/log.h"
#include "db/db.h"
#include "db/search.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "pos,pos,..." of the hits. */
static void positions(const struct db_search_hit *h, size_t n, char *out, size_t len)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%lld", i ? "," : "",
                                 (long long)h[i].pos);
}

/* Searches (rooms as db_search takes them) and checks the hits' positions ("pos,pos,..."; NULL:
 * not checked) and the count (want_total < 0: not checked). */
static void expect_search(struct db *db, const char *query, const char *rooms, bool by_rank,
                          int64_t offset, size_t limit, const char *want, int64_t want_total)
{
    struct db_search_hit *h;
    size_t n;
    int64_t total;
    ASSERT_INT_EQ(db_search(db, query, rooms, by_rank, offset, limit, &h, &n, &total), 0);
    char got[128];
    positions(h, n, got, sizeof got);
    if (want)
        ASSERT_STR_EQ(got, want);
    if (want_total >= 0)
        ASSERT_INT_EQ(total, want_total);
    db_search_hits_free(h, n);
}

TEST_CASE(db, search_order_rooms_and_pages)
{
    static const struct db_search_doc docs[] = {
        {1, "!a:x", "La réunion de demain"},
        {2, "!a:x", "autre chose"},
        {3, "!b:x", "Réunion ailleurs, vite"},
        {4, "!a:x", "réunion, réunion et encore réunion"},
        {5, "!a:x", "Die Besprechung ist eine Réunion"},
        {6, "!b:x", "réunion après son départ"},
        {7, "!c:x", "réunion dans une salle fermée"},
    };
    /* !b:x was left at position 4; !c:x is not the searcher's */
    char rooms[128];
    snprintf(rooms, sizeof rooms, "{\"!a:x\": %lld, \"!b:x\": 4}",
             (long long)DB_SEARCH_UNBOUNDED);
    static const struct {
        const char *query;
        bool by_rank;
        int64_t offset;
        size_t limit;
        const char *want;
        int64_t total;
    } cases[] = {
        {"\"reunion\"", false, 0, 10, "5,4,3,1", 4},
        /* three times in a document ranks it first, then the shorter documents
         * (BM25: k1 1.2, b 0.75, lengths 5, 3, 4 and 5 words, mean 4.25) */
        {"\"reunion\"", true, 0, 10, "4,3,1,5", 4},
        {"\"reunion\"", false, 1, 2, "4,3", 4},
        {"\"reunion\"", false, 4, 2, "", 4},
        {"\"reunion\" \"demain\"", false, 0, 10, "1", 1},
        {"\"besprechung\"", true, 0, 10, "5", 1},
        {"\"absent\"", false, 0, 10, "", 0},
    };
    char dir[64];
    struct db *db = dbtest_open("search", dir, sizeof dir);
    ASSERT_INT_EQ(db_search_add(db, docs, sizeof docs / sizeof docs[0]), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct db_search_hit *h;
        size_t n;
        int64_t total;
        ASSERT_INT_EQ(db_search(db, cases[i].query, rooms, cases[i].by_rank, cases[i].offset,
                                cases[i].limit, &h, &n, &total),
                      0);
        char got[128];
        positions(h, n, got, sizeof got);
        ASSERT_STR_EQ(got, cases[i].want);
        ASSERT_INT_EQ(total, cases[i].total);
        for (size_t k = 0; k < n; k++)
            ASSERT_TRUE(h[k].rank > 0);
        db_search_hits_free(h, n);
    }
    /* a redacted event leaves the index */
    ASSERT_INT_EQ(db_search_delete(db, 4), 0);
    expect_search(db, "\"reunion\"", rooms, false, 0, 10, "5,3,1", -1);
    dbtest_close(db, dir);
}

TEST_CASE(db, search_count_beyond_the_walk)
{
    /* 600 documents in one room, "mot" in every second one (300 matches):
     * the walk reads the newest 200 matches (positions 202..600), and the
     * count extrapolates their density over positions 1..600 */
    enum { N = 600 };
    static struct db_search_doc docs[N];
    for (int i = 0; i < N; i++)
        docs[i] = (struct db_search_doc){i + 1, "!a:x", (i + 1) % 2 == 0 ? "un mot ici" : "rien"};
    char rooms[64];
    snprintf(rooms, sizeof rooms, "{\"!a:x\": %lld}", (long long)DB_SEARCH_UNBOUNDED);
    char dir[64];
    struct db *db = dbtest_open("search", dir, sizeof dir);
    ASSERT_INT_EQ(db_search_add(db, docs, N), 0);
    expect_search(db, "\"mot\"", rooms, false, 0, 3, "600,598,596", 300);
    /* a page beyond the first 200 matches: the walk goes as deep as the page */
    expect_search(db, "\"mot\"", rooms, true, 298, 5, "4,2", 300);
    dbtest_close(db, dir);
}

TEST_CASE(db, search_prefix_pages)
{
    /* 3,000 distinct words pre0000..pre2999 (one document each) fill
     * several leaf pages of the index; a word every document has fills its
     * own pages without starting new ones per document */
    enum { N = 3000 };
    static struct db_search_doc docs[N];
    static char text[N][32];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "pre%04d common", i);
        docs[i] = (struct db_search_doc){i + 1, "!a:x", text[i]};
    }
    char dir[64];
    struct db *db = dbtest_open("search", dir, sizeof dir);
    ASSERT_INT_EQ(db_search_add(db, docs, N), 0);
    int64_t many, few, none, one;
    ASSERT_INT_EQ(db_search_prefix_pages(db, "pre", &many), 0);
    ASSERT_INT_EQ(db_search_prefix_pages(db, "pre29", &few), 0);
    ASSERT_INT_EQ(db_search_prefix_pages(db, "zzz", &none), 0);
    ASSERT_INT_EQ(db_search_prefix_pages(db, "common", &one), 0);
    ASSERT_TRUE(many >= 3);
    ASSERT_TRUE(few <= 1);
    ASSERT_INT_EQ(none, 0);
    ASSERT_TRUE(one <= 1);
    dbtest_close(db, dir);
}

TEST_CASE(db, search_many_matches_through_room_tokens)
{
    /* 2,400 documents, "mot" in every second one (1,200 matches: more than
     * the sparse limit, so the rooms are named in MATCH); documents 4k+1 are
     * in the searcher's room, 4k+3 in another: 600 visible matches */
    enum { N = 2400 };
    static struct db_search_doc docs[N];
    for (int i = 0; i < N; i++)
        docs[i] = (struct db_search_doc){i + 1, i % 4 < 2 ? "!a:x" : "!c:x",
                                         i % 2 == 0 ? "un mot ici" : "rien"};
    char rooms[64];
    snprintf(rooms, sizeof rooms, "{\"!a:x\": %lld}", (long long)DB_SEARCH_UNBOUNDED);
    char dir[64];
    struct db *db = dbtest_open("search", dir, sizeof dir);
    ASSERT_INT_EQ(db_search_add(db, docs, N), 0);
    struct db_search_hit *h;
    size_t n;
    int64_t total;
    ASSERT_INT_EQ(db_search(db, "\"mot\"", rooms, false, 0, 3, &h, &n, &total), 0);
    char got[64];
    positions(h, n, got, sizeof got);
    ASSERT_STR_EQ(got, "2397,2393,2389");
    /* the newest 200 visible matches span positions 1601..2397:
     * 200 * 2397 / 797 = 601.5 */
    ASSERT_INT_EQ(total, 601);
    for (size_t k = 0; k < n; k++)
        ASSERT_STR_EQ(h[k].room_id, "!a:x");
    db_search_hits_free(h, n);
    dbtest_close(db, dir);
}

TEST_CASE(db, search_merge_keeps_few_segments)
{
    /* 400 write transactions of 4 documents (the push worker writes small
     * batches: one FTS5 segment each, joined 4 at a time by automerge), with
     * the writer's idle merge steps taken every 4 transactions: the index
     * stays at a few segments, ends in one after the last steps, and answers
     * as before ("mot" in every fourth document, the newest first) */
    enum { BATCHES = 400, PER = 4, N = BATCHES * PER };
    static struct db_search_doc docs[N];
    static char text[N][40];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "w%d %s", i, i % 4 == 0 ? "un mot ici" : "rien");
        docs[i] = (struct db_search_doc){i + 1, "!a:x", text[i]};
    }
    char rooms[64];
    snprintf(rooms, sizeof rooms, "{\"!a:x\": %lld}", (long long)DB_SEARCH_UNBOUNDED);
    char dir[64];
    struct db *db = dbtest_open("search", dir, sizeof dir);
    bool full = false, more = false;
    int most = 0, steps = 0;
    struct db_search_segments s;
    for (int b = 0; b < BATCHES; b++) {
        ASSERT_INT_EQ(db_search_add(db, docs + b * PER, PER), 0);
        if (b % 4 == 3) {
            do {
                ASSERT_INT_EQ(db_search_merge_step(db, &full, &more), 0);
                steps++;
            } while (more && steps < 10000);
        }
        ASSERT_INT_EQ(db_search_segments(db, &s), 0);
        most = s.count > most ? s.count : most;
    }
    do {
        ASSERT_INT_EQ(db_search_merge_step(db, &full, &more), 0);
    } while (more && ++steps < 10000);
    ASSERT_INT_EQ(db_search_segments(db, &s), 0);
    ASSERT_TRUE(s.count <= 4);
    ASSERT_TRUE(most <= 5); /* without the steps: up to 16 (FTS5's crisismerge) */
    ASSERT_TRUE(!full);
    expect_search(db, "\"mot\"", rooms, false, 0, 3, "1597,1593,1589", -1);
    expect_search(db, "\"w1201\"", rooms, false, 0, 3, "1202", -1);
    dbtest_close(db, dir);
}

TEST_CASE(db, search_two_words_walk_fewer)
{
    /* 600 documents in one room, "un" and "mot" both in every second one
     * (300 matches), "un" alone in the others: a query of two words walks
     * the newest 50 matches (positions 502..600), its count extrapolates
     * their density over positions 1..600 (50 * 600 / 99 = 303.03); a page
     * beyond them walks as deep as the page (every match: exact) */
    enum { N = 600 };
    static struct db_search_doc docs[N];
    for (int i = 0; i < N; i++)
        docs[i] = (struct db_search_doc){i + 1, "!a:x", (i + 1) % 2 == 0 ? "un mot ici" : "un"};
    char rooms[64];
    snprintf(rooms, sizeof rooms, "{\"!a:x\": %lld}", (long long)DB_SEARCH_UNBOUNDED);
    char dir[64];
    struct db *db = dbtest_open("search", dir, sizeof dir);
    ASSERT_INT_EQ(db_search_add(db, docs, N), 0);
    expect_search(db, "\"un\" \"mot\"", rooms, false, 0, 3, "600,598,596", 303);
    expect_search(db, "\"un\" \"mot\"", rooms, true, 298, 5, "4,2", 300);
    /* one word walks 200 matches: positions 202..600, 200 * 600 / 399 */
    expect_search(db, "\"mot\"", rooms, false, 0, 3, NULL, 300);
    dbtest_close(db, dir);
}
