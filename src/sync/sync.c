/* sync.c: the /sync response: rooms the user is in, was invited to, knocked
 * on or left since the token, with timeline, state, summary and account data;
 * the global account data; and the (for now empty) E2EE sections.
 * Spec: client-server "Syncing" (GET /sync). */
#define LOG_MODULE "sync"
#include "sync/sync.h"
#include "sync/e2ee.h"
#include "sync/ephemeral.h"
#include "sync/presence.h"
#include "sync/unread.h"

#include "base/err.h"
#include "base/log.h"
#include "base/map.h"
#include "base/mem.h"
#include "db/db.h"
#include "rooms/rooms.h"
#include "server/server.h"

#include <string.h>

/* Beyond this many new events an incremental sync asks every room instead
 * of listing the active ones first. */
enum { SYNC_ACTIVE_SCAN_MAX = 20000 };

/* Per-room account data changes, looked up by room. */
struct room_account_data {
    const struct db_account_data_changes *changes; /* borrowed */
};

static json_t *account_data_events(const struct db_account_data_changes *c, const char *room_id)
{
    json_t *events = json_array();
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->room_ids[i], room_id) != 0)
            continue;
        json_error_t jerr;
        json_t *content = json_loads(c->contents[i], 0, &jerr);
        if (!content)
            continue;
        json_array_append_new(events, json_pack("{s:s, s:o}", "type", c->types[i], "content",
                                                content));
    }
    return events;
}

int sync_lazy_members(struct server *srv, const char *room_id, int64_t state_group,
                      json_t *senders, json_t *array, const char *viewer_user,
                      const char *viewer_device)
{
    (void)room_id;
    struct db_state_entries st;
    int rc = db_state_group_load(srv->db, state_group, &st);
    if (rc)
        return rc;
    char **ids = xcalloc(st.n + 1, sizeof(char *));
    size_t n_ids = 0;
    for (size_t i = 0; i < st.n; i++) {
        if (strcmp(st.types[i], "m.room.member") != 0)
            continue;
        const char *key;
        json_t *v;
        bool wanted = false;
        json_object_foreach(senders, key, v) if (strcmp(key, st.state_keys[i]) == 0) wanted = true;
        if (wanted)
            ids[n_ids++] = st.event_ids[i];
    }
    struct db_event *events;
    size_t n;
    rc = db_events_get_many(srv->db, ids, n_ids, &events, &n);
    free(ids);
    db_state_entries_fini(&st);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(array,
                              rooms_event_client_format(srv, &events[i], viewer_user, viewer_device));
    db_events_free(events, n);
    return 0;
}

/* The full state at a state group, client formatted; with lazy loading only
 * the members in `senders` (plus the viewer). */
static int state_at_group(struct server *srv, const struct sync_request *req, int64_t group,
                          json_t *senders, json_t *out)
{
    struct db_state_entries st;
    int rc = db_state_group_load(srv->db, group, &st);
    if (rc)
        return rc;
    char **ids = xcalloc(st.n + 1, sizeof(char *));
    size_t n_ids = 0;
    for (size_t i = 0; i < st.n; i++) {
        if (req->filter->lazy_load_members && strcmp(st.types[i], "m.room.member") == 0 &&
            strcmp(st.state_keys[i], req->user_id) != 0 &&
            !json_object_get(senders, st.state_keys[i]))
            continue;
        ids[n_ids++] = st.event_ids[i];
    }
    struct db_event *events;
    size_t n;
    rc = db_events_get_many(srv->db, ids, n_ids, &events, &n);
    free(ids);
    db_state_entries_fini(&st);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, rooms_event_client_format(srv, &events[i], req->user_id,
                                                             req->device_id));
    db_events_free(events, n);
    return 0;
}

static int membership_by_pos(const void *a, const void *b)
{
    const struct db_membership *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Whether the room's state event has a non-empty string content[key]. */
static bool has_text(struct room *room, const char *type, const char *key)
{
    json_t *ev = rooms_state_get(room, type, "");
    const char *v = json_string_value(json_object_get(json_object_get(ev, "content"), key));
    bool yes = v && v[0];
    json_decref(ev);
    return yes;
}

/* The member counts and m.heroes from the current state: the first 5 joined
 * or invited members by stream ordering, never the user; when there are none,
 * the left and banned ones (spec: sync, RoomSummary). As Synapse, a room with
 * a name or canonical alias gets no heroes (the spec requires them only
 * without). */
static json_t *summary(struct server *srv, const char *room_id, const char *user_id)
{
    struct db_membership *m;
    size_t n;
    json_t *heroes = json_array();
    int64_t joined = 0, invited = 0;
    struct room *room;
    bool named = rooms_get(srv, room_id, &room) == 0 &&
                 (has_text(room, "m.room.name", "name") ||
                  has_text(room, "m.room.canonical_alias", "alias"));
    if (db_room_memberships(srv->db, room_id, NULL, &m, &n) == 0) {
        if (n)
            qsort(m, n, sizeof *m, membership_by_pos);
        for (size_t i = 0; i < n; i++) {
            joined += strcmp(m[i].membership, "join") == 0;
            invited += strcmp(m[i].membership, "invite") == 0;
        }
        for (int departed = 0; departed < 2 && !named && json_array_size(heroes) == 0;
             departed++) {
            for (size_t i = 0; i < n && json_array_size(heroes) < 5; i++) {
                const char *ms = m[i].membership;
                bool active = strcmp(ms, "join") == 0 || strcmp(ms, "invite") == 0;
                bool gone = strcmp(ms, "leave") == 0 || strcmp(ms, "ban") == 0;
                if ((departed ? gone : active) && strcmp(m[i].user_id, user_id) != 0)
                    json_array_append_new(heroes, json_string(m[i].user_id));
            }
        }
        db_memberships_free(m, n);
    }
    json_t *sum = json_pack("{s:I, s:I}", "m.joined_member_count", (json_int_t)joined,
                            "m.invited_member_count", (json_int_t)invited);
    if (named)
        json_decref(heroes);
    else
        json_object_set_new(sum, "m.heroes", heroes);
    return sum;
}

/* Whether a member event for user_id is among the client events in array. */
static bool has_member(const json_t *array, const char *user_id)
{
    size_t i;
    json_t *e;
    json_array_foreach(array, i, e)
    {
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *key = json_string_value(json_object_get(e, "state_key"));
        if (type && key && strcmp(type, "m.room.member") == 0 && strcmp(key, user_id) == 0)
            return true;
    }
    return false;
}

/* Lazy loading: the heroes' member events go with the summary unless the
 * timeline or the state already has them (spec: sync, m.heroes). */
static void hero_members(struct server *srv, const struct sync_request *req, const char *room_id,
                         const json_t *sum, const json_t *timeline, json_t *state)
{
    struct room *room;
    if (rooms_get(srv, room_id, &room) != 0)
        return;
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(sum, "m.heroes"), i, h)
    {
        const char *user = json_string_value(h);
        if (has_member(timeline, user) || has_member(state, user))
            continue;
        json_t *cur = rooms_state_get(room, "m.room.member", user);
        struct db_event e;
        const char *id = json_string_value(json_object_get(cur, "event_id"));
        if (id && db_event_get(srv->db, id, &e) == 0) {
            json_array_append_new(state, rooms_event_client_format(srv, &e, req->user_id,
                                                                   req->device_id));
            db_event_fini(&e);
        }
        json_decref(cur);
    }
}

/* Lazy loading in an incremental sync: the member event of each timeline
 * sender at the start of the timeline, unless the timeline or the state
 * already carries one (the server does not track what the client holds, so
 * members are sent again: include_redundant_members behaviour). */
static int lazy_members_since(struct server *srv, const struct sync_request *req,
                              const char *room_id, int64_t first_pos, json_t *senders,
                              const json_t *timeline, json_t *state)
{
    const char *user;
    json_t *v;
    json_object_foreach(senders, user, v)
    {
        if (has_member(timeline, user) || has_member(state, user))
            continue;
        struct db_event e;
        int rc = db_state_event_before(srv->db, room_id, "m.room.member", user, first_pos, &e);
        if (rc == ERR_NOT_FOUND)
            continue;
        if (rc)
            return rc;
        json_array_append_new(state, rooms_event_client_format(srv, &e, req->user_id,
                                                               req->device_id));
        db_event_fini(&e);
    }
    return 0;
}

/* Drops the client events of a state section that the filter's room.state
 * (StateFilter: types, not_types, senders, not_senders) leaves out. */
static void state_filter(const struct sync_filter *f, json_t *events)
{
    if (!f->st_types && !f->st_not_types && !f->st_senders && !f->st_not_senders)
        return;
    for (size_t i = json_array_size(events); i-- > 0;) {
        const json_t *e = json_array_get(events, i);
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *sender = json_string_value(json_object_get(e, "sender"));
        if (!type || !sender || !sync_filter_state_event(f, type, sender))
            json_array_remove(events, i);
    }
}

/* Appends the room's state events at lo < pos <= hi that are not in the
 * timeline (with lazy loading, members only of the timeline's senders and the
 * user: the others wait for /members). */
static int state_changes(struct server *srv, const struct sync_request *req, const char *room_id,
                         int64_t lo, int64_t hi, const json_t *senders, const json_t *in_timeline,
                         json_t *state)
{
    struct db_event *se;
    size_t sn;
    int rc = db_state_events_between(srv->db, room_id, lo, hi, 10000, &se, &sn);
    if (rc)
        return rc;
    for (size_t k = 0; k < sn; k++) {
        if (json_object_get(in_timeline, se[k].event_id))
            continue;
        if (req->filter->lazy_load_members && strcmp(se[k].type, "m.room.member") == 0 &&
            strcmp(se[k].state_key, req->user_id) != 0 &&
            !json_object_get(senders, se[k].state_key))
            continue;
        json_array_append_new(state, rooms_event_client_format(srv, &se[k], req->user_id,
                                                               req->device_id));
    }
    db_events_free(se, sn);
    return 0;
}

/* Timeline and state of one room between since (exclusive; 0 for a room new
 * to the client) and upto. initial: send the whole state at the timeline
 * start instead of the changes since `since` (full_state keeps the timeline
 * limited by since, as the spec says). quiet: the caller knows the room has
 * no events in the interval (no query). */
static int room_timeline(struct server *srv, const struct sync_request *req, const char *room_id,
                         int64_t since, int64_t upto, int64_t member_pos, bool initial, bool quiet,
                         json_t **timeline_out, json_t **state_out)
{
    /* The limit counts the events that pass the filter; events from before
     * the user's membership follow history visibility. */
    struct sync_page page = {0};
    int rc = quiet ? 0
                   : sync_events_page(srv, room_id, since, upto, false, req->filter, req->user_id,
                                      member_pos, (size_t)req->filter->timeline_limit, &page);
    if (rc)
        return rc;
    bool limited = page.more;
    json_t *list = json_array();
    json_t *senders = json_object();
    json_t *in_timeline = json_object(); /* event IDs */
    int64_t first_pos = page.n ? page.events[page.n - 1].pos
                        : limited ? page.resume + 1 : upto + 1;
    for (size_t k = page.n; k-- > 0;) {
        struct db_event *e = &page.events[k];
        json_array_append_new(list,
                              rooms_event_client_format(srv, e, req->user_id, req->device_id));
        json_object_set_new(senders, e->sender, json_true());
        json_object_set_new(in_timeline, e->event_id, json_true());
    }
    sync_page_fini(&page);
    /* State events the timeline filter left out still reach the state (as
     * Synapse's state delta: everything up to the timeline's end that the
     * timeline does not carry). */
    bool filtered = !quiet && sync_filter_narrows(req->filter);
    char prev_batch[32];
    snprintf(prev_batch, sizeof prev_batch, "t%lld", (long long)(first_pos - 1));
    json_t *state = json_array();
    json_t *none = json_object();
    if (req->state_after) {
        /* state_after (spec v1.16): the state at the END of the timeline, the
         * timeline's own state events included (clients take state only from
         * here); incremental: every state event since the token. */
        if (initial) {
            int64_t group;
            rc = db_room_state_group_before(srv->db, room_id, upto + 1, &group);
            if (!rc)
                rc = state_at_group(srv, req, group, senders, state);
        } else if (!quiet) {
            rc = state_changes(srv, req, room_id, since, upto, senders, none, state);
        }
    } else if (initial) {
        int64_t group;
        rc = db_room_state_group_before(srv->db, room_id, first_pos, &group);
        if (!rc)
            rc = state_at_group(srv, req, group, senders, state);
        if (!rc && filtered)
            rc = state_changes(srv, req, room_id, first_pos - 1, upto, senders, in_timeline, state);
    } else if (limited || filtered) {
        rc = state_changes(srv, req, room_id, since, filtered ? upto : first_pos - 1, senders,
                           in_timeline, state);
    }
    json_decref(in_timeline);
    json_decref(none);
    if (!rc && !initial && req->filter->lazy_load_members) {
        if (req->state_after) /* the senders as of the timeline's end, wherever they are */
            rc = lazy_members_since(srv, req, room_id, upto + 1, senders, NULL, state);
        else
            rc = lazy_members_since(srv, req, room_id, first_pos, senders, list, state);
    }
    state_filter(req->filter, state);
    *timeline_out = json_pack("{s:o, s:b, s:s}", "events", list, "limited", limited,
                              "prev_batch", prev_batch);
    *state_out = json_pack("{s:o}", "events", state);
    json_decref(senders);
    return rc;
}

/* Stripped state for invites and knocks (spec: "Stripped state"). */
static json_t *stripped_state(struct server *srv, const char *room_id, const char *member_event_id)
{
    static const char *const types[] = {"m.room.create",         "m.room.join_rules",
                                        "m.room.name",           "m.room.avatar",
                                        "m.room.canonical_alias", "m.room.encryption",
                                        "m.room.topic"};
    json_t *events = json_array();
    struct room *room = NULL;
    if (rooms_get(srv, room_id, &room) != 0)
        room = NULL;
    if (room) {
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            json_t *ev = rooms_state_get(room, types[i], "");
            if (ev)
                json_array_append_new(events, json_pack("{s:O, s:O, s:O, s:O}", "type",
                                                        json_object_get(ev, "type"), "state_key",
                                                        json_object_get(ev, "state_key"), "content",
                                                        json_object_get(ev, "content"), "sender",
                                                        json_object_get(ev, "sender")));
            json_decref(ev);
        }
    }
    struct db_event m;
    if (db_event_get(srv->db, member_event_id, &m) == 0) {
        /* The inviter's member event, so the client can show who invited
         * (Synapse includes the sender's membership the same way). */
        json_t *who = room && m.state_key && strcmp(m.sender, m.state_key) != 0
                          ? rooms_state_get(room, "m.room.member", m.sender)
                          : NULL;
        if (who)
            json_array_append_new(events, json_pack("{s:O, s:O, s:O, s:O}", "type",
                                                    json_object_get(who, "type"), "state_key",
                                                    json_object_get(who, "state_key"), "content",
                                                    json_object_get(who, "content"), "sender",
                                                    json_object_get(who, "sender")));
        json_decref(who);
        json_array_append_new(events, rooms_event_client_format(srv, &m, NULL, NULL));
        db_event_fini(&m);
    }
    return events;
}

int sync_compute(struct server *srv, const struct sync_request *req, const struct sync_token *to,
                 json_t **out, bool *has_changes)
{
    *out = NULL;
    *has_changes = false;
    int64_t since_ev = req->has_since ? req->since.pos[NOTIFY_EVENTS] : 0;
    int64_t upto = to->pos[NOTIFY_EVENTS];
    /* Every read below shares one read transaction: one snapshot (everything
     * up to `to` was committed before `to` was read) and one lock instead of
     * one per statement. Nothing below writes until db_read_end: the to-device
     * acknowledgement (a write) comes first, and the push worker's positions
     * are sampled before the snapshot. */
    sync_e2ee_ack(srv, req);
    struct sync_unread_at unread_at;
    sync_unread_prepare(upto, &unread_at);
    db_read_begin(srv->db);
    struct db_account_data_changes ad;
    int rc = db_account_data_since(srv->db, req->user_id,
                                   req->has_since ? req->since.pos[NOTIFY_ACCOUNT_DATA] : 0, &ad);
    if (rc) {
        db_read_end(srv->db);
        return rc;
    }
    struct db_membership *ms;
    size_t n_ms;
    rc = db_user_memberships(srv->db, req->user_id, &ms, &n_ms);
    if (rc) {
        db_read_end(srv->db);
        db_account_data_changes_fini(&ad);
        return rc;
    }
    /* An incremental sync looks only at the rooms that had events (one query
     * over the interval) instead of asking every room of the user. */
    json_t *active = NULL;
    if (req->has_since && upto - since_ev <= SYNC_ACTIVE_SCAN_MAX) {
        char **ids;
        size_t n_ids;
        if (db_rooms_with_events(srv->db, since_ev, upto, &ids, &n_ids) == 0) {
            active = json_object();
            for (size_t k = 0; k < n_ids; k++)
                json_object_set_new(active, ids[k], json_true());
            db_strings_free(ids, n_ids);
        }
    }
    /* where the rooms' state goes (spec v1.16 use_state_after) */
    const char *state_key = req->state_after == 2   ? "org.matrix.msc4222.state_after"
                            : req->state_after == 1 ? "state_after"
                                                    : "state";
    json_t *join = json_object(), *invite = json_object(), *leave = json_object(),
           *knock = json_object();
    for (size_t i = 0; i < n_ms && !rc; i++) {
        struct db_membership *m = &ms[i];
        if (m->pos > upto || !sync_filter_room(req->filter, m->room_id))
            continue;
        bool changed = !req->has_since || m->pos > since_ev;
        json_t *room_ad = account_data_events(&ad, m->room_id);
        sync_filter_section(&req->filter->room_account_data, m->room_id, room_ad);
        if (strcmp(m->membership, "join") == 0) {
            /* New to the client only when the user was not joined at since: a
             * joined member's updated member event (display name) is not a join. */
            bool newly_joined = changed;
            if (changed && req->has_since) {
                char *then = NULL;
                rc = db_membership_at(srv->db, m->room_id, req->user_id, since_ev + 1, &then);
                if (rc) {
                    json_decref(room_ad);
                    break;
                }
                newly_joined = strcmp(then, "join") != 0;
                free(then);
            }
            bool initial = newly_joined || req->full_state;
            json_t *timeline, *state;
            bool quiet = !initial && active && !json_object_get(active, m->room_id);
            rc = room_timeline(srv, req, m->room_id, newly_joined ? 0 : since_ev, upto, m->pos,
                               initial, quiet, &timeline, &state);
            if (rc) {
                json_decref(room_ad);
                break;
            }
            json_t *ephemeral = sync_ephemeral_room(srv, req, m->room_id, to, changed);
            bool any = initial || json_array_size(json_object_get(timeline, "events")) > 0 ||
                       json_array_size(json_object_get(state, "events")) > 0 ||
                       json_array_size(room_ad) > 0 || json_array_size(ephemeral) > 0;
            if (!any) {
                json_decref(timeline);
                json_decref(state);
                json_decref(room_ad);
                json_decref(ephemeral);
                continue;
            }
            json_t *sum = summary(srv, m->room_id, req->user_id);
            if (initial && req->filter->lazy_load_members) {
                hero_members(srv, req, m->room_id, sum,
                             req->state_after ? NULL : json_object_get(timeline, "events"),
                             json_object_get(state, "events"));
                state_filter(req->filter, json_object_get(state, "events"));
            }
            json_t *threads;
            json_t *unread = sync_unread_counts(srv, req->user_id, m->room_id, m->pos, &unread_at,
                                                req->filter->unread_thread_notifications,
                                                &threads);
            json_t *jr = json_pack("{s:o, s:o, s:{s:o}, s:{s:o}, s:o, s:o}", "timeline",
                                   timeline, state_key, state, "account_data", "events", room_ad,
                                   "ephemeral", "events", ephemeral, "summary", sum,
                                   "unread_notifications", unread);
            if (threads) /* only with the filter's option and unread threads (as Synapse) */
                json_object_set_new(jr, "unread_thread_notifications", threads);
            sync_filter_format_room(srv, req->filter, timeline, state); /* event_fields/format */
            json_object_set_new(join, m->room_id, jr);
        } else if (strcmp(m->membership, "invite") == 0 || strcmp(m->membership, "knock") == 0) {
            json_decref(room_ad);
            if (!changed && !req->full_state) /* full_state: every room, as initially */
                continue;
            bool is_invite = m->membership[0] == 'i';
            json_object_set_new(is_invite ? invite : knock, m->room_id,
                                json_pack("{s:{s:o}}", is_invite ? "invite_state" : "knock_state",
                                          "events", stripped_state(srv, m->room_id, m->event_id)));
        } else { /* leave, ban */
            if (!(changed && (req->has_since || req->filter->include_leave))) {
                json_decref(room_ad);
                continue;
            }
            json_t *timeline, *state;
            rc = room_timeline(srv, req, m->room_id, since_ev, m->pos, m->pos + 1,
                               !req->has_since || req->full_state, false, &timeline, &state);
            if (rc) {
                json_decref(room_ad);
                break;
            }
            sync_filter_format_room(srv, req->filter, timeline, state);
            json_object_set_new(leave, m->room_id,
                                json_pack("{s:o, s:o, s:{s:o}}", "timeline", timeline, state_key,
                                          state, "account_data", "events", room_ad));
        }
    }
    bool rooms_moved = !active; /* some room of the user had events since the token */
    for (size_t i = 0; i < n_ms && !rooms_moved; i++)
        rooms_moved = json_object_get(active, ms[i].room_id) != NULL;
    db_memberships_free(ms, n_ms);
    json_decref(active);
    struct sync_token next = *to;
    bool e2ee_changes = false;
    json_t *e2ee = rc ? NULL : sync_e2ee_sections(srv, req, to, rooms_moved, &next, &e2ee_changes);
    db_read_end(srv->db);
    if (rc) {
        json_decref(join);
        json_decref(invite);
        json_decref(leave);
        json_decref(knock);
        db_account_data_changes_fini(&ad);
        return rc;
    }
    json_t *global_ad = account_data_events(&ad, "");
    sync_filter_section(&req->filter->account_data, NULL, global_ad);
    *has_changes = json_object_size(join) || json_object_size(invite) || json_object_size(leave) ||
                   json_object_size(knock) || json_array_size(global_ad);
    if (ad.max_pos > next.pos[NOTIFY_ACCOUNT_DATA])
        next.pos[NOTIFY_ACCOUNT_DATA] = ad.max_pos;
    db_account_data_changes_fini(&ad);
    *has_changes = *has_changes || e2ee_changes;
    char next_batch[200];
    sync_token_format(&next, next_batch, sizeof next_batch);
    *out = json_pack("{s:s, s:{s:o, s:o, s:o, s:o}, s:{s:o}, s:{s:[]}, s:{s:[]}, s:{s:[], s:[]}, "
                     "s:{s:i}, s:[]}",
                     "next_batch", next_batch, "rooms", "join", join, "invite", invite, "leave",
                     leave, "knock", knock, "account_data", "events", global_ad, "presence",
                     "events", "to_device", "events", "device_lists", "changed", "left",
                     "device_one_time_keys_count", "signed_curve25519", 0,
                     "device_unused_fallback_key_types");
    json_object_update(*out, e2ee);
    json_decref(e2ee);
    if (sync_presence_section(srv, req, to, *out))
        *has_changes = true;
    return 0;
}
