"""preview_util.py: a loopback web site for the URL preview suites
(test_preview_url*.py), served by Python's http.server on a thread: an HTML
page with OpenGraph tags and a relative og:image, that image (a real PNG),
redirects, a page larger than the preview limit (announced or not), an error page, a binary
file and a page that answers too late. Every request is counted by path."""

import http.server
import threading
import time

from common import make_png


PNG = make_png(40, 30, 64)
TITLE = "Relais test page \u00e9t\u00e9"
DESCRIPTION = "A page served by the test & previewed by relais."
PAGE = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<title>Not the og title</title>"
        f"<meta property='og:title' content='Relais test page &eacute;t\u00e9'>"
        "<meta property='og:description' content='A page served by the test &amp; previewed "
        "by relais.'>"
        "<meta property='og:site_name' content='Loopback'>"
        "<meta property='og:image' content='img/logo.png'>"
        "</head><body><p>Hello</p></body></html>").encode()


class Site:
    def __init__(self):
        self.hits = {}
        self.redirect_target = None  # absolute URL for /redirect-out
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send(self, status, ctype, body, extra=None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                site.hits[path] = site.hits.get(path, 0) + 1
                if path == "/page.html":
                    self.send(200, "text/html; charset=utf-8", PAGE)
                elif path == "/private-image.html":  # its og:image is on a blocked address
                    port = site.port
                    body = ("<meta property='og:title' content='Private image'>"
                            f"<meta property='og:image' content='http://127.0.0.2:{port}"
                            "/img/logo.png'>").encode()
                    self.send(200, "text/html", body)
                elif path == "/img/logo.png":
                    self.send(200, "image/png", PNG)
                elif path == "/redirect":
                    self.send(302, "text/plain", b"moved", {"Location": "/page.html"})
                elif path == "/redirect-out":
                    self.send(302, "text/plain", b"moved", {"Location": site.redirect_target})
                elif path == "/big.html":
                    self.send(200, "text/html", b"<html><body>" + b"x" * 300000)
                elif path == "/big-stream":  # no Content-Length: cut while arriving
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        for _ in range(40):
                            self.wfile.write(b"<p>" + b"y" * 8192)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    self.close_connection = True
                elif path == "/untyped":  # no Content-Type at all
                    body = b"<title>ignored without a type</title>"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif path == "/missing":
                    self.send(404, "text/html", b"<title>nope</title>")
                elif path == "/file.bin":
                    self.send(200, "application/octet-stream", b"\0" * 100)
                elif path == "/page-slow.html":  # the page, half a second late
                    time.sleep(0.5)
                    self.send(200, "text/html; charset=utf-8", PAGE)
                elif path == "/slow":
                    time.sleep(4)
                    self.send(200, "text/html", b"<title>late</title>")
                else:
                    self.send(404, "text/plain", b"unknown")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path, host="127.0.0.1"):
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


_site = None


def site():
    """The module-wide site, started on first use (a daemon thread)."""
    global _site
    if _site is None:
        _site = Site()
    return _site


PREVIEW = "/_matrix/client/v1/media/preview_url"


async def preview(srv, token, url, **query):
    q = {"url": url}
    q.update(query)
    return await srv.req("GET", PREVIEW, token=token, query=q)
