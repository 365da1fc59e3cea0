#!/bin/sh
# bench/chat/send_cost.sh BIN [SECONDS=8] [WAL=0]: what one acknowledged message send costs the
# server, for A/B runs of two builds (alternate them within the same minutes: the machine is
# shared). A fresh server, 200 users in 100 rooms (setup.py), then wrk -t2 -c32 sends
# (send.lua) for SECONDS; prints messages, msg/s, server CPU (user + system) per message,
# bytes written to disk per message (/proc/PID/io), and per message the calls of pwrite64,
# pread64, fdatasync and futex and the context switches (perf stat tracepoints; needs
# linux-perf and permission to trace, otherwise left out), with the 1-minute load.
# WAL=1: afterwards the server is killed (-9, so the WAL is not checkpointed away) and
# wal_pages.py prints which tables and indexes own the WAL's frames.
# Loopback only, bounded, stops by itself.
set -eu
bin=$1; secs=${2:-8}; wal=${3:-0}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$dir"' EXIT
. "$here/serve.sh"
chat_serve "$bin" "$dir"
/usr/bin/python3 "$here/setup.py" "$url" 200 100 "$dir/setup.json" >/dev/null
load=$(cut -d' ' -f1 /proc/loadavg)
c0=$(awk '{print $14 + $15}' /proc/$pid/stat)
io0=$(awk '/^write_bytes/ {print $2}' /proc/$pid/io)
sp=
if command -v perf >/dev/null 2>&1; then
  perf stat -e 'syscalls:sys_enter_pwrite64,syscalls:sys_enter_pread64,syscalls:sys_enter_fdatasync,syscalls:sys_enter_futex,context-switches' \
    -p $pid -o "$dir/stat" -- sleep $((secs + 1)) >/dev/null 2>&1 &
  sp=$!
fi
BENCH_SETUP="$dir/setup.json" wrk -t2 -c32 -d"${secs}s" -s "$here/send.lua" "$url" >"$dir/wrk"
c1=$(awk '{print $14 + $15}' /proc/$pid/stat)
io1=$(awk '/^write_bytes/ {print $2}' /proc/$pid/io)
[ -n "$sp" ] && { wait $sp || true; }
msgs=$(awk '/requests in/ {print $1}' "$dir/wrk")
[ "${msgs:-0}" -gt 0 ] || { echo "no message was sent"; exit 1; }
calls=$(awk -v n="$msgs" '/syscalls|context/ && $1 ~ /^[0-9]/ { name = $2; sub(/syscalls:sys_enter_/, "", name);
  printf "%s %.1f ", name, $1 / n }' "$dir/stat" 2>/dev/null || true)
echo "$(basename "$bin"): $msgs messages ($((msgs / secs))/s), server CPU $(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / msgs )) us," \
  "disk $(( (io1 - io0) / msgs / 1024 )) KB per message; per message: $calls(load $load)"
grep -E "Non-2xx|Socket errors" "$dir/wrk" || true
if [ "$wal" = 1 ]; then
  sleep 1
  kill -9 $pid; wait $pid 2>/dev/null || true; pid=
  /usr/bin/python3 "$here/wal_pages.py" "$dir"
fi
