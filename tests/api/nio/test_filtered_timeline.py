"""A filter's timeline limit counts the events that pass the filter (spec:
client-server "Filtering": RoomEventFilter.limit is the maximum number of
events to return, types/not_types/senders/not_senders/contains_url choose
them): /sync, /messages and /context return `limit` matching events when there
are that many, however many other events lie between them, and their tokens
(prev_batch, end, start) continue after the last event scanned."""

import json
from urllib.parse import quote

from nio import MessageDirection
from nio import responses as R

from common import check, expect_nio, joined_room

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"
NOISE = "org.example.noise"


async def say(c, room, body, type_="m.room.message", **extra):
    content = {"msgtype": "m.text", "body": body} if type_ == "m.room.message" else {"n": body}
    content.update(extra)
    return expect_nio(await c.room_send(room, type_, content), R.RoomSendResponse).event_id


async def noise(c, room, n):
    for i in range(n):
        await say(c, room, f"noise {i}", NOISE)


def ids(events):
    return [e.event_id for e in events]


def sync_room(resp, room):
    return expect_nio(resp, R.SyncResponse).rooms.join[room]


async def initial_sync(c, flt):
    c.next_batch = None  # nio would otherwise continue from its last sync
    return await c.sync(0, sync_filter=flt)


async def test_sync_types_limit_counts_matching_events(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    msgs = [await say(alice, room, f"m{i}") for i in range(5)]
    await noise(alice, room, 30)
    flt = {"room": {"timeline": {"types": ["m.room.message"], "limit": 3}}}
    r = sync_room(await initial_sync(alice, flt), room)
    # the three newest messages, although 30 other events are newer
    check(ids(r.timeline.events) == msgs[2:], f"timeline {ids(r.timeline.events)}")
    check(r.timeline.limited, "two more messages: limited")
    # prev_batch continues with the same filter: the two older messages, then nothing
    back = expect_nio(await alice.room_messages(room, r.timeline.prev_batch, limit=10,
                                                message_filter={"types": ["m.room.message"]}),
                      R.RoomMessagesResponse)
    check(ids(back.chunk) == [msgs[1], msgs[0]], f"back {ids(back.chunk)}")
    # a wildcard and not_types
    flt = {"room": {"timeline": {"types": ["m.room.*"], "not_types": ["m.room.member"],
                                 "limit": 5}}}
    r = sync_room(await initial_sync(alice, flt), room)
    check(ids(r.timeline.events) == msgs, f"m.room.* {ids(r.timeline.events)}")
    check(r.timeline.limited, "state events are older matches")


async def test_sync_senders_and_incremental(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob])
    bobs = [await say(bob, room, f"b{i}") for i in range(3)]
    await noise(alice, room, 25)
    flt = {"room": {"timeline": {"senders": [bob.user], "limit": 2}}}
    r = sync_room(await initial_sync(alice, flt), room)
    check(ids(r.timeline.events) == bobs[1:], f"senders {ids(r.timeline.events)}")
    check(r.timeline.limited, "bob's join and first message are older")
    flt = {"room": {"timeline": {"not_senders": [alice.user], "limit": 4}}}
    r = sync_room(await initial_sync(alice, flt), room)
    check(ids(r.timeline.events)[1:] == bobs and len(r.timeline.events) == 4,
          f"not_senders {ids(r.timeline.events)}")
    since = (await alice.sync(0)).next_batch
    # one matching event among many others since the token: not limited
    late = await say(bob, room, "late")
    await noise(alice, room, 15)
    flt = {"room": {"timeline": {"senders": [bob.user], "limit": 5}}}
    r = sync_room(await alice.sync(0, sync_filter=flt, since=since), room)
    check(ids(r.timeline.events) == [late], f"incremental {ids(r.timeline.events)}")
    check(not r.timeline.limited, "nothing left out")


async def test_messages_filter_limit_and_end(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    msgs = []
    for i in range(6):
        msgs.append(await say(alice, room, f"m{i}"))
        await noise(alice, room, 4)
    start = (await alice.sync(0)).next_batch
    mf = {"types": ["m.room.message"]}
    token = start
    for want in ([msgs[5], msgs[4]], [msgs[3], msgs[2]]):
        page = expect_nio(await alice.room_messages(room, token, limit=2, message_filter=mf),
                          R.RoomMessagesResponse)
        check(ids(page.chunk) == want, f"page {ids(page.chunk)} != {want}")
        token = page.end
    # the last page holds the oldest messages and, nothing being left, no end (spec)
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/messages", token=alice.access_token,
                      query={"dir": "b", "from": token, "limit": "2", "filter": json.dumps(mf)})
    check(r.status == 200 and [e["event_id"] for e in r.json["chunk"]] == [msgs[1], msgs[0]]
          and "end" not in r.json, f"{r!r}")
    # forwards from the start of the room
    first = await srv.req("GET", f"{CS}/rooms/{quote(room)}/messages", token=alice.access_token,
                          query={"dir": "f", "limit": "4", "filter": json.dumps(mf)})
    check([e["event_id"] for e in first.json["chunk"]] == msgs[:4], f"forward {first.json}")
    fwd = expect_nio(await alice.room_messages(room, first.json["end"], limit=10,
                                               direction=MessageDirection.front,
                                               message_filter=mf), R.RoomMessagesResponse)
    check(ids(fwd.chunk) == msgs[4:], f"forward rest {ids(fwd.chunk)}")


async def test_messages_contains_url(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    img = expect_nio(await alice.room_send(room, "m.room.message", {
        "msgtype": "m.image", "body": "cat.png", "url": "mxc://localhost/cat"}),
        R.RoomSendResponse).event_id
    for i in range(12):
        await say(alice, room, f"text {i}")
    token = (await alice.sync(0)).next_batch
    page = expect_nio(await alice.room_messages(room, token, limit=1,
                                                message_filter={"contains_url": True}),
                      R.RoomMessagesResponse)
    check(ids(page.chunk) == [img], f"contains_url {ids(page.chunk)}")
    page = expect_nio(await alice.room_messages(room, token, limit=13, message_filter={
        "contains_url": False, "types": ["m.room.message"]}), R.RoomMessagesResponse)
    check(len(page.chunk) == 12 and img not in ids(page.chunk), f"{ids(page.chunk)}")


async def test_context_filter_limit(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    before = [await say(alice, room, f"before {i}") for i in range(2)]
    await noise(alice, room, 10)
    mid = await say(alice, room, "middle")
    await noise(alice, room, 10)
    after = [await say(alice, room, f"after {i}") for i in range(2)]
    flt = json.dumps({"types": ["m.room.message"]})
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/context/{quote(mid)}",
                      token=alice.access_token, query={"limit": "4", "filter": flt})
    check(r.status == 200, f"{r!r}")
    check([e["event_id"] for e in r.json["events_before"]] == [before[1], before[0]],
          f"before {r.json['events_before']}")
    check([e["event_id"] for e in r.json["events_after"]] == after,
          f"after {r.json['events_after']}")
    # end continues forwards after the last event scanned: nothing more
    fwd = expect_nio(await alice.room_messages(room, r.json["end"], limit=10,
                                               direction=MessageDirection.front,
                                               message_filter={"types": ["m.room.message"]}),
                     R.RoomMessagesResponse)
    check(ids(fwd.chunk) == [], f"after end {ids(fwd.chunk)}")


async def test_state_the_filter_leaves_out_still_arrives(srv):
    """A timeline filter on types keeps state changes out of the timeline, not
    out of the client's view of the room: they come in `state` (as Synapse)."""
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(name="Old"), R.RoomCreateResponse).room_id
    flt = {"room": {"timeline": {"types": ["m.room.message"], "limit": 5}}}
    since = (await alice.sync(0, sync_filter=flt)).next_batch
    expect_nio(await alice.room_put_state(room, "m.room.name", {"name": "New"}),
               R.RoomPutStateResponse)
    msg = await say(alice, room, "after the rename")
    raw = await srv.req("GET", f"{CS}/sync", token=alice.access_token,
                        query={"since": since, "filter": json.dumps(flt), "timeout": "0"})
    jr = raw.json["rooms"]["join"][room]
    check([e["event_id"] for e in jr["timeline"]["events"]] == [msg], f"timeline {jr}")
    names = [e["content"]["name"] for e in jr["state"]["events"] if e["type"] == "m.room.name"]
    check(names == ["New"] and not jr["timeline"]["limited"], f"state {jr['state']}")
    # an initial sync: the rename between two returned messages is in the state too
    m2 = await say(alice, room, "second")
    expect_nio(await alice.room_put_state(room, "m.room.name", {"name": "Newer"}),
               R.RoomPutStateResponse)
    m3 = await say(alice, room, "third")
    r = sync_room(await initial_sync(alice, {"room": {"timeline": {
        "types": ["m.room.message"], "limit": 2}}}), room)
    check(ids(r.timeline.events) == [m2, m3], f"timeline {ids(r.timeline.events)}")
    names = [e.source["content"].get("name") for e in r.state
             if e.source.get("type") == "m.room.name"]
    check("Newer" in names, f"state names {names}")
    check(alice.rooms[room].name == "Newer", f"nio's room name {alice.rooms[room].name}")


async def test_messages_lazy_members_as_they_were(srv):
    """/messages with lazy_load_members gives the senders' member events as of
    the chunk (Synapse: the state at its first event), so old messages keep the
    name they were sent under."""
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob])
    expect_nio(await bob.set_displayname("Bob One"), R.ProfileSetDisplayNameResponse)
    old = [await say(bob, room, f"old {i}") for i in range(3)]
    mid = (await alice.sync(0)).next_batch
    expect_nio(await bob.set_displayname("Bob Two"), R.ProfileSetDisplayNameResponse)
    await say(bob, room, "new")
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/messages", token=alice.access_token,
                      query={"dir": "b", "from": mid, "limit": "3",
                             "filter": json.dumps({"lazy_load_members": True})})
    check([e["event_id"] for e in r.json["chunk"]] == old[::-1], f"chunk {r.json}")
    names = {e["state_key"]: e["content"].get("displayname") for e in r.json.get("state", [])
             if e["type"] == "m.room.member"}
    check(names.get(bob.user) == "Bob One", f"bob as he was: {names}")


async def test_room_event_filter_rooms(srv):
    """A RoomEventFilter's rooms / not_rooms: /messages of a room left out is
    empty; in /sync the room is still listed (its state is not timeline) but
    its timeline is empty."""
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    other = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    msg = await say(alice, room, "hello")
    token = (await alice.sync(0)).next_batch

    async def messages(flt):
        r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/messages", token=alice.access_token,
                          query={"dir": "b", "from": token, "limit": "5",
                                 "filter": json.dumps(flt)})
        check(r.status == 200, f"{r!r}")
        return [e["event_id"] for e in r.json["chunk"]], "end" in r.json

    check(await messages({"not_rooms": [room]}) == ([], False), "not_rooms")
    check(await messages({"rooms": [other]}) == ([], False), "rooms without it")
    got, _ = await messages({"rooms": [room], "types": ["m.room.message"]})
    check(got == [msg], f"rooms with it: {got}")
    r = sync_room(await initial_sync(alice, {"room": {"timeline": {"not_rooms": [room]}}}), room)
    check(r.timeline.events == [] and any(e.source.get("type") == "m.room.create"
                                           for e in r.state), f"sync {r.timeline.events}")


async def test_state_filter(srv):
    """room.state (a StateFilter) chooses the events of the state section."""
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob], name="Named", topic="t")
    await say(alice, room, "newest")
    raw = await srv.req("GET", f"{CS}/sync", token=alice.access_token, query={
        "timeout": "0", "filter": json.dumps({"room": {"timeline": {"limit": 1},
                                                       "state": {"types": ["m.room.n*"]}}})})
    st = raw.json["rooms"]["join"][room]["state"]["events"]
    check([e["type"] for e in st] == ["m.room.name"], f"types: {[e['type'] for e in st]}")
    raw = await srv.req("GET", f"{CS}/sync", token=alice.access_token, query={
        "timeout": "0", "filter": json.dumps({"room": {"timeline": {"limit": 1}, "state": {
            "types": ["m.room.member"], "not_senders": [alice.user]}}})})
    st = raw.json["rooms"]["join"][room]["state"]["events"]
    check([(e["type"], e["state_key"]) for e in st] == [("m.room.member", bob.user)],
          f"members not sent by alice: {st}")
