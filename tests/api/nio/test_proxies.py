"""[http] trusted_proxies: behind a trusted reverse proxy (here the test client itself, on
127.0.0.1) login rate limits and the access log key on the address in X-Forwarded-For,
the rightmost one that is not a trusted proxy; test_proxies_untrusted.py shows the header
ignored when the peer is not trusted. Tiny login burst (3), slow refill."""

import asyncio

from common import check, expect_error

SERVER = {"registration": "open", "set": {
    "http.trusted_proxies": "127.0.0.1, 10.0.0.0/8",
    "ratelimit.login_burst": 3, "ratelimit.login_per_minute": 1}}

LOGIN = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "nobody"},
         "password": "wrong password"}


async def login_via(srv, forwarded_for):
    h = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return await srv.req("POST", "/_matrix/client/v3/login", LOGIN, headers=h)


async def test_limit_keys_on_the_forwarded_address(srv):
    for _ in range(3):
        expect_error(await login_via(srv, "203.0.113.1"), 403, "M_FORBIDDEN")
    expect_error(await login_via(srv, "203.0.113.1"), 429, "M_LIMIT_EXCEEDED")
    # Another client behind the same proxy has its own allowance...
    expect_error(await login_via(srv, "203.0.113.2"), 403, "M_FORBIDDEN")
    # ...and so has the proxy's own address (no header).
    expect_error(await login_via(srv, None), 403, "M_FORBIDDEN")


async def test_rightmost_untrusted_entry_is_the_client(srv):
    # A client cannot escape its limit by forging entries left of what the proxy appended,
    # while hops through trusted proxies (10.0.0.0/8) are skipped.
    expect_error(await login_via(srv, "198.51.100.50, 203.0.113.1"), 429, "M_LIMIT_EXCEEDED")
    expect_error(await login_via(srv, "198.51.100.51, 203.0.113.1, 10.1.2.3"), 429,
                 "M_LIMIT_EXCEEDED")
    expect_error(await login_via(srv, "203.0.113.1, 198.51.100.52"), 403, "M_FORBIDDEN")


async def test_access_log_names_the_client(srv):
    expect_error(await login_via(srv, "[2001:db8::77]:5000"), 403, "M_FORBIDDEN")
    for _ in range(50):  # the line is written when the request completes
        with open(srv.log_path, "rb") as f:
            text = f.read().decode(errors="replace")
        if "ip=2001:db8::77" in text:
            break
        await asyncio.sleep(0.02)
    check("path=/_matrix/client/v3/login status=403" in text and "ip=2001:db8::77" in text,
          f"no access log line with the forwarded address: {text[-400:]}")
