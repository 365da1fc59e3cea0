"""test_rooms_crash.py: durability. A client sends 300 messages as fast as it
can while the server is killed with SIGKILL part-way; the server restarts on
the same data folder, and every event ID the client was answered with is
there, retried transactions still answer the same IDs, and the room still
takes messages."""

import asyncio

import aiohttp

from common import check
from rooms_util import new_user, q

SERVER = {"registration": "open", "admin": False}




async def test_kill_9_while_sending_keeps_acknowledged_events(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room(preset="private_chat")
    acked = {}  # txn -> event_id
    kill_after = 120
    enough = asyncio.Event()
    counter = iter(range(300))

    async def sender():
        for i in counter:
            txn = f"crash{i}"
            try:
                r = await alice.send_raw(room, f"m{i}", txn=txn)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                return  # the server went away under this request
            if r.status != 200:
                return
            acked[txn] = r.json["event_id"]
            if len(acked) >= kill_after:
                enough.set()

    senders = [asyncio.create_task(sender()) for _ in range(6)]
    await asyncio.wait_for(enough.wait(), 20)
    await srv.kill_and_restart()
    await asyncio.gather(*senders, return_exceptions=True)
    n_acked = len(acked)
    check(kill_after <= n_acked < 300, f"{n_acked} sends acknowledged before the kill")
    missing = []
    for txn, eid in acked.items():
        r = await alice.req("GET", f"/rooms/{q(room)}/event/{q(eid)}")
        if r.status != 200 or r.json.get("event_id") != eid:
            missing.append((txn, eid, r.status))
    check(not missing, f"{len(missing)} of {n_acked} acknowledged events lost: {missing[:3]}")
    # A retried transaction answers the ID it was given before the crash.
    txn, eid = next(iter(acked.items()))
    r = await alice.send_raw(room, "retry", txn=txn)
    check(r.status == 200 and r.json["event_id"] == eid, f"retry after restart: {r!r}")
    # The room takes messages again, and they page after the old ones.
    new_id = await alice.send(room, "after the crash")
    r = await alice.messages(room, "b", limit=1000)
    ids = [e["event_id"] for e in r.json["chunk"]]
    check(ids[0] == new_id, f"newest event is not the post-crash message: {r.json['chunk'][0]}")
    check(set(acked.values()) <= set(ids), "acknowledged events missing from /messages")
    check(len(ids) == len(set(ids)), "duplicate events after restart")
    s = await alice.sync(filter={"room": {"timeline": {"limit": 3}}})
    tl = s["rooms"]["join"][room]["timeline"]["events"]
    check(tl[-1]["event_id"] == new_id, f"/sync after restart ends with {tl[-1]}")
