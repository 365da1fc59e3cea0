"""Unread counts in /sync and GET /notifications as users see them: messages
count, a read receipt clears the count, a mention by display name or by
m.mentions highlights, a disabled rule stops notifying, and a room rule
silences a room (spec: client-server "Push Notifications", "Receiving
notifications", "Listing Notifications")."""

from common import check, expect_error
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}


async def set_name(user, room, name):
    """The display name in the room (the member event the rules look at)."""
    r = await user.state(room, "m.room.member", {"membership": "join", "displayname": name},
                         key=user.user_id)
    check(r.status == 200, f"{r!r}")


async def counts(user, room):
    body = await user.sync()
    r = body["rooms"]["join"][room]["unread_notifications"]
    return r["notification_count"], r["highlight_count"]


async def test_receipt_clears_unread_count(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [bob, carol])
    check(await counts(bob, room) == (0, 0), "nothing unread yet")
    evs = [await alice.send(room, f"message {i}") for i in range(3)]
    check(await counts(bob, room) == (3, 0), f"3 unread: {await counts(bob, room)}")
    check(await counts(alice, room) == (0, 0), "own messages do not count")
    since = (await bob.sync())["next_batch"]
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(evs[1])}", {})
    b = await bob.sync(since=since, timeout=5000)
    un = b["rooms"]["join"][room]["unread_notifications"]
    check(un == {"notification_count": 1, "highlight_count": 0}, f"after receipt: {un}")
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read.private/{q(evs[2])}", {})
    check(await counts(bob, room) == (0, 0), "a private receipt clears too")
    check(await counts(carol, room) == (3, 0), "carol has read nothing")


async def test_mentions_highlight(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [bob, carol])
    await set_name(bob, room, "Robert Builder")
    await alice.send(room, "hey robert builder, lunch?")
    check(await counts(bob, room) == (1, 1), f"display name: {await counts(bob, room)}")
    check(await counts(carol, room) == (1, 0), "carol: a plain message")
    await alice.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/m1",
                   {"msgtype": "m.text", "body": "see above",
                    "m.mentions": {"user_ids": [carol.user_id]}})
    check(await counts(carol, room) == (2, 1), f"m.mentions: {await counts(carol, room)}")
    # with m.mentions present the display name in the body no longer highlights
    await alice.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/m2",
                   {"msgtype": "m.text", "body": "Robert Builder again", "m.mentions": {}})
    check(await counts(bob, room) == (3, 1), f"intentional mentions: {await counts(bob, room)}")
    # a notice does not notify
    await alice.send(room, "robert builder", msgtype="m.notice")
    check(await counts(bob, room) == (3, 1), "notices are suppressed")


async def test_disabled_rule_stops_notifying(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [bob, carol])
    await alice.send(room, "one")
    check(await counts(bob, room) == (1, 0), "notifies by default")
    await bob.ok("PUT", "/pushrules/global/underride/.m.rule.message/enabled", {"enabled": False})
    await alice.send(room, "two")
    check(await counts(bob, room) == (1, 0), f"disabled: {await counts(bob, room)}")
    check(await counts(carol, room) == (2, 0), "carol's rules are unchanged")
    await bob.ok("PUT", "/pushrules/global/underride/.m.rule.message/enabled", {"enabled": True})
    await alice.send(room, "three")
    check(await counts(bob, room) == (2, 0), "enabled again")
    # a room rule with no actions silences the room; the master rule silences all
    await bob.ok("PUT", f"/pushrules/global/room/{q(room)}", {"actions": []})
    await alice.send(room, "four")
    check(await counts(bob, room) == (2, 0), "room rule")
    await carol.ok("PUT", "/pushrules/global/override/.m.rule.master/enabled", {"enabled": True})
    await alice.send(room, "five")
    check(await counts(carol, room) == (4, 0), f"master: {await counts(carol, room)}")


async def test_notifications_list(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    await set_name(bob, room, "Bobby")
    e1 = await alice.send(room, "first")
    e2 = await alice.send(room, "hi Bobby")
    e3 = await alice.send(room, "third")
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(e1)}", {})
    await bob.sync()  # waits for the rules to have run
    got = await bob.ok("GET", "/notifications")
    ns = got["notifications"]
    check([n["event"]["event_id"] for n in ns[:3]] == [e3, e2, e1], f"{ns}")
    # the invite notified bob too (.m.rule.invite_for_me)
    check(len(ns) == 4 and ns[3]["event"]["content"]["membership"] == "invite", f"{ns}")
    check([n["read"] for n in ns] == [False, False, True, True], f"read flags {ns}")
    check(ns[0]["room_id"] == room and ns[0]["actions"] and ns[0]["ts"] > 0, f"{ns[0]}")
    check({"set_tweak": "highlight"} in ns[1]["actions"], f"highlight actions {ns[1]}")
    check(ns[0]["event"]["content"]["body"] == "third", "client-format event")
    page = await bob.ok("GET", "/notifications", query={"limit": "2"})
    check([n["event"]["event_id"] for n in page["notifications"]] == [e3, e2], f"{page}")
    rest = await bob.ok("GET", "/notifications", query={"from": page["next_token"]})
    check([n["event"]["event_id"] for n in rest["notifications"]][:1] == [e1], f"{rest}")
    check(len(rest["notifications"]) == 2 and "next_token" not in rest, f"{rest}")
    hl = await bob.ok("GET", "/notifications", query={"only": "highlight"})
    check([n["event"]["event_id"] for n in hl["notifications"]] == [e2], f"{hl}")
    check((await alice.ok("GET", "/notifications"))["notifications"] == [], "alice: none")
    expect_error(await bob.req("GET", "/notifications", query={"from": "abc"}), 400,
                 "M_INVALID_PARAM")
    expect_error(await bob.req("GET", "/notifications", query={"limit": "-1"}), 400,
                 "M_INVALID_PARAM")
    expect_error(await srv.req("GET", "/_matrix/client/v3/notifications"), 401,
                 "M_MISSING_TOKEN")
