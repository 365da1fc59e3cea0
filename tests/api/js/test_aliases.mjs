// Room aliases through matrix-js-sdk: create, resolve, join through an alias,
// delete (creator / room admin only), local aliases of a room, and the
// m.room.canonical_alias check (spec: client-server "Room aliases").
import { check, expectError, expectMatrixError, unique } from "./common.mjs";

export const server = { registration: "open" };
const CS = "/_matrix/client/v3";
const hs = (userId) => userId.split(":").slice(1).join(":");

export const tests = {
  async bob_joins_through_an_alias(srv) {
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat", name: "Tea" });
    const alias = `#${unique("tea")}:${hs(alice.userId)}`;
    await alice.client.createAlias(alias, roomId);
    const r = await bob.client.getRoomIdForAlias(alias);
    check(r.room_id === roomId && r.servers.includes(hs(alice.userId)), `resolved ${JSON.stringify(r)}`);
    const room = await bob.client.joinRoom(alias);
    check(room.roomId === roomId, `joined ${room.roomId}`);
    const members = await alice.client.getJoinedRoomMembers(roomId);
    check(bob.userId in members.joined, `members ${JSON.stringify(members)}`);
    const local = await bob.client.getLocalAliases(roomId);
    check(JSON.stringify(local.aliases) === JSON.stringify([alias]), `aliases ${JSON.stringify(local)}`);
  },

  async alias_errors(srv) {
    const alice = await srv.newUser("alice");
    const eve = await srv.newUser("eve");
    const { room_id: roomId } = await alice.client.createRoom({});
    const alias = `#${unique("dup")}:${hs(alice.userId)}`;
    await alice.client.createAlias(alias, roomId);
    await expectMatrixError(alice.client.createAlias(alias, roomId), 409, "M_UNKNOWN");
    await expectMatrixError(alice.client.createAlias(`#${unique()}:other.example`, roomId), 400,
      "M_INVALID_PARAM");
    await expectMatrixError(eve.client.createAlias(`#${unique()}:${hs(alice.userId)}`, roomId), 403,
      "M_FORBIDDEN");
    await expectMatrixError(alice.client.createAlias(`#${unique()}:${hs(alice.userId)}`,
      `!missing:${hs(alice.userId)}`), 404, "M_NOT_FOUND");
    await expectMatrixError(eve.client.getRoomIdForAlias(`#${unique("none")}:${hs(alice.userId)}`),
      404, "M_NOT_FOUND");
    await expectMatrixError(eve.client.deleteAlias(alias), 403, "M_FORBIDDEN");
    await expectMatrixError(eve.client.getLocalAliases(roomId), 403, "M_FORBIDDEN");
    await alice.client.deleteAlias(alias);
    await expectMatrixError(alice.client.deleteAlias(alias), 404, "M_NOT_FOUND");
    await expectMatrixError(alice.client.getRoomIdForAlias(alias), 404, "M_NOT_FOUND");
  },

  async canonical_alias_is_checked(srv) {
    const alice = await srv.newUser("alice");
    const { room_id: roomId } = await alice.client.createRoom({});
    const { room_id: otherId } = await alice.client.createRoom({});
    const mine = `#${unique("m")}:${hs(alice.userId)}`;
    const theirs = `#${unique("t")}:${hs(alice.userId)}`;
    await alice.client.createAlias(mine, roomId);
    await alice.client.createAlias(theirs, otherId);
    await alice.client.sendStateEvent(roomId, "m.room.canonical_alias", { alias: mine });
    await expectMatrixError(alice.client.sendStateEvent(roomId, "m.room.canonical_alias",
      { alias: theirs }), 400, "M_BAD_ALIAS");
    await expectMatrixError(alice.client.sendStateEvent(roomId, "m.room.canonical_alias",
      { alias: mine, alt_aliases: [theirs] }), 400, "M_BAD_ALIAS");
    const r = await srv.req("PUT", `${CS}/rooms/${encodeURIComponent(roomId)}/state/m.room.canonical_alias`,
      { body: { alias: "nohash" }, token: alice.accessToken });
    expectError(r, 400, "M_INVALID_PARAM");
    const c = await alice.client.getStateEvent(roomId, "m.room.canonical_alias", "");
    check(c.alias === mine, `canonical alias ${JSON.stringify(c)}`);
  },
};
