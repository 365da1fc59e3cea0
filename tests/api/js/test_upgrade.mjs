// Room upgrades through matrix-js-sdk's upgradeRoom: the old room gets a
// tombstone, the new room's create event points to the old room, a user can
// join the new one; and the errors (spec: client-server "Room Upgrades").
import { check, expectMatrixError } from "./common.mjs";

export const server = { registration: "open" };

export const tests = {
  async upgrade_and_follow(srv) {
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: oldId } = await alice.client.createRoom({ preset: "public_chat", name: "Legacy",
      room_version: "10" });
    await bob.client.joinRoom(oldId);
    const { replacement_room: newId } = await alice.client.upgradeRoom(oldId, "11");
    check(typeof newId === "string" && newId !== oldId, `replacement ${newId}`);
    const tomb = await bob.client.getStateEvent(oldId, "m.room.tombstone", "");
    check(tomb.replacement_room === newId, `tombstone ${JSON.stringify(tomb)}`);
    await bob.client.joinRoom(newId);
    const create = await bob.client.getStateEvent(newId, "m.room.create", "");
    check(create.room_version === "11" && create.predecessor.room_id === oldId &&
      typeof create.predecessor.event_id === "string", `create ${JSON.stringify(create)}`);
    const name = await bob.client.getStateEvent(newId, "m.room.name", "");
    check(name.name === "Legacy", `name ${JSON.stringify(name)}`);
    const members = await alice.client.getJoinedRoomMembers(newId);
    check(alice.userId in members.joined && bob.userId in members.joined, `members ${JSON.stringify(members)}`);
    await expectMatrixError(bob.client.sendMessage(oldId, { msgtype: "m.text", body: "still here?" }),
      403, "M_FORBIDDEN");
  },

  async upgrade_errors(srv) {
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat" });
    await bob.client.joinRoom(roomId);
    await expectMatrixError(bob.client.upgradeRoom(roomId, "11"), 403, "M_FORBIDDEN");
    await expectMatrixError(alice.client.upgradeRoom(roomId, "not-a-version"), 400,
      "M_UNSUPPORTED_ROOM_VERSION");
  },
};
