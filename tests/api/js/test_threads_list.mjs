// The thread list as Element's threads panel asks for it: matrix-js-sdk's
// createThreadListMessagesRequest on GET /v1/rooms/{roomId}/threads (the
// threads table, src/db/relations.c), pages through next_batch (the sdk's
// `end`), ThreadFilterType.All and .My (include=participated), in a room where
// most events are not in a thread (spec: client-server "Threading").
import { sdk, check } from "./common.mjs";

export const server = { registration: "open" };

const text = (b, root) => ({
  msgtype: "m.text", body: b,
  ...(root ? { "m.relates_to": { rel_type: "m.thread", event_id: root, is_falling_back: true,
    "m.in_reply_to": { event_id: root } } } : {}),
});

export const tests = {
  async thread_list_pages_and_mine(srv) {
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({ invite: [bob.client.getUserId()] });
    await bob.client.joinRoom(roomId);
    const roots = [];
    for (let i = 0; i < 4; i++) {
      roots.push((await (i % 2 ? bob : alice).client.sendMessage(roomId, text(`root ${i}`))).event_id);
      for (let k = 0; k < 25; k++) await alice.client.sendMessage(roomId, text(`chatter ${i}.${k}`));
    }
    // replies: root 2, then 0, then 3 (root 1 has none and is no thread)
    for (const i of [2, 0, 3]) await bob.client.sendMessage(roomId, text(`reply ${i}`, roots[i]));
    sdk.Thread.setServerSideListSupport(sdk.FeatureSupport.Stable); // what /versions v1.4+ sets
    const pages = async (client, type) => {
      let seen = [], from = null, n = 0;
      do {
        const res = await client.createThreadListMessagesRequest(roomId, from, 2,
          sdk.Direction.Backward, type);
        check(res.chunk.length <= 2, `page of ${res.chunk.length}`);
        // the sdk reverses each page to oldest first; the server answers newest first
        seen = seen.concat(res.chunk.map((e) => e.event_id).reverse());
        from = res.end;
        n++;
      } while (from && n < 10);
      return seen;
    };
    const all = await pages(alice.client, sdk.ThreadFilterType.All);
    check(JSON.stringify(all) === JSON.stringify([roots[3], roots[0], roots[2]]), `all ${all}`);
    // alice started 0 and 2; bob replied in all three and started 3 (and 1, no thread)
    const mine = await pages(alice.client, sdk.ThreadFilterType.My);
    check(JSON.stringify(mine) === JSON.stringify([roots[0], roots[2]]), `alice's ${mine}`);
    const bobs = await pages(bob.client, sdk.ThreadFilterType.My);
    check(JSON.stringify(bobs) === JSON.stringify(all), `bob's ${bobs}`);
  },
};
