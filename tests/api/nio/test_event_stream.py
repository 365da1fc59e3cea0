"""test_event_stream.py: GET /events without room_id, the deprecated global
event stream (spec: getEvents, deprecated in r0; Synapse still serves it,
and old clients and guests poll it): the new events of every room the user
is in, oldest first, each once, long-polled, in pages of at most 100, plus
the user's own invites and leaves; nothing from rooms they are not in."""

import asyncio
import time

from common import check
from rooms_util import room_with, new_user, send_many


SERVER = {"registration": "open", "admin": False}


async def stream(user, frm=None, timeout=0):
    query = {"timeout": str(timeout)}
    if frm is not None:
        query["from"] = frm
    r = await user.req("GET", "/events", query=query)
    check(r.status == 200, f"/events: {r!r}")
    check(isinstance(r.json.get("start"), str) and isinstance(r.json.get("end"), str) and
          isinstance(r.json.get("chunk"), list), f"shape {r.json}")
    return r.json


def seen(chunk):
    return [(e["room_id"], e["type"], e["content"].get("body", e["content"].get("membership")))
            for e in chunk]


async def test_global_stream_follows_every_room(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    shared = await room_with(alice, [bob], preset="private_chat")
    own = await alice.create_room(preset="private_chat")
    elsewhere = await bob.create_room(preset="private_chat")
    first = await stream(alice)  # no from: starts now, nothing yet
    check(first["chunk"] == [], f"first poll {first}")
    # a long-poll wakes for a message in any of her rooms
    waiting = asyncio.create_task(stream(alice, first["end"], timeout=10000))
    await asyncio.sleep(0.2)
    check(not waiting.done(), "the long-poll returned before anything happened")
    t0 = time.monotonic()
    await bob.send(shared, "hello alice")
    got = await asyncio.wait_for(waiting, 5)
    check(time.monotonic() - t0 < 2.0, "woke late")
    check(seen(got["chunk"]) == [(shared, "m.room.message", "hello alice")], f"{got}")
    # interleaved rooms come oldest first; bob's room without alice never shows
    await alice.send(own, "note to self")
    await bob.send(elsewhere, "alice is not here")
    await bob.send(shared, "second")
    nxt = await stream(alice, got["end"])
    check(seen(nxt["chunk"]) == [(own, "m.room.message", "note to self"),
                                 (shared, "m.room.message", "second")], f"{nxt}")
    check((await stream(alice, nxt["end"]))["chunk"] == [], "repeated events")
    # an invite reaches her as its member event; her leave ends the room's events
    await bob.invite(elsewhere, alice.user_id)
    inv = await stream(alice, nxt["end"])
    check(seen(inv["chunk"]) == [(elsewhere, "m.room.member", "invite")] and
          inv["chunk"][0]["state_key"] == alice.user_id, f"invite {inv}")
    await alice.ok("POST", f"/rooms/{shared}/leave", {})
    await bob.send(shared, "after she left")
    left = await stream(alice, inv["end"])
    check(seen(left["chunk"]) == [(shared, "m.room.member", "leave")], f"leave {left}")
    check((await stream(alice, left["end"]))["chunk"] == [], "events after the leave")


async def test_global_stream_pages(srv):
    alice = await new_user(srv, "alice")
    rooms = [await alice.create_room(preset="private_chat") for _ in range(3)]
    start = (await stream(alice))["end"]
    for i, room in enumerate(rooms):
        await send_many(alice, room, [f"r{i} m{k:03d}" for k in range(50)], concurrency=1)
    got, frm = [], start
    for _ in range(5):
        page = await stream(alice, frm)
        check(len(page["chunk"]) <= 100, f"page of {len(page['chunk'])}")
        got += [e["content"]["body"] for e in page["chunk"]]
        frm = page["end"]
        if not page["chunk"]:
            break
    want = {f"r{i} m{k:03d}" for i in range(3) for k in range(50)}
    check(len(got) == 150 and set(got) == want, f"{len(got)} events, {len(set(got))} distinct")
    for i in range(3):
        mine = [b for b in got if b.startswith(f"r{i} ")]
        check(mine == sorted(mine), f"room {i} out of order")


async def test_global_stream_bad_from(srv):
    alice = await new_user(srv, "alice")
    r = await alice.req("GET", "/events", query={"from": "nonsense", "timeout": "0"})
    check(r.status == 400 and r.json.get("errcode") == "M_INVALID_PARAM", f"{r!r}")


async def test_global_stream_long_stretch_in_order(srv):
    """A stale `from` (more than 500 positions back, or t0) is read room by
    room instead of through every event since it (which cost 0.5 s of CPU per
    request on a server of a million events, whoever asked): the pages still
    hold every event once, at most 100 each, in stream order across rooms."""
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    rooms = [await alice.create_room(preset="private_chat") for _ in range(4)]
    start = (await stream(alice))["end"]
    sent = []
    for k in range(140):
        for i, room in enumerate(rooms):
            body = f"r{i} m{k:03d}"
            await alice.send(room, body)
            sent.append(body)
    bob_room = await bob.create_room(preset="private_chat")
    await bob.send(bob_room, "not for alice")
    for frm in (start, "t0"):
        got, pos = [], frm
        for _ in range(12):
            page = await stream(alice, pos)
            check(len(page["chunk"]) <= 100, f"page of {len(page['chunk'])}")
            got += [e["content"].get("body") for e in page["chunk"]
                    if e["type"] == "m.room.message"]
            check(all(e["room_id"] in rooms for e in page["chunk"]), f"foreign event {page}")
            pos = page["end"]
            if not page["chunk"]:
                break
        check(got == sent, f"from {frm}: {len(got)} messages, first differences "
                           f"{[(a, b) for a, b in zip(got, sent) if a != b][:3]}")
    everything = await stream(bob, "t0")
    check(all(e["room_id"] == bob_room for e in everything["chunk"]), f"bob sees {everything}")


async def test_global_stream_kicked_then_invited_again(srv):
    """A member kicked and invited again within one stretch still gets what
    they saw before the kick, and the kick, then the new invite (the stream
    used to answer only the invite: the room's current membership alone
    decided); a stranger's stream in that stretch holds nothing of the room."""
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [bob], preset="private_chat")
    start = (await stream(bob))["end"]
    await alice.send(room, "before the kick")
    await alice.ok("POST", f"/rooms/{room}/kick", {"user_id": bob.user_id, "reason": "out"})
    await alice.send(room, "while bob is out")
    await alice.invite(room, bob.user_id)
    got = await stream(bob, start)
    check(seen(got["chunk"]) == [(room, "m.room.message", "before the kick"),
                                 (room, "m.room.member", "leave"),
                                 (room, "m.room.member", "invite")], f"{seen(got['chunk'])}")
    check((await stream(bob, got["end"]))["chunk"] == [], "repeated events")
    check((await stream(carol, start))["chunk"] == [], "carol sees the room")
