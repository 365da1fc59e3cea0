"""rooms_util.py: helpers for the rooms and /sync suites (test_rooms*.py):
raw-HTTP users with a token, room creation, sending, syncing and paging."""

import asyncio
import json
import urllib.parse

import common
from common import check

CS = "/_matrix/client/v3"


def q(s):
    return urllib.parse.quote(s, safe="")


class User:
    """A registered account talking raw HTTP with its own access token."""

    def __init__(self, srv, body):
        self.srv = srv
        self.user_id = body["user_id"]
        self.token = body["access_token"]
        self.device_id = body["device_id"]
        self.txn = 0

    async def req(self, method, path, body=None, query=None):
        return await self.srv.req(method, CS + path, body, token=self.token, query=query)

    async def ok(self, method, path, body=None, query=None):
        r = await self.req(method, path, body, query)
        check(r.status == 200, f"{self.user_id} {method} {path}: {r!r}")
        return r.json

    async def create_room(self, **body):
        return (await self.ok("POST", "/createRoom", body))["room_id"]

    async def send(self, room_id, body, msgtype="m.text", txn=None):
        r = await self.send_raw(room_id, body, msgtype, txn)
        check(r.status == 200, f"{self.user_id} send {body!r}: {r!r}")
        return r.json["event_id"]

    async def send_raw(self, room_id, body, msgtype="m.text", txn=None):
        if txn is None:
            self.txn += 1
            txn = f"t{self.txn}"
        return await self.req("PUT", f"/rooms/{q(room_id)}/send/m.room.message/{q(txn)}",
                              {"msgtype": msgtype, "body": body})

    async def state(self, room_id, type_, content, key=""):
        return await self.req("PUT", f"/rooms/{q(room_id)}/state/{q(type_)}/{q(key)}", content)

    async def join(self, room_id):
        return await self.ok("POST", f"/rooms/{q(room_id)}/join", {})

    async def invite(self, room_id, user_id):
        return await self.ok("POST", f"/rooms/{q(room_id)}/invite", {"user_id": user_id})

    async def sync(self, since=None, timeout=0, filter=None, full_state=False):
        query = {"timeout": str(timeout)}
        if since:
            query["since"] = since
        if filter is not None:
            query["filter"] = filter if isinstance(filter, str) else json.dumps(filter)
        if full_state:
            query["full_state"] = "true"
        r = await self.req("GET", "/sync", query=query)
        check(r.status == 200, f"{self.user_id} sync: {r!r}")
        return r.json

    async def messages(self, room_id, dir="b", frm=None, limit=None, to=None, filter=None):
        query = {"dir": dir}
        if frm is not None:
            query["from"] = frm
        if to is not None:
            query["to"] = to
        if limit is not None:
            query["limit"] = str(limit)
        if filter is not None:
            query["filter"] = json.dumps(filter)
        return await self.req("GET", f"/rooms/{q(room_id)}/messages", query=query)


async def new_user(srv, prefix="u"):
    return User(srv, await srv.register_raw(common.unique(prefix)))


async def login_again(srv, user):
    """A second device of user."""
    r = await srv.login_raw(user.user_id)
    check(r.status == 200, f"login: {r!r}")
    return User(srv, r.json)


async def room_with(owner, members, **create):
    """A room created by owner that the other users have joined."""
    room = await owner.create_room(**create)
    for m in members:
        await owner.invite(room, m.user_id)
        await m.join(room)
    return room


def timeline(sync_body, room_id, section="join"):
    room = sync_body["rooms"][section].get(room_id)
    return room["timeline"]["events"] if room else []


def bodies(events):
    return [e["content"].get("body") for e in events if e["type"] == "m.room.message"]


async def send_many(user, room_id, bodies_, concurrency=8):
    """Sends the bodies with up to `concurrency` requests in flight; returns
    {body: event_id}."""
    out = {}
    it = iter(bodies_)

    async def worker():
        for b in it:
            out[b] = await user.send(room_id, b)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return out
