// Element's "Historical" rooms: matrix-js-sdk's syncLeftRooms stores a filter
// with room.include_leave and a timeline limit of 1 and runs one /sync with it
// (spec: "Filtering", RoomFilter.include_leave; "Syncing" rooms.leave). The
// rooms the user left come back with their name and the leave as the last
// event; a forgotten room does not; rooms.rooms / not_rooms apply to them.
import { sdk, check } from "./common.mjs";

export const server = { registration: "open" };

const body = (b) => ({ msgtype: "m.text", body: b });

export const tests = {
  async sync_left_rooms(srv) {
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const ids = {};
    for (const name of ["Alpha", "Beta", "Gamma"]) {
      const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat", name });
      await bob.client.joinRoom(roomId);
      await alice.client.sendMessage(roomId, body(`hello ${name}`));
      ids[name] = roomId;
    }
    await bob.client.leave(ids.Alpha);
    await bob.client.leave(ids.Beta);
    await bob.client.forget(ids.Beta);
    const rooms = await bob.client.syncLeftRooms();
    const byId = Object.fromEntries(rooms.map((r) => [r.roomId, r]));
    check(Object.keys(byId).length === 1 && byId[ids.Alpha], `left rooms ${rooms.map((r) => r.name)}`);
    const alpha = byId[ids.Alpha];
    check(alpha.name === "Alpha" && alpha.getMyMembership() === "leave",
      `alpha ${alpha.name} ${alpha.getMyMembership()}`);
    const last = alpha.getLiveTimeline().getEvents().at(-1);
    check(last && last.getType() === "m.room.member" && last.getStateKey() === bob.userId &&
      last.getContent().membership === "leave", `last event ${last && last.getType()}`);
    // without include_leave an initial sync has no leave section entries
    const plain = await bob.client.http.authedRequest(sdk.Method.Get, "/sync", { timeout: "0" });
    check(Object.keys(plain.rooms.leave).length === 0 && plain.rooms.join[ids.Gamma],
      `plain ${Object.keys(plain.rooms.leave)}`);
    // the RoomFilter's not_rooms applies to left rooms too
    const filter = JSON.stringify({ room: { include_leave: true, not_rooms: [ids.Alpha] } });
    const filtered = await bob.client.http.authedRequest(sdk.Method.Get, "/sync", { timeout: "0", filter });
    check(!filtered.rooms.leave[ids.Alpha] && filtered.rooms.join[ids.Gamma], "not_rooms");
  },
};
