#!/bin/sh
# bench/chat/disk_io.sh BIN [RATE] [SECONDS]: what a fixed send rate costs the disk. A fresh
# server (serve.sh), setup.py 200 users / 100 rooms, then fixed_rate.py RATE (1000) msg/s for
# SECONDS (10); around that phase it reads the device's counters (/sys/block/DEV/stat, the
# device holding the data folder) and the server's /proc/PID/io, and prints per message: write
# requests that reached the device, flushes (each fdatasync/fsync is one), bytes the device
# wrote and bytes the server wrote. These counts barely depend on the machine's load, unlike
# latency: use them to compare builds (the device counters include other processes' writes,
# so run it on a machine where nothing else writes). Loopback only; stops by itself.
set -eu
bin=$1; rate=${2:-1000}; secs=${3:-10}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
. "$here/serve.sh"
chat_serve "$bin" "$dir"
/usr/bin/python3 "$here/setup.py" "$url" 200 100 "$dir/setup.json" >/dev/null
dev=$(df --output=source "$dir" | tail -1); dev=${dev##*/}
stat=/sys/block/$dev/stat
[ -r "$stat" ] || stat=$(ls /sys/block/*/"$dev"/stat 2>/dev/null | head -1)
io() { awk '/^write_bytes/ {print $2}' /proc/$pid/io; }
s0=$(cat "$stat"); w0=$(io)
/usr/bin/python3 "$here/fixed_rate.py" "$url" "$dir/setup.json" "$rate" "$secs" | tee "$dir/fixed"
s1=$(cat "$stat"); w1=$(io)
n=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' "$dir/fixed" | head -1)
# /sys/block/DEV/stat: field 5 writes completed, 7 sectors written, 16 flushes completed.
echo "$s0 $s1" | awk -v w0="$w0" -v w1="$w1" -v n="$n" '{
  wr = $22 - $5; sec = $24 - $7; fl = $33 - $16
  printf "disk per message (%d messages): %.2f device writes, %.2f flushes, %.1f KB device, %.1f KB server\n",
    n, wr / n, fl / n, sec * 512 / 1000 / n, (w1 - w0) / 1000 / n }'
