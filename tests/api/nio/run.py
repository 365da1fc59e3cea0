#!/usr/bin/python3
"""run.py: the matrix-nio API suite. Drives the real relais binary through
Debian's python3-matrix-nio (and raw HTTP where nio has no call).

    /usr/bin/python3 tests/api/nio/run.py --bin build/relais [--filter SUBSTRING]

Each tests/api/nio/test_*.py module gets one fresh server (its SERVER dict
says how to `relais init` it); every `async def test_*(srv)` in it runs with
a time limit. Prints `ok   nio/<module>/<test>` or `FAIL nio/<module>/<test>
<reason>` per test, one `server_exits_cleanly` line per module (SIGTERM must
give exit status 0: under ASan a leak makes it non-zero), and last
`N passed, M failed`. Exit status 1 when anything failed."""

import argparse
import asyncio
import importlib
import inspect
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

TEST_TIMEOUT_S = 30.0


def discover(results):
    """Imports every test module; one that does not import is one failure."""
    mods = []
    for name in sorted(os.listdir(HERE)):
        if name.startswith("test_") and name.endswith(".py"):
            try:
                mods.append(importlib.import_module(name[:-3]))
            except Exception as e:
                sys.stderr.write(traceback.format_exc())
                report(results, f"nio/{name[5:-3]}/import", f"{type(e).__name__}: {e}")
    return mods


def short(mod):
    return mod.__name__[len("test_"):]


async def run_module(mod, binary, flt, results):
    tests = [(n, f) for n, f in inspect.getmembers(mod, inspect.iscoroutinefunction)
             if n.startswith("test_")]
    tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
    label = "nio/" + short(mod)
    tests = [(n, f) for n, f in tests if not flt or flt in f"{label}/{n[5:]}"]
    if not tests:
        return
    srv = common.Server(binary, getattr(mod, "SERVER", {}))
    try:
        await srv.start()
    except Exception as e:  # the whole module fails
        for n, _ in tests:
            report(results, f"{label}/{n[5:]}", f"server did not start: {e}")
        sys.stderr.write(srv.log_tail())
        await srv.cleanup()
        return
    for i, (n, f) in enumerate(tests):
        if not srv.alive():
            for rest, _ in tests[i:]:
                report(results, f"{label}/{rest[5:]}", "not run: the server died")
            break
        t0 = time.monotonic()
        reason = None
        try:
            await asyncio.wait_for(f(srv), TEST_TIMEOUT_S)
        except asyncio.TimeoutError:
            reason = f"timed out after {TEST_TIMEOUT_S:.0f} s"
        except AssertionError as e:
            reason = str(e) or "assertion failed"
            sys.stderr.write(f"--- {label}/{n[5:]}\n{traceback.format_exc()}")
        except Exception as e:
            reason = f"{type(e).__name__}: {e}"
            sys.stderr.write(f"--- {label}/{n[5:]}\n{traceback.format_exc()}")
        ms = (time.monotonic() - t0) * 1000
        if reason:
            sys.stderr.write(srv.log_tail())
        report(results, f"{label}/{n[5:]}", reason, ms)
    try:
        rc, err = await srv.stop()
    except Exception as e:
        rc, err = -1, f"stopping failed: {type(e).__name__}: {e}"
    finally:
        await srv.cleanup()  # never leaves a server running
    report(results, f"{label}/server_exits_cleanly",
           None if rc == 0 else f"exit status {rc}; stderr ends: {err}")


def report(results, name, reason, ms=None):
    if reason is None:
        print(f"ok   {name}" + (f"  ({ms:.0f} ms)" if ms is not None else ""), flush=True)
        results[0] += 1
    else:
        print(f"FAIL {name}  {reason}".replace("\n", " "), flush=True)
        results[1] += 1


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    results = [0, 0]
    if not os.access(binary, os.X_OK):
        print(f"FAIL nio/setup  {binary} is not an executable")
        results[1] += 1
    else:
        for mod in discover(results):
            await run_module(mod, binary, args.filter, results)
    print(f"{results[0]} passed, {results[1]} failed", flush=True)
    return 1 if results[1] else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
