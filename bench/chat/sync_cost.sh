#!/bin/sh
# bench/chat/sync_cost.sh BIN [ROUNDS=1000] [PREFILL=300] [PERF=file]: the server CPU of one
# incremental /sync with one or a few changed rooms (sync_cost.py says how); 200 users,
# 100 rooms set up as run.sh does. With PERF set, the server runs under `perf record --call-graph dwarf`
# writing that file. Loopback only, bounded.
set -eu
bin=${1:-build-rel/relais}; rounds=${2:-1000}; prefill=${3:-300}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/serve.sh"
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
if [ -n "${PERF:-}" ]; then
  chat_serve "$bin" "$dir" perf record -F 2000 --call-graph dwarf,32768 -o "$PERF"
else
  chat_serve "$bin" "$dir"
fi
/usr/bin/python3 "$here/setup.py" "$url" 200 100 "$dir/setup.json"
/usr/bin/python3 "$here/sync_cost.py" "$url" "$dir/setup.json" "$pid" "$rounds" "$prefill"
if [ -n "${PERF:-}" ]; then kill -INT $pid; wait $pid || true; pid=; fi
