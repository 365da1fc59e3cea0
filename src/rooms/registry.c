/* registry.c: the in-memory room heads, loaded from the database on first
 * use: current state (with event IDs), forward extremities, depth, state group. */
#define LOG_MODULE "rooms"
#include "rooms/internal.h"

#include "base/err.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "db/db.h"
#include "matrix/power.h"
#include "server/server.h"

#include <string.h>

struct rooms {
    pthread_mutex_t lock; /* guards map */
    struct map map;       /* room_id -> struct room */
};

static void room_free(void *p)
{
    struct room *r = p;
    free(r->room_id);
    matrix_state_map_fini(&r->state);
    db_strings_free(r->extremities, r->n_extremities);
    free(r->hv);
    rooms_members_unref(r->joined);
    pthread_cond_destroy(&r->sent);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

struct rooms *rooms_new(void)
{
    struct rooms *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    map_init(&r->map, room_free);
    return r;
}

void rooms_free(struct rooms *r)
{
    if (!r)
        return;
    map_fini(&r->map);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Parses a stored event and adds "event_id" (state maps want it). */
json_t *rooms__event_with_id(const struct db_event *e)
{
    json_error_t jerr;
    json_t *ev = json_loads(e->json, 0, &jerr);
    if (ev)
        json_object_set_new(ev, "event_id", json_string(e->event_id));
    return ev;
}

static int load(struct server *srv, const char *room_id, struct room **out)
{
    char *version_id;
    bool is_public;
    int rc = db_room_get(srv->db, room_id, &version_id, &is_public);
    if (rc)
        return rc;
    const struct matrix_room_version *ver = matrix_room_version_find(version_id);
    free(version_id);
    if (!ver)
        return ERR_UNSUPPORTED;
    struct room *r = xcalloc(1, sizeof *r);
    r->room_id = xstrdup(room_id);
    r->version = ver;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->sent, NULL);
    matrix_state_map_init(&r->state);
    struct db_event *events;
    size_t n;
    rc = db_current_state_events(srv->db, room_id, &events, &n);
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            json_t *ev = rooms__event_with_id(&events[i]);
            if (ev) {
                matrix_state_map_put(&r->state, ev);
                json_decref(ev);
                if (events[i].redacted_by) /* as rooms__apply left it */
                    rooms__state_redact(r, events[i].event_id);
            }
        }
        db_events_free(events, n);
        rc = db_room_head(srv->db, room_id, &r->extremities, &r->n_extremities, &r->depth,
                          &r->state_group);
    }
    if (rc) {
        room_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int rooms_get(struct server *srv, const char *room_id, struct room **out)
{
    struct rooms *reg = srv->rooms;
    size_t len = strlen(room_id);
    pthread_mutex_lock(&reg->lock);
    struct room *r = map_get(&reg->map, room_id, len);
    pthread_mutex_unlock(&reg->lock);
    if (r) {
        *out = r;
        return 0;
    }
    int rc = load(srv, room_id, &r);
    if (rc)
        return rc;
    pthread_mutex_lock(&reg->lock);
    struct room *other = map_get(&reg->map, room_id, len);
    if (other) { /* loaded concurrently: keep the first */
        room_free(r);
        r = other;
    } else {
        map_put(&reg->map, room_id, len, r);
    }
    pthread_mutex_unlock(&reg->lock);
    *out = r;
    return 0;
}

/* Registers a room built by rooms_create (takes ownership). */
void rooms__register(struct server *srv, struct room *r)
{
    pthread_mutex_lock(&srv->rooms->lock);
    map_put(&srv->rooms->map, r->room_id, strlen(r->room_id), r);
    pthread_mutex_unlock(&srv->rooms->lock);
}

/* The membership in state (caller holds the lock). */
const char *rooms__membership_locked(struct room *room, const char *user_id)
{
    const json_t *ev = matrix_state_map_get(&room->state, "m.room.member", user_id);
    const char *m = json_string_value(json_object_get(json_object_get(ev, "content"),
                                                      "membership"));
    if (!m)
        return "leave";
    static const char *const known[] = {"join", "invite", "leave", "ban", "knock"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0)
            return known[i];
    return "leave";
}

const char *rooms_membership_of(struct room *room, const char *user_id)
{
    pthread_mutex_lock(&room->lock);
    const char *m = rooms__membership_locked(room, user_id);
    pthread_mutex_unlock(&room->lock);
    return m;
}

json_t *rooms_state_get(struct room *room, const char *type, const char *state_key)
{
    pthread_mutex_lock(&room->lock);
    json_t *ev = (json_t *)matrix_state_map_get(&room->state, type, state_key);
    if (ev)
        json_incref(ev);
    pthread_mutex_unlock(&room->lock);
    return ev;
}

struct members_ctx {
    struct rooms_members *m; /* being filled */
    size_t cap;              /* entries allocated */
};

static void collect_joined(const json_t *ev, void *arg)
{
    struct members_ctx *c = arg;
    if (strcmp(json_string_value(json_object_get(ev, "type")), "m.room.member") != 0)
        return;
    const json_t *content = json_object_get(ev, "content");
    const char *m = json_string_value(json_object_get(content, "membership"));
    if (!m || strcmp(m, "join") != 0)
        return;
    struct rooms_members *s = c->m;
    if (s->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        s->ids = xrealloc(s->ids, c->cap * sizeof *s->ids);
        s->names = xrealloc(s->names, c->cap * sizeof *s->names);
        s->events = xrealloc(s->events, c->cap * sizeof *s->events);
    }
    s->ids[s->n] = json_string_value(json_object_get(ev, "state_key"));
    s->names[s->n] = json_string_value(json_object_get(content, "displayname"));
    s->events[s->n] = json_incref((json_t *)ev);
    s->n++;
}

struct rooms_members *rooms__joined_snapshot_locked(struct room *room)
{
    if (!room->joined) {
        struct members_ctx c = {xcalloc(1, sizeof *c.m), 0};
        c.m->refs = 1;
        matrix_state_map_each(&room->state, collect_joined, &c);
        room->joined = c.m;
    }
    room->joined->refs++;
    return room->joined;
}

struct rooms_members *rooms_joined(struct room *room)
{
    pthread_mutex_lock(&room->lock);
    struct rooms_members *m = rooms__joined_snapshot_locked(room);
    pthread_mutex_unlock(&room->lock);
    return m;
}

void rooms_members_unref(struct rooms_members *m)
{
    if (!m || --m->refs > 0)
        return;
    for (size_t i = 0; i < m->n; i++)
        json_decref(m->events[i]);
    free(m->ids);
    free(m->names);
    free(m->events);
    free(m);
}

/* Joined members (caller holds the lock). */
char **rooms__joined_locked(struct room *room, size_t *n)
{
    struct rooms_members *m = rooms__joined_snapshot_locked(room);
    char **ids = xcalloc(m->n + 1, sizeof *ids);
    for (size_t i = 0; i < m->n; i++)
        ids[i] = xstrdup(m->ids[i]);
    *n = m->n;
    rooms_members_unref(m);
    return ids;
}

char **rooms_joined_members(struct room *room, size_t *n)
{
    pthread_mutex_lock(&room->lock);
    char **ids = rooms__joined_locked(room, n);
    pthread_mutex_unlock(&room->lock);
    return ids;
}

int64_t rooms_user_power(struct room *room, const char *user_id)
{
    pthread_mutex_lock(&room->lock);
    const json_t *create = matrix_state_map_get(&room->state, "m.room.create", "");
    const json_t *pl = matrix_state_map_get(&room->state, "m.room.power_levels", "");
    int64_t level = matrix_power_user_level(room->version, create, pl, user_id);
    pthread_mutex_unlock(&room->lock);
    return level;
}
