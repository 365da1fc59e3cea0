"""User directory with [user_directory] search_all_users = 1 (as government
directories need): a local user sharing no room is found; a deactivated one
is not."""

from common import check, unique
from rooms_util import new_user, q

SERVER = {"registration": "open", "set": {"user_directory.search_all_users": "1"}}


async def test_stranger_found_when_searching_all(srv):
    tag = unique("a")[-6:].lower()
    me = await new_user(srv, "me")
    stranger = await new_user(srv, "agent")
    await stranger.ok("PUT", f"/profile/{q(stranger.user_id)}/displayname",
                      {"displayname": f"Agent Ørsted {tag}"})
    got = await me.ok("POST", "/user_directory/search", {"search_term": f"orsted {tag}"})
    check([r["user_id"] for r in got["results"]] == [stranger.user_id], f"{got}")
    check(got["results"][0]["display_name"] == f"Agent Ørsted {tag}", f"{got}")
