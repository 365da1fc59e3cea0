"""URL previews with [media] url_preview_enabled and 127.0.0.1 whitelisted
(the rest of the default blacklist stays): a loopback page's OpenGraph title
and description come back, its relative og:image is fetched, kept as media
and downloads as the same bytes; redirects are followed, but not to a blocked
address; answers are cached; a page over url_preview_max_spider_size, an
error page, a binary file and a slow page fail with Synapse's statuses while
the server keeps serving; bad parameters are 400; the legacy path (used by
matrix-js-sdk) is served with a token, as Synapse does."""

import asyncio

from common import check, expect_error, expect_status
from preview_util import DESCRIPTION, PNG, TITLE, preview, site

SERVER = {"set": {"media.url_preview_enabled": 1,
                  "media.url_preview_ip_range_whitelist": "127.0.0.1",
                  "media.url_preview_max_spider_size": 65536,
                  "media.url_preview_timeout_ms": 1500}}


async def download(srv, token, mxc):
    check(mxc.startswith("mxc://localhost/"), f"og:image {mxc}")
    server, media_id = mxc[len("mxc://"):].split("/", 1)
    async with srv.http.get(f"{srv.base}/_matrix/client/v1/media/download/{server}/{media_id}",
                            headers={"Authorization": f"Bearer {token}"}) as r:
        return r.status, r.headers.get("Content-Type"), await r.read()


async def test_page_opengraph_and_image_as_media(srv):
    s = site()
    c = await srv.nio_user("prev")
    r = await preview(srv, c.access_token, s.url("/page.html?a=1"), ts="1700000000000")
    expect_status(r, 200)
    og = r.json
    check(og.get("og:title") == TITLE, f"og:title {og.get('og:title')!r}")
    check(og.get("og:description") == DESCRIPTION, f"og:description {og.get('og:description')!r}")
    check(og.get("og:site_name") == "Loopback", f"{og}")
    check(og.get("og:image:type") == "image/png", f"{og}")
    check(og.get("matrix:image:size") == len(PNG), f"{og}")
    check(og.get("og:image:width") == 40 and og.get("og:image:height") == 30, f"{og}")
    st, ctype, body = await download(srv, c.access_token, og["og:image"])
    check(st == 200 and body == PNG and ctype == "image/png", f"image download {st} {ctype}")
    # the second ask is answered from the cache: the site sees no new request
    hits = s.hits.get("/page.html", 0)
    r2 = await preview(srv, c.access_token, s.url("/page.html?a=1"))
    expect_status(r2, 200)
    check(r2.json == og, f"cached answer differs: {r2.json}")
    check(s.hits.get("/page.html", 0) == hits, "the cached preview fetched the page again")


async def test_redirect_followed_and_image_url_itself(srv):
    s = site()
    c = await srv.nio_user("redir")
    r = await preview(srv, c.access_token, s.url("/redirect"))
    expect_status(r, 200)
    check(r.json.get("og:title") == TITLE, f"{r.json}")
    r = await preview(srv, c.access_token, s.url("/img/logo.png?direct"))
    expect_status(r, 200)
    og = r.json
    check(og.get("og:image:type") == "image/png" and og.get("matrix:image:size") == len(PNG),
          f"{og}")
    st, _, body = await download(srv, c.access_token, og["og:image"])
    check(st == 200 and body == PNG, f"direct image download {st}")


async def test_blocked_addresses_and_redirects_403(srv):
    s = site()
    c = await srv.nio_user("blocked")
    for url in (s.url("/page.html", "127.0.0.2"), s.url("/page.html", "[::1]"),
                s.url("/page.html", "[::ffff:127.0.0.3]"), s.url("/page.html", "0.0.0.0")):
        expect_error(await preview(srv, c.access_token, url), 403, "M_UNKNOWN")
    s.redirect_target = s.url("/page.html", "127.0.0.2")
    hits = s.hits.get("/page.html", 0)
    r = await preview(srv, c.access_token, s.url("/redirect-out"))
    expect_error(r, 403, "M_UNKNOWN")
    check(s.hits.get("/page.html", 0) == hits, "the blocked redirect reached the page")
    # an og:image on a blocked address is left out; the page's preview still comes
    r = await preview(srv, c.access_token, s.url("/private-image.html"))
    expect_status(r, 200)
    check(r.json.get("og:title") == "Private image" and "og:image" not in r.json, f"{r.json}")
    # only http and https, also after a redirect
    s.redirect_target = "file:///etc/passwd"
    r = await preview(srv, c.access_token, s.url("/redirect-out?file"))
    check(r.status == 502 and "passwd" not in r.text, f"redirect to file: {r!r}")


async def test_failures_answer_and_server_keeps_serving(srv):
    s = site()
    c = await srv.nio_user("fail")
    expect_error(await preview(srv, c.access_token, s.url("/big.html")), 502, "M_TOO_LARGE")
    expect_error(await preview(srv, c.access_token, s.url("/big-stream")), 502, "M_TOO_LARGE")
    expect_error(await preview(srv, c.access_token, s.url("/missing")), 502, "M_UNKNOWN")
    expect_error(await preview(srv, c.access_token, s.url("/file.bin")), 502, "M_UNKNOWN")
    r = await preview(srv, c.access_token, s.url("/untyped"))  # Synapse: 200, nothing found
    expect_status(r, 200)
    check(r.json == {}, f"untyped answer {r.json}")
    expect_error(await preview(srv, c.access_token, s.url("/slow")), 504, "M_UNKNOWN")
    # several at once: each gets its answer, none blocks the others
    rs = await asyncio.gather(*(preview(srv, c.access_token, s.url(f"/page.html?n={i}"))
                                for i in range(2)),
                              preview(srv, c.access_token, s.url("/big.html?again")))
    for r in rs[:2]:
        expect_status(r, 200)
    expect_error(rs[2], 502, "M_TOO_LARGE")
    expect_status(await srv.req("GET", "/_matrix/client/versions"), 200)


async def test_one_user_cannot_hold_every_preview_thread(srv):
    s = site()
    a = await srv.nio_user("greedy")
    b = await srv.nio_user("other")
    slow = [asyncio.ensure_future(preview(srv, a.access_token, s.url(f"/slow?g={i}")))
            for i in range(5)]
    await asyncio.sleep(0.3)
    # 3 of a's previews are in progress: the others are refused at once, b is served
    t0 = asyncio.get_running_loop().time()
    expect_status(await preview(srv, b.access_token, s.url("/page.html?other")), 200)
    check(asyncio.get_running_loop().time() - t0 < 1.4,
          "another user's preview waited behind a slow one")
    statuses = sorted([(await t).status for t in slow])
    check(statuses == [429, 429, 504, 504, 504], f"statuses {statuses}")


async def test_queued_duplicates_use_the_first_answer(srv):
    # Six clients ask for one new link at once (two users, three each): four preview
    # threads fetch it, the two jobs queued behind them find the cached answer.
    s = site()
    users = [await srv.nio_user("dup"), await srv.nio_user("dup")]
    url = s.url("/page-slow.html?dup")
    rs = await asyncio.gather(*(preview(srv, users[i % 2].access_token, url) for i in range(6)))
    for r in rs:
        expect_status(r, 200)
        check(r.json.get("og:title") == TITLE, f"{r.json}")
    check(s.hits.get("/page-slow.html", 0) <= 4, f"fetched {s.hits.get('/page-slow.html')} times")


async def test_bad_parameters_and_legacy_path_served(srv):
    c = await srv.nio_user("params")
    t = c.access_token
    expect_error(await srv.req("GET", "/_matrix/client/v1/media/preview_url", token=t), 400,
                 "M_MISSING_PARAM")
    for bad in ("ftp://example.org/", "example.org", "http://", "http:///x",
                "http://exa mple.org/", "javascript:alert(1)"):
        expect_error(await preview(srv, t, bad), 400, "M_INVALID_PARAM")
    expect_error(await preview(srv, t, site().url("/page.html"), ts="soon"), 400,
                 "M_INVALID_PARAM")
    expect_error(await srv.req("GET", "/_matrix/client/v1/media/preview_url",
                               query={"url": site().url("/page.html")}), 401, "M_MISSING_TOKEN")
    # the legacy path (matrix-js-sdk's) is served, with a token, as Synapse serves it
    r = await srv.req("GET", "/_matrix/media/v3/preview_url", token=t,
                      query={"url": site().url("/page.html?legacy")})
    expect_status(r, 200)
    check(r.json.get("og:title") == TITLE, f"{r.json}")
    expect_error(await srv.req("GET", "/_matrix/media/v3/preview_url",
                               query={"url": site().url("/page.html")}), 401, "M_MISSING_TOKEN")
