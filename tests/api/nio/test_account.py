"""Profiles, devices (with UIA), password change, deactivation, 3pids and
global account data."""

import asyncio

from nio import responses as R

from common import PASSWORD, check, expect_error, expect_nio, expect_status, nio_status, unique

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"


def password_auth(user, password=PASSWORD, session=None):
    a = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
         "password": password}
    if session:
        a["session"] = session
    return a


async def test_profile_displayname_and_avatar(srv):
    c = await srv.nio_user()
    expect_nio(await c.set_displayname("Alice Liddell"), R.ProfileSetDisplayNameResponse)
    expect_nio(await c.set_avatar("mxc://localhost/abcDEF"), R.ProfileSetAvatarResponse)
    p = expect_nio(await c.get_profile(), R.ProfileGetResponse)
    check(p.displayname == "Alice Liddell" and p.avatar_url == "mxc://localhost/abcDEF",
          f"profile {p}")
    d = expect_nio(await c.get_displayname(), R.ProfileGetDisplayNameResponse)
    check(d.displayname == "Alice Liddell", f"{d}")
    a = expect_nio(await c.get_avatar(), R.ProfileGetAvatarResponse)
    check(a.avatar_url == "mxc://localhost/abcDEF", f"{a}")
    # Another user (and anyone, unauthenticated) can read it.
    other = await srv.nio_user()
    p2 = expect_nio(await other.get_profile(c.user), R.ProfileGetResponse)
    check(p2.displayname == "Alice Liddell", f"{p2}")
    r = await srv.req("GET", f"{CS}/profile/{c.user}")
    check(r.status == 200 and r.json["displayname"] == "Alice Liddell", f"{r!r}")
    # Non-ASCII survives the round trip.
    expect_nio(await c.set_displayname("Zoë 🚀"), R.ProfileSetDisplayNameResponse)
    d = expect_nio(await other.get_displayname(c.user), R.ProfileGetDisplayNameResponse)
    check(d.displayname == "Zoë 🚀", f"{d}")


async def test_profile_of_someone_else_is_403(srv):
    a = await srv.nio_user()
    b = await srv.nio_user()
    r = await srv.req("PUT", f"{CS}/profile/{b.user}/displayname", {"displayname": "pwned"},
                      token=a.access_token)
    expect_error(r, 403, "M_FORBIDDEN")
    r = await srv.req("PUT", f"{CS}/profile/{b.user}/avatar_url",
                      {"avatar_url": "mxc://x/y"}, token=a.access_token)
    expect_error(r, 403, "M_FORBIDDEN")
    r = await srv.req("PUT", f"{CS}/profile/{a.user}/displayname", {"displayname": "x"})
    expect_error(r, 401, "M_MISSING_TOKEN")


async def test_profile_missing_user_is_404(srv):
    c = await srv.nio_user()
    r = expect_nio(await c.get_profile("@nobody:localhost"), R.ProfileGetError)
    check(nio_status(r) == 404 and r.status_code == "M_NOT_FOUND", f"{r}")
    r = await srv.req("GET", f"{CS}/profile/%40nobody%3Alocalhost/displayname")
    expect_error(r, 404, "M_NOT_FOUND")


async def test_devices_get_rename_delete_with_uia(srv):
    c = await srv.nio_user(device_name="phone")
    r = await srv.login_raw(c.user, initial_device_display_name="old laptop")
    other = r.json["device_id"]
    other_token = r.json["access_token"]
    # GET one device.
    g = await srv.req("GET", f"{CS}/devices/{other}", token=c.access_token)
    check(g.status == 200 and g.json["display_name"] == "old laptop", f"{g!r}")
    g = await srv.req("GET", f"{CS}/devices/NOSUCHDEVICE", token=c.access_token)
    expect_error(g, 404, "M_NOT_FOUND")
    # Rename through nio.
    expect_nio(await c.update_device(other, {"display_name": "renamed"}), R.UpdateDeviceResponse)
    d = expect_nio(await c.devices(), R.DevicesResponse)
    check({x.id: x.display_name for x in d.devices}[other] == "renamed", f"{d.devices}")
    # DELETE without auth: 401 with the password flow.
    r = await srv.req("DELETE", f"{CS}/devices/{other}", token=c.access_token)
    expect_status(r, 401)
    check([f["stages"] for f in r.json["flows"]] == [["m.login.password"]], f"{r!r}")
    session = r.json["session"]
    # Wrong password: 401, errcode M_FORBIDDEN, flows still there.
    r = await srv.req("DELETE", f"{CS}/devices/{other}",
                      {"auth": password_auth(c.user, "wrong password", session)},
                      token=c.access_token)
    expect_error(r, 401, "M_FORBIDDEN")
    check("flows" in r.json and r.json.get("session") == session, f"{r!r}")
    check((await srv.whoami_status(other_token)).status == 200, "deleted after a wrong password")
    # Right password in the same session.
    r = await srv.req("DELETE", f"{CS}/devices/{other}",
                      {"auth": password_auth(c.user, PASSWORD, session)},
                      token=c.access_token)
    expect_status(r, 200)
    expect_error(await srv.whoami_status(other_token), 401, "M_UNKNOWN_TOKEN")
    d = expect_nio(await c.devices(), R.DevicesResponse)
    check([x.id for x in d.devices] == [c.device_id], f"{d.devices}")


async def test_delete_devices_with_nio_uia(srv):
    c = await srv.nio_user()
    ids, tokens = [], []
    for _ in range(2):
        r = await srv.login_raw(c.user)
        ids.append(r.json["device_id"])
        tokens.append(r.json["access_token"])
    first = await c.delete_devices(ids)
    expect_nio(first, R.DeleteDevicesAuthResponse)
    check(first.flows == [{"stages": ["m.login.password"]}], f"{first.flows}")
    wrong = await c.delete_devices(ids, password_auth(c.user, "nope", first.session))
    check(not isinstance(wrong, R.DeleteDevicesResponse), f"deleted with a wrong password")
    check(nio_status(wrong) == 401, f"{wrong}")
    done = await c.delete_devices(ids, password_auth(c.user, PASSWORD, first.session))
    expect_nio(done, R.DeleteDevicesResponse)
    for t in tokens:
        expect_error(await srv.whoami_status(t), 401, "M_UNKNOWN_TOKEN")
    check((await srv.whoami_status(c.access_token)).status == 200, "own device went too")


async def test_uia_password_of_another_user_refused(srv):
    a = await srv.nio_user()
    b = await srv.nio_user()
    r = await srv.req("POST", f"{CS}/delete_devices",
                      {"devices": [a.device_id], "auth": password_auth(b.user)},
                      token=a.access_token)
    expect_error(r, 401, "M_FORBIDDEN")


async def test_password_change_logs_out_other_devices(srv):
    c = await srv.nio_user()
    other = (await srv.login_raw(c.user)).json["access_token"]
    path = f"{CS}/account/password"
    r = await srv.req("POST", path, {"new_password": "new password 1"}, token=c.access_token)
    expect_status(r, 401)
    session = r.json["session"]
    r = await srv.req("POST", path, {"new_password": "new password 1",
                                     "auth": password_auth(c.user, "wrong", session)},
                      token=c.access_token)
    expect_error(r, 401, "M_FORBIDDEN")
    r = await srv.req("POST", "/_matrix/client/r0/account/password",
                      {"new_password": "new password 1",
                       "auth": password_auth(c.user, PASSWORD, session)},
                      token=c.access_token)
    expect_status(r, 200)
    expect_error(await srv.whoami_status(other), 401, "M_UNKNOWN_TOKEN")
    check((await srv.whoami_status(c.access_token)).status == 200, "own session was logged out")
    expect_error(await srv.login_raw(c.user, PASSWORD), 403, "M_FORBIDDEN")
    n = srv.nio(c.user)
    expect_nio(await n.login("new password 1"), R.LoginResponse)


async def test_password_change_keeping_devices(srv):
    c = await srv.nio_user()
    other = (await srv.login_raw(c.user)).json["access_token"]
    r = await srv.req("POST", f"{CS}/account/password",
                      {"new_password": "new password 2", "logout_devices": False,
                       "auth": password_auth(c.user)}, token=c.access_token)
    expect_status(r, 200)
    check((await srv.whoami_status(other)).status == 200, "other device was logged out")
    expect_status(await srv.login_raw(c.user, "new password 2"), 200)
    r = await srv.req("POST", f"{CS}/account/password",
                      {"new_password": "short", "auth": password_auth(c.user, "new password 2")},
                      token=c.access_token)
    expect_error(r, 400, "M_WEAK_PASSWORD")


async def test_deactivate(srv):
    c = await srv.nio_user()
    expect_nio(await c.set_displayname("Soon Gone"), R.ProfileSetDisplayNameResponse)
    other = (await srv.login_raw(c.user)).json["access_token"]
    path = f"{CS}/account/deactivate"
    r = await srv.req("POST", path, {}, token=c.access_token)
    expect_status(r, 401)
    r = await srv.req("POST", path, {"auth": password_auth(c.user, "wrong",
                                                           r.json["session"])},
                      token=c.access_token)
    expect_error(r, 401, "M_FORBIDDEN")
    check((await srv.whoami_status(c.access_token)).status == 200, "deactivated on a bad password")
    r = await srv.req("POST", path, {"auth": password_auth(c.user)}, token=c.access_token)
    expect_status(r, 200)
    check(r.json.get("id_server_unbind_result") == "no-support", f"{r!r}")
    for t in (c.access_token, other):
        expect_error(await srv.whoami_status(t), 401, "M_UNKNOWN_TOKEN")
    n = srv.nio(c.user)
    lr = expect_nio(await n.login(PASSWORD), R.LoginError)
    check(lr.status_code == "M_USER_DEACTIVATED" and nio_status(lr) == 403, f"{lr}")
    # The name stays taken.
    r = await srv.req("GET", f"{CS}/register/available",
                      query={"username": c.user[1:].split(":")[0]})
    expect_error(r, 400, "M_USER_IN_USE")


async def test_threepids_empty(srv):
    c = await srv.nio_user()
    r = await srv.req("GET", f"{CS}/account/3pid", token=c.access_token)
    expect_status(r, 200)
    check(r.json == {"threepids": []}, f"{r!r}")
    expect_error(await srv.req("GET", f"{CS}/account/3pid"), 401, "M_MISSING_TOKEN")


async def test_account_data(srv):
    a = await srv.nio_user()
    b = await srv.nio_user()
    path = f"{CS}/user/{a.user}/account_data/org.example.settings"
    content = {"theme": "dark", "n": 3, "nested": {"list": [1, "two", None]}, "ü": "ß"}
    r = await srv.req("GET", path, token=a.access_token)
    expect_error(r, 404, "M_NOT_FOUND")
    r = await srv.req("PUT", path, content, token=a.access_token)
    expect_status(r, 200)
    r = await srv.req("GET", path, token=a.access_token)
    check(r.status == 200 and r.json == content, f"{r!r}")
    r = await srv.req("PUT", path, {"theme": "light"}, token=a.access_token)
    r = await srv.req("GET", path.replace("/v3/", "/r0/"), token=a.access_token)
    check(r.json == {"theme": "light"}, f"overwrite: {r!r}")
    # Someone else's: 403 both ways.
    expect_error(await srv.req("GET", path, token=b.access_token), 403, "M_FORBIDDEN")
    expect_error(await srv.req("PUT", path, {"x": 1}, token=b.access_token), 403, "M_FORBIDDEN")
    # Types with URL-encoded characters stay one parameter.
    odd = f"{CS}/user/{a.user}/account_data/org.example%2Fslash%20space"
    expect_status(await srv.req("PUT", odd, {"k": "v"}, token=a.access_token), 200)
    r = await srv.req("GET", odd, token=a.access_token)
    check(r.json == {"k": "v"}, f"{r!r}")
    r = await srv.req("PUT", path, [1, 2], token=a.access_token)
    expect_error(r, 400, "M_BAD_JSON")


async def test_devices_of_other_users_untouchable(srv):
    a = await srv.nio_user()
    b = await srv.nio_user()
    dev = a.device_id
    r = await srv.req("GET", f"{CS}/devices/{dev}", token=b.access_token)
    expect_error(r, 404, "M_NOT_FOUND")
    r = await srv.req("PUT", f"{CS}/devices/{dev}", {"display_name": "mine now"},
                      token=b.access_token)
    expect_error(r, 404, "M_NOT_FOUND")
    r = await srv.req("DELETE", f"{CS}/devices/{dev}", {"auth": password_auth(b.user)},
                      token=b.access_token)
    expect_error(r, 404, "M_NOT_FOUND")
    r = await srv.req("POST", f"{CS}/delete_devices",
                      {"devices": [dev], "auth": password_auth(b.user)}, token=b.access_token)
    expect_status(r, 200)  # unknown IDs are ignored ...
    w = await srv.whoami_status(a.access_token)  # ... and A's device survives
    check(w.status == 200 and w.json["device_id"] == dev, f"{w!r}")
    d = expect_nio(await a.devices(), R.DevicesResponse)
    check([x.id for x in d.devices] == [dev], f"{d.devices}")


async def test_last_seen_moves_when_the_device_is_used(srv):
    c = await srv.nio_user()
    r = await srv.login_raw(c.user)
    token, dev = r.json["access_token"], r.json["device_id"]

    async def seen():
        d = await srv.req("GET", f"{CS}/devices/{dev}", token=c.access_token)
        return d.json["last_seen_ts"]

    t0 = await seen()
    check(isinstance(t0, int) and t0 > 0, f"last_seen_ts at login {t0}")
    await asyncio.sleep(0.05)
    expect_status(await srv.whoami_status(token), 200)  # the device is used
    # Recorded by the database writer without holding up the request (best effort, as
    # Synapse batches its client IPs): it shows up shortly after.
    for _ in range(100):
        t1 = await seen()
        if t1 > t0:
            break
        await asyncio.sleep(0.02)
    check(t1 > t0, f"last_seen_ts did not move after use: {t0} -> {t1}")
