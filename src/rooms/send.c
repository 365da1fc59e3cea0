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
    rc = matrix_event_sign_id(pdu, ver, srv->cfg->server_name, &srv->signing_key, out->event_id);
    if (rc) {
        snprintf(reason, reason_len, rc == ERR_TOO_LARGE     ? "event too large"
                                     : rc == ERR_UNSUPPORTED ? "cannot compute the event ID"
                                                             : "event content is not valid");
        goto fail;
    }
    struct buf canon;
    buf_init(&canon, (size_t)MATRIX_EVENT_MAX_BYTES * 4);
    rc = json_canonical_encode(pdu, &canon);
    if (rc == 0 && canon.len > MATRIX_EVENT_MAX_BYTES)
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

/* One event of rooms_send on its way through the writer. */
struct sending {
    struct room *room;              /* its room (sending set) */
    const struct rooms__pending *p; /* the built event */
    const struct db_event_write *w; /* its write (state_group set once written) */
    struct rooms_members *members;  /* out: the joined members as of the event (owned), or NULL */
};

/* Runs on the writer thread once the event is written in its transaction
 * (rc 0) or refused: moves the room head past it and lets the room's next
 * send build on it. */
static void sent_applied(void *arg, int rc)
{
    struct sending *s = arg;
    pthread_mutex_lock(&s->room->lock);
    if (rc == 0) {
        rooms__apply(s->room, s->p, s->w->state_group);
        s->members = rooms__joined_snapshot_locked(s->room);
    }
    s->room->sending = false;
    pthread_cond_signal(&s->room->sent);
    pthread_mutex_unlock(&s->room->lock);
}

int rooms_send(struct server *srv, const struct room_send *req, char event_id[MATRIX_EVENT_ID_HASH_LEN],
               char *reason, size_t reason_len)
{
    reason[0] = '\0';
    if (req->txn_id) {
        char *existing;
        if (db_event_by_txn(srv->db, req->sender, req->txn_device, req->txn_id, &existing) == 0) {
            snprintf(event_id, MATRIX_EVENT_ID_HASH_LEN, "%s", existing);
            free(existing);
            return 0;
        }
    }
    struct room *room;
    int rc = rooms_get(srv, req->room_id, &room);
    if (rc)
        return rc;
    /* One event at a time per room, from building it to its write inside the
     * writer's transaction (which fixes its position; the writer then moves
     * the head in sent_applied), not across the fsync: the room's next event
     * can join the same or the next commit. */
    pthread_mutex_lock(&room->lock);
    while (room->sending)
        pthread_cond_wait(&room->sent, &room->lock);
    struct rooms__pending p;
    rc = rooms__build(srv, room, req, &p, reason, reason_len);
    if (rc) {
        pthread_mutex_unlock(&room->lock);
        return rc;
    }
    struct db_event_write w;
    rooms__pending_write(req, &p, &w);
    w.prev_state_group = room->state_group;
    room->sending = true;
    pthread_mutex_unlock(&room->lock);
    struct sending s = {room, &p, &w, NULL};
    struct db_pending_write *pending;
    rc = db_events_persist_begin(srv->db, &w, 1, sent_applied, &s, &pending);
    if (rc) /* not queued: sent_applied will not run */
        sent_applied(&s, rc);
    else
        rc = db_events_persist_end(srv->db, pending); /* durable before anyone hears of it */
    struct rooms_members *members = s.members;
    if (rc == 0) {
        snprintf(event_id, MATRIX_EVENT_ID_HASH_LEN, "%s", p.event_id);
        push_event_persisted(srv, p.event_id, p.pdu, w.pos); /* queued: rules run off-thread */
        bool member_event = strcmp(req->type, "m.room.member") == 0 && req->state_key;
        size_t n;
        const char **owned;
        const char *const *users = wake_list(members, member_event ? req->state_key : NULL, &n,
                                             &owned);
        notifier_users_changed(srv->notifier, NOTIFY_EVENTS, w.pos, users, n);
        free(owned);
        /* Back-pressure: the push worker must not fall ever further behind
         * (its queue holds a copy of each event, and /sync waits for it). */
        if (w.pos > ROOMS_PUSH_BACKLOG)
            push_wait_processed(w.pos - ROOMS_PUSH_BACKLOG, ROOMS_PUSH_WAIT_MS);
    }
    rooms_members_unref(members);
    rooms__pending_fini(&p);
    if (rc == ERR_EXISTS && req->txn_id) { /* the same transaction raced in: answer its ID */
        char *existing;
        if (db_event_by_txn(srv->db, req->sender, req->txn_device, req->txn_id, &existing) == 0) {
            snprintf(event_id, MATRIX_EVENT_ID_HASH_LEN, "%s", existing);
            free(existing);
            return 0;
        }
    }
    return rc;
}
