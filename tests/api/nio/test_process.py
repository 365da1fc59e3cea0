"""The serve process: SIGHUP reopens the log file, --print-config, a second
server on a busy port fails cleanly, SIGINT stops with status 0 (SIGTERM is
checked by every module's server_exits_cleanly)."""

import asyncio
import os
import signal

from common import DEFAULT_SETS, check, expect_status

SERVER = {"registration": "open", "set": {"log.file": "relais.log"}}


async def test_sighup_reopens_log(srv):
    log = os.path.join(srv.data, "relais.log")
    expect_status(await srv.req("GET", "/_matrix/client/versions"), 200)
    check(os.path.exists(log), "log file not written")
    os.rename(log, log + ".1")  # what logrotate does
    srv.proc.send_signal(signal.SIGHUP)
    for _ in range(60):
        await srv.req("GET", "/_matrix/client/versions?after=hup")
        if os.path.exists(log):
            break
        await asyncio.sleep(0.05)
    check(os.path.exists(log), "no new log file 3 s after SIGHUP")
    # A request is logged when it completes, just after its answer reached us: poll.
    text = ""
    for _ in range(60):
        await srv.req("GET", "/_matrix/client/versions?after=hup")
        with open(log) as f:
            text = f.read()
        if "path=/_matrix/client/versions" in text:
            break
        await asyncio.sleep(0.05)
    check("path=/_matrix/client/versions" in text, f"new log lacks the request line: {text[-500:]}")
    check(srv.alive(), "SIGHUP stopped the server")


async def test_access_log_hides_tokens(srv):
    u = await srv.register_raw("logged")
    await srv.req("GET", "/_matrix/client/v3/account/whoami",
                  query={"access_token": u["access_token"]})
    await srv.req("POST", "/_matrix/client/v3/login",
                  {"type": "m.login.password", "user": "logged", "password": "secret words"})
    await asyncio.sleep(0.2)
    log = os.path.join(srv.data, "relais.log")
    text = open(log).read() + (open(log + ".1").read() if os.path.exists(log + ".1") else "")
    check(u["access_token"] not in text, "access token written to the log")
    check("secret words" not in text, "password written to the log")


async def test_print_config(srv):
    rc, out, err = await srv.cli("serve", "--print-config")
    check(rc == 0, f"--print-config exited {rc}: {err}")
    for needle in ("[http]", "max_body_bytes", "[registration]", "mode = open"):
        check(needle in out, f"--print-config lacks {needle!r}")


async def test_busy_port_fails_cleanly(srv):
    p = await asyncio.create_subprocess_exec(
        srv.binary, "serve", "--config", srv.conf, "--port", str(srv.port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(p.communicate(), 20)
    check(p.returncode != 0, f"second server on a busy port exited {p.returncode}")
    check(b"listening on" not in out, f"second server claims to listen: {out!r}")
    expect_status(await srv.req("GET", "/_matrix/client/versions"), 200)


async def second_server(srv, name):
    """Starts another server in its own folder; returns (process, port)."""
    data = os.path.join(srv.tmp, name)
    args = [srv.binary, "init", "--data", data, "--port", "0", "--no-admin"]
    for k, v in DEFAULT_SETS.items():
        args += ["--set", f"{k}={v}"]
    rc, _, err = await srv._run(args)
    check(rc == 0, f"init: {err}")
    p = await asyncio.create_subprocess_exec(
        srv.binary, "serve", "--config", os.path.join(data, "relais.conf"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    line = await asyncio.wait_for(p.stdout.readline(), 30)
    check(line.startswith(b"relais listening on "), f"first line {line!r}")
    return p, int(line.decode().strip().rsplit(":", 1)[1])


async def test_sigint_stops_cleanly(srv):
    p, _ = await second_server(srv, "second")
    p.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(p.communicate(), 30)
    check(p.returncode == 0, f"SIGINT exit status {p.returncode}: {err[-500:]!r}")


async def test_sigterm_finishes_in_flight_request(srv):
    p, port = await second_server(srv, "third")
    body = b'{"type":"m.login.password","user":"nobody","password":"wrong password"}'
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    idle_r, idle_w = await asyncio.open_connection("127.0.0.1", port)  # an idle keep-alive
    writer.write(b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: t\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                 + body[:10])
    await writer.drain()
    await asyncio.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.3)
    writer.write(body[10:])  # the request in flight completes after the signal
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), 10)
    check(answer.startswith(b"HTTP/1.1 403") and b"M_FORBIDDEN" in answer,
          f"in-flight answer {answer[:200]!r}")
    writer.close()
    _, err = await asyncio.wait_for(p.communicate(), 30)
    check(p.returncode == 0, f"SIGTERM exit status {p.returncode}: {err[-500:]!r}")
    idle_w.close()
