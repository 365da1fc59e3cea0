"""[presence] enabled = 0: PUT is accepted and ignored, everyone reads
offline and /sync carries no presence (as Synapse with use_presence off)."""

from common import check
from rooms_util import new_user, q, room_with

SERVER = {"registration": "open", "set": {"presence.enabled": "0"}}


async def test_presence_off(srv):
    alice = await new_user(srv, "alice")
    bob = await new_user(srv, "bob")
    await room_with(alice, [bob])
    await alice.ok("PUT", f"/presence/{q(alice.user_id)}/status", {"presence": "online"})
    got = await bob.ok("GET", f"/presence/{q(alice.user_id)}/status")
    check(got == {"presence": "offline"}, f"{got}")
    b = await bob.sync()
    check(b["presence"]["events"] == [], f"{b['presence']}")
