/* send.c: the event pipeline for local events (see rooms.h): build the PDU on
 * the room head, hash and sign it, check size and authorisation, persist it
 * through the writer, advance the head and wake the members. */
#define LOG_MODULE "rooms"
#include "rooms/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "db/db.h"
#include "crypto/base64.h"
#include "json/canonical.h"
#include "matrix/auth.h"
#include "matrix/event.h"
#include "matrix/sign.h"
#include "push/queue.h"
#include "server/server.h"
#include "sync/notify.h"

#include <stdatomic.h>
#include <string.h>

enum {
    MAX_PREV_EVENTS = 10,
    ROOMS_PUSH_BACKLOG = 1000,  /* events a send may leave unevaluated by the push worker */
    ROOMS_PUSH_WAIT_MS = 5000,  /* longest back-pressure wait of one send */
};

struct room *rooms__room_new(const char *room_id, const struct matrix_room_version *ver)
{
    struct room *r = xcalloc(1, sizeof *r);
    r->room_id = xstrdup(room_id);
    r->version = ver;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->sent, NULL);
    matrix_state_map_init(&r->state);
    return r;
}

void rooms__pending_fini(struct rooms__pending *p)
{
    json_decref(p->pdu);
    free(p->json);
    db_strings_free(p->prev_events, p->n_prev);
    memset(p, 0, sizeof *p);
}

/* The signature checks the auth rules need, for events built here: a
 * restricted join is vouched for by one of our own users, so the signature
 * to check is our own; third-party invites carry a key in the room state. */
struct verify_ctx {
    struct server *srv;
    const struct matrix_room_version *ver;
};

static bool verify_server_signed(void *ctx, const json_t *event, const char *server_name)
{
    struct verify_ctx *v = ctx;
    if (strcmp(server_name, v->srv->cfg->server_name) != 0)
        return false; /* remote servers' keys arrive with federation */
    return matrix_event_verify_signature(event, v->ver, server_name, v->srv->signing_key.key_id,
                                         v->srv->signing_key.public_key) == 0;
}

static bool verify_tpi_signed(void *ctx, const json_t *signed_obj, const char *public_key)
{
    (void)ctx;
    unsigned char key[64];
    size_t len;
    if (crypto_base64_decode(CRYPTO_BASE64_STANDARD, public_key, strlen(public_key), key,
                             sizeof key, &len) != 0 &&
        crypto_base64_decode(CRYPTO_BASE64_URLSAFE, public_key, strlen(public_key), key,
                             sizeof key, &len) != 0)
        return false;
    return len == CRYPTO_KEY_PUBLIC_BYTES && matrix_json_signed_by_key(signed_obj, key);
}

int rooms__build(struct server *srv, struct room *room, const struct room_send *req,
                 struct rooms__pending *out, char *reason, size_t reason_len)
{
    memset(out, 0, sizeof *out);
    const struct matrix_room_version *ver = room->version;
    json_t *pdu = json_object();
    json_object_set_new(pdu, "room_id", json_string(room->room_id));
    json_object_set_new(pdu, "sender", json_string(req->sender));
    json_object_set_new(pdu, "type", json_string(req->type));
    json_object_set(pdu, "content", req->content);
    if (req->state_key)
        json_object_set_new(pdu, "state_key", json_string(req->state_key));
    if (req->redacts && !ver->redacts_in_content)
        json_object_set_new(pdu, "redacts", json_string(req->redacts));
    json_object_set_new(pdu, "origin_server_ts", json_integer(clock_now_ms()));
    json_object_set_new(pdu, "depth", json_integer(room->depth + 1));
    json_t *prev = json_array();
    size_t n_prev = room->n_extremities < MAX_PREV_EVENTS ? room->n_extremities : MAX_PREV_EVENTS;
    out->prev_events = xcalloc(n_prev + 1, sizeof(char *));
    for (size_t i = 0; i < n_prev; i++) {
        json_array_append_new(prev, json_string(room->extremities[i]));
        out->prev_events[i] = xstrdup(room->extremities[i]);
    }
    out->n_prev = n_prev;
    json_object_set_new(pdu, "prev_events", prev);

    struct verify_ctx vctx = {srv, ver};
    struct matrix_auth_verify verify = {verify_server_signed, verify_tpi_signed, &vctx};
    struct matrix_auth_state state;
    matrix_state_map_auth_state(&room->state, &verify, &state);
    json_t *auth_events = NULL;
    int rc = matrix_auth_events_for(ver, pdu, &state, &auth_events);
    if (rc) {
        snprintf(reason, reason_len, "cannot select auth events");
        goto fail;
    }
    json_object_set_new(pdu, "auth_events", auth_events);
    /* The stored JSON comes from the same encoding as the content hash. */
    struct buf canon;
    buf_init(&canon, (size_t)MATRIX_EVENT_MAX_BYTES * 4);
    rc = matrix_event_sign_encode(pdu, ver, srv->cfg->server_name, &srv->signing_key,
                                  out->event_id, &canon);
    if (rc) {
        buf_fini(&canon);
        snprintf(reason, reason_len, rc == ERR_TOO_LARGE     ? "event too large"
                                     : rc == ERR_UNSUPPORTED ? "cannot compute the event ID"
                                                             : "event content is not valid");
        goto fail;
    }
    if (canon.len > MATRIX_EVENT_MAX_BYTES)
        rc = ERR_TOO_LARGE;
    if (rc) {
        buf_fini(&canon);
        snprintf(reason, reason_len, rc == ERR_TOO_LARGE ? "event is larger than 65536 bytes"
                                                         : "event content is not valid");
        goto fail;
    }
    rc = matrix_auth_check_size(pdu, canon.len, reason, reason_len);
    if (rc) {
        buf_fini(&canon);
        rc = ERR_TOO_LARGE;
        goto fail;
    }
    /* The first event of a room is checked against nothing; the rules know. */
    rc = matrix_auth_check(ver, pdu, &state, reason, reason_len);
    if (rc) {
        buf_fini(&canon);
        rc = ERR_FORBIDDEN;
        goto fail;
    }
    out->json = buf_steal(&canon);
    json_object_set_new(pdu, "event_id", json_string(out->event_id));
    out->pdu = pdu;
    return 0;
fail:
    json_decref(pdu);
    db_strings_free(out->prev_events, out->n_prev);
    out->prev_events = NULL;
    out->n_prev = 0;
    return rc;
}

struct state_find {
    const char *event_id; /* wanted */
    const json_t *found;  /* borrowed from the map, or NULL */
};

static void find_state_event(const json_t *ev, void *arg)
{
    struct state_find *f = arg;
    const char *id = json_string_value(json_object_get(ev, "event_id"));
    if (!f->found && id && strcmp(id, f->event_id) == 0)
        f->found = ev;
}

void rooms__state_redact(struct room *room, const char *target)
{
    struct state_find f = {target, NULL};
    matrix_state_map_each(&room->state, find_state_event, &f);
    json_t *red;
    if (!f.found || matrix_event_redact(f.found, room->version, &red) != 0)
        return;
    json_object_set_new(red, "event_id", json_string(target));
    matrix_state_map_put(&room->state, red);
    json_decref(red);
}

void rooms__apply(struct room *room, const struct rooms__pending *p, int64_t state_group)
{
    const char *type = json_string_value(json_object_get(p->pdu, "type"));
    bool redaction = type && strcmp(type, "m.room.redaction") == 0;
    if (json_object_get(p->pdu, "state_key") || redaction) { /* the members may change */
        rooms_members_unref(room->joined);
        room->joined = NULL;
    }
    if (json_object_get(p->pdu, "state_key"))
        matrix_state_map_put(&room->state, p->pdu);
    /* A redacted state event counts in its redacted form from now on (the
     * auth rules see what the version's redaction algorithm leaves). */
    if (redaction) {
        const json_t *target = json_object_get(p->pdu, "redacts");
        if (!json_is_string(target))
            target = json_object_get(json_object_get(p->pdu, "content"), "redacts");
        if (json_is_string(target))
            rooms__state_redact(room, json_string_value(target));
    }
    db_strings_free(room->extremities, room->n_extremities);
    room->extremities = xcalloc(1, sizeof(char *));
    room->extremities[0] = xstrdup(p->event_id);
    room->n_extremities = 1;
    room->depth = json_integer_value(json_object_get(p->pdu, "depth"));
    room->state_group = state_group;
}

void rooms__pending_write(const struct room_send *req, const struct rooms__pending *p,
                          struct db_event_write *w)
{
    memset(w, 0, sizeof *w);
    w->event_id = p->event_id;
    w->room_id = req->room_id;
    w->type = req->type;
    w->state_key = req->state_key;
    w->sender = req->sender;
    w->depth = json_integer_value(json_object_get(p->pdu, "depth"));
    w->origin_server_ts = json_integer_value(json_object_get(p->pdu, "origin_server_ts"));
    w->json = p->json;
    if (strcmp(req->type, "m.room.member") == 0)
        w->membership = json_string_value(json_object_get(req->content, "membership"));
    w->txn_device = req->txn_device;
    w->txn_id = req->txn_id;
    json_t *rel = json_object_get(req->content, "m.relates_to");
    const char *rel_id = json_string_value(json_object_get(rel, "event_id"));
    const char *rel_type = json_string_value(json_object_get(rel, "rel_type"));
    if (rel_id && rel_type) {
        w->relates_to = rel_id;
        w->rel_type = rel_type;
    }
    w->redacts = req->redacts;
    w->prev_events = (const char *const *)p->prev_events;
    w->n_prev = p->n_prev;
}

/* The users to wake for an event: the joined members (m) and, when not NULL,
 * extra (the target of a member event). Returns m->ids or *owned (an array
 * the caller frees, borrowing the strings). */
static const char *const *wake_list(const struct rooms_members *m, const char *extra, size_t *n,
                                    const char ***owned)
{
    *owned = NULL;
    *n = m->n;
    if (!extra)
        return m->ids;
    *owned = xcalloc(m->n + 1, sizeof **owned);
    if (m->n) /* the last member left: ids may be NULL */
        memcpy(*owned, m->ids, m->n * sizeof **owned);
    (*owned)[(*n)++] = extra;
    return *owned;
}

void rooms__notify(struct server *srv, struct room *room, const char *extra_user, int64_t pos)
{
    struct rooms_members *m = rooms__joined_snapshot_locked(room);
    size_t n;
    const char **owned;
    const char *const *users = wake_list(m, extra_user, &n, &owned);
    notifier_users_changed(srv->notifier, NOTIFY_EVENTS, pos, users, n);
    free(owned);
    rooms_members_unref(m);
}

/* One event of rooms_send or rooms_send_async on its way through the writer. */
struct sending {
    struct server *srv;             /* the server */
    struct room *room;              /* its room (sending set) */
    struct room_send req;           /* the request (strings borrowed from the caller) */
    struct rooms__pending p;        /* the built event */
    struct db_event_write w;        /* its write (pos and state_group set once written) */
    struct rooms_members *members;  /* out: the joined members as of the event (owned), or NULL */
    rooms_sent_fn done;             /* rooms_send_async: the caller's callback and its argument */
    void *done_ctx;
};

/* The newest stream position a send was given: the push back-pressure of an
 * asynchronous send is checked before it is built. */
static _Atomic int64_t last_sent_pos;
/* A position up to which the push worker had processed every event: a send
 * whose back-pressure target is not above it need not ask the queue. */
static _Atomic int64_t push_done_upto;

static void raise_to(_Atomic int64_t *v, int64_t pos)
{
    int64_t cur = *v;
    while (pos > cur && !atomic_compare_exchange_weak(v, &cur, pos)) {
    }
}

/* The push back-pressure of an asynchronous send: the push worker may be at
 * most ROOMS_PUSH_BACKLOG events behind the newest send. Waits for it (at most
 * ROOMS_PUSH_WAIT_MS) when may_wait; otherwise false when it would have to. */
static bool push_caught_up(bool may_wait)
{
    int64_t last = last_sent_pos, target = last - ROOMS_PUSH_BACKLOG;
    if (target <= 0 || target <= push_done_upto)
        return true;
    if (may_wait) {
        push_wait_processed(target, ROOMS_PUSH_WAIT_MS);
        return true;
    }
    int64_t processed, settled;
    push_counted_positions(last, &processed, &settled);
    raise_to(&push_done_upto, processed);
    return processed >= target;
}

/* Runs on the writer thread once the event is written in its transaction
 * (rc 0) or refused: moves the room head past it and lets the room's next
 * send build on it. */
static void sent_applied(void *arg, int rc)
{
    struct sending *s = arg;
    pthread_mutex_lock(&s->room->lock);
    if (rc == 0) {
        rooms__apply(s->room, &s->p, s->w.state_group);
        s->members = rooms__joined_snapshot_locked(s->room);
    }
    s->room->sending = false;
    pthread_cond_signal(&s->room->sent);
    pthread_mutex_unlock(&s->room->lock);
}

/* A retried client transaction: 0 with its first event's ID, or ERR_NOT_FOUND. */
static int txn_event(struct server *srv, const struct room_send *req,
                     char event_id[MATRIX_EVENT_ID_HASH_LEN])
{
    char *existing;
    if (!req->txn_id ||
        db_event_by_txn(srv->db, req->sender, req->txn_device, req->txn_id, req->room_id,
                        req->type, &existing) != 0)
        return ERR_NOT_FOUND;
    snprintf(event_id, MATRIX_EVENT_ID_HASH_LEN, "%s", existing);
    free(existing);
    return 0;
}

/* Builds s->req's event on its room's head and marks the room busy until the
 * writer has written it (sent_applied). One event at a time per room, from
 * building it to its write inside the writer's transaction (which fixes its
 * position), not across the fsync: the room's next event can join the same or
 * the next commit. Returns 0 or an error of rooms_send (reason filled). */
static int send_build(struct sending *s, bool may_wait, char *reason, size_t reason_len)
{
    int rc = rooms_get(s->srv, s->req.room_id, &s->room);
    if (rc)
        return rc;
    struct room *room = s->room;
    pthread_mutex_lock(&room->lock);
    if (room->sending && !may_wait) {
        pthread_mutex_unlock(&room->lock);
        return ERR_LIMIT;
    }
    while (room->sending)
        pthread_cond_wait(&room->sent, &room->lock);
    rc = rooms__build(s->srv, room, &s->req, &s->p, reason, reason_len);
    if (rc) {
        pthread_mutex_unlock(&room->lock);
        return rc;
    }
    rooms__pending_write(&s->req, &s->p, &s->w);
    s->w.prev_state_group = room->state_group;
    room->sending = true;
    pthread_mutex_unlock(&room->lock);
    return 0;
}

/* After the commit: hands the event to the push worker and wakes the members'
 * long-polls (and the target of a member event). */
static void send_announce(struct sending *s)
{
    struct server *srv = s->srv;
    push_event_persisted(srv, s->p.event_id, s->p.pdu, s->w.pos); /* rules run off-thread */
    bool member_event = strcmp(s->req.type, "m.room.member") == 0 && s->req.state_key;
    size_t n;
    const char **owned;
    const char *const *users = wake_list(s->members, member_event ? s->req.state_key : NULL, &n,
                                         &owned);
    notifier_users_changed(srv->notifier, NOTIFY_EVENTS, s->w.pos, users, n);
    free(owned);
    raise_to(&last_sent_pos, s->w.pos);
}

/* The end of a send whose write failed: a transaction that raced in under the
 * same ID answers that event's ID. */
static int send_failed(struct sending *s, int rc, char event_id[MATRIX_EVENT_ID_HASH_LEN])
{
    if (rc == ERR_EXISTS && txn_event(s->srv, &s->req, event_id) == 0)
        return 0;
    return rc;
}

int rooms_send(struct server *srv, const struct room_send *req, char event_id[MATRIX_EVENT_ID_HASH_LEN],
               char *reason, size_t reason_len)
{
    reason[0] = '\0';
    if (txn_event(srv, req, event_id) == 0)
        return 0;
    struct sending s = {.srv = srv, .req = *req};
    int rc = send_build(&s, true, reason, reason_len);
    if (rc)
        return rc;
    struct db_pending_write *pending;
    rc = db_events_persist_begin(srv->db, &s.w, 1, sent_applied, &s, &pending);
    if (rc) /* not queued: sent_applied will not run */
        sent_applied(&s, rc);
    else
        rc = db_events_persist_end(srv->db, pending); /* durable before anyone hears of it */
    if (rc == 0) {
        snprintf(event_id, MATRIX_EVENT_ID_HASH_LEN, "%s", s.p.event_id);
        send_announce(&s);
        /* Back-pressure: the push worker must not fall ever further behind
         * (its queue holds a copy of each event, and /sync waits for it). */
        if (s.w.pos > ROOMS_PUSH_BACKLOG)
            push_wait_processed(s.w.pos - ROOMS_PUSH_BACKLOG, ROOMS_PUSH_WAIT_MS);
    } else {
        rc = send_failed(&s, rc, event_id);
    }
    rooms_members_unref(s.members);
    rooms__pending_fini(&s.p);
    return rc;
}

/* rooms_send_async's completion, on the writer's thread after the commit. */
static void sent_durable(void *arg, int rc)
{
    struct sending *s = arg;
    char event_id[MATRIX_EVENT_ID_HASH_LEN];
    if (rc == 0) {
        snprintf(event_id, sizeof event_id, "%s", s->p.event_id);
        send_announce(s);
    } else {
        rc = send_failed(s, rc, event_id);
    }
    s->done(s->done_ctx, rc, rc == 0 ? event_id : NULL, "");
    rooms_members_unref(s->members);
    rooms__pending_fini(&s->p);
    free(s);
}

/* A client's transaction ID is not looked up before the send (a read on the
 * request thread's connection, whose page cache every commit invalidates):
 * the writer's insert finds a retried one in the events_txn index it updates
 * anyway and refuses it (ERR_EXISTS), and the retry is answered with the
 * first event's ID (send_failed). A retry the auth rules now refuse (the
 * sender left) is looked up too, so it gets that ID as before. */
int rooms_send_async(struct server *srv, const struct room_send *req, bool no_wait,
                     rooms_sent_fn done, void *ctx)
{
    char event_id[MATRIX_EVENT_ID_HASH_LEN], reason[256] = "";
    /* Back-pressure before building, since nobody waits after the commit. */
    if (!push_caught_up(!no_wait))
        return ERR_LIMIT;
    struct sending *s = xcalloc(1, sizeof *s);
    *s = (struct sending){.srv = srv, .req = *req, .done = done, .done_ctx = ctx};
    int rc = send_build(s, !no_wait, reason, sizeof reason);
    if (rc == ERR_LIMIT) {
        free(s);
        return rc;
    }
    if (rc == 0) {
        rc = db_events_persist_async(srv->db, &s->w, 1, sent_applied, sent_durable, s);
        if (rc == 0)
            return 0; /* sent_durable answers */
        sent_applied(s, rc); /* not queued: lets the room's next send go */
        rooms__pending_fini(&s->p);
    }
    free(s);
    if (rc != ERR_DB && txn_event(srv, req, event_id) == 0) /* a refused retry */
        done(ctx, 0, event_id, "");
    else
        done(ctx, rc, NULL, reason);
    return 0;
}
