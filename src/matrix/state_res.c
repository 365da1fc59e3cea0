/* state_res.c: state maps and state resolution v2 and v2.1 (see state_res.h).
 *
 * Design notes (spec: rooms/v2 "State resolution"):
 *  1. Every event the algorithm touches gets one slot in struct sr's table,
 *     found by event ID through a map; slots are referred to by index because
 *     the table grows. A slot holds a reference to the event.
 *  2. The auth chain of a state set is the union of the auth chains of its
 *     events, not the events themselves (spec "Auth chain"). Each set's walk
 *     uses a fresh stamp; chain_count counts the sets that reach an event. The
 *     auth difference is every event reached by some but not all sets.
 *  3. "Power events and the events of their auth chains that are in the full
 *     conflicted set" is one walk from all power events at once.
 *  4. The reverse topological power ordering needs the auth DAG restricted to
 *     X. An edge a -> x is added when a is in X and reachable from x through
 *     auth events that are not in X, so the order respects every ancestor
 *     relation, not only direct auth_events links.
 *  5. Iterative auth checks: an event is checked against its own non-rejected
 *     auth events, overridden by the partially resolved state for each key the
 *     auth events selection names (when that state event is not rejected).
 *     Events rejected at their state are checked like any other (spec
 *     "Rejected events").
 *  6. v2.1 only: add_conflicted_subgraph adds the events on auth paths between
 *     conflicted events, and step 2 starts from the empty state.
 * Efficiency is not the goal yet: the per-event walks of note 4 and the
 * mainline walks are linear in the auth chain each. */
#include "matrix/state_res.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "matrix/power.h"
#include "matrix/versions.h"

/* ---- state maps ---- */

static void event_unref(void *v)
{
    json_decref(v);
}

/* Builds "type\0state_key" into *key (owned; free()). */
static char *state_key_of(const char *type, const char *state_key, size_t *len)
{
    size_t tl = strlen(type), sl = strlen(state_key);
    char *k = xmalloc(tl + sl + 2);
    memcpy(k, type, tl + 1);
    memcpy(k + tl + 1, state_key, sl + 1);
    *len = tl + 1 + sl;
    return k;
}

void matrix_state_map_init(struct matrix_state_map *sm)
{
    map_init(&sm->m, event_unref);
}

void matrix_state_map_fini(struct matrix_state_map *sm)
{
    map_fini(&sm->m);
}

int matrix_state_map_put(struct matrix_state_map *sm, json_t *event)
{
    const char *type = json_string_value(json_object_get(event, "type"));
    const char *sk = json_string_value(json_object_get(event, "state_key"));
    if (!type || !sk)
        return ERR_INVALID;
    size_t len;
    char *k = state_key_of(type, sk, &len);
    /* map_put keeps an identical value without destroying it: take a new
     * reference only for a new value. */
    if (map_get(&sm->m, k, len) != event)
        map_put(&sm->m, k, len, json_incref(event));
    free(k);
    return 0;
}

const json_t *matrix_state_map_get(const struct matrix_state_map *sm, const char *type,
                                   const char *state_key)
{
    size_t tl = strlen(type), sl = strlen(state_key);
    char small[512];
    if (tl + sl + 2 <= sizeof small) {
        /* The common case, without an allocation per lookup. */
        memcpy(small, type, tl + 1);
        memcpy(small + tl + 1, state_key, sl + 1);
        return map_get(&sm->m, small, tl + 1 + sl);
    }
    size_t len;
    char *k = state_key_of(type, state_key, &len);
    const json_t *ev = map_get(&sm->m, k, len);
    free(k);
    return ev;
}

size_t matrix_state_map_len(const struct matrix_state_map *sm)
{
    return sm->m.len;
}

struct each_ctx {
    void (*fn)(const json_t *event, void *ctx); /* caller's function */
    void *ctx;                                  /* caller's context */
};

static void each_tramp(const char *key, size_t key_len, void *value, void *ctx)
{
    (void)key;
    (void)key_len;
    struct each_ctx *e = ctx;
    e->fn(value, e->ctx);
}

void matrix_state_map_each(const struct matrix_state_map *sm,
                           void (*fn)(const json_t *event, void *ctx), void *ctx)
{
    struct each_ctx e = {fn, ctx};
    map_each(&sm->m, each_tramp, &e);
}

static const json_t *map_lookup(void *ctx, const char *type, const char *state_key)
{
    return matrix_state_map_get(ctx, type, state_key);
}

void matrix_state_map_auth_state(const struct matrix_state_map *sm,
                                 const struct matrix_auth_verify *verify,
                                 struct matrix_auth_state *st)
{
    st->get = map_lookup;
    st->ctx = (void *)sm;
    st->verify = verify;
}

/* ---- the event table ---- */

struct sr_event {
    json_t *ev;          /* one reference owned */
    const char *id;      /* borrowed from ev */
    bool rejected;       /* rejected (from fetch) */
    bool auth_loaded;    /* auth[] filled */
    size_t *auth;        /* owned; table indexes of the auth events */
    size_t n_auth;       /* entries in auth */
    size_t chain_count;  /* state sets whose auth chain contains the event */
    size_t mark;         /* walk stamp */
    bool conflicted;     /* in the conflicted state set */
    bool full;           /* in the full conflicted set */
    uint8_t dfs;         /* subgraph search: 0 new, 1 on the stack, 2 done */
    bool reaches;        /* subgraph search: reaches a conflicted event */
    size_t dfs_next;     /* subgraph search: next auth event to visit */
    bool in_x;           /* in X (power events and their conflicted auth chains) */
    int64_t power;       /* sender's power level from the event's auth events */
    int64_t ts;          /* origin_server_ts */
    size_t xpos;         /* position in the list of X while sorting it */
};

struct sr {
    const struct matrix_room_version *ver; /* borrowed */
    matrix_event_fetch_fn fetch;           /* auth event source */
    void *fetch_ctx;                       /* passed to fetch */
    const struct matrix_auth_verify *verify; /* borrowed, may be NULL */
    struct sr_event *evs;                  /* owned, len entries */
    size_t len;                            /* events in the table */
    size_t cap;                            /* slots allocated */
    struct map ids;                        /* event_id -> (void *)(index + 1) */
    size_t stamp;                          /* last walk stamp handed out */
    size_t *stack;                         /* owned walk stack */
    size_t stack_len;                      /* entries on stack */
    size_t stack_cap;                      /* slots in stack */
};

static const char *jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void sr_fini(struct sr *s)
{
    for (size_t i = 0; i < s->len; i++) {
        json_decref(s->evs[i].ev);
        free(s->evs[i].auth);
    }
    free(s->evs);
    free(s->stack);
    map_fini(&s->ids);
}

/* Adds ev (a reference is taken) unless its ID is known; *idx gets its slot. */
static int sr_add(struct sr *s, const json_t *ev, bool rejected, size_t *idx)
{
    const char *id = jstr(ev, "event_id");
    if (!id)
        return ERR_INVALID;
    void *known = map_get(&s->ids, id, strlen(id));
    if (known) {
        *idx = (size_t)(uintptr_t)known - 1;
        return 0;
    }
    if (s->len >= MATRIX_STATE_RES_MAX_EVENTS)
        return ERR_TOO_LARGE;
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->evs = xrealloc(s->evs, s->cap * sizeof *s->evs);
    }
    struct sr_event *e = &s->evs[s->len];
    memset(e, 0, sizeof *e);
    e->ev = json_incref((json_t *)ev);
    e->id = id;
    e->rejected = rejected;
    e->ts = json_integer_value(json_object_get(ev, "origin_server_ts"));
    map_put(&s->ids, id, strlen(id), (void *)(uintptr_t)(s->len + 1));
    *idx = s->len++;
    return 0;
}

static int sr_lookup(struct sr *s, const char *id, size_t *idx)
{
    void *known = map_get(&s->ids, id, strlen(id));
    if (known) {
        *idx = (size_t)(uintptr_t)known - 1;
        return 0;
    }
    const json_t *ev = NULL;
    bool rejected = false;
    if (!s->fetch || s->fetch(s->fetch_ctx, id, &ev, &rejected) != 0 || !ev)
        return ERR_NOT_FOUND;
    const char *got = jstr(ev, "event_id");
    if (!got || strcmp(got, id) != 0)
        return ERR_INVALID;
    return sr_add(s, ev, rejected, idx);
}

/* Fills evs[idx].auth from its auth_events ([id, hashes] pairs in v1-2). */
static int sr_load_auth(struct sr *s, size_t idx)
{
    if (s->evs[idx].auth_loaded)
        return 0;
    const json_t *list = json_object_get(s->evs[idx].ev, "auth_events");
    size_t n = json_array_size(list);
    size_t *auth = n ? xcalloc(n, sizeof *auth) : NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *entry = json_array_get(list, i);
        if (json_is_array(entry))
            entry = json_array_get(entry, 0);
        const char *id = json_string_value(entry);
        int rc = id ? sr_lookup(s, id, &auth[i]) : ERR_INVALID;
        if (rc) {
            free(auth);
            return rc;
        }
    }
    s->evs[idx].auth = auth;
    s->evs[idx].n_auth = n;
    s->evs[idx].auth_loaded = true;
    return 0;
}

static void sr_push(struct sr *s, size_t idx)
{
    if (s->stack_len == s->stack_cap) {
        s->stack_cap = s->stack_cap ? s->stack_cap * 2 : 64;
        s->stack = xrealloc(s->stack, s->stack_cap * sizeof *s->stack);
    }
    s->stack[s->stack_len++] = idx;
}

static void list_push(size_t **v, size_t *len, size_t *cap, size_t x)
{
    if (*len == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *v = xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*len)++] = x;
}

enum walk_mode {
    WALK_COUNT,     /* chain_count++ on every event reached */
    WALK_MARK_X,    /* put every reached event of the full conflicted set into X */
    WALK_COLLECT_X, /* collect the X events reached, without walking past them */
};

/* Walks the auth chains of starts[0..n) (not the starts themselves). For
 * WALK_COLLECT_X the X events found are appended to *found (owned). */
static int sr_walk(struct sr *s, const size_t *starts, size_t n, enum walk_mode mode,
                   size_t **found, size_t *n_found, size_t *found_cap)
{
    size_t stamp = ++s->stamp;
    s->stack_len = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = sr_load_auth(s, starts[i]);
        if (rc)
            return rc;
        for (size_t k = 0; k < s->evs[starts[i]].n_auth; k++)
            sr_push(s, s->evs[starts[i]].auth[k]);
    }
    while (s->stack_len > 0) {
        size_t idx = s->stack[--s->stack_len];
        struct sr_event *e = &s->evs[idx];
        if (e->mark == stamp)
            continue;
        e->mark = stamp;
        if (mode == WALK_COUNT) {
            e->chain_count++;
        } else if (mode == WALK_MARK_X) {
            if (e->full)
                e->in_x = true;
        } else if (e->in_x) {
            list_push(found, n_found, found_cap, idx);
            continue;
        }
        int rc = sr_load_auth(s, idx);
        if (rc)
            return rc;
        e = &s->evs[idx];
        for (size_t k = 0; k < e->n_auth; k++)
            sr_push(s, e->auth[k]);
    }
    return 0;
}

static bool is_power_event(const json_t *ev)
{
    const char *type = jstr(ev, "type");
    const char *sk = jstr(ev, "state_key");
    if (!type || !sk)
        return false;
    if (strcmp(type, "m.room.power_levels") == 0 || strcmp(type, "m.room.join_rules") == 0)
        return true;
    if (strcmp(type, "m.room.member") != 0)
        return false;
    const char *m = jstr(json_object_get(ev, "content"), "membership");
    const char *sender = jstr(ev, "sender");
    return m && (strcmp(m, "leave") == 0 || strcmp(m, "ban") == 0) &&
           !(sender && strcmp(sender, sk) == 0);
}

/* The auth event of idx with (type, ""), or SIZE_MAX. */
static int sr_auth_of_type(struct sr *s, size_t idx, const char *type, size_t *out)
{
    int rc = sr_load_auth(s, idx);
    if (rc)
        return rc;
    *out = SIZE_MAX;
    const struct sr_event *e = &s->evs[idx];
    for (size_t k = 0; k < e->n_auth; k++) {
        const json_t *a = s->evs[e->auth[k]].ev;
        const char *sk = jstr(a, "state_key");
        if (sk && sk[0] == '\0' && strcmp(jstr(a, "type") ? jstr(a, "type") : "", type) == 0) {
            *out = e->auth[k];
            break;
        }
    }
    return 0;
}

/* The room's create event for idx: from its auth events (v1-11), or the
 * event its room ID names (v12). *out is SIZE_MAX when there is none. */
static int sr_create_of(struct sr *s, size_t idx, size_t *out)
{
    if (s->ver->create_in_auth_events)
        return sr_auth_of_type(s, idx, "m.room.create", out);
    *out = SIZE_MAX;
    const char *rid = jstr(s->evs[idx].ev, "room_id");
    if (!rid || rid[0] != '!')
        return 0;
    size_t len = strlen(rid);
    char *id = xmalloc(len + 1);
    id[0] = '$';
    memcpy(id + 1, rid + 1, len);
    size_t c;
    int rc = sr_lookup(s, id, &c);
    free(id);
    if (rc == 0)
        *out = c;
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* ---- conflicted state subgraph (state resolution v2.1, room version 12) ---- */

/* Puts into the full conflicted set every event on an auth_events path
 * between two events of the conflicted state set: a depth-first search down
 * from each conflicted event; an event is on such a path when one of its
 * auth ancestors (or itself) is conflicted. */
static int add_conflicted_subgraph(struct sr *s)
{
    int rc = 0;
    size_t n_roots = s->len; /* events added while searching are not roots */
    for (size_t r = 0; r < n_roots && rc == 0; r++) {
        if (!s->evs[r].conflicted || s->evs[r].dfs != 0)
            continue;
        s->stack_len = 0;
        s->evs[r].dfs = 1;
        sr_push(s, r);
        while (s->stack_len > 0 && rc == 0) {
            size_t v = s->stack[s->stack_len - 1];
            rc = sr_load_auth(s, v);
            if (rc)
                break;
            struct sr_event *e = &s->evs[v];
            if (e->dfs_next < e->n_auth) {
                size_t child = e->auth[e->dfs_next++];
                if (s->evs[child].dfs == 0) {
                    s->evs[child].dfs = 1;
                    sr_push(s, child);
                }
                continue;
            }
            bool reaches = e->conflicted;
            for (size_t k = 0; k < e->n_auth && !reaches; k++)
                reaches = s->evs[e->auth[k]].dfs == 2 && s->evs[e->auth[k]].reaches;
            e->reaches = reaches;
            e->dfs = 2;
            if (reaches)
                e->full = true;
            s->stack_len--;
        }
    }
    return rc;
}

/* ---- reverse topological power ordering ---- */

/* x < y: greater sender power, then smaller origin_server_ts, then event ID. */
static bool power_less(const struct sr *s, size_t x, size_t y)
{
    const struct sr_event *a = &s->evs[x], *b = &s->evs[y];
    if (a->power != b->power)
        return a->power > b->power;
    if (a->ts != b->ts)
        return a->ts < b->ts;
    return strcmp(a->id, b->id) < 0;
}

static void heap_push(const struct sr *s, size_t *h, size_t *n, size_t x)
{
    size_t i = (*n)++;
    h[i] = x;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!power_less(s, h[i], h[parent]))
            break;
        size_t t = h[i];
        h[i] = h[parent];
        h[parent] = t;
        i = parent;
    }
}

static size_t heap_pop(const struct sr *s, size_t *h, size_t *n)
{
    size_t top = h[0];
    h[0] = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && power_less(s, h[l], h[m]))
            m = l;
        if (r < *n && power_less(s, h[r], h[m]))
            m = r;
        if (m == i)
            break;
        size_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
    return top;
}

/* Sorts xs[0..n) (table indexes of X) in place. */
static int sort_power(struct sr *s, size_t *xs, size_t n)
{
    int rc = 0;
    size_t *indeg = xcalloc(n ? n : 1, sizeof *indeg);
    size_t **succ = xcalloc(n ? n : 1, sizeof *succ);
    size_t *succ_len = xcalloc(n ? n : 1, sizeof *succ_len);
    size_t *succ_cap = xcalloc(n ? n : 1, sizeof *succ_cap);
    size_t *heap = xcalloc(n ? n : 1, sizeof *heap);
    size_t *found = NULL, n_found = 0, found_cap = 0, n_heap = 0, n_out = 0;
    for (size_t i = 0; i < n; i++)
        s->evs[xs[i]].xpos = i;
    for (size_t i = 0; i < n; i++) {
        /* The sender's power level "when looking at their auth_events". */
        size_t pl, create;
        rc = sr_auth_of_type(s, xs[i], "m.room.power_levels", &pl);
        if (rc == 0)
            rc = sr_create_of(s, xs[i], &create);
        if (rc)
            goto out;
        struct sr_event *e = &s->evs[xs[i]];
        e->power = matrix_power_user_level(s->ver, create == SIZE_MAX ? NULL : s->evs[create].ev,
                                           pl == SIZE_MAX ? NULL : s->evs[pl].ev,
                                           jstr(e->ev, "sender"));
        n_found = 0;
        rc = sr_walk(s, &xs[i], 1, WALK_COLLECT_X, &found, &n_found, &found_cap);
        if (rc)
            goto out;
        for (size_t k = 0; k < n_found; k++) {
            size_t p = s->evs[found[k]].xpos;
            list_push(&succ[p], &succ_len[p], &succ_cap[p], i);
            indeg[i]++;
        }
    }
    /* Kahn's algorithm, taking the smallest candidate each time. */
    for (size_t i = 0; i < n; i++) {
        if (indeg[i] == 0)
            heap_push(s, heap, &n_heap, xs[i]);
    }
    size_t *sorted = xcalloc(n ? n : 1, sizeof *sorted);
    while (n_heap > 0) {
        size_t x = heap_pop(s, heap, &n_heap);
        sorted[n_out++] = x;
        size_t p = s->evs[x].xpos;
        for (size_t k = 0; k < succ_len[p]; k++) {
            size_t q = succ[p][k];
            if (--indeg[q] == 0)
                heap_push(s, heap, &n_heap, xs[q]);
        }
    }
    if (n_out != n) {
        rc = ERR_INVALID; /* a cycle in auth_events: impossible for hashed event IDs */
    } else if (n > 0) {
        memcpy(xs, sorted, n * sizeof *xs);
    }
    free(sorted);
out:
    for (size_t i = 0; i < n; i++)
        free(succ[i]);
    free(succ);
    free(succ_len);
    free(succ_cap);
    free(indeg);
    free(heap);
    free(found);
    return rc;
}

/* ---- mainline ordering ---- */

struct mainline_key {
    size_t pos;      /* mainline position, SIZE_MAX for none */
    int64_t ts;      /* origin_server_ts */
    const char *id;  /* event ID */
    size_t idx;      /* table index */
};

static int mainline_cmp(const void *pa, const void *pb)
{
    const struct mainline_key *a = pa, *b = pb;
    if (a->pos != b->pos)
        return a->pos > b->pos ? -1 : 1; /* greater position sorts first */
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* Sorts ys[0..n) by the mainline of the power levels event in partial. */
static int sort_mainline(struct sr *s, const struct matrix_state_map *partial, size_t *ys,
                         size_t n)
{
    struct map mainline; /* event_id -> (void *)(position + 1) */
    map_init(&mainline, NULL);
    struct mainline_key *keys = xcalloc(n ? n : 1, sizeof *keys);
    int rc = 0;
    const json_t *p0 = matrix_state_map_get(partial, "m.room.power_levels", "");
    if (p0) {
        size_t idx;
        rc = sr_lookup(s, jstr(p0, "event_id"), &idx);
        for (size_t i = 0; rc == 0 && idx != SIZE_MAX && i < s->len; i++) {
            const char *id = s->evs[idx].id;
            if (map_get(&mainline, id, strlen(id)))
                break;
            map_put(&mainline, id, strlen(id), (void *)(uintptr_t)(i + 1));
            rc = sr_auth_of_type(s, idx, "m.room.power_levels", &idx);
        }
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        keys[i].pos = SIZE_MAX;
        keys[i].ts = s->evs[ys[i]].ts;
        keys[i].id = s->evs[ys[i]].id;
        keys[i].idx = ys[i];
        /* e_1, e_2, ...: the power levels events up e's auth events; e itself
         * is not considered. */
        size_t cur = ys[i];
        for (size_t steps = 0; rc == 0 && steps <= s->len; steps++) {
            rc = sr_auth_of_type(s, cur, "m.room.power_levels", &cur);
            if (rc || cur == SIZE_MAX)
                break;
            void *pos = map_get(&mainline, s->evs[cur].id, strlen(s->evs[cur].id));
            if (pos) {
                keys[i].pos = (size_t)(uintptr_t)pos - 1;
                break;
            }
        }
    }
    if (rc == 0) {
        qsort(keys, n, sizeof *keys, mainline_cmp);
        for (size_t i = 0; i < n; i++)
            ys[i] = keys[i].idx;
    }
    free(keys);
    map_fini(&mainline);
    return rc;
}

/* ---- iterative auth checks ---- */

struct small_state {
    const json_t **evs; /* borrowed events */
    size_t n;           /* entries used */
};

static const json_t *small_get(void *ctx, const char *type, const char *state_key)
{
    const struct small_state *ss = ctx;
    for (size_t i = 0; i < ss->n; i++) {
        const char *t = jstr(ss->evs[i], "type");
        const char *sk = jstr(ss->evs[i], "state_key");
        if (t && sk && strcmp(t, type) == 0 && strcmp(sk, state_key) == 0)
            return ss->evs[i];
    }
    return NULL;
}

/* Puts ev into ss, replacing an entry with the same key. */
static void small_put(struct small_state *ss, const json_t *ev)
{
    const char *t = jstr(ev, "type");
    const char *sk = jstr(ev, "state_key");
    if (!t || !sk)
        return;
    for (size_t i = 0; i < ss->n; i++) {
        const char *t2 = jstr(ss->evs[i], "type");
        const char *sk2 = jstr(ss->evs[i], "state_key");
        if (strcmp(t, t2) == 0 && strcmp(sk, sk2) == 0) {
            ss->evs[i] = ev;
            return;
        }
    }
    ss->evs[ss->n++] = ev;
}

static bool sr_is_rejected(struct sr *s, const json_t *ev)
{
    const char *id = jstr(ev, "event_id");
    void *known = id ? map_get(&s->ids, id, strlen(id)) : NULL;
    return known && s->evs[(size_t)(uintptr_t)known - 1].rejected;
}

static int iterate_auth(struct sr *s, struct matrix_state_map *partial, const size_t *order,
                        size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t idx = order[i];
        int rc = sr_load_auth(s, idx);
        if (rc)
            return rc;
        const struct sr_event *e = &s->evs[idx];
        if (!jstr(e->ev, "state_key"))
            continue;
        struct matrix_state_key keys[MATRIX_AUTH_TYPES_MAX];
        size_t n_keys = matrix_auth_types_for(s->ver, e->ev, keys);
        struct small_state ss = {xcalloc(e->n_auth + n_keys + 1, sizeof *ss.evs), 0};
        for (size_t k = 0; k < e->n_auth; k++) {
            if (!s->evs[e->auth[k]].rejected)
                small_put(&ss, s->evs[e->auth[k]].ev);
        }
        for (size_t k = 0; k < n_keys; k++) {
            const json_t *cur = matrix_state_map_get(partial, keys[k].type, keys[k].state_key);
            if (cur && !sr_is_rejected(s, cur))
                small_put(&ss, cur);
        }
        if (!s->ver->create_in_auth_events) {
            /* v12: the create event is named by the room ID, not cited. */
            size_t c;
            rc = sr_create_of(s, idx, &c);
            if (rc) {
                free(ss.evs);
                return rc;
            }
            if (c != SIZE_MAX && !s->evs[c].rejected)
                small_put(&ss, s->evs[c].ev);
            e = &s->evs[idx];
        }
        struct matrix_auth_state st = {small_get, &ss, s->verify};
        if (matrix_auth_check(s->ver, e->ev, &st, NULL, 0) == 0)
            matrix_state_map_put(partial, e->ev);
        free(ss.evs);
    }
    return 0;
}

/* ---- the algorithm ---- */

struct split_ctx {
    struct sr *s;                        /* event table */
    struct matrix_state_map *sets;       /* the state sets as maps */
    size_t n_sets;                       /* entries in sets */
    struct matrix_state_map *unconflicted; /* out */
};

/* Classifies one key of one set: unconflicted when every set has the same
 * event for it, otherwise every event for it is conflicted. */
static void split_key(const char *key, size_t key_len, void *value, void *ctx)
{
    (void)value;
    struct split_ctx *c = ctx;
    const json_t *first = map_get(&c->sets[0].m, key, key_len);
    bool same = first != NULL;
    for (size_t j = 1; same && j < c->n_sets; j++) {
        const json_t *ev = map_get(&c->sets[j].m, key, key_len);
        same = ev && strcmp(jstr(ev, "event_id"), jstr(first, "event_id")) == 0;
    }
    if (same) {
        matrix_state_map_put(c->unconflicted, (json_t *)first);
        return;
    }
    for (size_t j = 0; j < c->n_sets; j++) {
        const json_t *ev = map_get(&c->sets[j].m, key, key_len);
        if (!ev)
            continue;
        const char *id = jstr(ev, "event_id");
        void *known = map_get(&c->s->ids, id, strlen(id));
        c->s->evs[(size_t)(uintptr_t)known - 1].conflicted = true;
        c->s->evs[(size_t)(uintptr_t)known - 1].full = true;
    }
}

struct starts_ctx {
    struct sr *s;  /* event table */
    size_t **list; /* out: table indexes */
    size_t len;    /* entries in *list */
    size_t *cap;   /* slots in *list */
};

static void collect_start(const char *key, size_t key_len, void *value, void *ctx)
{
    (void)key;
    (void)key_len;
    struct starts_ctx *c = ctx;
    const char *id = jstr(value, "event_id");
    void *known = map_get(&c->s->ids, id, strlen(id));
    list_push(c->list, &c->len, c->cap, (size_t)(uintptr_t)known - 1);
}

static void overlay_one(const json_t *event, void *ctx)
{
    matrix_state_map_put(ctx, (json_t *)event);
}

int matrix_state_resolve_v2(const struct matrix_room_version *ver, const json_t *const *state_sets,
                            size_t n_sets, matrix_event_fetch_fn fetch, void *fetch_ctx,
                            const struct matrix_auth_verify *verify, struct matrix_state_map *out)
{
    matrix_state_map_init(out);
    if (ver->state_res != MATRIX_STATE_RES_V2 && ver->state_res != MATRIX_STATE_RES_V2_1)
        return ERR_UNSUPPORTED;
    if (n_sets == 0)
        return 0;
    int rc = 0;
    struct sr s = {.ver = ver, .fetch = fetch, .fetch_ctx = fetch_ctx, .verify = verify};
    map_init(&s.ids, NULL);
    struct matrix_state_map unconflicted;
    matrix_state_map_init(&unconflicted);
    struct matrix_state_map *sets = xcalloc(n_sets, sizeof *sets);
    size_t *starts = NULL, n_starts = 0, starts_cap = 0;
    size_t *xs = NULL, n_x = 0, x_cap = 0;
    size_t *ys = NULL, n_y = 0, y_cap = 0;

    /* Each state set as a map; every event goes into the table. */
    for (size_t i = 0; i < n_sets; i++) {
        matrix_state_map_init(&sets[i]);
        size_t k;
        const json_t *ev;
        json_array_foreach(state_sets[i], k, ev) {
            size_t idx;
            rc = sr_add(&s, ev, false, &idx);
            if (rc == 0)
                rc = matrix_state_map_put(&sets[i], (json_t *)ev);
            if (rc)
                goto out;
        }
    }

    /* Unconflicted state map and conflicted state set. */
    struct split_ctx split = {&s, sets, n_sets, &unconflicted};
    for (size_t i = 0; i < n_sets; i++)
        map_each(&sets[i].m, split_key, &split);

    /* Auth difference: reached from some sets' auth chains but not all. */
    for (size_t i = 0; i < n_sets; i++) {
        /* From the events the set's map kept (a set listing two events for
         * one key keeps the last). */
        struct starts_ctx sc = {&s, &starts, 0, &starts_cap};
        map_each(&sets[i].m, collect_start, &sc);
        n_starts = sc.len;
        rc = sr_walk(&s, starts, n_starts, WALK_COUNT, NULL, NULL, NULL);
        if (rc)
            goto out;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (s.evs[i].chain_count > 0 && s.evs[i].chain_count < n_sets)
            s.evs[i].full = true;
    }
    /* v2.1: the full conflicted set also holds the conflicted state subgraph. */
    if (ver->state_res == MATRIX_STATE_RES_V2_1) {
        rc = add_conflicted_subgraph(&s);
        if (rc)
            goto out;
    }

    /* Step 1: X = power events of the full conflicted set plus the events of
     * their auth chains that are in the full conflicted set. */
    n_starts = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.evs[i].full && is_power_event(s.evs[i].ev)) {
            s.evs[i].in_x = true;
            list_push(&starts, &n_starts, &starts_cap, i);
        }
    }
    rc = sr_walk(&s, starts, n_starts, WALK_MARK_X, NULL, NULL, NULL);
    if (rc)
        goto out;
    for (size_t i = 0; i < s.len; i++) {
        if (s.evs[i].in_x)
            list_push(&xs, &n_x, &x_cap, i);
        else if (s.evs[i].full && jstr(s.evs[i].ev, "state_key"))
            list_push(&ys, &n_y, &y_cap, i);
    }
    rc = sort_power(&s, xs, n_x);
    if (rc)
        goto out;

    /* Step 2: iterative auth checks from the unconflicted state map (v2.1:
     * from the empty state). */
    if (ver->state_res == MATRIX_STATE_RES_V2)
        matrix_state_map_each(&unconflicted, overlay_one, out);
    rc = iterate_auth(&s, out, xs, n_x);
    if (rc)
        goto out;

    /* Steps 3-4: the rest in mainline order, checked on the partial state. */
    rc = sort_mainline(&s, out, ys, n_y);
    if (rc == 0)
        rc = iterate_auth(&s, out, ys, n_y);
    if (rc)
        goto out;

    /* Step 5: the unconflicted state map wins. */
    matrix_state_map_each(&unconflicted, overlay_one, out);

out:
    if (rc) {
        matrix_state_map_fini(out);
        matrix_state_map_init(out);
    }
    for (size_t i = 0; i < n_sets; i++)
        matrix_state_map_fini(&sets[i]);
    free(sets);
    free(starts);
    free(xs);
    free(ys);
    matrix_state_map_fini(&unconflicted);
    sr_fini(&s);
    return rc;
}
