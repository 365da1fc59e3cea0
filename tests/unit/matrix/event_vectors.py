# Independent reference values for tests/unit/matrix/event_test.c (run: python3 event_vectors.py).
# Canonical JSON = the spec appendix's Python definition; the redacted forms
# below are written by hand from the room version pages, not computed.
import base64, hashlib, json
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
def canon(v): return json.dumps(v, ensure_ascii=False, separators=(',',':'), sort_keys=True).encode()
def b64(b): return base64.b64encode(b).decode().rstrip('=')
def b64u(b): return base64.urlsafe_b64encode(b).decode().rstrip('=')
key=Ed25519PrivateKey.from_private_bytes(base64.b64decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0="))
def refhash(red):
    r=dict(red); r.pop("signatures",None); r.pop("unsigned",None)
    return hashlib.sha256(canon(r)).digest()
def sig(red):
    r=dict(red); r.pop("signatures",None); r.pop("unsigned",None)
    return b64(key.sign(canon(r)))

# 1. Spec example 1 signed under v11 redaction (origin not protected).
e1={"auth_events":[],"content":{},"depth":3,"hashes":{"sha256":"5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"},
    "origin_server_ts":1000000,"prev_events":[],"room_id":"!x:domain","sender":"@a:domain","signatures":{},"type":"X"}
print("e1 v11 sig", sig(e1))

# 2. A member event; redacted forms per rule set.
member_v8={"auth_events":["$auth1","$auth2"],"content":{"membership":"join"},"depth":5,
  "hashes":{"sha256":"fakehash"},"origin":"example.org","origin_server_ts":1700000000000,
  "prev_events":["$prev1"],"room_id":"!room:example.org","sender":"@alice:example.org",
  "signatures":{"example.org":{"ed25519:1":"sig"}},"state_key":"@alice:example.org","type":"m.room.member"}
member_v9=json.loads(json.dumps(member_v8)); member_v9["content"]["join_authorised_via_users_server"]="@bob:example.org"
member_v11=json.loads(json.dumps(member_v9)); del member_v11["origin"]
for name,red in (("v8",member_v8),("v9",member_v9),("v11",member_v11)):
    h=refhash(red); print("member", name, "$"+b64(h), "$"+b64u(h))

# 3. Content hash of the full member event.
full={"type":"m.room.member","state_key":"@alice:example.org","sender":"@alice:example.org",
  "room_id":"!room:example.org","origin_server_ts":1700000000000,"depth":5,"prev_events":["$prev1"],
  "auth_events":["$auth1","$auth2"],"content":{"membership":"join","displayname":"Alice \u65e5\u672c",
  "avatar_url":"mxc://x/y","join_authorised_via_users_server":"@bob:example.org"},"origin":"example.org",
  "unsigned":{"age":5},"hashes":{"sha256":"fakehash"},"signatures":{"example.org":{"ed25519:1":"sig"}}}
f=dict(full); [f.pop(k) for k in ("unsigned","signatures","hashes")]
print("member content hash", b64(hashlib.sha256(canon(f)).digest()))

# 4. Depth chosen so the hash has '+' or '/' (v3 and v4 IDs differ).
for d in range(6, 100):
    red=json.loads(json.dumps(member_v9)); red["depth"]=d
    h=refhash(red)
    if '+' in b64(h) or '/' in b64(h):
        print("member v9 depth", d, "$"+b64(h), "$"+b64u(h)); break

# 5. v3 (V1 rules, standard alphabet) and v4 for MEMBER_EVENT("N"): member_v8 with depth N.
for d in range(6, 200):
    red=json.loads(json.dumps(member_v8)); red["depth"]=d
    h=refhash(red)
    if '+' in b64(h) or '/' in b64(h):
        print("member v8-shape depth", d, "$"+b64(h), "$"+b64u(h)); break
print("hi hash", b64(hashlib.sha256(canon({"type":"m.room.message","content":{"body":"hi"}})).digest()))
