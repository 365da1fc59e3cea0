// The published room directory through matrix-js-sdk: a public room appears
// in /publicRooms with its name and topic, leaves it when unlisted, is found by
// a search term; pagination; errors (spec: client-server "Listing rooms").
import { sdk, check, expectError, expectMatrixError, unique } from "./common.mjs";

export const server = { registration: "open" };
const CS = "/_matrix/client/v3";

export const tests = {
  async public_room_listed_then_unlisted(srv) {
    const alice = await srv.newUser("alice");
    const word = unique("Otter");
    const { room_id: roomId } = await alice.client.createRoom({ visibility: "public",
      name: `${word} den`, topic: "rivers" });
    const vis = await alice.client.getRoomDirectoryVisibility(roomId);
    check(vis.visibility === "public", `visibility ${JSON.stringify(vis)}`);
    let r = await alice.client.publicRooms({ filter: { generic_search_term: word } });
    check(r.chunk.length === 1, `found ${JSON.stringify(r)}`);
    const c = r.chunk[0];
    check(c.room_id === roomId && c.name === `${word} den` && c.topic === "rivers" &&
      c.num_joined_members === 1 && c.world_readable === false && c.guest_can_join === false,
      `chunk ${JSON.stringify(c)}`);
    await alice.client.setRoomDirectoryVisibility(roomId, "private");
    r = await alice.client.publicRooms({ filter: { generic_search_term: word } });
    check(r.chunk.length === 0, `still listed ${JSON.stringify(r)}`);
    r = await alice.client.publicRooms({});
    check(!r.chunk.some((x) => x.room_id === roomId), "listed without a filter");
  },

  async third_party_networks(srv) {
    // POST /publicRooms's network choice (spec: "Listing rooms"): the Matrix
    // rooms by default and with include_all_networks; a bridge's network (none
    // here) lists nothing; both at once, or a malformed network ID, are 400.
    const alice = await srv.newUser("alice");
    const word = unique("Heron");
    const { room_id: roomId } = await alice.client.createRoom({ visibility: "public", name: word });
    const filter = { generic_search_term: word };
    let r = await alice.client.publicRooms({ filter, include_all_networks: true });
    check(r.chunk.length === 1 && r.chunk[0].room_id === roomId, `all networks ${JSON.stringify(r)}`);
    r = await alice.client.publicRooms({ filter, include_all_networks: false });
    check(r.chunk.length === 1, `matrix network ${JSON.stringify(r)}`);
    r = await alice.client.publicRooms({ filter, third_party_instance_id: "irc|libera" });
    check(r.chunk.length === 0 && r.total_room_count_estimate === 0, `bridge network ${JSON.stringify(r)}`);
    await expectMatrixError(alice.client.publicRooms({ include_all_networks: true,
      third_party_instance_id: "irc|libera" }), 400, "M_INVALID_PARAM");
    await expectMatrixError(alice.client.publicRooms({ third_party_instance_id: "irc" }), 400,
      "M_INVALID_PARAM");
    await expectMatrixError(alice.client.publicRooms({ include_all_networks: "yes" }), 400,
      "M_BAD_JSON");
    // what Element's directory asks first: the bridged protocols (none), and
    // lookups in a protocol find nothing (spec: "Third-party Networks")
    const protocols = await alice.client.getThirdpartyProtocols();
    check(JSON.stringify(protocols) === "{}", `protocols ${JSON.stringify(protocols)}`);
    await expectMatrixError(alice.client.getThirdpartyLocation("irc", { channel: "#x" }), 404, "M_NOT_FOUND");
    await expectMatrixError(alice.client.getThirdpartyUser("irc", { nick: "x" }), 404, "M_NOT_FOUND");
    for (const path of ["/thirdparty/protocol/irc", "/thirdparty/location", "/thirdparty/user"]) {
      await expectMatrixError(alice.client.http.authedRequest(sdk.Method.Get, path,
        { alias: "#a:localhost", userid: alice.userId }), 404, "M_NOT_FOUND");
    }
  },

  async search_and_pages(srv) {
    const alice = await srv.newUser("alice");
    const word = unique("Heron");
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await alice.client.createRoom({ visibility: "public", name: `${word} ${i}` })).room_id);
    }
    const seen = [];
    let since;
    for (;;) {
      const r = await alice.client.publicRooms({ limit: 1, since, filter: { generic_search_term: word } });
      seen.push(...r.chunk.map((x) => x.room_id));
      if (!r.next_batch) break;
      since = r.next_batch;
    }
    check(seen.length === 3 && [...seen].sort().join() === [...ids].sort().join(), `pages ${seen}`);
  },

  async directory_errors(srv) {
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({ visibility: "public" });
    await bob.client.joinRoom(roomId);
    await expectMatrixError(bob.client.setRoomDirectoryVisibility(roomId, "private"), 403, "M_FORBIDDEN");
    await expectMatrixError(alice.client.getRoomDirectoryVisibility("!missing:localhost"), 404, "M_NOT_FOUND");
    const r = await srv.req("PUT", `${CS}/directory/list/room/${encodeURIComponent(roomId)}`,
      { body: { visibility: "everyone" }, token: alice.accessToken });
    expectError(r, 400, "M_INVALID_PARAM");
    await expectMatrixError(alice.client.publicRooms({ since: "zzz" }), 400, "M_INVALID_PARAM");
  },
};
