"""test_rooms.py: people talking in rooms, as matrix-nio and raw HTTP clients
see it: 200 messages through two nio sync loops, /messages pagination over
1,000 events, transaction idempotency, who may read and send, power levels,
redaction, leaving and forgetting, history visibility."""

import asyncio

import nio

from common import check, expect_error, expect_nio
from rooms_util import (bodies, login_again, new_user, q, room_with, send_many, timeline)

SERVER = {"registration": "open", "admin": False}


async def test_two_users_exchange_200_messages(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = expect_nio(await alice.room_create(name="chat"), nio.RoomCreateResponse).room_id
    expect_nio(await alice.room_invite(room, bob.user), nio.RoomInviteResponse)
    expect_nio(await bob.join(room), nio.JoinResponse)
    flt = {"room": {"timeline": {"limit": 400}}}
    seen = {alice.user: [], bob.user: []}
    limited = []
    for c in (alice, bob):
        expect_nio(await c.sync(timeout=0, sync_filter=flt), nio.SyncResponse)
    done = asyncio.Event()

    async def loop(c):
        while True:
            r = expect_nio(await c.sync(timeout=500, sync_filter=flt), nio.SyncResponse)
            joined = r.rooms.join.get(room)
            if joined:
                if joined.timeline.limited:
                    limited.append(c.user)
                for e in joined.timeline.events:
                    if isinstance(e, nio.RoomMessageText):
                        seen[c.user].append((e.sender, e.body, e.event_id))
            if done.is_set() and len(seen[c.user]) >= 200:
                return

    loops = [asyncio.create_task(loop(c)) for c in (alice, bob)]
    sent = []
    for i in range(200):
        c = alice if i % 2 == 0 else bob
        r = expect_nio(await c.room_send(room, "m.room.message",
                                         {"msgtype": "m.text", "body": f"msg {i}"}),
                       nio.RoomSendResponse)
        sent.append((c.user, f"msg {i}", r.event_id))
    done.set()
    try:
        await asyncio.wait_for(asyncio.gather(*loops), 20)
    finally:
        for t in loops:
            t.cancel()
    check(not limited, f"incremental syncs were limited for {limited}")
    for who, got in seen.items():
        check(got == sent, f"{who} saw {len(got)} messages, first difference at "
              f"{next((i for i, (a, b) in enumerate(zip(got, sent)) if a != b), len(got))}")


async def test_pagination_over_1000_events(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room(preset="private_chat")
    names = [f"p{i:04d}" for i in range(1000)]
    ids = await send_many(alice, room, names)
    # A small timeline limit: the initial sync is limited and its prev_batch pages on.
    s = await alice.sync(filter={"room": {"timeline": {"limit": 5}}})
    tl = s["rooms"]["join"][room]["timeline"]
    check(tl["limited"] is True, f"timeline of 5 out of 1000 not limited: {tl}")
    check(len(tl["events"]) == 5, f"{len(tl['events'])} events in a limit-5 timeline")
    newest = [e["event_id"] for e in tl["events"]]
    # Backwards from prev_batch to the start of the room.
    back, token, pages = [], tl["prev_batch"], 0
    while True:
        r = await alice.messages(room, "b", token, limit=97)
        check(r.status == 200, f"/messages: {r!r}")
        back += r.json["chunk"]
        pages += 1
        check(pages < 100, "pagination does not end")
        if "end" not in r.json:
            break
        check(r.json["end"] != token, "end token did not move")
        token = r.json["end"]
    chrono = [e["event_id"] for e in reversed(back)] + newest
    check(len(chrono) == len(set(chrono)), "an event was returned twice")
    check(back[-1]["type"] == "m.room.create", f"oldest event is {back[-1]['type']}")
    msgs = [e for e in reversed(back) if e["type"] == "m.room.message"] + tl["events"]
    got = [e["content"]["body"] for e in msgs]
    # Stream order is commit order: every message exactly once.
    check(sorted(got) == names, f"{len(got)} messages paginated, {len(set(got))} distinct")
    check([e["event_id"] for e in msgs] == [ids[b] for b in got], "event IDs differ from sends")
    # Forwards again from the start of the room: the same sequence.
    fwd, token = [], None
    while True:
        r = await alice.messages(room, "f", token if token else "t0", limit=89)
        check(r.status == 200, f"/messages f: {r!r}")
        fwd += r.json["chunk"]
        if "end" not in r.json or not r.json["chunk"]:
            break
        token = r.json["end"]
    fwd_ids = [e["event_id"] for e in fwd]
    check(fwd_ids == chrono, f"forward pagination ({len(fwd_ids)}) differs from backward "
          f"({len(chrono)})")
    # A middle stretch: back 10 from the 500th message, then forward 10 from there.
    mid = await alice.messages(room, "b", tl["prev_batch"], limit=10)
    r2 = await alice.messages(room, "f", mid.json["end"], limit=10)
    check([e["event_id"] for e in r2.json["chunk"]] ==
          [e["event_id"] for e in reversed(mid.json["chunk"])], "back then forward differ")


async def test_limited_incremental_sync_and_prev_batch(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room(preset="private_chat")
    flt = {"room": {"timeline": {"limit": 3}}}
    s = await alice.sync(filter=flt)
    await send_many(alice, room, [f"l{i:02d}" for i in range(20)], concurrency=1)
    s2 = await alice.sync(since=s["next_batch"], filter=flt)
    tl = s2["rooms"]["join"][room]["timeline"]
    check(tl["limited"] is True and bodies(tl["events"]) == ["l17", "l18", "l19"],
          f"limited incremental timeline: {tl}")
    r = await alice.messages(room, "b", tl["prev_batch"], limit=17)
    check(bodies(r.json["chunk"]) == [f"l{i:02d}" for i in range(16, -1, -1)],
          f"prev_batch pages to {bodies(r.json['chunk'])}")
    s3 = await alice.sync(since=s2["next_batch"], filter=flt)
    check(room not in s3["rooms"]["join"], f"nothing new but the room is listed: {s3}")
    check(s3["next_batch"] == s2["next_batch"], "idle sync moved next_batch")


async def test_txn_retry_same_event_once(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room(preset="private_chat")
    other_device = await login_again(srv, alice)
    s0 = await alice.sync()
    s0b = await other_device.sync()
    e1 = await alice.send(room, "once", txn="retry-1")
    e2 = await alice.send(room, "once", txn="retry-1")
    check(e1 == e2, f"retry gave {e2}, first {e1}")
    # The same transaction ID from another device is another event.
    e3 = await other_device.send(room, "once", txn="retry-1")
    check(e3 != e1, "the txn ID of another device was treated as a retry")
    r = await alice.messages(room, "b", limit=20)
    check([e["event_id"] for e in r.json["chunk"]].count(e1) == 1, "retried event twice")
    check(bodies(r.json["chunk"]).count("once") == 2, f"{bodies(r.json['chunk'])}")
    s = await alice.sync(since=s0["next_batch"])
    evs = {e["event_id"]: e for e in timeline(s, room)}
    check(evs[e1]["unsigned"].get("transaction_id") == "retry-1",
          f"sending device lacks transaction_id: {evs[e1]}")
    check("transaction_id" not in evs[e3]["unsigned"], "other device's txn shown to this device")
    s = await other_device.sync(since=s0b["next_batch"])
    evs = {e["event_id"]: e for e in timeline(s, room)}
    check("transaction_id" not in evs[e1]["unsigned"], "txn ID shown to another device")
    check(evs[e3]["unsigned"].get("transaction_id") == "retry-1", "own txn ID missing")
    ev = await alice.ok("GET", f"/rooms/{q(room)}/event/{q(e1)}")
    check(ev["unsigned"].get("transaction_id") == "retry-1", f"/event: {ev}")
    # Retries racing each other (a client that timed out and resent at once).
    rs = await asyncio.gather(*(alice.send_raw(room, "raced", txn="race-1") for _ in range(6)))
    ids = {r.json.get("event_id") for r in rs if r.status == 200}
    check(all(r.status == 200 for r in rs) and len(ids) == 1, f"raced retries: {rs}")
    r = await alice.messages(room, "b", limit=30)
    check(bodies(r.json["chunk"]).count("raced") == 1, "raced retries stored twice")


async def test_non_member_cannot_read_or_send(srv):
    alice = await new_user(srv, "alice")
    eve = await new_user(srv, "eve")
    invited = await new_user(srv, "inv")
    room = await alice.create_room(preset="public_chat", name="closed")
    eid = await alice.send(room, "secret")
    await alice.invite(room, invited.user_id)
    for who in (eve, invited):
        expect_error(await who.messages(room), 403, "M_FORBIDDEN")
        expect_error(await who.req("GET", f"/rooms/{q(room)}/state"), 403, "M_FORBIDDEN")
        expect_error(await who.req("GET", f"/rooms/{q(room)}/state/m.room.name"), 403,
                     "M_FORBIDDEN")
        expect_error(await who.req("GET", f"/rooms/{q(room)}/members"), 403, "M_FORBIDDEN")
        expect_error(await who.req("GET", f"/rooms/{q(room)}/event/{q(eid)}"), 404,
                     "M_NOT_FOUND")
        expect_error(await who.send_raw(room, "hi"), 403, "M_FORBIDDEN")
        expect_error(await who.state(room, "m.room.topic", {"topic": "x"}), 403, "M_FORBIDDEN")
    # An unknown room reads like a room one is not in.
    expect_error(await eve.messages("!nope:localhost"), 403, "M_FORBIDDEN")


async def test_power_levels_enforced(srv):
    alice = await new_user(srv, "alice")
    mod = await new_user(srv, "mod")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [], preset="public_chat")
    for u in (mod, bob, carol):
        await u.join(room)
    expect_error(await bob.state(room, "m.room.name", {"name": "bob's"}), 403, "M_FORBIDDEN")
    check((await alice.state(room, "m.room.name", {"name": "alice's"})).status == 200,
          "creator cannot set the name")
    pl = await alice.ok("GET", f"/rooms/{q(room)}/state/m.room.power_levels")
    pl["users"][mod.user_id] = 50
    check((await alice.state(room, "m.room.power_levels", pl)).status == 200, "set PL")
    # A normal user may neither kick nor ban.
    expect_error(await bob.req("POST", f"/rooms/{q(room)}/kick", {"user_id": carol.user_id}),
                 403, "M_FORBIDDEN")
    expect_error(await bob.req("POST", f"/rooms/{q(room)}/ban", {"user_id": carol.user_id}),
                 403, "M_FORBIDDEN")
    # A normal user cannot raise their own level.
    pl2 = dict(pl, users=dict(pl["users"], **{bob.user_id: 100}))
    expect_error(await bob.state(room, "m.room.power_levels", pl2), 403, "M_FORBIDDEN")
    # The moderator kicks and bans; a banned user cannot come back until unbanned.
    await mod.ok("POST", f"/rooms/{q(room)}/kick", {"user_id": bob.user_id, "reason": "r"})
    m = await alice.ok("GET", f"/rooms/{q(room)}/state/m.room.member/{q(bob.user_id)}")
    check(m["membership"] == "leave" and m.get("reason") == "r", f"kicked member: {m}")
    await bob.join(room)
    await mod.ok("POST", f"/rooms/{q(room)}/ban", {"user_id": carol.user_id})
    expect_error(await carol.req("POST", f"/rooms/{q(room)}/join", {}), 403, "M_FORBIDDEN")
    expect_error(await carol.send_raw(room, "still here?"), 403, "M_FORBIDDEN")
    expect_error(await bob.req("POST", f"/rooms/{q(room)}/unban", {"user_id": carol.user_id}),
                 403, "M_FORBIDDEN")
    await mod.ok("POST", f"/rooms/{q(room)}/unban", {"user_id": carol.user_id})
    await carol.join(room)
    await carol.send(room, "back")
    # A moderator cannot kick the creator (higher level).
    expect_error(await mod.req("POST", f"/rooms/{q(room)}/kick", {"user_id": alice.user_id}),
                 403, "M_FORBIDDEN")


async def test_redaction_strips_content(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob], preset="private_chat")
    s_bob = await bob.sync()
    a_msg = await alice.send(room, "alice's words")
    b_msg = await bob.send(room, "bob's words")
    r = await bob.req("PUT", f"/rooms/{q(room)}/redact/{q(a_msg)}/x1", {"reason": "no"})
    expect_error(r, 403, "M_FORBIDDEN")
    red = await alice.ok("PUT", f"/rooms/{q(room)}/redact/{q(b_msg)}/x1", {"reason": "spam"})
    own = await bob.ok("PUT", f"/rooms/{q(room)}/redact/{q(b_msg)}/x2", {})
    check(own["event_id"] != red["event_id"], "second redaction reused the first")

    def stripped(ev, where):
        check(ev["content"] == {}, f"{where}: content not stripped: {ev}")
        rb = ev.get("unsigned", {}).get("redacted_because")
        check(rb and rb["event_id"] == red["event_id"] and rb["type"] == "m.room.redaction",
              f"{where}: redacted_because missing: {ev}")

    stripped(await bob.ok("GET", f"/rooms/{q(room)}/event/{q(b_msg)}"), "/event")
    r = await bob.messages(room, limit=10)
    evs = {e["event_id"]: e for e in r.json["chunk"]}
    stripped(evs[b_msg], "/messages")
    check(evs[a_msg]["content"]["body"] == "alice's words", "the other message was touched")
    reds = [e for e in r.json["chunk"] if e["type"] == "m.room.redaction"]
    check(reds and all(e.get("redacts") == b_msg or e["content"].get("redacts") == b_msg
                       for e in reds), f"redaction events: {reds}")
    s = await bob.sync(since=s_bob["next_batch"])
    evs = {e["event_id"]: e for e in timeline(s, room)}
    stripped(evs[b_msg], "/sync")
    s = await bob.sync()  # initial sync too
    evs = {e["event_id"]: e for e in timeline(s, room)}
    stripped(evs[b_msg], "initial /sync")


async def test_leave_moves_room_and_forget(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob], preset="private_chat")
    await alice.send(room, "before leave")
    check((await alice.state(room, "m.room.name", {"name": "old name"})).status == 200, "name")
    s = await bob.sync()
    await bob.ok("POST", f"/rooms/{q(room)}/leave", {})
    await alice.send(room, "after leave")
    check((await alice.state(room, "m.room.name", {"name": "new name"})).status == 200, "name")
    s2 = await bob.sync(since=s["next_batch"])
    check(room not in s2["rooms"]["join"], "room still in join after leaving")
    left = s2["rooms"]["leave"].get(room)
    check(left is not None, f"room not in rooms.leave: {s2['rooms']}")
    last = left["timeline"]["events"][-1]
    check(last["type"] == "m.room.member" and last["state_key"] == bob.user_id and
          last["content"]["membership"] == "leave", f"leave timeline ends with {last}")
    check("after leave" not in bodies(left["timeline"]["events"]), "saw a message after leaving")
    r = await bob.messages(room, limit=50)
    check(r.status == 200, f"/messages after leave: {r!r}")
    got = bodies(r.json["chunk"])
    check("before leave" in got and "after leave" not in got, f"history after leave: {got}")
    expect_error(await bob.send_raw(room, "ghost"), 403, "M_FORBIDDEN")
    # A departed user reads the state as it was when they left (as Synapse).
    name = await bob.ok("GET", f"/rooms/{q(room)}/state/m.room.name")
    check(name == {"name": "old name"}, f"state after leave: {name}")
    st = await bob.ok("GET", f"/rooms/{q(room)}/state")
    check({"name": "old name"} in [e["content"] for e in st if e["type"] == "m.room.name"],
          "full state after leave")
    s3 = await bob.sync(since=s2["next_batch"])
    check(room not in s3["rooms"]["leave"], "the leave is reported twice")
    await bob.ok("POST", f"/rooms/{q(room)}/forget", {})
    s4 = await bob.sync(filter={"room": {"include_leave": True}})
    check(room not in s4["rooms"]["leave"] and room not in s4["rooms"]["join"],
          f"forgotten room still synced: {s4['rooms']}")
    jr = await bob.ok("GET", "/joined_rooms")
    check(room not in jr["joined_rooms"], "forgotten room in joined_rooms")
    # Once forgotten, its history is closed to him (as Synapse).
    expect_error(await bob.messages(room), 403, "M_FORBIDDEN")
    expect_error(await bob.req("GET", f"/rooms/{q(room)}/state"), 403, "M_FORBIDDEN")
    # Forgetting a room one is still in is refused.
    expect_error(await alice.req("POST", f"/rooms/{q(room)}/forget", {}), 400, "M_UNKNOWN")


async def test_history_visibility_for_late_joiner(srv):
    alice = await new_user(srv, "alice")
    expected = {
        "joined": ["after join"],
        "invited": ["after invite", "after join"],
        "shared": ["before invite", "after invite", "after join"],
        "world_readable": ["before invite", "after invite", "after join"],
    }
    for hv, want in expected.items():
        bob = await new_user(srv, "bob")
        room = await alice.create_room(preset="public_chat")
        check((await alice.state(room, "m.room.history_visibility",
                                 {"history_visibility": hv})).status == 200, "set hv")
        await alice.send(room, "before invite")
        await alice.invite(room, bob.user_id)
        await alice.send(room, "after invite")
        await bob.join(room)
        await alice.send(room, "after join")
        r = await bob.messages(room, limit=50)
        check(r.status == 200, f"{hv}: {r!r}")
        got = list(reversed(bodies(r.json["chunk"])))
        check(got == want, f"history_visibility {hv}: bob sees {got}, expected {want}")
        s = await bob.sync(filter={"room": {"timeline": {"limit": 50}}})
        got = bodies(timeline(s, room))
        check(got == want, f"history_visibility {hv}: bob's /sync shows {got}")
        if hv == "world_readable":
            eve = await new_user(srv, "eve")
            r = await eve.messages(room, limit=50)
            check(r.status == 200 and len(bodies(r.json["chunk"])) == 3,
                  f"world_readable for a non-member: {r!r}")


async def test_display_names_in_member_events(srv):
    alice = await srv.nio_user("alice")
    expect_nio(await alice.set_displayname("Alice A."), nio.ProfileSetDisplayNameResponse)
    room = expect_nio(await alice.room_create(), nio.RoomCreateResponse).room_id
    r = expect_nio(await alice.sync(timeout=0), nio.SyncResponse)
    check(room in r.rooms.join, "created room missing from nio's sync")
    check(alice.rooms[room].user_name(alice.user) == "Alice A.",
          f"nio room model has {alice.rooms[room].user_name(alice.user)}")


async def test_repeated_join_is_one_event(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    await bob.join(room)  # a second click: Synapse answers with the existing join
    await bob.ok("POST", f"/join/{q(room)}", {})
    r = await alice.messages(room, limit=50)
    joins = [e for e in r.json["chunk"] if e["type"] == "m.room.member" and
             e["state_key"] == bob.user_id]
    check(len(joins) == 1, f"{len(joins)} join events for three joins")
    # A join with a changed profile is a new event.
    await bob.ok("PUT", f"/profile/{q(bob.user_id)}/displayname", {"displayname": "Bob B."})
    m = await alice.ok("GET", f"/rooms/{q(room)}/state/m.room.member/{q(bob.user_id)}")
    await bob.join(room)
    m2 = await alice.ok("GET", f"/rooms/{q(room)}/state/m.room.member/{q(bob.user_id)}")
    check(m2.get("displayname") == "Bob B." or m.get("displayname") == "Bob B.",
          f"profile change not in the member event: {m2}")


async def test_history_visibility_change_event_is_seen(srv):
    """Opening a room's history: the m.room.history_visibility change itself is
    visible to whoever may see the new setting (the more open of old and new),
    what came before it stays hidden."""
    alice = await new_user(srv, "alice")
    eve = await new_user(srv, "eve")
    room = await alice.create_room(preset="public_chat")
    check((await alice.state(room, "m.room.history_visibility",
                             {"history_visibility": "joined"})).status == 200, "joined")
    await alice.send(room, "members only")
    r = await alice.state(room, "m.room.history_visibility", {"history_visibility": "world_readable"})
    check(r.status == 200, "world_readable")
    await alice.send(room, "for everyone")
    r = await eve.messages(room, limit=50)
    check(r.status == 200, f"world_readable room: {r!r}")
    got = [(e["type"], e["content"].get("body") or e["content"].get("history_visibility"))
           for e in reversed(r.json["chunk"])]
    check(got == [("m.room.history_visibility", "world_readable"),
                  ("m.room.message", "for everyone")], f"eve sees {got}")
