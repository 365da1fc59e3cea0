#!/bin/sh
# bench/chat/run.sh [BIN] [USERS] [ROOMS] [SECONDS]: chat throughput, latency and memory.
# Default mode (USERS 200, ROOMS 100, SECONDS 10):
#  1. throughput: wrk, 2 threads x 32 keep-alive connections, each request a durable
#     message send (PUT /rooms/{id}/send) into one of ROOMS rooms: acknowledged msg/s and
#     latency; meanwhile 4 users time incremental /sync (timeout=0) and LONGPOLL (50) users
#     long-poll /sync (sync_latency.py).
#  2. fixed rate: RATE (1000) msg/s for SECONDS, open loop (fixed_rate.py): p50/p99 send
#     latency from the moment each send was due; the same /sync sampling and long-pollers.
#  3. server RSS after the run.
#  PROBE=1: during phase 2, bench/chat/fsync_probe.py times a small fdatasync of its own
#  file every 10 ms beside the server and prints its stalls over 8 ms (monotonic ms), to
#  line up with fixed_rate.py's slow_sends (t0 is its start): a burst of slow sends at the
#  time the probe stalled too is the disk's, not the server's.
# MODE=rss (USERS 1000, ROOMS 100): fills every room with PER_ROOM (10000) messages through
#  the send API (wrk + fill.lua, 64 connections, at most FILL_SECS = 900 s), restarts
#  nothing, then does an initial and an incremental /sync for SAMPLE (100) users and prints
#  the server RSS before and after.
# Each figure is printed with the load average at its start (the machine is shared).
# Loopback only; every loop is bounded; the script stops by itself.
set -eu
mode=${MODE:-chat}
if [ "$mode" = rss ]; then def_users=1000; else def_users=200; fi
bin=${1:-build-rel/relais}; users=${2:-$def_users}; rooms=${3:-100}; secs=${4:-10}
rate=${RATE:-1000}; longpoll=${LONGPOLL:-50}; per_room=${PER_ROOM:-10000}
fill_secs=${FILL_SECS:-900}; sample=${SAMPLE:-100}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# Server CPU (user + system) in clock ticks, and the per-message figure of a phase: the
# figure the shared machine distorts least.
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
hz=$(getconf CLK_TCK)
per_msg() { awk -v a="$1" -v b="$2" -v n="$3" -v hz="$hz" \
  'BEGIN { if (n > 0) printf "server_cpu %.2f s, %.0f us per message (%d messages)\n", (b - a) / hz, (b - a) / hz * 1e6 / n, n }'; }
. "$here/serve.sh"
chat_serve "$bin" "$dir"
/usr/bin/python3 "$here/setup.py" "$url" "$users" "$rooms" "$dir/setup.json"
echo "setup: $users users, $rooms rooms, rss_kb $(rss)"

if [ "$mode" = rss ]; then
  total=$((rooms * per_room))
  # Progress is read from the database file (read-only; WAL readers do not block the
  # server): the newest stream position, minus the one before the fill.
  maxpos() { /usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True, timeout=5); print(c.execute('SELECT coalesce(max(rowid),0) FROM events').fetchone()[0])" "$dir/relais.db" 2>/dev/null || echo 0; }
  base=$(maxpos)
  echo "fill: $total messages, load $(load)"
  t0=$(date +%s)
  BENCH_SETUP="$dir/setup.json" BENCH_FILL_TOTAL=$total BENCH_THREADS=2 \
    wrk -t2 -c64 -d"${fill_secs}s" -s "$here/fill.lua" "$url" >"$dir/fill" 2>&1 &
  wrk_pid=$!
  # wrk keeps its -d time after the last thread stopped: end it once every event is stored.
  while kill -0 $wrk_pid 2>/dev/null; do
    sleep 2
    have=$(( $(maxpos) - base ))
    [ "$have" -ge "$total" ] && { kill -INT $wrk_pid 2>/dev/null || true; break; }
  done
  wait $wrk_pid || true
  t1=$(date +%s)
  echo "fill: ${have:-?} messages stored in $((t1 - t0)) s ($(( ${have:-0} / (t1 - t0 + 1) )) msg/s), rss_kb $(rss)"
  grep -E "requests in|Non-2xx|Socket errors" "$dir/fill" || true
  /usr/bin/python3 - "$url" "$dir/setup.json" "$sample" <<'EOF'
import http.client, json, sys, time, urllib.parse
url, setup, sample = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(url)
tokens = json.load(open(setup))["tokens"][:sample]
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
init_ms, inc_ms = [], []
for tok in tokens:
    t0 = time.perf_counter()
    conn.request("GET", "/_matrix/client/v3/sync?timeout=0", headers={"Authorization": "Bearer " + tok})
    body = json.loads(conn.getresponse().read())
    init_ms.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    conn.request("GET", "/_matrix/client/v3/sync?timeout=0&since=" + body["next_batch"],
                 headers={"Authorization": "Bearer " + tok})
    conn.getresponse().read()
    inc_ms.append((time.perf_counter() - t0) * 1000)
init_ms.sort(); inc_ms.sort()
print(f"sample sync: {len(tokens)} users, initial p50={init_ms[len(init_ms)//2]:.1f} ms "
      f"max={init_ms[-1]:.1f} ms, incremental p50={inc_ms[len(inc_ms)//2]:.2f} ms")
EOF
  echo "after sample sync: rss_kb $(rss), load $(load)"
  grep -c " error " "$dir/err" | sed 's/^/server_error_lines /' || true
  exit 0
fi

echo "throughput (wrk -c32, ${secs}s), load $(load):"
/usr/bin/python3 "$here/sync_latency.py" "$url" "$dir/setup.json" "$secs" "$longpoll" &
lat=$!
c0=$(cpu)
BENCH_SETUP="$dir/setup.json" wrk -t2 -c32 -d"${secs}s" --latency -s "$here/send.lua" "$url" \
  | tee "$dir/wrk"
c1=$(cpu)
wait $lat
per_msg "$c0" "$c1" "$(awk '/requests in/ {print $1}' "$dir/wrk")"
echo "fixed rate ($rate msg/s, ${secs}s), load $(load):"
/usr/bin/python3 "$here/sync_latency.py" "$url" "$dir/setup.json" "$secs" "$longpoll" &
lat=$!
c0=$(cpu)
probe=
if [ "${PROBE:-0}" = 1 ]; then
  mkdir -p "$dir/probe"
  /usr/bin/python3 "$here/fsync_probe.py" $((secs * 100)) "$dir/probe" 0 10 >"$dir/probe.out" &
  probe=$!
fi
/usr/bin/python3 "$here/fixed_rate.py" "$url" "$dir/setup.json" "$rate" "$secs" | tee "$dir/fixed"
c1=$(cpu)
wait $lat
if [ -n "$probe" ]; then wait $probe; sed 's/^/probe /' "$dir/probe.out"; fi
per_msg "$c0" "$c1" "$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' "$dir/fixed")"
echo "after: rss_kb $(rss), load $(load)"
grep -c " error " "$dir/err" | sed 's/^/server_error_lines /' || true
