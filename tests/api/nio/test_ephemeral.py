"""Typing notifications, read receipts and read markers as the other user
sees them in /sync (spec: client-server "Typing Notifications", "Receipts",
"Read and unread markers"), and every error these endpoints answer."""

import asyncio
import time

from nio import responses as R

from common import check, expect_error, expect_nio, joined_room
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}


def ephemeral(body, room, kind):
    r = body["rooms"]["join"].get(room)
    return [e for e in (r["ephemeral"]["events"] if r else []) if e["type"] == kind]


async def test_other_user_sees_typing_start_and_stop(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob])
    expect_nio(await bob.sync(timeout=0), R.SyncResponse)
    check(bob.rooms[room].typing_users == set() or not bob.rooms[room].typing_users,
          f"nobody types yet: {bob.rooms[room].typing_users}")
    # bob waits in a long-poll; alice starts typing and wakes it
    waiting = asyncio.ensure_future(bob.sync(timeout=10000))
    await asyncio.sleep(0.3)
    t0 = time.monotonic()
    expect_nio(await alice.room_typing(room, True, timeout=30000), R.RoomTypingResponse)
    expect_nio(await waiting, R.SyncResponse)
    check(time.monotonic() - t0 < 5, "the long-poll woke at once")
    check(alice.user in bob.rooms[room].typing_users, f"typing {bob.rooms[room].typing_users}")
    expect_nio(await alice.room_typing(room, False), R.RoomTypingResponse)
    expect_nio(await bob.sync(timeout=5000), R.SyncResponse)
    check(alice.user not in bob.rooms[room].typing_users,
          f"stopped: {bob.rooms[room].typing_users}")


async def test_typing_times_out(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    since = (await bob.sync())["next_batch"]
    await alice.ok("PUT", f"/rooms/{q(room)}/typing/{q(alice.user_id)}",
                   {"typing": True, "timeout": 500})
    b = await bob.sync(since=since, timeout=5000)
    check(ephemeral(b, room, "m.typing")[0]["content"]["user_ids"] == [alice.user_id], f"{b}")
    t0 = time.monotonic()
    b = await bob.sync(since=b["next_batch"], timeout=5000)
    check(ephemeral(b, room, "m.typing")[0]["content"]["user_ids"] == [], f"expired: {b}")
    check(time.monotonic() - t0 < 3, "the timeout woke bob's long-poll")


async def test_typing_errors(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await alice.create_room()
    path = f"/rooms/{q(room)}/typing/{q(alice.user_id)}"
    expect_error(await alice.req("PUT", path, {}), 400, "M_MISSING_PARAM")
    expect_error(await alice.req("PUT", path, {"typing": "yes"}), 400, "M_BAD_JSON")
    expect_error(await alice.req("PUT", path, {"typing": True, "timeout": "x"}), 400,
                 "M_BAD_JSON")
    expect_error(await alice.req("PUT", path, "not json"), 400, "M_NOT_JSON")
    expect_error(await bob.req("PUT", path, {"typing": True}), 403, "M_FORBIDDEN")
    expect_error(await bob.req("PUT", f"/rooms/{q(room)}/typing/{q(bob.user_id)}",
                               {"typing": True}), 403, "M_FORBIDDEN")
    r = await srv.req("PUT", "/_matrix/client/v3" + path, {"typing": True})
    expect_error(r, 401, "M_MISSING_TOKEN")


async def test_receipts_public_private_and_threaded(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    ev1 = await alice.send(room, "one")
    ev2 = await alice.send(room, "two")
    a_since = (await alice.sync())["next_batch"]
    b_since = (await bob.sync())["next_batch"]
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(ev1)}", {})
    a = await alice.sync(since=a_since, timeout=5000)
    rec = ephemeral(a, room, "m.receipt")
    check(rec and bob.user_id in rec[0]["content"][ev1]["m.read"], f"alice sees it: {a}")
    check(rec[0]["content"][ev1]["m.read"][bob.user_id]["ts"] > 0, "ts")
    # a private receipt: only bob sees it
    a_since = a["next_batch"]
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read.private/{q(ev2)}", {})
    b = await bob.sync(since=b_since, timeout=5000)
    rec = ephemeral(b, room, "m.receipt")
    check(rec and bob.user_id in rec[-1]["content"][ev2]["m.read.private"], f"bob: {b}")
    a = await alice.sync(since=a_since, timeout=500)
    check(not ephemeral(a, room, "m.receipt"), f"alice must not see it: {a}")
    # the initial sync of alice shows bob's public receipt only
    a0 = await alice.sync()
    content = ephemeral(a0, room, "m.receipt")[0]["content"]
    check(ev1 in content and ev2 not in content, f"initial: {content}")
    # threaded
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(ev2)}", {"thread_id": "main"})
    a = await alice.sync(since=a["next_batch"], timeout=5000)
    info = ephemeral(a, room, "m.receipt")[0]["content"][ev2]["m.read"][bob.user_id]
    check(info.get("thread_id") == "main", f"thread: {info}")


async def test_read_markers_and_fully_read(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    ev = await alice.send(room, "hello")
    since = (await alice.sync())["next_batch"]
    await bob.ok("POST", f"/rooms/{q(room)}/read_markers",
                 {"m.fully_read": ev, "m.read": ev})
    got = await bob.ok("GET", f"/user/{q(bob.user_id)}/rooms/{q(room)}/account_data/m.fully_read")
    check(got == {"event_id": ev}, f"{got}")
    a = await alice.sync(since=since, timeout=5000)
    check(bob.user_id in ephemeral(a, room, "m.receipt")[0]["content"][ev]["m.read"], f"{a}")
    b = await bob.sync()
    ad = b["rooms"]["join"][room]["account_data"]["events"]
    check({"type": "m.fully_read", "content": {"event_id": ev}} in ad, f"{ad}")


async def test_receipt_errors(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await alice.create_room()
    other = await alice.create_room()
    ev = await alice.send(room, "x")
    ev_other = await alice.send(other, "y")
    base = f"/rooms/{q(room)}/receipt"
    expect_error(await alice.req("POST", f"{base}/m.unknown/{q(ev)}", {}), 400,
                 "M_INVALID_PARAM")
    expect_error(await alice.req("POST", f"{base}/m.read/{q(ev)}", {"thread_id": 5}), 400,
                 "M_INVALID_PARAM")
    expect_error(await alice.req("POST", f"{base}/m.read/{q(ev)}", {"thread_id": ""}), 400,
                 "M_INVALID_PARAM")
    expect_error(await alice.req("POST", f"{base}/m.fully_read/{q(ev)}", {"thread_id": "main"}),
                 400, "M_INVALID_PARAM")
    expect_error(await alice.req("POST", f"{base}/m.read/{q(ev_other)}", {}), 404, "M_NOT_FOUND")
    expect_error(await alice.req("POST", f"{base}/m.read/%24nope", {}), 404, "M_NOT_FOUND")
    expect_error(await bob.req("POST", f"{base}/m.read/{q(ev)}", {}), 403, "M_FORBIDDEN")
    rm = f"/rooms/{q(room)}/read_markers"
    expect_error(await alice.req("POST", rm, {"m.fully_read": 3}), 400, "M_BAD_JSON")
    expect_error(await alice.req("POST", rm, {"m.read": "$nope"}), 404, "M_NOT_FOUND")
    expect_error(await bob.req("POST", rm, {"m.read": ev}), 403, "M_FORBIDDEN")
    # without a body the receipt is accepted (the body is optional)
    r = await alice.req("POST", f"{base}/m.read/{q(ev)}")
    check(r.status == 200, f"no body: {r!r}")
