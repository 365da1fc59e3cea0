#!/usr/bin/python3
"""bench_e2ee.py: /keys/claim and /sendToDevice latency with 1,000 devices.
Not part of the suite (run.py only discovers test_*.py).

    /usr/bin/python3 tests/api/nio/bench_e2ee.py --bin build/relais [--devices 1000]

One user gets N devices (logins), each uploads one-time keys; then another
user claims keys and sends to-device messages with 16 requests in flight (--concurrency).
Prints p50 / p90 / p99 latencies in ms and requests per second."""

import argparse
import asyncio
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

CS = "/_matrix/client/v3"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


async def timed(n, concurrency, fn):
    lat = []
    it = iter(range(n))

    async def worker():
        for i in it:
            t0 = time.perf_counter()
            await fn(i)
            lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return lat, n / (time.perf_counter() - t0)


def show(name, lat, rps):
    print(f"{name:<34} n={len(lat):5d}  p50={pct(lat, 50):6.2f} ms  p90={pct(lat, 90):6.2f} ms  "
          f"p99={pct(lat, 99):6.2f} ms  {rps:7.0f} req/s", flush=True)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    srv = common.Server(os.path.abspath(args.bin), {"registration": "open"})
    await srv.start()
    try:
        target = await srv.register_raw(common.unique("target"))
        claimer = await srv.register_raw(common.unique("claimer"))
        tok = claimer["access_token"]
        devices = [(target["device_id"], target["access_token"])]

        async def login(_):
            r = await srv.login_raw(target["user_id"])
            devices.append((r.json["device_id"], r.json["access_token"]))

        lat, rps = await timed(args.devices - 1, 16, login)
        show("login (device creation)", lat, rps)

        async def upload(i):
            d, t = devices[i]
            keys = {f"signed_curve25519:K{i}x{k}": f"{'A' * 40}{k:03d}" for k in range(5)}
            r = await srv.req("POST", f"{CS}/keys/upload", {"one_time_keys": keys}, token=t)
            assert r.status == 200, r

        lat, rps = await timed(len(devices), 16, upload)
        show("keys/upload (5 one-time keys)", lat, rps)

        async def claim(i):
            d, _ = devices[i % len(devices)]
            r = await srv.req("POST", f"{CS}/keys/claim", {"one_time_keys": {
                target["user_id"]: {d: "signed_curve25519"}}}, token=tok)
            assert r.status == 200 and r.json["one_time_keys"], r

        lat, rps = await timed(len(devices), args.concurrency, claim)
        show("keys/claim (one device)", lat, rps)

        async def send_one(i):
            d, _ = devices[i % len(devices)]
            r = await srv.req("PUT", f"{CS}/sendToDevice/m.bench/one{i}",
                              {"messages": {target["user_id"]: {d: {"i": i}}}}, token=tok)
            assert r.status == 200, r

        lat, rps = await timed(len(devices), args.concurrency, send_one)
        show("sendToDevice (one device)", lat, rps)

        async def send_all(i):
            r = await srv.req("PUT", f"{CS}/sendToDevice/m.bench/all{i}",
                              {"messages": {target["user_id"]: {"*": {"i": i}}}}, token=tok)
            assert r.status == 200, r

        lat, rps = await timed(20, 4, send_all)
        show(f"sendToDevice ('*' = {len(devices)} devices)", lat, rps)

        async def query(_):
            r = await srv.req("POST", f"{CS}/keys/query",
                              {"device_keys": {target["user_id"]: []}}, token=tok)
            assert r.status == 200, r

        lat, rps = await timed(50, 4, query)
        show(f"keys/query (user with {len(devices)} devices)", lat, rps)
    finally:
        await srv.stop()
        await srv.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
