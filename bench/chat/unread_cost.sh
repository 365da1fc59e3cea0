#!/bin/sh
# bench/chat/unread_cost.sh BIN: the read side of unread counts (a user with 1,500 unread in one
# room and 100 in nine others) and GET /notifications paging, on a fresh server (200 users, 100
# rooms, setup.py); unread_cost.py says what it times. Loopback only, bounded.
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; sleep 0.5; rm -rf "$dir"' EXIT
. "$here/serve.sh"
chat_serve "$bin" "$dir"
/usr/bin/python3 "$here/setup.py" "$url" 200 100 "$dir/setup.json" >/dev/null
/usr/bin/python3 "$here/unread_cost.py" "$url" "$dir/setup.json" $pid
