"""The published room directory: /directory/list/room/{id} and /publicRooms
(spec: client-server "Listing rooms")."""

from urllib.parse import quote

from nio import RoomVisibility
from nio import responses as R

from common import check, expect_error, expect_nio, unique

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


def vis_path(room):
    return f"{CS}/directory/list/room/{quote(room)}"


async def search(srv, token, term, **extra):
    body = {"filter": {"generic_search_term": term}}
    body.update(extra)
    r = await srv.req("POST", f"{CS}/publicRooms", body, token=token)
    check(r.status == 200, f"publicRooms: {r!r}")
    return r.json


async def test_public_room_is_listed_and_leaves_when_unlisted(srv):
    alice = await srv.nio_user("alice")
    word = unique("Puffin")
    name = f"{word} lounge"
    room = expect_nio(await alice.room_create(visibility=RoomVisibility.public, name=name,
                                              topic="birds and tea"), R.RoomCreateResponse).room_id
    v = expect_nio(await alice.room_get_visibility(room), R.RoomGetVisibilityResponse)
    check(v.visibility == "public", f"{v}")
    r = await srv.req("GET", f"{CS}/publicRooms")  # no token needed
    check(r.status == 200, f"{r!r}")
    mine = [c for c in r.json["chunk"] if c["room_id"] == room]
    check(len(mine) == 1, f"room not listed: {r.json}")
    c = mine[0]
    check(c["name"] == name and c["topic"] == "birds and tea" and c["num_joined_members"] == 1 and
          c["world_readable"] is False and c["guest_can_join"] is False and
          c["join_rule"] == "public", f"chunk {c}")
    check(r.json["total_room_count_estimate"] >= 1, f"{r.json}")
    # unlist it
    r = await srv.req("PUT", vis_path(room), {"visibility": "private"}, token=alice.access_token)
    check(r.status == 200, f"{r!r}")
    v = expect_nio(await alice.room_get_visibility(room), R.RoomGetVisibilityResponse)
    check(v.visibility == "private", f"{v}")
    r = await srv.req("GET", f"{CS}/publicRooms", token=alice.access_token)
    check(all(c["room_id"] != room for c in r.json["chunk"]), f"still listed: {r.json}")
    # and list it again
    r = await srv.req("PUT", vis_path(room), {"visibility": "public"}, token=alice.access_token)
    check(r.status == 200, f"{r!r}")
    found = await search(srv, alice.access_token, word)
    check([c["room_id"] for c in found["chunk"]] == [room], f"{found}")


async def test_search_term_matches_name_topic_and_alias(srv):
    alice = await srv.nio_user("alice")
    word = unique("Zebra")
    by_name = expect_nio(await alice.room_create(visibility=RoomVisibility.public,
                                                 name=f"The {word} room"),
                         R.RoomCreateResponse).room_id
    by_topic = expect_nio(await alice.room_create(visibility=RoomVisibility.public, name="x",
                                                  topic=f"all about {word.lower()}s"),
                          R.RoomCreateResponse).room_id
    alias_local = unique("zz") + word.lower()
    by_alias = expect_nio(await alice.room_create(visibility=RoomVisibility.public,
                                                  alias=alias_local),
                          R.RoomCreateResponse).room_id
    expect_nio(await alice.room_create(visibility=RoomVisibility.public, name="unrelated"),
               R.RoomCreateResponse)
    found = await search(srv, alice.access_token, word.upper())
    got = {c["room_id"] for c in found["chunk"]}
    check(got == {by_name, by_topic, by_alias}, f"found {got}")
    alias_chunk = [c for c in found["chunk"] if c["room_id"] == by_alias][0]
    check(alias_chunk["canonical_alias"].startswith(f"#{alias_local}:"), f"{alias_chunk}")
    none = await search(srv, alice.access_token, unique("nothing"))
    check(none["chunk"] == [], f"{none}")


async def test_private_rooms_and_invite_only_are_not_listed(srv):
    alice = await srv.nio_user("alice")
    word = unique("Hidden")
    expect_nio(await alice.room_create(name=word), R.RoomCreateResponse)
    # published but invite-only: not listed (as Synapse)
    room = expect_nio(await alice.room_create(visibility=RoomVisibility.public, name=word),
                      R.RoomCreateResponse).room_id
    expect_nio(await alice.room_put_state(room, "m.room.join_rules", {"join_rule": "invite"}),
               R.RoomPutStateResponse)
    check((await search(srv, alice.access_token, word))["chunk"] == [], "invite-only room listed")


async def test_pagination_and_order(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    word = unique("Page")
    rooms = []
    for i in range(5):
        rooms.append(expect_nio(await alice.room_create(visibility=RoomVisibility.public,
                                                        name=f"{word} {i}"),
                                R.RoomCreateResponse).room_id)
    # the room with two members comes first
    expect_nio(await bob.join(rooms[3]), R.JoinResponse)
    first = await search(srv, alice.access_token, word, limit=2)
    check(len(first["chunk"]) == 2 and "next_batch" in first and "prev_batch" not in first,
          f"{first}")
    check(first["chunk"][0]["room_id"] == rooms[3] and
          first["chunk"][0]["num_joined_members"] == 2, f"{first}")
    seen = [c["room_id"] for c in first["chunk"]]
    page = first
    while "next_batch" in page:
        page = await search(srv, alice.access_token, word, limit=2, since=page["next_batch"])
        check("prev_batch" in page, f"{page}")
        seen += [c["room_id"] for c in page["chunk"]]
    check(sorted(seen) == sorted(rooms) and len(seen) == 5, f"pages {seen}")
    back = await search(srv, alice.access_token, word, limit=2, since=page["prev_batch"])
    check([c["room_id"] for c in back["chunk"]] == seen[2:4], f"{back}")
    # GET with limit and since too
    r = await srv.req("GET", f"{CS}/publicRooms", query={"limit": "1"})
    check(r.status == 200 and len(r.json["chunk"]) == 1 and "next_batch" in r.json, f"{r!r}")
    r2 = await srv.req("GET", f"{CS}/publicRooms",
                       query={"limit": "1", "since": r.json["next_batch"]})
    check(r2.status == 200 and r2.json["chunk"][0]["room_id"] != r.json["chunk"][0]["room_id"],
          f"{r2!r}")


async def test_directory_errors(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = expect_nio(await alice.room_create(visibility=RoomVisibility.public),
                      R.RoomCreateResponse).room_id
    expect_nio(await bob.join(room), R.JoinResponse)
    # bob (power 0) may not change the listing
    r = await srv.req("PUT", vis_path(room), {"visibility": "private"}, token=bob.access_token)
    expect_error(r, 403, "M_FORBIDDEN")
    r = await srv.req("PUT", vis_path(room), {"visibility": "sideways"}, token=alice.access_token)
    expect_error(r, 400, "M_INVALID_PARAM")
    missing = f"!nope:{alice.user.split(':', 1)[1]}"
    r = await srv.req("GET", vis_path(missing))
    expect_error(r, 404, "M_NOT_FOUND")
    r = await srv.req("PUT", vis_path(missing), {"visibility": "public"}, token=alice.access_token)
    expect_error(r, 404, "M_NOT_FOUND")
    r = await srv.req("PUT", vis_path(room), {"visibility": "public"})
    expect_error(r, 401, "M_MISSING_TOKEN")
    r = await srv.req("GET", f"{CS}/publicRooms", query={"since": "bogus"})
    expect_error(r, 400, "M_INVALID_PARAM")
    r = await srv.req("GET", f"{CS}/publicRooms", query={"limit": "-3"})
    expect_error(r, 400, "M_INVALID_PARAM")
    r = await srv.req("POST", f"{CS}/publicRooms", {"limit": "ten"}, token=alice.access_token)
    expect_error(r, 400, "M_BAD_JSON")
    r = await srv.req("POST", f"{CS}/publicRooms", {"filter": []}, token=alice.access_token)
    expect_error(r, 400, "M_BAD_JSON")
    r = await srv.req("POST", f"{CS}/publicRooms", {})
    expect_error(r, 401, "M_MISSING_TOKEN")
    # another server's directory would need federation: not found (our own name is fine)
    r = await srv.req("GET", f"{CS}/publicRooms", query={"server": "elsewhere.example"})
    expect_error(r, 404, "M_NOT_FOUND")
    r = await srv.req("GET", f"{CS}/publicRooms", query={"server": alice.user.split(":", 1)[1]})
    check(r.status == 200, f"{r!r}")
