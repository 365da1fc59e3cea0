// The published room directory through matrix-js-sdk: a public room appears
// in /publicRooms with its name and topic, leaves it when unlisted, is found by
// a search term; pagination; errors (spec: client-server "Listing rooms").
import { check, expectError, expectMatrixError, unique } from "./common.mjs";

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
