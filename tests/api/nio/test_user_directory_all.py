"""User directory with [user_directory] search_all_users = 1 (as government
directories need): a local user sharing no room is found; a deactivated one
is not."""

import asyncio

from common import PASSWORD, check, unique
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
    # a deactivated account is no longer listed
    auth = {"type": "m.login.password", "password": PASSWORD,
            "identifier": {"type": "m.id.user", "user": stranger.user_id}}
    await stranger.ok("POST", "/account/deactivate", {"auth": auth})
    got = await me.ok("POST", "/user_directory/search", {"search_term": f"orsted {tag}"})
    check(got["results"] == [], f"deactivated user listed: {got}")


async def test_best_kept_among_many_matches(srv):
    tag = unique("m")[-6:].lower()
    me = await new_user(srv, "me")

    async def named(i):
        u = await new_user(srv, "many")
        await u.ok("PUT", f"/profile/{q(u.user_id)}/displayname",
                   {"displayname": f"Many {tag} {i:02d}"})

    # 72 matches fill the scan's buffer (4 * limit + 64) before the best 8 come
    await asyncio.gather(*[named(i) for i in range(8, 80)])
    await asyncio.gather(*[named(i) for i in range(8)])
    got = await me.ok("POST", "/user_directory/search", {"search_term": f"many {tag}", "limit": 2})
    check([r["display_name"] for r in got["results"]] == [f"Many {tag} 00", f"Many {tag} 01"],
          f"{got}")
    check(got["limited"] is True, f"{got}")
