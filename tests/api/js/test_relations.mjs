// Relations through matrix-js-sdk: edits aggregated as m.replace on the
// original (content untouched) in /messages and /event, thread replies counted
// in m.thread, /relations pages, /threads lists, and the errors (spec:
// client-server "Event replacements", "Threading", GET /relations, /threads).
import { sdk, check, expectError, expectMatrixError } from "./common.mjs";

export const server = { registration: "open" };
const CS = "/_matrix/client/v3";
const V1 = "/_matrix/client/v1";

async function pair(srv) {
  const alice = await srv.newUser("alice");
  const bob = await srv.newUser("bob");
  const { room_id: roomId } = await alice.client.createRoom({ invite: [bob.userId] });
  await bob.client.joinRoom(roomId);
  return { alice, bob, roomId };
}

const msg = (body, extra = {}) => ({ msgtype: "m.text", body, ...extra });
const edit = (id, body) => msg(`* ${body}`, {
  "m.new_content": msg(body), "m.relates_to": { rel_type: "m.replace", event_id: id } });
const reply = (root, body) => msg(body, {
  "m.relates_to": { rel_type: "m.thread", event_id: root, is_falling_back: true,
    "m.in_reply_to": { event_id: root } } });

async function eventOf(srv, user, roomId, eventId) {
  const r = await srv.req("GET", `${CS}/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`,
    { token: user.accessToken });
  check(r.status === 200, `/event ${r.status} ${r.text}`);
  return r.json;
}

export const tests = {
  async edit_shows_as_m_replace(srv) {
    const { alice, bob, roomId } = await pair(srv);
    const { event_id: orig } = await alice.client.sendMessage(roomId, msg("hello wrld"));
    const { event_id: fix } = await alice.client.sendMessage(roomId, edit(orig, "hello world"));
    const ev = await eventOf(srv, bob, roomId, orig);
    check(ev.content.body === "hello wrld", `content replaced ${JSON.stringify(ev.content)}`);
    const rep = ev.unsigned["m.relations"]["m.replace"];
    check(rep.event_id === fix && rep.content["m.new_content"].body === "hello world",
      `m.replace ${JSON.stringify(rep)}`);
    const page = await bob.client.createMessagesRequest(roomId, null, 10, sdk.Direction.Backward);
    const o = page.chunk.find((e) => e.event_id === orig);
    check(o && o.unsigned["m.relations"]["m.replace"].event_id === fix, `/messages ${JSON.stringify(o)}`);
    const rel = await bob.client.fetchRelations(roomId, orig, "m.replace", null, {});
    check(rel.chunk.length === 1 && rel.chunk[0].event_id === fix, `relations ${JSON.stringify(rel)}`);
  },

  async thread_reply_counts(srv) {
    const { alice, bob, roomId } = await pair(srv);
    const { event_id: root } = await alice.client.sendMessage(roomId, msg("root"));
    await bob.client.sendEvent(roomId, "m.room.message", reply(root, "one"));
    const { event_id: two } = await bob.client.sendEvent(roomId, "m.room.message", reply(root, "two"));
    const ev = await eventOf(srv, alice, roomId, root);
    const t = ev.unsigned["m.relations"]["m.thread"];
    check(t.count === 2 && t.latest_event.event_id === two && t.current_user_participated === true,
      `m.thread ${JSON.stringify(t)}`);
    const list = await srv.req("GET", `${V1}/rooms/${encodeURIComponent(roomId)}/threads`,
      { token: bob.accessToken });
    check(list.status === 200 && list.json.chunk.length === 1 && list.json.chunk[0].event_id === root,
      `threads ${list.text}`);
    const mine = await srv.req("GET", `${V1}/rooms/${encodeURIComponent(roomId)}/threads`,
      { token: bob.accessToken, query: { include: "participated" } });
    check(mine.json.chunk.length === 1, `participated ${mine.text}`);
    const rel = await alice.client.fetchRelations(roomId, root, "m.thread", "m.room.message", { limit: 1 });
    check(rel.chunk.length === 1 && rel.chunk[0].event_id === two && rel.next_batch,
      `page ${JSON.stringify(rel)}`);
    const rest = await alice.client.fetchRelations(roomId, root, "m.thread", "m.room.message",
      { limit: 1, from: rel.next_batch });
    check(rest.chunk.length === 1 && rest.chunk[0].content.body === "one", `page 2 ${JSON.stringify(rest)}`);
  },

  async relations_errors(srv) {
    const { alice, roomId } = await pair(srv);
    const eve = await srv.newUser("eve");
    const { event_id: orig } = await alice.client.sendMessage(roomId, msg("private"));
    await expectMatrixError(eve.client.fetchRelations(roomId, orig, null, null, {}), 404, "M_NOT_FOUND");
    await expectMatrixError(alice.client.fetchRelations(roomId, "$nope", null, null, {}), 404, "M_NOT_FOUND");
    const r = await srv.req("GET", `${V1}/rooms/${encodeURIComponent(roomId)}/relations/${encodeURIComponent(orig)}`,
      { token: alice.accessToken, query: { dir: "up" } });
    expectError(r, 400, "M_INVALID_PARAM");
    const t = await srv.req("GET", `${V1}/rooms/${encodeURIComponent(roomId)}/threads`, { token: eve.accessToken });
    expectError(t, 403, "M_FORBIDDEN");
    const b = await srv.req("GET", `${V1}/rooms/${encodeURIComponent(roomId)}/threads`,
      { token: alice.accessToken, query: { include: "mine" } });
    expectError(b, 400, "M_INVALID_PARAM");
  },
};
