#!/usr/bin/python3
"""threads_query.py: CPU time of one /threads page query, the old scan of the
room's events (GROUP BY relates_to) against the threads table, on a room of N
events (every 1,000th a reply in one of 50 threads), in a database made by
the real server and filled directly with SQL.

    /usr/bin/python3 bench/rooms/threads_query.py BUILD/relais [N=100000]"""
import asyncio
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "api", "nio"))
import common  # noqa: E402

OLD = ("SELECT t.relates_to, MAX(t.stream_pos) AS latest FROM events t "
       "WHERE t.room_id = ?1 AND t.rel_type = 'm.thread' AND t.redacted_by IS NULL "
       "GROUP BY t.relates_to HAVING latest <= ?2 AND (?3 IS NULL OR "
       "SUM(t.sender = ?3) > 0 OR EXISTS (SELECT 1 FROM events r WHERE "
       "r.event_id = t.relates_to AND r.sender = ?3)) ORDER BY latest DESC LIMIT ?4")
NEW = ("SELECT t.root_id, t.latest_pos FROM threads t WHERE t.room_id = ?1 "
       "AND t.latest_pos <= ?2 AND (?3 IS NULL OR EXISTS (SELECT 1 FROM "
       "thread_participants p WHERE p.root_id = t.root_id AND p.user_id = ?3)) "
       "ORDER BY t.latest_pos DESC LIMIT ?4")
async def main():
    srv = common.Server(sys.argv[1], {"registration": "open"})
    await srv.start()
    alice = await srv.nio_user("alice")
    room = (await alice.room_create()).room_id
    await srv.stop()
    db = sqlite3.connect(os.path.join(srv.data, "relais.db"))
    N, T = int(sys.argv[2]) if len(sys.argv) > 2 else 100000, 50
    rows = []
    for i in range(N):
        rel = (f"$root{(i // 1000) % T}", "m.thread") if i % 1000 == 0 else (None, None)
        rows.append((f"$e{i}", room, "m.room.message", None, "@alice:localhost", 1, 0, "{}", 1, None, None, rel[0], rel[1]))
    db.executemany("INSERT INTO events (event_id, room_id, type, state_key, sender, depth, origin_server_ts, json, state_group, txn_device, txn_id, relates_to, rel_type) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.execute("INSERT INTO threads (root_id, room_id, latest_pos) SELECT relates_to, room_id, MAX(stream_pos) FROM events WHERE rel_type='m.thread' GROUP BY relates_to")
    db.execute("INSERT OR IGNORE INTO thread_participants SELECT relates_to, sender FROM events WHERE rel_type='m.thread'")
    db.commit()
    for name, q in (("old", OLD), ("new", NEW)):
        for who in (None, "@alice:localhost"):
            t0 = time.process_time(); reps = 20
            for _ in range(reps):
                r = db.execute(q, (room, 2**62, who, 5)).fetchall()
            print(f"{name} participant={who is not None}: {1000*(time.process_time()-t0)/reps:.2f} CPU ms/query, {len(r)} rows")
    await srv.cleanup()
asyncio.run(main())
