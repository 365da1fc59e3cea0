#!/usr/bin/python3
"""bench/chat/fixed_rate.py URL SETUP RATE SECONDS [CONNS]: open-loop message sends at a
fixed rate (RATE msg/s for SECONDS) over CONNS keep-alive connections (default 64), each
message into the next room as its owner, with a distinct transaction ID. Latency runs from
the moment a send was due (not when a connection was free), so a stalled server shows in the
figures instead of slowing the load (no coordinated omission). Prints one line:
fixed_rate target=R achieved=A sent=N ok=K errors=E p50=.. p99=.. max=.. (ms), then, when
sends took over 20 ms, a line `slow_sends` with each burst of them: its start (seconds from
the first send), how many, and the slowest (a stall of the server or the disk shows as one
burst, scattered slow sends as many).
Loopback only; stops by itself after SECONDS plus at most 10 s of draining."""
import asyncio, json, sys, time, urllib.parse

url, setup, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
n_conns = int(sys.argv[5]) if len(sys.argv) > 5 else 64
u = urllib.parse.urlparse(url)
cfg = json.load(open(setup))
tokens, rooms = cfg["tokens"], cfg["rooms"]
tag = f"f{int(time.time() * 1000)}"


async def read_reply(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    if length:
        await reader.readexactly(length)
    return status


async def main():
    queue = asyncio.Queue()
    for _ in range(n_conns):
        queue.put_nowait(await asyncio.open_connection(u.hostname, u.port))
    lat, errors, tasks, last, slow = [], [0], [], [0.0], []
    start = time.perf_counter() + 0.05
    total = int(rate * seconds)

    async def one(i, due):
        conn = await queue.get()
        reader, writer = conn
        r = i % len(rooms)
        room = urllib.parse.quote(rooms[r], safe="")
        body = json.dumps({"msgtype": "m.text", "body": f"fixed rate {i}"}).encode()
        req = (f"PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{tag}_{i} HTTP/1.1\r\n"
               f"Host: {u.hostname}\r\nAuthorization: Bearer {tokens[r % len(tokens)]}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        try:
            writer.write(req + body)
            status = await read_reply(reader)
        except (OSError, asyncio.IncompleteReadError):
            errors[0] += 1
            writer.close()
            queue.put_nowait(await asyncio.open_connection(u.hostname, u.port))
            return
        queue.put_nowait(conn)
        if status != 200:
            errors[0] += 1
            return
        now = time.perf_counter()
        last[0] = max(last[0], now)
        lat.append((now - due) * 1000)
        if lat[-1] > 20:
            slow.append((due - start, lat[-1]))

    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(i, due)))
    # Only the sends still running: asyncio.wait on all 10,000 tasks hooks each one first,
    # ~20-40 ms of this process's time that the last sends were charged with.
    running = [t for t in tasks if not t.done()]
    pending = (await asyncio.wait(running, timeout=10))[1] if running else set()
    for t in pending:
        t.cancel()
    elapsed = max(last[0] - start, 1e-9)  # to the last answer: a lagging server shows
    lat.sort()
    pct = (lambda p: lat[min(len(lat) - 1, int(len(lat) * p))]) if lat else (lambda p: -1)
    print(f"fixed_rate target={rate:.0f} achieved={len(lat) / elapsed:.0f} sent={total} "
          f"ok={len(lat)} errors={errors[0] + len(pending)} p50={pct(0.5):.2f} "
          f"p99={pct(0.99):.2f} max={pct(1.0):.2f}")
    bursts = []  # [start s, count, max ms]: slow sends due within 50 ms of the previous one
    for at, ms in sorted(slow):
        if bursts and at - bursts[-1][3] < 0.05:
            bursts[-1][1] += 1
            bursts[-1][2] = max(bursts[-1][2], ms)
            bursts[-1][3] = at
        else:
            bursts.append([at, 1, ms, at])
    if bursts:
        print(f"slow_sends (t0 {start * 1000:.1f}) " + " ".join(f"{b[0]:.2f}s:{b[1]}x<={b[2]:.0f}ms" for b in bursts))


asyncio.run(main())
