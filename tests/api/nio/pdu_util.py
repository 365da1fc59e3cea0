"""tests/api/nio/pdu_util.py: the spec's PDU algorithms, computed in Python independently of
relais, for tests that check events as a federating server would: canonical JSON, unpadded
base64, the redaction algorithm of room versions 1-11, the reference-hash event ID and the
content hash (spec: appendices "Canonical JSON", server-server "Calculating the reference hash
for an event" and "Calculating the content hash for an event", room versions "Redactions")."""
import base64
import hashlib
import json

# Spec: room versions, "Redactions" (v1-v10 keys; v11 drops origin,
# membership, prev_state at the top level and keeps more of some contents).
V10_TOP = {"event_id", "type", "room_id", "sender", "state_key", "content", "hashes",
           "signatures", "depth", "prev_events", "prev_state", "auth_events", "origin",
           "origin_server_ts", "membership"}
V11_TOP = V10_TOP - {"origin", "membership", "prev_state"}
V10_CONTENT = {"m.room.member": {"membership"}, "m.room.create": {"creator"},
               "m.room.join_rules": {"join_rule", "allow"},
               "m.room.power_levels": {"ban", "events", "events_default", "kick", "redact",
                                       "state_default", "users", "users_default"},
               "m.room.history_visibility": {"history_visibility"}}
V11_CONTENT = dict(V10_CONTENT)
V11_CONTENT.update({"m.room.member": {"membership", "join_authorised_via_users_server"},
                    "m.room.power_levels": V10_CONTENT["m.room.power_levels"] | {"invite"},
                    "m.room.redaction": {"redacts"}})


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def unpadded_b64(raw, urlsafe=False):
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return enc(raw).decode().rstrip("=")


def redact(pdu, version):
    top = V11_TOP if version == "11" else V10_TOP
    kept = V11_CONTENT if version == "11" else V10_CONTENT
    out = {k: v for k, v in pdu.items() if k in top}
    content = pdu.get("content", {})
    if version == "11" and pdu["type"] == "m.room.create":
        out["content"] = dict(content)
    else:
        out["content"] = {k: v for k, v in content.items() if k in kept.get(pdu["type"], ())}
    if version == "11" and pdu["type"] == "m.room.member" and "third_party_invite" in content:
        tpi = content["third_party_invite"]
        if isinstance(tpi, dict) and "signed" in tpi:
            out["content"]["third_party_invite"] = {"signed": tpi["signed"]}
    return out


def reference_id(pdu, version):
    red = redact(pdu, version)
    red.pop("signatures", None)
    red.pop("event_id", None)
    return "$" + unpadded_b64(hashlib.sha256(canonical(red)).digest(), urlsafe=True)


def content_hash(pdu):
    body = {k: v for k, v in pdu.items() if k not in ("unsigned", "signatures", "hashes",
                                                    "event_id")}
    return unpadded_b64(hashlib.sha256(canonical(body)).digest())
