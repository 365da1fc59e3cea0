"""Presence (spec: client-server "Presence"): set by PUT and by /sync's
set_presence, seen by room-mates in /sync and GET, not by strangers; idle
and offline timeouts (shortened here through [presence] options); errors."""

import asyncio

from common import check, expect_error
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open",
          "set": {"presence.idle_timeout_ms": "1500", "presence.offline_timeout_ms": "1500"}}


def presence_of(body, user_id):
    evs = [e for e in body["presence"]["events"] if e["sender"] == user_id]
    return evs[-1]["content"] if evs else None


async def test_set_and_seen_by_room_mates(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    await room_with(alice, [bob])
    since = (await bob.sync())["next_batch"]
    await alice.ok("PUT", f"/presence/{q(alice.user_id)}/status",
                   {"presence": "online", "status_msg": "en réunion"})
    got = await alice.ok("GET", f"/presence/{q(alice.user_id)}/status")
    check(got["presence"] == "online" and got["status_msg"] == "en réunion" and
          got["currently_active"] is True and got["last_active_ago"] >= 0, f"{got}")
    b = await bob.sync(since=since, timeout=5000)
    c = presence_of(b, alice.user_id)
    check(c and c["presence"] == "online" and c["status_msg"] == "en réunion", f"bob: {b['presence']}")
    got = await bob.ok("GET", f"/presence/{q(alice.user_id)}/status")
    check(got["presence"] == "online", f"{got}")
    expect_error(await carol.req("GET", f"/presence/{q(alice.user_id)}/status"), 403,
                 "M_FORBIDDEN")
    check(presence_of(await carol.sync(), alice.user_id) is None, "carol shares no room")
    await alice.ok("PUT", f"/presence/{q(alice.user_id)}/status", {"presence": "unavailable"})
    b = await bob.sync(since=b["next_batch"], timeout=5000)
    c = presence_of(b, alice.user_id)
    check(c and c["presence"] == "unavailable" and "status_msg" not in c, f"{b['presence']}")


async def test_sync_sets_presence_and_timeouts(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    await room_with(alice, [bob])
    await alice.req("GET", "/sync", query={"timeout": "0", "set_presence": "online"})
    got = await bob.ok("GET", f"/presence/{q(alice.user_id)}/status")
    check(got["presence"] == "online", f"a /sync makes alice online: {got}")
    # no more /sync from alice: offline after the grace period (1.5 s here)
    await asyncio.sleep(3.5)
    got = await bob.ok("GET", f"/presence/{q(alice.user_id)}/status")
    check(got["presence"] == "offline", f"offline after the timeout: {got}")
    # set by PUT (no /sync): online, then unavailable after the idle timeout
    await alice.ok("PUT", f"/presence/{q(alice.user_id)}/status", {"presence": "online"})
    check((await bob.ok("GET", f"/presence/{q(alice.user_id)}/status"))["presence"] == "online",
          "online by PUT")
    since = (await bob.sync())["next_batch"]
    b = await bob.sync(since=since, timeout=8000)
    c = presence_of(b, alice.user_id)
    check(c and c["presence"] == "unavailable", f"idle wakes bob's long-poll: {b['presence']}")
    # set_presence=unavailable on /sync
    await alice.req("GET", "/sync", query={"timeout": "0", "set_presence": "unavailable"})
    got = await bob.ok("GET", f"/presence/{q(alice.user_id)}/status")
    check(got["presence"] == "unavailable", f"{got}")


async def test_presence_errors(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    path = f"/presence/{q(alice.user_id)}/status"
    expect_error(await bob.req("PUT", path, {"presence": "online"}), 403, "M_FORBIDDEN")
    expect_error(await alice.req("PUT", path, {}), 400, "M_MISSING_PARAM")
    expect_error(await alice.req("PUT", path, {"presence": "busy"}), 400, "M_INVALID_PARAM")
    expect_error(await alice.req("PUT", path, {"presence": 1}), 400, "M_BAD_JSON")
    expect_error(await alice.req("PUT", path, {"presence": "online", "status_msg": 3}), 400,
                 "M_BAD_JSON")
    expect_error(await alice.req("PUT", path, "nope"), 400, "M_NOT_JSON")
    expect_error(await alice.req("GET", "/sync", query={"set_presence": "away"}), 400,
                 "M_INVALID_PARAM")
    expect_error(await srv.req("GET", "/_matrix/client/v3" + path), 401, "M_MISSING_TOKEN")
