"""GET /notifications paged through several rooms (spec: client-server
"Listing Notifications"): every notification of the rooms the user is in,
newest first, thread replies included, exactly once across pages of any
size, none from a room they are not in; and the /sync counts of those rooms
agree with the list. The push rows are stored one per event in stream order
(session 4), so the list and the per-room counts come from different reads
of the same rows."""

from common import check
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}


async def page_all(user, limit):
    ids, frm = [], None
    for _ in range(100):
        query = {"limit": str(limit)}
        if frm:
            query["from"] = frm
        page = await user.ok("GET", "/notifications", query=query)
        ids += [(n["room_id"], n["event"]["event_id"], n["event"]["type"])
                for n in page["notifications"]]
        frm = page.get("next_token")
        if not frm:
            return ids
    raise AssertionError("paging did not end")


async def test_pages_across_rooms_once_each(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    r1 = await room_with(alice, [bob])
    r2 = await room_with(alice, [bob, carol])
    r3 = await room_with(alice, [carol])  # bob is not in it
    sent = []  # (room, event_id) of what notifies bob, oldest first
    root = None
    for i in range(9):
        room = (r1, r2, r3)[i % 3]
        e = await alice.send(room, f"message {i}")
        if room != r3:
            sent.append((room, e))
        if i == 0:
            root = e
    reply = (await alice.ok("PUT", f"/rooms/{q(r1)}/send/m.room.message/np-reply",
                            {"msgtype": "m.text", "body": "in the thread",
                             "m.relates_to": {"rel_type": "m.thread", "event_id": root}}))["event_id"]
    sent.append((r1, reply))
    e = await carol.send(r2, "carol speaks")
    sent.append((r2, e))
    await bob.sync()
    want = [x for x in reversed(sent)]
    for limit in (1, 3, 4, 50):
        got = await page_all(bob, limit)
        messages = [(r, e) for r, e, t in got if t == "m.room.message"]
        check(messages == want, f"limit {limit}: {messages} want {want}")
        check(len(set(got)) == len(got), f"limit {limit}: a notification twice: {got}")
        check(all(r != r3 for r, _, _ in got), f"limit {limit}: a room bob is not in: {got}")
        # the rest are bob's invites, oldest last
        check(all(t == "m.room.member" for _, _, t in got[len(messages):]),
              f"limit {limit}: invites after the messages: {got}")
    body = await bob.sync()
    rooms = body["rooms"]["join"]
    for room in (r1, r2):
        n = rooms[room]["unread_notifications"]["notification_count"]
        check(n == sum(1 for r, _ in sent if r == room), f"{room}: count {n}")
    # carol is in r2 and r3 only, and her own message does not notify her
    carol_got = await page_all(carol, 5)
    carol_msgs = [e for r, e, t in carol_got if t == "m.room.message"]
    check(len(carol_msgs) == 6 and e not in carol_msgs, f"carol: {carol_got}")
