"""Unread counts right after a burst of sends: /sync does not wait for the
push worker (which evaluates the rules after each event is stored), yet the
counts in the response cover every event up to its next_batch — the events
the worker has not reached are evaluated for the syncing user on the spot
(spec: client-server "Receiving notifications"). Counts stay right in later
incremental syncs (kept per user and room) and after a read receipt; a
mention highlights and thread replies count in their thread (MSC3773)."""

import asyncio

from common import check
from rooms_util import new_user, q, room_with, send_many

SERVER = {"registration": "open"}

THREADS = {"room": {"timeline": {"unread_thread_notifications": True}}}
N_PLAIN = 120


def counts(body, room):
    r = body["rooms"]["join"].get(room)
    if r is None:
        return None
    main = (r["unread_notifications"]["notification_count"],
            r["unread_notifications"]["highlight_count"])
    per = {k: (v["notification_count"], v["highlight_count"])
           for k, v in r.get("unread_thread_notifications", {}).items()}
    return main, per


async def test_counts_cover_a_burst_at_once(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [bob, carol])
    since = (await bob.sync(filter=THREADS))["next_batch"]
    root = await alice.send(room, "thread root")
    rel = {"rel_type": "m.thread", "event_id": root}

    async def thread_reply(i):
        await alice.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/ub{i}",
                       {"msgtype": "m.text", "body": f"reply {i}", "m.relates_to": rel})

    async def mention():
        await alice.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/ubm",
                       {"msgtype": "m.text", "body": "look",
                        "m.mentions": {"user_ids": [bob.user_id]}})

    await asyncio.gather(send_many(alice, room, [f"burst {i}" for i in range(N_PLAIN)]),
                         thread_reply(1), thread_reply(2), thread_reply(3), mention())
    # at once: the worker is usually still behind here
    b = await bob.sync(since=since, filter=THREADS)
    main = N_PLAIN + 2  # the plain messages, the root and the mention
    check(counts(b, room) == ((main, 1), {root: (3, 0)}), f"bob after the burst: {counts(b, room)}")
    c = await carol.sync()
    check(counts(c, room)[0] == (main + 3, 0), f"carol (threads added up): {counts(c, room)}")
    # later syncs add to what was counted, once
    await alice.send(room, "one more")
    b2 = await bob.sync(since=b["next_batch"], filter=THREADS)
    check(counts(b2, room) == ((main + 1, 1), {root: (3, 0)}), f"one more: {counts(b2, room)}")
    # an unthreaded receipt on the newest event clears everything before it
    last = await alice.send(room, "the newest")
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(last)}", {})
    b3 = await bob.sync(since=b2["next_batch"], filter=THREADS)
    check(counts(b3, room) == ((0, 0), {}), f"after the receipt: {counts(b3, room)}")
    await send_many(alice, room, [f"after {i}" for i in range(5)])
    b4 = await bob.sync(since=b3["next_batch"], filter=THREADS)
    check(counts(b4, room) == ((5, 0), {}), f"after the receipt and 5 more: {counts(b4, room)}")
