#!/bin/bash
# bench/llm/alloc.sh [BIN] [MODEL]: two checks of issue 7 on a real-size model.
#  1. decoding a token allocates nothing: `relais llm bench -p 16 -n N -r 1` under an
#     LD_PRELOAD counter of malloc-family and mmap calls (malloc_count.c), for N = 8 and 64;
#     the counts must be equal (everything is allocated before the first token).
#  2. RSS against model + KV cache: peak RSS of `relais llm bench -p 512 -n 0 -r 1`
#     (/usr/bin/time) next to the file size and the F16 KV cache of 512 positions.
# Default model: $WORK/qwen2-0.5b-Q4_0.gguf as written by bench/llm/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/relais}")
WORK=${WORK:-/tmp/relais-llm-bench}
model=${2:-$WORK/qwen2-0.5b-Q4_0.gguf}
so=$WORK/malloc_count.so
cc -O2 -shared -fPIC -o "$so" "$here/malloc_count.c" -ldl
for n in 8 64; do
  c=$(LD_PRELOAD=$so "$bin" llm bench "$model" -p 16 -n "$n" -t 2 -r 1 2>&1 >/dev/null |
    sed -n 's/malloc_count: //p')
  echo "decode $n tokens (+$n warm-up): $c"
done
rss=$( { /usr/bin/time -f '%M' "$bin" llm bench "$model" -p 512 -n 0 -t 2 -r 1 >/dev/null; } 2>&1 | tail -n 1)
bytes=$(stat -c %s "$model")
info=$("$bin" llm info "$model" 2>/dev/null || true)
echo "peak RSS $((rss / 1024)) MiB; file $((bytes / 1048576)) MiB"
echo "$info" | grep -iE 'block_count|head_count|embedding_length|n_layer|kv' | head -n 8 || true
