/* auth_test.c: the authorisation rules (src/matrix/auth.c) and power levels
 * (src/matrix/power.c), table-driven.
 *
 * Each row builds a small room: m.room.create by @alice:a (room !create:a),
 * alice, @mod:a and @mod2:a joined, power levels (default
 * {"users":{"@alice:a":100,"@mod:a":50,"@mod2:a":50}}), a join rule, plus
 * extra state; then checks one candidate event. Expected results are read off
 * the spec's rule text (rooms/v1.md, v3, v6, v7, v8, v10, v11 "Authorisation
 * rules"), cited per block as "rule N" in the v11 numbering unless noted.
 *
 * Events are written compactly: t=type, k=state_key, s=sender, c=content,
 * prev=prev_events, id=event_id, redacts, room=room_id (null: none); the
 * helper fills in the rest. */
#include "harness.h"

#include <jansson.h>

#include "base/err.h"
#include "matrix/auth.h"
#include "matrix/event.h"
#include "matrix/power.h"
#include "matrix/versions.h"

#define MEM(user, m)                                                                     \
    "{\"t\":\"m.room.member\",\"k\":\"" user "\",\"s\":\"" user "\",\"c\":{\"membership\":\"" m \
    "\"}}"

static int next_id;

/* Expands a compact event into a PDU (owned). */
static json_t *expand(const json_t *c, const char *default_id)
{
    json_t *ev = json_object();
    json_object_set(ev, "type", json_object_get(c, "t"));
    if (json_object_get(c, "k"))
        json_object_set(ev, "state_key", json_object_get(c, "k"));
    json_object_set(ev, "sender", json_object_get(c, "s"));
    json_t *content = json_object_get(c, "c");
    json_object_set_new(ev, "content", content ? json_deep_copy(content) : json_object());
    /* "room": the room ID (default "!create:a", which v12 derives from the
     * create event "$create:a"); null leaves it out (v12 create events). */
    json_t *room = json_object_get(c, "room");
    if (!room)
        json_object_set_new(ev, "room_id", json_string("!create:a"));
    else if (!json_is_null(room))
        json_object_set(ev, "room_id", room);
    json_t *id = json_object_get(c, "id");
    char buf[32];
    if (!id) {
        snprintf(buf, sizeof buf, "$e%d:a", next_id++);
        id = json_string(default_id ? default_id : buf);
        json_object_set_new(ev, "event_id", id);
    } else {
        json_object_set(ev, "event_id", id);
    }
    json_t *prev = json_object_get(c, "prev");
    json_object_set_new(ev, "prev_events", prev ? json_deep_copy(prev) : json_pack("[s]", "$prev:a"));
    json_object_set_new(ev, "auth_events", json_array());
    json_object_set_new(ev, "origin_server_ts", json_integer(1000));
    json_object_set_new(ev, "depth", json_integer(5));
    if (json_object_get(c, "redacts"))
        json_object_set(ev, "redacts", json_object_get(c, "redacts"));
    return ev;
}

static json_t *parse(const char *text, int line)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        harness_fail(__FILE__, line, "bad test JSON: %s: %s", err.text, text);
    return j;
}

/* Adds ev to state, replacing an event with the same (type, state_key). */
static void state_put(json_t *state, json_t *ev)
{
    const char *t = json_string_value(json_object_get(ev, "type"));
    const char *k = json_string_value(json_object_get(ev, "state_key"));
    size_t i;
    json_t *old;
    json_array_foreach(state, i, old) {
        if (strcmp(json_string_value(json_object_get(old, "type")), t) == 0 &&
            strcmp(json_string_value(json_object_get(old, "state_key")), k) == 0) {
            json_array_set_new(state, i, ev);
            return;
        }
    }
    json_array_append_new(state, ev);
}

/* jr: join rule (NULL: no join_rules event; "bare": only the create event).
 * pl: power levels content (NULL: the default; "none": no event). */
static json_t *room(const struct matrix_room_version *v, const char *jr, const char *pl,
                    const char *extra, int line)
{
    json_t *state = json_array();
    char buf[256];
    if (v->room_id_format == MATRIX_ROOM_ID_CREATE_HASH)
        snprintf(buf, sizeof buf,
                 "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],"
                 "\"room\":null,\"c\":{\"room_version\":\"%s\"}}",
                 v->id);
    else if (v->create_requires_creator)
        snprintf(buf, sizeof buf,
                 "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],"
                 "\"c\":{\"creator\":\"@alice:a\",\"room_version\":\"%s\"}}",
                 v->id);
    else
        snprintf(buf, sizeof buf,
                 "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],"
                 "\"c\":{\"room_version\":\"%s\"}}",
                 v->id);
    json_t *c = parse(buf, line);
    state_put(state, expand(c, "$create:a"));
    json_decref(c);
    if (jr && strcmp(jr, "bare") == 0)
        return state;
    const char *members[] = {MEM("@alice:a", "join"), MEM("@mod:a", "join"),
                             MEM("@mod2:a", "join")};
    for (size_t i = 0; i < 3; i++) {
        c = parse(members[i], line);
        state_put(state, expand(c, NULL));
        json_decref(c);
    }
    if (!pl || strcmp(pl, "none") != 0) {
        json_t *content =
            parse(pl ? pl : "{\"users\":{\"@alice:a\":100,\"@mod:a\":50,\"@mod2:a\":50}}", line);
        c = json_pack("{s:s,s:s,s:s,s:o}", "t", "m.room.power_levels", "k", "", "s", "@alice:a",
                      "c", content);
        state_put(state, expand(c, "$pl:a"));
        json_decref(c);
    }
    if (jr) {
        c = json_pack("{s:s,s:s,s:s,s:{s:s}}", "t", "m.room.join_rules", "k", "", "s",
                      "@alice:a", "c", "join_rule", jr);
        state_put(state, expand(c, "$jr:a"));
        json_decref(c);
    }
    if (extra) {
        json_t *list = parse(extra, line);
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) state_put(state, expand(e, NULL));
        json_decref(list);
    }
    return state;
}

/* Signature stubs: the server "evil" never signs; only "KEYGOOD" verifies. */
static bool stub_server_signed(void *ctx, const json_t *event, const char *server_name)
{
    (void)ctx;
    (void)event;
    return strcmp(server_name, "evil") != 0;
}

static bool stub_tpi_signed(void *ctx, const json_t *signed_obj, const char *public_key)
{
    (void)ctx;
    return json_is_object(signed_obj) && strcmp(public_key, "KEYGOOD") == 0;
}

static const struct matrix_auth_verify stub_verify = {stub_server_signed, stub_tpi_signed, NULL};

struct auth_row {
    int line;          /* source line, for failures */
    const char *ver;   /* room version */
    const char *jr;    /* join rule, NULL, or "bare" */
    const char *pl;    /* power levels content, NULL (default) or "none" */
    const char *extra; /* JSON array of compact state events, or NULL */
    const char *event; /* compact candidate event */
    int want;          /* 0 or ERR_FORBIDDEN */
};

#define R(ver, jr, pl, extra, event, want) {__LINE__, ver, jr, pl, extra, event, want}
#define OK 0
#define NO ERR_FORBIDDEN

#define MSG(sender) "{\"t\":\"m.room.message\",\"s\":\"" sender "\",\"c\":{\"body\":\"hi\"}}"
#define MEMBER(sender, target, m)                                                       \
    "{\"t\":\"m.room.member\",\"k\":\"" target "\",\"s\":\"" sender                         \
    "\",\"c\":{\"membership\":\"" m "\"}}"
#define PLEV(sender, content)                                                           \
    "{\"t\":\"m.room.power_levels\",\"k\":\"\",\"s\":\"" sender "\",\"c\":" content "}"
#define PL_STD "\"@alice:a\":100,\"@mod:a\":50,\"@mod2:a\":50"

static const struct auth_row auth_rows[] = {
    /* Rule 1: m.room.create. */
    R("10", NULL, NULL, NULL,
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],"
      "\"c\":{\"creator\":\"@alice:a\",\"room_version\":\"10\"}}",
      OK),
    R("10", NULL, NULL, NULL, /* 1.1: prev_events */
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[\"$x:a\"],"
      "\"c\":{\"creator\":\"@alice:a\"}}",
      NO),
    R("10", NULL, NULL, NULL, /* 1.2: room ID server a, sender server b */
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@bob:b\",\"prev\":[],"
      "\"c\":{\"creator\":\"@bob:b\"}}",
      NO),
    R("10", NULL, NULL, NULL, /* 1.3: unknown room version */
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],"
      "\"c\":{\"creator\":\"@alice:a\",\"room_version\":\"99\"}}",
      NO),
    R("10", NULL, NULL, NULL, /* 1.3: room_version not a string */
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],"
      "\"c\":{\"creator\":\"@alice:a\",\"room_version\":10}}",
      NO),
    R("10", NULL, NULL, NULL, /* v1-10 rule 1.4: creator required */
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],\"c\":{}}", NO),
    R("1", NULL, NULL, NULL,
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],\"c\":{}}", NO),
    R("11", NULL, NULL, NULL, /* v11: no creator needed */
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],"
      "\"c\":{\"room_version\":\"11\"}}",
      OK),
    R("11", NULL, NULL, NULL,
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@bob:b\",\"prev\":[],\"c\":{}}", NO),

    /* Rule 3: m.federate false keeps other servers out. */
    R("10", "public", NULL,
      "[{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"id\":\"$create:a\","
      "\"c\":{\"creator\":\"@alice:a\",\"m.federate\":false}}," MEM("@bob:b", "join") "]",
      MSG("@bob:b"), NO),
    R("10", "public", NULL,
      "[{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"id\":\"$create:a\","
      "\"c\":{\"creator\":\"@alice:a\",\"m.federate\":false}}]",
      MSG("@mod:a"), OK),
    R("10", "public", NULL,
      "[{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"id\":\"$create:a\","
      "\"c\":{\"creator\":\"@alice:a\",\"m.federate\":false}}]",
      MEMBER("@bob:b", "@bob:b", "join"), NO),
    R("10", "public", NULL,
      "[{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"id\":\"$create:a\","
      "\"c\":{\"creator\":\"@alice:a\",\"m.federate\":true}}," MEM("@bob:b", "join") "]",
      MSG("@bob:b"), OK),

    /* v1-5 rule 4: m.room.aliases, allowed before the membership rule. */
    R("1", "invite", NULL, NULL,
      "{\"t\":\"m.room.aliases\",\"k\":\"b\",\"s\":\"@bob:b\",\"c\":{\"aliases\":[\"#x:b\"]}}", OK),
    R("5", "invite", NULL, NULL,
      "{\"t\":\"m.room.aliases\",\"k\":\"a\",\"s\":\"@bob:b\",\"c\":{\"aliases\":[]}}", NO),
    R("5", "invite", NULL, NULL, "{\"t\":\"m.room.aliases\",\"s\":\"@bob:b\",\"c\":{}}", NO),
    R("6", "invite", NULL, NULL, /* v6: no special rule; bob is not joined */
      "{\"t\":\"m.room.aliases\",\"k\":\"b\",\"s\":\"@bob:b\",\"c\":{\"aliases\":[]}}", NO),
    R("6", "invite", NULL, "[" MEM("@bob:b", "join") "]", /* v6: state_default 50 */
      "{\"t\":\"m.room.aliases\",\"k\":\"b\",\"s\":\"@bob:b\",\"c\":{\"aliases\":[]}}", NO),

    /* Rule 4.1: state_key and membership required. */
    R("10", "public", NULL, NULL, "{\"t\":\"m.room.member\",\"s\":\"@bob:b\",\"c\":{\"membership\":\"join\"}}", NO),
    R("10", "public", NULL, NULL, "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"c\":{}}", NO),
    R("10", "public", NULL, NULL, /* 4.8: unknown membership */
      MEMBER("@bob:b", "@bob:b", "dance"), NO),

    /* Rule 4.3.1: the creator's join right after the create event. */
    R("10", "bare", NULL, NULL,
      "{\"t\":\"m.room.member\",\"k\":\"@alice:a\",\"s\":\"@alice:a\",\"prev\":[\"$create:a\"],"
      "\"c\":{\"membership\":\"join\"}}",
      OK),
    R("1", "bare", NULL, NULL, /* v1-2 prev_events are [id, hashes] pairs */
      "{\"t\":\"m.room.member\",\"k\":\"@alice:a\",\"s\":\"@alice:a\","
      "\"prev\":[[\"$create:a\",{\"sha256\":\"x\"}]],\"c\":{\"membership\":\"join\"}}",
      OK),
    R("10", "bare", NULL, NULL, /* not right after the create event: invite-only by default */
      "{\"t\":\"m.room.member\",\"k\":\"@alice:a\",\"s\":\"@alice:a\",\"prev\":[\"$other:a\"],"
      "\"c\":{\"membership\":\"join\"}}",
      NO),
    R("10", "bare", NULL, NULL, /* not the creator */
      "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"prev\":[\"$create:a\"],"
      "\"c\":{\"membership\":\"join\"}}",
      NO),
    R("11", "bare", NULL, NULL, /* v11: the creator is the create event's sender */
      "{\"t\":\"m.room.member\",\"k\":\"@alice:a\",\"s\":\"@alice:a\",\"prev\":[\"$create:a\"],"
      "\"c\":{\"membership\":\"join\"}}",
      OK),
    R("10", "public",  NULL, /* v1-10 read content.creator, not the sender */
      "[{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"id\":\"$create:a\","
      "\"c\":{\"creator\":\"@zed:a\"}}]",
      "{\"t\":\"m.room.member\",\"k\":\"@zed:a\",\"s\":\"@zed:a\",\"prev\":[\"$create:a\"],"
      "\"c\":{\"membership\":\"join\"}}",
      OK),

    /* Rule 4.3.2-4.3.7: joins. */
    R("10", "public", NULL, NULL, MEMBER("@bob:b", "@bob:b", "join"), OK),
    R("10", "public", NULL, NULL, MEMBER("@alice:a", "@bob:b", "join"), NO),
    R("10", "public", NULL, "[" MEMBER("@alice:a", "@bob:b", "ban") "]",
      MEMBER("@bob:b", "@bob:b", "join"), NO),
    R("10", "invite", NULL, NULL, MEMBER("@bob:b", "@bob:b", "join"), NO),
    R("10", "invite", NULL, "[" MEMBER("@alice:a", "@bob:b", "invite") "]",
      MEMBER("@bob:b", "@bob:b", "join"), OK),
    R("10", "invite", NULL, "[" MEM("@bob:b", "join") "]", /* join -> join (profile change) */
      MEMBER("@bob:b", "@bob:b", "join"), OK),
    R("10", "invite", NULL, "[" MEM("@bob:b", "leave") "]", MEMBER("@bob:b", "@bob:b", "join"),
      NO),
    R("10", NULL, NULL, "[" MEM("@bob:b", "join") "]", /* no join_rules event */
      MEMBER("@bob:b", "@bob:b", "join"), OK),
    R("10", NULL, NULL, NULL, MEMBER("@bob:b", "@bob:b", "join"), NO),
    R("10", "public", NULL, /* a join_rules event without join_rule: invite-only too */
      "[{\"t\":\"m.room.join_rules\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{}},"
      MEMBER("@alice:a", "@bob:b", "invite") "]",
      MEMBER("@bob:b", "@bob:b", "join"), OK),
    R("10", "public", NULL, "[{\"t\":\"m.room.join_rules\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{}}]",
      MEMBER("@bob:b", "@bob:b", "join"), NO),
    R("10", "private", NULL, "[" MEMBER("@alice:a", "@bob:b", "invite") "]",
      MEMBER("@bob:b", "@bob:b", "join"), NO),
    /* v7 rule 4.2.4: join rule knock behaves as invite; v6 knows no knock. */
    R("7", "knock", NULL, "[" MEMBER("@alice:a", "@bob:b", "invite") "]",
      MEMBER("@bob:b", "@bob:b", "join"), OK),
    R("6", "knock", NULL, "[" MEMBER("@alice:a", "@bob:b", "invite") "]",
      MEMBER("@bob:b", "@bob:b", "join"), NO),
    R("7", "knock", NULL, "[" MEM("@bob:b", "knock") "]", MEMBER("@bob:b", "@bob:b", "join"), NO),

    /* Rules 4.2 and 4.3.5 (v8+): restricted joins. */
#define VIA_JOIN(via)                                                                          \
    "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"c\":{\"membership\":\"join\"," \
    "\"join_authorised_via_users_server\":\"" via "\"}}"
    R("8", "restricted", NULL, NULL, VIA_JOIN("@mod:a"), OK),
    R("9", "restricted", NULL, NULL, VIA_JOIN("@mod:a"), OK),
    R("7", "restricted", NULL, NULL, VIA_JOIN("@mod:a"), NO),
    R("8", "restricted", NULL, NULL, MEMBER("@bob:b", "@bob:b", "join"), NO),
    R("8", "restricted", NULL, "[" MEMBER("@alice:a", "@bob:b", "invite") "]",
      MEMBER("@bob:b", "@bob:b", "join"), OK),
    R("8", "restricted", NULL, "[" MEM("@mod:a", "leave") "]", VIA_JOIN("@mod:a"), NO),
    R("8", "restricted", "{\"invite\":60,\"users\":{" PL_STD "}}", NULL, VIA_JOIN("@mod:a"), NO),
    R("8", "restricted", NULL, "[" MEM("@eve:evil", "join") "]", VIA_JOIN("@eve:evil"), NO),
    R("10", "public", NULL, "[" MEM("@eve:evil", "join") "]", /* 4.2 applies to any join rule */
      VIA_JOIN("@eve:evil"), NO),
    R("7", "public", NULL, "[" MEM("@eve:evil", "join") "]", /* ...from v8 on */
      VIA_JOIN("@eve:evil"), OK),
    R("8", "knock_restricted", NULL, NULL, VIA_JOIN("@mod:a"), NO),
    R("9", "knock_restricted", NULL, NULL, VIA_JOIN("@mod:a"), NO),
    R("10", "knock_restricted", NULL, NULL, VIA_JOIN("@mod:a"), OK),
    R("11", "restricted", NULL, NULL, VIA_JOIN("@mod:a"), OK),
    /* A string power level counts in v9, not in v10 (integers only). */
    R("9", "restricted", "{\"invite\":50,\"users\":{\"@alice:a\":100,\"@mod:a\":\"50\"}}", NULL,
      VIA_JOIN("@mod:a"), OK),
    R("10", "restricted", "{\"invite\":50,\"users\":{\"@alice:a\":100,\"@mod:a\":\"50\"}}", NULL,
      VIA_JOIN("@mod:a"), NO),

    /* Rule 4.4: invites. */
    R("10", "invite", NULL, NULL, MEMBER("@alice:a", "@bob:b", "invite"), OK),
    R("10", "invite", NULL, NULL, MEMBER("@bob:b", "@carol:c", "invite"), NO),
    R("10", "invite", NULL, "[" MEM("@bob:b", "join") "]", MEMBER("@alice:a", "@bob:b", "invite"),
      NO),
    R("10", "invite", NULL, "[" MEMBER("@alice:a", "@bob:b", "ban") "]",
      MEMBER("@alice:a", "@bob:b", "invite"), NO),
    R("10", "invite", NULL, "[" MEMBER("@alice:a", "@bob:b", "invite") "]",
      MEMBER("@alice:a", "@bob:b", "invite"), OK),
    R("10", "invite", "{\"invite\":50,\"users\":{" PL_STD "}}", "[" MEM("@bob:b", "join") "]",
      MEMBER("@bob:b", "@carol:c", "invite"), NO),
    R("10", "invite", "{\"invite\":50,\"users\":{" PL_STD "}}", NULL,
      MEMBER("@mod:a", "@carol:c", "invite"), OK),
    R("7", "knock", NULL, "[" MEM("@bob:b", "knock") "]", MEMBER("@alice:a", "@bob:b", "invite"),
      OK),

    /* Rule 4.4.1: third-party invites (signature through the stub). */
#define TPI_STATE(key_json)                                                              \
    "[{\"t\":\"m.room.third_party_invite\",\"k\":\"tok\",\"s\":\"@alice:a\",\"c\":" key_json "}]"
#define TPI_INVITE(sender, mxid, token)                                                        \
    "{\"t\":\"m.room.member\",\"k\":\"@dave:d\",\"s\":\"" sender "\",\"c\":{\"membership\":"     \
    "\"invite\",\"third_party_invite\":{\"display_name\":\"d\",\"signed\":{\"mxid\":\"" mxid   \
    "\",\"token\":\"" token "\",\"signatures\":{\"id.example\":{\"ed25519:0\":\"sig\"}}}}}}"
    R("10", "invite", NULL, TPI_STATE("{\"public_key\":\"KEYGOOD\"}"),
      TPI_INVITE("@alice:a", "@dave:d", "tok"), OK),
    R("10", "invite", NULL,
      TPI_STATE("{\"public_key\":\"KEYBAD\",\"public_keys\":[{\"public_key\":\"KEYGOOD\"}]}"),
      TPI_INVITE("@alice:a", "@dave:d", "tok"), OK),
    R("10", "invite", NULL, TPI_STATE("{\"public_key\":\"KEYBAD\"}"),
      TPI_INVITE("@alice:a", "@dave:d", "tok"), NO),
    R("10", "invite", NULL, TPI_STATE("{\"public_key\":\"KEYGOOD\"}"),
      TPI_INVITE("@alice:a", "@other:d", "tok"), NO),
    R("10", "invite", NULL, TPI_STATE("{\"public_key\":\"KEYGOOD\"}"),
      TPI_INVITE("@alice:a", "@dave:d", "nope"), NO),
    R("10", "invite", NULL, TPI_STATE("{\"public_key\":\"KEYGOOD\"}"),
      TPI_INVITE("@mod:a", "@dave:d", "tok"), NO),
    R("10", "invite", NULL,
      "[{\"t\":\"m.room.third_party_invite\",\"k\":\"tok\",\"s\":\"@alice:a\",\"c\":"
      "{\"public_key\":\"KEYGOOD\"}}," MEMBER("@alice:a", "@dave:d", "ban") "]",
      TPI_INVITE("@alice:a", "@dave:d", "tok"), NO),
    R("10", "invite", NULL, TPI_STATE("{\"public_key\":\"KEYGOOD\"}"),
      "{\"t\":\"m.room.member\",\"k\":\"@dave:d\",\"s\":\"@alice:a\",\"c\":{\"membership\":"
      "\"invite\",\"third_party_invite\":{\"display_name\":\"d\"}}}",
      NO),
    R("10", "invite", NULL, TPI_STATE("{\"public_key\":\"KEYGOOD\"}"),
      "{\"t\":\"m.room.member\",\"k\":\"@dave:d\",\"s\":\"@alice:a\",\"c\":{\"membership\":"
      "\"invite\",\"third_party_invite\":{\"signed\":{\"mxid\":\"@dave:d\"}}}}",
      NO),

    /* Rule 4.5: leave, kick, unban. */
    R("10", "public", NULL, "[" MEM("@bob:b", "join") "]", MEMBER("@bob:b", "@bob:b", "leave"), OK),
    R("10", "public", NULL, "[" MEMBER("@alice:a", "@bob:b", "invite") "]",
      MEMBER("@bob:b", "@bob:b", "leave"), OK),
    R("10", "public", NULL, NULL, MEMBER("@bob:b", "@bob:b", "leave"), NO),
    R("10", "public", NULL, "[" MEMBER("@alice:a", "@bob:b", "ban") "]",
      MEMBER("@bob:b", "@bob:b", "leave"), NO),
    R("7", "knock", NULL, "[" MEM("@bob:b", "knock") "]", MEMBER("@bob:b", "@bob:b", "leave"), OK),
    R("6", "invite", NULL, "[" MEM("@bob:b", "knock") "]", MEMBER("@bob:b", "@bob:b", "leave"),
      NO),
    R("10", "public", NULL, "[" MEM("@bob:b", "join") "]", MEMBER("@alice:a", "@bob:b", "leave"),
      OK),
    R("10", "public", NULL, NULL, MEMBER("@mod:a", "@alice:a", "leave"), NO),
    R("10", "public", NULL, NULL, MEMBER("@mod:a", "@mod2:a", "leave"), NO),
    R("10", "public", NULL, "[" MEM("@bob:b", "join") "," MEM("@carol:c", "join") "]",
      MEMBER("@bob:b", "@carol:c", "leave"), NO),
    R("10", "public", NULL, "[" MEM("@mod:a", "leave") "," MEM("@bob:b", "join") "]",
      MEMBER("@mod:a", "@bob:b", "leave"), NO),
    R("10", "public", NULL, "[" MEMBER("@alice:a", "@bob:b", "ban") "]",
      MEMBER("@alice:a", "@bob:b", "leave"), OK),
    R("10", "public", "{\"ban\":60,\"kick\":50,\"users\":{" PL_STD "}}",
      "[" MEMBER("@alice:a", "@bob:b", "ban") "]", MEMBER("@mod:a", "@bob:b", "leave"), NO),
    R("10", "public", "{\"ban\":50,\"kick\":60,\"users\":{" PL_STD "}}",
      "[" MEMBER("@alice:a", "@bob:b", "ban") "]", MEMBER("@mod:a", "@bob:b", "leave"), NO),
    R("10", "public", "{\"ban\":50,\"kick\":50,\"users\":{" PL_STD "}}",
      "[" MEMBER("@alice:a", "@bob:b", "ban") "]", MEMBER("@mod:a", "@bob:b", "leave"), OK),

    /* Rule 4.6: bans. */
    R("10", "public", NULL, "[" MEM("@bob:b", "join") "]", MEMBER("@alice:a", "@bob:b", "ban"), OK),
    R("10", "public", NULL, NULL, MEMBER("@alice:a", "@nobody:n", "ban"), OK),
    R("10", "public", NULL, NULL, MEMBER("@mod:a", "@alice:a", "ban"), NO),
    R("10", "public", NULL, NULL, MEMBER("@mod:a", "@mod2:a", "ban"), NO),
    R("10", "public", NULL, "[" MEM("@bob:b", "join") "," MEM("@carol:c", "join") "]",
      MEMBER("@bob:b", "@carol:c", "ban"), NO),
    R("10", "public", NULL, "[" MEM("@alice:a", "leave") "]", MEMBER("@alice:a", "@bob:b", "ban"),
      NO),
    R("10", "public", "{\"ban\":40,\"users\":{" PL_STD "}}", "[" MEM("@bob:b", "join") "]",
      MEMBER("@mod:a", "@bob:b", "ban"), OK),

    /* Rule 4.7 (v7+): knocking; v10 adds knock_restricted. */
    R("7", "knock", NULL, NULL, MEMBER("@carol:c", "@carol:c", "knock"), OK),
    R("6", "knock", NULL, NULL, MEMBER("@carol:c", "@carol:c", "knock"), NO),
    R("7", "invite", NULL, NULL, MEMBER("@carol:c", "@carol:c", "knock"), NO),
    R("7", "public", NULL, NULL, MEMBER("@carol:c", "@carol:c", "knock"), NO),
    R("7", "knock", NULL, NULL, MEMBER("@alice:a", "@carol:c", "knock"), NO),
    R("7", "knock", NULL, "[" MEMBER("@alice:a", "@carol:c", "invite") "]",
      MEMBER("@carol:c", "@carol:c", "knock"), NO),
    R("7", "knock", NULL, "[" MEMBER("@alice:a", "@carol:c", "ban") "]",
      MEMBER("@carol:c", "@carol:c", "knock"), NO),
    R("7", "knock", NULL, "[" MEM("@carol:c", "join") "]", MEMBER("@carol:c", "@carol:c", "knock"),
      NO),
    R("7", "knock", NULL, "[" MEM("@carol:c", "leave") "]",
      MEMBER("@carol:c", "@carol:c", "knock"), OK),
    R("9", "knock_restricted", NULL, NULL, MEMBER("@carol:c", "@carol:c", "knock"), NO),
    R("10", "knock_restricted", NULL, NULL, MEMBER("@carol:c", "@carol:c", "knock"), OK),
    R("11", "knock", NULL, NULL, MEMBER("@carol:c", "@carol:c", "knock"), OK),

    /* Rule 5: the sender must be joined. */
    R("10", "public", NULL, NULL, MSG("@bob:b"), NO),
    R("10", "public", NULL, "[" MEM("@bob:b", "join") "]", MSG("@bob:b"), OK),
    R("10", "public", NULL, "[" MEMBER("@alice:a", "@bob:b", "invite") "]", MSG("@bob:b"), NO),
    R("10", "public", NULL, "[" MEM("@bob:b", "leave") "]", MSG("@bob:b"), NO),

    /* Rule 6: m.room.third_party_invite needs the invite level. */
#define TPI_EV(sender)                                                                   \
    "{\"t\":\"m.room.third_party_invite\",\"k\":\"t1\",\"s\":\"" sender "\",\"c\":{\"display_name\":\"x\"}}"
    R("10", "public", NULL, "[" MEM("@bob:b", "join") "]", TPI_EV("@bob:b"), OK),
    R("10", "public", "{\"invite\":50,\"users\":{" PL_STD "}}", "[" MEM("@bob:b", "join") "]",
      TPI_EV("@bob:b"), NO),

    /* Rule 7: required power level. */
    R("10", "public", "{\"events_default\":10,\"users\":{" PL_STD "}}",
      "[" MEM("@bob:b", "join") "]", MSG("@bob:b"), NO),
    R("10", "public", "{\"events\":{\"m.room.message\":10},\"users\":{" PL_STD "}}",
      "[" MEM("@bob:b", "join") "]", MSG("@bob:b"), NO),
    R("10", "public", "{\"events\":{\"m.room.message\":10},\"users\":{" PL_STD "}}", NULL,
      MSG("@mod:a"), OK),
    R("10", "public", NULL, "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@bob:b\",\"c\":{\"topic\":\"t\"}}", NO),
    R("10", "public", NULL, NULL,
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@mod:a\",\"c\":{\"topic\":\"t\"}}", OK),
    R("10", "public", "{\"state_default\":51,\"users\":{" PL_STD "}}", NULL,
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@mod:a\",\"c\":{\"topic\":\"t\"}}", NO),
    R("10", "public", "{\"users_default\":50}", "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@bob:b\",\"c\":{\"topic\":\"t\"}}", OK),
    /* No power levels event: the creator has 100, others 0; state needs 50. */
    R("10", "public", "none", "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@bob:b\",\"c\":{\"topic\":\"t\"}}", NO),
    R("10", "public", "none", "[" MEM("@bob:b", "join") "]", MSG("@bob:b"), OK),
    R("10", "public", "none", NULL,
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{\"topic\":\"t\"}}", OK),
    R("11", "public", "none", NULL,
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{\"topic\":\"t\"}}", OK),
    /* v3+: redactions only need the m.room.redaction send level. */
    R("3", "public", NULL, "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.redaction\",\"s\":\"@bob:b\",\"redacts\":\"$x:c\",\"c\":{}}", OK),
    R("11", "public", "{\"events\":{\"m.room.redaction\":20},\"users\":{" PL_STD "}}",
      "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.redaction\",\"s\":\"@bob:b\",\"c\":{\"redacts\":\"$x:b\"}}", NO),

    /* Rule 8: state keys starting with '@' belong to that user. */
    R("10", "public", "{\"events\":{\"m.custom\":0},\"users\":{" PL_STD "}}",
      "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.custom\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"c\":{}}", OK),
    R("10", "public", "{\"events\":{\"m.custom\":0},\"users\":{" PL_STD "}}",
      "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.custom\",\"k\":\"@carol:c\",\"s\":\"@bob:b\",\"c\":{}}", NO),
    R("10", "public", NULL, NULL, "{\"t\":\"m.custom\",\"k\":\"@bob:b\",\"s\":\"@alice:a\",\"c\":{}}",
      NO),
    R("10", "public", NULL, NULL, "{\"t\":\"m.custom\",\"k\":\"bob\",\"s\":\"@alice:a\",\"c\":{}}",
      OK),

    /* Rule 9: power levels. */
    R("10", "public", NULL, NULL, PLEV("@alice:a", "{\"users\":{" PL_STD ",\"@bob:b\":50}}"), OK),
    R("10", "public", NULL, NULL, PLEV("@mod:a", "{\"users\":{" PL_STD ",\"@bob:b\":50}}"), OK),
    R("10", "public", NULL, NULL, PLEV("@mod:a", "{\"users\":{" PL_STD ",\"@bob:b\":51}}"), NO),
    R("10", "public", NULL, NULL, /* 9.8: demoting someone at or above you */
      PLEV("@mod:a", "{\"users\":{\"@alice:a\":0,\"@mod:a\":50,\"@mod2:a\":50}}"), NO),
    R("10", "public", NULL, NULL, PLEV("@mod:a", "{\"users\":{\"@alice:a\":100,\"@mod:a\":50}}"),
      NO),
    R("10", "public", NULL, NULL, /* own entry may go down */
      PLEV("@mod:a", "{\"users\":{\"@alice:a\":100,\"@mod:a\":10,\"@mod2:a\":50}}"), OK),
    R("10", "public", NULL, NULL, /* ... not up (9.9) */
      PLEV("@mod:a", "{\"users\":{\"@alice:a\":100,\"@mod:a\":60,\"@mod2:a\":50}}"), NO),
    R("10", "public", "{\"users\":{" PL_STD ",\"@bob:b\":10}}", NULL,
      PLEV("@mod:a", "{\"users\":{" PL_STD "}}"), OK),
    R("10", "public", NULL, NULL, PLEV("@mod:a", "{\"ban\":40,\"users\":{" PL_STD "}}"), OK),
    R("10", "public", NULL, NULL, PLEV("@mod:a", "{\"ban\":60,\"users\":{" PL_STD "}}"), NO),
    R("10", "public", "{\"kick\":60,\"users\":{" PL_STD "}}", NULL, /* 9.5.1: old value above */
      PLEV("@mod:a", "{\"kick\":50,\"users\":{" PL_STD "}}"), NO),
    R("10", "public", "{\"kick\":60,\"users\":{" PL_STD "}}", NULL, /* removal counts too */
      PLEV("@mod:a", "{\"users\":{" PL_STD "}}"), NO),
    R("10", "public", "{\"kick\":50,\"users\":{" PL_STD "}}", NULL,
      PLEV("@mod:a", "{\"users\":{" PL_STD "}}"), OK),
    R("10", "public", "{\"users_default\":0,\"users\":{" PL_STD "}}", NULL,
      PLEV("@mod:a", "{\"users_default\":51,\"users\":{" PL_STD "}}"), NO),
    R("10", "public", NULL, NULL,
      PLEV("@mod:a", "{\"events\":{\"m.room.topic\":50},\"users\":{" PL_STD "}}"), OK),
    R("10", "public", NULL, NULL,
      PLEV("@mod:a", "{\"events\":{\"m.room.topic\":60},\"users\":{" PL_STD "}}"), NO),
    R("10", "public", "{\"events\":{\"m.room.power_levels\":40},\"users\":{" PL_STD "}}", NULL,
      PLEV("@mod:a", "{\"users\":{" PL_STD "}}"), OK),
    R("10", "public", "{\"events\":{\"m.room.name\":100},\"users\":{" PL_STD "}}", NULL,
      PLEV("@mod:a", "{\"users\":{" PL_STD "}}"), NO),
    R("10", "public", "{\"events\":{\"m.room.name\":100},\"users\":{" PL_STD "}}", NULL,
      PLEV("@mod:a", "{\"events\":{\"m.room.name\":100},\"users\":{" PL_STD "}}"), OK),
    /* v6+: notifications are checked like events; v5 ignores them. */
    R("6", "public", "{\"notifications\":{\"room\":100},\"users\":{" PL_STD "}}", NULL,
      PLEV("@mod:a", "{\"notifications\":{\"room\":20},\"users\":{" PL_STD "}}"), NO),
    R("5", "public", "{\"notifications\":{\"room\":100},\"users\":{" PL_STD "}}", NULL,
      PLEV("@mod:a", "{\"notifications\":{\"room\":20},\"users\":{" PL_STD "}}"), OK),
    R("10", "public", NULL, NULL,
      PLEV("@mod:a", "{\"notifications\":{\"room\":40},\"users\":{" PL_STD "}}"), OK),
    /* v10 9.1-9.3: integers only; v1-9 accept strings (and floats). */
    R("10", "public", NULL, NULL, PLEV("@alice:a", "{\"ban\":\"50\",\"users\":{" PL_STD "}}"), NO),
    R("9", "public", NULL, NULL, PLEV("@alice:a", "{\"ban\":\"50\",\"users\":{" PL_STD "}}"), OK),
    R("10", "public", NULL, NULL,
      PLEV("@alice:a", "{\"users\":{\"@alice:a\":100,\"@bob:b\":\"20\"}}"), NO),
    R("9", "public", NULL, NULL,
      PLEV("@alice:a", "{\"users\":{\"@alice:a\":100,\"@bob:b\":\" +020 \"}}"), OK),
    R("9", "public", NULL, NULL,
      PLEV("@alice:a", "{\"users\":{\"@alice:a\":100,\"@bob:b\":\"2x\"}}"), NO),
    R("1", "public", NULL, NULL,
      PLEV("@alice:a", "{\"users\":{\"@alice:a\":100,\"@bob:b\":50.7}}"), OK),
    R("10", "public", NULL, NULL,
      PLEV("@alice:a", "{\"events\":{\"m.room.name\":\"x\"},\"users\":{" PL_STD "}}"), NO),
    R("10", "public", NULL, NULL, PLEV("@alice:a", "{\"events\":[],\"users\":{" PL_STD "}}"), NO),
    R("10", "public", NULL, NULL, PLEV("@alice:a", "{\"users\":{\"alice\":100}}"), NO),
    R("1", "public", NULL, NULL, PLEV("@alice:a", "{\"users\":{\"@alice:a\":100,\"x\":1}}"), NO),
    R("10", "public", NULL, NULL, PLEV("@alice:a", "{\"users\":[]}"), NO),
    /* v9: a string in the old event compares by value: "50" -> 50 is no change. */
    R("9", "public", "{\"users\":{\"@alice:a\":100,\"@mod:a\":50,\"@mod2:a\":\"50\"}}", NULL,
      PLEV("@mod:a", "{\"users\":{" PL_STD "}}"), OK),
    /* 9.4: no previous power levels event (rule 7 still applies). */
    R("10", "public", "none", NULL, PLEV("@alice:a", "{\"users\":{\"@alice:a\":100}}"), OK),
    R("10", "public", "none", "[" MEM("@bob:b", "join") "]",
      PLEV("@bob:b", "{\"users\":{\"@bob:b\":100}}"), NO),

    /* Room version 12: room ID from the create event, infinitely powerful
     * creators (create sender + additional_creators), no "creator". */
#define PL12 "{\"users\":{\"@mod:a\":50,\"@mod2:a\":50}}"
#define CREATE12(extra)                                                                  \
    "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],\"room\":null," \
    "\"id\":\"$create:a\",\"c\":{\"room_version\":\"12\"" extra "}}"
    R("12", NULL, NULL, NULL, CREATE12(""), OK),
    R("12", NULL, NULL, NULL, /* v12 1.2: no room_id on the create event */
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],\"c\":{}}", NO),
    R("12", NULL, NULL, NULL, CREATE12(",\"additional_creators\":[\"@bob:b\"]"), OK),
    R("12", NULL, NULL, NULL, CREATE12(",\"additional_creators\":[\"bob\"]"), NO),
    R("12", NULL, NULL, NULL, CREATE12(",\"additional_creators\":\"@bob:b\""), NO),
    R("11", NULL, NULL, NULL, /* before v12 additional_creators means nothing */
      "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":[],"
      "\"c\":{\"additional_creators\":\"x\"}}",
      OK),
    R("12", "bare", NULL, NULL,
      "{\"t\":\"m.room.member\",\"k\":\"@alice:a\",\"s\":\"@alice:a\",\"prev\":[\"$create:a\"],"
      "\"c\":{\"membership\":\"join\"}}",
      OK),
    R("12", "public", PL12, NULL, MSG("@alice:a"), OK),
    R("12", "public", PL12, "[" CREATE12("") "]", /* v12 rule 2: room ID from another create */
      "{\"t\":\"m.room.message\",\"s\":\"@alice:a\",\"room\":\"!other:a\",\"c\":{}}", NO),
    R("12", "public", "none", NULL,
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{\"topic\":\"t\"}}", OK),
    R("12", "public", "none", "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@bob:b\",\"c\":{\"topic\":\"t\"}}", NO),
    R("12", "public", "{\"state_default\":100,\"users\":{\"@mod:a\":99}}", NULL,
      "{\"t\":\"m.room.topic\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{\"topic\":\"t\"}}", OK),
    /* v12 10.4: creators cannot be listed in users. */
    R("12", "public", PL12, NULL, PLEV("@alice:a", "{\"users\":{\"@alice:a\":100}}"), NO),
    R("12", "public", PL12, NULL, PLEV("@alice:a", "{\"users\":{\"@mod:a\":100}}"), OK),
    R("12", "public", PL12, NULL,
      PLEV("@mod:a", "{\"users\":{\"@mod:a\":50,\"@mod2:a\":50,\"@bob:b\":60}}"), NO),
    R("11", "public", "{\"users\":{\"@alice:a\":100}}", NULL, /* v11: still allowed */
      PLEV("@alice:a", "{\"users\":{\"@alice:a\":100}}"), OK),
    /* An additional creator: infinite too, and out of everyone's reach. */
#define CREATE12_BOB "[" CREATE12(",\"additional_creators\":[\"@bob:b\"]") "," MEM("@bob:b", "join") "]"
    R("12", "public", PL12, CREATE12_BOB, PLEV("@alice:a", "{\"users\":{\"@bob:b\":10}}"), NO),
    R("12", "public", PL12, CREATE12_BOB, MEMBER("@bob:b", "@alice:a", "leave"), NO),
    R("12", "public", PL12, CREATE12_BOB, MEMBER("@bob:b", "@mod:a", "leave"), OK),
    R("12", "public", PL12, CREATE12_BOB, MEMBER("@mod:a", "@bob:b", "ban"), NO),
    R("12", "public", PL12, CREATE12_BOB, MEMBER("@mod:a", "@alice:a", "ban"), NO),
    R("12", "public", PL12, NULL, MEMBER("@alice:a", "@mod:a", "ban"), OK),
    R("11", "public", "{\"users\":{\"@alice:a\":100,\"@mod:a\":100}}", NULL, /* v11: equals */
      MEMBER("@mod:a", "@alice:a", "ban"), NO),

    /* v1-2 rule 11: redactions need the redact level or the same event ID server. */
    R("1", "public", NULL, "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.redaction\",\"s\":\"@bob:b\",\"id\":\"$r:b\",\"redacts\":\"$x:b\",\"c\":{}}",
      OK),
    R("2", "public", NULL, "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.redaction\",\"s\":\"@bob:b\",\"id\":\"$r:b\",\"redacts\":\"$x:a\",\"c\":{}}",
      NO),
    R("2", "public", NULL, NULL,
      "{\"t\":\"m.room.redaction\",\"s\":\"@mod:a\",\"id\":\"$r:a\",\"redacts\":\"$x:c\",\"c\":{}}",
      OK),
    R("3", "public", NULL, "[" MEM("@bob:b", "join") "]",
      "{\"t\":\"m.room.redaction\",\"s\":\"@bob:b\",\"id\":\"$r:b\",\"redacts\":\"$x:a\",\"c\":{}}",
      OK),
};

TEST_CASE(matrix, auth_rules_table)
{
    for (size_t i = 0; i < sizeof auth_rows / sizeof auth_rows[0]; i++) {
        const struct auth_row *r = &auth_rows[i];
        const struct matrix_room_version *v = matrix_room_version_find(r->ver);
        if (!v)
            harness_fail(__FILE__, r->line, "unknown version %s", r->ver);
        json_t *state = room(v, r->jr, r->pl, r->extra, r->line);
        json_t *compact = parse(r->event, r->line);
        json_t *ev = expand(compact, NULL);
        struct matrix_auth_state st;
        matrix_auth_state_from_array(&st, state, &stub_verify);
        char reason[256];
        int rc = matrix_auth_check(v, ev, &st, reason, sizeof reason);
        if (rc != r->want)
            harness_fail(__FILE__, r->line, "v%s: got %d (%s), want %d", r->ver, rc, reason,
                         r->want);
        if (rc != 0 && reason[0] == '\0')
            harness_fail(__FILE__, r->line, "denied without a reason");
        json_decref(ev);
        json_decref(compact);
        json_decref(state);
    }
}

/* Without signature callbacks, nothing that needs a signature passes. */
TEST_CASE(matrix, auth_without_verify_rejects_signed_rules)
{
    const struct matrix_room_version *v = matrix_room_version_find("10");
    json_t *state = room(v, "restricted", NULL, TPI_STATE("{\"public_key\":\"KEYGOOD\"}"), __LINE__);
    struct matrix_auth_state st;
    matrix_auth_state_from_array(&st, state, NULL);
    const char *events[] = {VIA_JOIN("@mod:a"), TPI_INVITE("@alice:a", "@dave:d", "tok")};
    for (size_t i = 0; i < 2; i++) {
        json_t *c = parse(events[i], __LINE__);
        json_t *ev = expand(c, NULL);
        ASSERT_INT_EQ(matrix_auth_check(v, ev, &st, NULL, 0), ERR_FORBIDDEN);
        json_decref(ev);
        json_decref(c);
    }
    json_decref(state);
}

/* Server-server API "Auth events selection". */
TEST_CASE(matrix, auth_events_selection)
{
    static const struct {
        const char *ver;
        const char *event;
        const char *want; /* event IDs, space separated */
    } rows[] = {
        {"10", MSG("@alice:a"), "$create:a $pl:a $m_alice"},
        {"10", MSG("@carol:c"), "$create:a $pl:a"}, /* carol has no member event */
        {"10", MEMBER("@alice:a", "@bob:b", "ban"), "$create:a $pl:a $m_alice $m_bob"},
        {"10", MEMBER("@alice:a", "@bob:b", "invite"), "$create:a $pl:a $m_alice $m_bob $jr:a"},
        {"10", MEMBER("@bob:b", "@bob:b", "join"), "$create:a $pl:a $m_bob $jr:a"},
        {"10", MEMBER("@bob:b", "@bob:b", "knock"), "$create:a $pl:a $m_bob $jr:a"},
        {"10", MEMBER("@bob:b", "@bob:b", "leave"), "$create:a $pl:a $m_bob"},
        {"10", VIA_JOIN("@mod:a"), "$create:a $pl:a $m_bob $jr:a $m_mod"},
        {"7", VIA_JOIN("@mod:a"), "$create:a $pl:a $m_bob $jr:a"}, /* no restricted rooms in v7 */
        {"12", MSG("@alice:a"), "$pl:a $m_alice"}, /* v12: never the create event */
        {"12", VIA_JOIN("@mod:a"), "$pl:a $m_bob $jr:a $m_mod"},
        {"10", TPI_INVITE("@alice:a", "@dave:d", "tok"),
         "$create:a $pl:a $m_alice $jr:a $tpi"},
        {"10",
         "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{\"creator\":\"@alice:a\"}}",
         ""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct matrix_room_version *v = matrix_room_version_find(rows[i].ver);
        json_t *state = room(
            v, "invite", NULL,
            "[{\"t\":\"m.room.member\",\"k\":\"@alice:a\",\"s\":\"@alice:a\",\"id\":\"$m_alice\","
            "\"c\":{\"membership\":\"join\"}},"
            "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"id\":\"$m_bob\","
            "\"c\":{\"membership\":\"leave\"}},"
            "{\"t\":\"m.room.member\",\"k\":\"@mod:a\",\"s\":\"@mod:a\",\"id\":\"$m_mod\","
            "\"c\":{\"membership\":\"join\"}},"
            "{\"t\":\"m.room.third_party_invite\",\"k\":\"tok\",\"s\":\"@alice:a\",\"id\":\"$tpi\","
            "\"c\":{}},"
            "{\"t\":\"m.room.third_party_invite\",\"k\":\"other\",\"s\":\"@alice:a\","
            "\"id\":\"$tpi2\",\"c\":{}}]",
            __LINE__);
        json_t *c = parse(rows[i].event, __LINE__);
        json_t *ev = expand(c, NULL);
        struct matrix_auth_state st;
        matrix_auth_state_from_array(&st, state, NULL);
        json_t *ids = NULL;
        ASSERT_INT_EQ(matrix_auth_events_for(v, ev, &st, &ids), 0);
        char got[256] = "";
        size_t k;
        json_t *id;
        json_array_foreach(ids, k, id) {
            if (k)
                strncat(got, " ", sizeof got - strlen(got) - 1);
            strncat(got, json_string_value(id), sizeof got - strlen(got) - 1);
        }
        if (strcmp(got, rows[i].want) != 0)
            harness_fail(__FILE__, __LINE__, "row %zu: got \"%s\", want \"%s\"", i, got,
                         rows[i].want);
        json_decref(ids);
        json_decref(ev);
        json_decref(c);
        json_decref(state);
    }
}

/* Rule 2: the auth_events list itself. */
TEST_CASE(matrix, auth_events_rule2)
{
    const struct matrix_room_version *v = matrix_room_version_find("10");
    json_t *state = room(v, "public", NULL, "[" MEM("@bob:b", "join") "]", __LINE__);
    json_t *c = parse(MSG("@bob:b"), __LINE__);
    json_t *ev = expand(c, NULL);
    /* state[0] create, [1] alice, [2] mod, [3] mod2, [4] pl, [5] join rules, [6] bob */
    static const struct {
        int idx[4];
        int want;
    } rows[] = {
        {{0, 4, 6, -1}, 0},
        {{0, 6, -1, -1}, 0},            /* no power levels is fine */
        {{4, 6, -1, -1}, ERR_FORBIDDEN}, /* 2.4: no create */
        {{0, 4, 6, 6}, ERR_FORBIDDEN},   /* 2.1: duplicate */
        {{0, 4, 6, 5}, ERR_FORBIDDEN},   /* 2.2: join rules not needed by a message */
        {{0, 1, 6, -1}, ERR_FORBIDDEN},  /* 2.2: alice's member event not needed */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *ae = json_array();
        for (int k = 0; k < 4 && rows[i].idx[k] >= 0; k++)
            json_array_append(ae, json_array_get(state, (size_t)rows[i].idx[k]));
        char reason[128];
        int rc = matrix_auth_check_auth_events(v, ev, ae, reason, sizeof reason);
        if (rc != rows[i].want)
            harness_fail(__FILE__, __LINE__, "row %zu: got %d (%s)", i, rc, reason);
        json_decref(ae);
    }
    /* 2.5: an auth event from another room. */
    json_t *other = json_deep_copy(json_array_get(state, 6));
    json_object_set_new(other, "room_id", json_string("!other:a"));
    json_t *ae = json_pack("[OO]", json_array_get(state, 0), other);
    ASSERT_INT_EQ(matrix_auth_check_auth_events(v, ev, ae, NULL, 0), ERR_FORBIDDEN);
    json_decref(ae);
    json_decref(other);
    /* The create event has no auth events at all. */
    json_t *create = json_array_get(state, 0);
    ae = json_pack("[O]", json_array_get(state, 4));
    ASSERT_INT_EQ(matrix_auth_check_auth_events(v, create, ae, NULL, 0), ERR_FORBIDDEN);
    json_decref(ae);
    ae = json_array();
    ASSERT_INT_EQ(matrix_auth_check_auth_events(v, create, ae, NULL, 0), 0);
    json_decref(ae);
    json_decref(ev);
    json_decref(c);
    json_decref(state);
}

/* Client-server API "Size limits". */
TEST_CASE(matrix, auth_size_limits)
{
    char long_type[300];
    memset(long_type, 'x', sizeof long_type - 1);
    long_type[sizeof long_type - 1] = '\0';
    json_t *ev = json_pack("{s:s,s:s,s:s}", "type", "m.room.message", "sender", "@a:b", "room_id",
                           "!r:b");
    ASSERT_INT_EQ(matrix_auth_check_size(ev, 65536, NULL, 0), 0);
    ASSERT_INT_EQ(matrix_auth_check_size(ev, 65537, NULL, 0), ERR_TOO_LARGE);
    long_type[255] = '\0';
    json_object_set_new(ev, "type", json_string(long_type));
    ASSERT_INT_EQ(matrix_auth_check_size(ev, 100, NULL, 0), 0);
    long_type[255] = 'x';
    long_type[256] = '\0';
    json_object_set_new(ev, "state_key", json_string(long_type));
    char reason[64];
    ASSERT_INT_EQ(matrix_auth_check_size(ev, 100, reason, sizeof reason), ERR_TOO_LARGE);
    ASSERT_STR_EQ(reason, "state_key is longer than 255 bytes");
    json_decref(ev);
}

/* rooms/v3 "Handling redactions" and the client-server redaction rule. */
TEST_CASE(matrix, auth_redaction_allowed)
{
    const struct matrix_room_version *v = matrix_room_version_find("10");
    json_t *state = room(v, "public", "{\"redact\":40,\"users\":{\"@alice:a\":100,\"@mod:a\":50}}",
                         "[" MEM("@bob:b", "join") "," MEM("@bob2:b", "join") "]", __LINE__);
    struct matrix_auth_state st;
    matrix_auth_state_from_array(&st, state, NULL);
    ASSERT_TRUE(matrix_auth_redaction_allowed(v, &st, "@bob:b", "@bob:b", MATRIX_REDACT_CLIENT));
    ASSERT_TRUE(!matrix_auth_redaction_allowed(v, &st, "@bob:b", "@bob2:b", MATRIX_REDACT_CLIENT));
    ASSERT_TRUE(matrix_auth_redaction_allowed(v, &st, "@bob:b", "@bob2:b",
                                              MATRIX_REDACT_FEDERATION));
    ASSERT_TRUE(!matrix_auth_redaction_allowed(v, &st, "@bob:b", "@alice:a",
                                               MATRIX_REDACT_FEDERATION));
    ASSERT_TRUE(matrix_auth_redaction_allowed(v, &st, "@mod:a", "@bob:b", MATRIX_REDACT_CLIENT));
    ASSERT_TRUE(matrix_auth_redaction_allowed(v, &st, "@mod:a", "@alice:a", MATRIX_REDACT_CLIENT));
    json_decref(state);
}

/* Power level defaults (m.room.power_levels schema) and value parsing
 * (rooms/v1 "... accept values as strings" / "as floats"). */
TEST_CASE(matrix, power_levels_defaults_and_parsing)
{
    const struct matrix_room_version *v9 = matrix_room_version_find("9");
    const struct matrix_room_version *v10 = matrix_room_version_find("10");
    const struct matrix_room_version *v11 = matrix_room_version_find("11");
    json_t *create10 = json_pack("{s:s,s:{s:s}}", "sender", "@a:x", "content", "creator", "@c:x");
    json_t *create11 = json_pack("{s:s,s:{}}", "sender", "@a:x", "content");
    ASSERT_INT_EQ(matrix_power_user_level(v10, create10, NULL, "@c:x"), 100);
    ASSERT_INT_EQ(matrix_power_user_level(v10, create10, NULL, "@a:x"), 0);
    ASSERT_INT_EQ(matrix_power_user_level(v11, create11, NULL, "@a:x"), 100);
    ASSERT_INT_EQ(matrix_power_event_level(v10, NULL, "m.room.topic", true), 50);
    ASSERT_INT_EQ(matrix_power_event_level(v10, NULL, "m.room.message", false), 0);
    ASSERT_INT_EQ(matrix_power_action_level(v10, NULL, MATRIX_POWER_INVITE), 0);
    ASSERT_INT_EQ(matrix_power_action_level(v10, NULL, MATRIX_POWER_KICK), 50);
    ASSERT_INT_EQ(matrix_power_action_level(v10, NULL, MATRIX_POWER_BAN), 50);
    ASSERT_INT_EQ(matrix_power_action_level(v10, NULL, MATRIX_POWER_REDACT), 50);
    ASSERT_INT_EQ(matrix_power_notification_level(v10, NULL, "room"), 50);

    json_t *pl = json_pack("{s:{s:i,s:i,s:s,s:{s:i},s:{s:i,s:s},s:{s:i}}}", "content",
                           "users_default", 5, "state_default", 70, "events_default", "20",
                           "events", "m.room.name", 90, "users", "@c:x", 80, "@s:x", "30",
                           "notifications", "room", 10);
    ASSERT_INT_EQ(matrix_power_user_level(v10, create10, pl, "@c:x"), 80);
    ASSERT_INT_EQ(matrix_power_user_level(v10, create10, pl, "@z:x"), 5); /* users_default */
    ASSERT_INT_EQ(matrix_power_user_level(v10, create10, pl, "@s:x"), 5); /* "30" ignored in v10 */
    ASSERT_INT_EQ(matrix_power_user_level(v9, create10, pl, "@s:x"), 30);
    ASSERT_INT_EQ(matrix_power_event_level(v10, pl, "m.room.name", true), 90);
    ASSERT_INT_EQ(matrix_power_event_level(v10, pl, "m.room.topic", true), 70);
    ASSERT_INT_EQ(matrix_power_event_level(v10, pl, "m.room.message", false), 0);
    ASSERT_INT_EQ(matrix_power_event_level(v9, pl, "m.room.message", false), 20);
    ASSERT_INT_EQ(matrix_power_notification_level(v10, pl, "room"), 10);

    static const struct {
        const char *json;
        int rc9;
        long long v9;
        int rc10;
    } vals[] = {
        {"[50]", 0, 50, 0},          {"[\"50\"]", 0, 50, ERR_INVALID},
        {"[\" -007 \"]", 0, -7, ERR_INVALID}, {"[\"+100\"]", 0, 100, ERR_INVALID},
        {"[\"1e2\"]", ERR_INVALID, 0, ERR_INVALID}, {"[\"5.5\"]", ERR_INVALID, 0, ERR_INVALID},
        {"[\"\"]", ERR_INVALID, 0, ERR_INVALID}, {"[\"--1\"]", ERR_INVALID, 0, ERR_INVALID},
        {"[50.57]", 0, 50, ERR_INVALID}, {"[-3.9]", 0, -3, ERR_INVALID},
        {"[5.114698E4]", 0, 51146, ERR_INVALID}, {"[true]", ERR_INVALID, 0, ERR_INVALID},
        {"[9007199254740992]", ERR_INVALID, 0, ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        json_t *arr = parse(vals[i].json, __LINE__);
        int64_t out = 0;
        int rc = matrix_power_parse(v9, json_array_get(arr, 0), &out);
        if (rc != vals[i].rc9 || (rc == 0 && out != vals[i].v9))
            harness_fail(__FILE__, __LINE__, "%s: v9 rc %d value %lld", vals[i].json, rc,
                         (long long)out);
        if (matrix_power_parse(v10, json_array_get(arr, 0), &out) != vals[i].rc10)
            harness_fail(__FILE__, __LINE__, "%s: v10", vals[i].json);
        json_decref(arr);
    }
    json_decref(pl);
    json_decref(create10);
    json_decref(create11);
}

/* Hostile shapes from federation: every version must answer allow or deny
 * (never crash or read out of bounds; the ASan build runs this too), and the
 * malformed member events must be denied. */
TEST_CASE(matrix, auth_malformed_input)
{
    static const char *const events[] = {
        "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"c\":\"join\"}",
        "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"c\":{\"membership\":7}}",
        "{\"t\":\"m.room.member\",\"k\":5,\"s\":\"@bob:b\",\"c\":{\"membership\":\"join\"}}",
        "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"c\":{\"membership\":"
        "\"join\",\"join_authorised_via_users_server\":12}}",
        "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"c\":{\"membership\":"
        "\"join\",\"join_authorised_via_users_server\":\"nocolon\"}}",
        "{\"t\":\"m.room.member\",\"k\":\"@d:d\",\"s\":\"@alice:a\",\"c\":{\"membership\":"
        "\"invite\",\"third_party_invite\":[1]}}",
        "{\"t\":\"m.room.member\",\"k\":\"@d:d\",\"s\":\"@alice:a\",\"c\":{\"membership\":"
        "\"invite\",\"third_party_invite\":{\"signed\":{\"mxid\":1,\"token\":{}}}}}",
        "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"nobody\",\"c\":{\"membership\":\"join\"}}",
        "{\"t\":\"m.room.power_levels\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":\"x\"}",
        "{\"t\":\"m.room.power_levels\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{\"users\":{\"@x:y\":"
        "{}},\"events\":5,\"notifications\":\"z\"}}",
        "{\"t\":\"m.room.power_levels\",\"k\":\"\",\"s\":\"@alice:a\",\"c\":{\"ban\":1e300}}",
        "{\"t\":\"m.room.create\",\"k\":\"\",\"s\":\"@alice:a\",\"prev\":{},\"c\":[]}",
        "{\"t\":\"m.room.redaction\",\"s\":\"@alice:a\",\"redacts\":5,\"c\":{}}",
        "{\"t\":5,\"s\":\"@alice:a\",\"c\":{}}",
        "{\"t\":\"m.room.message\",\"c\":{}}",
    };
    /* State whose own events are broken: power levels content and members. */
    static const char *const extras[] = {
        NULL,
        "[{\"t\":\"m.room.power_levels\",\"k\":\"\",\"s\":\"@alice:a\",\"id\":\"$pl:a\","
        "\"c\":{\"users\":[],\"events\":\"x\",\"ban\":{}}},"
        "{\"t\":\"m.room.member\",\"k\":\"@bob:b\",\"s\":\"@bob:b\",\"c\":[]},"
        "{\"t\":\"m.room.join_rules\",\"k\":\"\",\"s\":\"@alice:a\",\"id\":\"$jr:a\",\"c\":"
        "{\"join_rule\":3}}]",
    };
    static const char *const versions[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"};
    for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
        const struct matrix_room_version *ver = matrix_room_version_find(versions[v]);
        for (size_t x = 0; x < 2; x++) {
            json_t *state = room(ver, "public", NULL, extras[x], __LINE__);
            struct matrix_auth_state st;
            matrix_auth_state_from_array(&st, state, &stub_verify);
            for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
                json_t *c = parse(events[i], __LINE__);
                json_t *ev = expand(c, NULL);
                char reason[128];
                int rc = matrix_auth_check(ver, ev, &st, reason, sizeof reason);
                if (rc != 0 && rc != ERR_FORBIDDEN)
                    harness_fail(__FILE__, __LINE__, "v%s event %zu: rc %d", versions[v], i, rc);
                /* 3 and 4 carry a bad join_authorised_via_users_server,
                 * which only v8+ reads (a public join before that). */
                bool must_deny = i <= 7 && (ver->restricted_join || (i != 3 && i != 4));
                if (must_deny && rc != ERR_FORBIDDEN)
                    harness_fail(__FILE__, __LINE__, "v%s event %zu allowed", versions[v], i);
                json_t *ids = NULL;
                if (matrix_auth_events_for(ver, ev, &st, &ids) == 0)
                    json_decref(ids);
                json_decref(ev);
                json_decref(c);
            }
            json_decref(state);
        }
    }
}

/* ---- fuzz corpus replay ---- */

#define AUTH_FUZZ_NO_MAIN
#include "fuzz/auth_fuzz.c"

/* Replays tests/fuzz/corpus/auth through the harness (no libFuzzer needed):
 * every invariant in tests/fuzz/auth_fuzz.c aborts the test when broken. */
TEST_CASE(matrix, auth_fuzz_corpus_replays)
{
    ASSERT_TRUE(harness_replay_corpus(harness_path("tests/fuzz/corpus/auth"), auth_fuzz_one) >= 5);
}

/* matrix_auth_check_with_auth_events: rule 2 and the rules in one call, and
 * the v12 create event passed beside the auth events. */
TEST_CASE(matrix, auth_check_with_auth_events)
{
    static const char *const vers[] = {"10", "12"};
    for (size_t v = 0; v < 2; v++) {
        const struct matrix_room_version *ver = matrix_room_version_find(vers[v]);
        bool v12 = ver->creators_privileged;
        json_t *state = room(ver, "public", v12 ? PL12 : NULL, "[" MEM("@bob:b", "join") "]",
                             __LINE__);
        json_t *create = json_array_get(state, 0);
        json_t *c = parse(MSG("@bob:b"), __LINE__);
        json_t *ev = expand(c, NULL);
        struct matrix_auth_state st;
        matrix_auth_state_from_array(&st, state, NULL);
        json_t *ids = NULL;
        ASSERT_INT_EQ(matrix_auth_events_for(ver, ev, &st, &ids), 0);
        /* The PDUs behind the selected IDs. */
        json_t *auth = json_array();
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id) {
            size_t k;
            json_t *s_ev;
            json_array_foreach(state, k, s_ev) {
                if (json_equal(json_object_get(s_ev, "event_id"), id))
                    json_array_append(auth, s_ev);
            }
        }
        ASSERT_INT_EQ(json_array_size(auth), v12 ? 2 : 3);
        char reason[128];
        ASSERT_INT_EQ(matrix_auth_check_with_auth_events(ver, ev, auth, create, NULL, reason,
                                                         sizeof reason),
                      0);
        if (v12) /* without the create event the room cannot be checked */
            ASSERT_INT_EQ(matrix_auth_check_with_auth_events(ver, ev, auth, NULL, NULL, reason,
                                                             sizeof reason),
                          ERR_FORBIDDEN);
        /* An extra, unselected auth event (rule 2.2 / v12 3.2). */
        json_array_append(auth, json_array_get(state, 1)); /* alice's member event */
        ASSERT_INT_EQ(matrix_auth_check_with_auth_events(ver, ev, auth, create, NULL, reason,
                                                         sizeof reason),
                      ERR_FORBIDDEN);
        json_decref(auth);
        json_decref(ids);
        json_decref(ev);
        json_decref(c);
        json_decref(state);
    }
}

/* A redacted state event authorises in its redacted form (rooms v10/v11
 * "Redactions": power_levels keeps ban, events, events_default, kick, redact,
 * state_default, users, users_default, and from v11 invite). The room head
 * (rooms__state_redact) puts exactly matrix_event_redact's output in its
 * state; here the same on a state array. */
TEST_CASE(matrix, auth_with_redacted_power_levels)
{
    static const struct {
        const char *ver, *pl, *event;
        int want_before, want_after;
        int line;
    } rows[] = {
        /* invite raised to 60: @mod (50) may not invite; v10 drops invite on redaction */
        {"10", "{\"invite\":60,\"users\":{\"@alice:a\":100,\"@mod:a\":50}}",
         "{\"t\":\"m.room.member\",\"k\":\"@x:a\",\"s\":\"@mod:a\","
         "\"c\":{\"membership\":\"invite\"}}",
         ERR_FORBIDDEN, 0, __LINE__},
        {"11", "{\"invite\":60,\"users\":{\"@alice:a\":100,\"@mod:a\":50}}",
         "{\"t\":\"m.room.member\",\"k\":\"@x:a\",\"s\":\"@mod:a\","
         "\"c\":{\"membership\":\"invite\"}}",
         ERR_FORBIDDEN, ERR_FORBIDDEN, __LINE__},
        /* users is kept: @mod's 50 still lets them send m.room.name at 50 */
        {"10", "{\"users\":{\"@alice:a\":100,\"@mod:a\":50},\"events\":{\"m.room.name\":50}}",
         "{\"t\":\"m.room.name\",\"k\":\"\",\"s\":\"@mod:a\",\"c\":{\"name\":\"n\"}}", 0, 0,
         __LINE__},
        /* events is kept: a raised event level still binds */
        {"10", "{\"users\":{\"@alice:a\":100,\"@mod:a\":50},\"events\":{\"m.room.name\":80}}",
         "{\"t\":\"m.room.name\",\"k\":\"\",\"s\":\"@mod:a\",\"c\":{\"name\":\"n\"}}",
         ERR_FORBIDDEN, ERR_FORBIDDEN, __LINE__},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct matrix_room_version *v = matrix_room_version_find(rows[i].ver);
        ASSERT_TRUE(v != NULL);
        json_t *state = room(v, "invite", rows[i].pl, NULL, rows[i].line);
        json_t *compact = parse(rows[i].event, rows[i].line);
        json_t *ev = expand(compact, NULL);
        for (int redacted = 0; redacted < 2; redacted++) {
            if (redacted) {
                size_t k;
                json_t *s;
                json_array_foreach(state, k, s)
                {
                    if (strcmp(json_string_value(json_object_get(s, "type")),
                               "m.room.power_levels") != 0)
                        continue;
                    json_t *red;
                    ASSERT_INT_EQ(matrix_event_redact(s, v, &red), 0);
                    json_object_set_new(red, "event_id", json_string("$pl:a"));
                    json_array_set_new(state, k, red);
                    break;
                }
            }
            struct matrix_auth_state st;
            matrix_auth_state_from_array(&st, state, &stub_verify);
            char reason[256];
            int rc = matrix_auth_check(v, ev, &st, reason, sizeof reason);
            int want = redacted ? rows[i].want_after : rows[i].want_before;
            if (rc != want)
                harness_fail(__FILE__, rows[i].line, "v%s %s: got %d (%s), want %d",
                             rows[i].ver, redacted ? "redacted" : "original", rc, reason, want);
        }
        json_decref(ev);
        json_decref(compact);
        json_decref(state);
    }
}
