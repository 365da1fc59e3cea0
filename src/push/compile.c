/* compile.c: a user's ruleset compiled for evaluation (see push.h): only the
 * enabled rules, in evaluation order, with their actions cleaned and their
 * notify/highlight outcome worked out once, and every condition that does not
 * depend on the member marked so that its outcome is computed once per event
 * and reused for every member of the room (struct push_memo).
 *
 * Design notes:
 * 1. A condition's outcome depends on the event, the room context (member
 *    count, the sender's power, power_levels: the same for every member of
 *    one event) and, for contains_display_name only, the member. A condition
 *    that names its owner (the [USER]/[LOCALPART] of invite_for_me,
 *    is_user_mention, contains_user_name) is kept per member too: memoising
 *    it would only grow the table below by one entry per user.
 * 2. Member-independent conditions are interned by their canonical text in a
 *    process-wide table (at most PUSH_MEMO_IDS entries; past that, conditions
 *    are evaluated per member as before): the same default condition of 100
 *    members is one entry, evaluated once per event.
 * 3. The conditions themselves are still evaluated by push_condition_match on
 *    their JSON, so compiled and uncompiled evaluation cannot disagree. */
#include "push/push.h"

#include "base/map.h"
#include "base/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { PUSH_MEMO_IDS = 4096 };

/* Indexes into push_kinds. */
enum { KIND_OVERRIDE, KIND_CONTENT, KIND_ROOM, KIND_SENDER, KIND_UNDERRIDE };

/* The process-wide table of member-independent conditions (note 2). */
static struct {
    pthread_mutex_t lock; /* guards map and n */
    struct map map;       /* canonical condition text -> id + 1 (as a pointer value) */
    bool ready;           /* map initialised */
    size_t n;             /* ids handed out */
} interned = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct push_cond {
    const json_t *json; /* the condition (borrowed from the ruleset) */
    int id;             /* its memo slot, or -1: evaluated for each member */
};

struct push_rule_c {
    int kind;                  /* index into push_kinds */
    const char *rule_id;       /* borrowed from the ruleset */
    bool legacy;               /* a body-mention rule skipped for events with m.mentions */
    const char *pattern;       /* content rules: the glob (borrowed), or NULL */
    int pattern_id;            /* content rules: memo slot of the pattern, or -1 */
    struct push_cond *conds;   /* override/underride conditions (owned array) */
    size_t n_conds;            /* entries */
    json_t *actions;           /* cleaned actions (owned), NULL when invalid */
    char *actions_text;        /* their compact JSON (owned), NULL with actions */
    bool notify, highlight;    /* what the actions say */
};

struct push_rules {
    atomic_int refs;           /* references */
    json_t *ruleset;           /* the merged ruleset it was compiled from (owned reference) */
    struct push_rule_c *rules; /* enabled rules in evaluation order (owned) */
    size_t n;                  /* entries */
};

/* The memo slot of a member-independent condition text, or -1 when the table is full. */
static int intern(const char *text)
{
    size_t len = strlen(text);
    pthread_mutex_lock(&interned.lock);
    if (!interned.ready) {
        map_init(&interned.map, NULL);
        interned.ready = true;
    }
    uintptr_t v = (uintptr_t)map_get(&interned.map, text, len);
    int id = -1;
    if (v) {
        id = (int)(v - 1);
    } else if (interned.n < PUSH_MEMO_IDS) {
        id = (int)interned.n++;
        map_put(&interned.map, text, len, (void *)(uintptr_t)(id + 1));
    }
    pthread_mutex_unlock(&interned.lock);
    return id;
}

static bool names_owner(const char *s, const char *user_id, const char *localpart)
{
    return s && (strcmp(s, user_id) == 0 || strcmp(s, localpart) == 0);
}

/* The memo slot for a condition (note 1), or -1. */
static int classify(const json_t *cond, const char *user_id, const char *localpart)
{
    const char *kind = json_string_value(json_object_get(cond, "kind"));
    if (kind && strcmp(kind, "contains_display_name") == 0)
        return -1;
    if (names_owner(json_string_value(json_object_get(cond, "pattern")), user_id, localpart) ||
        names_owner(json_string_value(json_object_get(cond, "value")), user_id, localpart))
        return -1;
    char *text = json_dumps(cond, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return -1;
    int id = intern(text);
    free(text);
    return id;
}

/* As Synapse (intentional mentions): the legacy body-mention rules do not
 * apply to events that carry m.mentions. */
static bool legacy_mention_rule(const char *id)
{
    return id && (strcmp(id, ".m.rule.contains_display_name") == 0 ||
                  strcmp(id, ".m.rule.contains_user_name") == 0 ||
                  strcmp(id, ".m.rule.roomnotif") == 0);
}

static void compile_rule(struct push_rule_c *c, int kind, const json_t *rule, const char *user_id,
                         const char *localpart)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->rule_id = json_string_value(json_object_get(rule, "rule_id"));
    c->legacy = legacy_mention_rule(c->rule_id);
    c->pattern_id = -1;
    c->actions = push_actions_clean(json_object_get(rule, "actions"));
    if (c->actions)
        c->actions_text = json_dumps(c->actions, JSON_COMPACT);
    size_t j;
    json_t *a;
    json_array_foreach(c->actions, j, a)
    {
        if (json_is_string(a) && strcmp(json_string_value(a), "notify") == 0)
            c->notify = true;
        const char *tweak = json_string_value(json_object_get(a, "set_tweak"));
        if (tweak && strcmp(tweak, "highlight") == 0) {
            json_t *v = json_object_get(a, "value");
            c->highlight = !v || json_is_true(v);
        }
    }
    if (kind == KIND_CONTENT) {
        c->pattern = json_string_value(json_object_get(rule, "pattern"));
        if (c->pattern && !names_owner(c->pattern, user_id, localpart)) {
            size_t len = strlen(c->pattern);
            char *text = xmalloc(len + sizeof "content\n");
            memcpy(text, "content\n", sizeof "content\n" - 1);
            memcpy(text + sizeof "content\n" - 1, c->pattern, len + 1);
            c->pattern_id = intern(text);
            free(text);
        }
        return;
    }
    if (kind == KIND_ROOM || kind == KIND_SENDER)
        return;
    json_t *conds = json_object_get(rule, "conditions");
    c->n_conds = json_array_size(conds);
    c->conds = xcalloc(c->n_conds + 1, sizeof *c->conds);
    for (size_t i = 0; i < c->n_conds; i++) {
        c->conds[i].json = json_array_get(conds, i);
        c->conds[i].id = classify(c->conds[i].json, user_id, localpart);
    }
}

struct push_rules *push_rules_compile(const json_t *ruleset, const char *user_id)
{
    struct push_rules *r = xcalloc(1, sizeof *r);
    atomic_init(&r->refs, 1);
    r->ruleset = json_incref((json_t *)ruleset);
    const char *colon = strchr(user_id, ':');
    const char *lp_start = user_id[0] == '@' && colon ? user_id + 1 : user_id;
    size_t lp_len = user_id[0] == '@' && colon ? (size_t)(colon - lp_start) : strlen(user_id);
    char *localpart = xstrndup(lp_start, lp_len);
    size_t cap = 0;
    for (int k = 0; k < 5; k++)
        cap += json_array_size(json_object_get(ruleset, push_kinds[k]));
    r->rules = xcalloc(cap + 1, sizeof *r->rules);
    for (int k = KIND_OVERRIDE; k <= KIND_UNDERRIDE; k++) {
        size_t i;
        json_t *rule;
        json_array_foreach(json_object_get(ruleset, push_kinds[k]), i, rule)
        {
            if (json_is_true(json_object_get(rule, "enabled")))
                compile_rule(&r->rules[r->n++], k, rule, user_id, localpart);
        }
    }
    free(localpart);
    return r;
}

struct push_rules *push_rules_ref(struct push_rules *r)
{
    atomic_fetch_add(&r->refs, 1);
    return r;
}

void push_rules_unref(struct push_rules *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->rules[i].conds);
        json_decref(r->rules[i].actions);
        free(r->rules[i].actions_text);
    }
    free(r->rules);
    json_decref(r->ruleset);
    free(r);
}

const json_t *push_rules_json(const struct push_rules *r)
{
    return r->ruleset;
}

void push_memo_init(struct push_memo *m)
{
    memset(m, 0, sizeof *m);
}

void push_memo_fini(struct push_memo *m)
{
    free(m->seen);
    free(m->value);
    memset(m, 0, sizeof *m);
}

void push_memo_next_event(struct push_memo *m, const json_t *event)
{
    if (++m->gen == 0) { /* wrapped: every slot looks fresh again */
        if (m->cap)
            memset(m->seen, 0, m->cap * sizeof *m->seen);
        m->gen = 1;
    }
    const json_t *content = json_object_get(event, "content");
    m->has_mentions = json_object_get(content, "m.mentions") != NULL;
    m->body = json_string_value(json_object_get(content, "body"));
    m->room_id = json_string_value(json_object_get(event, "room_id"));
    m->sender = json_string_value(json_object_get(event, "sender"));
}

/* The remembered outcome of slot id for this event; *known is false when it
 * has not been computed yet. */
static bool memo_get(struct push_memo *m, int id, bool *known)
{
    if ((size_t)id >= m->cap) {
        size_t cap = PUSH_MEMO_IDS;
        m->seen = xrealloc(m->seen, cap * sizeof *m->seen);
        m->value = xrealloc(m->value, cap * sizeof *m->value);
        memset(m->seen + m->cap, 0, (cap - m->cap) * sizeof *m->seen);
        m->cap = cap;
    }
    *known = m->seen[id] == m->gen;
    return *known && m->value[id]; /* a fresh slot's value is uninitialised */
}

static void memo_set(struct push_memo *m, int id, bool v)
{
    m->seen[id] = m->gen;
    m->value[id] = v;
}

static bool cond_match(const struct push_cond *c, const json_t *event,
                       const struct push_context *ctx, struct push_memo *memo)
{
    if (c->id < 0)
        return push_condition_match(c->json, event, ctx);
    bool known;
    bool v = memo_get(memo, c->id, &known);
    if (!known) {
        v = push_condition_match(c->json, event, ctx);
        memo_set(memo, c->id, v);
    }
    return v;
}

static bool rule_match(const struct push_rule_c *c, const json_t *event,
                       const struct push_context *ctx, struct push_memo *memo)
{
    switch (c->kind) {
    case KIND_CONTENT: /* the pattern against content.body */
        if (!c->pattern || !memo->body)
            return false;
        if (c->pattern_id >= 0) {
            bool known;
            bool v = memo_get(memo, c->pattern_id, &known);
            if (!known) {
                v = push_glob_match(c->pattern, memo->body, false);
                memo_set(memo, c->pattern_id, v);
            }
            return v;
        }
        return push_glob_match(c->pattern, memo->body, false);
    case KIND_ROOM: /* the rule ID is the room ID */
        return c->rule_id && memo->room_id && strcmp(c->rule_id, memo->room_id) == 0;
    case KIND_SENDER: /* the rule ID is the sender */
        return c->rule_id && memo->sender && strcmp(c->rule_id, memo->sender) == 0;
    default:
        for (size_t i = 0; i < c->n_conds; i++)
            if (!cond_match(&c->conds[i], event, ctx, memo))
                return false;
        return true;
    }
}

void push_rules_evaluate(const struct push_rules *r, const json_t *event,
                         const struct push_context *ctx, struct push_memo *memo,
                         struct push_match *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < r->n; i++) {
        const struct push_rule_c *c = &r->rules[i];
        if (memo->has_mentions && c->legacy)
            continue;
        if (!rule_match(c, event, ctx, memo))
            continue;
        out->rule_id = c->rule_id;
        out->actions = c->actions;
        out->actions_text = c->actions_text;
        out->notify = c->notify;
        out->highlight = c->highlight;
        return;
    }
}
