# bench/chat/serve.sh: sourced by the chat benchmarks (sh). chat_serve BIN DIR [WRAP...]
# initialises a server in DIR (open registration, cheap argon2, no rate limits, log level
# warn, an unused loopback port), starts `BIN serve` (behind the command WRAP when given,
# e.g. perf record ... --), waits until it listens and sets pid and url.
chat_serve() {
  _bin=$1; _dir=$2; shift 2
  "$_bin" init --data "$_dir" --port 0 --registration open --no-admin --set log.level=warn \
    --set registration.argon2_ops=1 --set registration.argon2_mem_kib=64 \
    --set ratelimit.register_per_minute=1000000 --set ratelimit.register_burst=1000000 >/dev/null 2>&1
  "$@" "$_bin" serve --config "$_dir/relais.conf" >"$_dir/out" 2>"$_dir/err" &
  pid=$!
  _n=0
  while ! grep -q listening "$_dir/out" 2>/dev/null; do
    _n=$((_n + 1)); [ $_n -gt 1000 ] && { echo "server did not start"; exit 1; }; sleep 0.01
  done
  url=$(sed -n 's/.*\(http:[^ ]*\).*/\1/p' "$_dir/out")
}
