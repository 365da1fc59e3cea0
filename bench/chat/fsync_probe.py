#!/usr/bin/python3
"""bench/chat/fsync_probe.py N DIR [BG_MB_S=0] [GAP_MS=1]: the disk's own fdatasync latency,
to tell a server's slow commits from the device's. N times: overwrite 16 KB in place in DIR/w
(no size or block change, so no metadata to write) and time its fdatasync (GAP_MS apart); BG_MB_S > 0
adds a thread writing that many MB/s to DIR/b with an fsync every 75 ms (a checkpoint-like
load). Prints p50/p90/p99/max and, as SLOW, the CLOCK_MONOTONIC start (ms) and length of each
fdatasync over 8 ms: run it beside a server that logs its commits' times on the same clock
to see whether both stall at the same moments (then the whole disk stalled). Bounded: N
fdatasyncs of 16 KB; writes only in DIR."""
import os, sys, threading, time

n, d = int(sys.argv[1]), sys.argv[2]
bg = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
gap = float(sys.argv[4]) / 1000 if len(sys.argv) > 4 else 0.001
fd = os.open(os.path.join(d, "w"), os.O_RDWR | os.O_CREAT, 0o600)
os.pwrite(fd, b"\0" * (16384 * 512), 0)
os.fsync(fd)
stop = [False]


def background():
    f = os.open(os.path.join(d, "b"), os.O_RDWR | os.O_CREAT, 0o600)
    chunk, off = b"x" * int(bg * 1e6 * 0.075), 0
    while not stop[0]:
        os.pwrite(f, chunk, off % (64 << 20))
        off += len(chunk)
        os.fsync(f)
        time.sleep(0.075)
    os.close(f)


if bg > 0:
    threading.Thread(target=background, daemon=True).start()
lat, slow = [], []
for i in range(n):
    os.pwrite(fd, os.urandom(16384), (i % 512) * 16384)
    t = time.perf_counter()
    os.fdatasync(fd)
    ms = (time.perf_counter() - t) * 1000
    lat.append(ms)
    if ms > 8:
        slow.append((time.monotonic() * 1000 - ms, ms))
    time.sleep(gap)
stop[0] = True
lat.sort()
print("fdatasync (bg %g MB/s): p50 %.2f p90 %.2f p99 %.2f max %.2f ms, load %s" % (
    bg, lat[n // 2], lat[int(n * 0.9)], lat[int(n * 0.99)], lat[-1],
    open("/proc/loadavg").read().split()[0]))
print("SLOW " + " ".join("%.1f:%.1f" % s for s in slow))
