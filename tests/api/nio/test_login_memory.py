"""test_login_memory.py: logins at once stay within the memory budget. Each
argon2id password check holds its memory cost (the default 64 MiB) while it
runs; four logins at once took the server's peak resident memory from 8 MB
to 205 MB (the budget is 100 MB). The server runs one check at a time: its
peak grows by about one check's memory, not four."""

import asyncio

from common import PASSWORD, check, unique

# the default cost (the other modules use a tiny one for speed)
SERVER = {"registration": "open", "admin": False,
          "set": {"registration.argon2_ops": 1, "registration.argon2_mem_kib": 65536}}

MIB = 1024


def peak_kib(srv):
    with open(f"/proc/{srv.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


async def test_four_logins_at_once_hold_one_hash_of_memory(srv):
    name = unique("mem")
    r = await srv.register_raw(name)
    check("access_token" in r, f"register: {r}")
    before = peak_kib(srv)
    rs = await asyncio.gather(*[srv.login_raw(name) for _ in range(4)])
    check(all(x.status == 200 for x in rs), f"logins: {[x.status for x in rs]}")
    grew = peak_kib(srv) - before
    # one check is 64 MiB (plus allocator slack, and shadow memory under ASan)
    check(grew < 110 * MIB, f"peak resident memory grew by {grew // MIB} MiB for 4 logins")
    wrong = await srv.login_raw(name, password=PASSWORD + "x")
    check(wrong.status == 403, f"a wrong password: {wrong!r}")
