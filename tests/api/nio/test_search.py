"""POST /search (spec: client-server "Server Side Search"): French and German
words found with or without accents and in any case, nothing from rooms the
user left before it was sent or was never in, order by recent and rank,
next_batch pages, event context, and the errors."""

from common import check, expect_error
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open"}


async def search(user, term, **extra):
    cat = {"search_term": term}
    cat.update(extra.pop("cat", {}))
    r = await user.req("POST", "/search", {"search_categories": {"room_events": cat}},
                       query=extra.pop("query", None))
    check(r.status == 200, f"search {term!r}: {r!r}")
    return r.json["search_categories"]["room_events"]


def bodies(res):
    return [x["result"]["content"]["body"] for x in res["results"]]


async def test_accents_and_case(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    room = await room_with(alice, [bob])
    await alice.send(room, "La réunion commence à 10h")
    await alice.send(room, "Die Besprechung beginnt um elf Uhr")
    await alice.send(room, "Über Straße und Äpfel")
    await alice.send(room, "nothing to see")
    for term, want in [("réunion", "La réunion commence à 10h"),
                       ("reunion", "La réunion commence à 10h"),
                       ("RÉUNION", "La réunion commence à 10h"),
                       ("Besprechung", "Die Besprechung beginnt um elf Uhr"),
                       ("besprechung", "Die Besprechung beginnt um elf Uhr"),
                       ("uber", "Über Straße und Äpfel"),
                       ("äpfel", "Über Straße und Äpfel")]:
        res = await search(bob, term)
        check(bodies(res) == [want], f"{term!r}: {bodies(res)}")
        check(res["count"] == 1, f"count {res}")
    res = await search(bob, "réunion")
    check("réunion" in res["highlights"], f"highlights {res['highlights']}")
    check(res["results"][0]["result"]["room_id"] == room and res["results"][0]["rank"] > 0,
          f"{res['results'][0]}")
    check(bodies(await search(bob, "absent")) == [], "no match")


async def test_left_rooms_and_strangers(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    carol = await new_user(srv, "carol")
    room = await room_with(alice, [bob])
    await alice.send(room, "erste Besprechung vorher")
    await bob.ok("POST", f"/rooms/{q(room)}/leave", {})
    await alice.send(room, "zweite Besprechung danach")
    got = bodies(await search(bob, "Besprechung"))
    check(got == ["erste Besprechung vorher"], f"bob sees only what was before he left: {got}")
    check(bodies(await search(carol, "Besprechung")) == [], "carol was never in the room")
    check(len(bodies(await search(alice, "Besprechung"))) == 2, "alice sees both")


async def test_order_pages_and_context(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room()
    other = await alice.create_room()
    for i in range(12):  # "réunion" must be rare enough for its rank to count
        await alice.send(room, f"autre chose {i}")
    ids = [await alice.send(room, f"réunion numéro {i}") for i in range(5)]
    await alice.send(room, "réunion réunion réunion très importante")
    await alice.send(other, "réunion ailleurs")
    recent = await search(alice, "réunion", cat={"order_by": "recent",
                                                 "filter": {"limit": 3, "rooms": [room]}})
    check(bodies(recent) == ["réunion réunion réunion très importante", "réunion numéro 4",
                             "réunion numéro 3"], f"{bodies(recent)}")
    check(recent["count"] == 6 and recent["next_batch"], f"{recent}")
    page2 = await search(alice, "réunion", cat={"order_by": "recent",
                                                "filter": {"limit": 3, "rooms": [room]}},
                         query={"next_batch": recent["next_batch"]})
    check(bodies(page2) == ["réunion numéro 2", "réunion numéro 1", "réunion numéro 0"],
          f"{bodies(page2)}")
    check("next_batch" not in page2, f"last page {page2.get('next_batch')}")
    ranked = await search(alice, "réunion", cat={"filter": {"not_rooms": [other]}})
    check(bodies(ranked)[0] == "réunion réunion réunion très importante", f"{bodies(ranked)}")
    ctx = await search(alice, "numéro 2", cat={"event_context": {"before_limit": 1,
                                                                 "after_limit": 2}})
    c = ctx["results"][0]["context"]
    check([e["event_id"] for e in c["events_before"]] == [ids[1]], f"before {c}")
    check([e["event_id"] for e in c["events_after"]] == [ids[3], ids[4]], f"after {c}")
    check(c["start"] and c["end"], "tokens")


async def test_redacted_message_is_not_found(srv):
    alice = await new_user(srv, "alice")
    room = await alice.create_room()
    ev = await alice.send(room, "geheime Besprechung morgen")
    check(len(bodies(await search(alice, "geheime"))) == 1, "found before the redaction")
    await alice.ok("PUT", f"/rooms/{q(room)}/redact/{q(ev)}/r1", {"reason": "oops"})
    res = await search(alice, "geheime")
    check(res["results"] == [] and res["count"] == 0, f"redacted: {res}")


async def test_search_errors(srv):
    alice = await new_user(srv, "alice")
    for body in ({}, {"search_categories": {}}, {"search_categories": {"room_events": {}}},
                 {"search_categories": {"room_events": {"search_term": 5}}}):
        expect_error(await alice.req("POST", "/search", body), 400, "M_UNKNOWN")
    cat = {"search_term": "x", "order_by": "size"}
    expect_error(await alice.req("POST", "/search", {"search_categories": {"room_events": cat}}),
                 400, "M_UNKNOWN")
    cat = {"search_term": "x", "filter": {"limit": 0}}
    expect_error(await alice.req("POST", "/search", {"search_categories": {"room_events": cat}}),
                 400, "M_BAD_JSON")
    cat = {"search_term": "x", "event_context": {"before_limit": -1}}
    expect_error(await alice.req("POST", "/search", {"search_categories": {"room_events": cat}}),
                 400, "M_BAD_JSON")
    r = await alice.req("POST", "/search", {"search_categories": {"room_events":
                                                                  {"search_term": "x"}}},
                        query={"next_batch": "zz"})
    expect_error(r, 400, "M_UNKNOWN")
    expect_error(await alice.req("POST", "/search", "nope"), 400, "M_NOT_JSON")
    r = await srv.req("POST", "/_matrix/client/v3/search", {})
    expect_error(r, 401, "M_MISSING_TOKEN")
    # punctuation only: no words, no results (not an error)
    check(bodies(await search(alice, "?!")) == [], "no words")
