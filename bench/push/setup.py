#!/usr/bin/python3
"""bench/push/setup.py URL USERS ROOMS MEMBERS OUT: registers USERS users and
creates ROOMS public rooms of MEMBERS joined members each (raw HTTP,
keep-alive), then writes tokens and room IDs for send.lua."""
import http.client
import json
import sys
import urllib.parse

url, n_users, n_rooms, members, out = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                       int(sys.argv[4]), sys.argv[5])
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


tokens = [call("POST", "/register", {"username": f"p{i}", "password": "benchbench",
                                     "auth": {"type": "m.login.dummy"}})["access_token"]
          for i in range(n_users)]
rooms = []
for r_i in range(n_rooms):
    owner = r_i % n_users
    room = call("POST", "/createRoom", {"preset": "public_chat", "name": f"room {r_i}"},
                tokens[owner])["room_id"]
    for k in range(1, min(members, n_users)):
        call("POST", f"/rooms/{urllib.parse.quote(room)}/join", {}, tokens[(owner + k) % n_users])
    rooms.append(room)
with open(out, "w") as f:
    json.dump({"tokens": tokens, "rooms": rooms}, f)
