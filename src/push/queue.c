/* queue.c: the push worker — events queued after persist, rules evaluated
 * for each joined member, notifications stored in batches (see queue.h). */
#define LOG_MODULE "push"
#include "push/queue.h"
#include "push/gateway.h"
#include "push/push.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/buf.h"
#include "base/map.h"
#include "base/mem.h"
#include "db/db.h"
#include "db/push.h"
#include "db/search.h"
#include "rooms/rooms.h"
#include "server/server.h"
#include "sync/notify.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

enum {
    PUSH_BATCH_MAX = 16,          /* events per batch while the worker keeps up */
    PUSH_BATCH_BACKLOG_MAX = 128, /* per batch when more than that many wait: fewer, fuller
                                     transactions (rows of one room share pages) */
    PUSH_LIST_MAX = 64 << 20,
    PUSH_PROGRESS_LAG = 1000,
    PUSH_SETTLE_MS = 1000,
    PUSH_GAP_MS = 10000,         /* an event persisted this long ago but never queued is
                                    given up on (queued_upto passes it) */
    PUSH_MERGE_CHECK_DOCS = 64,  /* documents indexed between looks at the index's segments */
    PUSH_MERGE_BUSY_EVERY = 8,   /* batches between merge steps when the queue never empties */
    PUSH_WAIT_LOG_BEHIND = 1000, /* queued events from which a wait for the worker is logged */
    PUSH_WAIT_LOG_MS = 10000,    /* at most one such line per this many ms */
};

struct push_item {
    char *event_id;         /* owned */
    json_t *pdu;            /* owned copy */
    int64_t pos;            /* stream position */
    struct push_item *next; /* queue order (ascending pos) */
    struct push_item *prev; /* previous in the queue (NULL at its head and in a batch) */
};

static struct {
    pthread_mutex_t lock;      /* guards the queue, the flags and the cache */
    pthread_cond_t work;       /* signalled when an item is queued or on stop */
    pthread_cond_t done;       /* broadcast when a batch is stored (monotonic clock) */
    pthread_t thread;          /* the worker */
    bool running;              /* the worker exists */
    bool stopping;             /* asks the worker to end once the queue is empty */
    struct server *srv;        /* borrowed */
    struct push_item *head;    /* queued, ascending stream position (owned) */
    struct push_item *tail;    /* highest position queued */
    struct push_item *batch;   /* being processed, ascending (owned by the worker) */
    int64_t recorded;          /* the durable position last stored (the worker's) */
    int64_t settle_ms;         /* when settle_pos was sampled (monotonic) */
    int64_t settle_pos;        /* the event stream's position then */
    int64_t settled;           /* a position sampled PUSH_SETTLE_MS or more ago: every
                                  event at or below it has been queued */
    bool cache_ready;          /* rulesets initialised */
    struct map rulesets;       /* user ID -> struct push_rules * (merged and compiled) */
    struct push_memo memo;     /* member-independent outcomes of the event being evaluated
                                  (the worker's only) */
    bool merge_more;           /* the search index has merge work (the worker's) */
    bool merge_full;           /* a full merge of it is under way (db_search_merge_step) */
    size_t merge_docs;         /* documents indexed since the last look at its segments */
    int merge_busy;            /* batches since the last merge step */
    int64_t queued_upto;       /* every position at or below it has been queued (or was
                                  evaluated before the start, or was persisted
                                  PUSH_GAP_MS ago) */
    int64_t *ahead;            /* positions queued above queued_upto + 1, ascending (owned):
                                  events whose lower neighbours were not queued yet */
    size_t n_ahead;            /* entries */
    size_t cap_ahead;          /* allocated entries */
    int64_t gap_ms;            /* when gap_pos was sampled (monotonic), or 0 */
    int64_t gap_pos;           /* the event stream's position then */
    size_t waits;              /* waits behind a long queue since the last log line */
    size_t waits_timed_out;    /* of which gave up */
    int64_t waits_ms;          /* their time in all */
    int64_t waits_max_ms;      /* the longest */
    int64_t waits_logged_ms;   /* when the last line was logged (monotonic), or 0 */
} q = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void ruleset_free(void *v)
{
    push_rules_unref(v);
}

/* The user's compiled rules (a new reference; cached). */
static struct push_rules *user_rules(struct server *srv, const char *user_id)
{
    size_t len = strlen(user_id);
    pthread_mutex_lock(&q.lock);
    if (!q.cache_ready) {
        map_init(&q.rulesets, ruleset_free);
        q.cache_ready = true;
    }
    struct push_rules *r = map_get(&q.rulesets, user_id, len);
    if (r)
        push_rules_ref(r);
    pthread_mutex_unlock(&q.lock);
    if (r)
        return r;
    char *text = NULL;
    json_t *changes = NULL;
    if (db_push_rules_get(srv->db, user_id, &text) == 0) {
        json_error_t jerr;
        changes = json_loads(text, 0, &jerr);
    }
    free(text);
    json_t *rs = push_ruleset_merge(user_id, changes);
    json_decref(changes);
    r = push_rules_compile(rs, user_id);
    json_decref(rs);
    pthread_mutex_lock(&q.lock);
    map_put(&q.rulesets, user_id, len, push_rules_ref(r));
    pthread_mutex_unlock(&q.lock);
    return r;
}

json_t *push_user_ruleset(struct server *srv, const char *user_id)
{
    struct push_rules *r = user_rules(srv, user_id);
    json_t *rs = json_incref((json_t *)push_rules_json(r));
    push_rules_unref(r);
    return rs;
}

void push_user_ruleset_changed(const char *user_id)
{
    pthread_mutex_lock(&q.lock);
    if (q.cache_ready)
        map_del(&q.rulesets, user_id, strlen(user_id));
    pthread_mutex_unlock(&q.lock);
}

static void item_free(struct push_item *it)
{
    free(it->event_id);
    json_decref(it->pdu);
    free(it);
}

struct rows {
    struct db_push_event *v; /* owned rows with owned strings */
    char ***pushed;          /* per row: notified users with pushers (owned, NULL-ended) */
    const json_t **pdus;     /* per row: the event (borrowed from the batch) */
    size_t n;                /* used */
    struct db_search_doc *docs; /* texts to index (strings borrowed from the batch) */
    size_t n_docs;              /* used */
    int64_t *unindexed;         /* redacted events to take out of the index (owned) */
    size_t n_unindexed;         /* used */
};

/* Adds the event's searchable text (spec: content.body, content.name,
 * content.topic) to the search index batch. */
static void index_text(const struct push_item *it, struct rows *rows)
{
    const char *type = json_string_value(json_object_get(it->pdu, "type"));
    const char *room_id = json_string_value(json_object_get(it->pdu, "room_id"));
    if (!type || !room_id)
        return;
    const char *key = strcmp(type, "m.room.message") == 0 ? "body"
                      : strcmp(type, "m.room.name") == 0  ? "name"
                      : strcmp(type, "m.room.topic") == 0 ? "topic"
                                                          : NULL;
    const char *text = key ? json_string_value(json_object_get(json_object_get(it->pdu, "content"),
                                                               key))
                           : NULL;
    if (!text || !text[0])
        return;
    rows->docs = xrealloc(rows->docs, (rows->n_docs + 1) * sizeof *rows->docs);
    rows->docs[rows->n_docs++] = (struct db_search_doc){it->pos, room_id, text};
}

/* The event's thread for counts and receipts (owned): the root of its
 * m.thread relation; for another relation (a reaction, an edit, a
 * reference) the thread of the event it relates to when that is a thread
 * reply (one hop, as Synapse; the spec's "in a thread"); otherwise "main". */
static char *thread_of(struct server *srv, const json_t *pdu)
{
    json_t *rel = json_object_get(json_object_get(pdu, "content"), "m.relates_to");
    const char *type = json_string_value(json_object_get(rel, "rel_type"));
    const char *target = json_string_value(json_object_get(rel, "event_id"));
    if (!type || !target)
        return xstrdup("main");
    if (strcmp(type, "m.thread") == 0)
        return xstrdup(target);
    char *root = NULL;
    if (db_push_thread_root(srv->db, target, &root) == 0)
        return root;
    return xstrdup("main");
}

/* The outcome for one event being gathered. */
struct outcome {
    struct buf notified, skipped, highlights; /* "\n"-separated user lists */
    size_t n_notified, n_skipped;             /* list lengths */
    json_t *actions;                          /* the first notified user's actions */
    char *actions_text;                       /* the same as compact JSON (owned) */
    json_t *overrides;                        /* user -> actions when different, or NULL */
    char **pushed;                            /* notified users with pushers (owned) */
    size_t n_pushed;                          /* entries */
};

static void list_add(struct buf *b, const char *user)
{
    if (!b->len)
        buf_append(b, "\n", 1);
    buf_append(b, user, strlen(user));
    buf_append(b, "\n", 1);
}

/* Evaluates the rules of user (display_name: theirs in the room, or NULL)
 * for the event and records the outcome. */
static void evaluate_for(struct server *srv, const struct push_item *it, const char *user,
                         const char *display_name, struct push_context *ctx, struct outcome *o)
{
    ctx->user_id = user;
    ctx->display_name = display_name;
    struct push_rules *rules = user_rules(srv, user);
    struct push_match r;
    push_rules_evaluate(rules, it->pdu, ctx, &q.memo, &r);
    if (r.notify) {
        list_add(&o->notified, user);
        o->n_notified++;
        if (push_gateway_has_pushers(user)) {
            o->pushed = xrealloc(o->pushed, (o->n_pushed + 2) * sizeof *o->pushed);
            o->pushed[o->n_pushed++] = xstrdup(user);
            o->pushed[o->n_pushed] = NULL;
        }
        if (r.highlight)
            list_add(&o->highlights, user);
        if (!o->actions) {
            o->actions = json_incref((json_t *)r.actions);
            o->actions_text = xstrdup(r.actions_text);
        } else if (strcmp(o->actions_text, r.actions_text) != 0) {
            if (!o->overrides)
                o->overrides = json_object();
            json_object_set(o->overrides, user, (json_t *)r.actions);
        }
    } else {
        list_add(&o->skipped, user);
        o->n_skipped++;
    }
    push_rules_unref(rules);
}

/* A redaction takes its target out of the search index (its text must not
 * be found any more), in the batch's transaction. */
static void unindex_redacted(struct server *srv, const struct push_item *it, struct rows *rows)
{
    const char *type = json_string_value(json_object_get(it->pdu, "type"));
    if (!type || strcmp(type, "m.room.redaction") != 0)
        return;
    const char *target = json_string_value(json_object_get(it->pdu, "redacts"));
    if (!target) /* room version 11: in the content */
        target = json_string_value(json_object_get(json_object_get(it->pdu, "content"), "redacts"));
    struct db_event e;
    if (!target || db_event_get(srv->db, target, &e) != 0)
        return;
    rows->unindexed = xrealloc(rows->unindexed, (rows->n_unindexed + 1) * sizeof *rows->unindexed);
    rows->unindexed[rows->n_unindexed++] = e.pos;
    db_event_fini(&e);
}

static void process(struct server *srv, const struct push_item *it, struct rows *rows)
{
    const char *room_id = json_string_value(json_object_get(it->pdu, "room_id"));
    const char *sender = json_string_value(json_object_get(it->pdu, "sender"));
    struct room *room;
    if (!room_id || !sender || rooms_get(srv, room_id, &room) != 0)
        return;
    struct rooms_members *members = rooms_joined(room);
    json_t *pl = rooms_state_get(room, "m.room.power_levels", "");
    json_t *content = json_object_get(it->pdu, "content");
    struct push_context ctx = {
        .member_count = (int64_t)members->n,
        .sender_power = rooms_user_power(room, sender),
        .power_levels = json_object_get(pl, "content"),
    };
    push_memo_next_event(&q.memo, it->pdu);
    struct outcome o;
    memset(&o, 0, sizeof o);
    buf_init(&o.notified, PUSH_LIST_MAX);
    buf_init(&o.skipped, PUSH_LIST_MAX);
    buf_init(&o.highlights, PUSH_LIST_MAX);
    for (size_t i = 0; i < members->n; i++)
        if (strcmp(members->ids[i], sender) != 0)
            evaluate_for(srv, it, members->ids[i], members->names[i], &ctx, &o);
    /* An invitee is not joined yet but is told about the invite. */
    const char *type = json_string_value(json_object_get(it->pdu, "type"));
    const char *target = json_string_value(json_object_get(it->pdu, "state_key"));
    const char *membership = json_string_value(json_object_get(content, "membership"));
    bool invite = type && strcmp(type, "m.room.member") == 0 && target && membership &&
                  strcmp(membership, "invite") == 0 && strcmp(target, sender) != 0;
    if (invite)
        evaluate_for(srv, it, target, NULL, &ctx, &o);
    if (o.n_notified) {
        /* the shorter list; an invitee is never joined, so it must be listed */
        bool all_but = o.n_skipped < o.n_notified && !invite;
        rows->v = xrealloc(rows->v, (rows->n + 1) * sizeof *rows->v);
        rows->pushed = xrealloc(rows->pushed, (rows->n + 1) * sizeof *rows->pushed);
        rows->pdus = xrealloc(rows->pdus, (rows->n + 1) * sizeof *rows->pdus);
        rows->pushed[rows->n] = o.pushed;
        rows->pdus[rows->n] = it->pdu;
        o.pushed = NULL;
        rows->v[rows->n++] = (struct db_push_event){
            .room_id = xstrdup(room_id),
            .event_id = xstrdup(it->event_id),
            .thread_id = thread_of(srv, it->pdu),
            .sender = xstrdup(sender),
            .users = buf_steal(all_but ? &o.skipped : &o.notified),
            .highlights = buf_steal(&o.highlights),
            .actions = xstrdup(o.actions_text),
            .overrides = o.overrides ? json_dumps(o.overrides, JSON_COMPACT) : NULL,
            .event_pos = it->pos,
            .ts = json_integer_value(json_object_get(it->pdu, "origin_server_ts")),
            .all_but = all_but,
        };
    }
    if (o.pushed) {
        for (size_t i = 0; i < o.n_pushed; i++)
            free(o.pushed[i]);
        free(o.pushed);
    }
    buf_fini(&o.notified);
    buf_fini(&o.skipped);
    buf_fini(&o.highlights);
    json_decref(o.actions);
    free(o.actions_text);
    json_decref(o.overrides);
    rooms_members_unref(members);
    json_decref(pl);
}

/* Under the lock: moves queued_upto over the positions queued just above it. */
static void queued_advance(void)
{
    size_t k = 0;
    while (k < q.n_ahead && q.ahead[k] <= q.queued_upto + 1) {
        if (q.ahead[k] == q.queued_upto + 1)
            q.queued_upto++;
        k++;
    }
    if (k) {
        memmove(q.ahead, q.ahead + k, (q.n_ahead - k) * sizeof *q.ahead);
        q.n_ahead -= k;
    }
}

/* Under the lock: position pos has been queued. Events are queued after their
 * commit by the thread that sent them, so one can be queued (and announced)
 * before a lower position committed earlier: queued_upto stays below such a
 * gap until it is filled, or until a position the stream had reached
 * PUSH_GAP_MS earlier passes it (an event persisted but never queued: a
 * createRoom that failed after its events' commit). */
static void queued_note(int64_t pos)
{
    if (pos <= q.queued_upto)
        return;
    if (pos == q.queued_upto + 1) {
        q.queued_upto = pos;
        queued_advance();
        return;
    }
    size_t i = q.n_ahead;
    while (i > 0 && q.ahead[i - 1] > pos)
        i--;
    if (i > 0 && q.ahead[i - 1] == pos)
        return;
    if (q.n_ahead == q.cap_ahead) {
        q.cap_ahead = q.cap_ahead ? q.cap_ahead * 2 : 64;
        q.ahead = xrealloc(q.ahead, q.cap_ahead * sizeof *q.ahead);
    }
    memmove(q.ahead + i + 1, q.ahead + i, (q.n_ahead - i) * sizeof *q.ahead);
    q.ahead[i] = pos;
    q.n_ahead++;
}

/* Under the lock: every position at or below pos is known to be queued. */
static void queued_raise(int64_t pos)
{
    if (pos > q.queued_upto)
        q.queued_upto = pos;
    queued_advance();
}

/* Under the lock: samples the event stream's position once per
 * PUSH_SETTLE_MS (the sample taken before is settled) and once per
 * PUSH_GAP_MS (every event at or below the sample taken before is taken as
 * queued). */
static void settle_sample(struct server *srv)
{
    int64_t now = clock_mono_ms();
    if (!q.settle_ms || now - q.settle_ms >= PUSH_SETTLE_MS) {
        if (q.settle_ms)
            q.settled = q.settle_pos;
        q.settle_pos = notifier_position(srv->notifier, NOTIFY_EVENTS);
        q.settle_ms = now;
    }
    if (!q.gap_ms || now - q.gap_ms >= PUSH_GAP_MS) {
        if (q.gap_ms)
            queued_raise(q.gap_pos);
        q.gap_pos = notifier_position(srv->notifier, NOTIFY_EVENTS);
        q.gap_ms = now;
    }
}

/* Under the lock: the position up to which every event will have been
 * processed once the batch is stored. Nothing lower may still be queued,
 * nor persisted but not queued yet: a send queues its event just after its
 * commit, so a later event can be processed first; positions the stream
 * had reached PUSH_SETTLE_MS ago have all been queued. */
static int64_t durable_upto(struct server *srv, const struct push_item *batch)
{
    settle_sample(srv);
    int64_t upto = 0;
    for (const struct push_item *it = batch; it; it = it->next)
        upto = it->pos > upto ? it->pos : upto;
    if (q.head && q.head->pos - 1 < upto) /* the queue is in position order */
        upto = q.head->pos - 1;
    if (upto > q.queued_upto)
        upto = q.queued_upto;
    return upto < q.settled ? upto : q.settled;
}

/* One bounded step of keeping the search index merged (db_search_merge_step),
 * taken when the queue is empty, or every PUSH_MERGE_BUSY_EVERY batches when
 * it never empties, while there is merge work: one write transaction of at
 * most a few hundred index pages, so sends wait little behind it. */
static void merge_step(struct server *srv)
{
    bool more = false;
    if (db_search_merge_step(srv->db, &q.merge_full, &more))
        log_error("merging the search index failed");
    q.merge_more = more;
    q.merge_busy = 0;
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&q.lock);
    for (;;) {
        while (!q.head && !q.stopping) {
            if (!q.merge_more) {
                pthread_cond_wait(&q.work, &q.lock);
                continue;
            }
            pthread_mutex_unlock(&q.lock);
            merge_step(q.srv);
            pthread_mutex_lock(&q.lock);
        }
        if (!q.head)
            break;
        /* A bounded batch: one write transaction must not hold the writer
         * (and every send behind it) for long. Behind a backlog, larger
         * batches write each room's rows in fewer transactions. */
        q.batch = q.head;
        struct push_item *last = q.head;
        int queued = 1;
        while (queued < PUSH_BATCH_BACKLOG_MAX && last->next) {
            last = last->next;
            queued++;
        }
        int max = queued == PUSH_BATCH_BACKLOG_MAX && last->next ? PUSH_BATCH_BACKLOG_MAX
                                                                 : PUSH_BATCH_MAX;
        last = q.head;
        for (int k = 1; k < max && last->next; k++)
            last = last->next;
        q.head = last->next;
        last->next = NULL;
        if (q.head)
            q.head->prev = NULL;
        else
            q.tail = NULL;
        struct server *srv = q.srv;
        int64_t upto = durable_upto(srv, q.batch);
        pthread_mutex_unlock(&q.lock);
        struct rows rows = {0};
        for (struct push_item *it = q.batch; it; it = it->next) {
            process(srv, it, &rows);
            index_text(it, &rows);
        }
        for (struct push_item *it = q.batch; it; it = it->next)
            unindex_redacted(srv, it, &rows);
        q.merge_docs += rows.n_docs;
        if (q.merge_docs >= PUSH_MERGE_CHECK_DOCS) {
            q.merge_docs = 0;
            q.merge_more = true;
        }
        /* One writer job: the notifications, the search documents and the
         * position. The position rides along with notifications; a batch
         * without any records it only when it lags far (re-evaluating such
         * events after a crash changes nothing). */
        bool record = rows.n > 0 || upto - q.recorded >= PUSH_PROGRESS_LAG;
        struct db_push_batch store = {
            .rows = rows.v,
            .n_rows = rows.n,
            .docs = rows.docs,
            .n_docs = rows.n_docs,
            .unindexed = rows.unindexed,
            .n_unindexed = rows.n_unindexed,
            .processed_upto = record ? upto : 0,
        };
        int rc = db_push_batch_store(srv->db, &store);
        if (!rc && record && upto > q.recorded)
            q.recorded = upto;
        if (rc)
            log_error("storing notifications and search documents failed rc=%s n=%zu docs=%zu",
                      err_str(rc), rows.n, rows.n_docs);
        free(rows.docs);
        free(rows.unindexed);
        for (size_t i = 0; i < rows.n; i++) {
            size_t k = 0;
            while (rows.pushed[i] && rows.pushed[i][k])
                k++;
            if (!rc && k)
                push_gateway_event(srv, &rows.v[i], rows.pdus[i],
                                   (const char *const *)rows.pushed[i], k);
            for (size_t j = 0; j < k; j++)
                free(rows.pushed[i][j]);
            free(rows.pushed[i]);
        }
        free(rows.pushed);
        free((void *)rows.pdus);
        db_push_events_free(rows.v, rows.n);
        pthread_mutex_lock(&q.lock);
        struct push_item *b = q.batch;
        q.batch = NULL;
        pthread_cond_broadcast(&q.done);
        pthread_mutex_unlock(&q.lock);
        while (b) {
            struct push_item *next = b->next;
            item_free(b);
            b = next;
        }
        if (q.merge_more && ++q.merge_busy >= PUSH_MERGE_BUSY_EVERY)
            merge_step(srv);
        pthread_mutex_lock(&q.lock);
    }
    pthread_mutex_unlock(&q.lock);
    push_memo_fini(&q.memo);
    return NULL;
}

/* Queues again the events stored after the durable position: they were
 * persisted but not evaluated when the server last stopped (a crash). */
static void recover(struct server *srv)
{
    int64_t after;
    if (db_push_processed_get(srv->db, &after)) {
        log_error("cannot read the push worker's position");
        return;
    }
    pthread_mutex_lock(&q.lock);
    q.recorded = after;
    q.settled = after;
    q.settle_ms = 0;
    q.queued_upto = after;
    q.n_ahead = 0;
    q.gap_ms = 0;
    pthread_mutex_unlock(&q.lock);
    size_t total = 0;
    for (;;) {
        struct db_push_backlog *b;
        size_t n;
        if (db_push_backlog(srv->db, after, 1000, &b, &n)) {
            log_error("cannot read the events after the push worker's position");
            break;
        }
        for (size_t i = 0; i < n; i++) {
            json_error_t jerr;
            json_t *pdu = json_loads(b[i].json, 0, &jerr);
            if (pdu)
                push_event_persisted(srv, b[i].event_id, pdu, b[i].pos);
            json_decref(pdu);
        }
        total += n;
        if (n)
            after = b[n - 1].pos;
        db_push_backlog_free(b, n);
        if (n < 1000)
            break;
    }
    /* nothing else is sent before the server listens: every stored event
     * needing evaluation is queued now */
    pthread_mutex_lock(&q.lock);
    queued_raise(notifier_position(srv->notifier, NOTIFY_EVENTS));
    pthread_mutex_unlock(&q.lock);
    if (total)
        log_info("push rules evaluated again for %zu events stored after pos=%lld", total,
                 (long long)q.recorded);
}

int push_queue_start(struct server *srv)
{
    pthread_mutex_lock(&q.lock);
    q.srv = srv;
    q.stopping = false;
    q.merge_more = true; /* a look at the index's segments once idle */
    if (!q.cache_ready) {
        map_init(&q.rulesets, ruleset_free);
        q.cache_ready = true;
    }
    int rc = 0;
    if (!q.running) {
        pthread_cond_init(&q.work, NULL);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&q.done, &attr);
        pthread_condattr_destroy(&attr);
        q.running = pthread_create(&q.thread, NULL, worker_main, NULL) == 0;
        if (!q.running) {
            log_error("push worker thread failed to start");
            rc = ERR_INTERNAL;
        }
    }
    pthread_mutex_unlock(&q.lock);
    if (!rc)
        recover(srv);
    return rc;
}

void push_queue_stop(void)
{
    pthread_mutex_lock(&q.lock);
    bool running = q.running;
    q.stopping = true;
    if (running)
        pthread_cond_signal(&q.work);
    pthread_mutex_unlock(&q.lock);
    if (running) {
        pthread_join(q.thread, NULL);
        pthread_cond_destroy(&q.work);
        pthread_cond_destroy(&q.done);
    }
    pthread_mutex_lock(&q.lock);
    q.running = false;
    while (q.head) { /* only when the worker never ran */
        struct push_item *next = q.head->next;
        item_free(q.head);
        q.head = next;
    }
    q.tail = NULL;
    if (q.cache_ready) {
        map_fini(&q.rulesets);
        q.cache_ready = false;
    }
    free(q.ahead);
    q.ahead = NULL;
    q.n_ahead = q.cap_ahead = 0;
    q.srv = NULL;
    pthread_mutex_unlock(&q.lock);
}

void push_event_persisted(struct server *srv, const char *event_id, const json_t *pdu, int64_t pos)
{
    (void)srv;
    struct push_item *it = xcalloc(1, sizeof *it);
    it->event_id = xstrdup(event_id);
    it->pdu = json_object_get(pdu, "state_key") ? json_deep_copy(pdu)
                                                : json_incref((json_t *)pdu);
    it->pos = pos;
    pthread_mutex_lock(&q.lock);
    if (!q.running || q.stopping) {
        pthread_mutex_unlock(&q.lock);
        item_free(it);
        return;
    }
    /* Kept in position order, so the oldest unprocessed position is at the
     * head of the batch or the queue. Senders finish their commits almost in
     * order: the walk back from the tail is short. */
    struct push_item *after = q.tail;
    while (after && after->pos > pos)
        after = after->prev;
    it->prev = after;
    it->next = after ? after->next : q.head;
    if (it->next)
        it->next->prev = it;
    else
        q.tail = it;
    if (after)
        after->next = it;
    else
        q.head = it;
    queued_note(pos);
    pthread_cond_signal(&q.work);
    pthread_mutex_unlock(&q.lock);
}

void push_counted_positions(int64_t upto, int64_t *processed, int64_t *settled)
{
    pthread_mutex_lock(&q.lock);
    int64_t p = upto;
    if (q.running) {
        if (q.srv)
            settle_sample(q.srv);
        /* both lists are in position order: their heads are the oldest pending;
         * an event committed but not queued yet is below queued_upto + 1 */
        if (q.head && q.head->pos - 1 < p)
            p = q.head->pos - 1;
        if (q.batch && q.batch->pos - 1 < p)
            p = q.batch->pos - 1;
        if (q.queued_upto < p)
            p = q.queued_upto;
    }
    /* Rows at or below p no longer change: every event up to it has been
     * queued (queued_upto) and its batch committed, and a row is written
     * once. (Before queued_upto, a position the stream had reached a second
     * earlier stood in for "every lower event was queued", and counts were
     * kept only up to it: each /sync read that second's rows again.) */
    *processed = p;
    *settled = p;
    pthread_mutex_unlock(&q.lock);
}

bool push_evaluate_for(struct server *srv, const json_t *pdu, const char *user_id,
                       bool *highlight, char **thread_id)
{
    *highlight = false;
    *thread_id = NULL;
    const char *room_id = json_string_value(json_object_get(pdu, "room_id"));
    const char *sender = json_string_value(json_object_get(pdu, "sender"));
    struct room *room;
    if (!room_id || !sender || strcmp(sender, user_id) == 0 || rooms_get(srv, room_id, &room) != 0)
        return false;
    struct rooms_members *members = rooms_joined(room);
    const char *display_name = NULL;
    for (size_t i = 0; i < members->n && !display_name; i++)
        if (strcmp(members->ids[i], user_id) == 0)
            display_name = members->names[i];
    json_t *pl = rooms_state_get(room, "m.room.power_levels", "");
    struct push_context ctx = {
        .user_id = user_id,
        .display_name = display_name,
        .member_count = (int64_t)members->n,
        .sender_power = rooms_user_power(room, sender),
        .power_levels = json_object_get(pl, "content"),
    };
    struct push_memo memo;
    push_memo_init(&memo);
    push_memo_next_event(&memo, pdu);
    struct push_rules *rules = user_rules(srv, user_id);
    struct push_match r;
    push_rules_evaluate(rules, pdu, &ctx, &memo, &r);
    bool notify = r.notify;
    *highlight = r.notify && r.highlight;
    push_rules_unref(rules);
    push_memo_fini(&memo);
    rooms_members_unref(members);
    json_decref(pl);
    if (notify)
        *thread_id = thread_of(srv, pdu);
    return notify;
}

/* Both lists are in position order: their heads are the oldest pending. */
static bool pending_upto(int64_t pos)
{
    return (q.head && q.head->pos <= pos) || (q.batch && q.batch->pos <= pos);
}

/* Under the lock: the oldest position still queued or being processed, or 0. */
static int64_t oldest_pending(void)
{
    int64_t p = q.head ? q.head->pos : 0;
    if (q.batch && (!p || q.batch->pos < p))
        p = q.batch->pos;
    return p;
}

/* Under the lock: counts a wait behind a backlog of `behind` events that took
 * waited_ms (timed_out: it gave up) and, at most once per PUSH_WAIT_LOG_MS,
 * logs the waits counted since the last line. A send waits this way when the
 * worker is far behind (back-pressure), so the long send latencies that
 * follow a saturating burst show in the log. */
static void wait_note(int64_t behind, int64_t waited_ms, bool timed_out)
{
    q.waits++;
    q.waits_ms += waited_ms;
    q.waits_timed_out += timed_out;
    if (waited_ms > q.waits_max_ms)
        q.waits_max_ms = waited_ms;
    int64_t now = clock_mono_ms();
    if (q.waits_logged_ms && now - q.waits_logged_ms < PUSH_WAIT_LOG_MS)
        return;
    log_warn("push worker %lld events behind: %zu requests waited for it since the last such "
             "line (%lld ms in all, longest %lld ms, %zu gave up)",
             (long long)behind, q.waits, (long long)q.waits_ms, (long long)q.waits_max_ms,
             q.waits_timed_out);
    q.waits_logged_ms = now;
    q.waits = q.waits_timed_out = 0;
    q.waits_ms = q.waits_max_ms = 0;
}

void push_wait_processed(int64_t pos, int64_t max_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)(max_ms / 1000);
    deadline.tv_nsec += (long)(max_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q.lock);
    if (!q.running || !pending_upto(pos)) {
        pthread_mutex_unlock(&q.lock);
        return;
    }
    int64_t start = clock_mono_ms();
    int64_t behind = q.tail ? q.tail->pos - oldest_pending() + 1 : 0;
    bool timed_out = false;
    while (q.running && pending_upto(pos))
        if (pthread_cond_timedwait(&q.done, &q.lock, &deadline) != 0) {
            timed_out = true;
            break;
        }
    if (behind >= PUSH_WAIT_LOG_BEHIND)
        wait_note(behind, clock_mono_ms() - start, timed_out);
    pthread_mutex_unlock(&q.lock);
}
