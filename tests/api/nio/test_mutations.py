"""Seeded random mutations of valid request bodies against every endpoint
of the foundation: no answer may be a 5xx, every error is a Matrix error
body, and the server keeps serving."""

import random

from common import PASSWORD, check, expect_status

SERVER = {"registration": "open"}
CS = "/_matrix/client/v3"

ODD_VALUES = [None, True, False, 0, -1, 2**53, 2**63, 1.5, -0.0, "", "x" * 3000, "\u0000",
              "é\u200b🚀", [], [1, [2, [3]]], {}, {"a": {"b": None}}, "@x:localhost",
              "mxc://a/b", "m.login.password", "m.login.dummy"]


def mutate(rng, value, depth=0):
    if isinstance(value, dict) and value and rng.random() < 0.7 and depth < 4:
        out = dict(value)
        key = rng.choice(list(out))
        r = rng.random()
        if r < 0.3:
            del out[key]
        elif r < 0.6:
            out[key] = rng.choice(ODD_VALUES)
        elif r < 0.8:
            out[key] = mutate(rng, out[key], depth + 1)
        else:
            out[rng.choice(["extra", "auth", "type", "session", "devices"])] = rng.choice(ODD_VALUES)
        return out
    return rng.choice(ODD_VALUES)


async def test_mutated_bodies_never_5xx(srv):
    u = await srv.register_raw("mutant")
    uid, tok = u["user_id"], u["access_token"]
    auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": uid},
            "password": PASSWORD}
    cases = [
        ("POST", f"{CS}/login", {"type": "m.login.password", "password": PASSWORD,
                                 "identifier": {"type": "m.id.user", "user": uid},
                                 "device_id": "MUT", "initial_device_display_name": "m",
                                 "refresh_token": True}, None),
        ("POST", f"{CS}/register", {"username": "mutreg", "password": PASSWORD,
                                    "auth": {"type": "m.login.dummy"}, "inhibit_login": True},
         None),
        ("PUT", f"{CS}/profile/{uid}/displayname", {"displayname": "M"}, tok),
        ("PUT", f"{CS}/profile/{uid}/avatar_url", {"avatar_url": "mxc://a/b"}, tok),
        ("PUT", f"{CS}/devices/NOSUCH", {"display_name": "d"}, tok),
        ("POST", f"{CS}/delete_devices", {"devices": ["NOSUCH"], "auth": auth}, tok),
        ("POST", f"{CS}/account/password", {"new_password": PASSWORD, "logout_devices": False,
                                            "auth": auth}, tok),
        ("PUT", f"{CS}/user/{uid}/account_data/org.mut", {"k": [1, {"v": "w"}]}, tok),
        ("POST", f"{CS}/refresh", {"refresh_token": "rls_x"}, None),
        ("GET", f"{CS}/register/available?username=mut", None, None),
    ]
    rng = random.Random(20261123)
    seen = 0
    for _ in range(12):
        for method, path, body, token in cases:
            b = mutate(rng, body) if body is not None else None
            r = await srv.req(method, path, b, token=token)
            seen += 1
            check(r.status < 500, f"{method} {path} {str(b)[:200]} -> {r!r}")
            if r.status >= 400 and not (r.status == 401 and "flows" in (r.json or {})):
                check(isinstance(r.json, dict) and str(r.json.get("errcode", "")).startswith("M_"),
                      f"{method} {path}: not a Matrix error: {r!r}")
    # Random bytes too.
    for _ in range(40):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        r = await srv.req("POST", f"{CS}/login", raw)
        check(r.status == 400, f"random bytes {raw[:40]!r} -> {r!r}")
    expect_status(await srv.whoami_status(tok), 200)
    check(seen == 120, f"ran {seen} cases")
