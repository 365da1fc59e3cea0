#!/bin/bash
# bench/llm/run.sh [BIN]: prompt and decode speed of relais's inference engine against
# llama.cpp (issue 7, "Speed") on random-weight models with the shapes of Qwen2-0.5B and
# TinyLlama-1.1B, both quantized by `relais llm quantize`.
#
#  - models: ../shared/models/tools/make_shaped_model.py writes the F16 files (needs numpy:
#    apt-get install -y python3-numpy); relais quantizes them to Q4_0, Q8_0 and Q4_K_M.
#  - peer: npm's node-llama-cpp@3.22.1 (prebuilt llama.cpp for linux-x64, CPU variants chosen at
#    run time) is installed into $WORK/npm; peer.c is compiled here against its libllama with
#    the llama.h of the llama.cpp release the package bundles (llama/gitRelease.bundle).
#  - timing as llama-bench: pp = PP prompt tokens in one decode, tg = TG single-token decodes,
#    one warm-up, median of REPS runs; at 1 and 2 threads. relais and llama.cpp alternate,
#    ROUNDS times, and each side keeps its best median (the machine is shared: the best round is
#    the least disturbed one). The 1-minute load average before each relais measurement and
#    each side's CPU use (process CPU seconds per wall second: 100% = one full core) are shown,
#    and the ratios per CPU second (tokens/s divided by CPU use: at 1 thread an estimate of the
#    ratio on an idle machine; at 2 threads spin-waiting counts as CPU).
#
# Environment: WORK (default /tmp/relais-llm-bench: models, npm, peer binary; never in git),
# MODELS (default "qwen2-0.5b tinyllama-1.1b"), TYPES (default "Q4_0 Q8_0 Q4_K_M"),
# THREADS ("1 2"), PP (512), TG (64), REPS (5), ROUNDS (2), MAXLOAD (1.5: wait up to 120 s for
# the load average to fall below it before each measurement), BW (44.6e9 bytes/s).
# Output: a markdown table on stdout; raw rows in $WORK/raw.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/relais}")
WORK=${WORK:-/tmp/relais-llm-bench}
MODELS=${MODELS:-"qwen2-0.5b tinyllama-1.1b"}
TYPES=${TYPES:-"Q4_0 Q8_0 Q4_K_M"}
THREADS=${THREADS:-"1 2"}
PP=${PP:-512}
TG=${TG:-64}
REPS=${REPS:-5}
ROUNDS=${ROUNDS:-2}
MAXLOAD=${MAXLOAD:-1.5}
BW=${BW:-44.6e9}
shared=$root/../shared/models
mkdir -p "$WORK"

# ---- models ------------------------------------------------------------------------------
vocab_of() {
  case $1 in
    qwen2-0.5b) echo "$shared/vocab/ggml-vocab-qwen2.gguf" ;;
    tinyllama-1.1b) echo "$shared/vocab/ggml-vocab-llama-spm.gguf" ;;
  esac
}
py=python3
python3 -c 'import numpy' 2>/dev/null || py=/usr/bin/python3
for m in $MODELS; do
  f16=$WORK/$m-F16.gguf
  if [ ! -s "$f16" ]; then
    echo "writing $f16" >&2
    "$py" "$shared/tools/make_shaped_model.py" "$m" "$(vocab_of "$m")" "$f16.tmp"
    mv "$f16.tmp" "$f16"
  fi
  for t in $TYPES; do
    q=$WORK/$m-$t.gguf
    if [ ! -s "$q" ]; then
      echo "quantizing $q" >&2
      "$bin" llm quantize "$f16" "$q.tmp" "$t" >&2
      mv "$q.tmp" "$q"
    fi
  done
done

# ---- the peer ----------------------------------------------------------------------------
npmdir=$WORK/npm
pkg=$npmdir/node_modules/node-llama-cpp
libdir=$npmdir/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
if [ ! -d "$libdir" ]; then
  mkdir -p "$npmdir"
  (cd "$npmdir" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --ignore-scripts --no-audit --no-fund node-llama-cpp@3.22.1 >&2)
fi
src=$npmdir/llama-src
if [ ! -f "$src/include/llama.h" ]; then
  rm -rf "$src"
  git clone -q "$pkg/llama/gitRelease.bundle" "$src" 2>/dev/null
fi
peer=$WORK/peer
if [ ! -x "$peer" ] || [ "$here/peer.c" -nt "$peer" ]; then
  lib=$(cd "$libdir" && ls libllama.*so | head -n 1)
  ggml=$(cd "$libdir" && ls libggml.*so | head -n 1)
  cc -O2 -o "$peer" "$here/peer.c" -I"$src/include" -I"$src/ggml/include" -L"$libdir" \
    -l:"$lib" -l:"$ggml" -l:libggml-base.so -Wl,-rpath,"$libdir"
fi
export PEER_BACKEND_DIR=$libdir

# ---- measurements ------------------------------------------------------------------------
load1() { cut -d' ' -f1 /proc/loadavg; }
wait_load() {
  local i=0
  while [ $i -lt 120 ] && awk -v l="$(load1)" -v m="$MAXLOAD" 'BEGIN{exit !(l > m)}'; do
    sleep 1; i=$((i + 1))
  done
}
raw=$WORK/raw.txt
: >"$raw"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); relais: $(git -C "$root" rev-parse --short HEAD)" >&2
for m in $MODELS; do
  for t in $TYPES; do
    q=$WORK/$m-$t.gguf
    for th in $THREADS; do
      for r in $(seq "$ROUNDS"); do
        wait_load
        l=$(load1)
        "$bin" llm bench "$q" -p "$PP" -n "$TG" -t "$th" -r "$REPS" |
          awk -F'|' -v m="$m" -v t="$t" -v th="$th" -v l="$l" \
            '$7 ~ /pp|tg/ {gsub(/ /,"",$7); gsub(/ /,"",$8); gsub(/ /,"",$11); print m, t, th, "relais", $7, $8, l, $11}' >>"$raw"
        wait_load
        l=$(load1)
        "$peer" "$q" "$PP" "$TG" "$th" "$REPS" |
          awk -F'|' -v m="$m" -v t="$t" -v th="$th" -v l="$l" \
            '{gsub(/ /,"",$5); gsub(/ /,"",$6); gsub(/ /,"",$9); print m, t, th, "llama.cpp", $5, $6, l, $9}' >>"$raw"
        tail -n 4 "$raw" >&2
      done
    done
  done
done

# ---- table -------------------------------------------------------------------------------
echo "| model | type | MiB | thr | pp$PP relais | pp llama.cpp | ratio | tg$TG relais | tg llama.cpp | ratio | tg bound | relais/bound | load | cpu pp r/l, tg r/l | pp ratio per cpu | tg ratio per cpu |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |"
for m in $MODELS; do
  for t in $TYPES; do
    bytes=$(stat -L -c %s "$WORK/$m-$t.gguf")
    for th in $THREADS; do
      awk -v m="$m" -v t="$t" -v th="$th" -v bytes="$bytes" -v bw="$BW" '
        $1 == m && $2 == t && $3 == th {
          k = $4 " " substr($5, 1, 2)
          if (!(k in best) || $6 > best[k]) { best[k] = $6; cpu[k] = $8 }
          if ($5 ~ /^pp/) loads = loads (loads == "" ? "" : "/") $7
        }
        END {
          bound = bw / bytes
          printf "| %s | %s | %.0f | %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %.1f | %.2f | %s | %s/%s, %s/%s | %.2f | %.2f |\n",
            m, t, bytes / 1048576, th, best["relais pp"], best["llama.cpp pp"],
            best["relais pp"] / best["llama.cpp pp"], best["relais tg"], best["llama.cpp tg"],
            best["relais tg"] / best["llama.cpp tg"], bound, best["relais tg"] / bound, loads,
            cpu["relais pp"], cpu["llama.cpp pp"], cpu["relais tg"], cpu["llama.cpp tg"],
            best["relais pp"] / cpu["relais pp"] / (best["llama.cpp pp"] / cpu["llama.cpp pp"]),
            best["relais tg"] / cpu["relais tg"] / (best["llama.cpp tg"] / cpu["llama.cpp tg"])
        }' "$raw"
    done
  done
done
