"""test_send_stress.py: the send path checked from the outside, as a federating
server would. 16 senders (4 users x 2 devices x 2 tasks) send at once into a
room version 10 and a version 11 room: messages with unicode, escapes, big
integers and nested objects (some near the 65,536-byte PDU limit), custom
state, redactions, edits, reactions, and transaction retries (twice at once,
and again after a kill -9 mid-stream). Then every event of both rooms, read
back as PDUs (/messages with event_format federation), must have the spec's
reference-hash event ID, content hash, the redaction of its room version when
redacted, an ed25519 signature by the key of GET /_matrix/key/v2/server,
depth above each prev_event, prev_events inside the room forming a DAG with
one forward extremity, and auth_events {create, power levels, sender's
member}; the room holds exactly the acknowledged events; every device's
/sync saw each event once, each sender's events in the order sent."""

import asyncio
import json
import random

import aiohttp
import olm

from common import check
from pdu_util import canonical, content_hash, redact, reference_id
from rooms_util import login_again, new_user, q, room_with

SERVER = {"registration": "open", "admin": False}

SENDERS_PER_DEVICE = 2
SENDS_PER_TASK = 40
KILL_AFTER = 250

def nested(depth, leaf):
    obj = leaf
    for i in range(depth):
        obj = {f"k{i}": obj, "l": [i, -i, {"x": None}, True, "é\"\\"]}
    return obj


TRICKY = ["plain", "unicode ✓ ünïcödé 日本語 🎉 \U0001F9EA", "escapes \" \\ / \b\f\n\r\t \u0001 \u001f",
          "zero\u200b width\u200d joiner \u00ad\ufeff", "\u2028line\u2029sep", "<b>html & amp</b>"]


def message_content(rng, tag):
    kind = rng.randrange(6)
    c = {"msgtype": "m.text", "body": f"{tag} {rng.choice(TRICKY)}"}
    if kind == 1:
        c["big"] = {"max": 2**53 - 1, "min": -(2**53 - 1), "zero": 0, "neg": -1}
    elif kind == 2:
        c["deep"] = nested(16, {"end": [2**53 - 1, "ß"]})
    elif kind == 3:
        # near the PDU size limit: ~60 KB of multi-byte text
        c["body"] = f"{tag} " + "é日" * 12000
    elif kind == 4:
        c["format"] = "org.matrix.custom.html"
        c["formatted_body"] = "<p>" + rng.choice(TRICKY) + "</p>"
    return c


async def put_retrying(user, path, body, deadline, attempts):
    """PUT until a 200 answer, across the server's kill -9 and restart; the
    same path (same txn ID) every time. Returns the answer's JSON."""
    while True:
        attempts[0] += 1
        try:
            r = await user.req("PUT", path, body)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, RuntimeError, AttributeError):
            r = None
        if r is not None and r.status == 200:
            return r.json
        if r is not None and r.status not in (502, 503):
            check(False, f"{user.user_id} PUT {path}: {r!r}")
        check(asyncio.get_running_loop().time() < deadline, f"PUT {path} kept failing")
        await asyncio.sleep(0.05)


async def test_many_senders_pdus_verify_after_kill_9(srv):
    rng = random.Random(4242)
    users = [await new_user(srv, n) for n in ("alice", "bob", "carol", "dave")]
    alice = users[0]
    pl = {"state_default": 0, "events_default": 0}
    rooms = {}
    rooms["10"] = await room_with(alice, users[1:], power_level_content_override=pl)
    rooms["11"] = await room_with(alice, users[1:], room_version="11",
                                  power_level_content_override=pl)
    devices = []
    for u in users:
        devices += [u, await login_again(srv, u)]

    # Limits answered as the spec says, before the stress.
    r0 = rooms["10"]
    r = await alice.req("PUT", f"/rooms/{q(r0)}/send/m.room.message/big1",
                        {"msgtype": "m.text", "body": "x", "n": 2**53})
    check(r.status == 400 and r.errcode() == "M_BAD_JSON", f"2**53 in content: {r!r}")
    r = await alice.req("PUT", f"/rooms/{q(r0)}/send/m.room.message/float1",
                        {"msgtype": "m.text", "body": "x", "f": 1.5})
    check(r.status == 400 and r.errcode() == "M_BAD_JSON", f"float in content: {r!r}")
    r = await alice.req("PUT", f"/rooms/{q(r0)}/send/m.room.message/huge1",
                        {"msgtype": "m.text", "body": "y" * 70000})
    check(r.status == 413 and r.errcode() == "M_TOO_LARGE", f"70 KB event: {r!r}")

    # State as it stands before the stress: auth_events of every later event.
    setup_ids = {}
    auth_of = {}
    for v, room in rooms.items():
        st = await alice.ok("GET", f"/rooms/{q(room)}/state")
        by_key = {(e["type"], e.get("state_key")): e["event_id"] for e in st}
        auth_of[room] = {u.user_id: {by_key[("m.room.create", "")],
                                     by_key[("m.room.power_levels", "")],
                                     by_key[("m.room.member", u.user_id)]} for u in users}
        m = await alice.ok("GET", f"/rooms/{q(room)}/messages", query={"dir": "b", "limit": "100"})
        setup_ids[room] = {e["event_id"] for e in m["chunk"]}

    # Every device long-polls /sync while the senders run.
    sync_flt = json.dumps({"room": {"timeline": {"limit": 1000}}, "presence": {"types": []},
                           "account_data": {"types": []}})
    seen = {id(d): {room: [] for room in rooms.values()} for d in devices}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 25

    async def syncer(d):
        since = None
        while True:
            final = stop.is_set()
            query = {"timeout": "0" if final else "500", "filter": sync_flt}
            if since:
                query["since"] = since
            try:
                r = await d.req("GET", "/sync", query=query)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError, RuntimeError,
                    AttributeError):
                await asyncio.sleep(0.05)
                continue
            if r.status != 200:
                check(r.status in (502, 503) and loop.time() < deadline, f"sync {r!r}")
                await asyncio.sleep(0.05)
                continue
            for room, jr in r.json.get("rooms", {}).get("join", {}).items():
                tl = jr.get("timeline", {})
                check(not tl.get("limited") or since is None, f"limited incremental sync {tl}")
                seen[id(d)][room] += [e["event_id"] for e in tl.get("events", [])]
            since = r.json["next_batch"]
            if final:
                return

    # The senders.
    acked = {room: {} for room in rooms.values()}   # event_id -> (kind, sender, content)
    order = []        # per task: [(room, event_id)] in the order acknowledged
    mine = {room: {} for room in rooms.values()}    # sender -> [message event ids]
    retries_same = []
    attempts = [0]
    n_acked = [0]
    half = asyncio.Event()

    async def sender(d, tno):
        seq = []
        order.append(seq)
        for i in range(SENDS_PER_TASK):
            room = rooms[rng.choice(("10", "11"))]
            tag = f"{d.device_id}-{tno}-{i}"
            txn = f"s{tno}x{i}"
            kind = rng.choices(("msg", "state", "redact", "edit", "react", "dup"),
                               (8, 2, 2, 2, 2, 2))[0]
            own = mine[room].get(d.user_id, [])
            others = [e for e in acked[room] if acked[room][e][0] == "msg"]
            if kind in ("redact", "edit") and not own or kind == "react" and not others:
                kind = "msg"
            if kind == "state":
                content = {"tag": tag, "n": i, "deep": nested(4, "v")}
                path = f"/rooms/{q(room)}/state/org.relais.stress/{q('s-' + d.user_id + str(tno))}"
            elif kind == "redact":
                content = {"reason": f"stress ✂ {tag}"}
                path = f"/rooms/{q(room)}/redact/{q(rng.choice(own))}/{txn}"
            elif kind == "edit":
                target = rng.choice(own)
                content = {"msgtype": "m.text", "body": f"* {tag}",
                           "m.new_content": {"msgtype": "m.text", "body": tag},
                           "m.relates_to": {"rel_type": "m.replace", "event_id": target}}
                path = f"/rooms/{q(room)}/send/m.room.message/{txn}"
            elif kind == "react":
                content = {"m.relates_to": {"rel_type": "m.annotation",
                                            "event_id": rng.choice(others), "key": f"👍{tag}"}}
                path = f"/rooms/{q(room)}/send/m.reaction/{txn}"
            else:
                content = message_content(rng, tag)
                path = f"/rooms/{q(room)}/send/m.room.message/{txn}"
            if kind == "dup":  # the same transaction twice at once
                a, b = await asyncio.gather(put_retrying(d, path, content, deadline, attempts),
                                            put_retrying(d, path, content, deadline, attempts))
                retries_same.append((a["event_id"], b["event_id"], path))
                ans = a
            else:
                ans = await put_retrying(d, path, content, deadline, attempts)
            eid = ans["event_id"]
            if kind in ("msg", "dup"):
                mine[room].setdefault(d.user_id, []).append(eid)
            acked[room][eid] = (kind, d.user_id, content)
            seq.append((room, eid, path, content))
            n_acked[0] += 1
            if n_acked[0] >= KILL_AFTER:
                half.set()

    syncers = [asyncio.create_task(syncer(d)) for d in devices]
    tasks = [asyncio.create_task(sender(d, k * 10 + j)) for k, d in enumerate(devices)
             for j in range(SENDERS_PER_DEVICE)]
    halfway = asyncio.create_task(half.wait())
    done, _ = await asyncio.wait([halfway, *tasks], timeout=20,
                                 return_when=asyncio.FIRST_COMPLETED)
    for t in done:
        if t is not halfway:
            t.result()  # a sender failed: its reason
    check(halfway in done, f"{n_acked[0]} sends in 20 s")
    await srv.kill_and_restart()
    await asyncio.gather(*tasks)
    # One last message per room: its prev_events are then all of the extremities.
    last = {}
    for v, room in rooms.items():
        last[room] = (await alice.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/last{v}",
                                     {"msgtype": "m.text", "body": "last"}))["event_id"]
    stop.set()
    await asyncio.gather(*syncers)

    check(all(a == b for a, b, _ in retries_same), f"a txn sent twice at once: {retries_same}")
    # Retried transactions (also those acknowledged before the kill) answer the same ID.
    for k, d in enumerate(devices):
        for seq in order[k * SENDERS_PER_DEVICE:(k + 1) * SENDERS_PER_DEVICE]:
            for room, eid, path, content in seq[:3]:
                if "/state/" in path:
                    continue
                r = await d.req("PUT", path, content)
                check(r.status == 200 and r.json["event_id"] == eid,
                      f"retry of {path} after the restart: {r!r}, was {eid}")

    # The server's signing key.
    r = await srv.req("GET", "/_matrix/key/v2/server")
    check(r.status == 200, f"server keys {r!r}")
    server_name = r.json["server_name"]
    verify_keys = {k: v["key"] for k, v in r.json["verify_keys"].items()}

    fed = json.dumps({"event_format": "federation"})
    for v, room in rooms.items():
        m = await alice.ok("GET", f"/rooms/{q(room)}/messages",
                           query={"dir": "b", "limit": "1000", "filter": fed})
        check("end" not in m or not m["chunk"] or len(m["chunk"]) < 1000, "room too long")
        pdus = {}
        stream_order = [reference_id(p, v) for p in reversed(m["chunk"])]
        for pdu in m["chunk"]:
            eid = reference_id(pdu, v)
            check(pdu.get("event_id", eid) == eid, f"event_id {pdu.get('event_id')} != {eid}")
            check(eid not in pdus, f"{eid} twice in /messages")
            pdus[eid] = pdu
        expected = setup_ids[room] | set(acked[room]) | {last[room]}
        check(set(pdus) == expected,
              f"room v{v}: extra {sorted(set(pdus) - expected)[:3]}, "
              f"missing {sorted(expected - set(pdus))[:3]}")
        redacted = {p.get("redacts") or p["content"].get("redacts")
                    for p in pdus.values() if p["type"] == "m.room.redaction"}
        referenced = set()
        for eid, pdu in pdus.items():
            # signature over the redacted form
            sigs = pdu.get("signatures", {}).get(server_name, {})
            check(sigs and set(sigs) <= set(verify_keys), f"{eid} signatures {pdu.get('signatures')}")
            signed = redact(pdu, v)
            signed.pop("signatures", None)
            signed.pop("event_id", None)
            for kid, sig in sigs.items():
                try:
                    olm.ed25519_verify(verify_keys[kid], canonical(signed), sig)
                except olm.utility.OlmVerifyError:
                    check(False, f"bad signature on {eid} ({pdu['type']})")
            if eid in redacted:
                check(pdu == {**redact(pdu, v), **({"unsigned": pdu["unsigned"]}
                                                    if "unsigned" in pdu else {})},
                      f"redacted {eid} keeps more than v{v} allows: {pdu}")
            else:
                check(pdu["hashes"]["sha256"] == content_hash(pdu), f"content hash of {eid}")
                if eid in acked[room]:
                    kind, sender, content = acked[room][eid]
                    if kind != "redact":
                        check(pdu["content"] == content, f"content of {eid} changed: "
                              f"{str(pdu['content'])[:200]} vs {str(content)[:200]}")
            check(pdu["room_id"] == room, f"{eid} room {pdu['room_id']}")
            # the DAG
            if pdu["type"] == "m.room.create":
                check(pdu["prev_events"] == [] and pdu["auth_events"] == [], f"create {pdu}")
                continue
            check(pdu["prev_events"], f"{eid} has no prev_events")
            for p in pdu["prev_events"]:
                check(p in pdus, f"{eid}'s prev_event {p} is not in the room")
                check(pdu["depth"] > pdus[p]["depth"],
                      f"depth {pdu['depth']} of {eid} not above {pdus[p]['depth']} of {p}")
                referenced.add(p)
            check(len(set(pdu["auth_events"])) == len(pdu["auth_events"]), f"{eid} auth dup")
            if pdu["type"] == "m.room.member" and pdu["sender"] != alice.user_id:
                # a join after an invite: create, power levels, join rules and
                # the invite (the sender's and the target's member event)
                invite = [e for e, p in pdus.items() if p["type"] == "m.room.member" and
                          p["state_key"] == pdu["sender"] and
                          p["content"]["membership"] == "invite"]
                rules = [e for e, p in pdus.items() if p["type"] == "m.room.join_rules"]
                want = {e for e in auth_of[room][pdu["sender"]]
                        if pdus[e]["type"] != "m.room.member"} | set(invite) | set(rules)
                check(len(invite) == 1 and len(rules) == 1 and set(pdu["auth_events"]) == want,
                      f"join {eid} auth_events {pdu['auth_events']} != {want}")
            if eid in acked[room] or eid == last[room]:
                want = auth_of[room][pdu["sender"]]
                check(set(pdu["auth_events"]) == want,
                      f"{eid} ({pdu['type']}) auth_events {pdu['auth_events']} != {want}")
        kinds = {k for k, _, _ in acked[room].values()}
        check(redacted and kinds == {"msg", "state", "redact", "edit", "react", "dup"},
              f"room v{v}: kinds sent {kinds}, {len(redacted)} redacted")
        check(any(len(canonical(p)) > 60000 for p in pdus.values()), "no PDU near the limit")
        ends = set(pdus) - referenced
        check(ends == {last[room]}, f"room v{v}: forward extremities {ends} (last {last[room]})")

        # Each device saw every event of the room once, each task's in order.
        for d in devices:
            got = seen[id(d)][room]
            check(len(got) == len(set(got)), f"{d.device_id} saw an event twice in /sync")
            check(set(got) == set(pdus), f"{d.device_id} /sync missed "
                  f"{sorted(set(pdus) - set(got))[:3]} extra {sorted(set(got) - set(pdus))[:3]}")
            check(got == stream_order, f"{d.device_id}'s /sync order differs from /messages'")
            pos = {e: i for i, e in enumerate(got)}
            for seq in order:
                idx = [pos[e] for r_, e, _, _ in seq if r_ == room]
                check(idx == sorted(idx), f"{d.device_id} saw a sender's events out of order")
    check(attempts[0] > n_acked[0], "no send was retried across the kill")


async def test_txn_id_scoped_to_room_type_and_endpoint(srv):
    """Spec: a transaction ID's scope is the device and the endpoint (Synapse
    keys on the request path): the same ID in another room, for another event
    type, or on /redact is a new request; the same path again is a retry."""
    a = await new_user(srv, "txn")
    r1, r2 = await a.create_room(), await a.create_room()
    msg = {"msgtype": "m.text", "body": "x"}
    e1 = (await a.ok("PUT", f"/rooms/{q(r1)}/send/m.room.message/T", msg))["event_id"]
    e2 = (await a.ok("PUT", f"/rooms/{q(r2)}/send/m.room.message/T", msg))["event_id"]
    e3 = (await a.ok("PUT", f"/rooms/{q(r1)}/send/m.reaction/T", {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": e1, "key": "k"}}))["event_id"]
    e4 = (await a.ok("PUT", f"/rooms/{q(r1)}/redact/{q(e1)}/T", {}))["event_id"]
    check(len({e1, e2, e3, e4}) == 4, f"one txn ID on four endpoints: {e1} {e2} {e3} {e4}")
    ev = await a.ok("GET", f"/rooms/{q(r1)}/event/{q(e1)}")
    check(ev["content"] == {} and ev["unsigned"]["redacted_because"]["event_id"] == e4,
          f"not redacted: {ev}")
    ev2 = await a.ok("GET", f"/rooms/{q(r2)}/event/{q(e2)}")
    check(ev2["room_id"] == r2, f"{ev2}")
    again = (await a.ok("PUT", f"/rooms/{q(r2)}/send/m.room.message/T", msg))["event_id"]
    check(again == e2, f"retry answered {again}, not {e2}")
