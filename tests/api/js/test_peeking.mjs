// Peeking into a world_readable room without joining it (spec: client-server
// "Room previews": GET /rooms/{roomId}/initialSync, then the /events stream
// with room_id): what matrix-js-sdk's peekInRoom does for Element's room
// preview. The peeker must see new messages arrive live, each once, in order,
// promptly (the server wakes the long-poll, no 30 s retry loop).
import { sdk, check, expectMatrixError } from "./common.mjs";

export const server = { registration: "open" };

const body = (b) => ({ msgtype: "m.text", body: b });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function openRoom(alice, name) {
  const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat", name,
    initial_state: [{ type: "m.room.history_visibility", state_key: "",
      content: { history_visibility: "world_readable" } }] });
  return roomId;
}

function bodies(room) {
  return room.getLiveTimeline().getEvents().filter((e) => e.getType() === "m.room.message")
    .map((e) => e.getContent().body);
}

async function waitFor(cond, ms) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) return false;
    await sleep(20);
  }
  return true;
}

export const tests = {
  async peek_sees_new_messages_live(srv) {
    const alice = await srv.newUser("alice");
    const eve = await srv.newUser("eve");
    const roomId = await openRoom(alice, "Open book");
    await alice.client.sendMessage(roomId, body("before"));
    const room = await eve.client.peekInRoom(roomId);
    check(room.name === "Open book" && bodies(room).includes("before"), `preview ${bodies(room)}`);
    // The SDK's first poll has no `from`: the stream starts when it arrives.
    // Send until one message shows, then the rest must follow in order.
    let n = 0;
    let seen = false;
    while (!seen && n < 30) {
      await alice.client.sendMessage(roomId, body(`live ${n++}`));
      seen = await waitFor(() => bodies(room).some((b) => b.startsWith("live")), 300);
    }
    check(seen, `no live message reached the peeker after ${n} sends`);
    const first = bodies(room).find((b) => b.startsWith("live"));
    const k = Number(first.split(" ")[1]);
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) await alice.client.sendMessage(roomId, body(`more ${i}`));
    check(await waitFor(() => bodies(room).includes("more 4"), 5000), `late: ${bodies(room)}`);
    const ms = Date.now() - t0;
    const want = ["before"];
    for (let i = k; i < n; i++) want.push(`live ${i}`);
    for (let i = 0; i < 5; i++) want.push(`more ${i}`);
    const got = bodies(room);
    check(JSON.stringify(got) === JSON.stringify(want), `order/once: ${got} != ${want}`);
    check(ms < 5000, `five messages took ${ms} ms to reach the peeker`);
    // state changes come through as well (the SDK puts them in the room's
    // current state; it does not recalculate room.name while peeking)
    await alice.client.setRoomName(roomId, "Renamed");
    const name = () => room.currentState.getStateEvents("m.room.name", "")?.getContent().name;
    check(await waitFor(() => name() === "Renamed", 5000), `name ${name()}`);
    eve.client.stopPeeking();
  },

  async events_stream_rules(srv) {
    const alice = await srv.newUser("alice");
    const eve = await srv.newUser("eve");
    const roomId = await openRoom(alice, "rules");
    const http = (who, q) => who.client.http.authedRequest(sdk.Method.Get, "/events", q);
    // from a /messages token: the events after it, oldest first, with room_id and event_id
    const page = await alice.client.createMessagesRequest(roomId, null, 1, sdk.Direction.Backward);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await alice.client.sendMessage(roomId, body(`e${i}`))).event_id);
    const r = await http(eve, { room_id: roomId, from: page.start, timeout: "0" });
    check(JSON.stringify(r.chunk.map((e) => e.event_id)) === JSON.stringify(ids) &&
      r.chunk.every((e) => e.room_id === roomId && e.type === "m.room.message"),
    `chunk ${JSON.stringify(r.chunk).slice(0, 300)}`);
    check(r.start === page.start && typeof r.end === "string", `tokens ${r.start} ${r.end}`);
    // from the end: nothing new, answered at the timeout with the same position
    const t0 = Date.now();
    const idle = await http(eve, { room_id: roomId, from: r.end, timeout: "300" });
    check(idle.chunk.length === 0 && idle.end === r.end && Date.now() - t0 >= 250,
      `idle ${JSON.stringify(idle)} after ${Date.now() - t0} ms`);
    // a waiting poll is woken by the next message
    const waiting = http(eve, { room_id: roomId, from: r.end, timeout: "20000" });
    await sleep(200);
    const t1 = Date.now();
    const { event_id: late } = await alice.client.sendMessage(roomId, body("wake"));
    const woke = await waiting;
    check(woke.chunk.length === 1 && woke.chunk[0].event_id === late, `woke ${JSON.stringify(woke.chunk)}`);
    check(Date.now() - t1 < 3000, `woken after ${Date.now() - t1} ms`);
    // not world_readable: no peeking; a member may
    const { room_id: closed } = await alice.client.createRoom({ preset: "public_chat" });
    await expectMatrixError(http(eve, { room_id: closed, timeout: "0" }), 403, "M_FORBIDDEN");
    const own = await http(alice, { room_id: closed, timeout: "0" });
    check(Array.isArray(own.chunk) && own.chunk.length === 0, `member ${JSON.stringify(own)}`);
    // without room_id it is the user's own (deprecated) event stream: the
    // peeked room's events are not in it
    const global = await http(eve, { from: r.end, timeout: "0" });
    check(Array.isArray(global.chunk) && global.chunk.length === 0, `global ${JSON.stringify(global)}`);
    const mine = await http(alice, { from: r.end, timeout: "0" });
    check(mine.chunk.some((e) => e.event_id === late), `alice's stream ${JSON.stringify(mine.chunk)}`);
    await expectMatrixError(http(eve, { room_id: roomId, from: "nonsense", timeout: "0" }), 400,
      "M_INVALID_PARAM");
    // a room that stops being world_readable stops answering peekers
    await alice.client.sendStateEvent(roomId, "m.room.history_visibility",
      { history_visibility: "shared" }, "");
    await expectMatrixError(http(eve, { room_id: roomId, timeout: "0" }), 403, "M_FORBIDDEN");
  },

  async departed_member_reads_up_to_the_leave(srv) {
    // A departed member of a room that is not world_readable reads up to the
    // leave (as /messages), and with nothing more waits out the timeout
    // instead of answering at once (the SDK polls again immediately).
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat" });
    await bob.client.joinRoom(roomId);
    const page = await alice.client.createMessagesRequest(roomId, null, 1, sdk.Direction.Backward);
    const { event_id: seen } = await alice.client.sendMessage(roomId, body("while bob is here"));
    await bob.client.leave(roomId);
    await alice.client.sendMessage(roomId, body("after bob left"));
    const http = (q) => bob.client.http.authedRequest(sdk.Method.Get, "/events", q);
    const r = await http({ room_id: roomId, from: page.start, timeout: "0" });
    const got = r.chunk.map((e) => e.content.body || e.content.membership);
    check(r.chunk[0].event_id === seen && got.length === 2 && got[1] === "leave",
      `up to the leave: ${got}`);
    const t0 = Date.now();
    const idle = await http({ room_id: roomId, from: r.end, timeout: "300" });
    check(idle.chunk.length === 0 && Date.now() - t0 >= 250, `idle ${JSON.stringify(idle)} after ${Date.now() - t0} ms`);
  },
};
