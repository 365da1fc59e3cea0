"""`relais init` and the admin commands' argument handling: private file
modes, a second init leaves everything alone, usage errors exit non-zero."""

import os
import stat

from common import check

SERVER = {"registration": "token"}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_init_files_are_private(srv):
    for name in ("signing.key", "credentials.txt", "relais.conf"):
        p = os.path.join(srv.data, name)
        check(os.path.exists(p), f"{name} missing")
        check(mode(p) & 0o077 == 0, f"{name} is readable by others: {oct(mode(p))}")
    check(mode(srv.data) & 0o077 == 0, f"data folder mode {oct(mode(srv.data))}")
    with open(os.path.join(srv.data, "credentials.txt")) as f:
        text = f.read()
    for key in ("admin user: @admin:localhost", "admin password: ", "registration token: "):
        check(key in text, f"credentials.txt lacks {key!r}")


async def test_config_lists_every_option(srv):
    with open(srv.conf) as f:
        text = f.read()
    for needle in ("[server]", "[http]", "[database]", "[registration]", "[ratelimit]", "[log]",
                   "server_name", "max_body_bytes", "max_json_depth", "login_burst"):
        check(needle in text, f"relais.conf lacks {needle!r}")


async def test_second_init_changes_nothing(srv):
    before = {n: open(os.path.join(srv.data, n), "rb").read()
              for n in ("signing.key", "relais.conf", "credentials.txt")}
    rc, out, err = await srv._run([srv.binary, "init", "--data", srv.data, "--registration", "open"])
    check(rc == 0, f"second init exited {rc}: {err}")
    for n, content in before.items():
        check(open(os.path.join(srv.data, n), "rb").read() == content, f"{n} changed")


async def test_usage_errors(srv):
    for args in (["token", "create", "--uses", "abc"], ["token", "frobnicate"],
                 ["user", "add"], ["user", "admin", "admin", "maybe"], ["user", "explode", "x"]):
        rc, out, err = await srv.cli(*args)
        check(rc != 0 and err.strip(), f"relais {' '.join(args)}: exit {rc}, stderr {err!r}")
    rc, out, err = await srv._run([srv.binary, "user", "list", "--config", "/nonexistent/x.conf"])
    check(rc != 0 and "x.conf" in err, f"missing config: {rc} {err!r}")
    rc, out, err = await srv._run([srv.binary, "init", "--data", os.path.join(srv.tmp, "bad"),
                                   "--set", "http.port=99999"])
    check(rc != 0 and "port" in err, f"out-of-range --set accepted: {rc} {err!r}")
