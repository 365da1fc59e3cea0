"""[http] trusted_proxies set, but the test client (127.0.0.1) is not one of them: its
X-Forwarded-For is ignored, and login rate limits key on the connection's address."""

from common import expect_error

SERVER = {"registration": "open", "set": {
    "http.trusted_proxies": "10.0.0.0/8",
    "ratelimit.login_burst": 3, "ratelimit.login_per_minute": 1}}

LOGIN = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "nobody"},
         "password": "wrong password"}


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(srv):
    for i in range(3):
        r = await srv.req("POST", "/_matrix/client/v3/login", LOGIN,
                          headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})
        expect_error(r, 403, "M_FORBIDDEN")
    # A fresh forwarded address does not help: the limit is the peer's.
    r = await srv.req("POST", "/_matrix/client/v3/login", LOGIN,
                      headers={"X-Forwarded-For": "203.0.113.99"})
    expect_error(r, 429, "M_LIMIT_EXCEEDED")
