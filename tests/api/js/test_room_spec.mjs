// Rooms API answers checked against the spec's shapes and error codes
// (data/api/client-server): GET /v1/rooms/{roomId}/timestamp_to_event through
// matrix-js-sdk's timestampToEvent (Element's /jumptodate), GET /members with
// a membership outside the enum, filters of another user.
import { sdk, check, expectMatrixError } from "./common.mjs";

export const server = { registration: "open" };

const body = (b) => ({ msgtype: "m.text", body: b });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const tests = {
  async timestamp_to_event(srv) {
    const alice = await srv.newUser("alice");
    const eve = await srv.newUser("eve");
    const { room_id: roomId } = await alice.client.createRoom({ name: "jump" });
    const { event_id: first } = await alice.client.sendMessage(roomId, body("first"));
    await sleep(30);
    const middle = Date.now();
    await sleep(30);
    const { event_id: second } = await alice.client.sendMessage(roomId, body("second"));
    const f = await alice.client.timestampToEvent(roomId, middle, sdk.Direction.Forward);
    check(f.event_id === second && typeof f.origin_server_ts === "number" &&
      f.origin_server_ts >= middle, `forward ${JSON.stringify(f)}`);
    const b = await alice.client.timestampToEvent(roomId, middle, sdk.Direction.Backward);
    check(b.event_id === first && b.origin_server_ts <= middle, `backward ${JSON.stringify(b)}`);
    // the room's first event (m.room.create) backwards from the epoch: none; forwards: create
    await expectMatrixError(alice.client.timestampToEvent(roomId, 0, sdk.Direction.Backward),
      404, "M_NOT_FOUND");
    const c = await alice.client.timestampToEvent(roomId, 0, sdk.Direction.Forward);
    const create = await alice.client.fetchRoomEvent(roomId, c.event_id);
    check(create.type === "m.room.create", `earliest ${JSON.stringify(create)}`);
    // after the newest event forwards: nothing
    await expectMatrixError(alice.client.timestampToEvent(roomId, Date.now() + 60000,
      sdk.Direction.Forward), 404, "M_NOT_FOUND");
    // not a member
    await expectMatrixError(eve.client.timestampToEvent(roomId, middle, sdk.Direction.Forward),
      403, "M_FORBIDDEN");
    // bad parameters
    const path = `/rooms/${encodeURIComponent(roomId)}/timestamp_to_event`;
    for (const q of [{ dir: "f" }, { ts: "x", dir: "f" }, { ts: "1" }, { ts: "1", dir: "up" }]) {
      await expectMatrixError(alice.client.http.authedRequest(sdk.Method.Get, path, q, undefined,
        { prefix: sdk.ClientPrefix.V1 }), 400, "M_INVALID_PARAM");
    }
  },

  async members_enum_and_filters_of_others(srv) {
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({});
    const path = `/rooms/${encodeURIComponent(roomId)}/members`;
    for (const q of [{ membership: "joined" }, { not_membership: "gone" }]) {
      await expectMatrixError(alice.client.http.authedRequest(sdk.Method.Get, path, q), 400,
        "M_INVALID_PARAM");
    }
    const r = await alice.client.http.authedRequest(sdk.Method.Get, path, { membership: "join" });
    check(r.chunk.length === 1 && r.chunk[0].state_key === alice.client.getUserId(), JSON.stringify(r));
    const id = await alice.client.createFilter({ room: { timeline: { limit: 5 } } });
    const fpath = (u, f) => `/user/${encodeURIComponent(u)}/filter/${f}`;
    const got = await alice.client.http.authedRequest(sdk.Method.Get, fpath(alice.client.getUserId(), id.filterId));
    check(got.room.timeline.limit === 5, JSON.stringify(got));
    await expectMatrixError(bob.client.http.authedRequest(sdk.Method.Get, fpath(alice.client.getUserId(), id.filterId)),
      403, "M_FORBIDDEN");
    await expectMatrixError(alice.client.http.authedRequest(sdk.Method.Get, fpath(alice.client.getUserId(), "12345")),
      404, "M_NOT_FOUND");
    // the filter's known keys have the spec's types (Synapse's schema: 400 M_BAD_JSON)
    const post = (body) => alice.client.http.authedRequest(sdk.Method.Post,
      `/user/${encodeURIComponent(alice.client.getUserId())}/filter`, undefined, body);
    for (const bad of [{ event_format: "xml" }, { event_fields: [1] }, { presence: { types: "m.presence" } },
      { room: { state: { lazy_load_members: "yes" } } }, { room: { include_leave: 1 } }]) {
      await expectMatrixError(post(bad), 400, "M_BAD_JSON");
    }
    const ok = await post({ event_format: "client", room: { timeline: {
      "org.matrix.msc3773.unread_thread_notifications": true, limit: 3 } } });
    check(typeof ok.filter_id === "string", JSON.stringify(ok));
  },

  async identical_state_is_not_sent_twice(srv) {
    // As Synapse: PUT /state with the current content from the same sender
    // answers the current event's ID instead of adding a duplicate event.
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat" });
    await bob.client.joinRoom(roomId);
    const first = await alice.client.sendStateEvent(roomId, "m.room.topic", { topic: "tea" }, "");
    const again = await alice.client.sendStateEvent(roomId, "m.room.topic", { topic: "tea" }, "");
    check(again.event_id === first.event_id, `same topic again: ${first.event_id} ${again.event_id}`);
    const other = await alice.client.sendStateEvent(roomId, "m.room.topic", { topic: "coffee" }, "");
    check(other.event_id !== first.event_id, "a new topic is a new event");
    await alice.client.setPowerLevel(roomId, bob.client.getUserId(), 50);
    const byBob = await bob.client.sendStateEvent(roomId, "m.room.topic", { topic: "coffee" }, "");
    check(byBob.event_id !== other.event_id, "another sender's identical topic is a new event");
    const msgs = await alice.client.http.authedRequest(sdk.Method.Get,
      `/rooms/${encodeURIComponent(roomId)}/messages`, { dir: "b", limit: "50",
        filter: JSON.stringify({ types: ["m.room.topic"] }) });
    check(msgs.chunk.length === 3, `topic events ${msgs.chunk.map((e) => e.content.topic)}`);
  },

  async fully_read_only_through_read_markers(srv) {
    // spec "Read markers": the server MUST prevent clients from setting m.fully_read
    // directly in room account data (405 M_BAD_JSON); /read_markers sets it
    const alice = await srv.newUser("alice");
    const { room_id: roomId } = await alice.client.createRoom({});
    const { event_id: eventId } = await alice.client.sendMessage(roomId, body("read me"));
    await expectMatrixError(alice.client.setRoomAccountData(roomId, "m.fully_read",
      { event_id: eventId }), 405, "M_BAD_JSON");
    await alice.client.setRoomReadMarkers(roomId, eventId);
    const path = `/user/${encodeURIComponent(alice.client.getUserId())}/rooms/` +
      `${encodeURIComponent(roomId)}/account_data/m.fully_read`;
    const got = await alice.client.http.authedRequest(sdk.Method.Get, path);
    check(got.event_id === eventId, `m.fully_read ${JSON.stringify(got)}`);
    // other room account data still goes through
    await alice.client.setRoomAccountData(roomId, "org.example.x", { k: 1 });
  },

  async state_format_param(srv) {
    // GET /state/{type}/{key}?format= (spec v1.16): content (default), event, nothing else
    const alice = await srv.newUser("alice");
    const { room_id: roomId } = await alice.client.createRoom({ name: "fmt" });
    const path = `/rooms/${encodeURIComponent(roomId)}/state/m.room.name/`;
    const content = await alice.client.http.authedRequest(sdk.Method.Get, path, { format: "content" });
    check(JSON.stringify(content) === JSON.stringify({ name: "fmt" }), JSON.stringify(content));
    const ev = await alice.client.http.authedRequest(sdk.Method.Get, path, { format: "event" });
    check(ev.type === "m.room.name" && ev.state_key === "" && ev.content.name === "fmt" &&
      ev.sender === alice.client.getUserId() && typeof ev.event_id === "string", JSON.stringify(ev));
    await expectMatrixError(alice.client.http.authedRequest(sdk.Method.Get, path,
      { format: "pdu" }), 400, "M_INVALID_PARAM");
  },

  async kick_only_who_is_there(srv) {
    // Synapse (room_member.py): a kick of a user who left, was banned or never came is
    // 403 "The target user is not in the room", not a new leave event
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const carol = await srv.newUser("carol");
    const dave = await srv.newUser("dave");
    const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat" });
    await bob.client.joinRoom(roomId);
    await alice.client.invite(roomId, carol.client.getUserId());
    await alice.client.kick(roomId, bob.client.getUserId(), "out");        // joined: fine
    await alice.client.kick(roomId, carol.client.getUserId(), "revoked");  // invited: fine
    await expectMatrixError(alice.client.kick(roomId, bob.client.getUserId(), "again!"), 403,
      "M_FORBIDDEN");
    await expectMatrixError(alice.client.kick(roomId, dave.client.getUserId()), 403, "M_FORBIDDEN");
    await alice.client.ban(roomId, dave.client.getUserId(), "pre-emptive");
    await expectMatrixError(alice.client.kick(roomId, dave.client.getUserId()), 403, "M_FORBIDDEN");
    const m = await alice.client.http.authedRequest(sdk.Method.Get,
      `/rooms/${encodeURIComponent(roomId)}/members`);
    const of = (u) => m.chunk.find((e) => e.state_key === u.client.getUserId()).content;
    check(of(bob).membership === "leave" && of(bob).reason === "out" &&
      of(carol).reason === "revoked" && of(dave).membership === "ban", JSON.stringify(m.chunk));
  },

  async initial_sync_for_peeking(srv) {
    // GET /rooms/{roomId}/initialSync: what matrix-js-sdk's peekInRoom (Element's
    // preview of a world_readable room) starts with; members and departed
    // members too (spec: "Room previews").
    const alice = await srv.newUser("alice");
    const eve = await srv.newUser("eve");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat", name: "Open book",
      initial_state: [{ type: "m.room.history_visibility", state_key: "",
        content: { history_visibility: "world_readable" } }] });
    await bob.client.joinRoom(roomId);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await alice.client.sendMessage(roomId, body(`m${i}`))).event_id);
    await bob.client.leave(roomId);
    const late = (await alice.client.sendMessage(roomId, body("after bob left"))).event_id;
    const peek = await eve.client.roomInitialSync(roomId, 3);
    check(peek.room_id === roomId && peek.membership === undefined, `peeker ${JSON.stringify(peek).slice(0, 200)}`);
    // oldest first: m4, bob's leave, the late message
    const c = peek.messages.chunk;
    check(c.length === 3 && c[0].event_id === ids[4] && c[1].type === "m.room.member" &&
      c[1].content.membership === "leave" && c[2].event_id === late,
      `chunk oldest first ${c.map((e) => e.content.body || e.content.membership)}`);
    check(typeof peek.messages.start === "string" && typeof peek.messages.end === "string", "tokens");
    check(peek.state.some((e) => e.type === "m.room.name" && e.content.name === "Open book"), "state has the name");
    check(Array.isArray(peek.account_data) && peek.visibility === "private", `${peek.visibility}`);
    // start continues backwards with /messages
    const more = await eve.client.http.authedRequest(sdk.Method.Get,
      `/rooms/${encodeURIComponent(roomId)}/messages`, { dir: "b", from: peek.messages.start, limit: "1" });
    check(more.chunk[0].event_id === ids[3], `before the chunk ${more.chunk[0].content.body}`);
    // the departed member sees up to the leave, with its membership
    const gone = await bob.client.roomInitialSync(roomId, 10);
    check(gone.membership === "leave" && !gone.messages.chunk.some((e) => e.event_id === late) &&
      gone.messages.chunk.some((e) => e.event_id === ids[4]), `departed ${gone.messages.chunk.map((e) => e.content.body)}`);
    check((await alice.client.roomInitialSync(roomId, 1)).membership === "join", "member");
    // a room that is not world_readable: no peeking
    const { room_id: closed } = await alice.client.createRoom({ preset: "public_chat" });
    await expectMatrixError(eve.client.roomInitialSync(closed, 5), 403, "M_FORBIDDEN");
  },
};
