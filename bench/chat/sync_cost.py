#!/usr/bin/python3
"""bench/chat/sync_cost.py URL SETUP PID [ROUNDS=1000] [PREFILL=300]: the server CPU time
of one incremental /sync when one or a few rooms changed. The syncing user is u4 (in rooms
0-4 of setup.py's layout, 10 members each). Every room of it first gets PREFILL messages
(unread: nobody sends receipts, as in run.sh). Then blocks of 50 rounds alternate between
"sends only" (each round: 2 messages into 2 of the user's rooms, by other members) and
"sends + sync" (the same, then one incremental /sync?timeout=0 of the user); the server's
CPU (user + system, /proc/PID/stat) per round of each kind gives the CPU of one /sync as the
difference (thread run times from schedstat, in ns). Prints the per-sync CPU, the wall p50/p99 of the syncs and the events they
carried. With env OTHER=1 the messages go to rooms the user is not in (the cost of a sync
with nothing new), with OTHER=2 no messages at all (per_round_with_sync is then the CPU of
one /sync with nothing new, from the CPU of many). Loopback only; bounded by ROUNDS."""
import http.client, json, os, random, sys, time, urllib.parse

url, setup, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
prefill = int(sys.argv[5]) if len(sys.argv) > 5 else 300
u = urllib.parse.urlparse(url)
cfg = json.load(open(setup))
tokens, rooms, members = cfg["tokens"], cfg["rooms"], cfg["members_per_room"]
me = 4
my_rooms = [r for r in range(len(rooms)) if r <= me < r + members][:5]
other = os.environ.get("OTHER", "0")
send_rooms = list(range(50, 55)) if other == "1" else my_rooms
per_round = 0 if other == "2" else 2
hz = os.sysconf("SC_CLK_TCK")
send_conn = http.client.HTTPConnection(u.hostname, u.port)
sync_conn = http.client.HTTPConnection(u.hostname, u.port)
txn = [0]
rng = random.Random(1)


def cpu():
    """The server's CPU seconds: the run time of its threads (schedstat, ns) plus that of
    threads already gone (stat's clock ticks minus the live threads' ticks)."""
    live_ns = live_ticks = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                live_ns += int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{t}/stat") as f:
                v = f.read().rsplit(")", 1)[1].split()
            live_ticks += int(v[11]) + int(v[12])
        except (OSError, ValueError, IndexError):
            pass
    with open(f"/proc/{pid}/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return live_ns / 1e9 + max(0, int(v[11]) + int(v[12]) - live_ticks) / hz


def send(r):
    sender = r + rng.randrange(members)
    if sender == me:
        sender = r + (me - r + 1) % members
    txn[0] += 1
    path = (f"/_matrix/client/v3/rooms/{urllib.parse.quote(rooms[r], safe='')}"
            f"/send/m.room.message/sc{txn[0]}")
    body = json.dumps({"msgtype": "m.text", "body": f"sync cost {txn[0]}"})
    send_conn.request("PUT", path, body, {"Authorization": "Bearer " + tokens[sender % len(tokens)],
                                          "Content-Type": "application/json"})
    r = send_conn.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit(f"send: {r.status}")


def sync(since):
    path = "/_matrix/client/v3/sync?timeout=0" + (f"&since={since}" if since else "")
    sync_conn.request("GET", path, headers={"Authorization": "Bearer " + tokens[me]})
    r = sync_conn.getresponse()
    body = json.loads(r.read())
    if r.status != 200:
        raise SystemExit(f"sync: {r.status} {body}")
    return body


for r in my_rooms:
    for _ in range(prefill):
        send(r)
since = sync(None)["next_batch"]
cpu_sends = cpu_both = 0.0
n_sends = n_both = 0
walls, events = [], 0
done = 0
while done < rounds:
    for with_sync in (False, True):
        c0 = cpu()
        for _ in range(50):
            for r in rng.sample(send_rooms, per_round):
                send(r)
            if with_sync:
                t0 = time.perf_counter()
                body = sync(since)
                walls.append((time.perf_counter() - t0) * 1000)
                since = body["next_batch"]
                events += sum(len(x["timeline"]["events"])
                              for x in body["rooms"]["join"].values())
        c1 = cpu()
        if with_sync:
            cpu_both += c1 - c0
            n_both += 50
        else:
            cpu_sends += c1 - c0
            n_sends += 50
    done += 100
walls.sort()
per_sync = (cpu_both / n_both - cpu_sends / n_sends) * 1e6
print(f"sync_cost rounds={n_both} per_round_sends_only={cpu_sends / n_sends * 1e6:.0f}us "
      f"per_round_with_sync={cpu_both / n_both * 1e6:.0f}us per_sync_cpu={per_sync:.0f}us "
      f"wall_p50={walls[len(walls) // 2]:.2f}ms wall_p99={walls[int(len(walls) * 0.99)]:.2f}ms "
      f"events_per_sync={events / n_both:.1f} load={os.getloadavg()[0]:.1f}")
