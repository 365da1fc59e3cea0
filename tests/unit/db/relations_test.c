/* relations_test.c: the relation and replaced-state queries of src/db/
 * (relations.c, prev_state.c) over a small hand-built room:
 *
 *   pos 1 $create   m.room.create (state)
 *   pos 2 $topic1   m.room.topic  (state)
 *   pos 3 $root     message
 *   pos 4 $reply    thread reply to $root   (by @bob)
 *   pos 5 $edit     m.replace of $reply     (depth 2 from $root)
 *   pos 6 $react    m.reaction annotation of $root
 *   pos 7 $gone     thread reply to $root, then redacted by $redact (pos 9)
 *   pos 8 $topic2   m.room.topic  (state, replaces $topic1)
 *   pos 9 $redact   m.room.redaction of $gone
 *
 * Expected results are written out by hand from the spec's rules (a redacted
 * event's m.relates_to is gone), not computed by the code under test. */
#include "harness.h"
#include "unit/db/dbtest.h"

#include "base/err.h"
#include "base/log.h"
#include "db/db.h"
#include "db/prev_state.h"
#include "db/relations.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct row {
    const char *id, *room, *type, *state_key, *sender, *relates_to, *rel_type, *redacts;
};

static const struct row rows[] = {
    {"$create", "!r:x", "m.room.create", "", "@a:x", NULL, NULL, NULL},
    {"$topic1", "!r:x", "m.room.topic", "", "@a:x", NULL, NULL, NULL},
    {"$root", "!r:x", "m.room.message", NULL, "@a:x", NULL, NULL, NULL},
    {"$reply", "!r:x", "m.room.message", NULL, "@b:x", "$root", "m.thread", NULL},
    {"$edit", "!r:x", "m.room.message", NULL, "@b:x", "$reply", "m.replace", NULL},
    {"$react", "!r:x", "m.reaction", NULL, "@b:x", "$root", "m.annotation", NULL},
    {"$gone", "!r:x", "m.room.message", NULL, "@c:x", "$root", "m.thread", NULL},
    {"$topic2", "!r:x", "m.room.topic", "", "@b:x", NULL, NULL, NULL},
    {"$redact", "!r:x", "m.room.redaction", NULL, "@c:x", NULL, NULL, "$gone"},
};
enum { N_ROWS = sizeof rows / sizeof rows[0] };

static struct db *open_room(char *dir, size_t dir_len)
{
    struct db *db = dbtest_open("rel", dir, dir_len);
    struct db_event_write w[N_ROWS];
    memset(w, 0, sizeof w);
    for (size_t i = 0; i < N_ROWS; i++) {
        w[i].event_id = rows[i].id;
        w[i].room_id = rows[i].room;
        w[i].type = rows[i].type;
        w[i].state_key = rows[i].state_key;
        w[i].sender = rows[i].sender;
        w[i].depth = (int64_t)i + 1;
        w[i].origin_server_ts = 1000 + (int64_t)i;
        w[i].json = "{}";
        w[i].relates_to = rows[i].relates_to;
        w[i].rel_type = rows[i].rel_type;
        w[i].redacts = rows[i].redacts;
    }
    ASSERT_INT_EQ(db_events_persist(db, w, N_ROWS), 0);
    return db;
}

/* "id,id,..." of a result. */
static void joined(struct db_event *e, size_t n, char *out, size_t len)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "", e[i].event_id);
}

/* Frees a table row's result (e, n: owned) and fails, naming the row, unless its IDs are
 * want ("id,id,..."). */
static void expect_row_events(size_t row, struct db_event *e, size_t n, const char *want)
{
    char got[256];
    joined(e, n, got, sizeof got);
    db_events_free(e, n);
    if (strcmp(got, want) != 0)
        harness_fail(__FILE__, __LINE__, "case %zu: got \"%s\", want \"%s\"", row, got, want);
}

TEST_CASE(db, relations_page_forms)
{
    static const struct {
        const char *parent, *rel_type, *event_type;
        int depth;
        bool forward;
        size_t limit;
        const char *want;
    } cases[] = {
        /* direct children, redacted $gone left out */
        {"$root", NULL, NULL, 1, true, 10, "$reply,$react"},
        {"$root", NULL, NULL, 1, false, 10, "$react,$reply"},
        {"$root", "m.thread", NULL, 1, true, 10, "$reply"},
        {"$root", "m.annotation", "m.reaction", 1, true, 10, "$react"},
        {"$root", "m.annotation", "m.room.message", 1, true, 10, ""},
        {"$root", NULL, NULL, 1, false, 1, "$react"},
        /* recursion reaches the edit of the reply */
        {"$root", NULL, NULL, 3, true, 10, "$reply,$edit,$react"},
        {"$root", "m.replace", NULL, 3, true, 10, "$edit"},
        {"$reply", NULL, NULL, 1, true, 10, "$edit"},
        {"$edit", NULL, NULL, 3, true, 10, ""},
    };
    char dir[64];
    struct db *db = open_room(dir, sizeof dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct db_event *e;
        size_t n;
        ASSERT_INT_EQ(db_relations_page(db, "!r:x", cases[i].parent, cases[i].rel_type,
                                        cases[i].event_type, cases[i].depth, 0, INT64_MAX,
                                        cases[i].forward, cases[i].limit, &e, &n),
                      0);
        expect_row_events(i, e, n, cases[i].want);
    }
    /* position bounds: only events after $reply (pos 4) */
    struct db_event *e;
    size_t n;
    ASSERT_INT_EQ(db_relations_page(db, "!r:x", "$root", NULL, NULL, 1, 4, INT64_MAX, true, 10,
                                    &e, &n),
                  0);
    ASSERT_INT_EQ(n, 1);
    ASSERT_STR_EQ(e[0].event_id, "$react");
    db_events_free(e, n);
    /* another room's view of the same parent sees nothing */
    ASSERT_INT_EQ(db_relations_page(db, "!other:x", "$root", NULL, NULL, 1, 0, INT64_MAX, true,
                                    10, &e, &n),
                  0);
    ASSERT_INT_EQ(n, 0);
    db_events_free(e, n);
    dbtest_close(db, dir);
}

TEST_CASE(db, relation_counts_and_threads)
{
    char dir[64];
    struct db *db = open_room(dir, sizeof dir);
    struct db_relation_counts c;
    ASSERT_INT_EQ(db_relation_counts(db, "$root", &c), 0);
    ASSERT_INT_EQ(c.thread, 1); /* $gone is redacted */
    ASSERT_INT_EQ(c.replace, 0);
    ASSERT_INT_EQ(c.reference, 0);
    ASSERT_INT_EQ(db_relation_counts(db, "$reply", &c), 0);
    ASSERT_INT_EQ(c.replace, 1);
    bool p;
    ASSERT_INT_EQ(db_thread_participated(db, "$root", "@b:x", &p), 0);
    ASSERT_TRUE(p);
    ASSERT_INT_EQ(db_thread_participated(db, "$root", "@c:x", &p), 0);
    ASSERT_TRUE(!p); /* only a redacted reply */
    static const struct {
        const char *participant;
        int64_t before;
        size_t want_n;
    } cases[] = {
        {NULL, INT64_MAX, 1}, {"@a:x", INT64_MAX, 1}, /* started the thread */
        {"@b:x", INT64_MAX, 1},                       /* replied */
        {"@c:x", INT64_MAX, 0},                       /* reply redacted */
        {NULL, 3, 0},                                 /* latest reply is at 4 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char **roots;
        int64_t *latest;
        size_t n;
        ASSERT_INT_EQ(db_thread_roots(db, "!r:x", cases[i].before, cases[i].participant, 10,
                                      &roots, &latest, &n),
                      0);
        if (n != cases[i].want_n)
            harness_fail(__FILE__, __LINE__, "case %zu: %zu roots, want %zu", i, n,
                         cases[i].want_n);
        if (n) {
            ASSERT_STR_EQ(roots[0], "$root");
            ASSERT_INT_EQ(latest[0], 4);
        }
        db_strings_free(roots, n);
        free(latest);
    }
    dbtest_close(db, dir);
}

TEST_CASE(db, state_replaced)
{
    static const struct {
        int64_t pos;
        const char *type, *want; /* NULL: nothing replaced */
    } cases[] = {
        {8, "m.room.topic", "$topic1"}, /* $topic2 replaces $topic1 across messages */
        {2, "m.room.topic", NULL},      /* the first topic replaces nothing */
        {1, "m.room.create", NULL},
        {9, "m.room.create", "$create"},
        {5, "m.room.name", NULL},
    };
    char dir[64];
    struct db *db = open_room(dir, sizeof dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *id = NULL;
        ASSERT_INT_EQ(db_state_replaced(db, "!r:x", cases[i].pos, cases[i].type, "", &id), 0);
        if (cases[i].want)
            ASSERT_STR_EQ(id, cases[i].want);
        else if (id)
            harness_fail(__FILE__, __LINE__, "case %zu: got %s, want none", i, id);
        free(id);
    }
    dbtest_close(db, dir);
}

/* db_events_range_filtered: the filter runs inside the query, so `limit`
 * counts matching events only (spec "Filtering": RoomEventFilter.limit).
 * Patterns are SQLite GLOBs (sync_filter_glob escapes a Matrix filter's '?'
 * and '['); the expected IDs are read off the room drawn at the top. */
TEST_CASE(db, events_range_filtered_table)
{
    static const struct {
        const char *types, *not_types, *senders, *not_senders;
        int contains_url;
        int64_t from, to;
        bool forward;
        size_t limit;
        const char *want;
    } cases[] = {
        {"[\"m.room.topic\"]", NULL, NULL, NULL, -1, 0, 100, false, 10, "$topic2,$topic1"},
        {"[\"m.room.*\"]", "[\"m.room.message\"]", NULL, NULL, -1, 0, 100, false, 2,
         "$redact,$topic2"},
        {NULL, NULL, "[\"@b:x\"]", NULL, -1, 0, 100, true, 2, "$reply,$edit"},
        {NULL, NULL, NULL, "[\"@a:x\",\"@b:x\"]", -1, 0, 100, false, 10, "$pic,$redact,$gone"},
        {"[\"m.[?]eaction\"]", NULL, NULL, NULL, -1, 0, 100, false, 10, ""},
        {"[\"m.reaction\"]", NULL, NULL, NULL, -1, 0, 100, false, 10, "$react"},
        /* from < pos <= to: positions 4..8 */
        {"[\"m.room.message\"]", NULL, NULL, NULL, -1, 3, 8, false, 10, "$gone,$edit,$reply"},
        {NULL, NULL, NULL, NULL, 1, 0, 100, false, 10, "$pic"},
        {"[\"m.room.message\"]", NULL, NULL, NULL, 0, 0, 100, false, 1, "$gone"},
        /* no condition at all: the plain range */
        {NULL, NULL, NULL, NULL, -1, 0, 100, false, 2, "$pic,$redact"},
    };
    char dir[64];
    struct db *db = open_room(dir, sizeof dir);
    struct db_event_write pic = {.event_id = "$pic", .room_id = "!r:x", .type = "m.room.message",
                                 .sender = "@d:x", .depth = 10, .origin_server_ts = 1010,
                                 .json = "{\"content\":{\"msgtype\":\"m.image\","
                                         "\"url\":\"mxc://x/y\"}}"};
    ASSERT_INT_EQ(db_events_persist(db, &pic, 1), 0); /* pos 10 */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct db_event_filter f = {cases[i].types, cases[i].not_types, cases[i].senders,
                                    cases[i].not_senders, cases[i].contains_url};
        struct db_event *e;
        size_t n;
        ASSERT_INT_EQ(db_events_range_filtered(db, "!r:x", cases[i].from, cases[i].to,
                                               cases[i].forward, &f, cases[i].limit, &e, &n),
                      0);
        expect_row_events(i, e, n, cases[i].want);
    }
    /* db_event_closest_ts (timestamp_to_event): origin_server_ts 1000 + i */
    struct db_event ev;
    ASSERT_INT_EQ(db_event_closest_ts(db, "!r:x", 1002, true, &ev), 0);
    ASSERT_STR_EQ(ev.event_id, "$root");
    db_event_fini(&ev);
    ASSERT_INT_EQ(db_event_closest_ts(db, "!r:x", 1002, false, &ev), 0);
    ASSERT_STR_EQ(ev.event_id, "$root");
    db_event_fini(&ev);
    ASSERT_INT_EQ(db_event_closest_ts(db, "!r:x", 1003, false, &ev), 0);
    ASSERT_STR_EQ(ev.event_id, "$reply");
    db_event_fini(&ev);
    ASSERT_INT_EQ(db_event_closest_ts(db, "!r:x", 999, false, &ev), ERR_NOT_FOUND);
    ASSERT_INT_EQ(db_event_closest_ts(db, "!r:x", 2000, true, &ev), ERR_NOT_FOUND);
    ASSERT_INT_EQ(db_event_closest_ts(db, "!other:x", 1000, true, &ev), ERR_NOT_FOUND);
    dbtest_close(db, dir);
}
