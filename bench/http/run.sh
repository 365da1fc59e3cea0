#!/bin/sh
# bench/http/run.sh [BIN]: HTTP core figures for the foundation issue (bench/http/README.md).
#  1. start to first answered request (ms) on a fresh data folder, and the server's CPU time
#     until then (ms, all threads: what the machine's load distorts least),
#  2. idle RSS (kB) and threads, 1 s after start,
#  3. wrk, 2 threads, 64 keep-alive connections, 10 s, GET /account/whoami (req/s, latency
#     percentiles) and the server's CPU time per request (us),
#  4. restart to first answer (ms) on the same data folder (the usual restart).
# Needs wrk (Debian). Runs on loopback only and stops by itself.
set -eu
bin=${1:-build-rel/relais}
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
# CPU time of every thread of the process so far, in microseconds (schedstat is in ns).
cpu_us() { cat /proc/$1/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s / 1000}'; }
# Starts the server; sets pid, port and prints the time to its first answer.
start() {
  rm -f "$dir/out"
  t0=$(date +%s%N)
  "$bin" serve --config "$dir/relais.conf" >"$dir/out" 2>"$dir/err" &
  pid=$!
  while ! grep -q listening "$dir/out" 2>/dev/null; do sleep 0.001; done
  port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out")
  until curl -sf "http://127.0.0.1:$port/_matrix/client/versions" >/dev/null; do sleep 0.001; done
  t1=$(date +%s%N)
  echo "$1 $(( (t1 - t0) / 1000000 )) start_cpu_ms $(( $(cpu_us $pid) / 1000 ))"
}
"$bin" init --data "$dir" --port 0 --registration open --no-admin \
  --set registration.argon2_ops=1 --set registration.argon2_mem_kib=64 --set log.level=warn >/dev/null 2>&1
echo "load_average $(cut -d' ' -f1-3 /proc/loadavg)"
start start_to_first_answer_ms
sleep 1
echo "idle_rss_kb $(awk '/VmRSS/ {print $2}' /proc/$pid/status) threads $(ls /proc/$pid/task | wc -l)"
token=$(curl -s -XPOST "http://127.0.0.1:$port/_matrix/client/v3/register" \
  -d '{"username":"bench","password":"benchbench","auth":{"type":"m.login.dummy"}}' |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')
curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/_matrix/client/v3/account/whoami" >/dev/null
c0=$(cpu_us $pid)
wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/_matrix/client/v3/account/whoami" | tee "$dir/wrk"
c1=$(cpu_us $pid)
n=$(awk '/requests in/ {print $1}' "$dir/wrk")
echo "server_cpu_us_per_request $(awk -v a=$c0 -v b=$c1 -v n=$n 'BEGIN {printf "%.1f", (b - a) / n}')"
echo "loaded_rss_kb $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
kill $pid
wait $pid || true
start restart_to_first_answer_ms
