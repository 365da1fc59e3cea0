#!/bin/sh
# bench/ai/run.sh [BIN] [MODEL.gguf] [TOKENS]: AI API figures (issue 8).
#  1. total completion tokens/s with 1, 4 and 8 concurrent streaming clients
#     (each client: 2 requests in a row, TOKENS tokens each, temperature 0),
#  2. time to first token p50/p99 at each concurrency,
#  3. single-client decode tokens/s over HTTP vs `relais llm bench` (tg) on the same model
#     and threads (the HTTP + scheduler overhead).
# Default model: ../shared/models/stories260K/stories260K.gguf. A larger one (never commit it):
#   python3 ../shared/models/tools/make_shaped_model.py qwen2-0.5b \
#     ../shared/models/vocab/ggml-vocab-qwen2.gguf /tmp/q.gguf && relais llm quantize /tmp/q.gguf /tmp/q8.gguf Q8_0
# Loopback only; stops by itself.
set -eu
cd "$(dirname "$0")/../.."
bin=${1:-build-rel/relais}
model=${2:-../shared/models/stories260K/stories260K.gguf}
tokens=${3:-64}
threads=${THREADS:-2}
model=$(realpath "$model")
id=$(basename "$model" .gguf)
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
"$bin" init --data "$dir" --port 0 --registration open --no-admin \
  --set llm.slots=8 --set llm.threads="$threads" --set llm.ctx=512 --set log.level=info >/dev/null 2>&1
mkdir -p "$dir/models"
ln -s "$model" "$dir/models/$id.gguf"
key=$("$bin" apikey create --name bench --config "$dir/relais.conf" 2>/dev/null)
"$bin" serve --config "$dir/relais.conf" >"$dir/out" 2>"$dir/err" &
pid=$!
while ! grep -q listening "$dir/out" 2>/dev/null; do sleep 0.01; done
base=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$dir/out")
until curl -sf -H "Authorization: Bearer $key" "$base/v1/completions" \
  -d "{\"model\":\"$id\",\"prompt\":\"a\",\"max_tokens\":1}" >/dev/null; do sleep 0.1; done
echo "model $id, $tokens tokens per request, $threads threads"
for c in 1 4 8; do
  node bench/ai/load.mjs "$base" "$key" "$id" "$c" "$tokens" 2
done
kill $pid; wait $pid 2>/dev/null || true; pid=
echo "engine alone (relais llm bench -p 16 -n $tokens -t $threads):"
"$bin" llm bench "$model" -p 16 -n "$tokens" -t "$threads" -r 3 | grep tg
