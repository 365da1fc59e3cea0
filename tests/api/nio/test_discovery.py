"""Discovery: /versions (v3 and r0 paths), /.well-known, login flows,
capabilities, and the signed server key document."""

import base64
import ctypes
import ctypes.util
import json

from nio import responses as R

from common import check, expect_nio, expect_status

SERVER = {"registration": "open"}


async def test_versions(srv):
    r = await srv.req("GET", "/_matrix/client/versions")
    expect_status(r, 200)
    versions = r.json.get("versions")
    check(isinstance(versions, list) and "v1.16" in versions and "r0.6.1" in versions,
          f"versions list: {versions}")
    check(isinstance(r.json.get("unstable_features"), dict), "unstable_features missing")


async def test_well_known_client_via_nio(srv):
    c = srv.nio()
    r = expect_nio(await c.discovery_info(), R.DiscoveryInfoResponse)
    check(r.homeserver_url.startswith("http"), f"base_url: {r.homeserver_url}")


async def test_well_known_server(srv):
    r = await srv.req("GET", "/.well-known/matrix/server")
    expect_status(r, 200)
    check(":" in r.json.get("m.server", ""), f"m.server: {r.json}")


async def test_login_flows_via_nio_r0(srv):
    # nio 0.20 calls /_matrix/client/r0/login.
    c = srv.nio()
    r = expect_nio(await c.login_info(), R.LoginInfoResponse)
    check("m.login.password" in r.flows, f"flows: {r.flows}")


async def test_r0_and_v3_paths_agree(srv):
    a = await srv.req("GET", "/_matrix/client/r0/login")
    b = await srv.req("GET", "/_matrix/client/v3/login")
    expect_status(a, 200)
    check(a.json == b.json, f"r0 {a!r} vs v3 {b!r}")


async def test_capabilities(srv):
    c = await srv.nio_user("caps")
    for prefix in ("/_matrix/client/v3", "/_matrix/client/r0"):
        r = await srv.req("GET", prefix + "/capabilities", token=c.access_token)
        expect_status(r, 200)
        caps = r.json["capabilities"]
        check(caps["m.change_password"]["enabled"] is True, f"{caps}")
        rv = caps["m.room_versions"]
        check(rv["default"] in rv["available"], f"room versions {rv}")


def _sodium():
    name = ctypes.util.find_library("sodium") or "libsodium.so.23"
    lib = ctypes.CDLL(name)
    check(lib.sodium_init() >= 0, "sodium_init failed")
    return lib


def _unpadded_b64decode(s):
    return base64.b64decode(s + "=" * (-len(s) % 4))


async def test_server_key_signature_verifies(srv):
    r = await srv.req("GET", "/_matrix/key/v2/server")
    expect_status(r, 200)
    doc = r.json
    server_name = doc["server_name"]
    check(server_name == "localhost", f"server_name {server_name}")
    keys = doc["verify_keys"]
    check(len(keys) == 1, f"verify_keys {keys}")
    key_id, key = next(iter(keys.items()))
    check(key_id.startswith("ed25519:"), f"key id {key_id}")
    pub = _unpadded_b64decode(key["key"])
    check(len(pub) == 32, "public key is not 32 bytes")
    check(doc["valid_until_ts"] > 0, "valid_until_ts")
    sig = _unpadded_b64decode(doc["signatures"][server_name][key_id])
    check(len(sig) == 64, "signature is not 64 bytes")
    # Canonical JSON (spec appendix): sorted keys, no spaces, UTF-8, without
    # "signatures" and "unsigned".
    unsigned = {k: v for k, v in doc.items() if k not in ("signatures", "unsigned")}
    canon = json.dumps(unsigned, sort_keys=True, separators=(",", ":"),
                       ensure_ascii=False).encode()
    lib = _sodium()
    ok = lib.crypto_sign_verify_detached(sig, canon, ctypes.c_ulonglong(len(canon)), pub)
    check(ok == 0, "ed25519 signature does not verify over the canonical JSON")
    # A tampered document must not verify (the check can fail).
    bad = canon.replace(b"localhost", b"localhosu")
    check(lib.crypto_sign_verify_detached(sig, bad, ctypes.c_ulonglong(len(bad)), pub) != 0,
          "tampered document verified")
