"""common.py: the server fixture and helpers shared by the nio test modules.

Server(binary, spec) runs `relais init` in a fresh temp folder, starts
`relais serve` on a kernel-chosen port and reads the port from its one stdout
line. spec keys: registration ("open"), set ({"section.name": value}, added to
the fast-hashing / high-rate-limit defaults), admin (True: create the admin
account and a registration token)."""

import asyncio
import itertools
import json
import os
import re
import shutil
import signal
import socket
import struct
import tempfile
import threading
import zlib

import aiohttp
import nio

DEFAULT_SETS = {
    "registration.argon2_ops": 1,
    "registration.argon2_mem_kib": 64,
    "ratelimit.login_per_minute": 100000,
    "ratelimit.login_burst": 100000,
    "ratelimit.register_per_minute": 100000,
    "ratelimit.register_burst": 100000,
}

PASSWORD = "correct horse battery"
_names = itertools.count(1)


def unique(prefix="user"):
    """A fresh lower-case localpart."""
    return f"{prefix}{os.getpid()}x{next(_names)}"


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def make_png(width, height, blue):
    """An RGB gradient PNG (red across, green down, this blue) written by hand with zlib, so
    the tests need no image library."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\0" + b"".join(bytes((x * 255 // width, y * 255 // height, blue))
                                      for x in range(width))
                    for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


class Resp:
    """A raw HTTP answer: status, headers, text and (when it parses) json."""

    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.text = text
        try:
            self.json = json.loads(text) if text else None
        except ValueError:
            self.json = None

    def errcode(self):
        return self.json.get("errcode") if isinstance(self.json, dict) else None

    def __repr__(self):
        return f"{self.status} {self.text[:300]}"


def expect_status(r, status):
    check(r.status == status, f"expected HTTP {status}, got {r!r}")


def expect_error(r, status, errcode):
    check(r.status == status and r.errcode() == errcode,
          f"expected {status} {errcode}, got {r!r}")
    check(isinstance(r.json.get("error"), str), f"error message missing in {r!r}")


def expect_nio(resp, cls):
    """A nio response must be of class cls (else its error is the reason)."""
    check(isinstance(resp, cls),
          f"expected {cls.__name__}, got {type(resp).__name__}: {resp}")
    return resp


def nio_status(resp):
    """HTTP status of a nio response."""
    return resp.transport_response.status if resp.transport_response else None


async def joined_room(owner, members, **create):
    """The ID of a room the nio client owner creates (create: more room_create arguments)
    inviting the nio clients members, once each of them has joined it."""
    room = expect_nio(await owner.room_create(invite=[m.user for m in members], **create),
                      nio.responses.RoomCreateResponse).room_id
    for m in members:
        expect_nio(await m.join(room), nio.responses.JoinResponse)
    return room


class Server:
    def __init__(self, binary, spec):
        self.binary = binary
        self.spec = spec
        self.tmp = tempfile.mkdtemp(prefix="relais-nio-")
        self.data = os.path.join(self.tmp, "data")
        self.conf = os.path.join(self.data, "relais.conf")
        self.log_path = os.path.join(self.tmp, "server.log")
        self.proc = None
        self.base = None
        self.http = None
        self.creds = {}
        self.clients = []

    # ---- lifecycle ----
    async def start(self):
        sets = dict(DEFAULT_SETS)
        sets.update(self.spec.get("set", {}))
        args = [self.binary, "init", "--data", self.data, "--port", "0",
                "--registration", self.spec.get("registration", "open")]
        for k, v in sets.items():
            args += ["--set", f"{k}={v}"]
        if not self.spec.get("admin", True):
            args.append("--no-admin")
        rc, out, err = await self._run(args)
        if rc != 0:
            raise RuntimeError(f"relais init exited {rc}: {err.strip()}")
        cred = os.path.join(self.data, "credentials.txt")
        if os.path.exists(cred):
            with open(cred) as f:
                for line in f:
                    if ": " in line and not line.startswith("#"):
                        k, v = line.rstrip("\n").split(": ", 1)
                        self.creds[k] = v
        self.log = open(self.log_path, "wb")
        await self._serve()

    async def _serve(self):
        """Starts `relais serve` on the data folder and waits for its listening line."""
        self.proc = await asyncio.create_subprocess_exec(
            self.binary, "serve", "--config", self.conf,
            stdout=asyncio.subprocess.PIPE, stderr=self.log)
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        text = line.decode().strip()
        prefix = "relais listening on "
        if not text.startswith(prefix):
            raise RuntimeError(f"unexpected first line {text!r}")
        self.base = text[len(prefix):]
        self.port = int(self.base.rsplit(":", 1)[1])
        self.http = aiohttp.ClientSession()

    async def kill_and_restart(self):
        """SIGKILL (no clean shutdown), then serve the same data folder again."""
        self.proc.kill()
        await self.proc.wait()
        await self.http.close()
        await self._serve()

    def alive(self):
        return self.proc is not None and self.proc.returncode is None

    async def stop(self):
        """SIGTERM; returns (exit status, tail of stderr)."""
        for c in self.clients:
            try:
                await c.close()
            except Exception:
                pass  # a client in a bad state must not keep the server running
        self.clients = []
        if self.http:
            await self.http.close()
            self.http = None
        if not self.proc:
            return -1, "not started"
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = await asyncio.wait_for(self.proc.wait(), 30)
        except asyncio.TimeoutError:
            self.proc.kill()
            rc = await self.proc.wait()
            return rc, "did not stop within 30 s of SIGTERM"
        self.log.close()
        return rc, self.log_tail(8).replace("\n", " | ")

    async def cleanup(self):
        if self.http:
            await self.http.close()
        if self.proc and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log_tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "".join(f"    server: {l}\n" for l in lines[-n:])
        except OSError:
            return ""

    # ---- processes ----
    @staticmethod
    async def _run(args, timeout=60):
        p = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(p.communicate(), timeout)
        return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    async def cli(self, *args):
        """Runs `relais ARGS --config conf`; returns (status, stdout, stderr)."""
        return await self._run([self.binary, *args, "--config", self.conf])

    # ---- raw HTTP ----
    async def req(self, method, path, body=None, token=None, headers=None, query=None):
        h = dict(headers or {})
        data = None
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.base + path, data=data, headers=h,
                                     params=query, allow_redirects=False) as r:
            text = (await r.read()).decode(errors="replace")
            return Resp(r.status, r.headers, text)

    # ---- accounts ----
    async def register_raw(self, username, password=PASSWORD, **extra):
        """Registers in open mode (m.login.dummy); returns the login body."""
        body = {"username": username, "password": password, "auth": {"type": "m.login.dummy"}}
        body.update(extra)
        r = await self.req("POST", "/_matrix/client/v3/register", body)
        check(r.status == 200, f"registering {username}: {r!r}")
        return r.json

    async def login_raw(self, user, password=PASSWORD, **extra):
        body = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
                "password": password}
        body.update(extra)
        return await self.req("POST", "/_matrix/client/v3/login", body)

    def nio(self, user="", device_id=None):
        c = nio.AsyncClient(self.base, user, device_id=device_id)
        self.clients.append(c)
        return c

    async def nio_user(self, prefix="user", password=PASSWORD, device_name=""):
        """Registers a fresh user through nio; returns the logged-in client."""
        c = self.nio()
        r = await c.register(unique(prefix), password, device_name)
        expect_nio(r, nio.RegisterResponse)
        c.user = r.user_id
        return c

    async def whoami_status(self, token):
        r = await self.req("GET", "/_matrix/client/v3/account/whoami", token=token)
        return r



def _raw_request_blocking(port, head, body_chunks, timeout):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def feed():
        try:
            s.sendall(head)
            for c in body_chunks:
                s.sendall(c)
        except OSError:
            pass  # the server answered early and closed: expected for 413

    sender = threading.Thread(target=feed, daemon=True)
    sender.start()
    got = b""
    try:
        while True:
            head_end = got.find(b"\r\n\r\n")
            if head_end >= 0:
                m = re.search(rb"\r\ncontent-length:\s*(\d+)", got[:head_end], re.I)
                if m and len(got) - head_end - 4 >= int(m.group(1)):
                    break
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:  # reset or timeout: keep what arrived
        pass
    finally:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
        sender.join(5)
    head_end = got.find(b"\r\n\r\n")
    if head_end < 0 or not got.startswith(b"HTTP/1."):
        return 0, {}, got
    lines = got[:head_end].decode("latin-1").split("\r\n")
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), headers, got[head_end + 4:]


async def raw_request(port, head, body_chunks=(), timeout=15):
    """Writes a request head and then body chunks on a fresh connection while
    reading the answer (blocking socket in a thread, so an answer that arrives
    before a reset is still read). Returns (status, headers dict, body bytes);
    status 0 when the server closed without a well-formed answer. Errors while
    writing are ignored: the server may answer early and close."""
    return await asyncio.to_thread(_raw_request_blocking, port, head, list(body_chunks), timeout)
