"""Pushers (spec: POST /pushers/set, GET /pushers) and delivery to a push
gateway (spec: push gateway API, /_matrix/push/v1/notify) started by the test
on 127.0.0.1: a message reaches the gateway in the notify format, a failing
gateway is retried, a rejected pushkey loses its pusher, and every error."""

import asyncio
import time

from aiohttp import web

from common import check, expect_error
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}


class Gateway:
    """A push gateway on loopback that records what it is sent."""

    def __init__(self):
        self.got = []
        self.fail_next = 0
        self.reject = set()

    async def notify(self, request):
        body = await request.json()
        if self.fail_next:
            self.fail_next -= 1
            return web.json_response({"error": "busy"}, status=503)
        self.got.append((time.monotonic(), body))
        rejected = [d["pushkey"] for d in body["notification"]["devices"]
                    if d["pushkey"] in self.reject]
        return web.json_response({"rejected": rejected})

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/_matrix/push/v1/notify", self.notify)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/_matrix/push/v1/notify"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()

    async def wait(self, n, timeout=10):
        end = time.monotonic() + timeout
        while len(self.got) < n and time.monotonic() < end:
            await asyncio.sleep(0.05)
        check(len(self.got) >= n, f"gateway got {len(self.got)} of {n}")


def pusher(url, pushkey="key1", **extra):
    body = {"kind": "http", "app_id": "org.example.app", "pushkey": pushkey,
            "app_display_name": "Example", "device_display_name": "Phone", "lang": "fr",
            "data": {"url": url, "extra": 1}}
    body.update(extra)
    return body


async def test_gateway_receives_notification(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob], name="Équipe")
    async with Gateway() as gw:
        await bob.ok("POST", "/pushers/set", pusher(gw.url))
        got = await bob.ok("GET", "/pushers")
        check(len(got["pushers"]) == 1 and got["pushers"][0]["pushkey"] == "key1" and
              got["pushers"][0]["data"]["url"] == gw.url, f"{got}")
        ev = await alice.send(room, "réunion à 10h")
        await gw.wait(1)
        n = gw.got[0][1]["notification"]
        check(n["event_id"] == ev and n["room_id"] == room, f"{n}")
        check(n["type"] == "m.room.message" and n["sender"] == alice.user_id, f"{n}")
        check(n["content"]["body"] == "réunion à 10h" and n["room_name"] == "Équipe", f"{n}")
        check(n["counts"]["unread"] == 1 and n["prio"] == "high", f"{n}")
        dev = n["devices"][0]
        check(dev["app_id"] == "org.example.app" and dev["pushkey"] == "key1", f"{dev}")
        check(dev["data"] == {"extra": 1}, f"url is not sent back: {dev['data']}")
        check(dev["tweaks"].get("sound") == "default", f"one-to-one tweaks {dev['tweaks']}")
        # alice (the sender) has no pusher and gets nothing; a second message counts 2
        await alice.send(room, "encore")
        await gw.wait(2)
        check(gw.got[1][1]["notification"]["counts"]["unread"] == 2, f"{gw.got[1]}")


async def test_invite_in_create_room_reaches_the_gateway(srv):
    """An invite made by createRoom itself (Element's new DM) buzzes the
    invitee's phone: .m.rule.invite_for_me runs on the room's first events."""
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    async with Gateway() as gw:
        await bob.ok("POST", "/pushers/set", pusher(gw.url, pushkey="k-invite"))
        made = await alice.ok("POST", "/createRoom",
                              {"preset": "trusted_private_chat", "is_direct": True,
                               "invite": [bob.user_id]})
        await gw.wait(1)
        n = gw.got[0][1]["notification"]
        check(n["type"] == "m.room.member" and n["room_id"] == made["room_id"], f"{n}")
        check(n.get("user_is_target") is True and n["content"]["membership"] == "invite",
              f"{n}")
        check(len(gw.got) == 1, f"only the invite notifies bob: {[g[1] for g in gw.got]}")


async def test_badge_counts_thread_replies_after_a_main_receipt(srv):
    """counts.unread is the room's unread count as /sync gives it without the
    thread option: a "main" receipt (a threaded client) does not hide the
    thread replies after it."""
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    root = await alice.send(room, "root")
    await alice.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/badge-reply-1",
                   {"msgtype": "m.text", "body": "reply 1",
                    "m.relates_to": {"rel_type": "m.thread", "event_id": root}})
    main = await alice.send(room, "main after the reply")
    await bob.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(main)}", {"thread_id": "main"})
    async with Gateway() as gw:
        await bob.ok("POST", "/pushers/set", pusher(gw.url, pushkey="k-thread"))
        await alice.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/badge-reply-2",
                       {"msgtype": "m.text", "body": "reply 2",
                        "m.relates_to": {"rel_type": "m.thread", "event_id": root}})
        await gw.wait(1)
        n = gw.got[0][1]["notification"]
        check(n["counts"]["unread"] == 2, f"both replies are unread: {n['counts']}")


async def test_event_id_only_and_removal(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    async with Gateway() as gw:
        body = pusher(gw.url, pushkey="k2")
        body["data"]["format"] = "event_id_only"
        await bob.ok("POST", "/pushers/set", body)
        await alice.send(room, "secret")
        await gw.wait(1)
        n = gw.got[0][1]["notification"]
        check("content" not in n and "sender" not in n and n["event_id"], f"{n}")
        await bob.ok("POST", "/pushers/set", {"kind": None, "app_id": "org.example.app",
                                              "pushkey": "k2"})
        check((await bob.ok("GET", "/pushers"))["pushers"] == [], "removed")
        await alice.send(room, "after removal")
        await asyncio.sleep(0.5)
        check(len(gw.got) == 1, f"nothing after removal: {gw.got}")


async def test_failing_gateway_is_retried(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    async with Gateway() as gw:
        gw.fail_next = 2
        await bob.ok("POST", "/pushers/set", pusher(gw.url, pushkey="k3"))
        t0 = time.monotonic()
        ev = await alice.send(room, "retry me")
        await gw.wait(1, timeout=15)
        check(gw.got[0][1]["notification"]["event_id"] == ev, "delivered after failures")
        check(gw.got[0][0] - t0 >= 2.5, f"back-off 1 s then 2 s: {gw.got[0][0] - t0:.2f} s")


async def test_rejected_pushkey_loses_pusher(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    async with Gateway() as gw:
        gw.reject.add("gone")
        await bob.ok("POST", "/pushers/set", pusher(gw.url, pushkey="gone"))
        await alice.send(room, "hello")
        await gw.wait(1)
        for _ in range(40):
            if not (await bob.ok("GET", "/pushers"))["pushers"]:
                break
            await asyncio.sleep(0.05)
        check((await bob.ok("GET", "/pushers"))["pushers"] == [], "the rejected pusher is gone")


async def test_append_and_other_users(srv):
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    url = "https://push.example.org/_matrix/push/v1/notify"
    await bob.ok("POST", "/pushers/set", pusher(url, pushkey="shared"))
    await carol.ok("POST", "/pushers/set", pusher(url, pushkey="shared", append=True))
    check(len((await bob.ok("GET", "/pushers"))["pushers"]) == 1, "append keeps bob's")
    await carol.ok("POST", "/pushers/set", pusher(url, pushkey="shared"))
    check((await bob.ok("GET", "/pushers"))["pushers"] == [], "without append bob's goes")
    check(len((await carol.ok("GET", "/pushers"))["pushers"]) == 1, "carol's stays")


async def test_pusher_errors(srv):
    bob = await new_user(srv, "bob")
    url = "https://push.example.org/_matrix/push/v1/notify"
    base = pusher(url)
    for key in ("app_id", "pushkey", "kind", "app_display_name", "device_display_name", "lang",
                "data"):
        body = dict(base)
        del body[key]
        expect_error(await bob.req("POST", "/pushers/set", body), 400, "M_MISSING_PARAM")
    expect_error(await bob.req("POST", "/pushers/set", pusher(url, kind="carrier-pigeon")), 400,
                 "M_INVALID_PARAM")
    expect_error(await bob.req("POST", "/pushers/set", pusher(url, kind=5)), 400, "M_BAD_JSON")
    b = dict(base, data={})
    expect_error(await bob.req("POST", "/pushers/set", b), 400, "M_MISSING_PARAM")
    for bad in ("https://push.example.org/notify", "ftp://x/_matrix/push/v1/notify", 7,
                "https:///_matrix/push/v1/notify"):
        b = dict(base, data={"url": bad})
        expect_error(await bob.req("POST", "/pushers/set", b), 400, "M_INVALID_PARAM")
    b = dict(base, data={"url": url, "format": "full"})
    expect_error(await bob.req("POST", "/pushers/set", b), 400, "M_INVALID_PARAM")
    expect_error(await bob.req("POST", "/pushers/set", dict(base, data="x")), 400, "M_BAD_JSON")
    expect_error(await bob.req("POST", "/pushers/set", pusher(url, app_id="a" * 65)), 400,
                 "M_INVALID_PARAM")
    expect_error(await bob.req("POST", "/pushers/set", pusher(url, pushkey="k" * 513)), 400,
                 "M_INVALID_PARAM")
    expect_error(await bob.req("POST", "/pushers/set", pusher(url, append="yes")), 400,
                 "M_BAD_JSON")
    expect_error(await bob.req("POST", "/pushers/set", "nope"), 400, "M_NOT_JSON")
    expect_error(await srv.req("GET", "/_matrix/client/v3/pushers"), 401, "M_MISSING_TOKEN")
    check((await bob.ok("GET", "/pushers"))["pushers"] == [], "nothing was stored")
