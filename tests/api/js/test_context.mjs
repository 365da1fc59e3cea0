// GET /rooms/{roomId}/context/{eventId} through matrix-js-sdk's HTTP layer:
// 3 events before and after, state, errors (spec: "Retrieving events").
// (getEventTimeline needs a started client, which needs /pushrules: not yet.)
import { sdk, check, expectMatrixError } from "./common.mjs";

export const server = { registration: "open" };

const body = (b) => ({ msgtype: "m.text", body: b });
const path = (roomId, eventId) =>
  `/rooms/${encodeURIComponent(roomId)}/context/${encodeURIComponent(eventId)}`;

export const tests = {
  async three_before_and_after(srv) {
    const alice = await srv.newUser("alice");
    const { room_id: roomId } = await alice.client.createRoom({ name: "ctx" });
    const ids = [];
    for (let i = 0; i < 9; i++) ids.push((await alice.client.sendMessage(roomId, body(`m${i}`))).event_id);
    const r = await alice.client.http.authedRequest(sdk.Method.Get, path(roomId, ids[4]), { limit: "6" });
    check(r.event.event_id === ids[4], `event ${JSON.stringify(r.event)}`);
    check(JSON.stringify(r.events_before.map((e) => e.event_id)) === JSON.stringify([ids[3], ids[2], ids[1]]),
      `before ${r.events_before.map((e) => e.content.body)}`);
    check(JSON.stringify(r.events_after.map((e) => e.event_id)) === JSON.stringify([ids[5], ids[6], ids[7]]),
      `after ${r.events_after.map((e) => e.content.body)}`);
    check(r.state.some((e) => e.type === "m.room.name" && e.content.name === "ctx"), "state lacks the name");
    check(typeof r.start === "string" && typeof r.end === "string", `tokens ${r.start} ${r.end}`);
  },

  async context_errors(srv) {
    const alice = await srv.newUser("alice");
    const eve = await srv.newUser("eve");
    const { room_id: roomId } = await alice.client.createRoom({});
    const { event_id: ev } = await alice.client.sendMessage(roomId, body("secret"));
    await expectMatrixError(alice.client.http.authedRequest(sdk.Method.Get, path(roomId, "$missing")), 404, "M_NOT_FOUND");
    await expectMatrixError(eve.client.http.authedRequest(sdk.Method.Get, path(roomId, ev)), 404, "M_NOT_FOUND");
    await expectMatrixError(alice.client.http.authedRequest(sdk.Method.Get, path(roomId, ev), { limit: "x" }),
      400, "M_INVALID_PARAM");
  },
};
