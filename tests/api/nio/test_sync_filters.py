"""The parts of a Filter beyond the timeline and state (spec: client-server
"Filtering"): event_fields (dot-separated paths, appendix "Dot-separated
property paths") and event_format on /sync, /messages and /context; the
EventFilters of presence, the global account_data, room.account_data and
room.ephemeral (types / not_types / senders / not_senders / limit, rooms /
not_rooms for the room sections). Each test looks at what a nio bot sees and,
where nio hides the shape, at the raw response."""

import json
from urllib.parse import quote

from nio import TagEvent, TypingNoticeEvent
from nio import responses as R

from common import check, expect_nio
from pdu_util import content_hash, reference_id

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


async def say(c, room, body, **extra):
    content = {"msgtype": "m.text", "body": body}
    content.update(extra)
    return expect_nio(await c.room_send(room, "m.room.message", content),
                      R.RoomSendResponse).event_id


async def raw_sync(srv, c, flt, since=None):
    q = {"timeout": "0", "filter": json.dumps(flt)}
    if since:
        q["since"] = since
    r = await srv.req("GET", f"{CS}/sync", token=c.access_token, query=q)
    check(r.status == 200, f"sync {r!r}")
    return r.json


async def initial_sync(c, flt):
    c.next_batch = None  # nio would otherwise continue from its last sync
    return expect_nio(await c.sync(0, sync_filter=flt), R.SyncResponse)


async def test_event_fields_on_sync(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    root = await say(alice, room, "root")
    reply = await say(alice, room, "in thread",
                      **{"m.relates_to": {"rel_type": "m.thread", "event_id": root}})
    fields = ["type", "sender", "event_id", "origin_server_ts", "content.body",
              "content.msgtype", "content.m\\.relates_to.event_id"]
    flt = {"event_fields": fields, "room": {"timeline": {"limit": 3}}}
    # what a nio bot sees: the messages, parsed, with their bodies
    resp = await initial_sync(alice, flt)
    tl = resp.rooms.join[room].timeline.events
    bodies = [getattr(e, "body", None) for e in tl]
    check(bodies[-2:] == ["root", "in thread"], f"nio sees {bodies}")
    # the raw events hold exactly the fields asked for (no room_id)
    body = await raw_sync(srv, alice, flt)
    events = body["rooms"]["join"][room]["timeline"]["events"]
    last = events[-1]
    check(last == {"type": "m.room.message", "sender": alice.user_id, "event_id": reply,
                   "origin_server_ts": last["origin_server_ts"],
                   "content": {"body": "in thread", "msgtype": "m.text",
                               "m.relates_to": {"event_id": root}}},
          f"reply shaped {last}")
    # only the root keeps an unsigned: its bundled thread summary
    check(all(set(e) - {"unsigned"} <= {"type", "sender", "event_id", "origin_server_ts",
                                        "content"} and
              set(e.get("unsigned", {})) <= {"m.relations"} for e in events), f"{events}")
    check([e["event_id"] for e in events if "unsigned" in e] == [events[-2]["event_id"]],
          f"{events}")
    # the state section is shaped too: a member event keeps no state_key here
    state = body["rooms"]["join"][room]["state"]["events"]
    check(state and all("state_key" not in e and "unsigned" not in e for e in state),
          f"state {state[:2]}")
    # without event_fields nothing changes
    plain = await raw_sync(srv, alice, {"room": {"timeline": {"limit": 1}}})
    ev = plain["rooms"]["join"][room]["timeline"]["events"][0]
    check("unsigned" in ev and ev["content"]["m.relates_to"]["rel_type"] == "m.thread", f"{ev}")


async def test_event_fields_on_messages_and_context(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    ids = [await say(alice, room, f"m{i}") for i in range(3)]
    flt = {"types": ["m.room.message"], "event_fields": ["content.body"],
           "lazy_load_members": True}
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/messages", token=alice.access_token,
                      query={"dir": "b", "limit": "3", "filter": json.dumps(flt)})
    check(r.status == 200, f"{r!r}")
    check(r.json["chunk"] == [{"content": {"body": f"m{i}"}} for i in (2, 1, 0)],
          f"chunk {r.json['chunk']}")
    check(r.json["state"] == [{"content": {}}] or all(set(e) <= {"content"}
                                                      for e in r.json["state"]),
          f"lazy members shaped {r.json['state']}")
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/context/{quote(ids[1])}",
                      token=alice.access_token,
                      query={"limit": "2", "filter": json.dumps(
                          {"event_fields": ["event_id", "content.body"]})})
    check(r.status == 200, f"{r!r}")
    check(r.json["event"] == {"event_id": ids[1], "content": {"body": "m1"}},
          f"event {r.json['event']}")
    check(r.json["events_after"] == [{"event_id": ids[2], "content": {"body": "m2"}}],
          f"after {r.json['events_after']}")
    check(r.json["events_before"] == [{"event_id": ids[0], "content": {"body": "m0"}}],
          f"before {r.json['events_before']}")
    check(all(set(e) <= {"event_id", "content"} for e in r.json["state"]), "state shaped")
    # nio's own room_messages with such a filter still reads the page
    page = expect_nio(await alice.room_messages(
        room, (await alice.sync(0)).next_batch, limit=3,
        message_filter={"types": ["m.room.message"],
                        "event_fields": ["type", "sender", "event_id", "origin_server_ts",
                                         "content"]}), R.RoomMessagesResponse)
    check([e.body for e in page.chunk] == ["m2", "m1", "m0"], f"{page.chunk}")


async def test_event_format_federation(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    eid = await say(alice, room, "as a PDU")
    body = await raw_sync(srv, alice, {"event_format": "federation",
                                       "room": {"timeline": {"limit": 1}}})
    pdu = body["rooms"]["join"][room]["timeline"]["events"][0]
    for key in ("auth_events", "prev_events", "depth", "hashes", "signatures", "room_id",
                "origin_server_ts", "sender", "content"):
        check(key in pdu, f"federation event has {key}: {sorted(pdu)}")
    check(pdu["event_id"] == eid and pdu["content"]["body"] == "as a PDU", f"{pdu}")
    # it is the real PDU: its hashes are those of the spec's algorithms
    ref = reference_id(pdu, "10")
    check(ref == eid, f"reference hash {ref} != {eid}")
    check(pdu["hashes"]["sha256"] == content_hash(pdu), "content hash")
    check("age" in pdu.get("unsigned", {}), "unsigned kept")
    # federation and event_fields together, on /messages too
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/messages", token=alice.access_token,
                      query={"dir": "b", "limit": "1", "filter": json.dumps(
                          {"event_format": "federation", "event_fields": ["depth", "hashes"]})})
    check(r.status == 200 and r.json["chunk"] == [{"depth": pdu["depth"],
                                                   "hashes": pdu["hashes"]}],
          f"{r!r}")
    # a redacted event is the redacted PDU, still hashing to its ID
    expect_nio(await alice.room_redact(room, eid), R.RoomRedactResponse)
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/context/{quote(eid)}",
                      token=alice.access_token,
                      query={"limit": "0", "filter": json.dumps({"event_format": "federation"})})
    red = r.json["event"]
    check(red["content"] == {} and reference_id(red, "10") == eid, f"redacted {red}")


async def test_account_data_filters(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    other = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    uid = quote(alice.user_id)
    for t in ("org.example.keep", "org.example.drop", "com.other.x"):
        r = await srv.req("PUT", f"{CS}/user/{uid}/account_data/{t}", {"v": t},
                          token=alice.access_token)
        check(r.status == 200, f"{r!r}")
    for rid in (room, other):
        for t in ("org.example.room", "m.tag"):
            content = {"tags": {"u.work": {}}} if t == "m.tag" else {"v": rid}
            r = await srv.req("PUT", f"{CS}/user/{uid}/rooms/{quote(rid)}/account_data/{t}",
                              content, token=alice.access_token)
            check(r.status == 200, f"{r!r}")
    flt = {"account_data": {"types": ["org.example.*"], "not_types": ["org.example.drop"]},
           "room": {"account_data": {"not_rooms": [other], "types": ["m.tag"]}}}
    resp = await initial_sync(alice, flt)
    body = await raw_sync(srv, alice, flt)
    got = sorted(e["type"] for e in body["account_data"]["events"])
    check(got == ["org.example.keep"], f"global account data {got}")
    check(len(resp.account_data_events) == 1, f"nio: {resp.account_data_events}")
    # nio sees the tag of the room, and nothing of the other room's account data
    ad = resp.rooms.join[room].account_data
    check(len(ad) == 1 and isinstance(ad[0], TagEvent) and "u.work" in ad[0].tags,
          f"nio tags {ad}")
    raw_room = body["rooms"]["join"][room]["account_data"]["events"]
    check([e["type"] for e in raw_room] == ["m.tag"], f"room account data {raw_room}")
    check(body["rooms"]["join"][other]["account_data"]["events"] == [], "other room excluded")
    check(resp.rooms.join[other].account_data == [], "nio: other room's account data empty")
    # limit: at most one global event; senders never match account data (no sender)
    body = await raw_sync(srv, alice, {"account_data": {"limit": 1}})
    check(len(body["account_data"]["events"]) == 1, f"{body['account_data']}")
    body = await raw_sync(srv, alice, {"account_data": {"senders": [alice.user_id]}})
    check(body["account_data"]["events"] == [], f"{body['account_data']}")
    # incremental: a change the filter drops does not end a long-poll early
    since = body["next_batch"]
    r = await srv.req("PUT", f"{CS}/user/{uid}/account_data/com.other.y", {"v": 1},
                      token=alice.access_token)
    body = await raw_sync(srv, alice, {"account_data": {"types": ["org.example.*"]}}, since)
    check(body["account_data"]["events"] == [], f"{body['account_data']}")


async def test_ephemeral_filter(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    rooms = []
    for _ in range(2):
        rid = expect_nio(await alice.room_create(invite=[bob.user]),
                         R.RoomCreateResponse).room_id
        expect_nio(await bob.join(rid), R.JoinResponse)
        rooms.append(rid)
    for rid in rooms:
        expect_nio(await bob.room_typing(rid, True, 30000), R.RoomTypingResponse)
    last = await say(bob, rooms[0], "read me")
    expect_nio(await bob.room_read_markers(rooms[0], last, last), R.RoomReadMarkersResponse)

    def typing_rooms(resp):
        return sorted(rid for rid, info in resp.rooms.join.items()
                      if any(isinstance(e, TypingNoticeEvent) and bob.user in e.users
                             for e in info.ephemeral))

    resp = await initial_sync(alice, {})
    check(typing_rooms(resp) == sorted(rooms), f"typing everywhere {typing_rooms(resp)}")
    resp = await initial_sync(alice, {"room": {"ephemeral": {"not_rooms": [rooms[1]]}}})
    check(typing_rooms(resp) == [rooms[0]], f"not_rooms {typing_rooms(resp)}")
    body = await raw_sync(srv, alice, {"room": {"ephemeral": {"types": ["m.receipt"]}}})
    eph = {rid: [e["type"] for e in body["rooms"]["join"][rid]["ephemeral"]["events"]]
           for rid in rooms}
    check(eph == {rooms[0]: ["m.receipt"], rooms[1]: []}, f"receipts only {eph}")
    body = await raw_sync(srv, alice, {"room": {"ephemeral": {"not_types": ["*"]}}})
    check(all(body["rooms"]["join"][rid]["ephemeral"]["events"] == [] for rid in rooms),
          "not_types * blocks all")
    body = await raw_sync(srv, alice, {"room": {"ephemeral": {"limit": 1}}})
    check(len(body["rooms"]["join"][rooms[0]]["ephemeral"]["events"]) == 1, "limit 1")
    # incremental: typing the filter drops does not list the room
    since = body["next_batch"]
    expect_nio(await bob.room_typing(rooms[1], False), R.RoomTypingResponse)
    body = await raw_sync(srv, alice, {"room": {"ephemeral": {"not_types": ["m.typing"]}}},
                          since)
    check(rooms[1] not in body["rooms"]["join"], f"{body['rooms']['join'].keys()}")


async def test_presence_filter(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    carol = await srv.nio_user("carol")
    rid = expect_nio(await alice.room_create(invite=[bob.user, carol.user]),
                     R.RoomCreateResponse).room_id
    for c in (bob, carol):
        expect_nio(await c.join(rid), R.JoinResponse)
        expect_nio(await c.set_presence("online", f"{c.user} here"), R.PresenceSetResponse)

    def senders(resp):
        return sorted(e.user_id for e in resp.presence_events)

    resp = await initial_sync(alice, {})
    check({bob.user, carol.user} <= set(senders(resp)), f"all {senders(resp)}")
    resp = await initial_sync(alice, {"presence": {"not_senders": [bob.user]}})
    check(carol.user in senders(resp) and bob.user not in senders(resp), f"{senders(resp)}")
    resp = await initial_sync(alice, {"presence": {"senders": [bob.user]}})
    check(senders(resp) == [bob.user], f"senders {senders(resp)}")
    resp = await initial_sync(alice, {"presence": {"not_types": ["m.presence"]}})
    check(senders(resp) == [], f"no presence {senders(resp)}")
    resp = await initial_sync(alice, {"presence": {"limit": 1}})
    check(len(senders(resp)) == 1, f"limit {senders(resp)}")


async def test_state_not_rooms(srv):
    alice = await srv.nio_user("alice")
    keep = expect_nio(await alice.room_create(name="kept"), R.RoomCreateResponse).room_id
    drop = expect_nio(await alice.room_create(name="dropped"), R.RoomCreateResponse).room_id
    flt = {"room": {"state": {"not_rooms": [drop]}, "timeline": {"limit": 1}}}
    resp = await initial_sync(alice, flt)
    # nio names the kept room from its state; the other one has no state to name it by
    check(resp.rooms.join[keep].state and resp.rooms.join[drop].state == [],
          f"state {len(resp.rooms.join[keep].state)} / {resp.rooms.join[drop].state}")
    check(alice.rooms[keep].name == "kept", f"{alice.rooms[keep].name}")


async def test_event_fields_keep_bundled_aggregations(srv):
    """event_fields trims unsigned, but the bundled aggregations come back (as
    Synapse: the spec lets a server return more fields than asked), their
    events shaped alike: /sync, /messages and /context agree."""
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    root = await say(alice, room, "root")
    edit = await say(alice, room, "* root2", **{
        "m.new_content": {"msgtype": "m.text", "body": "root2"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": root}})
    reply = await say(alice, room, "in thread",
                      **{"m.relates_to": {"rel_type": "m.thread", "event_id": root}})
    ref = await say(alice, room, "refers",
                    **{"m.relates_to": {"rel_type": "m.reference", "event_id": root}})
    fields = ["event_id", "content.body"]
    want = {"event_id": root, "content": {"body": "root"}, "unsigned": {"m.relations": {
        "m.replace": {"event_id": edit, "content": {"body": "* root2"}},
        "m.thread": {"latest_event": {"event_id": reply, "content": {"body": "in thread"}},
                     "count": 1, "current_user_participated": True},
        "m.reference": {"chunk": [{"event_id": ref}]}}}}
    body = await raw_sync(srv, alice, {"event_fields": fields, "room": {"timeline": {
        "limit": 10, "types": ["m.room.message"]}}})
    got = [e for e in body["rooms"]["join"][room]["timeline"]["events"]
           if e["event_id"] == root]
    check(got == [want], f"/sync root {got}")
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/messages", token=alice.access_token,
                      query={"dir": "b", "limit": "10", "filter": json.dumps(
                          {"event_fields": fields, "types": ["m.room.message"]})})
    check(r.status == 200, f"{r!r}")
    got = [e for e in r.json["chunk"] if e["event_id"] == root]
    check(got == [want], f"/messages root {got}")
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/context/{quote(root)}",
                      token=alice.access_token,
                      query={"limit": "0", "filter": json.dumps({"event_fields": fields})})
    check(r.status == 200 and r.json["event"] == want, f"/context {r!r}")
    # asking for unsigned.age alone keeps the age beside the aggregations
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/context/{quote(root)}",
                      token=alice.access_token, query={"limit": "0", "filter": json.dumps(
                          {"event_fields": ["event_id", "unsigned.age"]})})
    uns = r.json["event"]["unsigned"]
    check(set(uns) == {"age", "m.relations"} and
          uns["m.relations"]["m.replace"]["event_id"] == edit and
          set(uns["m.relations"]["m.replace"]) == {"event_id", "unsigned"}, f"unsigned {uns}")
    # an event without children gets no unsigned back
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/context/{quote(ref)}",
                      token=alice.access_token,
                      query={"limit": "0", "filter": json.dumps({"event_fields": fields})})
    check(r.json["event"] == {"event_id": ref, "content": {"body": "refers"}},
          f"childless {r.json['event']}")


async def test_state_contains_url(srv):
    """room.state.contains_url (a RoomEventFilter field, spec "Filtering"): true
    keeps the state events whose content has a url string, false the others."""
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(name="pictured"), R.RoomCreateResponse).room_id
    expect_nio(await alice.room_put_state(room, "m.room.avatar", {"url": "mxc://localhost/a"}),
               R.RoomPutStateResponse)
    await say(alice, room, "after the avatar")  # the timeline's one event; the rest is state
    flt = {"room": {"timeline": {"limit": 1}, "state": {"contains_url": True}}}
    state = (await raw_sync(srv, alice, flt))["rooms"]["join"][room]["state"]["events"]
    check([e["type"] for e in state] == ["m.room.avatar"], f"with url {state}")
    flt["room"]["state"]["contains_url"] = False
    state = (await raw_sync(srv, alice, flt))["rooms"]["join"][room]["state"]["events"]
    types = {e["type"] for e in state}
    check("m.room.name" in types and "m.room.avatar" not in types, f"without url {types}")
