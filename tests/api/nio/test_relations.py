"""Relations: server-side aggregations in unsigned["m.relations"] (m.replace,
m.thread, m.reference) on every read path, GET /v1/rooms/{id}/relations in
its three forms, and GET /v1/rooms/{id}/threads (spec: client-server
"Forming relationships between events", "Event replacements", "Threading")."""

from urllib.parse import quote

from nio import responses as R

from common import check, expect_error, expect_nio, joined_room

SERVER = {"registration": "open"}
V1 = "/_matrix/client/v1"
CS = "/_matrix/client/v3"


async def send(c, room, content, type_="m.room.message"):
    return expect_nio(await c.room_send(room, type_, content), R.RoomSendResponse).event_id


def text(body, **extra):
    d = {"msgtype": "m.text", "body": body}
    d.update(extra)
    return d


def edit_of(event_id, body):
    return {"msgtype": "m.text", "body": f"* {body}",
            "m.new_content": {"msgtype": "m.text", "body": body},
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}}


def in_thread(root, body):
    return text(body, **{"m.relates_to": {"rel_type": "m.thread", "event_id": root,
                                          "is_falling_back": True,
                                          "m.in_reply_to": {"event_id": root}}})


async def shared_room(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await joined_room(alice, [bob])
    return alice, bob, room


async def get_event(srv, c, room, event_id):
    r = await srv.req("GET", f"{CS}/rooms/{quote(room)}/event/{quote(event_id)}",
                      token=c.access_token)
    check(r.status == 200, f"/event: {r!r}")
    return r.json


async def relations(srv, c, room, event_id, *rest, **query):
    path = f"{V1}/rooms/{quote(room)}/relations/{quote(event_id)}"
    for p in rest:
        path += "/" + quote(p)
    return await srv.req("GET", path, token=c.access_token,
                         query={k: str(v) for k, v in query.items()})


async def test_edit_is_aggregated_on_the_original(srv):
    alice, bob, room = await shared_room(srv)
    orig = await send(alice, room, text("I like cake"))
    await send(alice, room, edit_of(orig, "I like chocolate cake"))
    latest = await send(alice, room, edit_of(orig, "I like lemon cake"))
    # bob cannot edit alice's message: his "edit" is not aggregated
    await send(bob, room, edit_of(orig, "I like nothing"))
    ev = await get_event(srv, bob, room, orig)
    check(ev["content"]["body"] == "I like cake", f"content replaced: {ev['content']}")
    rep = ev["unsigned"]["m.relations"]["m.replace"]
    check(rep["event_id"] == latest and rep["sender"] == alice.user and
          rep["content"]["m.new_content"]["body"] == "I like lemon cake", f"m.replace {rep}")
    # the same in /messages, as nio sees it
    s = expect_nio(await bob.sync(timeout=0), R.SyncResponse)
    msgs = expect_nio(await bob.room_messages(room, start=s.next_batch, limit=10),
                      R.RoomMessagesResponse)
    mine = [e for e in msgs.chunk if e.event_id == orig]
    check(len(mine) == 1, "original not in /messages")
    agg = mine[0].source["unsigned"]["m.relations"]["m.replace"]
    check(agg["event_id"] == latest, f"/messages aggregation {agg}")
    # redacting the newest edit falls back to the previous one
    expect_nio(await alice.room_redact(room, latest), R.RoomRedactResponse)
    ev = await get_event(srv, alice, room, orig)
    body = ev["unsigned"]["m.relations"]["m.replace"]["content"]["m.new_content"]["body"]
    check(body == "I like chocolate cake", f"after redaction {body}")
    # a redacted original bundles no edit
    expect_nio(await alice.room_redact(room, orig), R.RoomRedactResponse)
    ev = await get_event(srv, alice, room, orig)
    check("m.replace" not in ev["unsigned"].get("m.relations", {}), f"{ev['unsigned']}")


async def test_thread_aggregation_counts_replies(srv):
    alice, bob, room = await shared_room(srv)
    carol = await srv.nio_user("carol")
    expect_nio(await alice.room_invite(room, carol.user), R.RoomInviteResponse)
    expect_nio(await carol.join(room), R.JoinResponse)
    root = await send(alice, room, text("thread root"))
    await send(alice, room, in_thread(root, "first"))
    last = await send(bob, room, in_thread(root, "second"))
    for who, participated in ((alice, True), (bob, True), (carol, False)):
        ev = await get_event(srv, who, room, root)
        t = ev["unsigned"]["m.relations"]["m.thread"]
        check(t["count"] == 2 and t["latest_event"]["event_id"] == last and
              t["latest_event"]["content"]["body"] == "second" and
              t["current_user_participated"] is participated, f"{who.user}: m.thread {t}")
    # an edit of the latest reply is bundled inside latest_event
    await send(bob, room, edit_of(last, "second (edited)"))
    ev = await get_event(srv, carol, room, root)
    inner = ev["unsigned"]["m.relations"]["m.thread"]["latest_event"]["unsigned"]["m.relations"]
    check(inner["m.replace"]["content"]["m.new_content"]["body"] == "second (edited)", f"{inner}")
    # and through /sync
    s = expect_nio(await carol.sync(timeout=0, full_state=True), R.SyncResponse)
    tl = [e for e in s.rooms.join[room].timeline.events if e.event_id == root]
    if tl:  # the root may have scrolled out of the timeline window
        check(tl[0].source["unsigned"]["m.relations"]["m.thread"]["count"] == 2, "sync bundle")


async def test_reference_chunk(srv):
    alice, bob, room = await shared_room(srv)
    target = await send(alice, room, text("poll"))
    r1 = await send(bob, room, {"body": "vote", "m.relates_to": {"rel_type": "m.reference",
                                                                 "event_id": target}},
                    "org.example.vote")
    ev = await get_event(srv, alice, room, target)
    check(ev["unsigned"]["m.relations"]["m.reference"] == {"chunk": [{"event_id": r1}]},
          f"{ev['unsigned']}")
    # annotations are not aggregated (spec v1.7+)
    await send(bob, room, {"m.relates_to": {"rel_type": "m.annotation", "event_id": target,
                                            "key": "👍"}}, "m.reaction")
    ev = await get_event(srv, alice, room, target)
    check("m.annotation" not in ev["unsigned"]["m.relations"], f"{ev['unsigned']}")


async def test_relations_endpoint_forms_and_pages(srv):
    alice, bob, room = await shared_room(srv)
    root = await send(alice, room, text("root"))
    replies = [await send(alice if i % 2 else bob, room, in_thread(root, f"r{i}"))
               for i in range(5)]
    react = await send(bob, room, {"m.relates_to": {"rel_type": "m.annotation",
                                                    "event_id": root, "key": "x"}},
                       "m.reaction")
    await send(alice, room, text("unrelated"))
    # all relations, newest first
    r = await relations(srv, alice, room, root, limit=10)
    check(r.status == 200, f"{r!r}")
    check([e["event_id"] for e in r.json["chunk"]] == [react] + replies[::-1], f"{r.json}")
    # by rel_type, and by rel_type + event type
    r = await relations(srv, alice, room, root, "m.thread", limit=10)
    check([e["event_id"] for e in r.json["chunk"]] == replies[::-1], f"{r.json}")
    r = await relations(srv, alice, room, root, "m.annotation", "m.reaction")
    check([e["event_id"] for e in r.json["chunk"]] == [react], f"{r.json}")
    r = await relations(srv, alice, room, root, "m.annotation", "m.room.message")
    check(r.json["chunk"] == [], f"{r.json}")
    # pages of 2, backwards, then forwards
    seen, q = [], {"limit": 2}
    while True:
        r = await relations(srv, alice, room, root, "m.thread", **q)
        seen += [e["event_id"] for e in r.json["chunk"]]
        if "next_batch" not in r.json:
            break
        q = {"limit": 2, "from": r.json["next_batch"]}
        check(r.json["chunk"], "empty page with a next_batch")
    check(seen == replies[::-1], f"backward pages {seen}")
    seen, q = [], {"limit": 2, "dir": "f"}
    while True:
        r = await relations(srv, alice, room, root, "m.thread", **q)
        seen += [e["event_id"] for e in r.json["chunk"]]
        if "next_batch" not in r.json:
            break
        q = {"limit": 2, "dir": "f", "from": r.json["next_batch"]}
    check(seen == replies, f"forward pages {seen}")
    check("recursion_depth" not in r.json, f"{r.json}")


async def test_relations_recurse(srv):
    alice, bob, room = await shared_room(srv)
    root = await send(alice, room, text("root"))
    reply = await send(bob, room, in_thread(root, "reply"))
    edit = await send(bob, room, edit_of(reply, "reply (edited)"))
    r = await relations(srv, alice, room, root)
    check([e["event_id"] for e in r.json["chunk"]] == [reply], f"direct {r.json}")
    r = await relations(srv, alice, room, root, recurse="true")
    check([e["event_id"] for e in r.json["chunk"]] == [edit, reply] and
          r.json["recursion_depth"] >= 3, f"recursive {r.json}")


async def test_relations_errors(srv):
    alice, bob, room = await shared_room(srv)
    eve = await srv.nio_user("eve")
    root = await send(alice, room, text("secret"))
    r = await relations(srv, alice, room, "$unknownevent")
    expect_error(r, 404, "M_NOT_FOUND")
    r = await relations(srv, eve, room, root)  # shared history, never a member
    expect_error(r, 404, "M_NOT_FOUND")
    other = expect_nio(await alice.room_create(), R.RoomCreateResponse).room_id
    r = await relations(srv, alice, other, root)  # event of another room
    expect_error(r, 404, "M_NOT_FOUND")
    for q in ({"dir": "sideways"}, {"limit": "many"}, {"from": "garbage"}, {"recurse": "maybe"}):
        r = await relations(srv, alice, room, root, **q)
        expect_error(r, 400, "M_INVALID_PARAM")
    r = await srv.req("GET", f"{V1}/rooms/{quote(room)}/relations/{quote(root)}")
    expect_error(r, 401, "M_MISSING_TOKEN")


async def threads(srv, c, room, **query):
    return await srv.req("GET", f"{V1}/rooms/{quote(room)}/threads", token=c.access_token,
                         query={k: str(v) for k, v in query.items()})


async def test_threads_list(srv):
    alice, bob, room = await shared_room(srv)
    t1 = await send(alice, room, text("alice's thread"))
    t2 = await send(bob, room, text("bob's thread"))
    t3 = await send(bob, room, text("bob's other thread"))
    await send(bob, room, in_thread(t2, "b1"))
    await send(bob, room, in_thread(t3, "b2"))
    await send(bob, room, in_thread(t1, "b3"))  # t1 is now the most recently active
    r = await threads(srv, alice, room)
    check(r.status == 200, f"{r!r}")
    check([e["event_id"] for e in r.json["chunk"]] == [t1, t3, t2], f"all {r.json}")
    check(r.json["chunk"][0]["unsigned"]["m.relations"]["m.thread"]["count"] == 1,
          f"{r.json['chunk'][0]}")
    # alice only started t1
    r = await threads(srv, alice, room, include="participated")
    check([e["event_id"] for e in r.json["chunk"]] == [t1], f"participated {r.json}")
    # pages of one
    seen, q = [], {"limit": 1}
    while True:
        r = await threads(srv, bob, room, **q)
        seen += [e["event_id"] for e in r.json["chunk"]]
        if "next_batch" not in r.json:
            break
        q = {"limit": 1, "from": r.json["next_batch"]}
    check(seen == [t1, t3, t2], f"pages {seen}")


async def test_threads_errors(srv):
    alice, bob, room = await shared_room(srv)
    eve = await srv.nio_user("eve")
    r = await threads(srv, eve, room)
    expect_error(r, 403, "M_FORBIDDEN")
    r = await threads(srv, alice, f"!missing:{alice.user.split(':', 1)[1]}")
    expect_error(r, 403, "M_FORBIDDEN")
    for q in ({"include": "some"}, {"limit": "0"}, {"from": "nonsense"}):
        r = await threads(srv, alice, room, **q)
        expect_error(r, 400, "M_INVALID_PARAM")


async def test_thread_latest_event_respects_history_visibility(srv):
    alice, bob, room = await shared_room(srv)
    expect_nio(await alice.room_put_state(room, "m.room.history_visibility",
                                          {"history_visibility": "joined"}),
               R.RoomPutStateResponse)
    root = await send(alice, room, text("root while bob is here"))
    seen = await send(alice, room, in_thread(root, "bob sees this"))
    expect_nio(await bob.room_leave(room), R.RoomLeaveResponse)
    await send(alice, room, in_thread(root, "after bob left"))
    ev = await get_event(srv, bob, room, root)
    latest = ev["unsigned"]["m.relations"]["m.thread"]["latest_event"]
    check(latest["event_id"] == seen, f"bob sees {latest}")
    ev = await get_event(srv, alice, room, root)
    check(ev["unsigned"]["m.relations"]["m.thread"]["latest_event"]["content"]["body"] ==
          "after bob left", f"{ev['unsigned']}")
