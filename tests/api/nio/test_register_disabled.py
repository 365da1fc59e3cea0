"""Registration disabled: /register and /register/available answer 403, and
the admin CLI still creates accounts that can log in."""

from nio import responses as R

from common import PASSWORD, check, expect_error, expect_nio, unique

SERVER = {"registration": "disabled"}


async def test_register_forbidden(srv):
    c = srv.nio()
    r = await c.register(unique(), PASSWORD)
    expect_nio(r, R.RegisterErrorResponse)
    check(r.status_code == "M_FORBIDDEN", f"{r}")
    r = await srv.req("POST", "/_matrix/client/v3/register",
                      {"username": unique(), "password": PASSWORD,
                       "auth": {"type": "m.login.registration_token",
                                "token": srv.creds["registration token"]}})
    expect_error(r, 403, "M_FORBIDDEN")


async def test_available_forbidden(srv):
    r = await srv.req("GET", "/_matrix/client/v3/register/available",
                      query={"username": unique()})
    expect_error(r, 403, "M_FORBIDDEN")


async def test_admin_can_log_in(srv):
    c = srv.nio("admin")
    r = expect_nio(await c.login(srv.creds["admin password"]), R.LoginResponse)
    check(r.user_id == "@admin:localhost", f"{r}")
