"""The admin CLI against a running server (token registration mode):
user add/passwd/deactivate/admin/list and token create/list."""

import asyncio
import re
import time

from nio import responses as R

from common import PASSWORD, check, expect_error, expect_nio, expect_status, unique

SERVER = {"registration": "token"}


async def test_user_add_then_login(srv):
    name = unique("cli")
    rc, out, err = await srv.cli("user", "add", name, "--password", PASSWORD)
    check(rc == 0 and f"@{name}:localhost" in out, f"user add: {rc} {out} {err}")
    c = srv.nio(name)
    r = expect_nio(await c.login(PASSWORD), R.LoginResponse)
    check(r.user_id == f"@{name}:localhost", f"{r}")


async def test_user_add_generated_password(srv):
    name = unique("gen")
    rc, out, err = await srv.cli("user", "add", name)
    m = re.search(r"^password: (\S+)$", out, re.M)
    check(rc == 0 and m, f"user add: {rc} {out} {err}")
    expect_status(await srv.login_raw(name, m.group(1)), 200)


async def test_user_add_refuses_duplicates_and_bad_names(srv):
    name = unique("dup")
    rc, _, _ = await srv.cli("user", "add", name, "--password", PASSWORD)
    check(rc == 0, "first add failed")
    rc, out, err = await srv.cli("user", "add", name, "--password", PASSWORD)
    check(rc != 0 and "exists" in err, f"duplicate: {rc} {out} {err}")
    rc, out, err = await srv.cli("user", "add", "Bad Name!", "--password", PASSWORD)
    check(rc != 0, f"bad name accepted: {out}")


async def test_user_passwd_while_running(srv):
    name = unique("pw")
    await srv.cli("user", "add", name, "--password", PASSWORD)
    rc, out, err = await srv.cli("user", "passwd", name, "--password", "brand new password")
    check(rc == 0, f"passwd: {rc} {err}")
    expect_error(await srv.login_raw(name, PASSWORD), 403, "M_FORBIDDEN")
    expect_status(await srv.login_raw(name, "brand new password"), 200)


async def test_user_deactivate_while_running(srv):
    name = unique("deact")
    await srv.cli("user", "add", name, "--password", PASSWORD)
    r = await srv.login_raw(name)
    token = r.json["access_token"]
    expect_status(await srv.whoami_status(token), 200)  # now in the server's cache
    rc, out, err = await srv.cli("user", "deactivate", name)
    check(rc == 0, f"deactivate: {rc} {err}")
    t0 = time.monotonic()
    while True:
        r = await srv.whoami_status(token)
        if r.status == 401:
            break
        check(time.monotonic() - t0 < 2.0, f"token still works 2 s after deactivate: {r!r}")
        await asyncio.sleep(0.05)
    expect_error(r, 401, "M_UNKNOWN_TOKEN")
    expect_error(await srv.login_raw(name), 403, "M_USER_DEACTIVATED")
    rc, out, _ = await srv.cli("user", "list")
    line = [l for l in out.splitlines() if l.startswith(f"@{name}:")]
    check(line and "deactivated" in line[0], f"user list: {out}")


async def test_user_admin_flag_and_list(srv):
    name = unique("adm")
    await srv.cli("user", "add", name, "--password", PASSWORD)
    rc, _, err = await srv.cli("user", "admin", name, "on")
    check(rc == 0, f"admin on: {err}")
    rc, out, _ = await srv.cli("user", "list")
    lines = {l.split()[0]: l for l in out.splitlines() if l.strip()}
    check("admin" in lines.get(f"@{name}:localhost", ""), f"user list: {out}")
    check("admin" in lines.get("@admin:localhost", ""), f"the init admin: {out}")
    rc, _, _ = await srv.cli("user", "admin", name, "off")
    rc, out, _ = await srv.cli("user", "list")
    lines = {l.split()[0]: l for l in out.splitlines() if l.strip()}
    check("admin" not in lines[f"@{name}:localhost"].split()[1:], f"still admin: {out}")
    rc, _, err = await srv.cli("user", "deactivate", unique("ghost"))
    check(rc != 0 and "no such user" in err, f"deactivating a ghost: {rc} {err}")


async def test_token_create_uses_one(srv):
    rc, out, err = await srv.cli("token", "create", "--uses", "1", "--expires", "7")
    check(rc == 0, f"token create: {err}")
    token = out.strip()
    check(re.fullmatch(r"[A-Za-z0-9._~-]{8,}", token), f"token {token!r}")
    rc, out, _ = await srv.cli("token", "list")
    line = [l for l in out.splitlines() if l.startswith(token)]
    check(line and "used 0 of 1" in line[0] and "never" not in line[0], f"token list: {out}")
    body = {"username": unique(), "password": PASSWORD,
            "auth": {"type": "m.login.registration_token", "token": token}}
    r = await srv.req("POST", "/_matrix/client/v3/register", body)
    expect_status(r, 200)
    body["username"] = unique()
    r = await srv.req("POST", "/_matrix/client/v3/register", body)
    expect_error(r, 401, "M_FORBIDDEN")
    rc, _, err = await srv.cli("token", "create", "--uses", "0")
    check(rc != 0, "--uses 0 accepted")


async def test_cli_writes_while_server_busy(srv):
    name = unique("busy")
    await srv.cli("user", "add", name, "--password", PASSWORD)
    logins = [srv.login_raw(name) for _ in range(40)]
    adds = [srv.cli("user", "add", unique("side"), "--password", PASSWORD) for _ in range(4)]
    tokens = [srv.cli("token", "create") for _ in range(2)]
    res = await asyncio.gather(*logins, *adds, *tokens)
    check(all(r.status == 200 for r in res[:40]), "a login failed while the CLI wrote")
    check(all(r[0] == 0 for r in res[40:]), f"a CLI write failed: {[r for r in res[40:] if r[0]]}")
