"""GET /rooms/{roomId}/context/{eventId}: events before and after, the
event, start/end tokens that /messages continues from, the state, lazy-loaded
members and history visibility (spec: client-server "Retrieving events")."""

import json
from urllib.parse import quote

from nio import MessageDirection
from nio import responses as R

from common import check, expect_error, expect_nio, joined_room

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


async def send(c, room, body):
    return expect_nio(await c.room_send(room, "m.room.message", {"msgtype": "m.text",
                                                                 "body": body}),
                      R.RoomSendResponse).event_id


async def context(srv, c, room, event_id, **query):
    return await srv.req("GET", f"{CS}/rooms/{quote(room)}/context/{quote(event_id)}",
                         token=c.access_token, query={k: str(v) for k, v in query.items()})


async def test_three_before_and_three_after(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob], name="Context")
    ids = [await send(alice if i % 2 else bob, room, f"m{i}") for i in range(9)]
    ctx = expect_nio(await alice.room_context(room, ids[4], limit=6), R.RoomContextResponse)
    check(ctx.event.event_id == ids[4], f"event {ctx.event}")
    check([e.event_id for e in ctx.events_before] == [ids[3], ids[2], ids[1]],
          f"before {[e.event_id for e in ctx.events_before]}")
    check([e.event_id for e in ctx.events_after] == [ids[5], ids[6], ids[7]],
          f"after {[e.event_id for e in ctx.events_after]}")
    types = {(e["type"], e.get("state_key")) for e in (s.source for s in ctx.state)}
    check(("m.room.create", "") in types and ("m.room.name", "") in types and
          ("m.room.member", bob.user) in types, f"state {types}")
    # /messages continues from start (backwards) and end (forwards)
    back = expect_nio(await alice.room_messages(room, ctx.start, limit=1),
                      R.RoomMessagesResponse)
    check([e.event_id for e in back.chunk] == [ids[0]], f"back {back.chunk}")
    fwd = expect_nio(await alice.room_messages(room, ctx.end, limit=5,
                                               direction=MessageDirection.front),
                     R.RoomMessagesResponse)
    check([e.event_id for e in fwd.chunk] == [ids[8]], f"forward {fwd.chunk}")


async def test_lazy_loading_and_filter(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    carol = await srv.nio_user("carol")
    room = await joined_room(alice, [bob, carol])
    a = await send(alice, room, "from alice")
    b = await send(bob, room, "from bob")
    c = await send(alice, room, "alice again")
    flt = json.dumps({"lazy_load_members": True, "types": ["m.room.message", "m.room.member"]})
    r = await context(srv, carol, room, b, limit=2, filter=flt)
    check(r.status == 200, f"{r!r}")
    check([e["event_id"] for e in r.json["events_before"]] == [a] and
          [e["event_id"] for e in r.json["events_after"]] == [c], f"{r.json}")
    # the filter's types apply to the state too (spec: "applied to events_before,
    # events_after, and state"): lazily loaded members, nothing else
    members = {e["state_key"] for e in r.json["state"] if e["type"] == "m.room.member"}
    # the senders (alice, bob) and the viewer (carol)
    check(members == {alice.user, bob.user, carol.user}, f"members {members}")
    check({e["type"] for e in r.json["state"]} == {"m.room.member"}, f"{r.json['state']}")
    # messages only: no state event passes
    r = await context(srv, carol, room, b, limit=2, filter=json.dumps(
        {"lazy_load_members": True, "types": ["m.room.message"]}))
    check(r.status == 200 and r.json["state"] == [] and
          [e["event_id"] for e in r.json["events_before"]] == [a], f"{r.json}")
    # not_types and senders on the state: alice's own state events bar her member event
    r = await context(srv, carol, room, b, limit=2, filter=json.dumps(
        {"senders": [alice.user], "not_types": ["m.room.member"]}))
    st = {(e["type"], e["sender"]) for e in r.json["state"]}
    check(st and all(t != "m.room.member" and s == alice.user for t, s in st) and
          ("m.room.create", alice.user) in st, f"state {st}")
    # nio's room_context reads such an answer
    ctx = expect_nio(await carol.room_context(room, b, limit=2), R.RoomContextResponse)
    check(any(e.source["type"] == "m.room.create" for e in ctx.state), "nio state")
    # the limit counts matching events: bob's nearest earlier event is his join
    r = await context(srv, carol, room, b, limit=2, filter=json.dumps({"senders": [bob.user]}))
    before = [(e["type"], e["sender"]) for e in r.json["events_before"]]
    check(before == [("m.room.member", bob.user)] and r.json["events_after"] == [] and
          r.json["event"]["event_id"] == b, f"{r.json}")
    r = await context(srv, carol, room, b, limit=0)
    check(r.json["events_before"] == [] and r.json["events_after"] == [] and
          r.json["event"]["event_id"] == b, f"{r.json}")


async def test_history_visibility_applies(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    expect_nio(await alice.room_put_state(room, "m.room.history_visibility",
                                          {"history_visibility": "joined"}),
               R.RoomPutStateResponse)
    early = await send(alice, room, "before bob")
    expect_nio(await alice.room_invite(room, bob.user), R.RoomInviteResponse)
    expect_nio(await bob.join(room), R.JoinResponse)
    late = await send(alice, room, "after bob")
    r = await context(srv, bob, room, early)
    expect_error(r, 404, "M_NOT_FOUND")
    r = await context(srv, bob, room, late, limit=10)
    check(r.status == 200, f"{r!r}")
    check(early not in [e["event_id"] for e in r.json["events_before"]],
          f"invisible event leaked: {r.json['events_before']}")


async def test_context_errors(srv):
    alice = await srv.nio_user("alice")
    eve = await srv.nio_user("eve")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    other = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    ev = await send(alice, room, "hi")
    expect_error(await context(srv, alice, room, "$doesnotexist"), 404, "M_NOT_FOUND")
    expect_error(await context(srv, alice, other, ev), 404, "M_NOT_FOUND")
    expect_error(await context(srv, eve, room, ev), 404, "M_NOT_FOUND")
    expect_error(await context(srv, alice, f"!nope:{alice.user.split(':', 1)[1]}", ev), 403,
                 "M_FORBIDDEN")
    expect_error(await context(srv, alice, room, ev, limit="lots"), 400, "M_INVALID_PARAM")
    expect_error(await context(srv, alice, room, ev, filter="{not json"), 400, "M_INVALID_PARAM")
    e = expect_nio(await eve.room_context(room, ev), R.RoomContextError)
    check(e.status_code == "M_NOT_FOUND", f"{e}")
