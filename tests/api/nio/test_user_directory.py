"""User directory (spec: POST /user_directory/search) with the default
configuration: a colleague sharing a room is found by part of their display
name or user ID, case- and accent-insensitively; a member of a public room
is found; a stranger sharing no room is not; limit and limited; errors."""

from common import check, expect_error, unique
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}


async def named(srv, prefix, name):
    u = await new_user(srv, prefix)
    await u.ok("PUT", f"/profile/{q(u.user_id)}/displayname", {"displayname": name})
    return u


async def search(user, term, limit=None):
    body = {"search_term": term}
    if limit is not None:
        body["limit"] = limit
    return await user.ok("POST", "/user_directory/search", body)


def ids(got):
    return [r["user_id"] for r in got["results"]]


async def test_colleague_by_part_of_display_name(srv):
    tag = unique("x")[-6:].lower()
    me = await named(srv, "me", f"Searcher {tag}")
    colleague = await named(srv, "anna", f"Anna Müller-{tag}")
    stranger = await named(srv, "anne", f"Anne Muller-{tag}")
    await room_with(me, [colleague])
    got = await search(me, f"müll")
    check(colleague.user_id in ids(got), f"found by 'müll': {got}")
    got = await search(me, f"MULLER-{tag}")
    check(ids(got) == [colleague.user_id], f"accent and case folded, stranger hidden: {got}")
    r = got["results"][0]
    check(r["display_name"] == f"Anna Müller-{tag}", f"display name as set: {r}")
    check(got["limited"] is False, f"{got}")
    got = await search(me, f"anna {tag}")
    check(ids(got) == [colleague.user_id], f"every word must match: {got}")
    localpart = colleague.user_id[1:].split(":")[0]
    got = await search(me, localpart[2:].upper())
    check(colleague.user_id in ids(got), f"by part of the user ID: {got}")
    check(stranger.user_id not in ids(await search(me, tag)), "a stranger is not listed")


async def test_public_room_member_found(srv):
    tag = unique("p")[-6:].lower()
    me = await named(srv, "me", "Me")
    host = await named(srv, "host", f"Host Zoë {tag}")
    room = await host.create_room(preset="public_chat")
    check(room, "room")
    got = await search(me, f"zoe {tag}")
    check(ids(got) == [host.user_id], f"a member of a public room is found: {got}")
    # once the room is invite-only the host is no longer found
    r = await host.state(room, "m.room.join_rules", {"join_rule": "invite"})
    check(r.status == 200, f"{r!r}")
    got = await search(me, f"zoe {tag}")
    check(ids(got) == [], f"not found after the room closed: {got}")


async def test_limit_and_limited(srv):
    tag = unique("l")[-6:].lower()
    me = await named(srv, "me", "Limit searcher")
    others = [await named(srv, f"team{i}", f"Team {tag} {i}") for i in range(3)]
    await room_with(me, others)
    got = await search(me, f"team {tag}", limit=2)
    check(len(got["results"]) == 2 and got["limited"] is True, f"{got}")
    got = await search(me, f"team {tag}")
    check(len(got["results"]) == 3 and got["limited"] is False, f"{got}")
    check([r["display_name"] for r in got["results"]] == [f"Team {tag} {i}" for i in range(3)],
          f"ordered by name: {got}")
    got = await search(me, "   ")
    check(got == {"results": [], "limited": False}, f"blank term: {got}")


async def test_errors(srv):
    me = await new_user(srv, "me")
    r = await me.req("POST", "/user_directory/search", {})
    expect_error(r, 400, "M_MISSING_PARAM")
    r = await me.req("POST", "/user_directory/search", {"search_term": 3})
    expect_error(r, 400, "M_BAD_JSON")
    r = await me.req("POST", "/user_directory/search", {"search_term": "a", "limit": "x"})
    expect_error(r, 400, "M_BAD_JSON")
    r = await me.req("POST", "/user_directory/search", {"search_term": "a", "limit": -1})
    expect_error(r, 400, "M_INVALID_PARAM")
    r = await srv.req("POST", "/_matrix/client/v3/user_directory/search", {"search_term": "a"})
    expect_error(r, 401, "M_MISSING_TOKEN")
