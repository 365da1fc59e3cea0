"""Knocking as the knocker and the room see it through /sync (spec:
client-server "Knocking on rooms", "Syncing": rooms.knock with knock_state;
room versions 7+). The knocker's room sits in rooms.knock with stripped state
(the join rule, the name, its own knock with the reason); the room's members
see the knock in their timeline; an invite moves the room to rooms.invite, a
refusal (kick) to rooms.leave, and a retracted knock (leave) likewise."""

import json
from urllib.parse import quote

from nio import RoomMemberEvent
from nio import responses as R

from common import check, expect_nio

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


async def raw_sync(srv, c, since=None, flt=None, timeout=0):
    q = {"timeout": str(timeout)}
    if since:
        q["since"] = since
    if flt is not None:
        q["filter"] = json.dumps(flt)
    r = await srv.req("GET", f"{CS}/sync", token=c.access_token, query=q)
    check(r.status == 200, f"sync {r!r}")
    return r.json


async def knock_room(alice, name):
    return expect_nio(await alice.room_create(name=name, initial_state=[{
        "type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "knock"}}]),
        R.RoomCreateResponse).room_id


async def knock(srv, c, room, reason):
    r = await srv.req("POST", f"{CS}/knock/{quote(room)}", {"reason": reason},
                      token=c.access_token)
    check(r.status == 200 and r.json.get("room_id") == room, f"knock {r!r}")


async def test_knock_shows_in_knock_section(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await knock_room(alice, "Members only")
    alice_since = expect_nio(await alice.sync(0), R.SyncResponse).next_batch
    await knock(srv, bob, room, "let me in")
    body = await raw_sync(srv, bob)
    check(room in body["rooms"]["knock"] and room not in body["rooms"]["join"],
          f"knock section {list(body['rooms']['knock'])}")
    events = body["rooms"]["knock"][room]["knock_state"]["events"]
    by_type = {e["type"]: e for e in events}
    check(by_type["m.room.join_rules"]["content"]["join_rule"] == "knock", f"{events}")
    check(by_type["m.room.name"]["content"]["name"] == "Members only", f"{events}")
    mine = [e for e in events if e["type"] == "m.room.member" and e["state_key"] == bob.user_id]
    check(len(mine) == 1 and mine[0]["content"]["membership"] == "knock" and
          mine[0]["content"].get("reason") == "let me in", f"own knock {mine}")
    # nio's sync of the knocker still parses (it has no knock section of its own)
    expect_nio(await bob.sync(0), R.SyncResponse)
    # a filter's room.not_rooms leaves the knocked room out too
    body = await raw_sync(srv, bob, flt={"room": {"not_rooms": [room]}})
    check(room not in body["rooms"]["knock"], "not_rooms applies to knocks")
    # the room's member sees the knock in the timeline
    resp = expect_nio(await alice.sync(0, since=alice_since), R.SyncResponse)
    knocks = [e for e in resp.rooms.join[room].timeline.events
              if isinstance(e, RoomMemberEvent) and e.state_key == bob.user_id]
    check(len(knocks) == 1 and knocks[0].membership == "knock", f"alice sees {knocks}")


async def test_knock_then_invite_then_join(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    room = await knock_room(alice, "door")
    await knock(srv, bob, room, "hello")
    since = (await raw_sync(srv, bob))["next_batch"]
    expect_nio(await alice.room_invite(room, bob.user_id), R.RoomInviteResponse)
    body = await raw_sync(srv, bob, since=since, timeout=5000)
    check(room in body["rooms"]["invite"] and room not in body["rooms"]["knock"],
          f"invite {list(body['rooms']['invite'])} knock {list(body['rooms']['knock'])}")
    # nio sees the invite and joins
    resp = expect_nio(await bob.sync(0, since=since), R.SyncResponse)
    check(room in resp.rooms.invite, f"nio invite {list(resp.rooms.invite)}")
    expect_nio(await bob.join(room), R.JoinResponse)
    resp = expect_nio(await bob.sync(0, since=body["next_batch"]), R.SyncResponse)
    check(room in resp.rooms.join, f"joined {list(resp.rooms.join)}")


async def test_refused_and_retracted_knocks_leave(srv):
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    carol = await srv.nio_user("carol")
    room = await knock_room(alice, "strict")
    for c in (bob, carol):
        await knock(srv, c, room, "please")
    bob_since = (await raw_sync(srv, bob))["next_batch"]
    carol_since = (await raw_sync(srv, carol))["next_batch"]
    # refused: the knocker is kicked (a leave by someone else)
    expect_nio(await alice.room_kick(room, bob.user_id, "no"), R.RoomKickResponse)
    body = await raw_sync(srv, bob, since=bob_since, timeout=5000)
    check(room in body["rooms"]["leave"] and room not in body["rooms"]["knock"],
          f"refused {list(body['rooms']['leave'])}")
    # (its timeline may be empty: under "shared" history a knocker who never
    # joined may not see the kick, spec "History visibility": neither the
    # membership before nor after it allows that user)
    # retracted: the knocker leaves
    r = await srv.req("POST", f"{CS}/rooms/{quote(room)}/leave", {}, token=carol.access_token)
    check(r.status == 200, f"{r!r}")
    body = await raw_sync(srv, carol, since=carol_since, timeout=5000)
    check(room in body["rooms"]["leave"], f"retracted {list(body['rooms']['leave'])}")


async def test_full_state_lists_current_invites_and_knocks(srv):
    # full_state=true gives every room as an initial sync would, even with a
    # since token (spec: GET /sync full_state); nio's sync_forever(full_state=True)
    # resumes from a saved token that way.
    alice = await srv.nio_user("alice")
    bob = await srv.nio_user("bob")
    invited = expect_nio(await alice.room_create(invite=[bob.user_id]), R.RoomCreateResponse).room_id
    knocked = await knock_room(alice, "door")
    await knock(srv, bob, knocked, "hi")
    since = (await raw_sync(srv, bob))["next_batch"]
    body = await raw_sync(srv, bob, since=since)
    check(invited not in body["rooms"]["invite"], "nothing new without full_state")
    r = await srv.req("GET", f"{CS}/sync", token=bob.access_token,
                      query={"since": since, "full_state": "true", "timeout": "0"})
    check(invited in r.json["rooms"]["invite"] and knocked in r.json["rooms"]["knock"],
          f"full_state {list(r.json['rooms']['invite'])} {list(r.json['rooms']['knock'])}")
    resp = expect_nio(await bob.sync(0, since=since, full_state=True), R.SyncResponse)
    check(invited in resp.rooms.invite, f"nio {list(resp.rooms.invite)}")
    # the RoomFilter's rooms / not_rooms apply to invites as to every room section
    body = await raw_sync(srv, bob, flt={"room": {"not_rooms": [invited]}})
    check(invited not in body["rooms"]["invite"] and knocked in body["rooms"]["knock"],
          f"not_rooms {list(body['rooms']['invite'])}")
    body = await raw_sync(srv, bob, flt={"room": {"rooms": [invited]}})
    check(invited in body["rooms"]["invite"] and knocked not in body["rooms"]["knock"],
          f"rooms {list(body['rooms']['knock'])}")
