"""Filling a timeline gap with /messages `to` (spec: GET /rooms/{roomId}/messages:
"to: the token to stop returning events at"): a limited incremental sync
leaves a gap between its prev_batch and the previous sync's next_batch; a
client pages from prev_batch back to that next_batch (or forwards the other
way) and gets exactly the missed events, each once, with a filter applied
inside the same bounds."""

from nio import MessageDirection
from nio import responses as R

from common import check, expect_nio

SERVER = {"registration": "open"}
NOISE = "org.example.noise"


async def say(c, room, body, type_="m.room.message"):
    content = {"msgtype": "m.text", "body": body} if type_ == "m.room.message" else {"n": body}
    return expect_nio(await c.room_send(room, type_, content), R.RoomSendResponse).event_id


def ids(events):
    return [e.event_id for e in events]


async def test_gap_between_limited_syncs(srv):
    alice = await srv.nio_user("alice")
    room = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    for i in range(3):
        await say(alice, room, f"old {i}")
    t1 = expect_nio(await alice.sync(0), R.SyncResponse).next_batch
    missed = []
    for i in range(25):
        missed.append(await say(alice, room, f"m{i}"))
        if i % 5 == 0:
            await say(alice, room, f"n{i}", NOISE)
    flt = {"room": {"timeline": {"limit": 5, "types": ["m.room.message"]}}}
    resp = expect_nio(await alice.sync(0, since=t1, sync_filter=flt), R.SyncResponse)
    tl = resp.rooms.join[room].timeline
    check(tl.limited and ids(tl.events) == missed[20:], f"limited {ids(tl.events)}")
    mf = {"types": ["m.room.message"]}
    # backwards from prev_batch to the old next_batch: m19 .. m0, nothing older
    back = expect_nio(await alice.room_messages(room, tl.prev_batch, end=t1, limit=100,
                                                message_filter=mf), R.RoomMessagesResponse)
    check(ids(back.chunk) == missed[19::-1], f"back {[e.body for e in back.chunk]}")
    # in small pages: the same events, once each, then nothing more
    got, token = [], tl.prev_batch
    for _ in range(10):
        page = expect_nio(await alice.room_messages(room, token, end=t1, limit=6,
                                                    message_filter=mf), R.RoomMessagesResponse)
        got += ids(page.chunk)
        if not page.end or not page.chunk:
            break
        token = page.end
    check(got == missed[19::-1], f"paged {len(got)} events")
    # forwards from the old next_batch up to prev_batch: m0 .. m19
    fwd = expect_nio(await alice.room_messages(room, t1, end=tl.prev_batch, limit=100,
                                               direction=MessageDirection.front,
                                               message_filter=mf), R.RoomMessagesResponse)
    check(ids(fwd.chunk) == missed[:20], f"forward {[e.body for e in fwd.chunk]}")
    # without a filter the noise events of the gap come too, still within the bounds
    every = expect_nio(await alice.room_messages(room, tl.prev_batch, end=t1, limit=100),
                       R.RoomMessagesResponse)
    # (n0, n5, n10, n15: n20 came after m20, the timeline's first event)
    check(len(every.chunk) == 20 + 4 and every.chunk[-1].event_id == missed[0],
          f"unfiltered {len(every.chunk)}")
