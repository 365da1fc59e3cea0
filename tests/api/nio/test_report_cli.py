"""`relais report list`: the admin reads the reports users sent (spec:
POST /rooms/{roomId}/report/{eventId} and /rooms/{roomId}/report), newest
first, one tab-separated line each; a reason cannot forge extra lines."""

from common import check
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}


async def test_reports_listed_newest_first(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    ev = await alice.send(room, "spam spam spam")
    await bob.ok("POST", f"/rooms/{q(room)}/report/{q(ev)}",
                 {"reason": "spam\nfake line\twith tab", "score": -100})
    await bob.ok("POST", f"/rooms/{q(room)}/report", {"reason": "the whole room"})
    rc, out, err = await srv.cli("report", "list")
    check(rc == 0, f"report list: {rc} {err}")
    lines = out.splitlines()
    check(len(lines) == 2, f"two reports, one line each: {out!r}")
    room_rep, event_rep = (line.split("\t") for line in lines)
    check(len(room_rep) == 7 and len(event_rep) == 7, f"seven fields: {lines}")
    check(room_rep[2] == room and room_rep[3] == "-" and room_rep[4] == bob.user_id and
          room_rep[6] == "the whole room", f"room report first (newest): {room_rep}")
    check(event_rep[2] == room and event_rep[3] == ev and event_rep[4] == bob.user_id and
          event_rep[5] == "-100" and event_rep[6] == "spam fake line with tab",
          f"event report: {event_rep}")
    check(event_rep[1].endswith("Z") and event_rep[1][:2] == "20", f"UTC time: {event_rep[1]}")
    rc, out, _ = await srv.cli("report", "list", "--limit", "1")
    check(rc == 0 and out.splitlines() == [lines[0]], f"--limit 1: {out!r}")


async def test_usage_errors(srv):
    for args in (("report",), ("report", "delete"), ("report", "list", "--limit", "0"),
                 ("report", "list", "--limit", "x")):
        rc, _, err = await srv.cli(*args)
        check(rc == 2 and "relais" in err, f"{args}: {rc} {err}")
