#!/bin/sh
# bench/http/run.sh [BIN]: HTTP core figures for the foundation issue.
#  1. start to first answered request (ms), 2. idle RSS (kB),
#  3. wrk, 2 threads, 64 keep-alive connections, 10 s, GET /account/whoami (req/s, p99).
# Needs wrk (Debian). Runs on loopback only and stops by itself.
set -eu
bin=${1:-build-rel/relais}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" init --data "$dir" --port 0 --registration open --no-admin \
  --set registration.argon2_ops=1 --set registration.argon2_mem_kib=64 --set log.level=warn >/dev/null 2>&1
t0=$(date +%s%N)
"$bin" serve --config "$dir/relais.conf" >"$dir/out" 2>"$dir/err" &
pid=$!
while ! grep -q listening "$dir/out" 2>/dev/null; do sleep 0.001; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$dir/out")
until curl -sf "http://127.0.0.1:$port/_matrix/client/versions" >/dev/null; do sleep 0.001; done
t1=$(date +%s%N)
echo "start_to_first_answer_ms $(( (t1 - t0) / 1000000 ))"
sleep 1
echo "idle_rss_kb $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
token=$(curl -s -XPOST "http://127.0.0.1:$port/_matrix/client/v3/register" \
  -d '{"username":"bench","password":"benchbench","auth":{"type":"m.login.dummy"}}' |
  sed 's/.*"access_token":"\([^"]*\)".*/\1/')
wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/_matrix/client/v3/account/whoami" | tee "$dir/wrk"
echo "loaded_rss_kb $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
