"""POST /rooms/{roomId}/upgrade (spec: client-server "Room Upgrades"): the
old room gets a tombstone and restricted power levels, the new room's create
event points to the old room, state, aliases and the directory listing move,
and users can follow into the new room. (nio's room_upgrade does the upgrade
client-side, so the call itself is raw HTTP.)"""

from urllib.parse import quote

from nio import RoomVisibility
from nio import responses as R

from common import check, expect_error, expect_nio, joined_room, unique

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


async def upgrade(srv, c, room, version="11"):
    return await srv.req("POST", f"{CS}/rooms/{quote(room)}/upgrade", {"new_version": version},
                         token=c.access_token)


async def state(c, room, type_):
    r = await c.room_get_state_event(room, type_)
    return r.content if isinstance(r, R.RoomGetStateEventResponse) else None


async def test_upgrade_moves_users_state_and_aliases(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    alias_local = unique("up")
    room = expect_nio(await alice.room_create(visibility=RoomVisibility.public, alias=alias_local,
                                              name="Old name", topic="Old topic",
                                              room_version="10"),
                      R.RoomCreateResponse).room_id
    expect_nio(await bob.join(room), R.JoinResponse)
    expect_nio(await alice.room_put_state(room, "m.room.history_visibility",
                                          {"history_visibility": "world_readable"}),
               R.RoomPutStateResponse)
    last = expect_nio(await bob.room_send(room, "m.room.message",
                                          {"msgtype": "m.text", "body": "last words"}),
                      R.RoomSendResponse).event_id
    r = await upgrade(srv, alice, room, "11")
    check(r.status == 200, f"{r!r}")
    new = r.json["replacement_room"]
    check(new != room and new.startswith("!"), f"{r.json}")
    # the old room: tombstone pointing to the new one, restricted power levels
    tomb = await state(bob, room, "m.room.tombstone")
    check(tomb and tomb["replacement_room"] == new and tomb.get("body"), f"tombstone {tomb}")
    pl = await state(bob, room, "m.room.power_levels")
    check(pl["events_default"] >= 50 and pl["invite"] >= 50, f"old power levels {pl}")
    e = await bob.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "hello?"})
    check(isinstance(e, R.RoomSendError), "bob can still talk in the old room")
    # bob follows: joins the new room through the moved alias
    alias = f"#{alias_local}:{alice.user.split(':', 1)[1]}"
    res = expect_nio(await bob.room_resolve_alias(alias), R.RoomResolveAliasResponse)
    check(res.room_id == new, f"alias still points to {res.room_id}")
    expect_nio(await bob.join(alias), R.JoinResponse)
    create = await state(bob, new, "m.room.create")
    check(create["room_version"] == "11" and
          create["predecessor"] == {"room_id": room, "event_id": last}, f"create {create}")
    check((await state(bob, new, "m.room.name"))["name"] == "Old name", "name not copied")
    check((await state(bob, new, "m.room.topic"))["topic"] == "Old topic", "topic not copied")
    check((await state(bob, new, "m.room.join_rules"))["join_rule"] == "public",
          "join rule not copied")
    check((await state(bob, new, "m.room.history_visibility"))["history_visibility"] ==
          "world_readable", "history visibility not copied")
    check((await state(bob, new, "m.room.canonical_alias"))["alias"] == alias,
          "canonical alias not moved")
    new_pl = await state(bob, new, "m.room.power_levels")
    check(new_pl["users"].get(alice.user) == 100 and new_pl["events_default"] == 0,
          f"new power levels {new_pl}")
    # the directory lists the new room instead of the old one
    d = await srv.req("POST", f"{CS}/publicRooms", {"filter": {"generic_search_term": alias_local}},
                      token=alice.access_token)
    check([c["room_id"] for c in d.json["chunk"]] == [new], f"directory {d.json}")
    expect_nio(await bob.room_send(new, "m.room.message", {"msgtype": "m.text", "body": "hi"}),
               R.RoomSendResponse)


async def test_upgrade_copies_encryption_and_type(srv):
    alice = await srv.nio_user("alice")
    r = await srv.req("POST", f"{CS}/createRoom",
                      {"creation_content": {"type": "m.space"},
                       "initial_state": [{"type": "m.room.encryption", "state_key": "",
                                          "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]},
                      token=alice.access_token)
    check(r.status == 200, f"{r!r}")
    room = r.json["room_id"]
    r = await upgrade(srv, alice, room, "10")
    check(r.status == 200, f"{r!r}")
    new = r.json["replacement_room"]
    create = await state(alice, new, "m.room.create")
    check(create.get("type") == "m.space" and create["predecessor"]["room_id"] == room,
          f"create {create}")
    enc = await state(alice, new, "m.room.encryption")
    check(enc == {"algorithm": "m.megolm.v1.aes-sha2"}, f"encryption {enc}")


async def test_upgrade_errors(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    eve = await srv.nio_user("eve")
    room = await joined_room(alice, [bob])
    expect_error(await upgrade(srv, bob, room), 403, "M_FORBIDDEN")  # power 0 < 100
    expect_error(await upgrade(srv, eve, room), 403, "M_FORBIDDEN")  # not in the room
    expect_error(await upgrade(srv, alice, f"!nope:{alice.user.split(':', 1)[1]}"), 403,
                 "M_FORBIDDEN")
    expect_error(await upgrade(srv, alice, room, "9999"), 400, "M_UNSUPPORTED_ROOM_VERSION")
    r = await srv.req("POST", f"{CS}/rooms/{quote(room)}/upgrade", {}, token=alice.access_token)
    expect_error(r, 400, "M_MISSING_PARAM")
    r = await srv.req("POST", f"{CS}/rooms/{quote(room)}/upgrade", {"new_version": 11},
                      token=alice.access_token)
    expect_error(r, 400, "M_BAD_JSON")
    r = await srv.req("POST", f"{CS}/rooms/{quote(room)}/upgrade", {"new_version": "11"})
    expect_error(r, 401, "M_MISSING_TOKEN")
    # nothing happened to the room
    check(await state(alice, room, "m.room.tombstone") is None, "tombstone after failures")
