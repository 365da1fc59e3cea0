"""Registration in open mode: m.login.dummy through nio, /register/available,
UIA challenge shape, bad names and passwords."""

from nio import responses as R

from common import PASSWORD, check, expect_error, expect_nio, expect_status, unique

SERVER = {"registration": "open"}
REG = "/_matrix/client/v3/register"


async def test_register_with_nio_then_whoami(srv):
    c = srv.nio()
    name = unique("Alice")  # upper case is folded to lower case
    r = expect_nio(await c.register(name, PASSWORD, "nio phone"), R.RegisterResponse)
    check(r.user_id == f"@{name.lower()}:localhost", f"user_id {r.user_id}")
    check(r.access_token and r.device_id, "no token or device")
    w = expect_nio(await c.whoami(), R.WhoamiResponse)
    check(w.user_id == r.user_id, f"whoami {w}")
    raw = await srv.whoami_status(r.access_token)  # nio 0.20 drops device_id
    check(raw.json.get("device_id") == r.device_id, f"whoami {raw!r}")
    d = expect_nio(await c.devices(), R.DevicesResponse)
    check([x.display_name for x in d.devices] == ["nio phone"], f"devices {d.devices}")


async def test_register_without_auth_gets_dummy_flow(srv):
    r = await srv.req("POST", REG, {"username": unique(), "password": PASSWORD})
    expect_status(r, 401)
    flows = [f["stages"] for f in r.json["flows"]]
    check(["m.login.dummy"] in flows, f"flows {flows}")
    check(isinstance(r.json.get("session"), str), "no session")
    # Completing the session registers.
    name = unique()
    r2 = await srv.req("POST", REG, {"username": name, "password": PASSWORD,
                                     "auth": {"type": "m.login.dummy",
                                              "session": r.json["session"]}})
    expect_status(r2, 200)
    check(r2.json["user_id"] == f"@{name}:localhost", f"{r2!r}")


async def test_register_taken_name(srv):
    name = unique()
    await srv.register_raw(name)
    c = srv.nio()
    r = await c.register(name, PASSWORD)
    expect_nio(r, R.RegisterErrorResponse)
    check(r.status_code == "M_USER_IN_USE", f"{r}")
    r = await srv.req("POST", REG, {"username": name.upper(), "password": PASSWORD,
                                    "auth": {"type": "m.login.dummy"}})
    expect_error(r, 400, "M_USER_IN_USE")


async def test_register_invalid_name(srv):
    for bad in ("has space", "semi;colon", "é", "a:b"):
        r = await srv.req("POST", REG, {"username": bad, "password": PASSWORD,
                                        "auth": {"type": "m.login.dummy"}})
        expect_error(r, 400, "M_INVALID_USERNAME")


async def test_register_weak_password(srv):
    r = await srv.req("POST", REG, {"username": unique(), "password": "short",
                                    "auth": {"type": "m.login.dummy"}})
    expect_error(r, 400, "M_WEAK_PASSWORD")


async def test_register_inhibit_login(srv):
    name = unique()
    r = await srv.req("POST", REG, {"username": name, "password": PASSWORD,
                                    "inhibit_login": True, "auth": {"type": "m.login.dummy"}})
    expect_status(r, 200)
    check("access_token" not in r.json and r.json["user_id"] == f"@{name}:localhost", f"{r!r}")


async def test_register_guest_refused(srv):
    r = await srv.req("POST", REG, {}, query={"kind": "guest"})
    expect_error(r, 403, "M_GUEST_ACCESS_FORBIDDEN")


async def test_available(srv):
    path = "/_matrix/client/v3/register/available"
    free = unique()
    r = await srv.req("GET", path, query={"username": free})
    expect_status(r, 200)
    check(r.json == {"available": True}, f"{r!r}")
    await srv.register_raw(free)
    r = await srv.req("GET", path, query={"username": free})
    expect_error(r, 400, "M_USER_IN_USE")
    r = await srv.req("GET", path, query={"username": "not valid!"})
    expect_error(r, 400, "M_INVALID_USERNAME")
    r = await srv.req("GET", "/_matrix/client/r0/register/available", query={"username": free})
    expect_error(r, 400, "M_USER_IN_USE")
    r = await srv.req("GET", path)
    expect_error(r, 400, "M_MISSING_PARAM")


async def test_user_id_length_limit(srv):
    # Spec: a user ID is at most 255 bytes, "@" and ":localhost" included.
    longest = "l" * (255 - len("@:localhost"))
    r = await srv.req("GET", "/_matrix/client/v3/register/available", query={"username": longest})
    check(r.status == 200 and r.json == {"available": True}, f"244-byte localpart: {r!r}")
    body = await srv.register_raw(longest)
    check(len(body["user_id"]) == 255, f"user_id length {len(body['user_id'])}")
    r = await srv.req("POST", REG, {"username": longest + "x", "password": PASSWORD,
                                    "auth": {"type": "m.login.dummy"}})
    expect_error(r, 400, "M_INVALID_USERNAME")
    r = await srv.req("POST", REG, {"username": "x" * 5000, "password": PASSWORD,
                                    "auth": {"type": "m.login.dummy"}})
    expect_error(r, 400, "M_INVALID_USERNAME")


async def test_long_password_and_profile_limits(srv):
    c = srv.nio()
    r = expect_nio(await c.register(unique(), "p" * 20000), R.RegisterResponse)
    expect_nio(await srv.nio(r.user_id).login("p" * 20000), R.LoginResponse)
    r2 = await srv.req("PUT", f"/_matrix/client/v3/profile/{r.user_id}/displayname",
                       {"displayname": "d" * 100000}, token=r.access_token)
    check(r2.status == 400, f"100 kB display name: {r2!r}")
