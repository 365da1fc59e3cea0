"""test_unread_mixed.py: unread counts while a room gets messages (answered by
the database writer after the commit) and member events (display-name changes,
answered by the request thread after the same kind of commit) at once: every
/sync response's count is the number of notifying messages in the room up to
its next_batch (spec: client-server "Receiving notifications")."""

import asyncio

from common import check
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}

N_MESSAGES = 300
FLT = {"room": {"timeline": {"limit": 1000}}}


async def test_counts_exact_with_member_events_between_messages(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [bob, carol])
    since = (await bob.sync(filter=FLT))["next_batch"]
    done = asyncio.Event()
    it = iter(range(N_MESSAGES))

    async def sender():
        for i in it:
            await alice.send(room, f"m{i}", txn=f"mx{i}")

    async def renamer():
        i = 0
        while not done.is_set():
            i += 1
            await carol.ok("PUT", f"/profile/{q(carol.user_id)}/displayname",
                           {"displayname": f"carol {i}"})

    seen = 0
    wrong = []

    async def syncer():
        nonlocal since, seen
        while True:
            finished = done.is_set()
            b = await bob.sync(since=since, filter=FLT, timeout=0 if finished else 5000)
            since = b["next_batch"]
            r = b["rooms"]["join"].get(room)
            if r:
                check(not r["timeline"].get("limited"), "timeline limited")
                seen += sum(1 for e in r["timeline"]["events"]
                            if e["type"] == "m.room.message" and e["sender"] == alice.user_id)
                got = r["unread_notifications"]["notification_count"]
                if got != seen:
                    wrong.append((got, seen))
            if finished:
                return

    async def senders():
        await asyncio.gather(*(sender() for _ in range(16)))
        await asyncio.sleep(1.5)
        done.set()

    await asyncio.gather(senders(), renamer(), renamer(), syncer())
    check(seen == N_MESSAGES, f"bob saw {seen} messages")
    check(not wrong, f"{len(wrong)} responses with a wrong count (count, messages): {wrong[:5]}")
