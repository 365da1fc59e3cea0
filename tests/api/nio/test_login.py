"""Login, whoami, logout, logout/all and refresh tokens."""

from nio import responses as R

from common import PASSWORD, check, expect_error, expect_nio, expect_status, nio_status, unique

SERVER = {"registration": "open"}


async def test_login_with_nio_localpart_and_full_id(srv):
    name = unique()
    await srv.register_raw(name)
    for user in (name, f"@{name}:localhost"):
        c = srv.nio(user)
        r = expect_nio(await c.login(PASSWORD, device_name="laptop"), R.LoginResponse)
        check(r.user_id == f"@{name}:localhost", f"{r}")
        w = expect_nio(await c.whoami(), R.WhoamiResponse)
        check(w.user_id == r.user_id, f"whoami {w}")


async def test_wrong_password_is_403_forbidden(srv):
    name = unique()
    await srv.register_raw(name)
    c = srv.nio(name)
    r = expect_nio(await c.login("not the password"), R.LoginError)
    check(r.status_code == "M_FORBIDDEN" and nio_status(r) == 403, f"{r}")
    r = await srv.login_raw(name, "not the password")
    expect_error(r, 403, "M_FORBIDDEN")
    r = await srv.login_raw(unique("nobody"), PASSWORD)  # unknown user: same answer
    expect_error(r, 403, "M_FORBIDDEN")


async def test_login_is_case_insensitive(srv):
    name = unique()
    await srv.register_raw(name)
    c = srv.nio(name.upper())
    r = expect_nio(await c.login(PASSWORD), R.LoginResponse)
    check(r.user_id == f"@{name}:localhost", f"{r}")
    r = await srv.login_raw(f"@{name.upper()}:localhost")
    expect_status(r, 200)
    check(r.json["user_id"] == f"@{name}:localhost", f"{r!r}")


async def test_legacy_user_field(srv):
    name = unique()
    await srv.register_raw(name)
    r = await srv.req("POST", "/_matrix/client/r0/login",
                      {"type": "m.login.password", "user": name, "password": PASSWORD})
    expect_status(r, 200)
    check(r.json["home_server"] == "localhost" and r.json["user_id"] == f"@{name}:localhost",
          f"{r!r}")


async def test_bad_login_requests(srv):
    r = await srv.req("POST", "/_matrix/client/v3/login",
                      {"type": "m.login.password", "identifier": {"type": "m.id.user",
                                                                  "user": "x"}})
    expect_error(r, 400, "M_MISSING_PARAM")
    r = await srv.req("POST", "/_matrix/client/v3/login", {"type": "m.login.magic"})
    check(r.status == 400, f"{r!r}")
    r = await srv.req("POST", "/_matrix/client/v3/login",
                      {"type": "m.login.password", "password": 5, "user": "x"})
    expect_error(r, 400, "M_BAD_JSON")


async def test_device_id_reuse(srv):
    name = unique()
    await srv.register_raw(name, device_id="FIRSTDEV")
    a = srv.nio(name, device_id="REUSED")
    ra = expect_nio(await a.login(PASSWORD, device_name="tablet"), R.LoginResponse)
    b = srv.nio(name, device_id="REUSED")
    rb = expect_nio(await b.login(PASSWORD, device_name="other name"), R.LoginResponse)
    check(ra.device_id == rb.device_id == "REUSED", f"{ra.device_id} {rb.device_id}")
    d = expect_nio(await b.devices(), R.DevicesResponse)
    ids = sorted(x.id for x in d.devices)
    check(ids == ["FIRSTDEV", "REUSED"], f"devices {ids}")
    names = {x.id: x.display_name for x in d.devices}
    check(names["REUSED"] == "tablet", f"display name replaced: {names}")
    # Spec: logging in with an existing device_id invalidates that device's
    # previous access token (at most one token per device).
    old = await srv.whoami_status(ra.access_token)
    expect_error(old, 401, "M_UNKNOWN_TOKEN")
    new = await srv.whoami_status(rb.access_token)
    check(new.status == 200 and new.json["device_id"] == "REUSED", f"{new!r}")


async def test_initial_device_display_name_in_devices(srv):
    c = await srv.nio_user(device_name="first phone")
    l = srv.nio(c.user)
    r = expect_nio(await l.login(PASSWORD, device_name="Work laptop"), R.LoginResponse)
    d = expect_nio(await c.devices(), R.DevicesResponse)
    names = {x.id: x.display_name for x in d.devices}
    check(names.get(r.device_id) == "Work laptop" and "first phone" in names.values(),
          f"devices {names}")
    for x in d.devices:
        check(x.last_seen_ip == "127.0.0.1", f"last_seen_ip {x}")


async def test_logout_kills_token(srv):
    c = await srv.nio_user()
    token, device = c.access_token, c.device_id
    expect_nio(await c.logout(), R.LogoutResponse)
    r = await srv.whoami_status(token)
    expect_error(r, 401, "M_UNKNOWN_TOKEN")
    check(r.json.get("soft_logout") is False, f"soft_logout {r!r}")
    # The device went with it.
    l = srv.nio(c.user)
    expect_nio(await l.login(PASSWORD), R.LoginResponse)
    d = expect_nio(await l.devices(), R.DevicesResponse)
    check(device not in [x.id for x in d.devices], "logged-out device still listed")
    # Logging out twice: the token is unknown.
    r = await srv.req("POST", "/_matrix/client/v3/logout", {}, token=token)
    expect_error(r, 401, "M_UNKNOWN_TOKEN")


async def test_logout_all(srv):
    c = await srv.nio_user()
    others = []
    for _ in range(2):
        r = await srv.login_raw(c.user)
        expect_status(r, 200)
        others.append(r.json["access_token"])
    expect_nio(await c.logout(all_devices=True), R.LogoutResponse)
    for t in [c.access_token or "", *others]:
        if t:
            expect_error(await srv.whoami_status(t), 401, "M_UNKNOWN_TOKEN")
    l = srv.nio(c.user)
    expect_nio(await l.login(PASSWORD), R.LoginResponse)
    d = expect_nio(await l.devices(), R.DevicesResponse)
    check(len(d.devices) == 1, f"devices left after logout/all: {d.devices}")


async def test_refresh_tokens(srv):
    name = unique()
    await srv.register_raw(name)
    r = await srv.login_raw(name, refresh_token=True)
    expect_status(r, 200)
    first = r.json
    check(isinstance(first.get("refresh_token"), str), f"no refresh_token: {r!r}")
    plain = await srv.login_raw(name)
    check("refresh_token" not in plain.json, f"refresh token without asking: {plain!r}")
    r = await srv.req("POST", "/_matrix/client/v3/refresh",
                      {"refresh_token": first["refresh_token"]})
    expect_status(r, 200)
    second = r.json
    check(second["access_token"] != first["access_token"] and
          second["refresh_token"] != first["refresh_token"], f"same tokens: {r!r}")
    w = await srv.whoami_status(second["access_token"])
    check(w.status == 200 and w.json["device_id"] == first["device_id"], f"{w!r}")
    r = await srv.req("POST", "/_matrix/client/v3/refresh",
                      {"refresh_token": first["refresh_token"]})
    expect_error(r, 401, "M_UNKNOWN_TOKEN")
    r = await srv.req("POST", "/_matrix/client/v3/refresh", {"refresh_token": "rls_bogus"})
    expect_error(r, 401, "M_UNKNOWN_TOKEN")
    r = await srv.req("POST", "/_matrix/client/v3/refresh", {})
    expect_error(r, 400, "M_MISSING_PARAM")
    # The second pair still refreshes.
    r = await srv.req("POST", "/_matrix/client/v3/refresh",
                      {"refresh_token": second["refresh_token"]})
    expect_status(r, 200)
