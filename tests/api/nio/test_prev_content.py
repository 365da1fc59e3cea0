"""unsigned.prev_content / prev_sender / replaces_state on state events in the
client format (spec: client-server "Room Events", UnsignedData.prev_content;
prev_sender and replaces_state as Synapse sends them)."""

from urllib.parse import quote

from nio import responses as R

from common import check, expect_nio

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


async def get_event(srv, c, room, event_id):
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/event/{quote(event_id)}",
                      token=c.access_token)
    check(r.status == 200, f"{r!r}")
    return r.json


async def test_topic_change_carries_the_previous_topic(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = expect_nio(await alice.room_create(invite=[bob.user]), R.RoomCreateResponse).room_id
    first = expect_nio(await alice.room_put_state(room, "m.room.topic", {"topic": "one"}),
                       R.RoomPutStateResponse).event_id
    for i in range(3):  # unrelated events in between
        expect_nio(await alice.room_send(room, "m.room.message",
                                         {"msgtype": "m.text", "body": f"x{i}"}),
                   R.RoomSendResponse)
    second = expect_nio(await alice.room_put_state(room, "m.room.topic", {"topic": "two"}),
                        R.RoomPutStateResponse).event_id
    ev = await get_event(srv, alice, room, second)
    u = ev["unsigned"]
    check(u.get("prev_content") == {"topic": "one"} and u.get("prev_sender") == alice.user and
          u.get("replaces_state") == first, f"unsigned {u}")
    ev = await get_event(srv, alice, room, first)
    check("prev_content" not in ev["unsigned"], f"first topic has {ev['unsigned']}")
    # bob's join replaces his invite: visible in /sync's timeline
    join = expect_nio(await bob.join(room), R.JoinResponse)
    check(join.room_id == room, f"{join}")
    s = expect_nio(await bob.sync(timeout=0), R.SyncResponse)
    mine = [e for e in s.rooms.join[room].timeline.events
            if e.source.get("type") == "m.room.member" and e.source.get("state_key") == bob.user]
    check(mine and mine[-1].source["unsigned"]["prev_content"]["membership"] == "invite",
          f"join event {[e.source for e in mine]}")


async def test_redacted_previous_state_gives_redacted_content(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    first = expect_nio(await alice.room_put_state(room, "m.room.topic", {"topic": "oops"}),
                       R.RoomPutStateResponse).event_id
    expect_nio(await alice.room_redact(room, first), R.RoomRedactResponse)
    second = expect_nio(await alice.room_put_state(room, "m.room.topic", {"topic": "fixed"}),
                        R.RoomPutStateResponse).event_id
    u = (await get_event(srv, alice, room, second))["unsigned"]
    check(u.get("prev_content") == {} and u.get("replaces_state") == first, f"unsigned {u}")
