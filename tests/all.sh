#!/bin/sh
# all.sh: what `make test` runs. Builds relais twice (optimised with -Werror, and
# debug under AddressSanitizer + UndefinedBehaviorSanitizer), and for each build
# runs the C unit tests and the API tests that drive the real binary through
# matrix-nio (Python) and matrix-js-sdk (Node). Each suite prints its own
# "N passed, M failed" line; the last line here is the total.
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
sh tools/deps.sh test || { echo "0 passed, 1 failed"; exit 1; }
# npm ci when the test clients are missing or the lock file changed since they were installed.
if [ ! -f tests/api/js/node_modules/.package-lock.json ] ||
   [ tests/api/js/package-lock.json -nt tests/api/js/node_modules/.package-lock.json ]; then
  (cd tests/api/js && npm ci --no-audit --no-fund --loglevel=error) || { echo "0 passed, 1 failed"; exit 1; }
fi

passed=0 failed=0 skipped=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# run_suite NAME COMMAND...: runs one suite, prefixes its lines, adds its counts.
run_suite() {
  name=$1; shift
  "$@" >"$log/out" 2>"$log/err"
  rc=$?
  sed "s|^|[$name] |" "$log/out"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/out" | tail -n 1)
  if [ -z "$summary" ]; then
    echo "[$name] FAIL suite printed no summary (exit $rc); its stderr ends with:"
    tail -n 20 "$log/err" | sed "s|^|[$name]   |"
    failed=$((failed + 1))
    return
  fi
  p=$(echo "$summary" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$summary" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
  s=$(echo "$summary" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
  if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
    [ "$f" -eq 0 ] && failed=$((failed + 1)) && echo "[$name] FAIL suite exited $rc"
    tail -n 20 "$log/err" | sed "s|^|[$name]   |"
  fi
}

# build_tree DIR MESON_ARGS...: configures once, then builds; a failed build counts as a failure.
build_tree() {
  dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$log/setup" 2>&1 || { cat "$log/setup"; return 1; }
  fi
  ninja -C "$dir" >"$log/build" 2>&1 || { tail -n 40 "$log/build"; return 1; }
}

suites() {
  tag=$1 dir=$2
  run_suite "$tag unit" "$dir/tests/run"
  run_suite "$tag nio" /usr/bin/python3 tests/api/nio/run.py --bin "$root/$dir/relais"
  run_suite "$tag js" node tests/api/js/run.mjs --bin "$root/$dir/relais"
}

if build_tree build --buildtype=debugoptimized -Dwerror=true; then
  suites release build
else
  echo "[build] FAIL the optimised build failed"; failed=$((failed + 1))
fi

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
if build_tree build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true; then
  suites asan build-asan
else
  echo "[asan] FAIL the sanitizer build failed"; failed=$((failed + 1))
fi

[ "$skipped" -ne 0 ] && echo "($skipped skipped: see the skip lines above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
