"""The push rules API (spec: client-server "Push Rules: API"): the default
rule set as a client reads it, user rules added with before/after, enabled
and actions of user and default rules, deletion, and every error."""

from common import check, expect_error
from rooms_util import new_user, q

SERVER = {"registration": "open"}


def ids(rules, kind):
    return [r["rule_id"] for r in rules[kind]]


async def test_default_ruleset(srv):
    alice = await new_user(srv, "alice")
    rs = (await alice.ok("GET", "/pushrules/"))["global"]
    check(ids(rs, "override")[0] == ".m.rule.master", f"{ids(rs, 'override')}")
    for rid in (".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
                ".m.rule.is_user_mention", ".m.rule.is_room_mention", ".m.rule.tombstone",
                ".m.rule.reaction", ".m.rule.room.server_acl", ".m.rule.suppress_edits"):
        check(rid in ids(rs, "override"), f"{rid} in {ids(rs, 'override')}")
    check(ids(rs, "underride") == [".m.rule.call", ".m.rule.encrypted_room_one_to_one",
                                   ".m.rule.room_one_to_one", ".m.rule.message",
                                   ".m.rule.encrypted"], f"{ids(rs, 'underride')}")
    master = rs["override"][0]
    check(master["enabled"] is False and master["default"] is True and master["actions"] == [],
          f"{master}")
    mention = [r for r in rs["override"] if r["rule_id"] == ".m.rule.is_user_mention"][0]
    check(mention["conditions"][0]["value"] == alice.user_id, f"{mention}")
    local = alice.user_id[1:].split(":")[0]
    check(rs["content"][0]["pattern"] == local, f"{rs['content']}")
    check(rs["room"] == [] and rs["sender"] == [], "no room or sender rules yet")
    g = await alice.ok("GET", "/pushrules/global/")
    check(g == rs, "GET /pushrules/global/ is the same ruleset")


async def test_user_rules_order_enable_actions_delete(srv):
    alice = await new_user(srv, "alice")
    base = "/pushrules/global"
    await alice.ok("PUT", f"{base}/content/cake", {"pattern": "cake*lie", "actions": ["notify"]})
    await alice.ok("PUT", f"{base}/content/tea", {"pattern": "tea", "actions": ["notify"]})
    rs = (await alice.ok("GET", "/pushrules/"))["global"]
    check(ids(rs, "content")[:2] == ["tea", "cake"], f"newest first: {ids(rs, 'content')}")
    await alice.req("PUT", f"{base}/content/pie", {"pattern": "pie", "actions": []})
    r = await alice.req("PUT", f"{base}/content/pie2", {"pattern": "pie", "actions": []},
                        query={"after": "cake"})
    check(r.status == 200, f"{r!r}")
    r = await alice.req("PUT", f"{base}/content/pie0", {"pattern": "pie", "actions": []},
                        query={"before": "tea"})
    check(r.status == 200, f"{r!r}")
    rs = (await alice.ok("GET", "/pushrules/"))["global"]
    check(ids(rs, "content") == ["pie", "pie0", "tea", "cake", "pie2",
                                 ".m.rule.contains_user_name"], f"{ids(rs, 'content')}")
    rule = await alice.ok("GET", f"{base}/content/cake")
    check(rule == {"rule_id": "cake", "default": False, "enabled": True, "pattern": "cake*lie",
                   "actions": ["notify"]}, f"{rule}")
    # enabled and actions of a user rule and of a default rule
    await alice.ok("PUT", f"{base}/content/cake/enabled", {"enabled": False})
    check((await alice.ok("GET", f"{base}/content/cake/enabled")) == {"enabled": False}, "off")
    await alice.ok("PUT", f"{base}/override/.m.rule.master/enabled", {"enabled": True})
    check((await alice.ok("GET", f"{base}/override/.m.rule.master"))["enabled"] is True, "master")
    acts = ["notify", {"set_tweak": "sound", "value": "bing"}]
    await alice.ok("PUT", f"{base}/underride/.m.rule.message/actions", {"actions": acts})
    got = await alice.ok("GET", f"{base}/underride/.m.rule.message/actions")
    check(got == {"actions": acts}, f"{got}")
    # historical actions are dropped
    await alice.ok("PUT", f"{base}/content/tea/actions", {"actions": ["dont_notify"]})
    check((await alice.ok("GET", f"{base}/content/tea/actions")) == {"actions": []}, "dropped")
    # room and sender rules
    await alice.ok("PUT", f"{base}/room/!r:x", {"actions": []})
    await alice.ok("PUT", f"{base}/sender/@boss:x", {"actions": ["notify"]})
    rs = (await alice.ok("GET", "/pushrules/"))["global"]
    check(ids(rs, "room") == ["!r:x"] and ids(rs, "sender") == ["@boss:x"], f"{rs}")
    await alice.ok("DELETE", f"{base}/content/cake")
    expect_error(await alice.req("GET", f"{base}/content/cake"), 404, "M_NOT_FOUND")
    # another user's rules are untouched
    bob = await new_user(srv, "bob")
    brs = (await bob.ok("GET", "/pushrules/"))["global"]
    check(ids(brs, "content") == [".m.rule.contains_user_name"], f"{brs['content']}")
    check(brs["override"][0]["enabled"] is False, "bob's master is still off")


async def test_changes_reach_other_clients_in_sync(srv):
    alice = await new_user(srv, "alice")
    since = (await alice.sync())["next_batch"]
    await alice.ok("PUT", "/pushrules/global/override/.m.rule.master/enabled", {"enabled": True})
    body = await alice.sync(since=since, timeout=5000)
    ad = [e for e in body["account_data"]["events"] if e["type"] == "m.push_rules"]
    check(ad and ad[-1]["content"]["global"]["override"][0]["enabled"] is True,
          f"m.push_rules account data: {body['account_data']}")


async def test_pushrule_errors(srv):
    alice = await new_user(srv, "alice")
    base = "/pushrules/global"
    expect_error(await alice.req("GET", "/pushrules/device/"), 400, "M_UNRECOGNIZED")
    expect_error(await alice.req("GET", f"/pushrules/device/content/x"), 400, "M_UNRECOGNIZED")
    expect_error(await alice.req("GET", f"{base}/colour/x"), 400, "M_UNRECOGNIZED")
    expect_error(await alice.req("PUT", f"{base}/colour/x", {"actions": []}), 400,
                 "M_UNRECOGNIZED")
    expect_error(await alice.req("GET", f"{base}/content/nope"), 404, "M_NOT_FOUND")
    expect_error(await alice.req("GET", f"{base}/content/nope/enabled"), 404, "M_NOT_FOUND")
    expect_error(await alice.req("DELETE", f"{base}/content/nope"), 404, "M_NOT_FOUND")
    expect_error(await alice.req("DELETE", f"{base}/override/.m.rule.master"), 404,
                 "M_NOT_FOUND")
    expect_error(await alice.req("PUT", f"{base}/override/.m.rule.mine", {"actions": []}), 400,
                 "M_UNKNOWN")
    expect_error(await alice.req("PUT", f"{base}/content/x", {"actions": ["notify"]}), 400,
                 "M_UNKNOWN")
    expect_error(await alice.req("PUT", f"{base}/content/x", {"pattern": "x"}), 400,
                 "M_UNKNOWN")
    expect_error(await alice.req("PUT", f"{base}/sender/@a:x", {"actions": ["explode"]}), 400,
                 "M_UNKNOWN")
    expect_error(await alice.req("PUT", f"{base}/override/x", {"actions": [],
                                                               "conditions": "all"}), 400,
                 "M_UNKNOWN")
    expect_error(await alice.req("PUT", f"{base}/override/x", "nope"), 400, "M_NOT_JSON")
    r = await alice.req("PUT", f"{base}/content/x", {"pattern": "x", "actions": []},
                        query={"before": "missing"})
    expect_error(r, 400, "M_UNKNOWN")
    r = await alice.req("PUT", f"{base}/content/x", {"pattern": "x", "actions": []},
                        query={"after": ".m.rule.contains_user_name"})
    expect_error(r, 400, "M_UNKNOWN")
    expect_error(await alice.req("PUT", f"{base}/override/.m.rule.master/enabled", {}), 400,
                 "M_MISSING_PARAM")
    expect_error(await alice.req("PUT", f"{base}/override/.m.rule.master/enabled",
                                 {"enabled": "yes"}), 400, "M_INVALID_PARAM")
    expect_error(await alice.req("PUT", f"{base}/override/.m.rule.nope/enabled",
                                 {"enabled": True}), 404, "M_NOT_FOUND")
    expect_error(await alice.req("PUT", f"{base}/override/.m.rule.master/actions", {}), 400,
                 "M_MISSING_PARAM")
    expect_error(await alice.req("PUT", f"{base}/override/.m.rule.master/actions",
                                 {"actions": "notify"}), 400, "M_INVALID_PARAM")
    expect_error(await alice.req("PUT", f"{base}/content/nope/actions", {"actions": []}), 404,
                 "M_NOT_FOUND")
    r = await srv.req("GET", "/_matrix/client/v3/pushrules/")
    expect_error(r, 401, "M_MISSING_TOKEN")
