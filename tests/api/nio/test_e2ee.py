"""test_e2ee.py: end-to-end encryption through relais: matrix-nio with
python3-olm exchanging encrypted messages both ways, and raw-HTTP cases for
/keys/*, /sendToDevice, the /sync E2EE sections and key backup, with keys
made and signed by libolm (python3-olm) so every signature is a real one."""

import json
import os

import nio
import olm

import common
from common import check, expect_error, expect_status
from rooms_util import CS, login_again, new_user, q, room_with

SERVER = {"registration": "open"}


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(obj, signer_user, key_id, sign_fn):
    """Adds signatures[signer_user][key_id] made by sign_fn(canonical bytes)."""
    body = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    sig = sign_fn(canonical(body))
    obj.setdefault("signatures", {}).setdefault(signer_user, {})[key_id] = sig
    return obj


class Device:
    """An olm account standing for one device of a raw-HTTP user."""

    def __init__(self, user):
        self.user = user
        self.acct = olm.Account()

    @property
    def ed25519(self):
        return self.acct.identity_keys["ed25519"]

    def device_keys(self):
        u, d = self.user.user_id, self.user.device_id
        dk = {"user_id": u, "device_id": d,
              "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
              "keys": {f"curve25519:{d}": self.acct.identity_keys["curve25519"],
                       f"ed25519:{d}": self.ed25519}}
        return sign(dk, u, f"ed25519:{d}", self.acct.sign)

    def signed_key(self, key, fallback=False):
        obj = {"key": key}
        if fallback:
            obj["fallback"] = True
        return sign(obj, self.user.user_id, f"ed25519:{self.user.device_id}", self.acct.sign)

    def otks(self, n):
        self.acct.generate_one_time_keys(n)
        keys = self.acct.one_time_keys["curve25519"]
        self.acct.mark_keys_as_published()
        return {f"signed_curve25519:{kid}": self.signed_key(k) for kid, k in keys.items()}


class CrossSigning:
    """Master, self-signing and user-signing keys of a user (PkSigning)."""

    def __init__(self, user_id):
        self.user_id = user_id
        self.keys = {u: olm.PkSigning(olm.PkSigning.generate_seed())
                     for u in ("master", "self_signing", "user_signing")}

    def pub(self, usage):
        return self.keys[usage].public_key

    def key_obj(self, usage):
        p = self.pub(usage)
        obj = {"user_id": self.user_id, "usage": [usage], "keys": {f"ed25519:{p}": p}}
        if usage != "master":
            sign(obj, self.user_id, f"ed25519:{self.pub('master')}", self.keys["master"].sign)
        return obj

    def sign_with(self, usage, obj):
        return sign(obj, self.user_id, f"ed25519:{self.pub(usage)}", self.keys[usage].sign)

    def upload_body(self):
        return {"master_key": self.key_obj("master"),
                "self_signing_key": self.key_obj("self_signing"),
                "user_signing_key": self.key_obj("user_signing")}


async def upload_device(user, n_otks=0, fallback=False):
    dev = Device(user)
    body = {"device_keys": dev.device_keys()}
    if n_otks:
        body["one_time_keys"] = dev.otks(n_otks)
    if fallback:
        dev.acct.generate_fallback_key()
        kid, key = next(iter(dev.acct.fallback_key["curve25519"].items()))
        body["fallback_keys"] = {f"signed_curve25519:{kid}": dev.signed_key(key, True)}
    r = await user.ok("POST", "/keys/upload", body)
    return dev, r


# ---- matrix-nio with olm ----

async def nio_client(srv, name):
    store = os.path.join(srv.tmp, "store-" + name)
    os.makedirs(store, exist_ok=True)
    cfg = nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True)
    c = nio.AsyncClient(srv.base, "", store_path=store, config=cfg)
    srv.clients.append(c)
    r = await c.register(common.unique(name), common.PASSWORD, name)
    common.expect_nio(r, nio.RegisterResponse)
    return c


async def nio_round(c, texts):
    """One sync plus the key traffic nio asks for; collects decrypted texts."""
    r = await c.sync(timeout=0)
    common.expect_nio(r, nio.SyncResponse)
    for room in r.rooms.join.values():
        for ev in room.timeline.events:
            if isinstance(ev, nio.MegolmEvent):
                try:
                    ev = c.decrypt_event(ev)
                except Exception:  # noqa: BLE001 (key not here yet)
                    continue
            if isinstance(ev, nio.RoomMessageText):
                texts.append(ev.body)
    if c.should_upload_keys:
        common.expect_nio(await c.keys_upload(), nio.KeysUploadResponse)
    if c.should_query_keys:
        common.expect_nio(await c.keys_query(), nio.KeysQueryResponse)
    if c.should_claim_keys:
        common.expect_nio(await c.keys_claim(c.get_users_for_key_claiming()),
                          nio.KeysClaimResponse)


async def test_nio_encrypted_exchange_both_ways(srv):
    alice = await nio_client(srv, "alice")
    bob = await nio_client(srv, "bob")
    got_a, got_b = [], []
    await nio_round(alice, got_a)
    await nio_round(bob, got_b)
    r = await alice.room_create(
        invite=[bob.user_id],
        initial_state=[{"type": "m.room.encryption", "state_key": "",
                        "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
    common.expect_nio(r, nio.RoomCreateResponse)
    room = r.room_id
    await nio_round(bob, got_b)
    common.expect_nio(await bob.join(room), nio.JoinResponse)
    for _ in range(2):
        await nio_round(alice, got_a)
        await nio_round(bob, got_b)
    check(alice.rooms[room].encrypted, "nio does not see the room as encrypted")
    r = await alice.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "hello bob"},
                              ignore_unverified_devices=True)
    common.expect_nio(r, nio.RoomSendResponse)
    ev = await srv.req("GET", f"{CS}/rooms/{q(room)}/event/{q(r.event_id)}",
                       token=alice.access_token)
    check(ev.json["type"] == "m.room.encrypted" and "hello" not in ev.text,
          f"the server stored plaintext: {ev!r}")
    for _ in range(3):
        await nio_round(bob, got_b)
        if "hello bob" in got_b:
            break
    check("hello bob" in got_b, f"bob did not decrypt alice's message: {got_b}")
    r = await bob.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "hi alice"},
                            ignore_unverified_devices=True)
    common.expect_nio(r, nio.RoomSendResponse)
    for _ in range(3):
        await nio_round(alice, got_a)
        if "hi alice" in got_a:
            break
    check("hi alice" in got_a, f"alice did not decrypt bob's message: {got_a}")


# ---- raw HTTP: keys ----

async def test_keys_upload_query_claim_fallback(srv):
    alice = await new_user(srv, "ka")
    bob = await new_user(srv, "kb")
    dev, r = await upload_device(alice, n_otks=2, fallback=True)
    check(r["one_time_key_counts"].get("signed_curve25519") == 2, f"counts: {r}")
    s = await alice.sync()
    check(s["device_one_time_keys_count"]["signed_curve25519"] == 2, f"sync counts: {s}")
    check(s["device_unused_fallback_key_types"] == ["signed_curve25519"], f"fallback: {s}")
    await alice.ok("PUT", f"/devices/{q(alice.device_id)}", {"display_name": "Alice's phone"})
    r = await bob.ok("POST", "/keys/query", {"device_keys": {alice.user_id: []}})
    dk = r["device_keys"][alice.user_id][alice.device_id]
    check(dk["keys"][f"ed25519:{alice.device_id}"] == dev.ed25519, f"query: {r}")
    check(dk["unsigned"]["device_display_name"] == "Alice's phone", f"display name: {dk}")
    check(r["failures"] == {}, f"failures: {r}")
    olm.ed25519_verify(dev.ed25519, canonical({k: v for k, v in dk.items()
                                                if k not in ("signatures", "unsigned")}),
                       dk["signatures"][alice.user_id][f"ed25519:{alice.device_id}"])
    r = await bob.ok("POST", "/keys/query",
                     {"device_keys": {alice.user_id: ["NOPE"], "@x:elsewhere.example": []}})
    check(r["device_keys"][alice.user_id] == {}, f"device filter: {r}")
    check("elsewhere.example" in r["failures"], f"remote failure: {r}")
    claimed = set()
    for _ in range(2):
        r = await bob.ok("POST", "/keys/claim",
                         {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}})
        keys = r["one_time_keys"][alice.user_id][alice.device_id]
        (kid, key), = keys.items()
        check("fallback" not in key, f"one-time key expected: {r}")
        claimed.add(kid)
    check(len(claimed) == 2, f"the same one-time key was handed out twice: {claimed}")
    for _ in range(2):  # then the fallback key, again and again
        r = await bob.ok("POST", "/keys/claim",
                         {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}})
        (kid, key), = r["one_time_keys"][alice.user_id][alice.device_id].items()
        check(key.get("fallback") is True, f"fallback key expected: {r}")
    s = await alice.sync()
    check(s["device_one_time_keys_count"]["signed_curve25519"] == 0, f"counts: {s}")
    check(s["device_unused_fallback_key_types"] == [], f"used fallback still unused: {s}")
    r = await bob.ok("POST", "/keys/claim",
                     {"one_time_keys": {bob.user_id: {bob.device_id: "signed_curve25519"}}})
    check(r["one_time_keys"] == {}, f"claim without keys: {r}")


async def test_keys_upload_errors(srv):
    alice = await new_user(srv, "ke")
    dev = Device(alice)
    dk = dev.device_keys()
    dk["signatures"][alice.user_id][f"ed25519:{alice.device_id}"] = \
        Device(alice).acct.sign(canonical({"x": 1}))
    r = await alice.req("POST", "/keys/upload", {"device_keys": dk})
    expect_error(r, 400, "M_INVALID_SIGNATURE")
    dk = dev.device_keys()
    dk["signatures"] = {}
    r = await alice.req("POST", "/keys/upload", {"device_keys": dk})
    expect_error(r, 400, "M_INVALID_SIGNATURE")
    dk = dev.device_keys()
    dk["device_id"] = "OTHERDEVICE"
    r = await alice.req("POST", "/keys/upload", {"device_keys": dk})
    expect_error(r, 400, "M_INVALID_PARAM")
    await alice.ok("POST", "/keys/upload", {"device_keys": dev.device_keys()})
    otk = {"signed_curve25519:AAAA": dev.signed_key("a" * 43)}
    await alice.ok("POST", "/keys/upload", {"one_time_keys": otk})
    await alice.ok("POST", "/keys/upload", {"one_time_keys": otk})  # same again: fine
    r = await alice.req("POST", "/keys/upload",
                        {"one_time_keys": {"signed_curve25519:AAAA": dev.signed_key("b" * 43)}})
    expect_error(r, 400, "M_INVALID_PARAM")
    bad = dev.signed_key("c" * 43)
    bad["key"] = "d" * 43
    r = await alice.req("POST", "/keys/upload", {"one_time_keys": {"signed_curve25519:B": bad}})
    expect_error(r, 400, "M_INVALID_SIGNATURE")
    r = await alice.req("POST", "/keys/upload", {"one_time_keys": {"nocolon": "x"}})
    expect_error(r, 400, "M_BAD_JSON")
    r = await alice.req("POST", "/keys/query", {"device_keys": []})
    expect_error(r, 400, "M_BAD_JSON")
    r = await alice.req("POST", "/keys/claim", {})
    expect_error(r, 400, "M_BAD_JSON")
    r = await alice.req("GET", "/keys/changes")
    expect_error(r, 400, "M_MISSING_PARAM")
    r = await srv.req("POST", f"{CS}/keys/upload", {})
    expect_error(r, 401, "M_MISSING_TOKEN")


# ---- raw HTTP: to-device ----

async def test_send_to_device_once_and_idempotent(srv):
    alice = await new_user(srv, "ta")
    bob = await new_user(srv, "tb")
    bob2 = await login_again(srv, bob)
    s1 = await bob.sync()
    s2 = await bob2.sync()
    body = {"messages": {bob.user_id: {"*": {"n": 1}}}}
    await alice.ok("PUT", "/sendToDevice/m.test/txn1", body)
    await alice.ok("PUT", "/sendToDevice/m.test/txn1", body)  # replay: not sent again
    await alice.ok("PUT", "/sendToDevice/m.test/txn2",
                   {"messages": {bob.user_id: {bob2.device_id: {"n": 2}}}})
    r = await bob.sync(since=s1["next_batch"])
    evs = r["to_device"]["events"]
    check([e["content"] for e in evs] == [{"n": 1}], f"bob's device: {evs}")
    check(evs[0]["sender"] == alice.user_id and evs[0]["type"] == "m.test", f"{evs}")
    r2 = await bob2.sync(since=s2["next_batch"])
    check([e["content"] for e in r2["to_device"]["events"]] == [{"n": 1}, {"n": 2}],
          f"bob's second device: {r2['to_device']}")
    again = await bob.sync(since=s1["next_batch"])  # not acknowledged yet: sent again
    check(len(again["to_device"]["events"]) == 1, f"redelivery: {again['to_device']}")
    r = await bob.sync(since=again["next_batch"])  # acknowledges
    check(r["to_device"]["events"] == [], f"delivered twice: {r['to_device']}")
    r = await bob.sync(since=s1["next_batch"])  # deleted once acknowledged
    check(r["to_device"]["events"] == [], f"not deleted after acknowledgement: {r['to_device']}")
    r = await alice.req("PUT", "/sendToDevice/m.test/t3", {"messages": []})
    expect_error(r, 400, "M_BAD_JSON")
    r = await alice.req("PUT", "/sendToDevice/m.test/t4", {"messages": {bob.user_id: {"X": 1}}})
    expect_error(r, 400, "M_BAD_JSON")


async def test_send_to_device_wakes_sync(srv):
    import asyncio
    alice = await new_user(srv, "wa")
    bob = await new_user(srv, "wb")
    s = await bob.sync()
    waiter = asyncio.ensure_future(bob.sync(since=s["next_batch"], timeout=10000))
    await asyncio.sleep(0.3)
    check(not waiter.done(), "the sync did not wait")
    t0 = asyncio.get_running_loop().time()
    await alice.ok("PUT", "/sendToDevice/m.ping/w1",
                   {"messages": {bob.user_id: {bob.device_id: {"x": True}}}})
    r = await asyncio.wait_for(waiter, 5)
    dt = asyncio.get_running_loop().time() - t0
    check(r["to_device"]["events"][0]["content"] == {"x": True}, f"{r['to_device']}")
    check(dt < 2, f"woken after {dt:.2f} s")


# ---- raw HTTP: device lists ----

async def test_device_lists_changed_and_left(srv):
    alice = await new_user(srv, "da")
    bob = await new_user(srv, "db")
    stranger = await new_user(srv, "dc")
    s0 = await bob.sync()
    room = await room_with(alice, [bob])
    r = await bob.sync(since=s0["next_batch"])  # joining a room: its members' keys are news
    check(alice.user_id in r["device_lists"]["changed"], f"after join: {r['device_lists']}")
    s = await bob.sync()
    await upload_device(alice)
    await upload_device(stranger)
    r = await bob.sync(since=s["next_batch"])
    check(alice.user_id in r["device_lists"]["changed"], f"changed: {r['device_lists']}")
    check(stranger.user_id not in r["device_lists"]["changed"], f"{r['device_lists']}")
    ch = await bob.ok("GET", "/keys/changes",
                      query={"from": s["next_batch"], "to": r["next_batch"]})
    check(alice.user_id in ch["changed"], f"/keys/changes: {ch}")
    alice2 = await login_again(srv, alice)
    await upload_device(alice2)
    s = r
    r = await alice.req("POST", "/delete_devices", {"devices": [alice2.device_id]})
    expect_status(r, 401)
    await alice.ok("POST", "/delete_devices",
                   {"devices": [alice2.device_id],
                    "auth": {"type": "m.login.password", "session": r.json["session"],
                             "identifier": {"type": "m.id.user", "user": alice.user_id},
                             "password": common.PASSWORD}})
    r = await bob.sync(since=s["next_batch"])
    check(alice.user_id in r["device_lists"]["changed"], f"after delete: {r['device_lists']}")
    q_ = await bob.ok("POST", "/keys/query", {"device_keys": {alice.user_id: []}})
    check(list(q_["device_keys"][alice.user_id]) == [alice.device_id], f"deleted keys: {q_}")
    s = r
    await bob.ok("POST", f"/rooms/{q(room)}/leave", {})
    r = await bob.sync(since=s["next_batch"])
    check(alice.user_id in r["device_lists"]["left"], f"left: {r['device_lists']}")


# ---- raw HTTP: cross-signing ----

async def test_cross_signing_upload_and_signatures(srv):
    alice = await new_user(srv, "ca")
    bob = await new_user(srv, "cb")
    adev, _ = await upload_device(alice)
    cs = CrossSigning(alice.user_id)
    bad = cs.upload_body()
    bad["self_signing_key"]["signatures"] = {}
    r = await alice.req("POST", "/keys/device_signing/upload", bad)
    expect_error(r, 400, "M_INVALID_SIGNATURE")
    await alice.ok("POST", "/keys/device_signing/upload", cs.upload_body())  # first: no UIA
    await alice.ok("POST", "/keys/device_signing/upload", cs.upload_body())  # replay: no UIA
    cs2 = CrossSigning(alice.user_id)
    r = await alice.req("POST", "/keys/device_signing/upload", cs2.upload_body())
    expect_status(r, 401)
    check(["m.login.password"] in [f["stages"] for f in r.json["flows"]], f"flows: {r!r}")
    body = cs.upload_body()
    body["auth"] = {"type": "m.login.password", "session": r.json["session"],
                    "identifier": {"type": "m.id.user", "user": alice.user_id},
                    "password": common.PASSWORD}
    await alice.ok("POST", "/keys/device_signing/upload", body)
    # Alice's self-signing key signs her device; her device signs her master key.
    signed_dev = cs.sign_with("self_signing", adev.device_keys())
    master = cs.key_obj("master")
    sign(master, alice.user_id, f"ed25519:{alice.device_id}", adev.acct.sign)
    forged = cs2.sign_with("self_signing", adev.device_keys())
    forged["signatures"][alice.user_id][f"ed25519:{cs.pub('self_signing')}"] = \
        forged["signatures"][alice.user_id].pop(f"ed25519:{cs2.pub('self_signing')}")
    r = await alice.ok("POST", "/keys/signatures/upload",
                       {alice.user_id: {alice.device_id: signed_dev,
                                        cs.pub("master"): master}})
    check(r["failures"] == {}, f"failures: {r}")
    r = await alice.ok("POST", "/keys/signatures/upload",
                       {alice.user_id: {alice.device_id: forged, "NOSUCHKEY": signed_dev}})
    f = r["failures"][alice.user_id]
    check(f[alice.device_id]["errcode"] == "M_INVALID_SIGNATURE", f"forged: {r}")
    check(f["NOSUCHKEY"]["errcode"] == "M_NOT_FOUND", f"unknown key: {r}")
    # Bob sees Alice's cross-signing keys and the self-signing signature on her device.
    r = await bob.ok("POST", "/keys/query", {"device_keys": {alice.user_id: []}})
    check(r["master_keys"][alice.user_id]["keys"] == {f"ed25519:{cs.pub('master')}":
                                                      cs.pub("master")}, f"master: {r}")
    check(alice.user_id in r["self_signing_keys"], f"self-signing: {r}")
    check(alice.user_id not in r["user_signing_keys"], f"user-signing leaked: {r}")
    sigs = r["device_keys"][alice.user_id][alice.device_id]["signatures"][alice.user_id]
    check(f"ed25519:{cs.pub('self_signing')}" in sigs, f"device signatures: {sigs}")
    olm.ed25519_verify(cs.pub("self_signing"),
                       canonical({k: v for k, v in r["device_keys"][alice.user_id]
                                  [alice.device_id].items()
                                  if k not in ("signatures", "unsigned")}),
                       sigs[f"ed25519:{cs.pub('self_signing')}"])
    # Bob cross-signs Alice with his user-signing key.
    bcs = CrossSigning(bob.user_id)
    await bob.ok("POST", "/keys/device_signing/upload", bcs.upload_body())
    amaster = r["master_keys"][alice.user_id]
    amaster.pop("signatures", None)
    signed = sign(dict(amaster), bob.user_id, f"ed25519:{bcs.pub('user_signing')}",
                  bcs.keys["user_signing"].sign)
    r = await bob.ok("POST", "/keys/signatures/upload",
                     {alice.user_id: {cs.pub("master"): signed}})
    check(r["failures"] == {}, f"user-signing failures: {r}")
    r = await bob.ok("POST", "/keys/query", {"device_keys": {alice.user_id: []}})
    check(f"ed25519:{bcs.pub('user_signing')}" in
          r["master_keys"][alice.user_id]["signatures"].get(bob.user_id, {}), f"{r}")
    r = await bob.ok("POST", "/keys/query", {"device_keys": {bob.user_id: []}})
    check(bob.user_id in r["user_signing_keys"], f"own user-signing key: {r}")


# ---- raw HTTP: key backup ----

def backup_key(fmi, fc, verified, tag):
    return {"first_message_index": fmi, "forwarded_count": fc, "is_verified": verified,
            "session_data": {"ciphertext": tag, "ephemeral": "e", "mac": "m"}}


async def test_backup_versions_and_keys(srv):
    u = await new_user(srv, "bk")
    r = await u.req("GET", "/room_keys/version")
    expect_error(r, 404, "M_NOT_FOUND")
    alg = "m.megolm_backup.v1.curve25519-aes-sha2"
    v1 = (await u.ok("POST", "/room_keys/version",
                     {"algorithm": alg, "auth_data": {"public_key": "abc"}}))["version"]
    r = await u.ok("GET", "/room_keys/version")
    check(r["version"] == v1 and r["count"] == 0 and r["algorithm"] == alg
          and isinstance(r["etag"], str), f"version: {r}")
    await u.ok("PUT", f"/room_keys/version/{v1}",
               {"algorithm": alg, "auth_data": {"public_key": "abc", "signatures": {}},
                "version": v1})
    r = await u.req("PUT", f"/room_keys/version/{v1}",
                    {"algorithm": alg, "auth_data": {}, "version": "999"})
    expect_error(r, 400, "M_INVALID_PARAM")
    r = await u.req("PUT", f"/room_keys/version/{v1}", {"algorithm": "other", "auth_data": {}})
    expect_error(r, 400, "M_INVALID_PARAM")
    r = await u.req("PUT", "/room_keys/version/999", {"algorithm": alg, "auth_data": {}})
    expect_error(r, 404, "M_NOT_FOUND")
    room = "!r:x"
    r = await u.ok("PUT", f"/room_keys/keys/{q(room)}/s1", backup_key(5, 1, False, "a"),
                   query={"version": v1})
    check(r["count"] == 1, f"{r}")
    etag1 = r["etag"]
    r = await u.ok("PUT", f"/room_keys/keys/{q(room)}",
                   {"sessions": {"s1": backup_key(9, 0, False, "worse"),
                                 "s2": backup_key(0, 0, False, "b")}}, query={"version": v1})
    check(r["count"] == 2 and r["etag"] != etag1, f"{r}")
    r = await u.ok("GET", f"/room_keys/keys/{q(room)}/s1", query={"version": v1})
    check(r["session_data"]["ciphertext"] == "a", f"higher first_message_index replaced: {r}")
    cases = [(backup_key(5, 0, False, "fewer-forwards"), "fewer-forwards"),
             (backup_key(2, 0, False, "lower-index"), "lower-index"),
             (backup_key(9, 9, True, "verified"), "verified"),
             (backup_key(0, 0, False, "unverified"), "verified")]
    for data, want in cases:
        await u.ok("PUT", "/room_keys/keys", {"rooms": {room: {"sessions": {"s1": data}}}},
                   query={"version": v1})
        r = await u.ok("GET", f"/room_keys/keys/{q(room)}/s1", query={"version": v1})
        check(r["session_data"]["ciphertext"] == want, f"after {data}: {r}")
    r = await u.ok("GET", "/room_keys/keys", query={"version": v1})
    check(set(r["rooms"][room]["sessions"]) == {"s1", "s2"}, f"all: {r}")
    r = await u.ok("GET", f"/room_keys/keys/{q('!empty:x')}", query={"version": v1})
    check(r == {"sessions": {}}, f"empty room: {r}")
    r = await u.req("GET", f"/room_keys/keys/{q(room)}/nope", query={"version": v1})
    expect_error(r, 404, "M_NOT_FOUND")
    r = await u.req("GET", "/room_keys/keys", query={"version": "999"})
    expect_error(r, 404, "M_NOT_FOUND")
    r = await u.req("GET", "/room_keys/keys")
    expect_error(r, 400, "M_MISSING_PARAM")
    v2 = (await u.ok("POST", "/room_keys/version", {"algorithm": alg, "auth_data": {}}))["version"]
    r = await u.req("PUT", f"/room_keys/keys/{q(room)}/s9", backup_key(0, 0, False, "x"),
                    query={"version": v1})
    expect_error(r, 403, "M_WRONG_ROOM_KEYS_VERSION")
    check(r.json.get("current_version") == v2, f"current_version: {r!r}")
    r = await u.req("PUT", f"/room_keys/keys/{q(room)}/s9", {"session_data": {}},
                    query={"version": v2})
    expect_error(r, 400, "M_BAD_JSON")
    r = await u.ok("DELETE", f"/room_keys/keys/{q(room)}/s2", query={"version": v1})
    check(r["count"] == 1, f"delete session: {r}")
    r = await u.ok("DELETE", "/room_keys/keys", query={"version": v1})
    check(r["count"] == 0, f"delete all: {r}")
    await u.ok("DELETE", f"/room_keys/version/{v2}")
    r = await u.req("GET", f"/room_keys/version/{v2}")
    expect_error(r, 404, "M_NOT_FOUND")
    r = await u.ok("GET", "/room_keys/version")
    check(r["version"] == v1, f"current after deleting v2: {r}")
    r = await u.req("DELETE", f"/room_keys/version/{v2}")
    expect_error(r, 404, "M_NOT_FOUND")
    other = await new_user(srv, "bo")
    r = await other.req("GET", f"/room_keys/version/{v1}")
    expect_error(r, 404, "M_NOT_FOUND")


# ---- raw HTTP: dehydrated devices (MSC3814) ----

MSC3814 = "/_matrix/client/unstable/org.matrix.msc3814.v1"


async def test_dehydrated_device(srv):
    alice = await new_user(srv, "dh")
    sender = await new_user(srv, "ds")
    r = await srv.req("GET", "/_matrix/client/versions")
    check(r.json["unstable_features"].get("org.matrix.msc3814") is True, f"versions: {r!r}")
    r = await srv.req("GET", f"{MSC3814}/dehydrated_device", token=alice.token)
    expect_error(r, 404, "M_NOT_FOUND")

    class Dehydrated:  # the keys of a device that is not logged in
        user_id = alice.user_id
        device_id = "DEHYDRATED1"

    dev = Device(Dehydrated)
    body = {"device_id": "DEHYDRATED1", "device_data": {"algorithm": "x", "account": "opaque"},
            "initial_device_display_name": "parked", "device_keys": dev.device_keys(),
            "one_time_keys": dev.otks(2)}
    r = await srv.req("PUT", f"{MSC3814}/dehydrated_device", body, token=alice.token)
    check(r.status == 200 and r.json == {"device_id": "DEHYDRATED1"}, f"put: {r!r}")
    r = await srv.req("GET", f"{MSC3814}/dehydrated_device", token=alice.token)
    check(r.json == {"device_id": "DEHYDRATED1",
                     "device_data": {"algorithm": "x", "account": "opaque"}}, f"get: {r!r}")
    qr = await sender.ok("POST", "/keys/query", {"device_keys": {alice.user_id: []}})
    check("DEHYDRATED1" in qr["device_keys"][alice.user_id], f"query: {qr}")
    cl = await sender.ok("POST", "/keys/claim", {"one_time_keys": {
        alice.user_id: {"DEHYDRATED1": "signed_curve25519"}}})
    check(cl["one_time_keys"][alice.user_id]["DEHYDRATED1"], f"claim: {cl}")
    for i in range(3):
        await sender.ok("PUT", f"/sendToDevice/m.test/dh{i}",
                        {"messages": {alice.user_id: {"DEHYDRATED1": {"i": i}}}})
    path = f"{MSC3814}/dehydrated_device/DEHYDRATED1/events"
    r = await srv.req("POST", path, {}, token=alice.token)
    check(r.status == 200 and [e["content"]["i"] for e in r.json["events"]] == [0, 1, 2],
          f"events: {r!r}")
    r2 = await srv.req("POST", path, {"next_batch": r.json["next_batch"]}, token=alice.token)
    check(r2.json["events"] == [], f"after next_batch: {r2!r}")
    r = await srv.req("POST", f"{MSC3814}/dehydrated_device/OTHER/events", {}, token=alice.token)
    expect_error(r, 403, "M_FORBIDDEN")
    Dehydrated.device_id = "DEHYDRATED2"
    bad = Device(Dehydrated).device_keys()
    bad["signatures"] = {}
    r = await srv.req("PUT", f"{MSC3814}/dehydrated_device",
                      {"device_id": "DEHYDRATED2", "device_data": {}, "device_keys": bad},
                      token=alice.token)
    expect_error(r, 400, "M_INVALID_SIGNATURE")
    r = await srv.req("GET", f"{MSC3814}/dehydrated_device", token=alice.token)
    expect_error(r, 404, "M_NOT_FOUND")  # the refused upload replaced nothing usable
    r = await srv.req("PUT", f"{MSC3814}/dehydrated_device",
                      {"device_id": "DEHYDRATED3", "device_data": {"v": 3}}, token=alice.token)
    expect_status(r, 200)
    r = await srv.req("DELETE", f"{MSC3814}/dehydrated_device", token=alice.token)
    check(r.status == 200 and r.json == {"device_id": "DEHYDRATED3"}, f"delete: {r!r}")
    devices = (await alice.ok("GET", "/devices"))["devices"]
    check([d["device_id"] for d in devices] == [alice.device_id], f"devices left: {devices}")
    r = await srv.req("DELETE", f"{MSC3814}/dehydrated_device", token=alice.token)
    expect_error(r, 404, "M_NOT_FOUND")
