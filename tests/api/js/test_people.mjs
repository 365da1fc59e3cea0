// Finding and reporting people through matrix-js-sdk: the user directory
// finds a colleague by part of their display name, accents and case aside
// (spec: client-server "User directory"), and not a stranger sharing no room.
import { check, expectError, unique } from "./common.mjs";

export const server = { registration: "open" };
const CS = "/_matrix/client/v3";

export const tests = {
  async directory_finds_colleague_not_stranger(srv) {
    const tag = unique("t").slice(-6).toLowerCase();
    const me = await srv.newUser("me");
    const colleague = await srv.newUser("jose");
    const stranger = await srv.newUser("josef");
    await colleague.client.setDisplayName(`José Åberg ${tag}`);
    await stranger.client.setDisplayName(`Josef Aberg ${tag}`);
    const { room_id: roomId } = await me.client.createRoom({ invite: [colleague.userId] });
    await colleague.client.joinRoom(roomId);
    const r = await me.client.searchUserDirectory({ term: `aberg ${tag}` });
    check(r.results.length === 1 && r.results[0].user_id === colleague.userId &&
      r.results[0].display_name === `José Åberg ${tag}` && r.limited === false,
      `results ${JSON.stringify(r)}`);
    const r2 = await me.client.searchUserDirectory({ term: "JOSÉ" });
    check(r2.results.some((x) => x.user_id === colleague.userId), `by first name ${JSON.stringify(r2)}`);
    check(!r2.results.some((x) => x.user_id === stranger.userId), `stranger listed ${JSON.stringify(r2)}`);
  },

  async directory_errors(srv) {
    const me = await srv.newUser("me");
    let r = await srv.req("POST", `${CS}/user_directory/search`, { token: me.accessToken, body: {} });
    expectError(r, 400, "M_MISSING_PARAM");
    r = await srv.req("POST", `${CS}/user_directory/search`,
      { token: me.accessToken, body: { search_term: "a", limit: -3 } });
    expectError(r, 400, "M_INVALID_PARAM");
    r = await srv.req("POST", `${CS}/user_directory/search`, { body: { search_term: "a" } });
    expectError(r, 401, "M_MISSING_TOKEN");
  },
};
