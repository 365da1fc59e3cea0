"""Many clients at once: parallel registrations (distinct and clashing
names), parallel logins of one user, and logouts racing with requests."""

import asyncio

from nio import responses as R

from common import PASSWORD, check, expect_nio, unique

SERVER = {"registration": "open"}
REG = "/_matrix/client/v3/register"


async def test_parallel_registrations_with_nio(srv):
    names = [unique("par") for _ in range(30)]

    async def one(name):
        return await srv.nio().register(name, PASSWORD)

    results = await asyncio.gather(*(one(n) for n in names))
    for r in results:
        expect_nio(r, R.RegisterResponse)
    ids = {r.user_id for r in results}
    check(ids == {f"@{n}:localhost" for n in names}, "user IDs differ from the names asked")


async def test_same_name_registered_once(srv):
    name = unique("clash")
    body = {"username": name, "password": PASSWORD, "auth": {"type": "m.login.dummy"}}
    results = await asyncio.gather(*(srv.req("POST", REG, body) for _ in range(20)))
    ok = [r for r in results if r.status == 200]
    others = [r for r in results if r.status != 200]
    check(len(ok) == 1, f"{len(ok)} registrations of one name succeeded")
    check(all(r.status == 400 and r.errcode() == "M_USER_IN_USE" for r in others),
          f"losers: {[repr(r) for r in others if r.errcode() != 'M_USER_IN_USE'][:3]}")


async def test_parallel_logins_one_user(srv):
    name = unique("many")
    await srv.register_raw(name)
    results = await asyncio.gather(*(srv.login_raw(name) for _ in range(30)))
    check(all(r.status == 200 for r in results), f"{[r for r in results if r.status != 200][:3]}")
    devices = {r.json["device_id"] for r in results}
    check(len(devices) == 30, f"{len(devices)} distinct devices")
    tokens = [r.json["access_token"] for r in results]
    whoamis = await asyncio.gather(*(srv.whoami_status(t) for t in tokens))
    check(all(w.status == 200 for w in whoamis), "a fresh token was refused")
    # Log half of them out while the other half keep asking.
    outs = [srv.req("POST", "/_matrix/client/v3/logout", {}, token=t) for t in tokens[:15]]
    asks = [srv.whoami_status(t) for t in tokens[15:] for _ in range(3)]
    res = await asyncio.gather(*outs, *asks)
    check(all(r.status == 200 for r in res), f"{[r for r in res if r.status != 200][:3]}")
    after = await asyncio.gather(*(srv.whoami_status(t) for t in tokens))
    check([w.status for w in after] == [401] * 15 + [200] * 15,
          f"statuses after logout {[w.status for w in after]}")
