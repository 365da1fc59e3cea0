"""The error model and hostile input: every errcode of the foundation, body
and header limits, deep JSON, invalid UTF-8, CORS, and the server still
answering afterwards. Runs with a 64 KiB body limit."""

import asyncio
import json
import re
import socket
import time

from common import check, expect_error, expect_status, raw_request

LIMIT = 65536
SERVER = {"registration": "open", "set": {"http.max_body_bytes": LIMIT}}
CS = "/_matrix/client/v3"


async def test_unknown_path_404(srv):
    for path in ("/_matrix/client/v3/no/such/endpoint", "/nothing", "/_matrix/client/v3/",
                 "/_matrix/client/v3/account/whoami/extra", "/_matrix/client/v4/login"):
        r = await srv.req("GET", path)
        expect_error(r, 404, "M_UNRECOGNIZED")
    # Bad percent-escapes in a path parameter (sent raw: aiohttp would re-encode them).
    for path in ("/_matrix/client/v3/profile/%ZZ", "/_matrix/client/v3/profile/a%00b",
                 "/_matrix/client/v3/profile/%"):
        status, _, body = await raw_request(
            srv.port, f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        check(status in (400, 404) and json.loads(body)["errcode"].startswith("M_"),
              f"{path}: {status} {body[:200]!r}")


async def test_wrong_method_405(srv):
    for method, path in (("DELETE", f"{CS}/account/whoami"), ("PUT", f"{CS}/login"),
                         ("POST", "/_matrix/client/versions"), ("DELETE", f"{CS}/register")):
        r = await srv.req(method, path)
        expect_error(r, 405, "M_UNRECOGNIZED")


async def test_body_not_json_400(srv):
    for body in (b"this is not json", b"{", b"", b'{"a":1}garbage', b"\x00\x01"):
        r = await srv.req("POST", f"{CS}/login", body)
        expect_error(r, 400, "M_NOT_JSON")


async def test_json_not_an_object_400_bad_json(srv):
    for body in ([], [{"type": "m.login.password"}], "a string", 42, None):
        r = await srv.req("POST", f"{CS}/login", json.dumps(body))
        expect_error(r, 400, "M_BAD_JSON")


async def test_missing_and_unknown_token_401(srv):
    path = f"{CS}/account/whoami"
    expect_error(await srv.req("GET", path), 401, "M_MISSING_TOKEN")
    expect_error(await srv.req("GET", path, headers={"Authorization": "Basic Zm9vOmJhcg=="}),
                 401, "M_MISSING_TOKEN")
    expect_error(await srv.req("GET", path, headers={"Authorization": "Bearer "}),
                 401, "M_MISSING_TOKEN")
    r = await srv.req("GET", path, token="rls_certainly_not_a_token")
    expect_error(r, 401, "M_UNKNOWN_TOKEN")
    r = await srv.req("GET", path, query={"access_token": "nope"})
    expect_error(r, 401, "M_UNKNOWN_TOKEN")
    # A real token in the query string works too.
    body = await srv.register_raw("querytoken")
    r = await srv.req("GET", path, query={"access_token": body["access_token"]})
    check(r.status == 200 and r.json["user_id"] == body["user_id"], f"{r!r}")


async def test_forbidden_403(srv):
    a = await srv.register_raw("forbid_a")
    b = await srv.register_raw("forbid_b")
    r = await srv.req("PUT", f"{CS}/profile/{b['user_id']}/displayname", {"displayname": "x"},
                      token=a["access_token"])
    expect_error(r, 403, "M_FORBIDDEN")


async def test_oversized_body_with_content_length_413(srv):
    body = b'{"a":"' + b"x" * (LIMIT * 4) + b'"}'
    head = (f"POST {CS}/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    # The whole body is offered; the server may answer as soon as it has read
    # the headers (and then close).
    status, _, resp = await raw_request(srv.port, head, [body[i:i + 16384]
                                                         for i in range(0, len(body), 16384)])
    check(status == 413, f"status {status} {resp[:200]!r}")
    check(json.loads(resp)["errcode"] == "M_TOO_LARGE", f"{resp[:200]!r}")
    # A huge declared length is refused before any of the body is sent.
    head = (f"POST {CS}/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10**12}\r\n\r\n").encode()
    status, _, resp = await raw_request(srv.port, head)
    check(status == 413 and json.loads(resp)["errcode"] == "M_TOO_LARGE",
          f"huge Content-Length: {status} {resp[:200]!r}")


async def test_oversized_body_through_aiohttp_413(srv):
    for n in (LIMIT + 1, LIMIT * 4, LIMIT * 64):
        r = await srv.req("POST", f"{CS}/login", b"x" * n)
        expect_error(r, 413, "M_TOO_LARGE")


async def test_oversized_body_chunked_413(srv):
    piece = b"x" * 16384
    chunks = [b'{"a":"'] + [piece] * (LIMIT * 4 // len(piece)) + [b'"}']
    encoded = [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks] + [b"0\r\n\r\n"]
    head = (f"POST {CS}/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    status, _, resp = await raw_request(srv.port, head, encoded)
    check(status == 413, f"status {status} {resp[:200]!r}")
    check(json.loads(resp)["errcode"] == "M_TOO_LARGE", f"{resp[:200]!r}")


def _chunked_without_end(port, chunks, timeout=5):
    """Sends a chunked body that passes the limit but never ends (no last chunk) and
    keeps the connection open; returns (everything the server sent, whether it then
    closed the connection, seconds until the answer)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    closed = False
    t0 = time.monotonic()
    took = None
    try:
        s.sendall(b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: t\r\n"
                  b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        for c in chunks:
            s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
    except OSError:
        pass  # the server answered and closed while we were still sending
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            got += chunk
            if took is None and b"\r\n\r\n" in got:
                took = time.monotonic() - t0
    except ConnectionResetError:
        closed = True
    except OSError:
        pass  # timeout: the server neither answered in full nor closed
    finally:
        s.close()
    return got, closed, took


async def test_oversized_chunked_body_answered_before_its_end(srv):
    # The body passes the limit but its sender never finishes it: the server must not
    # wait for (and drop) the rest, but answer 413 at once and close the connection.
    piece = b"x" * 8192
    chunks = [b'{"a":"'] + [piece] * (LIMIT * 2 // len(piece))
    got, closed, took = await asyncio.to_thread(_chunked_without_end, srv.port, chunks)
    check(got.startswith(b"HTTP/1.1 413"), f"answer {got[:200]!r}")
    check(b"M_TOO_LARGE" in got, f"answer {got[:300]!r}")
    check(took is not None and took < 3, f"answered after {took} s")
    check(closed, "the connection stayed open after the 413")
    r = await srv.req("GET", "/_matrix/client/versions")
    expect_status(r, 200)


async def test_body_just_under_the_limit_accepted(srv):
    u = await srv.register_raw("bigdata")
    value = "y" * (LIMIT - 100)
    path = f"{CS}/user/{u['user_id']}/account_data/org.example.big"
    r = await srv.req("PUT", path, {"v": value}, token=u["access_token"])
    expect_status(r, 200)
    r = await srv.req("GET", path, token=u["access_token"])
    check(r.json == {"v": value}, "big account data changed on the way")


async def test_deeply_nested_json_400(srv):
    for depth in (10000, 100000 // 2):
        for opener, closer in (("[", "]"), ('{"a":', "}")):
            body = (opener * depth + closer * depth).encode()
            if len(body) > LIMIT:
                body = body[:LIMIT - 1]  # still nested far too deep, and under the limit
            r = await srv.req("POST", f"{CS}/login", body)
            check(r.status == 400 and r.errcode() in ("M_BAD_JSON", "M_NOT_JSON"),
                  f"depth {depth} {opener}: {r!r}")


async def test_moderate_nesting_accepted(srv):
    u = await srv.register_raw("nested")
    content = {"v": 1}
    for _ in range(30):
        content = {"n": content}
    path = f"{CS}/user/{u['user_id']}/account_data/org.example.nested"
    expect_status(await srv.req("PUT", path, content, token=u["access_token"]), 200)
    r = await srv.req("GET", path, token=u["access_token"])
    check(r.json == content, "nested content changed")


async def test_invalid_utf8_400(srv):
    for bad in (b'{"type":"m.login.password","user":"\xff"}',
                b'{"type":"\xc0\xaf"}',           # overlong '/'
                b'{"type":"\xed\xa0\x80"}',       # UTF-16 surrogate encoded in UTF-8
                b'{"type":"\xe2\x82"}',           # truncated sequence
                b'{"\xf8\x88\x80\x80\x80":1}'):   # 5-byte form
        r = await srv.req("POST", f"{CS}/login", bad)
        expect_error(r, 400, "M_NOT_JSON")


async def test_cors_preflight(srv):
    r = await srv.req("OPTIONS", f"{CS}/login",
                      headers={"Origin": "https://app.element.io",
                               "Access-Control-Request-Method": "POST",
                               "Access-Control-Request-Headers": "authorization,content-type"})
    check(r.status in (200, 204), f"preflight status {r!r}")
    h = r.headers
    check(h.get("Access-Control-Allow-Origin") == "*", f"allow-origin {dict(h)}")
    methods = h.get("Access-Control-Allow-Methods", "")
    for m in ("GET", "POST", "PUT", "DELETE", "OPTIONS"):
        check(m in methods, f"allow-methods lacks {m}: {methods}")
    allowed = h.get("Access-Control-Allow-Headers", "").lower()
    for name in ("authorization", "content-type", "x-requested-with"):
        check(name in allowed, f"allow-headers lacks {name}: {allowed}")
    # Ordinary answers, errors included, carry the origin header too.
    for r in (await srv.req("GET", "/_matrix/client/versions"),
              await srv.req("GET", f"{CS}/account/whoami")):
        check(r.headers.get("Access-Control-Allow-Origin") == "*", f"no CORS on {r!r}")
        check(r.headers.get("Content-Type", "").startswith("application/json"),
              f"content type {dict(r.headers)}")


async def test_oversized_header_refused_without_crash(srv):
    big = "a" * 200000
    head = (f"GET /_matrix/client/versions HTTP/1.1\r\nHost: t\r\nX-Big: {big}\r\n\r\n").encode()
    status, _, _ = await raw_request(srv.port, head)
    check(status == 431, f"status {status}")
    check(srv.alive(), "server died")
    # A very long URL too.
    head = (f"GET /_matrix/client/v3/profile/{'b' * 200000} HTTP/1.1\r\nHost: t\r\n\r\n").encode()
    status, _, _ = await raw_request(srv.port, head)
    check(status == 414, f"long URL status {status}")
    expect_status(await srv.req("GET", "/_matrix/client/versions"), 200)


async def test_garbage_requests_survived(srv):
    for head in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"BREW /_matrix/client/versions HTTP/1.1\r\n"
                 b"Host: t\r\n\r\n", b"GET /_matrix/client/versions HTTP/9.9\r\n\r\n",
                 b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n",
                 b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: t\r\n"
                 b"Content-Length: 99999999999999999999999\r\n\r\n",
                 b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: t\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
                 b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64):  # TLS hello
        status, _, _ = await raw_request(srv.port, head, timeout=1)
        check(status == 0 or 400 <= status < 600, f"{head[:30]!r}: status {status}")
        check(srv.alive(), f"server died on {head[:30]!r}")


async def test_truncated_body_then_close(srv):
    head = (f"POST {CS}/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n").encode()
    _, w = await asyncio.open_connection("127.0.0.1", srv.port)
    w.write(head + b'{"type":')
    await w.drain()
    w.close()
    expect_status(await srv.req("GET", "/_matrix/client/versions"), 200)


async def test_head_and_trailing_slash(srv):
    r = await srv.req("HEAD", "/_matrix/client/versions")
    check(r.status == 200 and r.text == "", f"HEAD {r!r}")
    r = await srv.req("GET", "/_matrix/client/versions/")
    expect_status(r, 200)


async def test_still_serving_after_all_that(srv):
    r = await srv.req("GET", "/_matrix/client/versions")
    expect_status(r, 200)
    check("v1.16" in r.json["versions"], f"{r!r}")
    u = await srv.register_raw("survivor")
    r = await srv.whoami_status(u["access_token"])
    check(r.status == 200, f"{r!r}")


def _statuses(got):
    """The status codes of the HTTP/1.1 answers in got, in order."""
    return [int(x[9:]) for x in re.findall(rb"HTTP/1\.1 \d{3}", got)]


def _recv_answers(s, got, n):
    """Reads from s until got holds n answers' status lines, the server closes or the socket
    fails (a timeout); returns got with what came."""
    try:
        while len(_statuses(got)) < n:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    return got


def _one_connection(port, payload, expect_answers, timeout=5):
    """Sends payload on one connection; returns the status codes answered."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    try:
        s.sendall(payload)
        got = _recv_answers(s, got, expect_answers)
    except OSError:
        pass
    finally:
        s.close()
    return _statuses(got)


async def test_keep_alive_and_pipelining_after_errors(srv):
    g = b"GET /_matrix/client/versions HTTP/1.1\r\nHost: t\r\n\r\n"
    nope = b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
    bad = b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n{nope"
    body = b"x" * (LIMIT * 2)  # drained, answered 413, the connection stays usable
    big = (b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
           % len(body)) + body
    payload = g + nope + bad + big + g
    statuses = await asyncio.to_thread(_one_connection, srv.port, payload, 5)
    check(statuses == [200, 404, 400, 413, 200], f"answers on one connection: {statuses}")


def _expect_continue(port, body, timeout=5):
    """Sends headers with Expect: 100-continue, waits for the interim answer,
    then the body; returns everything the server sent."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    try:
        s.sendall(b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        while b"\r\n\r\n" not in got:
            chunk = s.recv(65536)
            if not chunk:
                return got
            got += chunk
        if got.startswith(b"HTTP/1.1 100"):
            s.sendall(body)
            got = _recv_answers(s, got, 2)
    except OSError:
        pass
    finally:
        s.close()
    return got


async def test_expect_100_continue(srv):
    body = json.dumps({"type": "m.login.password", "user": "nobody",
                       "password": "x" * 2000}).encode()
    got = await asyncio.to_thread(_expect_continue, srv.port, body)
    codes = _statuses(got)
    check(codes == [100, 403], f"answers {codes}: {got[:300]!r}")
    # Too big: refused at once, without asking for the body.
    got = await asyncio.to_thread(_expect_continue, srv.port, b"x" * (LIMIT * 2))
    codes = _statuses(got)
    check(codes == [413], f"answers {codes}: {got[:300]!r}")
