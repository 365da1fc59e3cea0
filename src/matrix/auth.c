/* auth.c: the authorisation rules of room versions 1-11 (see auth.h).
 *
 * One function per rule group, in the spec's order; each cites the rule
 * numbers of rooms/v11 (the newest numbering) and notes where older versions
 * differ. Version differences are read from struct matrix_room_version,
 * never from the version string:
 *   aliases_auth_rule     v1-5  rule "m.room.aliases"
 *   redaction_auth_rule   v1-2  rule "m.room.redaction"
 *   notifications_pl      v6+   power level "notifications" checked like "events"
 *   knocking              v7+   join rule and membership "knock"
 *   restricted_join       v8+   join rule "restricted", join_authorised_via_users_server
 *   knock_restricted      v10+  join rule "knock_restricted"
 *   integer_power_levels  v10+  power level values must be integers
 *   create_requires_creator v1-10 (v11: the creator is the create event's sender)
 *   room_id_format, creators_privileged, create_in_auth_events  v12: room ID =
 *         create event ID, creators with infinite power, no create in auth_events
 *         (v12 inserts a rule 2 and shifts the later numbers by one)
 * Power level arithmetic lives in power.c. */
#include "matrix/auth.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "matrix/ids.h"
#include "matrix/power.h"
#include "matrix/versions.h"

static int deny(char *reason, size_t reason_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int deny(char *reason, size_t reason_len, const char *fmt, ...)
{
    if (reason && reason_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_len, fmt, ap);
        va_end(ap);
    }
    return ERR_FORBIDDEN;
}

static const char *jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The server name of a user, room or v1 event ID: everything after the first
 * ':' (a port stays part of it). NULL when there is none. */
static const char *server_of(const char *id)
{
    if (!id)
        return NULL;
    const char *colon = strchr(id, ':');
    return colon && colon[1] ? colon + 1 : NULL;
}

/* A user ID as the power levels "users" keys need it (historical localparts
 * accepted, as in events generally). */
static bool user_id_ok(const char *s)
{
    return matrix_user_id_parse(s, strlen(s), NULL) == 0;
}

static const json_t *state_get(const struct matrix_auth_state *st, const char *type,
                               const char *state_key)
{
    return st->get(st->ctx, type, state_key);
}

/* ---- the state lookup over a JSON array ---- */

static const json_t *array_get(void *ctx, const char *type, const char *state_key)
{
    const json_t *events = ctx;
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev) {
        if (streq(jstr(ev, "type"), type) && streq(jstr(ev, "state_key"), state_key))
            return ev;
    }
    return NULL;
}

void matrix_auth_state_from_array(struct matrix_auth_state *st, const json_t *events,
                                  const struct matrix_auth_verify *verify)
{
    st->get = array_get;
    st->ctx = (void *)events;
    st->verify = verify;
}

const char *matrix_auth_membership(const struct matrix_auth_state *state, const char *user_id)
{
    if (!user_id)
        return NULL;
    const json_t *m = state_get(state, "m.room.member", user_id);
    return jstr(json_object_get(m, "content"), "membership");
}

int64_t matrix_auth_user_level(const struct matrix_room_version *ver,
                               const struct matrix_auth_state *state, const char *user_id)
{
    return matrix_power_user_level(ver, state_get(state, "m.room.create", ""),
                                   state_get(state, "m.room.power_levels", ""), user_id);
}

/* The event ID a prev_events / auth_events entry names: a string (v3+) or
 * the first element of an [event_id, hashes] pair (v1-2). */
static const char *ref_id(const json_t *entry)
{
    if (json_is_array(entry))
        entry = json_array_get(entry, 0);
    return json_string_value(entry);
}

/* ---- rule 1: m.room.create ---- */

static int check_create(const struct matrix_room_version *ver, const json_t *event,
                        const char *sender, char *reason, size_t reason_len)
{
    const json_t *prev = json_object_get(event, "prev_events");
    if (json_array_size(prev) > 0)
        return deny(reason, reason_len, "m.room.create must not have prev_events");
    if (ver->room_id_format == MATRIX_ROOM_ID_CREATE_HASH) {
        /* v12 1.2: the room ID is derived from the create event. */
        if (json_object_get(event, "room_id"))
            return deny(reason, reason_len, "m.room.create must not have a room_id");
    } else {
        const char *room_server = server_of(jstr(event, "room_id"));
        if (!room_server || !streq(room_server, server_of(sender)))
            return deny(reason, reason_len,
                        "room ID and sender of m.room.create differ in server name");
    }
    const json_t *content = json_object_get(event, "content");
    const json_t *rv = json_object_get(content, "room_version");
    if (rv && (!json_is_string(rv) || !matrix_room_version_find(json_string_value(rv))))
        return deny(reason, reason_len, "unknown room version in m.room.create");
    if (ver->create_requires_creator && !json_is_string(json_object_get(content, "creator")))
        return deny(reason, reason_len, "m.room.create has no creator");
    const json_t *extra = json_object_get(content, "additional_creators");
    if (ver->creators_privileged && extra) {
        /* v12 1.4 */
        if (!json_is_array(extra))
            return deny(reason, reason_len, "additional_creators is not an array");
        size_t i;
        const json_t *u;
        json_array_foreach(extra, i, u) {
            if (!json_is_string(u) || !user_id_ok(json_string_value(u)))
                return deny(reason, reason_len, "additional_creators holds an invalid user ID");
        }
    }
    return 0;
}

/* ---- rule 4: m.room.member ---- */

struct member_ctx {
    const struct matrix_room_version *ver; /* the room version's rules */
    const json_t *event;                   /* the member event being checked */
    const struct matrix_auth_state *st;    /* the state it is checked against */
    const char *sender;     /* event sender */
    const char *target;     /* state_key */
    const char *sender_m;   /* sender's current membership, NULL for none */
    const char *target_m;   /* target's current membership, NULL for none */
    const char *join_rule;  /* current join rule ("invite" when no event) */
    const json_t *create;   /* m.room.create in state */
    const json_t *pl;       /* m.room.power_levels in state, or NULL */
    int64_t sender_level;   /* power level of sender */
    int64_t target_level;   /* power level of target */
    char *reason;           /* out */
    size_t reason_len;      /* bytes at reason */
};

static int64_t action_level(const struct member_ctx *m, enum matrix_power_action a)
{
    return matrix_power_action_level(m->ver, m->pl, a);
}

/* 4.3: membership join. */
static int member_join(const struct member_ctx *m)
{
    /* 4.3.1: the creator's own join right after the create event. */
    const json_t *prev = json_object_get(m->event, "prev_events");
    if (json_array_size(prev) == 1) {
        const char *prev_id = ref_id(json_array_get(prev, 0));
        if (streq(prev_id, jstr(m->create, "event_id")) &&
            streq(m->target, matrix_power_creator(m->ver, m->create)))
            return 0;
    }
    if (!streq(m->sender, m->target))
        return deny(m->reason, m->reason_len, "cannot join on behalf of another user");
    if (streq(m->sender_m, "ban"))
        return deny(m->reason, m->reason_len, "user is banned from the room");
    const char *jr = m->join_rule;
    bool was_in = streq(m->target_m, "invite") || streq(m->target_m, "join");
    if (streq(jr, "invite") || (m->ver->knocking && streq(jr, "knock"))) {
        if (was_in)
            return 0;
        return deny(m->reason, m->reason_len, "the room is invite-only and the user is not invited");
    }
    if (m->ver->restricted_join &&
        (streq(jr, "restricted") || (m->ver->knock_restricted && streq(jr, "knock_restricted")))) {
        if (was_in)
            return 0;
        const char *via =
            jstr(json_object_get(m->event, "content"), "join_authorised_via_users_server");
        if (!via)
            return deny(m->reason, m->reason_len,
                        "restricted room: join_authorised_via_users_server is required");
        if (!streq(matrix_auth_membership(m->st, via), "join"))
            return deny(m->reason, m->reason_len,
                        "restricted room: the authorising user is not joined");
        if (matrix_power_user_level(m->ver, m->create, m->pl, via) <
            action_level(m, MATRIX_POWER_INVITE))
            return deny(m->reason, m->reason_len,
                        "restricted room: the authorising user may not invite");
        return 0;
    }
    if (streq(jr, "public"))
        return 0;
    return deny(m->reason, m->reason_len, "join rule \"%s\" does not allow joining",
                jr ? jr : "(none)");
}

/* 4.4.1: invite through a third-party invite. */
static int member_tpi(const struct member_ctx *m, const json_t *tpi)
{
    if (streq(m->target_m, "ban"))
        return deny(m->reason, m->reason_len, "the invited user is banned");
    const json_t *signed_obj = json_object_get(tpi, "signed");
    if (!json_is_object(signed_obj))
        return deny(m->reason, m->reason_len, "third_party_invite has no signed object");
    const char *mxid = jstr(signed_obj, "mxid");
    const char *token = jstr(signed_obj, "token");
    if (!mxid || !token)
        return deny(m->reason, m->reason_len, "third_party_invite.signed lacks mxid or token");
    if (!streq(mxid, m->target))
        return deny(m->reason, m->reason_len, "third_party_invite mxid does not match state_key");
    const json_t *inv = state_get(m->st, "m.room.third_party_invite", token);
    if (!inv)
        return deny(m->reason, m->reason_len, "no m.room.third_party_invite for this token");
    if (!streq(m->sender, jstr(inv, "sender")))
        return deny(m->reason, m->reason_len,
                    "sender did not send the m.room.third_party_invite");
    const struct matrix_auth_verify *v = m->st->verify;
    if (v && v->tpi_signed) {
        const json_t *content = json_object_get(inv, "content");
        const char *key = jstr(content, "public_key");
        if (key && v->tpi_signed(v->ctx, signed_obj, key))
            return 0;
        size_t i;
        const json_t *k;
        json_array_foreach(json_object_get(content, "public_keys"), i, k) {
            key = jstr(k, "public_key");
            if (key && v->tpi_signed(v->ctx, signed_obj, key))
                return 0;
        }
    }
    return deny(m->reason, m->reason_len, "third_party_invite signature does not verify");
}

/* 4.4: membership invite. */
static int member_invite(const struct member_ctx *m)
{
    const json_t *tpi = json_object_get(json_object_get(m->event, "content"), "third_party_invite");
    if (tpi)
        return member_tpi(m, tpi);
    if (!streq(m->sender_m, "join"))
        return deny(m->reason, m->reason_len, "inviter is not joined to the room");
    if (streq(m->target_m, "join"))
        return deny(m->reason, m->reason_len, "the invited user is already joined");
    if (streq(m->target_m, "ban"))
        return deny(m->reason, m->reason_len, "the invited user is banned");
    if (m->sender_level >= action_level(m, MATRIX_POWER_INVITE))
        return 0;
    return deny(m->reason, m->reason_len, "power level too low to invite");
}

/* 4.5: membership leave (leaving, rejecting, kicking, unbanning). */
static int member_leave(const struct member_ctx *m)
{
    if (streq(m->sender, m->target)) {
        if (streq(m->target_m, "invite") || streq(m->target_m, "join") ||
            (m->ver->knocking && streq(m->target_m, "knock")))
            return 0;
        return deny(m->reason, m->reason_len, "user is not in the room, cannot leave");
    }
    if (!streq(m->sender_m, "join"))
        return deny(m->reason, m->reason_len, "sender is not joined to the room");
    if (streq(m->target_m, "ban") && m->sender_level < action_level(m, MATRIX_POWER_BAN))
        return deny(m->reason, m->reason_len, "power level too low to unban");
    if (m->sender_level >= action_level(m, MATRIX_POWER_KICK) &&
        m->target_level < m->sender_level)
        return 0;
    return deny(m->reason, m->reason_len, "power level too low to kick this user");
}

/* 4.6: membership ban. */
static int member_ban(const struct member_ctx *m)
{
    if (!streq(m->sender_m, "join"))
        return deny(m->reason, m->reason_len, "sender is not joined to the room");
    if (m->sender_level >= action_level(m, MATRIX_POWER_BAN) && m->target_level < m->sender_level)
        return 0;
    return deny(m->reason, m->reason_len, "power level too low to ban this user");
}

/* 4.7 (v7+): membership knock. */
static int member_knock(const struct member_ctx *m)
{
    const char *jr = m->join_rule;
    if (!streq(jr, "knock") && !(m->ver->knock_restricted && streq(jr, "knock_restricted")))
        return deny(m->reason, m->reason_len, "the join rule does not allow knocking");
    if (!streq(m->sender, m->target))
        return deny(m->reason, m->reason_len, "cannot knock on behalf of another user");
    if (streq(m->sender_m, "ban") || streq(m->sender_m, "invite") || streq(m->sender_m, "join"))
        return deny(m->reason, m->reason_len, "cannot knock while banned, invited or joined");
    return 0;
}

static int check_member(const struct matrix_room_version *ver, const json_t *event,
                        const struct matrix_auth_state *st, const json_t *create,
                        const char *sender, char *reason, size_t reason_len)
{
    const json_t *content = json_object_get(event, "content");
    const char *target = jstr(event, "state_key");
    const char *membership = jstr(content, "membership");
    if (!target || !membership)
        return deny(reason, reason_len, "m.room.member needs a state_key and a membership");
    /* 4.2 (v8+): the authorising server must have signed the event. */
    const json_t *via = json_object_get(content, "join_authorised_via_users_server");
    if (ver->restricted_join && via) {
        const char *server = server_of(json_string_value(via));
        const struct matrix_auth_verify *v = st->verify;
        if (!server || !v || !v->server_signed || !v->server_signed(v->ctx, event, server))
            return deny(reason, reason_len,
                        "event is not signed by the server of join_authorised_via_users_server");
    }
    struct member_ctx m = {
        .ver = ver,
        .event = event,
        .st = st,
        .sender = sender,
        .target = target,
        .sender_m = matrix_auth_membership(st, sender),
        .target_m = matrix_auth_membership(st, target),
        .create = create,
        .pl = state_get(st, "m.room.power_levels", ""),
        .reason = reason,
        .reason_len = reason_len,
    };
    /* With no m.room.join_rules event, or one without a join_rule key, the
     * room behaves as invite-only (the spec does not say; Synapse does the
     * same). A join_rule that is not a string matches no rule. */
    const json_t *jr_content = json_object_get(state_get(st, "m.room.join_rules", ""), "content");
    const json_t *jr_value = json_object_get(jr_content, "join_rule");
    m.join_rule = jr_value ? json_string_value(jr_value) : "invite";
    m.sender_level = matrix_power_user_level(ver, create, m.pl, sender);
    m.target_level = matrix_power_user_level(ver, create, m.pl, target);
    if (strcmp(membership, "join") == 0)
        return member_join(&m);
    if (strcmp(membership, "invite") == 0)
        return member_invite(&m);
    if (strcmp(membership, "leave") == 0)
        return member_leave(&m);
    if (strcmp(membership, "ban") == 0)
        return member_ban(&m);
    if (ver->knocking && strcmp(membership, "knock") == 0)
        return member_knock(&m);
    return deny(reason, reason_len, "unknown membership \"%s\"", membership);
}

/* ---- rule 9: m.room.power_levels ---- */

static const char *const pl_top_keys[] = {"users_default", "events_default", "state_default",
                                          "ban",           "redact",         "kick",
                                          "invite"};

/* 9.1-9.3: the shape of the new content. v1-9 accept strings and floats
 * (power.c); we also reject top-level and "events" values that cannot be read
 * as a level at all, as Synapse does, since the spec gives them no meaning. */
static int pl_validate(const struct matrix_room_version *ver, const json_t *content, char *reason,
                       size_t reason_len)
{
    int64_t v;
    for (size_t i = 0; i < sizeof pl_top_keys / sizeof pl_top_keys[0]; i++) {
        const json_t *val = json_object_get(content, pl_top_keys[i]);
        if (val && matrix_power_parse(ver, val, &v) != 0)
            return deny(reason, reason_len, "power level \"%s\" is not an integer", pl_top_keys[i]);
    }
    const char *const maps[] = {"events", "notifications", "users"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *obj = json_object_get(content, maps[i]);
        if (!obj)
            continue;
        if (i == 1 && !ver->notifications_pl)
            continue; /* "notifications" has no auth meaning before v6 */
        if (!json_is_object(obj))
            return deny(reason, reason_len, "power levels \"%s\" is not an object", maps[i]);
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)obj, key, val) {
            if (i == 2 && !user_id_ok(key))
                return deny(reason, reason_len, "power levels users key \"%s\" is not a user ID",
                            key);
            if (matrix_power_parse(ver, val, &v) != 0)
                return deny(reason, reason_len, "power levels %s.%s is not an integer", maps[i],
                            key);
        }
    }
    return 0;
}

static bool read_level(const struct matrix_room_version *ver, const json_t *obj, const char *key,
                       int64_t *out)
{
    return json_is_object(obj) && matrix_power_parse(ver, json_object_get(obj, key), out) == 0;
}

/* Checks one added, changed or removed value (9.5-9.9). own_entry: the users
 * entry of the sender itself. users: the stricter ">=" rule for old values. */
static int pl_check_one(const struct matrix_room_version *ver, const json_t *old_obj,
                        const json_t *new_obj, const char *key, int64_t level, bool users,
                        bool own_entry, const char *what, char *reason, size_t reason_len)
{
    int64_t o = 0, n = 0;
    bool has_o = read_level(ver, old_obj, key, &o);
    bool has_n = read_level(ver, new_obj, key, &n);
    if (has_o == has_n && (!has_o || o == n))
        return 0; /* unchanged */
    if (has_o) {
        bool too_high = users && !own_entry ? o >= level : o > level;
        if (too_high)
            return deny(reason, reason_len,
                        "cannot change %s \"%s\" from %lld: not below your level %lld", what, key,
                        (long long)o, (long long)level);
    }
    if (has_n && n > level)
        return deny(reason, reason_len, "cannot set %s \"%s\" to %lld, above your level %lld",
                    what, key, (long long)n, (long long)level);
    return 0;
}

/* Runs pl_check_one over the union of the keys of content.<map> old and new. */
static int pl_check_map(const struct matrix_room_version *ver, const json_t *old_c,
                        const json_t *new_c, const char *map, int64_t level, const char *sender,
                        char *reason, size_t reason_len)
{
    const json_t *o = json_object_get(old_c, map);
    const json_t *n = json_object_get(new_c, map);
    bool users = strcmp(map, "users") == 0;
    const json_t *sides[2] = {o, n};
    for (int s = 0; s < 2; s++) {
        if (!json_is_object(sides[s]))
            continue;
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)sides[s], key, val) {
            (void)val;
            if (s == 1 && json_is_object(o) && json_object_get(o, key))
                continue; /* seen from the old side */
            int rc = pl_check_one(ver, o, n, key, level, users, users && streq(key, sender), map,
                                  reason, reason_len);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int check_power_levels(const struct matrix_room_version *ver, const json_t *event,
                              const struct matrix_auth_state *st, const json_t *create,
                              const char *sender, char *reason, size_t reason_len)
{
    const json_t *new_c = json_object_get(event, "content");
    int rc = pl_validate(ver, new_c, reason, reason_len);
    if (rc)
        return rc;
    const json_t *old = state_get(st, "m.room.power_levels", "");
    if (ver->creators_privileged) {
        /* v12 10.4: creators cannot appear in "users". */
        const char *key;
        const json_t *val;
        json_object_foreach(json_object_get(new_c, "users"), key, val) {
            (void)val;
            if (matrix_power_is_creator(ver, create, key))
                return deny(reason, reason_len, "room creator %s cannot be given a power level",
                            key);
        }
    }
    if (!old)
        return 0; /* 9.4 */
    const json_t *old_c = json_object_get(old, "content");
    int64_t level = matrix_power_user_level(ver, create, old, sender);
    for (size_t i = 0; i < sizeof pl_top_keys / sizeof pl_top_keys[0]; i++) {
        rc = pl_check_one(ver, old_c, new_c, pl_top_keys[i], level, false, false, "power level",
                          reason, reason_len);
        if (rc)
            return rc;
    }
    rc = pl_check_map(ver, old_c, new_c, "events", level, sender, reason, reason_len);
    if (rc == 0 && ver->notifications_pl)
        rc = pl_check_map(ver, old_c, new_c, "notifications", level, sender, reason, reason_len);
    if (rc == 0)
        rc = pl_check_map(ver, old_c, new_c, "users", level, sender, reason, reason_len);
    return rc;
}

/* ---- the rules in order ---- */

int matrix_auth_check(const struct matrix_room_version *ver, const json_t *event,
                      const struct matrix_auth_state *state, char *reason, size_t reason_len)
{
    if (reason && reason_len > 0)
        reason[0] = '\0';
    const char *type = jstr(event, "type");
    const char *sender = jstr(event, "sender");
    if (!type || !sender || !server_of(sender))
        return deny(reason, reason_len, "event has no valid type or sender");
    const json_t *sk = json_object_get(event, "state_key");
    const char *state_key = json_string_value(sk);
    if (sk && !state_key)
        return deny(reason, reason_len, "state_key is not a string");

    /* 1 */
    if (strcmp(type, "m.room.create") == 0)
        return check_create(ver, event, sender, reason, reason_len);

    const json_t *create = state_get(state, "m.room.create", "");
    if (!create)
        return deny(reason, reason_len, "no m.room.create event in the room state");
    if (ver->room_id_format == MATRIX_ROOM_ID_CREATE_HASH) {
        /* v12 rule 2: the room ID is the create event's ID with '!'. */
        const char *cid = jstr(create, "event_id");
        const char *rid = jstr(event, "room_id");
        if (!cid || !rid || cid[0] != '$' || rid[0] != '!' || strcmp(cid + 1, rid + 1) != 0)
            return deny(reason, reason_len, "room ID does not name the room's m.room.create");
    } else if (!streq(jstr(create, "room_id"), jstr(event, "room_id"))) {
        return deny(reason, reason_len, "m.room.create belongs to another room");
    }

    /* 3: m.federate */
    const json_t *fed = json_object_get(json_object_get(create, "content"), "m.federate");
    if (json_is_false(fed) && !streq(server_of(sender), server_of(jstr(create, "sender"))))
        return deny(reason, reason_len, "room is not federated");

    /* v1-5 rule 4: m.room.aliases */
    if (ver->aliases_auth_rule && strcmp(type, "m.room.aliases") == 0) {
        if (!state_key)
            return deny(reason, reason_len, "m.room.aliases needs a state_key");
        if (!streq(state_key, server_of(sender)))
            return deny(reason, reason_len, "m.room.aliases state_key must be the sender's server");
        return 0;
    }

    /* 4 */
    if (strcmp(type, "m.room.member") == 0)
        return check_member(ver, event, state, create, sender, reason, reason_len);

    /* 5 */
    if (!streq(matrix_auth_membership(state, sender), "join"))
        return deny(reason, reason_len, "sender is not joined to the room");

    const json_t *pl = state_get(state, "m.room.power_levels", "");
    int64_t level = matrix_power_user_level(ver, create, pl, sender);

    /* 6 */
    if (strcmp(type, "m.room.third_party_invite") == 0) {
        if (level >= matrix_power_action_level(ver, pl, MATRIX_POWER_INVITE))
            return 0;
        return deny(reason, reason_len, "power level too low to invite");
    }

    /* 7 */
    int64_t required = matrix_power_event_level(ver, pl, type, state_key != NULL);
    if (required > level)
        return deny(reason, reason_len, "sending %s needs power level %lld, sender has %lld", type,
                    (long long)required, (long long)level);

    /* 8 */
    if (state_key && state_key[0] == '@' && strcmp(state_key, sender) != 0)
        return deny(reason, reason_len, "state_key starting with '@' must be the sender");

    /* 9 */
    if (strcmp(type, "m.room.power_levels") == 0)
        return check_power_levels(ver, event, state, create, sender, reason, reason_len);

    /* v1-2 rule 11: m.room.redaction */
    if (ver->redaction_auth_rule && strcmp(type, "m.room.redaction") == 0) {
        if (level >= matrix_power_action_level(ver, pl, MATRIX_POWER_REDACT))
            return 0;
        const char *redacts = jstr(event, "redacts");
        const char *mine = server_of(jstr(event, "event_id"));
        if (mine && streq(server_of(redacts), mine))
            return 0;
        return deny(reason, reason_len, "power level too low to redact another server's event");
    }

    /* 10 */
    return 0;
}

/* ---- auth events selection and rule 2 ---- */

static size_t add_key(struct matrix_state_key *out, size_t n, const char *type,
                      const char *state_key)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(out[i].type, type) == 0 && strcmp(out[i].state_key, state_key) == 0)
            return n;
    }
    if (n >= MATRIX_AUTH_TYPES_MAX)
        return n;
    out[n].type = type;
    out[n].state_key = state_key;
    return n + 1;
}

size_t matrix_auth_types_for(const struct matrix_room_version *ver, const json_t *event,
                             struct matrix_state_key out[MATRIX_AUTH_TYPES_MAX])
{
    const char *type = jstr(event, "type");
    if (!type || strcmp(type, "m.room.create") == 0)
        return 0;
    size_t n = 0;
    if (ver->create_in_auth_events)
        n = add_key(out, n, "m.room.create", "");
    n = add_key(out, n, "m.room.power_levels", "");
    const char *sender = jstr(event, "sender");
    if (sender)
        n = add_key(out, n, "m.room.member", sender);
    if (strcmp(type, "m.room.member") != 0)
        return n;
    const char *target = jstr(event, "state_key");
    const json_t *content = json_object_get(event, "content");
    const char *membership = jstr(content, "membership");
    if (target)
        n = add_key(out, n, "m.room.member", target);
    if (streq(membership, "join") || streq(membership, "invite") || streq(membership, "knock"))
        n = add_key(out, n, "m.room.join_rules", "");
    if (streq(membership, "invite")) {
        const char *token =
            jstr(json_object_get(json_object_get(content, "third_party_invite"), "signed"), "token");
        if (token)
            n = add_key(out, n, "m.room.third_party_invite", token);
    }
    if (streq(membership, "join") && ver->restricted_join) {
        const char *via = jstr(content, "join_authorised_via_users_server");
        if (via)
            n = add_key(out, n, "m.room.member", via);
    }
    return n;
}

int matrix_auth_events_for(const struct matrix_room_version *ver, const json_t *event,
                           const struct matrix_auth_state *state, json_t **out)
{
    struct matrix_state_key keys[MATRIX_AUTH_TYPES_MAX];
    size_t n = matrix_auth_types_for(ver, event, keys);
    json_t *ids = json_array();
    for (size_t i = 0; i < n; i++) {
        const json_t *ev = state_get(state, keys[i].type, keys[i].state_key);
        if (!ev)
            continue;
        const json_t *id = json_object_get(ev, "event_id");
        if (!json_is_string(id)) {
            json_decref(ids);
            return ERR_INVALID;
        }
        json_array_append_new(ids, json_copy((json_t *)id));
    }
    *out = ids;
    return 0;
}

int matrix_auth_check_auth_events(const struct matrix_room_version *ver, const json_t *event,
                                  const json_t *auth_events, char *reason, size_t reason_len)
{
    struct matrix_state_key keys[MATRIX_AUTH_TYPES_MAX];
    size_t n = matrix_auth_types_for(ver, event, keys);
    bool seen[MATRIX_AUTH_TYPES_MAX] = {false};
    const char *room_id = jstr(event, "room_id");
    size_t i;
    const json_t *ae;
    json_array_foreach(auth_events, i, ae) {
        const char *t = jstr(ae, "type");
        const char *sk = jstr(ae, "state_key");
        size_t k = 0;
        while (k < n && !(streq(keys[k].type, t) && streq(keys[k].state_key, sk)))
            k++;
        if (k == n)
            return deny(reason, reason_len, "auth event %s/%s is not one the event needs",
                        t ? t : "?", sk ? sk : "?");
        if (seen[k])
            return deny(reason, reason_len, "duplicate auth event %s/%s", t, sk);
        seen[k] = true;
        if (!streq(jstr(ae, "room_id"), room_id))
            return deny(reason, reason_len, "auth event from another room");
    }
    if (ver->create_in_auth_events && n > 0 && !seen[0])
        return deny(reason, reason_len, "auth events lack m.room.create");
    return 0;
}

int matrix_auth_check_with_auth_events(const struct matrix_room_version *ver, const json_t *event,
                                       const json_t *auth_events, const json_t *create,
                                       const struct matrix_auth_verify *verify, char *reason,
                                       size_t reason_len)
{
    int rc = matrix_auth_check_auth_events(ver, event, auth_events, reason, reason_len);
    if (rc)
        return rc;
    json_t *state = json_copy((json_t *)auth_events); /* shallow: the events are shared */
    if (!ver->create_in_auth_events && create)
        json_array_append(state, (json_t *)create);
    struct matrix_auth_state st;
    matrix_auth_state_from_array(&st, state, verify);
    rc = matrix_auth_check(ver, event, &st, reason, reason_len);
    json_decref(state);
    return rc;
}

int matrix_auth_check_size(const json_t *event, size_t canonical_len, char *reason,
                           size_t reason_len)
{
    if (canonical_len > MATRIX_EVENT_MAX_BYTES) {
        deny(reason, reason_len, "event is %zu bytes, above the limit of %d", canonical_len,
             MATRIX_EVENT_MAX_BYTES);
        return ERR_TOO_LARGE;
    }
    static const char *const keys[] = {"type", "state_key", "sender", "room_id", "event_id"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *v = json_object_get(event, keys[i]);
        if (json_is_string(v) && json_string_length(v) > MATRIX_EVENT_MAX_ID_BYTES) {
            deny(reason, reason_len, "%s is longer than %d bytes", keys[i],
                 MATRIX_EVENT_MAX_ID_BYTES);
            return ERR_TOO_LARGE;
        }
    }
    return 0;
}

bool matrix_auth_redaction_allowed(const struct matrix_room_version *ver,
                                   const struct matrix_auth_state *state, const char *redactor,
                                   const char *original_sender, enum matrix_redact_mode mode)
{
    if (!redactor || !original_sender)
        return false;
    if (mode == MATRIX_REDACT_CLIENT && strcmp(redactor, original_sender) == 0)
        return true;
    if (mode == MATRIX_REDACT_FEDERATION &&
        streq(server_of(redactor), server_of(original_sender)))
        return true;
    const json_t *pl = state_get(state, "m.room.power_levels", "");
    return matrix_auth_user_level(ver, state, redactor) >=
           matrix_power_action_level(ver, pl, MATRIX_POWER_REDACT);
}
