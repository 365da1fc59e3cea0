"""test_profile_rooms.py: a display name or avatar change reaches the rooms
the user has joined as a new member event, so the other members' clients
show the new name (Synapse does the same)."""

import nio

from common import check, expect_nio

SERVER = {"registration": "open", "admin": False}


async def test_displayname_change_reaches_joined_rooms(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = expect_nio(await alice.room_create(name="names"), nio.RoomCreateResponse).room_id
    expect_nio(await alice.room_invite(room, bob.user), nio.RoomInviteResponse)
    expect_nio(await bob.join(room), nio.JoinResponse)
    expect_nio(await bob.sync(timeout=0), nio.SyncResponse)
    expect_nio(await alice.set_displayname("Alice Martin"), nio.ProfileSetDisplayNameResponse)
    expect_nio(await alice.set_avatar("mxc://localhost/abc"), nio.ProfileSetAvatarResponse)
    r = expect_nio(await bob.sync(timeout=5000), nio.SyncResponse)
    joined = r.rooms.join.get(room)
    check(joined is not None, "bob's sync has no news from the room")
    members = [e for e in joined.timeline.events if isinstance(e, nio.RoomMemberEvent)
               and e.state_key == alice.user]
    check(members, f"no member event for alice in {joined.timeline.events}")
    check(bob.rooms[room].user_name(alice.user) == "Alice Martin",
          f"bob sees alice as {bob.rooms[room].user_name(alice.user)!r}")
    last = members[-1].content
    check(last.get("membership") == "join" and last.get("avatar_url") == "mxc://localhost/abc",
          f"last member content {last}")


async def test_left_rooms_are_not_touched(srv):
    alice = await srv.nio_user("carol")
    room = expect_nio(await alice.room_create(name="left"), nio.RoomCreateResponse).room_id
    expect_nio(await alice.room_leave(room), nio.RoomLeaveResponse)
    expect_nio(await alice.set_displayname("Carol"), nio.ProfileSetDisplayNameResponse)
    r = await srv.req("GET", f"/_matrix/client/v3/rooms/{room}/messages",
                      token=alice.access_token, query={"dir": "b", "limit": "5"})
    names = [e["content"].get("displayname") for e in r.json.get("chunk", [])
             if e["type"] == "m.room.member"]
    check("Carol" not in names, f"a left room got the new name: {names}")
