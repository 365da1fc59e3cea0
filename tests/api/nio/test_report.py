"""Reporting content (spec: POST /rooms/{roomId}/report/{eventId}, POST
/rooms/{roomId}/report): reports are stored for the admins, and every error
(a bad score or reason, an event the reporter cannot see, an unknown room)."""

import os
import sqlite3

from common import check, expect_error
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}


def stored(srv):
    db = sqlite3.connect(f"file:{os.path.join(srv.data, 'relais.db')}?mode=ro", uri=True)
    try:
        return db.execute("SELECT room_id, event_id, user_id, reason, score FROM reports "
                          "ORDER BY id").fetchall()
    finally:
        db.close()


async def test_reports_are_stored(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    ev = await alice.send(room, "spam spam spam")
    await bob.ok("POST", f"/rooms/{q(room)}/report/{q(ev)}", {"reason": "spam", "score": -100})
    await bob.ok("POST", f"/rooms/{q(room)}/report/{q(ev)}", {})
    await bob.ok("POST", f"/rooms/{q(room)}/report", {"reason": "a spam room"})
    rows = stored(srv)
    check(rows == [(room, ev, bob.user_id, "spam", "-100"), (room, ev, bob.user_id, None, None),
                   (room, None, bob.user_id, "a spam room", None)], f"{rows}")


async def test_report_errors(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [bob])
    other = await alice.create_room()
    ev = await alice.send(room, "hello")
    before = len(stored(srv))
    path = f"/rooms/{q(room)}/report/{q(ev)}"
    for score in (1, -101, "bad", 2.5):
        expect_error(await bob.req("POST", path, {"score": score}), 400, "M_INVALID_PARAM")
    expect_error(await bob.req("POST", path, {"reason": 5}), 400, "M_INVALID_PARAM")
    expect_error(await carol.req("POST", path, {}), 404, "M_NOT_FOUND")
    expect_error(await bob.req("POST", f"/rooms/{q(other)}/report/{q(ev)}", {}), 404,
                 "M_NOT_FOUND")
    expect_error(await bob.req("POST", f"/rooms/{q(room)}/report/%24nope", {}), 404,
                 "M_NOT_FOUND")
    expect_error(await bob.req("POST", f"/rooms/{q(room)}/report", {}), 400, "M_MISSING_PARAM")
    expect_error(await bob.req("POST", f"/rooms/{q(room)}/report", {"reason": 3}), 400,
                 "M_BAD_JSON")
    expect_error(await bob.req("POST", "/rooms/%21nope%3Alocalhost/report", {"reason": "x"}),
                 404, "M_NOT_FOUND")
    expect_error(await srv.req("POST", f"/_matrix/client/v3{path}", {}), 401, "M_MISSING_TOKEN")
    check(len(stored(srv)) == before, "nothing was stored")
