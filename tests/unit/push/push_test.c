/* push_test.c: the push rule evaluator against the spec's examples: glob
 * matching (whole value and content.body word boundaries), dot-separated
 * paths, every condition kind, and the default rules' outcomes for typical
 * events (spec: client-server "Push Rules", "Predefined Rules"). */
#include "harness.h"

#include "push/push.h"

#include <string.h>

TEST_CASE(push, glob_table)
{
    static const struct {
        const char *pattern, *value;
        bool whole, want;
    } rows[] = {
        /* spec: event_match content.topic "lunc?*" */
        {"lunc?*", "Lunch plans", true, true},
        {"lunc?*", "LUNCH", true, true},
        {"lunc?*", " lunch", true, false},
        {"lunc?*", "lunc", true, false},
        {"m.notice", "m.notice", true, true},
        {"m.notice", "m.noticed", true, false},
        {"m.room.*", "m.room.message", true, true},
        {"", "", true, true},
        {"", "x", true, false},
        {"*", "", true, true},
        {"a?c", "aéc", true, true}, /* ? is one character, not one byte */
        /* spec: content.body "ex*ple" */
        {"ex*ple", "An example event.", false, true},
        {"ex*ple", "exple", false, true},
        {"ex*ple", "An exciting triple-whammy", false, true},
        {"ex*ple", "An examples event", false, false},
        {"ex*ple", "Anexample", false, false},
        {"alice", "hey Alice!", false, true},
        {"alice", "hey alice_bob", false, false},
        {"alice", "@alice:example.org hi", false, true},
        {"alice", "malice", false, false},
        {"@room", "hello @room!", false, true},
        {"cake*lie", "the cake is a lie", false, true},
        {"**a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (push_glob_match(rows[i].pattern, rows[i].value, rows[i].whole) != rows[i].want)
            harness_fail(__FILE__, __LINE__, "row %zu: %s vs %s", i, rows[i].pattern,
                         rows[i].value);
}

TEST_CASE(push, dotted_paths)
{
    json_error_t e;
    json_t *ev = json_loads("{\"content\": {\"m.mentions\": {\"room\": true},"
                            " \"a\\\\b\": 1, \"x\": {\"y\": \"z\"}}}",
                            0, &e);
    ASSERT_TRUE(ev);
    ASSERT_TRUE(json_is_true(push_path_get(ev, "content.m\\.mentions.room")));
    ASSERT_TRUE(push_path_get(ev, "content.m.mentions.room") == NULL);
    ASSERT_INT_EQ(json_integer_value(push_path_get(ev, "content.a\\\\b")), 1);
    ASSERT_STR_EQ(json_string_value(push_path_get(ev, "content.x.y")), "z");
    ASSERT_TRUE(push_path_get(ev, "content.x.y.z") == NULL);
    ASSERT_TRUE(push_path_get(ev, "nothing") == NULL);
    json_decref(ev);
}

/* Spec examples of the condition kinds, plus the member count and power forms. */
TEST_CASE(push, conditions_table)
{
    static const char *const topic_ev =
        "{\"content\": {\"topic\": \"Lunch plans\"}, \"type\": \"m.room.topic\", \"state_key\": \"\"}";
    static const char *const create_ev =
        "{\"content\": {\"creator\": \"@example:example.org\", \"m.federate\": true,"
        " \"room_version\": \"1\", \"n\": 5, \"z\": null}, \"type\": \"m.room.create\"}";
    static const char *const alias_ev =
        "{\"content\": {\"alt_aliases\": [\"#somewhere:example.org\", \"#myroom:example.com\", {},"
        " 3]}, \"type\": \"m.room.canonical_alias\"}";
    static const char *const msg_ev =
        "{\"content\": {\"body\": \"Hey Alice Smith, lunch?\", \"msgtype\": \"m.text\"},"
        " \"type\": \"m.room.message\", \"sender\": \"@bob:x\"}";
    static const struct {
        const char *event, *cond;
        int64_t members, power;
        bool want;
    } rows[] = {
        {topic_ev, "{\"kind\": \"event_match\", \"key\": \"content.topic\", \"pattern\": \"lunc?*\"}", 2, 0, true},
        {topic_ev, "{\"kind\": \"event_match\", \"key\": \"content.none\", \"pattern\": \"*\"}", 2, 0, false},
        {create_ev, "{\"kind\": \"event_match\", \"key\": \"content.m\\\\.federate\", \"pattern\": \"*\"}", 2, 0, false},
        {topic_ev, "{\"kind\": \"event_match\", \"key\": \"state_key\", \"pattern\": \"\"}", 2, 0, true},
        {create_ev, "{\"kind\": \"event_property_is\", \"key\": \"content.m\\\\.federate\", \"value\": true}", 2, 0, true},
        {create_ev, "{\"kind\": \"event_property_is\", \"key\": \"content.m\\\\.federate\", \"value\": \"true\"}", 2, 0, false},
        {create_ev, "{\"kind\": \"event_property_is\", \"key\": \"content.m\\\\.federate\", \"value\": 1}", 2, 0, false},
        {create_ev, "{\"kind\": \"event_property_is\", \"key\": \"content.n\", \"value\": 5}", 2, 0, true},
        {create_ev, "{\"kind\": \"event_property_is\", \"key\": \"content.z\", \"value\": null}", 2, 0, true},
        {create_ev, "{\"kind\": \"event_property_is\", \"key\": \"content.missing\", \"value\": null}", 2, 0, false},
        {create_ev, "{\"kind\": \"event_property_is\", \"key\": \"content.room_version\", \"value\": \"1\"}", 2, 0, true},
        {alias_ev, "{\"kind\": \"event_property_contains\", \"key\": \"content.alt_aliases\", \"value\": \"#myroom:example.com\"}", 2, 0, true},
        {alias_ev, "{\"kind\": \"event_property_contains\", \"key\": \"content.alt_aliases\", \"value\": \":example.com\"}", 2, 0, false},
        {alias_ev, "{\"kind\": \"event_property_contains\", \"key\": \"content.alt_aliases\", \"value\": 3}", 2, 0, true},
        {topic_ev, "{\"kind\": \"event_property_contains\", \"key\": \"content.topic\", \"value\": \"Lunch plans\"}", 2, 0, false},
        {msg_ev, "{\"kind\": \"contains_display_name\"}", 2, 0, true},
        {msg_ev, "{\"kind\": \"room_member_count\", \"is\": \"2\"}", 2, 0, true},
        {msg_ev, "{\"kind\": \"room_member_count\", \"is\": \"==2\"}", 3, 0, false},
        {msg_ev, "{\"kind\": \"room_member_count\", \"is\": \"<3\"}", 2, 0, true},
        {msg_ev, "{\"kind\": \"room_member_count\", \"is\": \"<2\"}", 2, 0, false},
        {msg_ev, "{\"kind\": \"room_member_count\", \"is\": \">=10\"}", 10, 0, true},
        {msg_ev, "{\"kind\": \"room_member_count\", \"is\": \">10\"}", 10, 0, false},
        {msg_ev, "{\"kind\": \"room_member_count\", \"is\": \"<=1\"}", 1, 0, true},
        {msg_ev, "{\"kind\": \"room_member_count\", \"is\": \"two\"}", 2, 0, false},
        {msg_ev, "{\"kind\": \"sender_notification_permission\", \"key\": \"room\"}", 2, 50, true},
        {msg_ev, "{\"kind\": \"sender_notification_permission\", \"key\": \"room\"}", 2, 49, false},
        {msg_ev, "{\"kind\": \"im.unknown.kind\"}", 2, 100, false},
        {msg_ev, "{\"key\": \"type\", \"pattern\": \"*\"}", 2, 100, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_error_t e;
        json_t *ev = json_loads(rows[i].event, 0, &e);
        json_t *cond = json_loads(rows[i].cond, 0, &e);
        ASSERT_TRUE(ev && cond);
        struct push_context ctx = {"@alice:x", "Alice Smith", rows[i].members, rows[i].power,
                                   NULL};
        if (push_condition_match(cond, ev, &ctx) != rows[i].want)
            harness_fail(__FILE__, __LINE__, "row %zu: %s", i, rows[i].cond);
        json_decref(ev);
        json_decref(cond);
    }
}

/* The power a room notification needs comes from power_levels.notifications. */
TEST_CASE(push, notification_power_from_power_levels)
{
    json_error_t e;
    json_t *pl = json_loads("{\"notifications\": {\"room\": 10}}", 0, &e);
    json_t *cond = json_loads("{\"kind\": \"sender_notification_permission\", \"key\": \"room\"}",
                              0, &e);
    json_t *ev = json_loads("{\"type\": \"m.room.message\"}", 0, &e);
    struct push_context ctx = {"@a:x", NULL, 3, 10, pl};
    ASSERT_TRUE(push_condition_match(cond, ev, &ctx));
    ctx.sender_power = 9;
    ASSERT_TRUE(!push_condition_match(cond, ev, &ctx));
    json_decref(pl);
    json_decref(cond);
    json_decref(ev);
}

/* Evaluates ev against rules for ctx and fails, naming the table row, unless the rule that
 * matched (NULL: none) and the notify and highlight outcomes are the expected ones. */
static void expect_evaluation(const json_t *rules, const json_t *ev,
                              const struct push_context *ctx, size_t row, const char *rule,
                              bool notify, bool highlight)
{
    struct push_result r;
    push_evaluate(rules, ev, ctx, &r);
    bool same_rule = rule ? r.rule_id && strcmp(r.rule_id, rule) == 0 : r.rule_id == NULL;
    if (!same_rule || r.notify != notify || r.highlight != highlight)
        harness_fail(__FILE__, __LINE__, "row %zu: rule %s notify %d highlight %d", row,
                     r.rule_id ? r.rule_id : "(none)", r.notify, r.highlight);
    json_decref(r.actions);
}

/* What the default rules do for the owner @alice:x (display name "Alice"). */
TEST_CASE(push, default_rules_outcomes)
{
    static const struct {
        const char *event;
        int64_t members, sender_power;
        const char *rule; /* NULL: nothing matched */
        bool notify, highlight;
    } rows[] = {
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}}",
         5, 0, ".m.rule.message", true, false},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}}",
         2, 0, ".m.rule.room_one_to_one", true, false},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"msgtype\": \"m.notice\", \"body\": \"Alice\"}}",
         5, 0, ".m.rule.suppress_notices", false, false},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"msgtype\": \"m.text\", \"body\": \"hello alice!\"}}",
         5, 0, ".m.rule.contains_display_name", true, true},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"msgtype\": \"m.text\", \"body\": \"hello alice!\", \"m.mentions\": {}}}",
         5, 0, ".m.rule.message", true, false},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"body\": \"x\", \"m.mentions\": {\"user_ids\": [\"@alice:x\"]}}}",
         5, 0, ".m.rule.is_user_mention", true, true},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"body\": \"x\", \"m.mentions\": {\"room\": true}}}",
         5, 50, ".m.rule.is_room_mention", true, true},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"body\": \"x\", \"m.mentions\": {\"room\": true}}}",
         5, 0, ".m.rule.message", true, false},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"body\": \"@room lunch\"}}",
         5, 100, ".m.rule.roomnotif", true, true},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"body\": \"ping x-alice-y\"}}",
         5, 0, ".m.rule.contains_display_name", true, true},
        {"{\"type\": \"m.room.encrypted\", \"sender\": \"@b:x\", \"content\": {}}",
         2, 0, ".m.rule.encrypted_room_one_to_one", true, false},
        {"{\"type\": \"m.room.encrypted\", \"sender\": \"@b:x\", \"content\": {}}",
         3, 0, ".m.rule.encrypted", true, false},
        {"{\"type\": \"m.call.invite\", \"sender\": \"@b:x\", \"content\": {}}",
         3, 0, ".m.rule.call", true, false},
        {"{\"type\": \"m.room.member\", \"sender\": \"@b:x\", \"state_key\": \"@alice:x\", \"content\": {\"membership\": \"invite\"}}",
         3, 0, ".m.rule.invite_for_me", true, false},
        {"{\"type\": \"m.room.member\", \"sender\": \"@b:x\", \"state_key\": \"@c:x\", \"content\": {\"membership\": \"invite\"}}",
         3, 0, ".m.rule.member_event", false, false},
        {"{\"type\": \"m.room.tombstone\", \"sender\": \"@b:x\", \"state_key\": \"\", \"content\": {\"body\": \"moved\"}}",
         3, 0, ".m.rule.tombstone", true, true},
        {"{\"type\": \"m.reaction\", \"sender\": \"@b:x\", \"content\": {}}", 2, 0, ".m.rule.reaction",
         false, false},
        {"{\"type\": \"m.room.server_acl\", \"sender\": \"@b:x\", \"state_key\": \"\", \"content\": {}}",
         2, 0, ".m.rule.room.server_acl", false, false},
        {"{\"type\": \"m.room.message\", \"sender\": \"@b:x\", \"content\": {\"body\": \"* fixed\", \"m.relates_to\": {\"rel_type\": \"m.replace\"}}}",
         2, 0, ".m.rule.suppress_edits", false, false},
        {"{\"type\": \"m.room.topic\", \"sender\": \"@b:x\", \"state_key\": \"\", \"content\": {\"topic\": \"t\"}}",
         2, 0, NULL, false, false},
    };
    json_t *rules = push_default_ruleset("@alice:x");
    /* the spec's rule IDs, in the spec's order within each kind */
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(json_object_get(rules, "override"), 0), "rule_id")),
                  ".m.rule.master");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(json_object_get(rules, "content"), 0), "pattern")),
                  "alice");
    ASSERT_INT_EQ(json_array_size(json_object_get(rules, "underride")), 5);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_error_t e;
        json_t *ev = json_loads(rows[i].event, 0, &e);
        ASSERT_TRUE(ev);
        json_object_set_new(ev, "room_id", json_string("!r:x"));
        struct push_context ctx = {"@alice:x", "Alice", rows[i].members, rows[i].sender_power,
                                   NULL};
        expect_evaluation(rules, ev, &ctx, i, rows[i].rule, rows[i].notify, rows[i].highlight);
        json_decref(ev);
    }
    json_decref(rules);
}

/* A user's rules come before the defaults (master stays first); disabling a
 * default rule and changing its actions take effect; room and sender rules. */
TEST_CASE(push, user_changes_merged)
{
    json_error_t e;
    json_t *changes = json_loads(
        "{\"rules\": {\"override\": [{\"rule_id\": \"mine\", \"default\": false, \"enabled\": true,"
        " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"content.body\", \"pattern\": \"tea\"}],"
        " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}],"
        " \"room\": [{\"rule_id\": \"!quiet:x\", \"default\": false, \"enabled\": true, \"actions\": []}],"
        " \"sender\": [{\"rule_id\": \"@boss:x\", \"default\": false, \"enabled\": true,"
        " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\", \"value\": true}]}]},"
        " \"enabled\": {\"underride/.m.rule.message\": false},"
        " \"actions\": {\"content/.m.rule.contains_user_name\": [\"dont_notify\"]}}",
        0, &e);
    ASSERT_TRUE(changes);
    json_t *rules = push_ruleset_merge("@alice:x", changes);
    json_t *over = json_object_get(rules, "override");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(over, 0), "rule_id")),
                  ".m.rule.master");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(over, 1), "rule_id")), "mine");
    static const struct {
        const char *room, *sender, *body;
        const char *rule;
        bool notify, highlight;
    } rows[] = {
        {"!r:x", "@b:x", "time for tea", "mine", true, true},
        {"!r:x", "@b:x", "plain", NULL, false, false},       /* .m.rule.message disabled */
        {"!r:x", "@b:x", "alice?", ".m.rule.contains_user_name", false, false},
        {"!quiet:x", "@b:x", "plain", "!quiet:x", false, false},
        {"!r:x", "@boss:x", "plain", "@boss:x", true, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *ev = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "type", "m.room.message",
                               "room_id", rows[i].room, "sender", rows[i].sender, "content",
                               "msgtype", "m.text", "body", rows[i].body);
        struct push_context ctx = {"@alice:x", NULL, 5, 0, NULL};
        expect_evaluation(rules, ev, &ctx, i, rows[i].rule, rows[i].notify, rows[i].highlight);
        json_decref(ev);
    }
    json_decref(rules);
    json_decref(changes);
}

TEST_CASE(push, rule_requests_checked)
{
    static const struct {
        const char *kind, *body;
        bool ok;
    } rows[] = {
        {"content", "{\"pattern\": \"cake*lie\", \"actions\": [\"notify\"]}", true},
        {"content", "{\"actions\": [\"notify\"]}", false},
        {"override", "{\"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"x\"}], \"actions\": []}", true},
        {"override", "{\"conditions\": {}, \"actions\": []}", false},
        {"override", "{\"conditions\": [{}], \"actions\": []}", false},
        {"underride", "{\"conditions\": []}", false},
        {"room", "{\"actions\": [\"dont_notify\"]}", true},
        {"sender", "{\"actions\": [\"explode\"]}", false},
        {"sender", "{\"actions\": [{\"set_tweak\": \"sound\", \"value\": \"default\"}]}", true},
        {"nonsense", "{\"actions\": []}", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_error_t e;
        json_t *body = json_loads(rows[i].body, 0, &e);
        ASSERT_TRUE(body);
        char reason[128] = "";
        json_t *rule = push_rule_from_request(rows[i].kind, "r1", body, reason, sizeof reason);
        if ((rule != NULL) != rows[i].ok)
            harness_fail(__FILE__, __LINE__, "row %zu: %s", i, reason);
        if (!rows[i].ok && !reason[0])
            harness_fail(__FILE__, __LINE__, "row %zu: no reason", i);
        json_decref(rule);
        json_decref(body);
    }
}

/* One event evaluated for several members with one memo (as the push worker
 * does): member-independent outcomes are shared, but each member's own
 * conditions (display name, user mention, user name, invite target, their own
 * rules) still decide for them alone. */
TEST_CASE(push, compiled_memo_per_member)
{
    json_error_t e;
    json_t *quiet = json_loads("{\"enabled\": {\"underride/.m.rule.message\": false}}", 0, &e);
    ASSERT_TRUE(quiet);
    static const struct {
        const char *event;
        int64_t members;
        /* per member: alice ("Alice"), bob ("Bob"), carol (no name, .m.rule.message off) */
        const char *rule[3];
        bool notify[3], highlight[3];
    } rows[] = {
        {"{\"type\": \"m.room.message\", \"sender\": \"@d:x\", \"content\": {\"msgtype\": \"m.text\", \"body\": \"hello alice\"}}",
         5, {".m.rule.contains_display_name", ".m.rule.message", NULL}, {true, true, false},
         {true, false, false}},
        {"{\"type\": \"m.room.message\", \"sender\": \"@d:x\", \"content\": {\"msgtype\": \"m.text\", \"body\": \"carol?\"}}",
         5, {".m.rule.message", ".m.rule.message", ".m.rule.contains_user_name"},
         {true, true, true}, {false, false, true}},
        {"{\"type\": \"m.room.message\", \"sender\": \"@d:x\", \"content\": {\"body\": \"x\", \"m.mentions\": {\"user_ids\": [\"@bob:x\"]}}}",
         2, {".m.rule.room_one_to_one", ".m.rule.is_user_mention", ".m.rule.room_one_to_one"},
         {true, true, true}, {false, true, false}},
        {"{\"type\": \"m.room.member\", \"sender\": \"@d:x\", \"state_key\": \"@carol:x\", \"content\": {\"membership\": \"invite\"}}",
         5, {".m.rule.member_event", ".m.rule.member_event", ".m.rule.invite_for_me"},
         {false, false, true}, {false, false, false}},
        {"{\"type\": \"m.room.message\", \"sender\": \"@d:x\", \"content\": {\"msgtype\": \"m.notice\", \"body\": \"alice bob\"}}",
         5, {".m.rule.suppress_notices", ".m.rule.suppress_notices", ".m.rule.suppress_notices"},
         {false, false, false}, {false, false, false}},
    };
    static const char *const users[3] = {"@alice:x", "@bob:x", "@carol:x"};
    static const char *const names[3] = {"Alice", "Bob", NULL};
    struct push_rules *rules[3];
    for (size_t u = 0; u < 3; u++) {
        json_t *rs = push_ruleset_merge(users[u], u == 2 ? quiet : NULL);
        rules[u] = push_rules_compile(rs, users[u]);
        json_decref(rs); /* the compiled rules keep it */
    }
    struct push_memo memo;
    push_memo_init(&memo);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *ev = json_loads(rows[i].event, 0, &e);
        ASSERT_TRUE(ev);
        json_object_set_new(ev, "room_id", json_string("!r:x"));
        push_memo_next_event(&memo, ev);
        for (size_t u = 0; u < 3; u++) {
            struct push_context ctx = {users[u], names[u], rows[i].members, 0, NULL};
            struct push_match m;
            push_rules_evaluate(rules[u], ev, &ctx, &memo, &m);
            bool same_rule = rows[i].rule[u] ? m.rule_id && strcmp(m.rule_id, rows[i].rule[u]) == 0
                                             : m.rule_id == NULL;
            if (!same_rule || m.notify != rows[i].notify[u] ||
                m.highlight != rows[i].highlight[u])
                harness_fail(__FILE__, __LINE__, "row %zu user %s: rule %s notify %d highlight %d",
                             i, users[u], m.rule_id ? m.rule_id : "(none)", m.notify,
                             m.highlight);
        }
        json_decref(ev);
    }
    push_memo_fini(&memo);
    for (size_t u = 0; u < 3; u++)
        push_rules_unref(rules[u]);
    json_decref(quiet);
}
