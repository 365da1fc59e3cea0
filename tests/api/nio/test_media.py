"""The content repository through matrix-nio (its upload, download and
thumbnail calls use the legacy /_matrix/media/r0 paths, served here with
[media] legacy_unauthenticated = 1) and raw HTTP for the authenticated
/_matrix/client/v1/media endpoints: same bytes and type back, thumbnails of
a real PNG and JPEG no larger than asked, 413 before the whole body, 404s,
the async create/upload flow, and the admin CLI's quarantine and delete."""

import asyncio
import os
import shutil
import struct
import subprocess
import tempfile

import aiohttp
from nio import responses as R
from nio.api import ResizingMethod

import common
from common import check, expect_error, expect_nio, expect_status

LIMIT = 1048576
SERVER = {"set": {"media.max_upload_bytes": LIMIT, "media.legacy_unauthenticated": 1}}


def make_png(width, height):
    """The suite's test image (common.make_png with blue 128)."""
    return common.make_png(width, height, 128)


def make_jpeg(width, height):
    """A JPEG made from the PNG by libvips' own command-line tool (Debian libvips-tools)."""
    vips = shutil.which("vips")
    check(vips, "the vips command (Debian libvips-tools) is needed for the JPEG test")
    d = tempfile.mkdtemp(prefix="relais-media-")
    try:
        src, dst = os.path.join(d, "in.png"), os.path.join(d, "out.jpg")
        with open(src, "wb") as f:
            f.write(make_png(width, height))
        subprocess.run([vips, "copy", src, dst], check=True, timeout=30)
        with open(dst, "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(d)


def image_size(data):
    """(format, width, height) read from PNG or JPEG headers."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        w, h = struct.unpack(">II", data[16:24])
        return "png", w, h
    check(data[:2] == b"\xff\xd8", f"neither PNG nor JPEG: {data[:8]!r}")
    i = 2
    while i + 9 < len(data):
        check(data[i] == 0xFF, "bad JPEG marker")
        marker, seg = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return "jpeg", w, h
        i += 2 + seg
    raise AssertionError("no JPEG frame header")


async def upload_raw(srv, token, data, ctype="application/octet-stream", name=None):
    q = {"filename": name} if name else None
    return await srv.req("POST", "/_matrix/media/v3/upload", data, token=token,
                         headers={"Content-Type": ctype}, query=q)


async def get_bytes(srv, path, token=None, query=None):
    h = {"Authorization": f"Bearer {token}"} if token else {}
    async with srv.http.get(srv.base + path, headers=h, params=query) as r:
        return r.status, r.headers, await r.read()


def mxc_parts(uri):
    check(uri.startswith("mxc://localhost/"), f"content_uri {uri}")
    return uri[len("mxc://"):].split("/", 1)


async def test_nio_upload_download_same_bytes_and_type(srv):
    c = await srv.nio_user("up")
    data = os.urandom(70000)
    resp, _ = await c.upload(lambda *_: data, content_type="application/pdf",
                             filename="report.pdf", filesize=len(data))
    up = expect_nio(resp, R.UploadResponse)
    dl = expect_nio(await c.download(up.content_uri), R.DownloadResponse)
    check(dl.body == data, "downloaded bytes differ")
    check(dl.content_type == "application/pdf", f"type {dl.content_type}")
    # the authenticated endpoint gives the same, with the safety headers
    server, media_id = mxc_parts(up.content_uri)
    st, h, body = await get_bytes(srv, f"/_matrix/client/v1/media/download/{server}/{media_id}",
                                  c.access_token)
    check(st == 200 and body == data, f"authenticated download {st}")
    check(h["Content-Type"] == "application/pdf", f"{h['Content-Type']}")
    check(h["Content-Disposition"].startswith("attachment") and "report.pdf" in
          h["Content-Disposition"], h["Content-Disposition"])
    check(h["Content-Security-Policy"].startswith("sandbox"), h["Content-Security-Policy"])
    check(h["X-Content-Type-Options"] == "nosniff", "nosniff")
    check(h["Cross-Origin-Resource-Policy"] == "cross-origin", "CORP")


async def test_unsafe_type_served_as_octet_stream_attachment(srv):
    c = await srv.nio_user("html")
    r = await upload_raw(srv, c.access_token, b"<script>alert(1)</script>", "text/html", "x.html")
    expect_status(r, 200)
    server, media_id = mxc_parts(r.json["content_uri"])
    st, h, body = await get_bytes(srv, f"/_matrix/client/v1/media/download/{server}/{media_id}",
                                  c.access_token)
    check(st == 200 and body.startswith(b"<script>"), f"{st}")
    check(h["Content-Type"] == "application/octet-stream", h["Content-Type"])
    check(h["Content-Disposition"].startswith("attachment"), h["Content-Disposition"])
    # an image is inline, with a file name from the URL
    r = await upload_raw(srv, c.access_token, make_png(4, 4), "image/png", "a.png")
    server, media_id = mxc_parts(r.json["content_uri"])
    st, h, _ = await get_bytes(
        srv, f"/_matrix/client/v1/media/download/{server}/{media_id}/caf%C3%A9.png",
        c.access_token)
    check(st == 200 and h["Content-Type"] == "image/png", f"{st} {h['Content-Type']}")
    check(h["Content-Disposition"] == "inline; filename*=utf-8''caf%C3%A9.png",
          h["Content-Disposition"])


async def test_thumbnails_png_and_jpeg_no_larger_than_asked(srv):
    c = await srv.nio_user("thumb")
    for kind, data in (("png", make_png(320, 240)), ("jpeg", make_jpeg(320, 240))):
        r = await upload_raw(srv, c.access_token, data, f"image/{kind}")
        expect_status(r, 200)
        server, media_id = mxc_parts(r.json["content_uri"])
        for w, h, method in ((64, 64, "crop"), (100, 50, "scale"), (1000, 1000, "scale")):
            for attempt in range(2):  # the second is served from the cache
                st, hd, body = await get_bytes(
                    srv, f"/_matrix/client/v1/media/thumbnail/{server}/{media_id}",
                    c.access_token, {"width": w, "height": h, "method": method})
                check(st == 200, f"{kind} {w}x{h} {method}: {st} {body[:200]!r}")
                fmt, tw, th = image_size(body)
                check(fmt == kind and hd["Content-Type"] == f"image/{kind}", f"{fmt} {hd}")
                check(tw <= min(w, 320) and th <= min(h, 240), f"{kind} {w}x{h}: got {tw}x{th}")
                if method == "crop":
                    check((tw, th) == (w, h), f"crop {w}x{h}: got {tw}x{th}")
                elif w < 320:  # fits the box (sides rounded down to 96x48), aspect kept
                    check(th >= 0.9 * 48 and abs(tw * 3 - th * 4) <= 4, f"scale {w}x{h}: got {tw}x{th}")
                else:
                    check((tw, th) == (320, 240), f"never upscaled: {tw}x{th}")
    # nio's thumbnail call (legacy path)
    r = await upload_raw(srv, c.access_token, make_png(200, 100), "image/png")
    server, media_id = mxc_parts(r.json["content_uri"])
    t = expect_nio(await c.thumbnail(server, media_id, 50, 50, ResizingMethod.scale),
                   R.ThumbnailResponse)
    fmt, tw, th = image_size(t.body)
    check(tw <= 50 and th <= 25 and tw >= 40 and tw == 2 * th, f"nio thumbnail {tw}x{th}")


async def test_thumbnail_of_non_image_refused(srv):
    c = await srv.nio_user("notimg")
    r = await upload_raw(srv, c.access_token, b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                         "image/svg+xml")
    server, media_id = mxc_parts(r.json["content_uri"])
    r = await srv.req("GET", f"/_matrix/client/v1/media/thumbnail/{server}/{media_id}",
                      token=c.access_token, query={"width": "32", "height": "32"})
    check(r.status == 400, f"{r!r}")
    r = await srv.req("GET", f"/_matrix/client/v1/media/thumbnail/{server}/{media_id}",
                      token=c.access_token, query={"width": "x", "height": "32"})
    expect_error(r, 400, "M_INVALID_PARAM")


async def test_oversized_upload_413_and_server_keeps_serving(srv):
    c = await srv.nio_user("big")
    r = await upload_raw(srv, c.access_token, b"x" * (LIMIT + 1))
    expect_error(r, 413, "M_TOO_LARGE")
    r = await upload_raw(srv, c.access_token, b"x" * LIMIT)
    expect_status(r, 200)
    # far over the limit with Expect: 100-continue: refused before the body is sent
    async with srv.http.post(srv.base + "/_matrix/media/v3/upload", data=b"y" * (30 << 20),
                             headers={"Authorization": f"Bearer {c.access_token}"},
                             expect100=True) as resp:
        check(resp.status == 413, f"expect-100 upload: {resp.status}")
    expect_status(await srv.whoami_status(c.access_token), 200)
    r = await srv.req("GET", "/_matrix/client/v1/media/config", token=c.access_token)
    expect_status(r, 200)
    check(r.json == {"m.upload.size": LIMIT}, f"{r.json}")


async def test_unknown_media_404_and_auth_401(srv):
    c = await srv.nio_user("unk")
    for path in ("/_matrix/client/v1/media/download/localhost/nosuchmedia",
                 "/_matrix/client/v1/media/download/other.example/nosuchmedia",
                 "/_matrix/media/v3/download/localhost/nosuchmedia"):
        expect_error(await srv.req("GET", path, token=c.access_token), 404, "M_NOT_FOUND")
    r = await upload_raw(srv, c.access_token, b"hello", "text/plain")
    server, media_id = mxc_parts(r.json["content_uri"])
    expect_error(await srv.req("GET", f"/_matrix/client/v1/media/download/{server}/{media_id}"),
                 401, "M_MISSING_TOKEN")
    # legacy unauthenticated download is served in this module's config
    st, _, body = await get_bytes(srv, f"/_matrix/media/v3/download/{server}/{media_id}")
    check(st == 200 and body == b"hello", f"legacy {st}")
    expect_error(await upload_raw(srv, None, b"hello"), 401, "M_MISSING_TOKEN")
    r = await srv.req("GET", "/_matrix/client/v1/media/preview_url", token=c.access_token,
                      query={"url": "http://127.0.0.1/"})
    expect_error(r, 404, "M_UNRECOGNIZED")  # URL previews are off by default


async def test_async_create_then_upload(srv):
    a = await srv.nio_user("asyn")
    b = await srv.nio_user("other")
    r = await srv.req("POST", "/_matrix/media/v1/create", token=a.access_token)
    expect_status(r, 200)
    check(r.json["unused_expires_at"] > 0, f"{r.json}")
    server, media_id = mxc_parts(r.json["content_uri"])
    dl = f"/_matrix/client/v1/media/download/{server}/{media_id}"
    put = f"/_matrix/media/v3/upload/{server}/{media_id}"
    expect_error(await srv.req("GET", dl, token=a.access_token, query={"timeout_ms": "0"}),
                 504, "M_NOT_YET_UPLOADED")
    expect_error(await srv.req("PUT", put, b"theirs", token=b.access_token,
                               headers={"Content-Type": "text/plain"}), 403, "M_FORBIDDEN")

    async def later():
        await asyncio.sleep(0.3)
        return await srv.req("PUT", put, b"async body", token=a.access_token,
                             headers={"Content-Type": "text/plain"})
    task = asyncio.ensure_future(later())
    st, h, body = await get_bytes(srv, dl, a.access_token, {"timeout_ms": "10000"})
    expect_status(await task, 200)
    check(st == 200 and body == b"async body" and h["Content-Type"] == "text/plain",
          f"waited download {st} {body!r}")
    expect_error(await srv.req("PUT", put, b"again", token=a.access_token,
                               headers={"Content-Type": "text/plain"}),
                 409, "M_CANNOT_OVERWRITE_MEDIA")
    expect_error(await srv.req("PUT", f"/_matrix/media/v3/upload/{server}/unknownid", b"x",
                               token=a.access_token), 404, "M_NOT_FOUND")


async def test_cli_quarantine_and_delete(srv):
    c = await srv.nio_user("quar")
    data = b"secret bytes"
    r = await upload_raw(srv, c.access_token, data, "text/plain")
    uri = r.json["content_uri"]
    server, media_id = mxc_parts(uri)
    path = f"/_matrix/client/v1/media/download/{server}/{media_id}"
    rc, out, err = await srv.cli("media", "list")
    check(rc == 0 and uri in out, f"list: {rc} {out} {err}")
    rc, out, err = await srv.cli("media", "quarantine", uri)
    check(rc == 0, f"quarantine: {rc} {out} {err}")
    expect_error(await srv.req("GET", path, token=c.access_token), 404, "M_NOT_FOUND")
    rc, out, err = await srv.cli("media", "unquarantine", uri)
    check(rc == 0, f"unquarantine: {rc} {err}")
    st, _, body = await get_bytes(srv, path, c.access_token)
    check(st == 200 and body == data, f"released {st}")
    rc, out, err = await srv.cli("media", "delete", uri)
    check(rc == 0, f"delete: {rc} {err}")
    expect_error(await srv.req("GET", path, token=c.access_token), 404, "M_NOT_FOUND")
    rc, out, err = await srv.cli("media", "delete", uri)
    check(rc != 0 and "no media" in err, f"second delete: {rc} {err}")
