/* event_fields_test.c: a Filter's event_fields (src/sync/event_fields.c)
 * against the spec's examples (client-server "Filtering": ['content.body']
 * keeps the body of content; appendix "Dot-separated property paths":
 * content.m\.relates_to names the key "m.relates_to" in content, content.m\\foo
 * the key "m\foo", and \x stays a backslash followed by x). */
#include "harness.h"

#include "sync/sync.h"

#include <jansson.h>
#include <string.h>

static const char EVENT[] =
    "{\"type\":\"m.room.message\",\"sender\":\"@alice:example.org\",\"event_id\":\"$e\","
    "\"origin_server_ts\":5,\"content\":{\"body\":\"hi\",\"msgtype\":\"m.text\","
    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":\"$root\"},\"m\\\\foo\":1,"
    "\"a\\\\x\":2,\"a.b\":{\"c\":3},\"\":4},\"unsigned\":{\"age\":7}}";

TEST_CASE(sync, event_fields_paths_table)
{
    static const struct {
        const char *fields; /* JSON array of paths */
        const char *want;   /* the event kept, as compact JSON with sorted keys */
    } rows[] = {
        /* the spec's Filter example */
        {"[\"type\",\"content\",\"sender\"]",
         "{\"content\":{\"\":4,\"a.b\":{\"c\":3},\"a\\\\x\":2,\"body\":\"hi\",\"m.relates_to\":"
         "{\"event_id\":\"$root\",\"rel_type\":\"m.thread\"},\"m\\\\foo\":1,\"msgtype\":"
         "\"m.text\"},\"sender\":\"@alice:example.org\",\"type\":\"m.room.message\"}"},
        {"[\"content.body\"]", "{\"content\":{\"body\":\"hi\"}}"},
        {"[\"content.body\",\"content.msgtype\",\"event_id\"]",
         "{\"content\":{\"body\":\"hi\",\"msgtype\":\"m.text\"},\"event_id\":\"$e\"}"},
        /* an escaped dot is part of the key */
        {"[\"content.m\\\\.relates_to.rel_type\"]",
         "{\"content\":{\"m.relates_to\":{\"rel_type\":\"m.thread\"}}}"},
        /* an escaped backslash is one backslash */
        {"[\"content.m\\\\\\\\foo\"]", "{\"content\":{\"m\\\\foo\":1}}"},
        /* any other escape stays as written */
        {"[\"content.a\\\\x\"]", "{\"content\":{\"a\\\\x\":2}}"},
        {"[\"content.a\\\\.b.c\"]", "{\"content\":{\"a.b\":{\"c\":3}}}"},
        /* unescaped, the dot goes down a level that is not there */
        {"[\"content.a.b.c\"]", "{}"},
        {"[\"content.\"]", "{\"content\":{\"\":4}}"},
        /* missing keys and paths through non-objects copy nothing */
        {"[\"content.nothing\",\"content.body.length\",\"state_key\"]", "{}"},
        {"[\"unsigned.age\",\"unsigned.age\"]", "{\"unsigned\":{\"age\":7}}"},
        /* an empty list keeps every field (Synapse) */
        {"[]", NULL},
    };
    json_error_t jerr;
    json_t *event = json_loads(EVENT, 0, &jerr);
    ASSERT_TRUE(event != NULL);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *fields = json_loads(rows[i].fields, 0, &jerr);
        ASSERT_TRUE(fields != NULL);
        json_t *got = sync_event_fields_apply(fields, event);
        char *text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *whole = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
        const char *want = rows[i].want ? rows[i].want : whole;
        if (strcmp(text, want) != 0)
            harness_fail(__FILE__, __LINE__, "row %zu %s: got %s, want %s", i, rows[i].fields,
                         text, want);
        free(text);
        free(whole);
        json_decref(got);
        json_decref(fields);
    }
    /* NULL fields: the event itself, untouched */
    json_t *same = sync_event_fields_apply(NULL, event);
    ASSERT_TRUE(same == event);
    json_decref(same);
    json_decref(event);
}
