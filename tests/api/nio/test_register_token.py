"""Registration in token mode: m.login.registration_token (valid, invalid,
used up), the validity endpoint, and `relais token create` while running."""

from nio import responses as R

from common import PASSWORD, check, expect_error, expect_nio, expect_status, unique

SERVER = {"registration": "token"}
REG = "/_matrix/client/v3/register"
VALIDITY = "/_matrix/client/v1/register/m.login.registration_token/validity"


async def register_with_token(srv, token, name=None):
    """Runs the two-step UIA; returns the final answer."""
    name = name or unique()
    r = await srv.req("POST", REG, {"username": name, "password": PASSWORD})
    expect_status(r, 401)
    flows = [f["stages"] for f in r.json["flows"]]
    check(flows == [["m.login.registration_token"]], f"flows {flows}")
    return await srv.req("POST", REG, {
        "username": name, "password": PASSWORD,
        "auth": {"type": "m.login.registration_token", "token": token,
                 "session": r.json["session"]}})


async def test_register_with_token(srv):
    r = await register_with_token(srv, srv.creds["registration token"])
    expect_status(r, 200)
    w = await srv.req("GET", "/_matrix/client/v3/account/whoami", token=r.json["access_token"])
    check(w.json["user_id"] == r.json["user_id"], f"whoami {w!r}")


async def test_dummy_is_not_enough(srv):
    c = srv.nio()  # nio registers with m.login.dummy only
    r = await c.register(unique(), PASSWORD)
    check(not isinstance(r, R.RegisterResponse), f"registered without a token: {r}")
    r = await srv.req("POST", REG, {"username": unique(), "password": PASSWORD,
                                    "auth": {"type": "m.login.dummy"}})
    expect_status(r, 401)
    check("access_token" not in r.json, f"{r!r}")


async def test_invalid_token(srv):
    r = await register_with_token(srv, "not-a-token")
    expect_error(r, 401, "M_FORBIDDEN")
    check("flows" in r.json and "session" in r.json, f"UIA body missing: {r!r}")


async def test_validity_endpoint(srv):
    r = await srv.req("GET", VALIDITY, query={"token": srv.creds["registration token"]})
    expect_status(r, 200)
    check(r.json == {"valid": True}, f"{r!r}")
    r = await srv.req("GET", VALIDITY, query={"token": "nope"})
    check(r.status == 200 and r.json == {"valid": False}, f"{r!r}")
    r = await srv.req("GET", VALIDITY)
    expect_error(r, 400, "M_MISSING_PARAM")


async def test_single_use_token_from_cli(srv):
    rc, out, err = await srv.cli("token", "create", "--uses", "1")
    check(rc == 0, f"token create: {rc} {err}")
    token = out.strip().splitlines()[-1]
    r = await srv.req("GET", VALIDITY, query={"token": token})
    check(r.json == {"valid": True}, f"fresh token: {r!r}")
    r = await register_with_token(srv, token)
    expect_status(r, 200)
    r = await srv.req("GET", VALIDITY, query={"token": token})
    check(r.json == {"valid": False}, f"used-up token still valid: {r!r}")
    r = await register_with_token(srv, token)
    expect_error(r, 401, "M_FORBIDDEN")
    rc, out, _ = await srv.cli("token", "list")
    line = [l for l in out.splitlines() if l.startswith(token)]
    check(rc == 0 and line and "used 1 of 1" in line[0], f"token list: {out}")


async def test_single_use_token_two_sessions(srv):
    # Two registrations started before either used the token: only one may finish.
    rc, out, _ = await srv.cli("token", "create", "--uses", "1")
    token = out.strip().splitlines()[-1]
    sessions = []
    names = [unique(), unique()]
    for name in names:
        r = await srv.req("POST", REG, {"username": name, "password": PASSWORD})
        sessions.append(r.json["session"])
    results = []
    for name, s in zip(names, sessions):
        results.append(await srv.req("POST", REG, {
            "username": name, "password": PASSWORD,
            "auth": {"type": "m.login.registration_token", "token": token, "session": s}}))
    ok = [r for r in results if r.status == 200]
    check(len(ok) == 1, f"expected one success: {results}")
