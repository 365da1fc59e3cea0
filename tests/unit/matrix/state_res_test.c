/* state_res_test.c: state resolution v2 (src/matrix/state_res.c) on
 * hand-built auth DAGs.
 *
 * Every scenario starts from the same room (room version 10):
 *   CREATE  m.room.create by @alice:a                       ts 1
 *   IMA     alice joins            auth CREATE                ts 2
 *   IPOWER  power levels {alice:100} auth CREATE IMA          ts 3
 *   IJR     join rule public       auth CREATE IMA IPOWER     ts 4
 *   IMB     bob joins              auth CREATE IJR IPOWER     ts 5
 *   IMC     charlie joins          auth CREATE IJR IPOWER     ts 6
 * and adds a fork. The expected state in each comment is derived by hand from
 * the algorithm in rooms/v2 "State resolution" (content/rooms/fragments/
 * v2-state-res.md): the full conflicted set, the reverse topological power
 * ordering, the iterative auth checks and the mainline ordering. */
#include "harness.h"

#include <jansson.h>

#include "base/err.h"
#include "matrix/state_res.h"
#include "matrix/versions.h"

struct ev_row {
    const char *id;        /* event_id */
    const char *type;      /* type */
    const char *state_key; /* state_key */
    const char *sender;    /* sender */
    const char *content;   /* JSON */
    const char *auth;      /* space-separated auth event IDs */
    int ts;                /* origin_server_ts */
};

#define PL_ALICE "{\"users\":{\"@alice:a\":100}}"
#define JOIN "{\"membership\":\"join\"}"

static const struct ev_row base_rows[] = {
    {"CREATE", "m.room.create", "", "@alice:a", "{\"creator\":\"@alice:a\"}", "", 1},
    {"IMA", "m.room.member", "@alice:a", "@alice:a", JOIN, "CREATE", 2},
    {"IPOWER", "m.room.power_levels", "", "@alice:a", PL_ALICE, "CREATE IMA", 3},
    {"IJR", "m.room.join_rules", "", "@alice:a", "{\"join_rule\":\"public\"}",
     "CREATE IMA IPOWER", 4},
    {"IMB", "m.room.member", "@bob:b", "@bob:b", JOIN, "CREATE IJR IPOWER", 5},
    {"IMC", "m.room.member", "@charlie:c", "@charlie:c", JOIN, "CREATE IJR IPOWER", 6},
};

struct store {
    json_t *events;      /* event_id -> event */
    json_t *rejected;    /* event_id -> true */
    const char *room_id; /* NULL: "!room:a"; v12 stores use "!CREATE" */
};

static void store_add(struct store *st, const struct ev_row *r)
{
    json_error_t err;
    json_t *content = json_loads(r->content, 0, &err);
    if (!content)
        harness_fail(__FILE__, __LINE__, "bad content for %s: %s", r->id, err.text);
    json_t *auth = json_array();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", r->auth);
    for (char *p = buf; *p;) {
        char *sp = strchr(p, ' ');
        if (sp)
            *sp = '\0';
        if (*p)
            json_array_append_new(auth, json_string(p));
        if (!sp)
            break;
        p = sp + 1;
    }
    json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:O,s:i}", "event_id", r->id, "room_id",
                           st->room_id ? st->room_id : "!room:a", "type", r->type, "state_key",
                           r->state_key, "sender", r->sender, "content", content, "auth_events",
                           auth, "prev_events", auth, "origin_server_ts", r->ts);
    if (st->room_id && strcmp(r->type, "m.room.create") == 0)
        json_object_del(ev, "room_id"); /* v12 create events have none */
    json_object_set_new(st->events, r->id, ev);
}

static void store_init(struct store *st, const struct ev_row *extra, size_t n_extra)
{
    st->events = json_object();
    st->rejected = json_object();
    st->room_id = NULL;
    for (size_t i = 0; i < sizeof base_rows / sizeof base_rows[0]; i++)
        store_add(st, &base_rows[i]);
    for (size_t i = 0; i < n_extra; i++)
        store_add(st, &extra[i]);
}

static int fetch(void *ctx, const char *event_id, const json_t **event, bool *rejected)
{
    struct store *st = ctx;
    *event = json_object_get(st->events, event_id);
    *rejected = json_object_get(st->rejected, event_id) != NULL;
    return *event ? 0 : ERR_NOT_FOUND;
}

/* A state set from space-separated event IDs (new array). */
static json_t *set_of(struct store *st, const char *ids)
{
    json_t *set = json_array();
    char buf[512];
    snprintf(buf, sizeof buf, "%s", ids);
    for (char *p = buf; *p;) {
        char *sp = strchr(p, ' ');
        if (sp)
            *sp = '\0';
        if (*p) {
            json_t *ev = json_object_get(st->events, p);
            if (!ev)
                harness_fail(__FILE__, __LINE__, "no event %s", p);
            json_array_append(set, ev);
        }
        if (!sp)
            break;
        p = sp + 1;
    }
    return set;
}

/* Resolves the given sets and compares the result with want (space-separated
 * event IDs: exactly the resolved state). */
static void check_resolution(int line, const char *ver_id, struct store *st, const char *const *sets,
                             size_t n_sets, const char *want)
{
    const struct matrix_room_version *ver = matrix_room_version_find(ver_id);
    json_t *arrays[8];
    for (size_t i = 0; i < n_sets; i++)
        arrays[i] = set_of(st, sets[i]);
    struct matrix_state_map out;
    int rc = matrix_state_resolve_v2(ver, (const json_t *const *)arrays, n_sets, fetch, st, NULL,
                                     &out);
    if (rc != 0)
        harness_fail(__FILE__, line, "resolve returned %d", rc);
    json_t *want_set = set_of(st, want);
    size_t i;
    json_t *ev;
    json_array_foreach(want_set, i, ev) {
        const json_t *got = matrix_state_map_get(&out, json_string_value(json_object_get(ev, "type")),
                                                 json_string_value(json_object_get(ev, "state_key")));
        const char *want_id = json_string_value(json_object_get(ev, "event_id"));
        const char *got_id = got ? json_string_value(json_object_get(got, "event_id")) : "(none)";
        if (strcmp(want_id, got_id) != 0)
            harness_fail(__FILE__, line, "key %s/%s: got %s, want %s",
                         json_string_value(json_object_get(ev, "type")),
                         json_string_value(json_object_get(ev, "state_key")), got_id, want_id);
    }
    if (matrix_state_map_len(&out) != json_array_size(want_set))
        harness_fail(__FILE__, line, "resolved %zu entries, want %zu", matrix_state_map_len(&out),
                     json_array_size(want_set));
    json_decref(want_set);
    matrix_state_map_fini(&out);
    for (size_t k = 0; k < n_sets; k++)
        json_decref(arrays[k]);
}

static void store_fini(struct store *st)
{
    json_decref(st->events);
    json_decref(st->rejected);
}

#define BASE "CREATE IMA IJR IMB "

/* A ban against a concurrent power level change. Alice gives bob 50 (PA);
 * then, in one fork, bob bans charlie (MB, authorised by PA); in the other,
 * alice takes bob's level away again (PB). Full conflicted set: PA, PB, MB and
 * IMC (in the auth difference: only MB's auth events reach it). All four are
 * in X. Power order: PA (alice 100) first; then PB (100) before IMC (0), and
 * MB (bob 50) last since it needs IMC. Replaying: PA ok, PB ok, IMC ok, MB
 * fails against PL = PB (bob 0 < ban 50). Charlie stays joined. */
TEST_CASE(matrix, state_res_ban_vs_power_levels)
{
    static const struct ev_row fork[] = {
        {"PA", "m.room.power_levels", "", "@alice:a", "{\"users\":{\"@alice:a\":100,\"@bob:b\":50}}",
         "CREATE IMA IPOWER", 10},
        {"MB", "m.room.member", "@charlie:c", "@bob:b", "{\"membership\":\"ban\"}",
         "CREATE PA IMB IMC", 11},
        {"PB", "m.room.power_levels", "", "@alice:a", PL_ALICE, "CREATE IMA PA", 12},
    };
    struct store st;
    store_init(&st, fork, 3);
    const char *sets[] = {BASE "PA MB", BASE "PB IMC"};
    check_resolution(__LINE__, "10", &st, sets, 2, BASE "PB IMC");
    /* The order of the state sets does not matter. */
    const char *swapped[] = {BASE "PB IMC", BASE "PA MB"};
    check_resolution(__LINE__, "10", &st, swapped, 2, BASE "PB IMC");
    /* Without the demotion, the ban stands. */
    const char *no_demotion[] = {BASE "PA MB", BASE "PA IMC"};
    check_resolution(__LINE__, "10", &st, no_demotion, 2, BASE "PA MB");
    /* Room version 2: auth_events are [event_id, {hashes}] pairs. */
    const char *key;
    json_t *ev;
    json_object_foreach(st.events, key, ev) {
        json_t *pairs = json_array();
        size_t i;
        json_t *id;
        json_array_foreach(json_object_get(ev, "auth_events"), i, id)
            json_array_append_new(pairs, json_pack("[O{s:s}]", id, "sha256", "x"));
        json_object_set_new(ev, "auth_events", pairs);
    }
    check_resolution(__LINE__, "2", &st, sets, 2, BASE "PB IMC");
    check_resolution(__LINE__, "2", &st, no_demotion, 2, BASE "PA MB");
    store_fini(&st);
}

/* A topic conflict resolved by the mainline. The power levels PA are the
 * same in both forks (unconflicted). T1 (bob, ts 12) cites PA; T2 (alice,
 * ts 15) cites the older IPOWER. Mainline of PA: [PA, IPOWER]; T1 sits at
 * position 0, T2 at 1, so T2 is applied first and T1 last: T1 wins although
 * it is older. */
TEST_CASE(matrix, state_res_topic_by_mainline)
{
    static const struct ev_row fork[] = {
        {"PA", "m.room.power_levels", "", "@alice:a", "{\"users\":{\"@alice:a\":100,\"@bob:b\":50}}",
         "CREATE IMA IPOWER", 10},
        {"T1", "m.room.topic", "", "@bob:b", "{\"topic\":\"one\"}", "CREATE PA IMB", 12},
        {"T2", "m.room.topic", "", "@alice:a", "{\"topic\":\"two\"}", "CREATE IPOWER IMA", 15},
        /* Same mainline position: origin_server_ts, then event ID decide. */
        {"T3", "m.room.topic", "", "@alice:a", "{\"topic\":\"three\"}", "CREATE PA IMA", 30},
        {"T4", "m.room.topic", "", "@bob:b", "{\"topic\":\"four\"}", "CREATE PA IMB", 25},
        {"T5", "m.room.topic", "", "@bob:b", "{\"topic\":\"five\"}", "CREATE PA IMB", 40},
        {"T6", "m.room.topic", "", "@alice:a", "{\"topic\":\"six\"}", "CREATE PA IMA", 40},
    };
    struct store st;
    store_init(&st, fork, 7);
    const char *sets[] = {BASE "PA T1", BASE "PA T2"};
    check_resolution(__LINE__, "10", &st, sets, 2, BASE "PA T1");
    const char *by_ts[] = {BASE "PA T3", BASE "PA T4"};
    check_resolution(__LINE__, "10", &st, by_ts, 2, BASE "PA T3");
    const char *by_id[] = {BASE "PA T6", BASE "PA T5"};
    check_resolution(__LINE__, "10", &st, by_id, 2, BASE "PA T6");
    const char *three[] = {BASE "PA T2", BASE "PA T4", BASE "PA T1"};
    check_resolution(__LINE__, "10", &st, three, 3, BASE "PA T4");
    store_fini(&st);
}

/* A join rule change against a concurrent join. Alice makes the room
 * invite-only (JR2) while eve joins under the public rule (IME). X = {IJR,
 * JR2} (both power events), applied in power order IJR then JR2; the leftover
 * IME is then checked against join_rules = JR2 and fails: eve is not in the
 * resolved state. */
TEST_CASE(matrix, state_res_join_rules_vs_join)
{
    static const struct ev_row fork[] = {
        {"JR2", "m.room.join_rules", "", "@alice:a", "{\"join_rule\":\"invite\"}",
         "CREATE IMA IPOWER", 10},
        {"IME", "m.room.member", "@eve:e", "@eve:e", JOIN, "CREATE IJR IPOWER", 11},
    };
    struct store st;
    store_init(&st, fork, 2);
    const char *sets[] = {"CREATE IMA IPOWER IMB JR2", "CREATE IMA IPOWER IMB IJR IME"};
    check_resolution(__LINE__, "10", &st, sets, 2, "CREATE IMA IPOWER IMB JR2");
    store_fini(&st);
}

/* A kick against a concurrent topic change by the kicked user. PA (the same
 * in both forks) gives bob 50, charlie 10 and the topic level 10. Full
 * conflicted set: KC, IMC (charlie's member key) and T. X = {KC} plus IMC from
 * KC's auth chain; IMC then KC pass (bob 50 >= kick 50 > charlie 10). The
 * leftover T is checked with charlie kicked and fails (rule 5). */
TEST_CASE(matrix, state_res_kick_then_topic)
{
    static const struct ev_row fork[] = {
        {"PA", "m.room.power_levels", "", "@alice:a",
         "{\"events\":{\"m.room.topic\":10},"
         "\"users\":{\"@alice:a\":100,\"@bob:b\":50,\"@charlie:c\":10}}",
         "CREATE IMA IPOWER", 10},
        {"KC", "m.room.member", "@charlie:c", "@bob:b", "{\"membership\":\"leave\"}",
         "CREATE PA IMB IMC", 11},
        {"T", "m.room.topic", "", "@charlie:c", "{\"topic\":\"mine\"}", "CREATE PA IMC", 12},
    };
    struct store st;
    store_init(&st, fork, 3);
    const char *sets[] = {BASE "PA KC", BASE "PA IMC T"};
    check_resolution(__LINE__, "10", &st, sets, 2, BASE "PA KC");
    store_fini(&st);
}

/* Rejected auth events are not used by the iterative auth checks. The room
 * has no power levels event. Bob's PX (giving himself 100) was rejected; his
 * topic TB cites PX. PX is in the auth difference and in X; it fails again
 * (bob has 0, state events need 50). TB's auth events without the rejected
 * PX give bob 0: TB fails too. Using PX would have let TB through. */
TEST_CASE(matrix, state_res_rejected_auth_events_ignored)
{
    static const struct ev_row fork[] = {
        {"JRN", "m.room.join_rules", "", "@alice:a", "{\"join_rule\":\"public\"}", "CREATE IMA",
         4},
        {"MBN", "m.room.member", "@bob:b", "@bob:b", JOIN, "CREATE JRN", 5},
        {"PX", "m.room.power_levels", "", "@bob:b", "{\"users\":{\"@bob:b\":100}}",
         "CREATE MBN", 6},
        {"TB", "m.room.topic", "", "@bob:b", "{\"topic\":\"b\"}", "CREATE PX MBN", 7},
        {"TA", "m.room.topic", "", "@alice:a", "{\"topic\":\"a\"}", "CREATE IMA", 8},
    };
    struct store st;
    store_init(&st, fork, 5);
    json_object_set_new(st.rejected, "PX", json_true());
    const char *sets[] = {"CREATE IMA JRN MBN TB", "CREATE IMA JRN MBN"};
    check_resolution(__LINE__, "10", &st, sets, 2, "CREATE IMA JRN MBN");
    /* Control: the creator's topic (100 without power levels) resolves in. */
    const char *ctl[] = {"CREATE IMA JRN MBN TA", "CREATE IMA JRN MBN"};
    check_resolution(__LINE__, "10", &st, ctl, 2, "CREATE IMA JRN MBN TA");
    /* And were PX not rejected, bob's topic would be accepted. */
    json_object_del(st.rejected, "PX");
    check_resolution(__LINE__, "10", &st, sets, 2, "CREATE IMA JRN MBN TB");
    store_fini(&st);
}

/* Degenerate inputs and errors. */
TEST_CASE(matrix, state_res_edges)
{
    static const struct ev_row fork[] = {
        {"BAD", "m.room.topic", "", "@alice:a", "{\"topic\":\"x\"}", "CREATE MISSING", 9},
    };
    struct store st;
    store_init(&st, fork, 1);
    /* One set, or identical sets: the state itself. */
    const char *one[] = {BASE "IPOWER IMC"};
    check_resolution(__LINE__, "10", &st, one, 1, BASE "IPOWER IMC");
    const char *same[] = {BASE "IPOWER IMC", BASE "IPOWER IMC", BASE "IPOWER IMC"};
    check_resolution(__LINE__, "4", &st, same, 3, BASE "IPOWER IMC");
    /* A missing auth event is an error, not a guess. */
    json_t *a = set_of(&st, BASE "IPOWER BAD");
    json_t *b = set_of(&st, BASE "IPOWER");
    const json_t *sets[] = {a, b};
    struct matrix_state_map out;
    ASSERT_INT_EQ(matrix_state_resolve_v2(matrix_room_version_find("10"), sets, 2, fetch, &st,
                                          NULL, &out),
                  ERR_NOT_FOUND);
    ASSERT_INT_EQ(matrix_state_map_len(&out), 0);
    matrix_state_map_fini(&out);
    /* The map holds exactly one reference per stored event, even when the
     * same event is put twice or replaced. */
    json_t *topic = json_pack("{s:s,s:s,s:s}", "event_id", "$t", "type", "m.room.topic",
                              "state_key", "");
    json_t *topic2 = json_deep_copy(topic);
    struct matrix_state_map m;
    matrix_state_map_init(&m);
    ASSERT_INT_EQ(matrix_state_map_put(&m, topic), 0);
    ASSERT_INT_EQ(matrix_state_map_put(&m, topic), 0);
    ASSERT_INT_EQ(topic->refcount, 2);
    ASSERT_INT_EQ(matrix_state_map_put(&m, topic2), 0);
    ASSERT_INT_EQ(topic->refcount, 1);
    ASSERT_TRUE(matrix_state_map_get(&m, "m.room.topic", "") == topic2);
    ASSERT_INT_EQ(matrix_state_map_put(&m, a), ERR_INVALID); /* not an event */
    matrix_state_map_fini(&m);
    ASSERT_INT_EQ(topic2->refcount, 1);
    json_decref(topic);
    json_decref(topic2);
    /* Room version 1 uses state resolution v1 (not implemented). */
    ASSERT_INT_EQ(matrix_state_resolve_v2(matrix_room_version_find("1"), sets, 2, fetch, &st, NULL,
                                          &out),
                  ERR_UNSUPPORTED);
    matrix_state_map_fini(&out);
    json_decref(a);
    json_decref(b);
    store_fini(&st);
}

/* ---- Reference scenarios ----
 *
 * The scenarios of Synapse's tests/state/test_v2.py (StateTestCase), used as
 * data only: an independent implementation's expected outcomes. A DAG is
 * given as chains of prev_events edges ("END MB MA PA START": END's prev is MB,
 * MB's is MA, ...). Nodes are processed in lexicographic topological order
 * (prevs first, ties by node ID), each getting the next origin_server_ts; the
 * state before a node is the state after its single prev, or the resolution
 * of the states after its prevs; auth_events come from the auth events
 * selection (matrix_auth_events_for) over the state before. Events are not
 * authorised while building, as in the reference. The check compares the
 * state at END on the keys that changed since START plus the expected keys. */

#define ALICE "@alice:example.com"
#define BOB "@bob:example.com"
#define CHARLIE "@charlie:example.com"
#define EVELYN "@evelyn:example.com"
#define ZARA "@zara:example.com"
#define PL_T "m.room.power_levels"

struct node {
    const char *id;        /* node ID; the event ID is "$<id>:example.com" */
    const char *sender;    /* sender */
    const char *type;      /* type */
    const char *state_key; /* NULL for a message */
    const char *content;   /* JSON */
};

static const struct node initial_nodes[] = {
    {"CREATE", ALICE, "m.room.create", "", "{\"creator\":\"" ALICE "\"}"},
    {"IMA", ALICE, "m.room.member", ALICE, JOIN},
    {"IPOWER", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100}}"},
    {"IJR", ALICE, "m.room.join_rules", "", "{\"join_rule\":\"public\"}"},
    {"IMB", BOB, "m.room.member", BOB, JOIN},
    {"IMC", CHARLIE, "m.room.member", CHARLIE, JOIN},
    {"IMZ", ZARA, "m.room.member", ZARA, JOIN},
    {"START", ZARA, "m.room.message", NULL, "{}"},
    {"END", ZARA, "m.room.message", NULL, "{}"},
};

#define MAX_NODES 24

struct scenario {
    const char *name;           /* the reference test's name */
    struct node nodes[8];       /* the scenario's own events */
    const char *chains[3];      /* prev_events chains, NULL-terminated */
    const char *expected;       /* node IDs expected in the state at END */
};

static const struct scenario scenarios[] = {
    {"ban_vs_pl",
     {{"PA", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"MA", ALICE, "m.room.member", ALICE, JOIN},
      {"MB", ALICE, "m.room.member", BOB, "{\"membership\":\"ban\"}"},
      {"PB", BOB, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"}},
     {"END MB MA PA START", "END PB PA", NULL},
     "PA MA MB"},
    {"join_rule_evasion",
     {{"JR", ALICE, "m.room.join_rules", "", "{\"join_rules\":\"private\"}"},
      {"ME", EVELYN, "m.room.member", EVELYN, JOIN}},
     {"END JR START", "END ME START", NULL},
     "JR"},
    {"offtopic_pl",
     {{"PA", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"PB", BOB, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50,\"" CHARLIE "\":50}}"},
      {"PC", CHARLIE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50,\"" CHARLIE "\":0}}"}},
     {"END PC PB PA START", "END PA", NULL},
     "PC"},
    {"topic_basic",
     {{"T1", ALICE, "m.room.topic", "", "{}"},
      {"PA1", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"T2", ALICE, "m.room.topic", "", "{}"},
      {"PA2", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":0}}"},
      {"PB", BOB, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"T3", BOB, "m.room.topic", "", "{}"}},
     {"END PA2 T2 PA1 T1 START", "END T3 PB PA1", NULL},
     "PA2 T2"},
    {"topic_reset",
     {{"T1", ALICE, "m.room.topic", "", "{}"},
      {"PA", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"T2", BOB, "m.room.topic", "", "{}"},
      {"MB", ALICE, "m.room.member", BOB, "{\"membership\":\"ban\"}"}},
     {"END MB T2 PA T1 START", "END T1", NULL},
     "T1 MB PA"},
    {"topic",
     {{"T1", ALICE, "m.room.topic", "", "{}"},
      {"PA1", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"T2", ALICE, "m.room.topic", "", "{}"},
      {"PA2", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":0}}"},
      {"PB", BOB, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"T3", BOB, "m.room.topic", "", "{}"},
      {"MZ1", ZARA, "m.room.message", NULL, "{}"},
      {"T4", ALICE, "m.room.topic", "", "{}"}},
     {"END T4 MZ1 PA2 T2 PA1 T1 START", "END MZ1 T3 PB PA1", NULL},
     "T4 PA2"},
    {"mainline_sort",
     {{"T1", ALICE, "m.room.topic", "", "{}"},
      {"PA1", ALICE, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"T2", ALICE, "m.room.topic", "", "{}"},
      {"PA2", ALICE, PL_T, "",
       "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50},\"events\":{\"" PL_T "\":100}}"},
      {"PB", BOB, PL_T, "", "{\"users\":{\"" ALICE "\":100,\"" BOB "\":50}}"},
      {"T3", BOB, "m.room.topic", "", "{}"},
      {"T4", ALICE, "m.room.topic", "", "{}"}},
     {"END T3 PA2 T2 PA1 T1 START", "END T4 PB PA1", NULL},
     "T3 PA2"},
};

struct graph {
    const struct node *nodes[MAX_NODES]; /* all nodes */
    size_t n;                            /* nodes used */
    unsigned prevs[MAX_NODES];           /* bit i: node i is a prev */
};

static size_t node_index(const struct graph *g, const char *id, size_t len)
{
    for (size_t i = 0; i < g->n; i++) {
        if (strlen(g->nodes[i]->id) == len && strncmp(g->nodes[i]->id, id, len) == 0)
            return i;
    }
    harness_fail(__FILE__, __LINE__, "unknown node %.*s", (int)len, id);
}

static void add_chain(struct graph *g, const char *chain)
{
    size_t prev = SIZE_MAX;
    for (const char *p = chain; *p;) {
        size_t len = strcspn(p, " ");
        size_t cur = node_index(g, p, len);
        if (prev != SIZE_MAX)
            g->prevs[prev] |= 1u << cur;
        prev = cur;
        p += len;
        while (*p == ' ')
            p++;
    }
}

static void collect_event(const json_t *event, void *ctx)
{
    json_array_append((json_t *)ctx, (json_t *)event);
}

static json_t *map_to_array(const struct matrix_state_map *m)
{
    json_t *a = json_array();
    matrix_state_map_each(m, collect_event, a);
    return a;
}

static const char *key_type(const json_t *ev)
{
    return json_string_value(json_object_get(ev, "type"));
}

static const char *key_sk(const json_t *ev)
{
    return json_string_value(json_object_get(ev, "state_key"));
}

static void run_scenario(const struct matrix_room_version *ver, const struct scenario *sc)
{
    struct graph g = {.n = 0};
    for (size_t i = 0; i < sizeof initial_nodes / sizeof initial_nodes[0]; i++)
        g.nodes[g.n++] = &initial_nodes[i];
    for (size_t i = 0; i < 8 && sc->nodes[i].id; i++)
        g.nodes[g.n++] = &sc->nodes[i];
    add_chain(&g, "START IMZ IMC IMB IJR IPOWER IMA CREATE");
    for (size_t i = 0; sc->chains[i]; i++)
        add_chain(&g, sc->chains[i]);

    struct store st = {json_object(), json_object(), NULL};
    struct matrix_state_map after[MAX_NODES];
    unsigned done = 0;
    int ts = 0;
    for (size_t step = 0; step < g.n; step++) {
        /* The ready node with the smallest ID. */
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < g.n; i++) {
            if (done & (1u << i) || (g.prevs[i] & ~done) != 0)
                continue;
            if (pick == SIZE_MAX || strcmp(g.nodes[i]->id, g.nodes[pick]->id) < 0)
                pick = i;
        }
        ASSERT_TRUE(pick != SIZE_MAX);
        const struct node *nd = g.nodes[pick];
        struct matrix_state_map *before = &after[pick];
        json_t *prev_ids = json_array();
        json_t *sets[MAX_NODES];
        size_t n_sets = 0;
        for (size_t i = 0; i < g.n; i++) {
            if (!(g.prevs[pick] & (1u << i)))
                continue;
            char id[64];
            snprintf(id, sizeof id, "$%s:example.com", g.nodes[i]->id);
            json_array_append_new(prev_ids, json_string(id));
            sets[n_sets++] = map_to_array(&after[i]);
        }
        if (n_sets <= 1) {
            matrix_state_map_init(before);
            if (n_sets == 1) {
                size_t k;
                json_t *ev;
                json_array_foreach(sets[0], k, ev) matrix_state_map_put(before, ev);
            }
        } else {
            int rc = matrix_state_resolve_v2(ver, (const json_t *const *)sets, n_sets, fetch, &st,
                                             NULL, before);
            if (rc)
                harness_fail(__FILE__, __LINE__, "%s: resolving at %s: %d", sc->name, nd->id, rc);
        }
        for (size_t i = 0; i < n_sets; i++)
            json_decref(sets[i]);

        char id[64];
        snprintf(id, sizeof id, "$%s:example.com", nd->id);
        json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:o,s:i,s:o}", "event_id", id, "room_id",
                               "!test:example.com", "sender", nd->sender, "type", nd->type,
                               "content", json_loads(nd->content, 0, NULL), "origin_server_ts",
                               ts++, "prev_events", prev_ids);
        if (nd->state_key)
            json_object_set_new(ev, "state_key", json_string(nd->state_key));
        struct matrix_auth_state as;
        matrix_state_map_auth_state(before, NULL, &as);
        json_t *auth = NULL;
        ASSERT_INT_EQ(matrix_auth_events_for(ver, ev, &as, &auth), 0);
        json_object_set_new(ev, "auth_events", auth);
        json_object_set_new(st.events, id, ev);
        /* The state after: the state before plus the event. The map for
         * this node becomes "after" in place. */
        if (nd->state_key)
            matrix_state_map_put(before, ev);
        done |= 1u << pick;
    }

    size_t start = node_index(&g, "START", 5), end = node_index(&g, "END", 3);
    /* Expected keys and event IDs. */
    json_t *want = json_object();
    for (const char *p = sc->expected; *p;) {
        size_t len = strcspn(p, " ");
        char id[64];
        snprintf(id, sizeof id, "$%.*s:example.com", (int)len, p);
        const json_t *ev = json_object_get(st.events, id);
        char key[128];
        snprintf(key, sizeof key, "%s|%s", key_type(ev), key_sk(ev));
        json_object_set_new(want, key, json_string(id));
        p += len;
        while (*p == ' ')
            p++;
    }
    json_t *end_state = map_to_array(&after[end]);
    json_t *got = json_object();
    size_t k;
    json_t *ev;
    json_array_foreach(end_state, k, ev) {
        char key[128];
        snprintf(key, sizeof key, "%s|%s", key_type(ev), key_sk(ev));
        const json_t *at_start = matrix_state_map_get(&after[start], key_type(ev), key_sk(ev));
        if (json_object_get(want, key) || at_start != ev)
            json_object_set(got, key, json_object_get(ev, "event_id"));
    }
    if (!json_equal(got, want)) {
        char *g_s = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
        char *w_s = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
        harness_fail(__FILE__, __LINE__, "v%s %s: got %s, want %s", ver->id, sc->name, g_s, w_s);
    }
    json_decref(got);
    json_decref(want);
    json_decref(end_state);
    for (size_t i = 0; i < g.n; i++)
        matrix_state_map_fini(&after[i]);
    store_fini(&st);
}

TEST_CASE(matrix, state_res_reference_scenarios)
{
    static const char *const versions[] = {"2", "6", "10"};
    for (size_t v = 0; v < 3; v++) {
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
            run_scenario(matrix_room_version_find(versions[v]), &scenarios[i]);
    }
}

/* ---- Room version 12: state resolution v2.1 ----
 *
 * The v12 base room: the create event "$CREATE" names the room "!CREATE" and
 * is never cited in auth_events; alice is the creator (infinite power) and is
 * not listed in the power levels.
 *   $CREATE  m.room.create by @alice:a             ts 1
 *   IMA      alice joins       auth -             ts 2
 *   IPOWER   {users: {bob: 50}} auth IMA           ts 3
 *   IJR      public             auth IMA IPOWER    ts 4
 *   IMB      bob joins          auth IJR IPOWER    ts 5
 *   IMC      charlie joins      auth IJR IPOWER    ts 6 */
static const struct ev_row base12_rows[] = {
    {"$CREATE", "m.room.create", "", "@alice:a", "{\"room_version\":\"12\"}", "", 1},
    {"IMA", "m.room.member", "@alice:a", "@alice:a", JOIN, "", 2},
    {"IPOWER", "m.room.power_levels", "", "@alice:a", "{\"users\":{\"@bob:b\":50}}", "IMA", 3},
    {"IJR", "m.room.join_rules", "", "@alice:a", "{\"join_rule\":\"public\"}", "IMA IPOWER",
     4},
    {"IMB", "m.room.member", "@bob:b", "@bob:b", JOIN, "IJR IPOWER", 5},
    {"IMC", "m.room.member", "@charlie:c", "@charlie:c", JOIN, "IJR IPOWER", 6},
};

static void store_init12(struct store *st, const struct ev_row *extra, size_t n_extra)
{
    st->events = json_object();
    st->rejected = json_object();
    st->room_id = "!CREATE";
    for (size_t i = 0; i < sizeof base12_rows / sizeof base12_rows[0]; i++)
        store_add(st, &base12_rows[i]);
    for (size_t i = 0; i < n_extra; i++)
        store_add(st, &extra[i]);
}

/* A power levels change made by bob before alice banned him. v2 (room
 * version 10 here) starts the iterative auth checks from the unconflicted
 * state, where bob is already banned, so his change PB fails and PA stays.
 * v2.1 starts from the empty state: the conflicted state subgraph (PB -> IMB
 * -> IJR -> IPOWER, all on auth paths between the conflicted PB and IPOWER)
 * is replayed in power order IPOWER, IJR, IMB, PB, with bob still joined, so
 * PB stands; the unconflicted ban is put back at the end. */
TEST_CASE(matrix, state_res_v21_starts_from_empty_state)
{
    static const struct ev_row fork12[] = {
        {"PB", "m.room.power_levels", "", "@bob:b",
         "{\"users\":{\"@bob:b\":50,\"@charlie:c\":10}}", "IPOWER IMB", 10},
        {"BAN", "m.room.member", "@bob:b", "@alice:a", "{\"membership\":\"ban\"}",
         "IMA IPOWER IMB", 11},
    };
    struct store st;
    store_init12(&st, fork12, 2);
    const char *sets[] = {"$CREATE IMA IJR BAN PB", "$CREATE IMA IJR BAN IPOWER"};
    check_resolution(__LINE__, "12", &st, sets, 2, "$CREATE IMA IJR BAN PB");
    store_fini(&st);

    static const struct ev_row fork10[] = {
        {"PA", "m.room.power_levels", "", "@alice:a",
         "{\"users\":{\"@alice:a\":100,\"@bob:b\":50}}", "CREATE IMA IPOWER", 10},
        {"PB", "m.room.power_levels", "", "@bob:b",
         "{\"users\":{\"@alice:a\":100,\"@bob:b\":50,\"@charlie:c\":10}}", "CREATE PA IMB", 11},
        {"BAN", "m.room.member", "@bob:b", "@alice:a", "{\"membership\":\"ban\"}",
         "CREATE IMA PA IMB", 12},
    };
    store_init(&st, fork10, 3);
    const char *sets10[] = {"CREATE IMA IJR IMC BAN PB", "CREATE IMA IJR IMC BAN PA"};
    check_resolution(__LINE__, "10", &st, sets10, 2, "CREATE IMA IJR IMC BAN PA");
    store_fini(&st);
}

/* The ban against a concurrent power level change again, in a v12 room:
 * alice (creator) gives bob 50 (PA); bob bans charlie (MB); alice takes it
 * back (PB). Creators sort first (infinite power): PA, PB, then IMC and MB;
 * MB fails under PB. */
TEST_CASE(matrix, state_res_v21_ban_vs_power_levels)
{
    static const struct ev_row fork[] = {
        {"PA", "m.room.power_levels", "", "@alice:a", "{\"users\":{\"@bob:b\":50}}",
         "IMA IPOWER", 10},
        {"MB", "m.room.member", "@charlie:c", "@bob:b", "{\"membership\":\"ban\"}",
         "PA IMB IMC", 11},
        {"PB", "m.room.power_levels", "", "@alice:a", "{\"users\":{}}", "IMA PA", 12},
    };
    struct store st;
    store_init12(&st, fork, 3);
    const char *sets[] = {"$CREATE IMA IJR IMB PA MB", "$CREATE IMA IJR IMB PB IMC"};
    check_resolution(__LINE__, "12", &st, sets, 2, "$CREATE IMA IJR IMB PB IMC");
    const char *no_demotion[] = {"$CREATE IMA IJR IMB PA MB", "$CREATE IMA IJR IMB PA IMC"};
    check_resolution(__LINE__, "12", &st, no_demotion, 2, "$CREATE IMA IJR IMB PA MB");
    /* Without the create event the room ID names, nothing conflicted can
     * pass (v12 rule 2); the unconflicted state is all that is left. */
    const char *no_create[] = {"IMA IJR IMB PA MB", "IMA IJR IMB PA IMC"};
    json_object_del(st.events, "$CREATE");
    check_resolution(__LINE__, "12", &st, no_create, 2, "IMA IJR IMB PA");
    store_fini(&st);
}

/* The conflicted state subgraph at work. Alice made the room invite-only
 * (JR2, cited by both forks' invites, so it is in every auth chain and in
 * both states: not conflicted, not in the auth difference). Dave's join DJ
 * cites the old public rule IJR. JR2 lies on the path INV_E -> JR2 -> IPOWER
 * between conflicted events, so v2.1 replays it (power order IPOWER, IJR,
 * JR2, PA) before the mainline-ordered members; DJ is then checked against
 * JR2 and fails. Without the subgraph, the partial state would hold IJR and
 * dave would get in. */
TEST_CASE(matrix, state_res_v21_conflicted_subgraph)
{
    static const struct ev_row fork[] = {
        {"JR2", "m.room.join_rules", "", "@alice:a", "{\"join_rule\":\"invite\"}", "IMA IPOWER", 10},
        {"PA", "m.room.power_levels", "", "@alice:a", "{\"users\":{\"@bob:b\":50,\"@carol:c\":5}}",
         "IMA IPOWER", 11},
        {"INV_E", "m.room.member", "@eve:e", "@alice:a", "{\"membership\":\"invite\"}",
         "IMA IPOWER JR2", 12},
        {"INV_F", "m.room.member", "@frank:f", "@alice:a", "{\"membership\":\"invite\"}",
         "IMA PA JR2", 13},
        {"DJ", "m.room.member", "@dave:d", "@dave:d", JOIN, "IJR IPOWER", 14},
    };
    struct store st;
    store_init12(&st, fork, 5);
    const char *sets[] = {"$CREATE IMA JR2 PA DJ INV_F", "$CREATE IMA JR2 IPOWER INV_E"};
    check_resolution(__LINE__, "12", &st, sets, 2, "$CREATE IMA JR2 PA INV_E INV_F");
    store_fini(&st);
}

/* Hostile and large inputs: an auth_events cycle (possible with the
 * sender-chosen event IDs of v1-2) is refused, not looped on; two forks of
 * 1,500 power levels changes each resolve without recursion, to the later
 * chain's tip (all by alice at 100: ordered by origin_server_ts). */
TEST_CASE(matrix, state_res_cycles_and_long_chains)
{
    static const struct ev_row cycle[] = {
        {"CA", "m.room.power_levels", "", "@alice:a", PL_ALICE, "CREATE IMA CB", 10},
        {"CB", "m.room.power_levels", "", "@alice:a", PL_ALICE, "CREATE IMA CA", 11},
    };
    struct store st;
    store_init(&st, cycle, 2);
    json_t *a = set_of(&st, BASE "CA");
    json_t *b = set_of(&st, BASE "CB");
    const json_t *sets[] = {a, b};
    struct matrix_state_map out;
    ASSERT_INT_EQ(matrix_state_resolve_v2(matrix_room_version_find("2"), sets, 2, fetch, &st, NULL,
                                          &out),
                  ERR_INVALID);
    matrix_state_map_fini(&out);
    json_decref(a);
    json_decref(b);
    store_fini(&st);

    static const char *const vers[] = {"10", "12"};
    for (size_t v = 0; v < 2; v++) {
        bool v12 = strcmp(vers[v], "12") == 0;
        if (v12)
            store_init12(&st, NULL, 0);
        else
            store_init(&st, NULL, 0);
        enum { N = 1500 };
        char tips[2][32];
        for (int f = 0; f < 2; f++) {
            char prev[32];
            snprintf(prev, sizeof prev, "IPOWER");
            for (int k = 0; k < N; k++) {
                char id[32], auth[96];
                snprintf(id, sizeof id, "P%c%d", 'a' + f, k);
                snprintf(auth, sizeof auth, "%sIMA %s", v12 ? "" : "CREATE ", prev);
                struct ev_row r = {id, "m.room.power_levels", "", "@alice:a",
                                   v12 ? "{\"users\":{\"@bob:b\":1}}" : PL_ALICE, auth,
                                   100 + 2 * k + f};
                store_add(&st, &r);
                snprintf(prev, sizeof prev, "%s", id);
            }
            snprintf(tips[f], sizeof tips[f], "%s", prev);
        }
        char s1[128], s2[128], want[128];
        const char *base = v12 ? "$CREATE IMA IJR IMB " : BASE;
        snprintf(s1, sizeof s1, "%s%s", base, tips[0]);
        snprintf(s2, sizeof s2, "%s%s", base, tips[1]);
        snprintf(want, sizeof want, "%s%s", base, tips[1]);
        const char *long_sets[] = {s1, s2};
        check_resolution(__LINE__, vers[v], &st, long_sets, 2, want);
        store_fini(&st);
    }
}
