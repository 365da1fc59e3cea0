"""Access tokens with a lifetime (clients that ask for refresh tokens): an
expired token is 401 M_UNKNOWN_TOKEN with soft_logout true, and /refresh
brings the session back. Tokens of clients without refresh never expire."""

import asyncio

from common import check, expect_error, expect_status, unique

LIFETIME_MS = 1500
SERVER = {"registration": "open",
          "set": {"registration.access_token_lifetime_ms": LIFETIME_MS}}


async def test_expired_token_is_soft_logout_then_refresh(srv):
    name = unique()
    await srv.register_raw(name)
    r = await srv.login_raw(name, refresh_token=True)
    expect_status(r, 200)
    body = r.json
    check(body.get("expires_in_ms") == LIFETIME_MS, f"expires_in_ms {r!r}")
    plain = (await srv.login_raw(name)).json
    check("expires_in_ms" not in plain, f"expiry without refresh: {plain}")
    expect_status(await srv.whoami_status(body["access_token"]), 200)
    await asyncio.sleep(LIFETIME_MS / 1000 + 0.3)
    w = await srv.whoami_status(body["access_token"])
    expect_error(w, 401, "M_UNKNOWN_TOKEN")
    check(w.json.get("soft_logout") is True, f"soft_logout {w!r}")
    expect_status(await srv.whoami_status(plain["access_token"]), 200)
    r = await srv.req("POST", "/_matrix/client/v3/refresh",
                      {"refresh_token": body["refresh_token"]})
    expect_status(r, 200)
    check(r.json.get("expires_in_ms") == LIFETIME_MS, f"{r!r}")
    w = await srv.whoami_status(r.json["access_token"])
    check(w.status == 200 and w.json["device_id"] == body["device_id"], f"{w!r}")
