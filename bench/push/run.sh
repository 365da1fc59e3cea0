#!/bin/sh
# bench/push/run.sh [BIN] [USERS] [ROOMS] [MEMBERS] [SECONDS]: durable message sends
# (wrk, 2 threads x 32 keep-alive connections) into ROOMS rooms of MEMBERS members
# each, so push rules are evaluated for every member: acknowledged messages/s.
# Loopback only, bounded by SECONDS.
set -eu
bin=${1:-build-rel/relais}; users=${2:-100}; rooms=${3:-10}; members=${4:-100}; secs=${5:-10}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" init --data "$dir" --port 0 --registration open --no-admin --set log.level=warn \
  --set registration.argon2_ops=1 --set registration.argon2_mem_kib=64 \
  --set ratelimit.register_per_minute=1000000 --set ratelimit.register_burst=1000000 >/dev/null 2>&1
"$bin" serve --config "$dir/relais.conf" >"$dir/out" 2>"$dir/err" &
pid=$!
while ! grep -q listening "$dir/out" 2>/dev/null; do sleep 0.01; done
url=$(sed -n 's/.*\(http:[^ ]*\).*/\1/p' "$dir/out")
/usr/bin/python3 "$here/setup.py" "$url" "$users" "$rooms" "$members" "$dir/setup.json"
echo "setup: $users users, $rooms rooms of $members members"
BENCH_SETUP="$dir/setup.json" wrk -t2 -c32 -d"${secs}s" --latency -s "$here/send.lua" "$url"
grep -c " error " "$dir/err" | sed 's/^/server_error_lines /' || true
