#!/usr/bin/python3
"""bench/chat/setup.py URL USERS ROOMS OUT: registers users, creates rooms and joins
members (raw HTTP, keep-alive), then writes the tokens and room IDs wrk's Lua reads."""
import http.client, json, sys, urllib.parse

url, n_users, n_rooms, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)

def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, "/_matrix/client/v3" + path, json.dumps(body or {}), headers)
    r = conn.getresponse()
    data = json.loads(r.read() or b"{}")
    if r.status != 200:
        raise SystemExit(f"{method} {path}: {r.status} {data}")
    return data

tokens = []
for i in range(n_users):
    r = call("POST", "/register", {"username": f"u{i}", "password": "benchbench",
                                   "auth": {"type": "m.login.dummy"}})
    tokens.append(r["access_token"])
rooms = []
members_per_room = max(2, min(10, n_users))
for r_i in range(n_rooms):
    owner = r_i % n_users
    room = call("POST", "/createRoom", {"preset": "public_chat", "name": f"room {r_i}"},
                tokens[owner])["room_id"]
    for k in range(1, members_per_room):
        call("POST", f"/rooms/{urllib.parse.quote(room)}/join", {}, tokens[(owner + k) % n_users])
    rooms.append(room)
with open(out, "w") as f:
    json.dump({"tokens": tokens, "rooms": rooms, "members_per_room": members_per_room}, f)
