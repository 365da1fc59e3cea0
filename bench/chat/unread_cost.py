#!/usr/bin/python3
"""bench/chat/unread_cost.py URL SETUP PID: the read side of unread counts and notifications
(unread_cost.sh runs it on a fresh server set up by setup.py). Sends 1,500 messages into room
0 and 100 into each of rooms 1-9 (user u9 is in rooms 0-9 and reads none), waits for the push
worker, then times u9's first and second /sync (timeline limit 1) and 30 pages of 20 of GET
/notifications; server CPU from /proc/PID/stat (clock-tick resolution)."""
import http.client, json, os, sys, time, urllib.parse
url, setup, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
S = json.load(open(setup))
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)
def call(method, path, body=None, token=None, q=None):
    h = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    p = "/_matrix/client/v3" + path + ("?" + urllib.parse.urlencode(q) if q else "")
    conn.request(method, p, json.dumps(body) if body is not None else None, h)
    r = conn.getresponse(); d = json.loads(r.read() or b"{}")
    if r.status != 200: raise SystemExit(f"{method} {path}: {r.status} {d}")
    return d
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000000 // os.sysconf("SC_CLK_TCK")  # us
tok, rooms = S["tokens"], S["rooms"]
n = 0
for i in range(1500):  # 1,500 unread for u9 in room 0
    call("PUT", f"/rooms/{urllib.parse.quote(rooms[0])}/send/m.room.message/r{n}", {"msgtype": "m.text", "body": f"m {n}"}, tok[0]); n += 1
for r in range(1, 10):
    for i in range(100):
        call("PUT", f"/rooms/{urllib.parse.quote(rooms[r])}/send/m.room.message/r{n}", {"msgtype": "m.text", "body": f"m {n}"}, tok[r]); n += 1
me = tok[9]
call("GET", "/notifications", token=me, q={"limit": "1"})  # waits for the worker
t0, c0 = time.time(), cpu()
s = call("GET", "/sync", token=me, q={"filter": '{"room":{"timeline":{"limit":1}}}'})
t1, c1 = time.time(), cpu()
cnt = s["rooms"]["join"][rooms[0]]["unread_notifications"]["notification_count"]
s2 = call("GET", "/sync", token=me, q={"filter": '{"room":{"timeline":{"limit":1}}}'})
t2, c2 = time.time(), cpu()
pages = 0; frm = None; got = 0
for i in range(30):
    q = {"limit": "20"}
    if frm: q["from"] = frm
    d = call("GET", "/notifications", token=me, q=q); pages += 1; got += len(d["notifications"])
    frm = d.get("next_token")
    if not frm: break
t3, c3 = time.time(), cpu()
print(f"first sync {1000*(t1-t0):.1f} ms ({(c1-c0)/1000:.0f} ms cpu) room0 count={cnt}; second sync {1000*(t2-t1):.1f} ms ({(c2-c1)/1000:.0f} ms cpu); /notifications {pages} pages {got} rows {1000*(t3-t2)/pages:.2f} ms/page ({(c3-c2)/pages/1000:.1f} ms cpu/page)")
