"""test_membership_remote.py: what a client user sees when a membership
request needs what relais does not have yet: another server (no federation)
or an identity server (no 3PID lookups). Each fails at once, the way Synapse
answers when federation with that server or 3PID lookups are denied, and
writes no event; a non-string membership `reason` is refused the same way on
every membership endpoint. Local users and rooms keep working."""

import nio

from common import check, expect_error, expect_nio
from rooms_util import CS, new_user, q

SERVER = {"registration": "open", "admin": False}

REMOTE_USER = "@x:other.org"


def server_of(user_id):
    return user_id.split(":", 1)[1]


async def member_events(srv, user, room):
    """The room's m.room.member state (state_key -> membership), read raw."""
    r = await user.req("GET", f"/rooms/{q(room)}/members")
    check(r.status == 200, f"members: {r!r}")
    return {e["state_key"]: e["content"]["membership"] for e in r.json["chunk"]}


async def test_invite_remote_user_refused_without_event(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), nio.RoomCreateResponse).room_id
    r = await alice.room_invite(room, REMOTE_USER)
    expect_nio(r, nio.RoomInviteError)
    check(r.status_code == "M_FORBIDDEN", f"errcode {r.status_code}")
    check(r.message == "Federation denied with other.org.", f"message {r.message!r}")
    raw = await srv.req("POST", f"{CS}/rooms/{q(room)}/invite", {"user_id": REMOTE_USER},
                        token=alice.access_token)
    expect_error(raw, 403, "M_FORBIDDEN")
    # the same invite written as a member state event
    raw = await srv.req("PUT", f"{CS}/rooms/{q(room)}/state/m.room.member/{q(REMOTE_USER)}",
                        {"membership": "invite"}, token=alice.access_token)
    expect_error(raw, 403, "M_FORBIDDEN")
    check(raw.json["error"] == "Federation denied with other.org.", f"{raw!r}")
    sync = expect_nio(await alice.sync(timeout=0, full_state=True), nio.SyncResponse)
    members = [e.state_key for e in sync.rooms.join[room].timeline.events
               if isinstance(e, nio.RoomMemberEvent)]
    check(REMOTE_USER not in members, f"an invite event was written: {members}")
    # a local invite still works
    bob = await srv.nio_user("bob")
    expect_nio(await alice.room_invite(room, bob.user), nio.RoomInviteResponse)
    expect_nio(await bob.join(room), nio.JoinResponse)


async def test_create_room_with_remote_invite_creates_nothing(srv):
    alice = await new_user(srv, "alice")
    before = (await alice.ok("GET", "/joined_rooms"))["joined_rooms"]
    r = await alice.req("POST", "/createRoom", {"invite": [REMOTE_USER]})
    expect_error(r, 403, "M_FORBIDDEN")
    check(r.json["error"] == "Federation denied with other.org.", f"{r!r}")
    after = (await alice.ok("GET", "/joined_rooms"))["joined_rooms"]
    check(after == before, f"a room was created anyway: {before} -> {after}")
    bob = await new_user(srv, "bob")
    room = (await alice.ok("POST", "/createRoom", {"invite": [bob.user_id]}))["room_id"]
    check((await member_events(srv, alice, room)).get(bob.user_id) == "invite",
          "local invite in createRoom lost")


async def test_join_remote_room_or_alias_fails_clearly(srv):
    alice = await srv.nio_user("alice")
    # a remote alias would be a federation directory query
    r = await alice.join("#room:other.org")
    expect_nio(r, nio.JoinError)
    check((r.status_code, r.message) == ("M_UNKNOWN", "Failed to fetch alias"), f"{r}")
    raw = await srv.req("POST", f"{CS}/join/{q('#room:other.org')}", {},
                        token=alice.access_token)
    expect_error(raw, 502, "M_UNKNOWN")
    # a remote room ID: no server to ask, or only remote ones
    raw = await srv.req("POST", f"{CS}/join/{q('!abc:other.org')}", {}, token=alice.access_token)
    expect_error(raw, 404, "M_UNKNOWN")
    check(raw.json["error"] == "No known servers", f"{raw!r}")
    raw = await srv.req("POST", f"{CS}/rooms/{q('!abc:other.org')}/join", {},
                        token=alice.access_token)
    expect_error(raw, 404, "M_UNKNOWN")
    for key in ("server_name", "via"):
        raw = await srv.req("POST", f"{CS}/join/{q('!abc:other.org')}", {},
                            token=alice.access_token, query={key: "other.org"})
        expect_error(raw, 502, "M_UNKNOWN")
        check(raw.json["error"] == "Failed to make_join via any server", f"{raw!r}")
    # knocking asks the room ID's own server too
    raw = await srv.req("POST", f"{CS}/knock/{q('!abc:other.org')}", {},
                        token=alice.access_token)
    expect_error(raw, 502, "M_UNKNOWN")
    check(raw.json["error"] == "Failed to make_knock via any server", f"{raw!r}")
    raw = await srv.req("POST", f"{CS}/knock/{q('#room:other.org')}", {},
                        token=alice.access_token)
    expect_error(raw, 502, "M_UNKNOWN")
    joined = (await srv.req("GET", f"{CS}/joined_rooms", token=alice.access_token)).json
    check(joined["joined_rooms"] == [], f"joined something: {joined}")
    # local rooms, by ID (with a via naming us or not) and by alias, still join
    bob = await srv.nio_user("bob")
    room = expect_nio(await bob.room_create(alias="gaps2local", preset=nio.RoomPreset.public_chat),
                      nio.RoomCreateResponse).room_id
    expect_nio(await alice.join(f"#gaps2local:{server_of(bob.user)}"), nio.JoinResponse)
    expect_nio(await alice.room_leave(room), nio.RoomLeaveResponse)
    raw = await srv.req("POST", f"{CS}/join/{q(room)}", {}, token=alice.access_token,
                        query={"via": "other.org"})
    check(raw.status == 200 and raw.json == {"room_id": room}, f"local join with via: {raw!r}")
    # an unknown room ID of this server is still the local answer
    raw = await srv.req("POST", f"{CS}/join/{q('!nope:' + server_of(bob.user))}", {},
                        token=alice.access_token)
    expect_error(raw, 404, "M_NOT_FOUND")


async def test_third_party_invites_refused_as_synapse_without_lookups(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room()
    body = {"id_server": "id.example.org", "id_access_token": "tok",
            "medium": "email", "address": "carol@example.org"}
    r = await alice.req("POST", f"/rooms/{q(room)}/invite", body)
    expect_error(r, 403, "M_UNKNOWN")
    check(r.json["error"] == "Looking up third-party identifiers is denied from this server",
          f"{r!r}")
    r = await alice.req("POST", f"/rooms/{q(room)}/invite",
                        {"medium": "email", "address": "carol@example.org"})
    expect_error(r, 400, "M_MISSING_PARAM")
    check("id_server" in r.json["error"], f"{r!r}")
    members = await member_events(srv, alice, room)
    check(members == {alice.user_id: "join"}, f"an event was written: {members}")
    check((await alice.ok("GET", f"/rooms/{q(room)}/state")) is not None, "state")
    state = await alice.ok("GET", f"/rooms/{q(room)}/state")
    check(not any(e["type"] == "m.room.third_party_invite" for e in state),
          "a third_party_invite event was written")
    before = (await alice.ok("GET", "/joined_rooms"))["joined_rooms"]
    r = await alice.req("POST", "/createRoom", {"invite_3pid": [body]})
    expect_error(r, 403, "M_UNKNOWN")
    partial = {k: v for k, v in body.items() if k != "id_access_token"}
    r = await alice.req("POST", "/createRoom", {"invite_3pid": [partial]})
    expect_error(r, 400, "M_MISSING_PARAM")
    r = await alice.req("POST", "/createRoom", {"invite_3pid": "carol@example.org"})
    expect_error(r, 400, "M_BAD_JSON")
    after = (await alice.ok("GET", "/joined_rooms"))["joined_rooms"]
    check(after == before, f"createRoom with invite_3pid created a room: {before} -> {after}")
    # an empty invite_3pid list is nothing to refuse
    await alice.ok("POST", "/createRoom", {"invite_3pid": []})


async def test_non_string_reason_refused_on_every_membership_endpoint(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await alice.create_room(preset="public_chat")
    await bob.join(room)
    cases = [
        (bob, f"/rooms/{q(room)}/leave", {}),
        (bob, f"/rooms/{q(room)}/join", {}),
        (bob, f"/join/{q(room)}", {}),
        (bob, f"/knock/{q(room)}", {}),
        (alice, f"/rooms/{q(room)}/kick", {"user_id": bob.user_id}),
        (alice, f"/rooms/{q(room)}/ban", {"user_id": bob.user_id}),
        (alice, f"/rooms/{q(room)}/unban", {"user_id": bob.user_id}),
        (alice, f"/rooms/{q(room)}/invite", {"user_id": bob.user_id}),
    ]
    before = await member_events(srv, alice, room)
    for bad in (5, {"text": "x"}, ["x"], True):
        for who, path, body in cases:
            r = await who.req("POST", path, dict(body, reason=bad))
            expect_error(r, 400, "M_BAD_JSON")
            check(r.json["error"] == "reason must be a string", f"{path}: {r!r}")
    check(await member_events(srv, alice, room) == before, "a member event was written")
    # a string reason lands in the event; null is no reason
    await alice.ok("POST", f"/rooms/{q(room)}/kick", {"user_id": bob.user_id, "reason": "spam"})
    r = await alice.ok("GET", f"/rooms/{q(room)}/state/m.room.member/{q(bob.user_id)}")
    check(r == {"membership": "leave", "reason": "spam"}, f"kick content {r}")
    await alice.ok("POST", f"/rooms/{q(room)}/invite", {"user_id": bob.user_id, "reason": None})
    r = await alice.ok("GET", f"/rooms/{q(room)}/state/m.room.member/{q(bob.user_id)}")
    check("reason" not in r and r["membership"] == "invite", f"invite content {r}")


async def test_global_initial_sync_as_synapse(srv):
    """GET /initialSync (deprecated, still called by bots): joined rooms with
    state and newest messages, invites as their event, departed rooms only
    with ?archived=true and only up to the leave; history visibility holds."""
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await alice.create_room(preset="public_chat", name="kept")
    await alice.state(room, "m.room.history_visibility", {"history_visibility": "joined"})
    await alice.send(room, "before bob")
    await bob.join(room)
    for i in range(12):
        await alice.send(room, f"m{i}")
    other = await alice.create_room(name="invited")
    await alice.invite(other, bob.user_id)
    gone = await alice.create_room(preset="public_chat", name="gone")
    await bob.join(gone)
    await alice.send(gone, "while bob was there")
    await bob.ok("POST", f"/rooms/{q(gone)}/leave", {})
    await alice.send(gone, "after bob left")
    await bob.ok("PUT", f"/user/{q(bob.user_id)}/account_data/org.example.g", {"k": 1})

    body = await bob.ok("GET", "/initialSync", query={"limit": "5"})
    check(isinstance(body.get("end"), str) and body.get("presence") == [], f"top level {body}")
    check({"type": "org.example.g", "content": {"k": 1}} in body["account_data"],
          f"global account data {body['account_data']}")
    by_id = {r["room_id"]: r for r in body["rooms"]}
    check(set(by_id) == {room, other}, f"rooms {set(by_id)}")
    joined = by_id[room]
    check(joined["membership"] == "join", f"{joined}")
    msgs = [e["content"]["body"] for e in joined["messages"]["chunk"]
            if e["type"] == "m.room.message"]
    check(msgs == ["m7", "m8", "m9", "m10", "m11"], f"newest 5 oldest first: {msgs}")
    names = [e["content"].get("name") for e in joined["state"] if e["type"] == "m.room.name"]
    check(names == ["kept"], f"state {names}")
    inv = by_id[other]
    check(inv["membership"] == "invite" and inv["invite"]["state_key"] == bob.user_id
          and inv["invite"]["content"]["membership"] == "invite", f"invite entry {inv}")

    body = await bob.ok("GET", "/initialSync", query={"limit": "50", "archived": "true"})
    by_id = {r["room_id"]: r for r in body["rooms"]}
    check(gone in by_id and by_id[gone]["membership"] == "leave", f"archived {set(by_id)}")
    seen = [e["content"]["body"] for e in by_id[gone]["messages"]["chunk"]
            if e["type"] == "m.room.message"]
    check(seen == ["while bob was there"], f"departed room shows {seen}")
    seen = [e["content"]["body"] for e in by_id[room]["messages"]["chunk"]
            if e["type"] == "m.room.message"]
    check("before bob" not in seen and seen[-1] == "m11",
          f"history_visibility joined not enforced: {seen}")
    r = await bob.req("GET", "/initialSync", query={"limit": "x"})
    check(r.status == 400, f"bad limit {r!r}")
