/* filter_test.c: the filter subset /sync and /messages apply, checked on the
 * spec's example filter (client-server "Filtering") and edge cases. */
#include "harness.h"

#include "base/err.h"
#include "sync/sync.h"

#include <jansson.h>
#include <sqlite3.h>

/* POST /user/{userId}/filter request example from the spec. */
static const char SPEC_EXAMPLE[] =
    "{\"event_fields\":[\"type\",\"content\",\"sender\"],\"event_format\":\"client\","
    "\"presence\":{\"not_senders\":[\"@alice:example.com\"],\"types\":[\"m.presence\"]},"
    "\"room\":{\"ephemeral\":{\"not_rooms\":[\"!726s6s6q:example.com\"],"
    "\"not_senders\":[\"@spam:example.com\"],\"types\":[\"m.receipt\",\"m.typing\"]},"
    "\"state\":{\"not_rooms\":[\"!726s6s6q:example.com\"],\"types\":[\"m.room.*\"]},"
    "\"timeline\":{\"limit\":10,\"not_rooms\":[\"!726s6s6q:example.com\"],"
    "\"not_senders\":[\"@spam:example.com\"],\"types\":[\"m.room.message\"]}}}";

static int parse(const char *text, struct sync_filter *f)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    ASSERT_TRUE(j != NULL);
    char reason[200] = "";
    int rc = sync_filter_parse(j, f, reason, sizeof reason);
    if (rc)
        ASSERT_TRUE(reason[0] != '\0'); /* a refusal says why */
    json_decref(j);
    return rc;
}

TEST_CASE(sync, filter_spec_example)
{
    struct sync_filter f;
    ASSERT_INT_EQ(parse(SPEC_EXAMPLE, &f), 0);
    ASSERT_INT_EQ(f.timeline_limit, 10);
    ASSERT_TRUE(!f.lazy_load_members);
    ASSERT_TRUE(sync_filter_event(&f, "m.room.message", "@alice:example.com"));
    ASSERT_TRUE(!sync_filter_event(&f, "m.room.message", "@spam:example.com"));
    ASSERT_TRUE(!sync_filter_event(&f, "m.room.member", "@alice:example.com"));
    ASSERT_TRUE(sync_filter_room(&f, "!other:example.com"));
    sync_filter_fini(&f);
}

TEST_CASE(sync, filter_defaults_and_limits)
{
    struct sync_filter f;
    char reason[200];
    ASSERT_INT_EQ(sync_filter_parse(NULL, &f, reason, sizeof reason), 0);
    ASSERT_INT_EQ(f.timeline_limit, 10);
    ASSERT_TRUE(sync_filter_event(&f, "anything", "@x:y"));
    ASSERT_TRUE(sync_filter_room(&f, "!r:y"));
    sync_filter_fini(&f);
    static const struct {
        const char *json;
        int rc;
        int64_t limit;
    } rows[] = {
        {"{}", 0, 10},
        {"{\"room\":{\"timeline\":{\"limit\":0}}}", 0, 0},
        {"{\"room\":{\"timeline\":{\"limit\":5}}}", 0, 5},
        {"{\"room\":{\"timeline\":{\"limit\":50000}}}", 0, 1000}, /* capped */
        {"{\"room\":{\"timeline\":{\"limit\":-1}}}", ERR_INVALID, 0},
        {"{\"room\":{\"timeline\":{\"limit\":\"5\"}}}", ERR_INVALID, 0},
        {"{\"room\":{\"timeline\":{\"limit\":2.5}}}", ERR_INVALID, 0},
        {"{\"room\":{\"rooms\":\"!a:b\"}}", ERR_INVALID, 0},
        {"{\"room\":{\"timeline\":{\"types\":[1]}}}", ERR_INVALID, 0},
        {"{\"room\":{\"timeline\":{\"senders\":{}}}}", ERR_INVALID, 0},
        {"[]", ERR_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = parse(rows[i].json, &f);
        if (rc != rows[i].rc)
            fprintf(stderr, "row %zu: %s\n", i, rows[i].json);
        ASSERT_INT_EQ(rc, rows[i].rc);
        if (!rc) {
            ASSERT_INT_EQ(f.timeline_limit, rows[i].limit);
            sync_filter_fini(&f);
        }
    }
}

TEST_CASE(sync, filter_matching_table)
{
    static const struct {
        const char *json, *type, *sender, *room;
        bool event_ok, room_ok;
    } rows[] = {
        {"{\"room\":{\"timeline\":{\"types\":[\"m.*\"]}}}", "m.room.message", "@a:x", "!r:x",
         true, true},
        {"{\"room\":{\"timeline\":{\"types\":[\"m.*\"]}}}", "org.custom", "@a:x", "!r:x", false,
         true},
        {"{\"room\":{\"timeline\":{\"types\":[\"m.room.*.x\"]}}}", "m.room.a.b.x", "@a:x", "!r:x",
         true, true},
        {"{\"room\":{\"timeline\":{\"not_types\":[\"*\"]}}}", "m.room.message", "@a:x", "!r:x",
         false, true},
        /* not_types wins over types */
        {"{\"room\":{\"timeline\":{\"types\":[\"m.room.message\"],\"not_types\":[\"m.room.*\"]}}}",
         "m.room.message", "@a:x", "!r:x", false, true},
        {"{\"room\":{\"timeline\":{\"senders\":[\"@a:x\"]}}}", "t", "@a:x", "!r:x", true, true},
        {"{\"room\":{\"timeline\":{\"senders\":[\"@a:x\"]}}}", "t", "@b:x", "!r:x", false, true},
        /* senders are exact, not patterns */
        {"{\"room\":{\"timeline\":{\"senders\":[\"@*\"]}}}", "t", "@b:x", "!r:x", false, true},
        {"{\"room\":{\"timeline\":{\"types\":[]}}}", "t", "@b:x", "!r:x", false, true},
        {"{\"room\":{\"rooms\":[\"!r:x\"]}}", "t", "@a:x", "!r:x", true, true},
        {"{\"room\":{\"rooms\":[\"!r:x\"]}}", "t", "@a:x", "!s:x", true, false},
        {"{\"room\":{\"rooms\":[\"!r:x\"],\"not_rooms\":[\"!r:x\"]}}", "t", "@a:x", "!r:x", true,
         false},
        {"{\"room\":{\"rooms\":[]}}", "t", "@a:x", "!r:x", true, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sync_filter f;
        ASSERT_INT_EQ(parse(rows[i].json, &f), 0);
        bool ev = sync_filter_event(&f, rows[i].type, rows[i].sender);
        bool room = sync_filter_room(&f, rows[i].room);
        if (ev != rows[i].event_ok || room != rows[i].room_ok)
            fprintf(stderr, "row %zu: %s\n", i, rows[i].json);
        ASSERT_TRUE(ev == rows[i].event_ok);
        ASSERT_TRUE(room == rows[i].room_ok);
        sync_filter_fini(&f);
    }
}

TEST_CASE(sync, filter_state_flags)
{
    struct sync_filter f;
    ASSERT_INT_EQ(parse("{\"room\":{\"state\":{\"lazy_load_members\":true,"
                        "\"include_redundant_members\":true},\"include_leave\":true}}",
                        &f),
                  0);
    ASSERT_TRUE(f.lazy_load_members && f.include_redundant_members && f.include_leave);
    sync_filter_fini(&f);
    /* only JSON booleans (Synapse's filter schema: 400 M_BAD_JSON otherwise) */
    ASSERT_INT_EQ(parse("{\"room\":{\"state\":{\"lazy_load_members\":1}}}", &f), ERR_INVALID);    /* MSC3773: per-thread counts are asked for in room.timeline */
    ASSERT_INT_EQ(parse("{\"room\":{\"timeline\":{\"unread_thread_notifications\":true}}}", &f),
                  0);
    ASSERT_TRUE(f.unread_thread_notifications && !f.lazy_load_members);
    sync_filter_fini(&f);
    ASSERT_INT_EQ(parse("{\"room\":{\"state\":{\"unread_thread_notifications\":true}}}", &f), 0);
    ASSERT_TRUE(!f.unread_thread_notifications);
    sync_filter_fini(&f);
}

/* Type patterns go to the database as SQLite GLOBs: '*' is the only wildcard
 * of a Matrix filter ("Filtering": "A '*' can be used as a wildcard"), so '?'
 * and '[' must match only themselves. Checked with SQLite's own GLOB. */
TEST_CASE(sync, filter_glob_for_database)
{
    static const struct {
        const char *pattern, *value;
        int match;
    } rows[] = {
        {"m.room.*", "m.room.message", 1}, {"m.room.*", "m.roomy", 0},
        {"m.?", "m.?", 1},                 {"m.?", "m.a", 0},
        {"a[b]", "a[b]", 1},               {"a[b]", "ab", 0},
        {"*", "", 1},                      {"m.*.x", "m.a.b.x", 1},
        {"m.room.message", "m.room.messages", 0}, {"[*", "[abc", 1},
    };
    sqlite3 *db;
    ASSERT_INT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    sqlite3_stmt *st;
    ASSERT_INT_EQ(sqlite3_prepare_v2(db, "SELECT ?1 GLOB ?2", -1, &st, NULL), SQLITE_OK);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char g[64];
        sync_filter_glob(rows[i].pattern, g, sizeof g);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, rows[i].value, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, g, -1, SQLITE_STATIC);
        ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
        ASSERT_INT_EQ(sqlite3_column_int(st, 0), rows[i].match);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST_CASE(sync, filter_contains_url)
{
    struct sync_filter f;
    ASSERT_INT_EQ(parse("{}", &f), 0);
    ASSERT_INT_EQ(f.contains_url, -1);
    ASSERT_TRUE(f.db_types == NULL && f.db_senders == NULL);
    sync_filter_fini(&f);
    ASSERT_INT_EQ(parse("{\"room\":{\"timeline\":{\"contains_url\":true,\"types\":[\"a?*\"],"
                        "\"senders\":[\"@a:b\"]}}}",
                        &f),
                  0);
    ASSERT_INT_EQ(f.contains_url, 1);
    ASSERT_STR_EQ(f.db_types, "[\"a[?]*\"]");
    ASSERT_STR_EQ(f.db_senders, "[\"@a:b\"]");
    sync_filter_fini(&f);
    ASSERT_INT_EQ(parse("{\"room\":{\"timeline\":{\"contains_url\":false}}}", &f), 0);
    ASSERT_INT_EQ(f.contains_url, 0);
    sync_filter_fini(&f);
    ASSERT_INT_EQ(parse("{\"room\":{\"timeline\":{\"contains_url\":\"yes\"}}}", &f), ERR_INVALID);
}

/* The known keys of a filter have the spec's types ("Filtering": Filter,
 * EventFilter, RoomFilter, RoomEventFilter); unknown keys pass, as in
 * Synapse's schema (clients send unstable keys). */
TEST_CASE(sync, filter_shapes_table)
{
    static const struct {
        const char *json;
        int rc;
    } rows[] = {
        {"{\"event_format\":\"client\",\"event_fields\":[\"content.body\"]}", 0},
        {"{\"event_format\":\"federation\"}", 0},
        {"{\"event_format\":\"nonsense\"}", ERR_INVALID},
        {"{\"event_fields\":[5]}", ERR_INVALID},
        {"{\"event_fields\":\"type\"}", ERR_INVALID},
        {"{\"presence\":{\"types\":[\"m.presence\"],\"limit\":3}}", 0},
        {"{\"presence\":{\"not_senders\":\"@a:b\"}}", ERR_INVALID},
        {"{\"presence\":[]}", ERR_INVALID},
        {"{\"account_data\":{\"limit\":\"x\"}}", ERR_INVALID},
        {"{\"room\":{\"ephemeral\":{\"not_rooms\":[\"!a:b\"],\"types\":[\"m.typing\"]}}}", 0},
        {"{\"room\":{\"ephemeral\":{\"rooms\":[1]}}}", ERR_INVALID},
        {"{\"room\":{\"account_data\":5}}", ERR_INVALID},
        {"{\"room\":{\"include_leave\":\"yes\"}}", ERR_INVALID},
        {"{\"room\":{\"state\":{\"include_redundant_members\":null}}}", ERR_INVALID},
        {"{\"room\":{\"timeline\":{\"unread_thread_notifications\":\"on\"}}}", ERR_INVALID},
        {"{\"room\":\"all\"}", ERR_INVALID},
        /* unknown and unstable keys pass */
        {"{\"room\":{\"timeline\":{\"org.matrix.msc3773.unread_thread_notifications\":1}},"
         "\"x.custom\":{}}",
         0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sync_filter f;
        int rc = parse(rows[i].json, &f);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu %s: got %d, want %d", i, rows[i].json, rc,
                         rows[i].rc);
        if (!rc)
            sync_filter_fini(&f);
    }
}

/* RoomEventFilter rooms / not_rooms (room.timeline): not_rooms wins. */
TEST_CASE(sync, filter_timeline_rooms)
{
    static const struct {
        const char *json, *room;
        bool ok;
    } rows[] = {
        {"{}", "!a:x", true},
        {"{\"room\":{\"timeline\":{\"rooms\":[\"!a:x\"]}}}", "!a:x", true},
        {"{\"room\":{\"timeline\":{\"rooms\":[\"!a:x\"]}}}", "!b:x", false},
        {"{\"room\":{\"timeline\":{\"not_rooms\":[\"!a:x\"]}}}", "!a:x", false},
        {"{\"room\":{\"timeline\":{\"rooms\":[\"!a:x\"],\"not_rooms\":[\"!a:x\"]}}}", "!a:x",
         false},
        {"{\"room\":{\"timeline\":{\"rooms\":[]}}}", "!a:x", false},
        /* the RoomFilter's own rooms do not touch the timeline test */
        {"{\"room\":{\"rooms\":[\"!b:x\"]}}", "!a:x", true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sync_filter f;
        ASSERT_INT_EQ(parse(rows[i].json, &f), 0);
        if (sync_filter_timeline_room(&f, rows[i].room) != rows[i].ok)
            harness_fail(__FILE__, __LINE__, "row %zu %s", i, rows[i].json);
        ASSERT_TRUE(sync_filter_narrows(&f) == (i > 0 && i < 6));
        sync_filter_fini(&f);
    }
}

/* room.state is a StateFilter for the state sections, apart from the timeline's. */
TEST_CASE(sync, filter_state_events)
{
    struct sync_filter f;
    ASSERT_INT_EQ(parse("{\"room\":{\"state\":{\"types\":[\"m.room.*\"],\"not_types\":"
                        "[\"m.room.member\"],\"not_senders\":[\"@spam:x\"]},"
                        "\"timeline\":{\"types\":[\"m.room.member\"]}}}",
                        &f),
                  0);
    ASSERT_TRUE(sync_filter_state_event(&f, "m.room.name", "@a:x"));
    ASSERT_TRUE(!sync_filter_state_event(&f, "m.room.member", "@a:x"));
    ASSERT_TRUE(!sync_filter_state_event(&f, "m.room.name", "@spam:x"));
    ASSERT_TRUE(!sync_filter_state_event(&f, "org.custom", "@a:x"));
    /* the timeline's own filter is separate */
    ASSERT_TRUE(sync_filter_event(&f, "m.room.member", "@a:x"));
    ASSERT_TRUE(!sync_filter_event(&f, "m.room.name", "@a:x"));
    sync_filter_fini(&f);
    ASSERT_INT_EQ(parse("{}", &f), 0);
    ASSERT_TRUE(sync_filter_state_event(&f, "anything", "@a:x"));
    sync_filter_fini(&f);
}

/* The EventFilters of /sync's other sections: presence and the global
 * account_data (EventFilter), room.ephemeral and room.account_data
 * (RoomEventFilter with rooms / not_rooms). Events without a sender
 * (account data, m.typing, m.receipt) match no `senders` entry, as in
 * Synapse's filter; not_* wins over the inclusive list (spec). */
TEST_CASE(sync, filter_sections_table)
{
    enum { PRESENCE, ACCOUNT_DATA, EPHEMERAL, ROOM_ACCOUNT_DATA };
    static const struct {
        const char *json;
        int section;
        const char *room, *event;
        bool ok;
    } rows[] = {
        {"{}", PRESENCE, NULL, "{\"type\":\"m.presence\",\"sender\":\"@a:x\"}", true},
        {"{\"presence\":{\"not_senders\":[\"@a:x\"]}}", PRESENCE, NULL,
         "{\"type\":\"m.presence\",\"sender\":\"@a:x\"}", false},
        {"{\"presence\":{\"not_senders\":[\"@a:x\"]}}", PRESENCE, NULL,
         "{\"type\":\"m.presence\",\"sender\":\"@b:x\"}", true},
        {"{\"presence\":{\"senders\":[\"@b:x\"]}}", PRESENCE, NULL,
         "{\"type\":\"m.presence\",\"sender\":\"@a:x\"}", false},
        {"{\"presence\":{\"not_types\":[\"*\"]}}", PRESENCE, NULL,
         "{\"type\":\"m.presence\",\"sender\":\"@a:x\"}", false},
        {"{\"account_data\":{\"types\":[\"m.push_rules\"]}}", ACCOUNT_DATA, NULL,
         "{\"type\":\"m.push_rules\",\"content\":{}}", true},
        {"{\"account_data\":{\"types\":[\"m.push_rules\"]}}", ACCOUNT_DATA, NULL,
         "{\"type\":\"m.direct\",\"content\":{}}", false},
        {"{\"account_data\":{\"not_types\":[\"im.vector.*\"]}}", ACCOUNT_DATA, NULL,
         "{\"type\":\"im.vector.setting\",\"content\":{}}", false},
        {"{\"account_data\":{\"not_types\":[\"im.vector.*\"]}}", ACCOUNT_DATA, NULL,
         "{\"type\":\"m.direct\",\"content\":{}}", true},
        /* no sender: a senders list keeps nothing, not_senders drops nothing */
        {"{\"account_data\":{\"senders\":[\"@a:x\"]}}", ACCOUNT_DATA, NULL,
         "{\"type\":\"m.direct\",\"content\":{}}", false},
        {"{\"account_data\":{\"not_senders\":[\"@a:x\"]}}", ACCOUNT_DATA, NULL,
         "{\"type\":\"m.direct\",\"content\":{}}", true},
        /* the spec's example: ephemeral of every room but one, receipts and typing */
        {SPEC_EXAMPLE, EPHEMERAL, "!726s6s6q:example.com", "{\"type\":\"m.typing\"}", false},
        {SPEC_EXAMPLE, EPHEMERAL, "!other:example.com", "{\"type\":\"m.typing\"}", true},
        {SPEC_EXAMPLE, EPHEMERAL, "!other:example.com", "{\"type\":\"m.receipt\"}", true},
        {SPEC_EXAMPLE, EPHEMERAL, "!other:example.com", "{\"type\":\"org.custom\"}", false},
        {SPEC_EXAMPLE, PRESENCE, NULL, "{\"type\":\"m.presence\",\"sender\":\"@alice:example.com\"}",
         false},
        {SPEC_EXAMPLE, PRESENCE, NULL, "{\"type\":\"m.presence\",\"sender\":\"@bob:example.com\"}",
         true},
        {"{\"room\":{\"account_data\":{\"rooms\":[\"!a:x\"]}}}", ROOM_ACCOUNT_DATA, "!a:x",
         "{\"type\":\"m.tag\",\"content\":{}}", true},
        {"{\"room\":{\"account_data\":{\"rooms\":[\"!a:x\"]}}}", ROOM_ACCOUNT_DATA, "!b:x",
         "{\"type\":\"m.tag\",\"content\":{}}", false},
        {"{\"room\":{\"account_data\":{\"rooms\":[\"!a:x\"],\"not_rooms\":[\"!a:x\"]}}}",
         ROOM_ACCOUNT_DATA, "!a:x", "{\"type\":\"m.tag\",\"content\":{}}", false},
        {"{\"room\":{\"account_data\":{\"not_types\":[\"m.tag\"]}}}", ROOM_ACCOUNT_DATA, "!a:x",
         "{\"type\":\"m.tag\",\"content\":{}}", false},
        /* the room.timeline filter does not touch the other sections */
        {"{\"room\":{\"timeline\":{\"types\":[\"m.room.message\"]}}}", EPHEMERAL, "!a:x",
         "{\"type\":\"m.typing\"}", true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sync_filter f;
        ASSERT_INT_EQ(parse(rows[i].json, &f), 0);
        const struct sync_event_filter *sections[] = {&f.presence, &f.account_data, &f.ephemeral,
                                                      &f.room_account_data};
        json_error_t jerr;
        json_t *ev = json_loads(rows[i].event, 0, &jerr);
        ASSERT_TRUE(ev != NULL);
        if (sync_filter_section_event(sections[rows[i].section], rows[i].room, ev) != rows[i].ok)
            harness_fail(__FILE__, __LINE__, "row %zu %s: %s", i, rows[i].json, rows[i].event);
        json_decref(ev);
        sync_filter_fini(&f);
    }
}

/* A section's limit keeps the first events that pass; a filter that lets
 * nothing through is known before the section is computed. */
TEST_CASE(sync, filter_sections_limit_and_blocks)
{
    struct sync_filter f;
    ASSERT_INT_EQ(parse("{\"account_data\":{\"limit\":2,\"not_types\":[\"x.*\"]}}", &f), 0);
    json_error_t jerr;
    json_t *events = json_loads("[{\"type\":\"a\"},{\"type\":\"x.1\"},{\"type\":\"b\"},"
                                "{\"type\":\"c\"}]",
                                0, &jerr);
    sync_filter_section(&f.account_data, NULL, events);
    char *text = json_dumps(events, JSON_COMPACT);
    ASSERT_STR_EQ(text, "[{\"type\":\"a\"},{\"type\":\"b\"}]");
    free(text);
    json_decref(events);
    ASSERT_TRUE(!sync_filter_section_blocks(&f.account_data, NULL));
    sync_filter_fini(&f);
    /* no filter: everything passes, nothing blocks, nothing is cut */
    ASSERT_INT_EQ(parse("{}", &f), 0);
    ASSERT_TRUE(!f.presence.active && !f.account_data.active && !f.ephemeral.active &&
                !f.room_account_data.active);
    ASSERT_TRUE(!sync_filter_section_blocks(&f.ephemeral, "!a:x"));
    sync_filter_fini(&f);
    static const struct {
        const char *json;
        const char *room;
        bool blocks;
    } rows[] = {
        {"{\"room\":{\"ephemeral\":{\"limit\":0}}}", "!a:x", true},
        {"{\"room\":{\"ephemeral\":{\"types\":[]}}}", "!a:x", true},
        {"{\"room\":{\"ephemeral\":{\"senders\":[]}}}", "!a:x", true},
        {"{\"room\":{\"ephemeral\":{\"not_types\":[\"*\"]}}}", "!a:x", true},
        {"{\"room\":{\"ephemeral\":{\"not_types\":[\"m.*\"]}}}", "!a:x", false},
        {"{\"room\":{\"ephemeral\":{\"not_rooms\":[\"!a:x\"]}}}", "!a:x", true},
        {"{\"room\":{\"ephemeral\":{\"not_rooms\":[\"!a:x\"]}}}", "!b:x", false},
        {"{\"room\":{\"ephemeral\":{\"rooms\":[\"!a:x\"]}}}", "!b:x", true},
        {"{\"room\":{\"ephemeral\":{\"types\":[\"m.typing\"],\"limit\":1}}}", "!a:x", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ASSERT_INT_EQ(parse(rows[i].json, &f), 0);
        if (sync_filter_section_blocks(&f.ephemeral, rows[i].room) != rows[i].blocks)
            harness_fail(__FILE__, __LINE__, "row %zu %s", i, rows[i].json);
        sync_filter_fini(&f);
    }
    /* a section of one type (presence) is skipped when that type cannot pass */
    ASSERT_INT_EQ(parse("{\"presence\":{\"not_types\":[\"m.presence\"]}}", &f), 0);
    ASSERT_TRUE(!sync_filter_section_type(&f.presence, "m.presence"));
    sync_filter_fini(&f);
    ASSERT_INT_EQ(parse("{\"presence\":{\"types\":[\"m.*\"]}}", &f), 0);
    ASSERT_TRUE(sync_filter_section_type(&f.presence, "m.presence"));
    ASSERT_TRUE(!sync_filter_section_type(&f.presence, "org.x"));
    sync_filter_fini(&f);
    /* a limit that is no count is ignored, not refused (POST /filter takes any number) */
    ASSERT_INT_EQ(parse("{\"presence\":{\"limit\":-1}}", &f), 0);
    ASSERT_TRUE(f.presence.limit == -1 && !f.presence.active);
    sync_filter_fini(&f);
    ASSERT_INT_EQ(parse("{\"room\":{\"account_data\":{\"limit\":1.5}}}", &f), 0);
    ASSERT_TRUE(f.room_account_data.limit == -1);
    sync_filter_fini(&f);
    ASSERT_INT_EQ(parse("{\"room\":{\"account_data\":{\"limit\":\"2\"}}}", &f), ERR_INVALID);
}

/* /messages and /context take a RoomEventFilter: its conditions filter the
 * timeline and the state; event_fields / event_format are read there too. */
TEST_CASE(sync, filter_room_event_filter)
{
    static const struct {
        const char *json;
        int rc;
        bool federation;
        size_t n_fields;
    } rows[] = {
        {"{\"types\":[\"m.room.message\"],\"lazy_load_members\":true}", 0, false, 0},
        {"{\"event_fields\":[\"content.body\",\"sender\"]}", 0, false, 2},
        {"{\"event_format\":\"federation\"}", 0, true, 0},
        {"{\"event_format\":\"pdu\"}", ERR_INVALID, false, 0},
        {"{\"event_fields\":\"content\"}", ERR_INVALID, false, 0},
        {"[]", ERR_INVALID, false, 0},
        {"{\"limit\":\"3\"}", ERR_INVALID, false, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_error_t jerr;
        json_t *j = json_loads(rows[i].json, 0, &jerr);
        struct sync_filter f;
        char reason[200] = "";
        int rc = sync_filter_parse_room_event(j, &f, reason, sizeof reason);
        json_decref(j);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu %s: got %d", i, rows[i].json, rc);
        if (rc) {
            ASSERT_TRUE(reason[0] != '\0');
            continue;
        }
        ASSERT_TRUE(f.federation == rows[i].federation);
        ASSERT_INT_EQ(json_array_size(f.event_fields), rows[i].n_fields);
        if (i == 0) {
            ASSERT_TRUE(f.lazy_load_members);
            ASSERT_TRUE(sync_filter_event(&f, "m.room.message", "@a:x"));
            ASSERT_TRUE(!sync_filter_event(&f, "m.room.member", "@a:x"));
            ASSERT_TRUE(!sync_filter_state_event(&f, "m.room.member", "@a:x"));
        }
        sync_filter_fini(&f);
    }
    struct sync_filter f;
    char reason[200];
    ASSERT_INT_EQ(sync_filter_parse_room_event(NULL, &f, reason, sizeof reason), 0);
    ASSERT_TRUE(!f.federation && !f.event_fields && f.timeline_limit == 10);
    sync_filter_fini(&f);
}

/* room.state rooms / not_rooms (a RoomEventFilter's, spec "Filtering"): not_rooms wins. */
TEST_CASE(sync, filter_state_rooms)
{
    static const struct {
        const char *json, *room;
        bool ok;
    } rows[] = {
        {"{}", "!a:x", true},
        {SPEC_EXAMPLE, "!726s6s6q:example.com", false},
        {SPEC_EXAMPLE, "!other:example.com", true},
        {"{\"room\":{\"state\":{\"rooms\":[\"!a:x\"]}}}", "!b:x", false},
        {"{\"room\":{\"state\":{\"rooms\":[\"!a:x\"],\"not_rooms\":[\"!a:x\"]}}}", "!a:x", false},
        {"{\"room\":{\"timeline\":{\"not_rooms\":[\"!a:x\"]}}}", "!a:x", true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sync_filter f;
        ASSERT_INT_EQ(parse(rows[i].json, &f), 0);
        if (sync_filter_state_room(&f, rows[i].room) != rows[i].ok)
            harness_fail(__FILE__, __LINE__, "row %zu %s", i, rows[i].json);
        sync_filter_fini(&f);
    }
}

/* A RoomEventFilter's conditions on /context's state events (spec
 * "Retrieving events": the filter applies to the state too): rooms, types,
 * senders and contains_url (content.url a string). */
TEST_CASE(sync, filter_state_json_table)
{
    static const char MEMBER[] = "{\"type\":\"m.room.member\",\"sender\":\"@a:x\","
                                 "\"state_key\":\"@a:x\",\"content\":{\"membership\":\"join\"}}";
    static const char AVATAR[] = "{\"type\":\"m.room.avatar\",\"sender\":\"@b:x\","
                                 "\"state_key\":\"\",\"content\":{\"url\":\"mxc://x/y\"}}";
    static const char BAD_URL[] = "{\"type\":\"m.room.avatar\",\"sender\":\"@b:x\","
                                  "\"state_key\":\"\",\"content\":{\"url\":7}}";
    static const struct {
        const char *filter, *event, *room;
        bool ok;
    } rows[] = {
        {"{}", MEMBER, "!r:x", true},
        {"{\"types\":[\"m.room.message\"]}", MEMBER, "!r:x", false},
        {"{\"types\":[\"m.room.*\"]}", MEMBER, "!r:x", true},
        {"{\"not_types\":[\"m.room.member\"]}", MEMBER, "!r:x", false},
        {"{\"senders\":[\"@b:x\"]}", MEMBER, "!r:x", false},
        {"{\"senders\":[\"@b:x\"]}", AVATAR, "!r:x", true},
        {"{\"not_senders\":[\"@b:x\"]}", AVATAR, "!r:x", false},
        {"{\"contains_url\":true}", AVATAR, "!r:x", true},
        {"{\"contains_url\":true}", MEMBER, "!r:x", false},
        {"{\"contains_url\":true}", BAD_URL, "!r:x", false},
        {"{\"contains_url\":false}", MEMBER, "!r:x", true},
        {"{\"contains_url\":false}", AVATAR, "!r:x", false},
        {"{\"rooms\":[\"!s:x\"]}", MEMBER, "!r:x", false},
        {"{\"not_rooms\":[\"!r:x\"]}", MEMBER, "!r:x", false},
        {"{\"not_rooms\":[\"!s:x\"]}", MEMBER, "!r:x", true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_error_t jerr;
        json_t *fj = json_loads(rows[i].filter, 0, &jerr);
        json_t *ev = json_loads(rows[i].event, 0, &jerr);
        ASSERT_TRUE(fj && ev);
        struct sync_filter f;
        char reason[200] = "";
        ASSERT_INT_EQ(sync_filter_parse_room_event(fj, &f, reason, sizeof reason), 0);
        if (sync_filter_state_json(&f, rows[i].room, ev) != rows[i].ok)
            harness_fail(__FILE__, __LINE__, "row %zu %s", i, rows[i].filter);
        sync_filter_fini(&f);
        json_decref(fj);
        json_decref(ev);
    }
}
