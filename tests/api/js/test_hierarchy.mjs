// GET /v1/rooms/{roomId}/hierarchy through matrix-js-sdk's getRoomHierarchy
// (what Element's space home calls): the space tree breadth first, children
// in the spec's order ("Ordering of children within a space"), rooms the user
// may not preview left out, max_depth, suggested_only, pages with next_batch,
// children_state of spaces, errors (spec: client-server "Spaces").
import { sdk, check, expectMatrixError } from "./common.mjs";

export const server = { registration: "open" };

const SPACE = { creation_content: { type: "m.space" } };

async function addChild(client, space, child, extra = {}) {
  const via = [child.split(":")[1]];
  await client.sendStateEvent(space, "m.space.child", { via, ...extra }, child);
}

const ids = (r) => r.rooms.map((x) => x.room_id);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function tree(srv) {
  const alice = await srv.newUser("alice");
  const bob = await srv.newUser("bob");
  const eve = await srv.newUser("eve");
  const c = alice.client;
  const mk = async (opts) => (await c.createRoom(opts)).room_id;
  const space = await mk({ ...SPACE, preset: "public_chat", name: "Space" });
  const a = await mk({ preset: "public_chat", name: "A" });
  const b = await mk({ preset: "private_chat", name: "B" });
  const cRoom = await mk({ preset: "private_chat", name: "C", invite: [bob.client.getUserId()] });
  const sub = await mk({ ...SPACE, preset: "public_chat", name: "Sub" });
  const d = await mk({ preset: "public_chat", name: "D" });
  const e = await mk({ preset: "public_chat", name: "E" });
  const priv = await mk({ ...SPACE, preset: "private_chat", name: "Private space" });
  await addChild(c, space, a, { order: "b" });
  await addChild(c, space, b, { order: "a" });
  await addChild(c, space, cRoom);
  await addChild(c, space, sub, { order: "\u0001 invalid" }); // an invalid order counts as none
  await c.sendStateEvent(space, "m.space.child", { via: [] }, e); // no via: not a child
  await addChild(c, sub, d);
  await addChild(c, sub, space); // a loop: each room once
  return { alice, bob, eve, space, a, b, cRoom, sub, d, e, priv };
}

export const tests = {
  async space_tree_order_access_and_pages(srv) {
    const t = await tree(srv);
    const all = await t.alice.client.getRoomHierarchy(t.space);
    check(same(ids(all), [t.space, t.b, t.a, t.cRoom, t.sub, t.d]), `alice ${ids(all)}`);
    check(all.next_batch === undefined, "one page");
    const root = all.rooms[0];
    check(root.room_type === "m.space" && root.name === "Space" && root.num_joined_members === 1 &&
      root.world_readable === false && root.guest_can_join === false && root.join_rule === "public" &&
      root.room_version === "10", `root ${JSON.stringify(root)}`);
    const kids = root.children_state.map((s) => s.state_key).sort();
    check(same(kids, [t.a, t.b, t.cRoom, t.sub].sort()) &&
      root.children_state.every((s) => s.type === "m.space.child" && typeof s.origin_server_ts === "number" &&
        s.sender === t.alice.client.getUserId() && Array.isArray(s.content.via)),
      `children_state ${JSON.stringify(root.children_state)}`);
    const roomA = all.rooms.find((x) => x.room_id === t.a);
    check(same(roomA.children_state, []) && roomA.room_type === undefined, `A ${JSON.stringify(roomA)}`);
    // bob may not preview B (private, not invited); C invites him
    const bobs = await t.bob.client.getRoomHierarchy(t.space);
    check(same(ids(bobs), [t.space, t.a, t.cRoom, t.sub, t.d]), `bob ${ids(bobs)}`);
    // max_depth and pages
    const shallow = await t.alice.client.getRoomHierarchy(t.space, undefined, 1);
    check(same(ids(shallow), [t.space, t.b, t.a, t.cRoom, t.sub]), `depth 1 ${ids(shallow)}`);
    const root0 = await t.alice.client.getRoomHierarchy(t.space, undefined, 0);
    check(same(ids(root0), [t.space]), `depth 0 ${ids(root0)}`);
    let seen = [], from, pages = 0;
    do {
      const p = await t.alice.client.getRoomHierarchy(t.space, 2, undefined, false, from);
      check(p.rooms.length <= 2, `page size ${p.rooms.length}`);
      seen = seen.concat(ids(p));
      from = p.next_batch;
      pages++;
    } while (from && pages < 10);
    check(same(seen, ids(all)) && pages === 3, `pages ${pages}: ${seen}`);
    // a token is for the same max_depth / suggested_only
    const first = await t.alice.client.getRoomHierarchy(t.space, 2);
    await expectMatrixError(t.alice.client.getRoomHierarchy(t.space, 2, 1, false, first.next_batch),
      400, "M_INVALID_PARAM");
    await expectMatrixError(t.alice.client.getRoomHierarchy(t.space, 2, undefined, false, "bogus"),
      400, "M_INVALID_PARAM");
  },

  async suggested_only_and_forbidden(srv) {
    const t = await tree(srv);
    await addChild(t.alice.client, t.space, t.a, { order: "b", suggested: true });
    const s = await t.alice.client.getRoomHierarchy(t.space, undefined, undefined, true);
    check(same(ids(s), [t.space, t.a]), `suggested ${ids(s)}`);
    await expectMatrixError(t.eve.client.getRoomHierarchy(t.priv), 403, "M_FORBIDDEN");
    await expectMatrixError(t.eve.client.getRoomHierarchy("!unknown:localhost"), 403, "M_FORBIDDEN");
    // a plain room is its own hierarchy, without children
    const plain = await t.eve.client.getRoomHierarchy(t.a);
    check(same(ids(plain), [t.a]), `plain ${ids(plain)}`);
  },

  async room_summary(srv) {
    const alice = await srv.newUser("alice");
    const eve = await srv.newUser("eve");
    const local = alice.client.getUserId().split(":")[1];
    const { room_id: pub } = await alice.client.createRoom({ preset: "public_chat", name: "Open",
      topic: "all welcome", room_alias_name: `open${Date.now()}` });
    const { room_id: priv } = await alice.client.createRoom({ preset: "private_chat", name: "Closed" });
    const summary = (id, who = eve) => who.client.http.authedRequest(sdk.Method.Get,
      `/room_summary/${encodeURIComponent(id)}`, undefined, undefined, { prefix: sdk.ClientPrefix.V1 });
    const s = await summary(pub);
    check(s.room_id === pub && s.name === "Open" && s.topic === "all welcome" && s.join_rule === "public" &&
      s.num_joined_members === 1 && s.world_readable === false && s.guest_can_join === false &&
      s.room_version === "10" && s.membership === "leave" && s.children_state === undefined,
      `summary ${JSON.stringify(s)}`);
    const byAlias = await summary(s.canonical_alias);
    check(byAlias.room_id === pub, `by alias ${JSON.stringify(byAlias)}`);
    check((await summary(priv, alice)).membership === "join", "alice's own membership");
    await expectMatrixError(summary(priv), 404, "M_NOT_FOUND");
    // matrix-js-sdk's getRoomSummary (Element's room previews) uses MSC3266's unstable path
    const sdkSummary = await eve.client.getRoomSummary(s.canonical_alias);
    check(sdkSummary.room_id === pub && sdkSummary.name === "Open" && sdkSummary.membership === "leave",
      `getRoomSummary ${JSON.stringify(sdkSummary)}`);
    await expectMatrixError(summary(`#nope:${local}`), 404, "M_NOT_FOUND");
    await expectMatrixError(summary(`!nope:${local}`), 404, "M_NOT_FOUND");
  },
};
