/* eval.c: push rule conditions and the evaluation of a ruleset against an
 * event for one user (see push.h). */
#include "push/push.h"

#include "base/str.h"

#include <string.h>

const char *const push_kinds[5] = {"override", "content", "room", "sender", "underride"};

bool push_kind_valid(const char *kind)
{
    for (size_t i = 0; i < 5; i++)
        if (strcmp(kind, push_kinds[i]) == 0)
            return true;
    return false;
}

static bool scalar(const json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i >= -9007199254740991LL && i <= 9007199254740991LL;
    }
    return json_is_string(v) || json_is_boolean(v) || json_is_null(v);
}

static bool scalar_equal(const json_t *a, const json_t *b)
{
    return scalar(a) && scalar(b) && json_equal((json_t *)a, (json_t *)b);
}

/* "is" of room_member_count: an integer with an optional ==, <, >, <=, >= prefix. */
static bool member_count_match(const char *is, int64_t count)
{
    int op = '=';
    bool eq = false;
    if (is[0] == '=' && is[1] == '=') {
        is += 2;
    } else if (is[0] == '<' || is[0] == '>') {
        op = is[0];
        eq = is[1] == '=';
        is += eq ? 2 : 1;
    }
    int64_t n;
    if (!is[0] || is[0] == '-' || is[0] == '+' || str_to_i64(is, strlen(is), 0, INT64_MAX, &n) != 0)
        return false;
    switch (op) {
    case '<':
        return eq ? count <= n : count < n;
    case '>':
        return eq ? count >= n : count > n;
    default:
        return count == n;
    }
}

/* The display name taken literally: glob characters must not act. */
static bool contains_literal_word(const char *body, const char *needle)
{
    size_t nl = strlen(needle), bl = strlen(body);
    if (!nl || nl > bl)
        return false;
    for (size_t i = 0; i + nl <= bl; i++) {
        bool start = i == 0 || !((unsigned char)body[i - 1] >= 0x80 ||
                                 (body[i - 1] >= 'a' && body[i - 1] <= 'z') ||
                                 (body[i - 1] >= 'A' && body[i - 1] <= 'Z') ||
                                 (body[i - 1] >= '0' && body[i - 1] <= '9') || body[i - 1] == '_');
        if (!start)
            continue;
        size_t k = 0;
        while (k < nl) {
            char a = body[i + k], b = needle[k];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a + 32);
            if (b >= 'A' && b <= 'Z')
                b = (char)(b + 32);
            if (a != b)
                break;
            k++;
        }
        if (k < nl)
            continue;
        char e = body[i + nl];
        bool end = !e || !((unsigned char)e >= 0x80 || (e >= 'a' && e <= 'z') ||
                           (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9') || e == '_');
        if (end)
            return true;
    }
    return false;
}

bool push_condition_match(const json_t *cond, const json_t *event, const struct push_context *ctx)
{
    const char *kind = json_string_value(json_object_get(cond, "kind"));
    if (!kind)
        return false;
    const char *key = json_string_value(json_object_get(cond, "key"));
    if (strcmp(kind, "event_match") == 0) {
        const char *pattern = json_string_value(json_object_get(cond, "pattern"));
        const char *value = key ? json_string_value(push_path_get(event, key)) : NULL;
        if (!pattern || !value)
            return false;
        return push_glob_match(pattern, value, strcmp(key, "content.body") != 0);
    }
    if (strcmp(kind, "event_property_is") == 0) {
        json_t *v = key ? push_path_get(event, key) : NULL;
        json_t *want = json_object_get(cond, "value");
        return v && want && scalar_equal(v, want);
    }
    if (strcmp(kind, "event_property_contains") == 0) {
        json_t *arr = key ? push_path_get(event, key) : NULL;
        json_t *want = json_object_get(cond, "value");
        if (!json_is_array(arr) || !want)
            return false;
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) if (scalar_equal(v, want)) return true;
        return false;
    }
    if (strcmp(kind, "contains_display_name") == 0) {
        const char *body = json_string_value(push_path_get(event, "content.body"));
        return body && ctx->display_name && contains_literal_word(body, ctx->display_name);
    }
    if (strcmp(kind, "room_member_count") == 0) {
        const char *is = json_string_value(json_object_get(cond, "is"));
        return is && member_count_match(is, ctx->member_count);
    }
    if (strcmp(kind, "sender_notification_permission") == 0) {
        if (!key)
            return false;
        int64_t need = 50;
        json_t *n = json_object_get(json_object_get(ctx->power_levels, "notifications"), key);
        if (json_is_integer(n))
            need = json_integer_value(n);
        return ctx->sender_power >= need;
    }
    return false;
}

json_t *push_actions_clean(const json_t *actions)
{
    if (!json_is_array(actions))
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        if (json_is_string(a)) {
            const char *s = json_string_value(a);
            if (strcmp(s, "notify") == 0)
                json_array_append(out, a);
            else if (strcmp(s, "dont_notify") != 0 && strcmp(s, "coalesce") != 0)
                goto bad;
        } else if (json_is_object(a) && json_is_string(json_object_get(a, "set_tweak"))) {
            json_array_append(out, a);
        } else {
            goto bad;
        }
    }
    return out;
bad:
    json_decref(out);
    return NULL;
}

void push_evaluate(const json_t *ruleset, const json_t *event, const struct push_context *ctx,
                   struct push_result *r)
{
    memset(r, 0, sizeof *r);
    struct push_rules *rules = push_rules_compile(ruleset, ctx->user_id ? ctx->user_id : "");
    struct push_memo memo;
    push_memo_init(&memo);
    push_memo_next_event(&memo, event);
    struct push_match m;
    push_rules_evaluate(rules, event, ctx, &memo, &m);
    r->rule_id = m.rule_id;
    r->actions = m.actions ? json_incref((json_t *)m.actions) : NULL;
    r->notify = m.notify;
    r->highlight = m.highlight;
    push_memo_fini(&memo);
    push_rules_unref(rules);
}
