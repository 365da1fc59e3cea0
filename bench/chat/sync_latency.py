#!/usr/bin/python3
"""bench/chat/sync_latency.py URL SETUP SECONDS [LONGPOLLERS]: while load runs, a few users
do incremental /sync (timeout=0) in a loop; prints p50/p99 of the answer time in ms.
With LONGPOLLERS > 0, that many other users long-poll (/sync?timeout=30000 with since) at the
same time, one thread each; prints how many answers and timeline events they received.
Every loop ends at SECONDS (long-polls wait at most until then)."""
import http.client, json, os, sys, threading, time, urllib.parse

url, setup, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
n_long = int(sys.argv[4]) if len(sys.argv) > 4 else 0
u = urllib.parse.urlparse(url)
all_tokens = json.load(open(setup))["tokens"]
tokens = all_tokens[:4]
long_tokens = all_tokens[4:4 + n_long]
long_stats = {"answers": 0, "events": 0, "errors": 0}
long_lock = threading.Lock()


def long_poller(tok, end):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=40)
    since = None
    while time.time() < end:
        wait_ms = max(0, min(30000, int((end - time.time()) * 1000)))
        path = "/_matrix/client/v3/sync?timeout=" + (f"{wait_ms}&since={since}" if since else "0")
        try:
            conn.request("GET", path, headers={"Authorization": "Bearer " + tok})
            r = conn.getresponse()
            body = json.loads(r.read())
        except (OSError, ValueError, http.client.HTTPException):
            with long_lock:
                long_stats["errors"] += 1
            return
        n = sum(len(room.get("timeline", {}).get("events", []))
                for room in body.get("rooms", {}).get("join", {}).values())
        with long_lock:
            if since:
                long_stats["answers"] += 1
                long_stats["events"] += n
        since = body["next_batch"]


end_all = time.time() + seconds
child = os.fork() if n_long else -1
if child == 0:  # the long-pollers run in their own process, off the timing loop's interpreter
    threads = [threading.Thread(target=long_poller, args=(t, end_all), daemon=True)
               for t in long_tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, end_all + 35 - time.time()))
    print(f"longpoll users={n_long} answers={long_stats['answers']} "
          f"events={long_stats['events']} errors={long_stats['errors']}", flush=True)
    os._exit(0)
conns = [http.client.HTTPConnection(u.hostname, u.port) for _ in tokens]
since = [None] * len(tokens)
times = []
end = time.time() + seconds
while time.time() < end:
    for i, tok in enumerate(tokens):
        path = "/_matrix/client/v3/sync?timeout=0" + (f"&since={since[i]}" if since[i] else "")
        t0 = time.perf_counter()
        conns[i].request("GET", path, headers={"Authorization": "Bearer " + tok})
        r = conns[i].getresponse()
        body = json.loads(r.read())
        dt = (time.perf_counter() - t0) * 1000
        if since[i]:
            times.append(dt)
        since[i] = body["next_batch"]
    time.sleep(0.05)
if child > 0:
    os.waitpid(child, 0)
times.sort()
if times:
    print(f"incremental_sync_ms p50={times[len(times)//2]:.2f} p99={times[int(len(times)*0.99)]:.2f} n={len(times)}")
