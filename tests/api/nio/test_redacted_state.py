"""A redacted state event takes part in authorisation in its redacted form
(spec: rooms v10 "Redactions": m.room.power_levels keeps ban, events,
events_default, kick, redact, state_default, users and users_default, so in
room version 10 a redaction drops a raised `invite` level; v11 keeps `invite`;
m.room.join_rules keeps join_rule and allow). As Synapse, the redaction counts
from the moment it is accepted, and still after a restart."""

from urllib.parse import quote

from nio import responses as R

from common import check, expect_error, expect_nio

SERVER = {"registration": "open", "admin": False}
CS = "/_matrix/client/v3"


async def state_event(srv, c, room, type_):
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/state/{quote(type_)}/",
                      token=c.access_token, query={"format": "event"})
    check(r.status == 200, f"state {type_}: {r!r}")
    return r.json


async def invite_status(srv, c, room, user):
    r = await srv.req("POST", f"{CS}/rooms/{quote(room)}/invite", {"user_id": user},
                      token=c.access_token)
    return r


async def room_with_invite_level(srv, version):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    r = await srv.req("POST", f"{CS}/createRoom", {
        "invite": [bob.user], "room_version": version,
        "power_level_content_override": {"invite": 50, "users": {alice.user: 100,
                                                                 bob.user: 10}}},
        token=alice.access_token)
    check(r.status == 200, f"createRoom: {r!r}")
    room = r.json["room_id"]
    expect_nio(await bob.join(room), R.JoinResponse)
    return alice, bob, room


async def test_redacted_power_levels_lose_invite_level_v10(srv):
    alice, bob, room = await room_with_invite_level(srv, "10")
    carol = await srv.nio_user("carol")
    dave = await srv.nio_user("dave")
    expect_error(await invite_status(srv, bob, room, carol.user), 403, "M_FORBIDDEN")
    pl = await state_event(srv, alice, room, "m.room.power_levels")
    expect_nio(await alice.room_redact(room, pl["event_id"], "oops"), R.RoomRedactResponse)
    # what the redaction left: users kept, invite gone (default 0)
    content = (await state_event(srv, alice, room, "m.room.power_levels"))["content"]
    check("invite" not in content and content["users"].get(bob.user) == 10, f"{content}")
    r = await invite_status(srv, bob, room, carol.user)
    check(r.status == 200, f"bob (10) invites once invite is back to 0: {r!r}")
    # bob's raised level survives (users is kept): he may still do what 10 allows,
    # and the redact level (kept) still stops him redacting alice's events
    ev = expect_nio(await alice.room_send(room, "m.room.message",
                                          {"msgtype": "m.text", "body": "hi"}),
                    R.RoomSendResponse).event_id
    r = await srv.req("PUT", f"{CS}/rooms/{quote(room)}/redact/{quote(ev)}/r1", {},
                      token=bob.access_token)
    expect_error(r, 403, "M_FORBIDDEN")
    # after a restart the room head is rebuilt from the database: still redacted
    await srv.kill_and_restart()
    r = await srv.req("POST", f"{CS}/rooms/{quote(room)}/invite", {"user_id": dave.user},
                      token=bob.access_token)
    check(r.status == 200, f"after restart: {r!r}")


async def test_redacted_power_levels_keep_invite_level_v11(srv):
    alice, bob, room = await room_with_invite_level(srv, "11")
    carol = await srv.nio_user("carol")
    pl = await state_event(srv, alice, room, "m.room.power_levels")
    expect_nio(await alice.room_redact(room, pl["event_id"]), R.RoomRedactResponse)
    content = (await state_event(srv, alice, room, "m.room.power_levels"))["content"]
    check(content.get("invite") == 50, f"v11 keeps invite: {content}")
    expect_error(await invite_status(srv, bob, room, carol.user), 403, "M_FORBIDDEN")


async def test_redacted_join_rules_and_name(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = expect_nio(await alice.room_create(name="Cats"), R.RoomCreateResponse).room_id
    # private by default: make it public, then redact that event
    jr = expect_nio(await alice.room_put_state(room, "m.room.join_rules",
                                               {"join_rule": "public", "extra": 1}),
                    R.RoomPutStateResponse).event_id
    expect_nio(await alice.room_redact(room, jr), R.RoomRedactResponse)
    content = (await state_event(srv, alice, room, "m.room.join_rules"))["content"]
    check(content == {"join_rule": "public"}, f"join_rule kept, the rest gone: {content}")
    expect_nio(await bob.join(room), R.JoinResponse)  # still public for the auth rules
    # a redacted name has no name: the state shows an empty content
    name = await state_event(srv, alice, room, "m.room.name")
    expect_nio(await alice.room_redact(room, name["event_id"]), R.RoomRedactResponse)
    check((await state_event(srv, bob, room, "m.room.name"))["content"] == {}, "name redacted")
