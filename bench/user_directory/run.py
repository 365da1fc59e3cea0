"""bench/user_directory/run.py: N local users with display names and
[user_directory] search_all_users = 1, then p50/p95 of POST
/user_directory/search over 30 searches per term (bounded: N defaults to 2000).

    /usr/bin/python3 bench/user_directory/run.py [N] [build/relais]"""
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/api/nio"))
import common  # noqa: E402
from rooms_util import new_user, q  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
FIRST = ["Anna", "Jürgen", "Zoë", "Émile", "Søren", "Marta", "Luca", "Chloé", "Ines", "Paul"]
LAST = ["Müller", "Dubois", "Østergaard", "García", "Nowak", "Rossi", "Schmidt", "Lefèvre"]

async def main():
    binary = sys.argv[2] if len(sys.argv) > 2 else "build/relais"
    srv = common.Server(binary, {"registration": "open", "set": {"user_directory.search_all_users": "1"}})
    await srv.start()
    try:
        sem = asyncio.Semaphore(8)
        async def mk(i):
            async with sem:
                u = await new_user(srv, "b")
                await u.ok("PUT", f"/profile/{q(u.user_id)}/displayname",
                           {"displayname": f"{FIRST[i % 10]} {LAST[i % 8]} {i}"})
                return u
        t0 = time.monotonic()
        users = await asyncio.gather(*[mk(i) for i in range(N)])
        print(f"{N} users in {time.monotonic()-t0:.1f} s")
        me = users[0]
        for term in ["muller", "zoe 12", "jurgen schmidt", "b"]:
            ts = []
            for _ in range(30):
                t = time.monotonic()
                got = await me.ok("POST", "/user_directory/search", {"search_term": term})
                ts.append((time.monotonic() - t) * 1000)
            ts.sort()
            print(f"term {term!r}: p50 {ts[15]:.1f} ms p95 {ts[28]:.1f} ms ({len(got['results'])} results, limited {got['limited']})")
    finally:
        await srv.stop()
        await srv.cleanup()

asyncio.run(main())
