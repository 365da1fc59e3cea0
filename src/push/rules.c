/* rules.c: the server-default push rules (spec "Predefined Rules", plus the
 * legacy .m.rule.contains_display_name, .m.rule.roomnotif and
 * .m.rule.contains_user_name that Synapse still serves), merging a user's
 * changes into them, and checking rules that clients PUT. */
#include "push/push.h"

#include "base/mem.h"

#include <stdio.h>
#include <string.h>

/* "[USER]" and "[LOCALPART]" stand for the owner's user ID and localpart. */
static const char default_rules_json[] =
    "{\"override\": ["
    "{\"rule_id\": \".m.rule.master\", \"default\": true, \"enabled\": false,"
    " \"conditions\": [], \"actions\": []},"
    "{\"rule_id\": \".m.rule.suppress_notices\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"content.msgtype\","
    " \"pattern\": \"m.notice\"}], \"actions\": []},"
    "{\"rule_id\": \".m.rule.invite_for_me\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"key\": \"type\", \"kind\": \"event_match\", \"pattern\": \"m.room.member\"},"
    " {\"key\": \"content.membership\", \"kind\": \"event_match\", \"pattern\": \"invite\"},"
    " {\"key\": \"state_key\", \"kind\": \"event_match\", \"pattern\": \"[USER]\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"}]},"
    "{\"rule_id\": \".m.rule.member_event\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"key\": \"type\", \"kind\": \"event_match\", \"pattern\": \"m.room.member\"}],"
    " \"actions\": []},"
    "{\"rule_id\": \".m.rule.is_user_mention\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_property_contains\","
    " \"key\": \"content.m\\\\.mentions.user_ids\", \"value\": \"[USER]\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"},"
    " {\"set_tweak\": \"highlight\"}]},"
    "{\"rule_id\": \".m.rule.contains_display_name\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"contains_display_name\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"},"
    " {\"set_tweak\": \"highlight\"}]},"
    "{\"rule_id\": \".m.rule.is_room_mention\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_property_is\", \"key\": \"content.m\\\\.mentions.room\","
    " \"value\": true}, {\"kind\": \"sender_notification_permission\", \"key\": \"room\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]},"
    "{\"rule_id\": \".m.rule.roomnotif\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"content.body\", \"pattern\": \"@room\"},"
    " {\"kind\": \"sender_notification_permission\", \"key\": \"room\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]},"
    "{\"rule_id\": \".m.rule.tombstone\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.tombstone\"},"
    " {\"kind\": \"event_match\", \"key\": \"state_key\", \"pattern\": \"\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]},"
    "{\"rule_id\": \".m.rule.reaction\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.reaction\"}],"
    " \"actions\": []},"
    "{\"rule_id\": \".m.rule.room.server_acl\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.server_acl\"},"
    " {\"kind\": \"event_match\", \"key\": \"state_key\", \"pattern\": \"\"}], \"actions\": []},"
    "{\"rule_id\": \".m.rule.suppress_edits\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_property_is\","
    " \"key\": \"content.m\\\\.relates_to.rel_type\", \"value\": \"m.replace\"}], \"actions\": []}"
    "], \"content\": ["
    "{\"rule_id\": \".m.rule.contains_user_name\", \"default\": true, \"enabled\": true,"
    " \"pattern\": \"[LOCALPART]\","
    " \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"},"
    " {\"set_tweak\": \"highlight\"}]}"
    "], \"room\": [], \"sender\": [], \"underride\": ["
    "{\"rule_id\": \".m.rule.call\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"key\": \"type\", \"kind\": \"event_match\", \"pattern\": \"m.call.invite\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"ring\"}]},"
    "{\"rule_id\": \".m.rule.encrypted_room_one_to_one\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"room_member_count\", \"is\": \"2\"},"
    " {\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.encrypted\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"}]},"
    "{\"rule_id\": \".m.rule.room_one_to_one\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"room_member_count\", \"is\": \"2\"},"
    " {\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.message\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"}]},"
    "{\"rule_id\": \".m.rule.message\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.message\"}],"
    " \"actions\": [\"notify\"]},"
    "{\"rule_id\": \".m.rule.encrypted\", \"default\": true, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.encrypted\"}],"
    " \"actions\": [\"notify\"]}"
    "]}";

/* Replaces the placeholders in every string value of v (recursively). */
static void substitute(json_t *v, const char *user_id, const char *localpart)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            if (json_is_string(x)) {
                const char *s = json_string_value(x);
                if (strcmp(s, "[USER]") == 0)
                    json_string_set(x, user_id);
                else if (strcmp(s, "[LOCALPART]") == 0)
                    json_string_set(x, localpart);
            } else {
                substitute(x, user_id, localpart);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) substitute(x, user_id, localpart);
    }
}

json_t *push_default_ruleset(const char *user_id)
{
    json_error_t jerr;
    json_t *rules = json_loads(default_rules_json, 0, &jerr);
    if (!rules) { /* a bug in the literal above: caught by the unit tests */
        fprintf(stderr, "push: default rules: %s at %d\n", jerr.text, jerr.position);
        return json_object();
    }
    const char *colon = strchr(user_id, ':');
    size_t lp_len = colon && user_id[0] == '@' ? (size_t)(colon - user_id - 1) : strlen(user_id);
    char *localpart = xmalloc(lp_len + 1);
    memcpy(localpart, user_id[0] == '@' && colon ? user_id + 1 : user_id, lp_len);
    localpart[lp_len] = '\0';
    substitute(rules, user_id, localpart);
    free(localpart);
    return rules;
}

json_t *push_ruleset_merge(const char *user_id, const json_t *changes)
{
    json_t *defaults = push_default_ruleset(user_id);
    json_t *user_rules = json_object_get(changes, "rules");
    json_t *enabled = json_object_get(changes, "enabled");
    json_t *actions = json_object_get(changes, "actions");
    json_t *out = json_object();
    for (size_t k = 0; k < 5; k++) {
        const char *kind = push_kinds[k];
        json_t *list = json_array();
        json_t *defs = json_object_get(defaults, kind);
        size_t first_default = 0;
        if (strcmp(kind, "override") == 0 && json_array_size(defs)) {
            json_array_append(list, json_array_get(defs, 0)); /* .m.rule.master */
            first_default = 1;
        }
        json_array_extend(list, json_object_get(user_rules, kind));
        for (size_t i = first_default; i < json_array_size(defs); i++)
            json_array_append(list, json_array_get(defs, i));
        size_t i;
        json_t *rule;
        json_array_foreach(list, i, rule)
        {
            const char *id = json_string_value(json_object_get(rule, "rule_id"));
            if (!id || id[0] != '.')
                continue;
            char key[512];
            snprintf(key, sizeof key, "%s/%s", kind, id);
            json_t *en = json_object_get(enabled, key);
            json_t *ac = json_object_get(actions, key);
            if (json_is_boolean(en))
                json_object_set(rule, "enabled", en);
            if (json_is_array(ac))
                json_object_set(rule, "actions", ac);
        }
        json_object_set_new(out, kind, list);
    }
    json_decref(defaults);
    return out;
}

json_t *push_rule_from_request(const char *kind, const char *rule_id, const json_t *body,
                               char *reason, size_t reason_len)
{
    if (!push_kind_valid(kind)) {
        snprintf(reason, reason_len, "Unknown push rule kind");
        return NULL;
    }
    json_t *actions = push_actions_clean(json_object_get(body, "actions"));
    if (!actions) {
        snprintf(reason, reason_len, json_object_get(body, "actions")
                                         ? "Invalid actions"
                                         : "No actions found");
        return NULL;
    }
    json_t *rule = json_pack("{s:s, s:b, s:b, s:o}", "rule_id", rule_id, "default", 0, "enabled",
                             1, "actions", actions);
    if (strcmp(kind, "content") == 0) {
        const char *pattern = json_string_value(json_object_get(body, "pattern"));
        if (!pattern) {
            snprintf(reason, reason_len, "Content rule missing 'pattern'");
            json_decref(rule);
            return NULL;
        }
        json_object_set_new(rule, "pattern", json_string(pattern));
    } else if (strcmp(kind, "override") == 0 || strcmp(kind, "underride") == 0) {
        json_t *conds = json_object_get(body, "conditions");
        if (conds && !json_is_array(conds)) {
            snprintf(reason, reason_len, "'conditions' must be an array");
            json_decref(rule);
            return NULL;
        }
        size_t i;
        json_t *c;
        json_array_foreach(conds, i, c)
        {
            if (!json_is_string(json_object_get(c, "kind"))) {
                snprintf(reason, reason_len, "Each condition needs a 'kind'");
                json_decref(rule);
                return NULL;
            }
        }
        json_object_set_new(rule, "conditions", conds ? json_deep_copy(conds) : json_array());
    }
    return rule;
}
