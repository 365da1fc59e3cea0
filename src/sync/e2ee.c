/* e2ee.c: the E2EE sections of /sync and device-list change tracking (see e2ee.h).
 *
 * Design notes:
 * 1. device_lists.changed between two tokens = users with a row in the
 *    device-list stream in (from, to] who share a joined room with the user
 *    now, the user included; plus every member of a room the user joined in
 *    that interval and every member who joined a shared room in it (as
 *    Synapse does: the client must fetch their keys).
 * 2. device_lists.left = members of rooms the user left, or who left a room
 *    shared with the user, in the interval, who share no room any more.
 * 3. to-device messages are deleted only when a later sync presents a since
 *    token at or past their position (the client saw the response). */
#define LOG_MODULE "sync"
#include "sync/e2ee.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "db/db.h"
#include "server/server.h"

#include <string.h>

static bool in_list(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* Adds s to the JSON array unless it is there already. */
static void add_unique(json_t *array, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v) if (strcmp(json_string_value(v), s) == 0) return;
    json_array_append_new(array, json_string(s));
}

/* sync_e2ee_device_lists; rooms_moved false: none of the user's rooms had
 * events in the interval, so no membership in them changed. */
static int device_lists(struct server *srv, const char *user_id, const struct sync_token *from,
                        const struct sync_token *to, bool rooms_moved, json_t *changed,
                        json_t *left)
{
    char **sharing = NULL, **users = NULL;
    size_t n_sharing = 0, n_users = 0, n_ms = 0;
    struct db_shared_membership *ms = NULL;
    int64_t since_ev = from->pos[NOTIFY_EVENTS], upto_ev = to->pos[NOTIFY_EVENTS];
    if (!rooms_moved)
        upto_ev = since_ev;
    if (from->pos[NOTIFY_DEVICE_LISTS] >= to->pos[NOTIFY_DEVICE_LISTS] && since_ev >= upto_ev)
        return 0; /* no key change and no membership change in the interval */
    int rc = 0;
    if (from->pos[NOTIFY_DEVICE_LISTS] < to->pos[NOTIFY_DEVICE_LISTS])
        rc = db_device_list_changes(srv->db, from->pos[NOTIFY_DEVICE_LISTS],
                                    to->pos[NOTIFY_DEVICE_LISTS], &users, &n_users);
    /* Membership changes come with events: none in the interval, nothing to add. */
    if (!rc && since_ev < upto_ev)
        rc = db_shared_membership_changes(srv->db, user_id, since_ev, upto_ev, &ms, &n_ms);
    /* who shares a room with the user, only when there is something to check */
    if (!rc && (n_users || n_ms))
        rc = db_users_sharing_rooms(srv->db, user_id, &sharing, &n_sharing);
    if (rc)
        goto out;
    for (size_t i = 0; i < n_users; i++)
        if (in_list(sharing, n_sharing, users[i]))
            add_unique(changed, users[i]);
    for (size_t i = 0; i < n_ms; i++) {
        const struct db_shared_membership *m = &ms[i];
        if (!m->mine_joined && !m->mine_changed)
            continue; /* a room left before the interval */
        if (m->mine_joined && m->member_joined)
            add_unique(changed, m->user_id);
        else if (!in_list(sharing, n_sharing, m->user_id) &&
                 ((!m->mine_joined && m->mine_changed && m->member_joined) ||
                  (!m->member_joined && m->member_changed)))
            add_unique(left, m->user_id);
    }
out:
    db_strings_free(sharing, n_sharing);
    db_strings_free(users, n_users);
    db_shared_memberships_free(ms, n_ms);
    return rc;
}

int sync_e2ee_device_lists(struct server *srv, const char *user_id, const struct sync_token *from,
                           const struct sync_token *to, json_t *changed, json_t *left)
{
    return device_lists(srv, user_id, from, to, true, changed, left);
}

void sync_e2ee_device_list_changed(struct server *srv, const char *user_id, int64_t pos)
{
    if (pos == 0 && db_device_lists_max_pos(srv->db, &pos))
        return;
    char **users;
    size_t n;
    if (db_users_sharing_rooms(srv->db, user_id, &users, &n)) {
        notifier_users_changed(srv->notifier, NOTIFY_DEVICE_LISTS, pos, &user_id, 1);
        return;
    }
    notifier_users_changed(srv->notifier, NOTIFY_DEVICE_LISTS, pos, (const char *const *)users, n);
    db_strings_free(users, n);
}

void sync_e2ee_ack(struct server *srv, const struct sync_request *req)
{
    int64_t since = req->has_since ? req->since.pos[NOTIFY_TO_DEVICE] : 0;
    if (req->device_id && since > 0 &&
        db_to_device_ack(srv->db, req->user_id, req->device_id, since))
        log_warn("to-device ack failed user=%s", req->user_id);
}

/* to_device.events after the since token (sync_e2ee_ack deleted the ones it confirms). */
static json_t *to_device_events(struct server *srv, const struct sync_request *req,
                                const struct sync_token *to, struct sync_token *next)
{
    json_t *events = json_array();
    if (!req->device_id)
        return events;
    int64_t since = req->has_since ? req->since.pos[NOTIFY_TO_DEVICE] : 0;
    struct db_to_device_msg *msgs;
    size_t n;
    if (db_to_device_fetch(srv->db, req->user_id, req->device_id, since, to->pos[NOTIFY_TO_DEVICE],
                           SYNC_TO_DEVICE_LIMIT, &msgs, &n))
        return events;
    for (size_t i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *content = json_loads(msgs[i].content, 0, &jerr);
        if (!content)
            continue;
        json_array_append_new(events, json_pack("{s:s, s:s, s:o}", "sender", msgs[i].sender,
                                                "type", msgs[i].type, "content", content));
    }
    if (n == SYNC_TO_DEVICE_LIMIT)
        next->pos[NOTIFY_TO_DEVICE] = msgs[n - 1].pos;
    db_to_device_msgs_free(msgs, n);
    return events;
}

json_t *sync_e2ee_sections(struct server *srv, const struct sync_request *req,
                           const struct sync_token *to, bool rooms_moved, struct sync_token *next,
                           bool *changed)
{
    json_t *events = to_device_events(srv, req, to, next);
    json_t *dl_changed = json_array(), *dl_left = json_array();
    if (req->has_since &&
        device_lists(srv, req->user_id, &req->since, to, rooms_moved, dl_changed, dl_left))
        log_warn("device list changes failed user=%s", req->user_id);
    *changed = json_array_size(events) || json_array_size(dl_changed) || json_array_size(dl_left);
    json_t *counts = json_object();
    json_t *fallback = json_array();
    if (req->device_id) {
        char **algs;
        int64_t *nums;
        size_t n;
        if (db_otk_counts(srv->db, req->user_id, req->device_id, &algs, &nums, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                json_object_set_new(counts, algs[i], json_integer(nums[i]));
            db_strings_free(algs, n);
            free(nums);
        }
        if (db_fallback_unused(srv->db, req->user_id, req->device_id, &algs, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                json_array_append_new(fallback, json_string(algs[i]));
            db_strings_free(algs, n);
        }
    }
    if (!json_object_get(counts, "signed_curve25519"))
        json_object_set_new(counts, "signed_curve25519", json_integer(0));
    return json_pack("{s:{s:o}, s:{s:o, s:o}, s:o, s:o}", "to_device", "events", events,
                     "device_lists", "changed", dl_changed, "left", dl_left,
                     "device_one_time_keys_count", counts, "device_unused_fallback_key_types",
                     fallback);
}
