"""Unread counts per thread (spec: client-server "Receiving notifications",
threaded read receipts; MSC3773 in v1.4): with the sync filter's
room.timeline.unread_thread_notifications a thread reply counts in
unread_thread_notifications[root] and not in the room's
unread_notifications; a threaded receipt clears only its thread, "main"
only the main timeline, an unthreaded receipt everything up to it. Without
the option the counts add every thread up and unread_thread_notifications
is absent (as Synapse; the scenario is Complement's TestThreadedReceipts)."""

from common import check
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}

THREADS = {"room": {"timeline": {"unread_thread_notifications": True}}}


async def send(user, room, body, rel=None, txn=[0]):
    txn[0] += 1
    content = {"msgtype": "m.text", "body": body}
    if rel:
        content["m.relates_to"] = rel
    r = await user.ok("PUT", f"/rooms/{q(room)}/send/m.room.message/tn{txn[0]}", content)
    return r["event_id"]


async def counts(user, room, threads):
    body = await user.sync(filter=THREADS if threads else None)
    r = body["rooms"]["join"][room]
    main = (r["unread_notifications"]["notification_count"],
            r["unread_notifications"]["highlight_count"])
    per = {k: (v["notification_count"], v["highlight_count"])
           for k, v in r.get("unread_thread_notifications", {}).items()}
    if not threads:
        check("unread_thread_notifications" not in r, f"absent without the filter: {r}")
    return main, per


async def receipt(user, room, event_id, thread_id=None):
    body = {"thread_id": thread_id} if thread_id else {}
    await user.ok("POST", f"/rooms/{q(room)}/receipt/m.read/{q(event_id)}", body)


async def test_thread_counts_follow_threaded_receipts(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    a = await send(alice, room, "Hello world!")
    thread = {"rel_type": "m.thread", "event_id": a}
    b = await send(alice, room, "Start thread!", thread)
    await send(alice, room, f"Thread response {bob.user_id}!", thread)  # highlight
    d = await send(alice, room, f"Hello {bob.user_id}!")  # highlight, main timeline
    await send(alice, room, "End thread", thread)
    f = await send(alice, room, "Reference!", {"rel_type": "m.reference", "event_id": a})
    r = await alice.ok("PUT", f"/rooms/{q(room)}/send/m.reaction/tn-g",
                       {"m.relates_to": {"rel_type": "m.annotation", "event_id": f,
                                         "key": "test"}})
    g = r["event_id"]

    got = await counts(bob, room, False)
    check(got == ((6, 2), {}), f"without the filter every thread adds up: {got}")
    got = await counts(bob, room, True)
    check(got == ((3, 1), {a: (3, 1)}), f"main and thread apart: {got}")

    await receipt(bob, room, a, "main")  # reads the main timeline up to A only
    check(await counts(bob, room, False) == ((5, 2), {}), "main receipt, total")
    got = await counts(bob, room, True)
    check(got == ((2, 1), {a: (3, 1)}), f"main receipt leaves the thread: {got}")

    await receipt(bob, room, b, a)  # the thread up to B
    check(await counts(bob, room, False) == ((4, 2), {}), "threaded receipt, total")
    got = await counts(bob, room, True)
    check(got == ((2, 1), {a: (2, 1)}), f"threaded receipt leaves the main timeline: {got}")

    await receipt(bob, room, d)  # unthreaded: everything up to D
    check(await counts(bob, room, False) == ((2, 0), {}), "unthreaded receipt, total")
    got = await counts(bob, room, True)
    check(got == ((1, 0), {a: (1, 0)}), f"unthreaded receipt reads every thread: {got}")

    await receipt(bob, room, g, a)  # the thread up to G (after its last reply)
    check(await counts(bob, room, False) == ((1, 0), {}), "thread read, total")
    got = await counts(bob, room, True)
    check(got == ((1, 0), {}), f"a read thread is left out: {got}")


async def test_thread_reply_counts_in_its_thread(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    root = await send(alice, room, "root")
    await receipt(bob, room, root)
    since = (await bob.sync(filter=THREADS))["next_batch"]
    await send(alice, room, "a reply", {"rel_type": "m.thread", "event_id": root})
    body = await bob.sync(since=since, timeout=5000, filter=THREADS)
    r = body["rooms"]["join"][room]
    check(r["unread_notifications"] == {"notification_count": 0, "highlight_count": 0},
          f"the main timeline has nothing new: {r['unread_notifications']}")
    check(r.get("unread_thread_notifications") ==
          {root: {"notification_count": 1, "highlight_count": 0}},
          f"the thread has one: {r.get('unread_thread_notifications')}")


async def test_relation_to_a_reply_counts_in_its_thread(srv):
    """An event relating to a thread reply (here a reference) is in that
    thread; one relating to the root is in the main timeline (spec:
    "Threaded read receipts", MSC4037; as Synapse)."""
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    root = await send(alice, room, "root")
    await receipt(bob, room, root)
    reply = await send(alice, room, "a reply", {"rel_type": "m.thread", "event_id": root})
    await send(alice, room, "about the reply", {"rel_type": "m.reference", "event_id": reply})
    await send(alice, room, "about the root", {"rel_type": "m.reference", "event_id": root})
    got = await counts(bob, room, True)
    check(got == ((1, 0), {root: (2, 0)}), f"reference to the reply is in the thread: {got}")
    await receipt(bob, room, reply, root)  # the thread up to the reply: the reference stays
    got = await counts(bob, room, True)
    check(got == ((1, 0), {root: (1, 0)}), f"after the threaded receipt: {got}")
