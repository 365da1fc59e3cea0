/* push.h: push rules — the spec's default rule set, a user's changes merged
 * into it, and evaluating a ruleset against an event for one user (pure
 * code: no database, no rooms). Spec: client-server "Push Notifications",
 * "Push Rules", "Conditions", "Predefined Rules"; where the spec is silent,
 * as Synapse does (the legacy display-name, user-name and @room rules apply
 * only to events without m.mentions).
 *
 * A ruleset is the spec's JSON form: {"override": [...], "content": [...],
 * "room": [...], "sender": [...], "underride": [...]}, each rule with
 * rule_id, default, enabled, actions and conditions or pattern. */
#ifndef RELAIS_PUSH_PUSH_H
#define RELAIS_PUSH_PUSH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The five kinds in evaluation order. */
extern const char *const push_kinds[5];
/* True for one of push_kinds. */
bool push_kind_valid(const char *kind);

/* Glob match ('*' any run, '?' one character), ASCII case-insensitive.
 * whole: the pattern must match the whole value; otherwise (content.body)
 * any substring that starts and ends at a word boundary (a word character
 * is [A-Za-z0-9_] or any non-ASCII byte). Work is bounded: a pathological
 * pattern does not match rather than run long. */
bool push_glob_match(const char *pattern, const char *value, bool whole);

/* The value at a dot-separated path ("content.m\\.mentions.user_ids": '\'
 * escapes '.' and '\') of obj, or NULL. Borrowed. */
json_t *push_path_get(const json_t *obj, const char *path);

/* What the evaluator needs besides the event and the ruleset. */
struct push_context {
    const char *user_id;       /* whose rules these are */
    const char *display_name;  /* the user's display name in the room, or NULL */
    int64_t member_count;      /* joined members of the room */
    int64_t sender_power;      /* the sender's power level */
    const json_t *power_levels; /* the room's m.room.power_levels content, or NULL */
};

/* The outcome for one user. */
struct push_result {
    bool notify;                /* an action "notify" */
    bool highlight;             /* set_tweak highlight (true when no value) */
    const char *rule_id;        /* the matching rule (borrowed from the ruleset), NULL if none */
    json_t *actions;            /* the rule's actions without historical ones (owned), or NULL */
};

/* True when the condition holds (an unknown kind never does). */
bool push_condition_match(const json_t *cond, const json_t *event, const struct push_context *ctx);
/* Finds the first enabled rule that matches event (kinds in order) and
 * fills r. The caller frees r->actions (json_decref). */
void push_evaluate(const json_t *ruleset, const json_t *event, const struct push_context *ctx,
                   struct push_result *r);

/* A user's ruleset compiled for evaluation (push/compile.c): the enabled
 * rules in order, actions cleaned once, and the conditions that do not
 * depend on the member (all but contains_display_name and those naming the
 * owner) marked so that one event evaluates each of them once for all the
 * members of its room. Immutable; reference counted, any thread. */
struct push_rules;

/* Compiles ruleset (a merged ruleset, kept referenced) of user_id. Owned: push_rules_unref. */
struct push_rules *push_rules_compile(const json_t *ruleset, const char *user_id);
struct push_rules *push_rules_ref(struct push_rules *r);
void push_rules_unref(struct push_rules *r);
/* The ruleset r was compiled from (borrowed, lives as long as r). */
const json_t *push_rules_json(const struct push_rules *r);

/* The outcomes of member-independent conditions for one event and one room
 * context (member count, sender power, power levels): reused for every member
 * evaluated with it. Belongs to one thread. */
struct push_memo {
    uint32_t gen;          /* the current event's generation (slots equal to it are valid) */
    uint32_t *seen;        /* per condition slot: the generation of its value (owned) */
    bool *value;           /* per condition slot: the outcome (owned) */
    size_t cap;            /* slots allocated */
    bool has_mentions;     /* the event's content has m.mentions */
    const char *body;      /* its content.body string, or NULL (borrowed from the event) */
    const char *room_id;   /* its room_id, or NULL (borrowed) */
    const char *sender;    /* its sender, or NULL (borrowed) */
};
void push_memo_init(struct push_memo *m);
void push_memo_fini(struct push_memo *m);
/* Forgets the outcomes: the next evaluations are for event (borrowed until the next call). */
void push_memo_next_event(struct push_memo *m, const json_t *event);

/* The outcome of compiled rules for one member; pointers borrowed from the rules. */
struct push_match {
    bool notify;               /* an action "notify" */
    bool highlight;            /* set_tweak highlight (true when no value) */
    const char *rule_id;       /* the matching rule, NULL if none */
    const json_t *actions;     /* its cleaned actions, or NULL */
    const char *actions_text;  /* their compact JSON, or NULL */
};
/* Finds the first enabled rule of r that matches event for ctx->user_id,
 * as push_evaluate; memo must have been given this event (push_memo_next_event)
 * and used only with the same room context since. */
void push_rules_evaluate(const struct push_rules *r, const json_t *event,
                         const struct push_context *ctx, struct push_memo *memo,
                         struct push_match *out);

/* The server-default ruleset for user_id (owned). */
json_t *push_default_ruleset(const char *user_id);

/* A user's changes: {"rules": {kind: [user rules]}, "enabled": {"kind/id":
 * bool}, "actions": {"kind/id": [...]}} (NULL: none). Returns the merged
 * ruleset (owned): .m.rule.master first, then in each kind the user's rules
 * before the server-default ones. */
json_t *push_ruleset_merge(const char *user_id, const json_t *changes);

/* Checks a rule body a client PUTs (kind, rule_id, {"actions", "conditions",
 * "pattern"}) and builds the stored rule (owned). Returns NULL with reason. */
json_t *push_rule_from_request(const char *kind, const char *rule_id, const json_t *body,
                               char *reason, size_t reason_len);
/* Checks an actions array: each "notify", a historical action, or an object
 * with set_tweak. Returns a copy without historical actions (owned) or NULL. */
json_t *push_actions_clean(const json_t *actions);

#endif
