"""Who may list a room's members (spec: client-server GET /joined_members:
"The current user must be in the room"; GET /members: "If you have left the
room then this will be the members of the room when you left", membership and
not_membership "create an 'or' condition")."""

from urllib.parse import quote

from nio import responses as R

from common import check, expect_error, expect_nio, joined_room

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


async def members(srv, c, room, **query):
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/members", token=c.access_token,
                      query=query)
    check(r.status == 200, f"/members {query}: {r!r}")
    return sorted((e["state_key"], e["content"]["membership"]) for e in r.json["chunk"])


async def test_joined_members_only_for_joined_users(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    dave = await srv.nio_user("dave")
    room = await joined_room(alice, [bob])
    joined = expect_nio(await bob.joined_members(room), R.JoinedMembersResponse)
    check(sorted(m.user_id for m in joined.members) == sorted([alice.user, bob.user]),
          f"joined {joined.members}")
    expect_nio(await bob.room_leave(room), R.RoomLeaveResponse)
    # departed: 403, even though /members still answers with the state at the leave
    r = await bob.joined_members(room)
    check(isinstance(r, R.JoinedMembersError) and r.status_code == "M_FORBIDDEN", f"{r}")
    raw = await srv.req("GET", f"{CS}/rooms/{quote(room)}/joined_members",
                        token=bob.access_token)
    expect_error(raw, 403, "M_FORBIDDEN")
    # never a member
    expect_error(await srv.req("GET", f"{CS}/rooms/{quote(room)}/joined_members",
                               token=dave.access_token), 403, "M_FORBIDDEN")
    # an unknown room
    expect_error(await srv.req("GET", f"{CS}/rooms/{quote('!nope:localhost')}/joined_members",
                               token=dave.access_token), 403, "M_FORBIDDEN")
    # world_readable history lets anyone read /members, but joined_members needs a join
    pub = expect_nio(await alice.room_create(initial_state=[{
        "type": "m.room.history_visibility", "state_key": "",
        "content": {"history_visibility": "world_readable"}}]), R.RoomCreateResponse).room_id
    expect_error(await srv.req("GET", f"{CS}/rooms/{quote(pub)}/joined_members",
                               token=dave.access_token), 403, "M_FORBIDDEN")


async def test_members_of_a_departed_user_stop_at_the_leave(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    carol = await srv.nio_user("carol")
    dave = await srv.nio_user("dave")
    room = expect_nio(await alice.room_create(invite=[bob.user, carol.user]),
                      R.RoomCreateResponse).room_id
    expect_nio(await bob.join(room), R.JoinResponse)
    token = expect_nio(await bob.sync(0), R.SyncResponse).next_batch
    expect_nio(await bob.room_leave(room), R.RoomLeaveResponse)
    expect_nio(await carol.join(room), R.JoinResponse)  # after bob left
    at_leave = [(alice.user, "join"), (bob.user, "leave"), (carol.user, "invite")]
    check(await members(srv, bob, room) == sorted(at_leave), "bob sees the room at his leave")
    now = sorted([(alice.user, "join"), (bob.user, "leave"), (carol.user, "join")])
    check(await members(srv, alice, room) == now, "alice sees the present")
    # at= before the leave
    check(await members(srv, bob, room, at=token) ==
          sorted([(alice.user, "join"), (bob.user, "join"), (carol.user, "invite")]),
          "at a token before the leave")
    # membership / not_membership, alone and together ('or')
    check(await members(srv, bob, room, membership="join") == [(alice.user, "join")],
          "membership=join")
    check(await members(srv, bob, room, not_membership="leave") ==
          sorted([(alice.user, "join"), (carol.user, "invite")]), "not_membership=leave")
    check(await members(srv, bob, room, membership="leave", not_membership="join") ==
          sorted([(bob.user, "leave"), (carol.user, "invite")]), "membership or not not_membership")
    check(await members(srv, alice, room, membership="invite", not_membership="join") ==
          [(bob.user, "leave")], "nobody invited now: only the non-joined")
    # a user who was never in the (shared-history) room may not read it
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/members", token=dave.access_token)
    expect_error(r, 403, "M_FORBIDDEN")
