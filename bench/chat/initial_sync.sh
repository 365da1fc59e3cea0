#!/bin/sh
# bench/chat/initial_sync.sh BIN [ROOMS=100] [MSGS=20] [ROUNDS=20]: issue 4's "initial sync of
# an account with 100 rooms answers in well under a second". One account joins ROOMS rooms
# (each with 10 members, a name, a topic and MSGS messages from several senders), then does
# ROUNDS initial /sync (no since) with the default filter and ROUNDS with Element's lazy-loading
# filter (timeline limit 20, lazy_load_members). Prints the wall p50/max per sync and the
# server CPU per sync (user + system of the server process, /proc/PID/stat) and the response
# size. Loopback only, bounded (setup ~ROOMS * (11 + MSGS) requests).
set -eu
bin=${1:-build-rel/relais}; rooms=${2:-100}; msgs=${3:-20}; rounds=${4:-20}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/serve.sh"
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
chat_serve "$bin" "$dir"
echo "load $(cut -d' ' -f1 /proc/loadavg)"
/usr/bin/python3 - "$url" "$pid" "$rooms" "$msgs" "$rounds" <<'PY'
import http.client, json, os, sys, time, urllib.parse
url, pid, n_rooms, n_msgs, rounds = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
tick = os.sysconf("SC_CLK_TCK")

def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, "/_matrix/client/v3" + path,
                 None if method == "GET" else json.dumps(body or {}), headers)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]}")
    return data

def cpu():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick

tokens = [json.loads(call("POST", "/register", {"username": f"i{i}", "password": "benchbench",
                                                "auth": {"type": "m.login.dummy"}}))["access_token"]
          for i in range(10)]
me = tokens[0]
for r_i in range(n_rooms):
    owner = tokens[1 + r_i % 9]
    room = json.loads(call("POST", "/createRoom", {"preset": "public_chat", "name": f"room {r_i}",
                                                  "topic": f"topic {r_i}"}, owner))["room_id"]
    q = urllib.parse.quote(room)
    for t in tokens:
        if t != owner:
            call("POST", f"/rooms/{q}/join", {}, t)
    for m in range(n_msgs):
        call("PUT", f"/rooms/{q}/send/m.room.message/t{r_i}x{m}",
             {"msgtype": "m.text", "body": f"message {m} in room {r_i}"}, tokens[(r_i + m) % 10])

lazy = urllib.parse.quote(json.dumps({"room": {"timeline": {"limit": 20},
                                               "state": {"lazy_load_members": True}}}))
for label, query in (("default filter", "timeout=0"), ("lazy-loading, limit 20",
                                                       "timeout=0&filter=" + lazy)):
    walls, size = [], 0
    c0 = cpu()
    for _ in range(rounds):
        t0 = time.perf_counter()
        body = call("GET", "/sync?" + query, token=me)
        walls.append((time.perf_counter() - t0) * 1000)
        size = len(body)
    c1 = cpu()
    joined = len(json.loads(body)["rooms"]["join"])
    walls.sort()
    print(f"initial sync, {label}: {joined} rooms, {size / 1024:.0f} KiB, wall p50 "
          f"{walls[len(walls) // 2]:.1f} ms max {walls[-1]:.1f} ms, server CPU "
          f"{(c1 - c0) / rounds * 1000:.1f} ms per sync ({rounds} rounds)")
PY
echo "load $(cut -d' ' -f1 /proc/loadavg)"
