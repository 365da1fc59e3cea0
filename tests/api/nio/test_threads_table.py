"""GET /v1/rooms/{roomId}/threads in a room where most events are not in a
thread: threads ordered by their latest reply, paginated with from/limit
(next_batch), include=participated (the root's sender and the repliers), and
a redacted reply no longer counting as the thread's latest (spec:
client-server "Threading", "Fetching all threads in a room")."""

from urllib.parse import quote

from nio import responses as R

from common import check, expect_nio, joined_room

SERVER = {"registration": "open"}
V1 = "/_matrix/client/v1"


async def send(c, room, body, root=None):
    content = {"msgtype": "m.text", "body": body}
    if root:
        content["m.relates_to"] = {"rel_type": "m.thread", "event_id": root,
                                   "is_falling_back": True, "m.in_reply_to": {"event_id": root}}
    return expect_nio(await c.room_send(room, "m.room.message", content),
                      R.RoomSendResponse).event_id


async def all_pages(srv, c, room, limit, **query):
    seen, pages, q = [], 0, dict(query, limit=str(limit))
    while True:
        r = await srv.req("GET", f"{V1}/rooms/{quote(room)}/threads", token=c.access_token,
                          query=q)
        check(r.status == 200, f"{r!r}")
        check(len(r.json["chunk"]) <= limit, f"page larger than {limit}: {r.json}")
        seen += [e["event_id"] for e in r.json["chunk"]]
        pages += 1
        check(pages < 50, "pagination does not end")
        if "next_batch" not in r.json:
            return seen
        q = dict(query, limit=str(limit), **{"from": r.json["next_batch"]})


async def test_threads_among_many_events(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    carol = await srv.nio_user("carol")
    room = await joined_room(alice, [bob, carol])
    roots = []
    for i in range(7):
        roots.append(await send(alice if i % 2 else bob, room, f"root {i}"))
        for k in range(30):
            await send(carol, room, f"chatter {i}.{k}")
    # replies in this order: the latest reply decides a thread's place
    replies = {}
    for i in (3, 0, 5, 1, 6):
        replies[i] = await send(carol if i != 1 else bob, room, f"reply in {i}", roots[i])
        for k in range(20):
            await send(alice, room, f"more chatter {k}")
    expected = [roots[i] for i in (6, 1, 5, 0, 3)]
    for limit in (1, 2, 5, 10):
        got = await all_pages(srv, alice, room, limit)
        check(got == expected, f"limit {limit}: {got} != {expected}")
    # participated: bob started 0, 2, 4, 6 and replied in 1; alice started 1, 3, 5
    check(await all_pages(srv, bob, room, 2, include="participated") ==
          [roots[i] for i in (6, 1, 0)], "bob participated")
    check(await all_pages(srv, alice, room, 2, include="participated") ==
          [roots[i] for i in (1, 5, 3)], "alice participated")
    check(await all_pages(srv, carol, room, 3, include="participated") ==
          [roots[i] for i in (6, 5, 0, 3)], "carol participated")
    # a second reply moves thread 3 first; redacting it moves it back
    late = await send(carol, room, "late reply", roots[3])
    check((await all_pages(srv, alice, room, 10))[0] == roots[3], "thread 3 first")
    expect_nio(await carol.room_redact(room, late), R.RoomRedactResponse)
    check(await all_pages(srv, alice, room, 10) == expected, "back in place after redaction")
    # redacting a thread's only reply removes the thread
    expect_nio(await bob.room_redact(room, replies[1]), R.RoomRedactResponse)
    check(await all_pages(srv, alice, room, 10) == [roots[i] for i in (6, 5, 0, 3)],
          "thread 1 gone")


async def test_departed_user_lists_threads_up_to_the_leave(srv):
    """As Synapse: a departed member may still list the threads; the roots pass
    history visibility, so only threads started before the leave appear."""
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    eve = await srv.nio_user("eve")
    room = await joined_room(alice, [bob])
    before = await send(alice, room, "before")
    await send(bob, room, "reply", before)
    expect_nio(await bob.room_leave(room), R.RoomLeaveResponse)
    after = await send(alice, room, "after")
    await send(alice, room, "reply", after)
    check(await all_pages(srv, alice, room, 5) == [after, before], "alice sees both")
    check(await all_pages(srv, bob, room, 5) == [before], "bob up to his leave")
    r = await srv.req("GET", f"{V1}/rooms/{quote(room)}/threads", token=eve.access_token)
    check(r.status == 403 and r.json["errcode"] == "M_FORBIDDEN", f"never a member: {r!r}")
