#!/bin/sh
# bench/chat/sync_cost.sh BIN [ROUNDS=1000] [PREFILL=300] [PERF=file]: the server CPU of one
# incremental /sync with one or a few changed rooms (sync_cost.py says how); 200 users,
# 100 rooms set up as run.sh does. With PERF set, the server runs under `perf record -g`
# writing that file. Loopback only, bounded.
set -eu
bin=${1:-build-rel/relais}; rounds=${2:-1000}; prefill=${3:-300}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" init --data "$dir" --port 0 --registration open --no-admin --set log.level=warn \
  --set registration.argon2_ops=1 --set registration.argon2_mem_kib=64 \
  --set ratelimit.register_per_minute=1000000 --set ratelimit.register_burst=1000000 >/dev/null 2>&1
if [ -n "${PERF:-}" ]; then
  perf record -F 2000 --call-graph dwarf,32768 -o "$PERF" "$bin" serve --config "$dir/relais.conf" >"$dir/out" 2>"$dir/err" &
else
  "$bin" serve --config "$dir/relais.conf" >"$dir/out" 2>"$dir/err" &
fi
pid=$!
n=0
while ! grep -q listening "$dir/out" 2>/dev/null; do
  n=$((n + 1)); [ $n -gt 1000 ] && { echo "server did not start"; exit 1; }; sleep 0.01
done
url=$(sed -n 's/.*\(http:[^ ]*\).*/\1/p' "$dir/out")
/usr/bin/python3 "$here/setup.py" "$url" 200 100 "$dir/setup.json"
/usr/bin/python3 "$here/sync_cost.py" "$url" "$dir/setup.json" "$pid" "$rounds" "$prefill"
if [ -n "${PERF:-}" ]; then kill -INT $pid; wait $pid || true; pid=; fi
