"""Room aliases: /directory/room/{alias} PUT/GET/DELETE, /rooms/{id}/aliases,
joining through an alias, and m.room.canonical_alias validation (spec:
client-server "Room aliases", "m.room.canonical_alias")."""

from urllib.parse import quote

from nio import responses as R

from common import check, expect_error, expect_nio, nio_status, unique

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


def server_of(user_id):
    return user_id.split(":", 1)[1]


def alias_path(alias):
    return f"{CS}/directory/room/{quote(alias, safe='')}"


async def room_of(c, **kw):
    return expect_nio(await c.room_create(**kw), R.RoomCreateResponse).room_id


async def test_bob_joins_through_an_alias(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await room_of(alice, preset=None, name="Aliased")
    # a public join rule so bob may join
    expect_nio(await alice.room_put_state(room, "m.room.join_rules", {"join_rule": "public"}),
               R.RoomPutStateResponse)
    alias = f"#{unique('tea')}:{server_of(alice.user)}"
    expect_nio(await alice.room_put_alias(alias, room), R.RoomPutAliasResponse)
    r = expect_nio(await bob.room_resolve_alias(alias), R.RoomResolveAliasResponse)
    check(r.room_id == room, f"resolved {r.room_id} != {room}")
    check(server_of(alice.user) in r.servers, f"servers {r.servers}")
    j = expect_nio(await bob.join(alias), R.JoinResponse)
    check(j.room_id == room, f"joined {j.room_id}")
    members = expect_nio(await alice.joined_members(room), R.JoinedMembersResponse)
    check(bob.user in [m.user_id for m in members.members], f"bob not joined: {members}")
    # /rooms/{id}/aliases lists it for members
    a = await srv.req("GET", f"{CS}/rooms/{quote(room)}/aliases", token=bob.access_token)
    check(a.status == 200 and a.json["aliases"] == [alias], f"{a!r}")


async def test_resolve_needs_no_token_and_unknown_is_404(srv):
    alice = await srv.nio_user("alice")
    room = await room_of(alice)
    alias = f"#{unique('anon')}:{server_of(alice.user)}"
    expect_nio(await alice.room_put_alias(alias, room), R.RoomPutAliasResponse)
    r = await srv.req("GET", alias_path(alias))
    check(r.status == 200 and r.json["room_id"] == room, f"{r!r}")
    r = await srv.req("GET", alias_path(f"#nope{unique()}:{server_of(alice.user)}"))
    expect_error(r, 404, "M_NOT_FOUND")
    e = expect_nio(await alice.room_resolve_alias(f"#gone{unique()}:{server_of(alice.user)}"),
                   R.RoomResolveAliasError)
    check(e.status_code == "M_NOT_FOUND", f"{e}")
    r = await srv.req("GET", alias_path("not-an-alias"))
    expect_error(r, 400, "M_INVALID_PARAM")
    # another server's alias: no federation yet, so unknown
    r = await srv.req("GET", alias_path(f"#{unique()}:elsewhere.example"))
    expect_error(r, 404, "M_NOT_FOUND")


async def test_create_errors(srv):
    alice = await srv.nio_user("alice")
    mallory = await srv.nio_user("mallory")
    room = await room_of(alice)
    alias = f"#{unique('dup')}:{server_of(alice.user)}"
    expect_nio(await alice.room_put_alias(alias, room), R.RoomPutAliasResponse)
    # taken: 409 (the spec's example errcode M_UNKNOWN, as Synapse)
    # (nio 0.20 answers RoomPutAliasResponse even for errors: look at the status)
    e = await alice.room_put_alias(alias, room)
    check(nio_status(e) == 409, f"{e}")
    r = await srv.req("PUT", alias_path(alias), {"room_id": room}, token=alice.access_token)
    expect_error(r, 409, "M_UNKNOWN")
    # another server's alias
    r = await srv.req("PUT", alias_path(f"#{unique()}:elsewhere.example"), {"room_id": room},
                      token=alice.access_token)
    expect_error(r, 400, "M_INVALID_PARAM")
    # not an alias at all
    r = await srv.req("PUT", alias_path("bad"), {"room_id": room}, token=alice.access_token)
    expect_error(r, 400, "M_INVALID_PARAM")
    # no room_id
    r = await srv.req("PUT", alias_path(f"#{unique()}:{server_of(alice.user)}"), {},
                      token=alice.access_token)
    expect_error(r, 400, "M_MISSING_PARAM")
    # unknown room
    r = await srv.req("PUT", alias_path(f"#{unique()}:{server_of(alice.user)}"),
                      {"room_id": f"!nope:{server_of(alice.user)}"}, token=alice.access_token)
    expect_error(r, 404, "M_NOT_FOUND")
    # not a member of the room
    r = await srv.req("PUT", alias_path(f"#{unique()}:{server_of(alice.user)}"), {"room_id": room},
                      token=mallory.access_token)
    expect_error(r, 403, "M_FORBIDDEN")
    # no token
    r = await srv.req("PUT", alias_path(f"#{unique()}:{server_of(alice.user)}"), {"room_id": room})
    expect_error(r, 401, "M_MISSING_TOKEN")


async def test_delete_by_creator_admin_and_not_others(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await room_of(alice)
    expect_nio(await alice.room_put_state(room, "m.room.join_rules", {"join_rule": "public"}),
               R.RoomPutStateResponse)
    expect_nio(await bob.join(room), R.JoinResponse)
    hs = server_of(alice.user)
    by_bob, by_alice = f"#{unique('b')}:{hs}", f"#{unique('a')}:{hs}"
    expect_nio(await bob.room_put_alias(by_bob, room), R.RoomPutAliasResponse)
    expect_nio(await alice.room_put_alias(by_alice, room), R.RoomPutAliasResponse)
    # bob (power 0) may not delete alice's alias
    r = await srv.req("DELETE", alias_path(by_alice), token=bob.access_token)
    expect_error(r, 403, "M_FORBIDDEN")
    # alice, the room admin, may delete bob's; bob may delete his own
    expect_nio(await alice.room_delete_alias(by_bob), R.RoomDeleteAliasResponse)
    e = expect_nio(await bob.room_resolve_alias(by_bob), R.RoomResolveAliasError)
    check(e.status_code == "M_NOT_FOUND", f"{e}")
    expect_nio(await alice.room_delete_alias(by_alice), R.RoomDeleteAliasResponse)
    # deleting again: 404
    r = await srv.req("DELETE", alias_path(by_alice), token=alice.access_token)
    expect_error(r, 404, "M_NOT_FOUND")
    r = await srv.req("DELETE", alias_path("junk"), token=alice.access_token)
    expect_error(r, 400, "M_INVALID_PARAM")


async def test_room_aliases_for_members_only(srv):
    alice = await srv.nio_user("alice")
    eve = await srv.nio_user("eve")
    room = await room_of(alice)
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/aliases", token=alice.access_token)
    check(r.status == 200 and r.json == {"aliases": []}, f"{r!r}")
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/aliases", token=eve.access_token)
    expect_error(r, 403, "M_FORBIDDEN")
    r = await srv.req("GET", f"{CS}/rooms/not-a-room/aliases", token=eve.access_token)
    expect_error(r, 400, "M_INVALID_PARAM")


async def test_canonical_alias_must_point_to_the_room(srv):
    alice = await srv.nio_user("alice")
    room = await room_of(alice)
    other = await room_of(alice)
    hs = server_of(alice.user)
    mine, theirs = f"#{unique('m')}:{hs}", f"#{unique('t')}:{hs}"
    expect_nio(await alice.room_put_alias(mine, room), R.RoomPutAliasResponse)
    expect_nio(await alice.room_put_alias(theirs, other), R.RoomPutAliasResponse)
    expect_nio(await alice.room_put_state(room, "m.room.canonical_alias",
                                          {"alias": mine, "alt_aliases": [mine]}),
               R.RoomPutStateResponse)
    ev = expect_nio(await alice.room_get_state_event(room, "m.room.canonical_alias"),
                    R.RoomGetStateEventResponse)
    check(ev.content.get("alias") == mine, f"{ev.content}")
    path = f"{CS}/rooms/{quote(room)}/state/m.room.canonical_alias"
    for content in ({"alias": theirs}, {"alias": f"#missing{unique()}:{hs}"},
                    {"alias": mine, "alt_aliases": [theirs]}):
        r = await srv.req("PUT", path, content, token=alice.access_token)
        expect_error(r, 400, "M_BAD_ALIAS")
    r = await srv.req("PUT", path, {"alias": "no hash"}, token=alice.access_token)
    expect_error(r, 400, "M_INVALID_PARAM")
    # Removing the canonical alias is always allowed.
    r = await srv.req("PUT", path, {}, token=alice.access_token)
    check(r.status == 200, f"{r!r}")


async def test_deleting_an_alias_drops_it_from_the_canonical_alias(srv):
    # As Synapse: the room's m.room.canonical_alias stops naming a deleted alias.
    alice = await srv.nio_user("alice")
    room = await room_of(alice)
    hs = server_of(alice.user)
    a, b = f"#{unique('ca')}:{hs}", f"#{unique('cb')}:{hs}"
    expect_nio(await alice.room_put_alias(a, room), R.RoomPutAliasResponse)
    expect_nio(await alice.room_put_alias(b, room), R.RoomPutAliasResponse)
    expect_nio(await alice.room_put_state(room, "m.room.canonical_alias",
                                          {"alias": a, "alt_aliases": [a, b]}),
               R.RoomPutStateResponse)
    expect_nio(await alice.room_delete_alias(a), R.RoomDeleteAliasResponse)
    ev = expect_nio(await alice.room_get_state_event(room, "m.room.canonical_alias"),
                    R.RoomGetStateEventResponse)
    check(ev.content == {"alt_aliases": [b]}, f"canonical alias {ev.content}")


async def test_create_room_same_alias_at_once_leaves_one_room(srv):
    """Four createRoom with the same room_alias_name and an invite, at once,
    ten times: one is answered 200 and the others 400 M_ROOM_IN_USE, and the
    invitee has exactly the one room's invite (the refused ones used to have
    stored their rooms, invites included, before finding the alias taken)."""
    import asyncio
    from rooms_util import new_user
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    name = unique("race")
    for k in range(10):
        rs = await asyncio.gather(*[alice.req("POST", "/createRoom", {
            "room_alias_name": f"{name}{k}", "invite": [bob.user_id]}) for _ in range(4)])
        ok = [r.json["room_id"] for r in rs if r.status == 200]
        check(len(ok) == 1, f"round {k}: {[r.status for r in rs]}")
        check(all(r.json.get("errcode") == "M_ROOM_IN_USE" for r in rs if r.status != 200),
              f"round {k}: {[r.json for r in rs]}")
        body = await bob.sync()
        alias = f"#{name}{k}:{server_of(alice.user_id)}"
        invites = [rid for rid, v in body["rooms"]["invite"].items()
                   if any(e.get("content", {}).get("alias") == alias
                          for e in v["invite_state"]["events"])]
        check(invites == ok, f"round {k}: created {ok}, bob is invited to {invites}")
        r = await srv.req("GET", alias_path(alias))
        check(r.status == 200 and r.json["room_id"] == ok[0], f"alias: {r!r}")
