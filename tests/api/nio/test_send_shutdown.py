"""test_send_shutdown.py: message sends answered by the database writer after
the commit (the request waits deferred, its connection suspended) when the
client goes away first, and when the server is stopped with SIGTERM while
sends are in flight: the server keeps serving, stops cleanly, and every
event ID a client was answered with is there after the restart."""

import asyncio
import json
import signal
import socket

import aiohttp

from common import check
from rooms_util import new_user, q

SERVER = {"registration": "open", "admin": False}


def _send_and_hang_up(port, token, room, txn, how):
    """Writes a whole PUT /send request and closes the socket at once (how:
    'close', or 'reset' with SO_LINGER 0), before the writer can answer."""
    body = json.dumps({"msgtype": "m.text", "body": f"gone {txn}"}).encode()
    head = (f"PUT /_matrix/client/v3/rooms/{q(room)}/send/m.room.message/{q(txn)} HTTP/1.1\r\n"
            f"Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        if how == "reset":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sendall(head + body)
    finally:
        s.close()


async def test_client_gone_before_the_writer_answers(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room(preset="private_chat")
    jobs = [asyncio.to_thread(_send_and_hang_up, srv.port, alice.token, room, f"gone{i}",
                              "reset" if i % 2 else "close") for i in range(60)]
    # Ordinary sends interleaved with the abandoned ones, on the same room.
    sends = [alice.send_raw(room, f"kept{i}", txn=f"kept{i}") for i in range(20)]
    res = await asyncio.gather(*jobs, *sends)
    kept = [r for r in res[60:]]
    check(all(r.status == 200 for r in kept), f"sends beside abandoned ones: {kept[:3]}")
    check(srv.alive(), "the server died")
    # An abandoned send that was stored answers its retry with its event ID, once.
    await asyncio.sleep(0.3)
    r = await alice.messages(room, "b", limit=200)
    stored = {e["content"]["body"]: e["event_id"] for e in r.json["chunk"]
              if e["type"] == "m.room.message"}
    retry_ids = []
    for i in range(60):
        rr = await alice.send_raw(room, f"gone gone{i}", txn=f"gone{i}")
        check(rr.status == 200, f"retry of an abandoned send: {rr!r}")
        want = stored.get(f"gone gone{i}")
        check(want is None or rr.json["event_id"] == want,
              f"retry gone{i} answered {rr.json['event_id']}, stored {want}")
        retry_ids.append(rr.json["event_id"])
    r = await alice.messages(room, "b", limit=300)
    bodies = [e["content"].get("body") for e in r.json["chunk"] if e["type"] == "m.room.message"]
    for i in range(60):
        check(bodies.count(f"gone gone{i}") == 1, f"gone{i} stored {bodies.count(f'gone gone{i}')}x")
    check(all(bodies.count(f"kept{i}") == 1 for i in range(20)), "a kept send is missing")


async def test_sigterm_with_sends_in_flight(srv):
    alice = await new_user(srv, "alice")
    rooms = [await alice.create_room(preset="private_chat") for _ in range(3)]
    acked = {}  # txn -> (room, event_id)
    refused = []
    stop_after = 60
    enough = asyncio.Event()
    counter = iter(range(400))

    async def sender(k):
        room = rooms[k % len(rooms)]
        for i in counter:
            txn = f"term{i}"
            try:
                r = await alice.send_raw(room, f"m{i}", txn=txn)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                return  # the server went away under this request
            if r.status != 200:
                refused.append(r.status)
                return
            acked[txn] = (room, r.json["event_id"])
            if len(acked) >= stop_after:
                enough.set()

    senders = [asyncio.create_task(sender(k)) for k in range(12)]
    await asyncio.wait_for(enough.wait(), 20)
    srv.proc.send_signal(signal.SIGTERM)
    rc = await asyncio.wait_for(srv.proc.wait(), 30)
    await asyncio.gather(*senders, return_exceptions=True)
    check(rc == 0, f"exit status {rc} after SIGTERM with sends in flight: {srv.log_tail(8)}")
    check(all(s in (503,) for s in refused), f"sends refused with {refused[:5]}")
    await srv.http.close()
    await srv._serve()
    missing = []
    for txn, (room, eid) in acked.items():
        r = await alice.req("GET", f"/rooms/{q(room)}/event/{q(eid)}")
        if r.status != 200 or r.json.get("event_id") != eid:
            missing.append((txn, eid, r.status))
    check(not missing, f"{len(missing)} of {len(acked)} acknowledged events lost: {missing[:3]}")
    for room in rooms:
        await alice.send(room, "after the restart")


async def test_raced_redaction_retries_answer_one_event(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room(preset="private_chat")
    target = await alice.send(room, "to be redacted")
    path = f"/rooms/{q(room)}/redact/{q(target)}/red-1"
    rs = await asyncio.gather(*(alice.req("PUT", path, {"reason": "oops"}) for _ in range(6)))
    ids = {r.json.get("event_id") for r in rs if r.status == 200}
    check(all(r.status == 200 for r in rs) and len(ids) == 1, f"raced redaction retries: {rs}")
    r = await alice.req("PUT", path, {"reason": "oops"})
    check(r.status == 200 and r.json["event_id"] in ids, f"later retry: {r!r}")
    r = await alice.messages(room, "b", limit=50)
    reds = [e for e in r.json["chunk"] if e["type"] == "m.room.redaction"]
    check(len(reds) == 1 and reds[0]["event_id"] in ids, f"redactions stored: {reds}")
    # State sends have no transaction ID: each PUT is answered with its own event.
    rs = await asyncio.gather(*(alice.state(room, "m.room.topic", {"topic": f"t{i}"})
                                for i in range(6)))
    check(all(r.status == 200 for r in rs), f"state sends: {rs}")
    check(len({r.json["event_id"] for r in rs}) == 6, "two state sends answered one event")


async def test_sigterm_under_64_senders(srv):
    """64 clients keep sending on keep-alive connections while SIGTERM stops
    the server: requests that begin while it stops must not leave a
    connection suspended under libmicrohttpd's stop (it aborts the process:
    'MHD_stop_daemon() called while we have suspended connections')."""
    alice = await new_user(srv, "alice")
    room = await alice.create_room(preset="private_chat")
    acked = {}
    for run in range(1):
        conns = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=conns) as http:
            url = f"{srv.base}/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/"
            hdr = {"Authorization": f"Bearer {alice.token}"}

            async def send(i):
                txn = f"r{run}-{i}"
                try:
                    async with http.put(url + txn, json={"msgtype": "m.text", "body": txn},
                                        headers=hdr) as r:
                        if r.status == 200:
                            acked[txn] = (await r.json())["event_id"]
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
                    pass

            async def sender(k):
                i = 0
                end = asyncio.get_running_loop().time() + 8
                while srv.proc.returncode is None and asyncio.get_running_loop().time() < end:
                    i += 1
                    await send(f"{k}-{i}")

            senders = [asyncio.create_task(sender(k)) for k in range(64)]
            await asyncio.sleep(0.5)
            srv.proc.send_signal(signal.SIGTERM)
            await asyncio.gather(*senders)
            rc = await asyncio.wait_for(srv.proc.wait(), 30)
        check(rc == 0, f"run {run}: exit status {rc} after SIGTERM: {srv.log_tail(3)}")
        await srv.http.close()
        await srv._serve()
    missing = []
    for txn, eid in list(acked.items())[-300:]:  # the last answered, sent as the server stopped
        r = await alice.req("GET", f"/rooms/{q(room)}/event/{q(eid)}")
        if r.status != 200:
            missing.append((txn, eid, r.status))
    check(not missing, f"{len(missing)} of {len(acked)} acknowledged events lost: {missing[:3]}")
