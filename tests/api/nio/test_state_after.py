"""/sync with use_state_after (spec v1.16, MSC4222; matrix-js-sdk sends the
unstable org.matrix.msc4222.use_state_after): the room's state goes in
`state_after` (unstable: org.matrix.msc4222.state_after) instead of `state`,
as the state at the END of the timeline, the timeline's own state events
included, since clients then take no state from the timeline."""

import json

from nio import responses as R

from common import check, expect_nio, joined_room

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


async def sync(srv, c, **query):
    query = {k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in query.items()}
    query.setdefault("timeout", "0")
    r = await srv.req("GET", f"{CS}/sync", token=c.access_token, query=query)
    check(r.status == 200, f"sync {query}: {r!r}")
    return r.json


def state_of(events, type_, key=""):
    return [e["content"] for e in events if e["type"] == type_ and e.get("state_key") == key]


async def test_state_after_initial_and_incremental(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob], name="One")
    expect_nio(await alice.room_put_state(room, "m.room.name", {"name": "Two"}),
               R.RoomPutStateResponse)
    # the rename is inside a 3-event timeline: state_after still has it
    flt = {"room": {"timeline": {"limit": 3}}}
    s = await sync(srv, alice, use_state_after="true", filter=flt)
    jr = s["rooms"]["join"][room]
    check("state" not in jr and "state_after" in jr, f"keys {sorted(jr)}")
    tl = jr["timeline"]["events"]
    check(any(e["type"] == "m.room.name" for e in tl), f"rename in the timeline {tl}")
    check(state_of(jr["state_after"]["events"], "m.room.name") == [{"name": "Two"}],
          f"state_after name {jr['state_after']}")
    members = {e["state_key"] for e in jr["state_after"]["events"] if e["type"] == "m.room.member"}
    check(members == {alice.user, bob.user}, f"members {members}")
    # without the parameter: the legacy `state` (at the timeline's start)
    legacy = (await sync(srv, alice, filter=flt))["rooms"]["join"][room]
    check("state_after" not in legacy and "state" in legacy and
          state_of(legacy["state"]["events"], "m.room.name") == [{"name": "One"}],
          f"legacy state {legacy.get('state')}")
    # incremental, with the unstable name: the new topic, in the timeline and in state_after
    since = s["next_batch"]
    expect_nio(await bob.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "hi"}),
               R.RoomSendResponse)
    expect_nio(await alice.room_put_state(room, "m.room.topic", {"topic": "tea"}),
               R.RoomPutStateResponse)
    s2 = await sync(srv, alice, since=since, **{"org.matrix.msc4222.use_state_after": "true"})
    jr = s2["rooms"]["join"][room]
    key = "org.matrix.msc4222.state_after"
    check("state" not in jr and key in jr, f"keys {sorted(jr)}")
    check(state_of(jr[key]["events"], "m.room.topic") == [{"topic": "tea"}], f"{jr[key]}")
    check(state_of(jr[key]["events"], "m.room.name") == [], "nothing older than the token")
    # a quiet incremental sync still answers state_after (empty) for a room it lists
    s3 = await sync(srv, alice, since=s2["next_batch"], use_state_after="true")
    check(room not in s3["rooms"]["join"], f"quiet room listed: {s3['rooms']['join']}")


async def test_state_after_lazy_members(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    carol = await srv.nio_user("carol")
    room = await joined_room(alice, [bob, carol], name="Lazy")
    for i in range(3):
        expect_nio(await bob.room_send(room, "m.room.message",
                                       {"msgtype": "m.text", "body": f"b{i}"}), R.RoomSendResponse)
    flt = {"room": {"timeline": {"limit": 2}, "state": {"lazy_load_members": True}}}
    s = await sync(srv, alice, use_state_after="true", filter=flt)
    ev = s["rooms"]["join"][room]["state_after"]["events"]
    members = {e["state_key"] for e in ev if e["type"] == "m.room.member"}
    check(members == {alice.user, bob.user}, f"lazy members {members}")
    # carol speaks: her member event comes in state_after with her message
    since = s["next_batch"]
    expect_nio(await carol.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "c"}),
               R.RoomSendResponse)
    s2 = await sync(srv, alice, since=since, use_state_after="true", filter=flt)
    ev = s2["rooms"]["join"][room]["state_after"]["events"]
    check([e["state_key"] for e in ev if e["type"] == "m.room.member"] == [carol.user],
          f"incremental lazy {ev}")
