"""The room summary of /sync (spec: client-server "Syncing", m.heroes): the
first 5 joined or invited members by stream ordering, never the user; the
left and banned ones when nobody else is there; and with lazy-loaded members
the heroes' member events are in the state, so a client names a DM after the
other member's display name even when they have not spoken lately."""

from nio import responses as R

from common import check, expect_nio, joined_room

SERVER = {"registration": "open"}
LAZY = {"room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 5}}}


async def initial(c, flt=None):
    c.next_batch = None
    return expect_nio(await c.sync(0, sync_filter=flt), R.SyncResponse)


async def test_heroes_in_join_order_with_their_members(srv):
    alice = await srv.nio_user("alice")
    zed = await srv.nio_user("zed")  # sorts after amy by user ID but joins first
    amy = await srv.nio_user("amy")
    room = await joined_room(alice, [zed])
    expect_nio(await zed.set_displayname("Zed Z"), R.ProfileSetDisplayNameResponse)
    expect_nio(await alice.room_invite(room, amy.user), R.RoomInviteResponse)
    for i in range(12):
        expect_nio(await alice.room_send(room, "m.room.message",
                                         {"msgtype": "m.text", "body": f"m{i}"}),
                   R.RoomSendResponse)
    s = await initial(alice, LAZY)
    jr = s.rooms.join[room]
    check(jr.summary.heroes == [zed.user, amy.user], f"heroes {jr.summary.heroes}")
    check(jr.summary.joined_member_count == 2 and jr.summary.invited_member_count == 1,
          f"counts {jr.summary}")
    members = {e.source["state_key"]: e.source["content"] for e in jr.state
               if e.source.get("type") == "m.room.member"}
    check(members.get(zed.user, {}).get("displayname") == "Zed Z",
          f"zed's member event with his name: {members}")
    check(members.get(amy.user, {}).get("membership") == "invite", f"amy's invite: {members}")
    # the room as alice's client sees it: named after zed (and amy)
    check("Zed Z" in alice.rooms[room].display_name, f"name {alice.rooms[room].display_name}")


async def test_heroes_of_an_empty_room_are_the_departed(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob])
    expect_nio(await bob.room_leave(room), R.RoomLeaveResponse)
    s = await initial(alice)
    check(s.rooms.join[room].summary.heroes == [bob.user],
          f"heroes {s.rooms.join[room].summary.heroes}")


async def test_named_rooms_have_no_heroes(srv):
    """As Synapse: the spec requires heroes only for rooms without a name or alias."""
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob], name="Named")
    s = await initial(alice, LAZY)
    r = await srv.req("GET", "/_matrix/client/v3/sync", token=alice.access_token)
    summary = r.json["rooms"]["join"][room]["summary"]
    check("m.heroes" not in summary and summary["m.joined_member_count"] == 2, f"{summary}")


async def test_invite_state_names_the_inviter(srv):
    """invite_state carries the inviter's member event (as Synapse), so the
    client shows "Alice A invited you" rather than a bare user ID."""
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    expect_nio(await alice.set_displayname("Alice A"), R.ProfileSetDisplayNameResponse)
    room = expect_nio(await alice.room_create(name="Party", invite=[bob.user]),
                      R.RoomCreateResponse).room_id
    r = await srv.req("GET", "/_matrix/client/v3/sync", token=bob.access_token)
    evs = r.json["rooms"]["invite"][room]["invite_state"]["events"]
    inviter = [e for e in evs if e["type"] == "m.room.member" and e["state_key"] == alice.user]
    check(len(inviter) == 1 and inviter[0]["content"].get("displayname") == "Alice A" and
          set(inviter[0]) == {"type", "state_key", "content", "sender"}, f"inviter: {evs}")
    mine = [e for e in evs if e["type"] == "m.room.member" and e["state_key"] == bob.user]
    check(mine and mine[0]["content"]["membership"] == "invite", f"own invite: {evs}")
    check(any(e["type"] == "m.room.create" for e in evs), "m.room.create is required (v1.16)")
    # nio names the inviter from it
    s = await initial(bob)
    check(bob.invited_rooms[room].users[alice.user].display_name == "Alice A",
          f"nio inviter {bob.invited_rooms[room].users}")
