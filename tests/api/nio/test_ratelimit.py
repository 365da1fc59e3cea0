"""Rate limits on login and registration, per client address, on a server
with a tiny burst (3 logins, 2 registrations; slow refill)."""

import nio
from nio import responses as R

from common import PASSWORD, check, expect_error, expect_nio, expect_status, unique

SERVER = {"registration": "open", "set": {
    "ratelimit.login_burst": 3, "ratelimit.login_per_minute": 2,
    "ratelimit.register_burst": 2, "ratelimit.register_per_minute": 2}}


async def test_login_limited_with_retry_after(srv):
    for _ in range(3):
        r = await srv.login_raw("nobody", "wrong password")
        expect_error(r, 403, "M_FORBIDDEN")
    r = await srv.login_raw("nobody", "wrong password")
    expect_error(r, 429, "M_LIMIT_EXCEEDED")
    wait = r.json.get("retry_after_ms")
    check(isinstance(wait, int) and 0 < wait <= 60000, f"retry_after_ms {r!r}")
    check(int(r.headers.get("Retry-After", "0")) >= 1, f"Retry-After {dict(r.headers)}")
    # nio sees the same (told not to retry by itself).
    c = nio.AsyncClient(srv.base, "nobody",
                        config=nio.AsyncClientConfig(max_limit_exceeded=0))
    srv.clients.append(c)
    lr = expect_nio(await c.login("wrong password"), R.LoginError)
    check(lr.status_code == "M_LIMIT_EXCEEDED" and lr.retry_after_ms, f"{lr}")


async def test_other_endpoints_not_limited(srv):
    for _ in range(20):
        expect_status(await srv.req("GET", "/_matrix/client/versions"), 200)
        expect_status(await srv.req("GET", "/_matrix/client/v3/login"), 200)


async def test_register_limited(srv):
    statuses = []
    for _ in range(3):
        r = await srv.req("POST", "/_matrix/client/v3/register",
                          {"username": unique(), "password": PASSWORD,
                           "auth": {"type": "m.login.dummy"}})
        statuses.append(r.status)
    check(statuses[:2] == [200, 200], f"statuses {statuses}")
    expect_error(r, 429, "M_LIMIT_EXCEEDED")
    check(r.json.get("retry_after_ms", 0) > 0, f"{r!r}")
