"""URL previews with [media] url_preview_enabled and the default blacklist:
a page on this machine is refused with 403 (Synapse's "IP address blocked")
whether named by its IP address or by "localhost", and the site never sees a
request; the server keeps serving."""

from common import check, expect_error, expect_status
from preview_util import preview, site

SERVER = {"set": {"media.url_preview_enabled": 1}}


async def test_loopback_refused_by_ip_and_name(srv):
    s = site()
    c = await srv.nio_user("dflt")
    before = dict(s.hits)
    for host in ("127.0.0.1", "localhost", "[::1]", "127.1"):
        expect_error(await preview(srv, c.access_token, s.url("/page.html", host)), 403,
                     "M_UNKNOWN")
    check(s.hits == before, f"the site was reached: {s.hits}")
    expect_status(await srv.req("GET", "/_matrix/client/versions"), 200)
