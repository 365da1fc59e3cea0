// Accounts through matrix-js-sdk in open registration mode: register, login,
// whoami, logout, refresh, profile, devices with UIA, password change,
// deactivation, 3pids and account data.
import {
  PASSWORD, check, expectError, expectMatrixError, expectStatus, unique,
} from "./common.mjs";

export const server = { registration: "open" };

const pw = (user, password = PASSWORD, session) => ({
  type: "m.login.password", identifier: { type: "m.id.user", user }, password,
  ...(session ? { session } : {}),
});

export const tests = {
  async register_dummy_and_whoami(srv) {
    const c = srv.client();
    const name = unique("Reg");
    // register() always asks for a refresh token.
    const r = await c.register(name, PASSWORD, null, { type: "m.login.dummy" });
    check(r.user_id === `@${name.toLowerCase()}:localhost`, `user_id ${r.user_id}`);
    check(typeof r.refresh_token === "string", `refresh_token missing: ${JSON.stringify(r)}`);
    const me = srv.client({ accessToken: r.access_token, userId: r.user_id });
    const w = await me.whoami();
    check(w.user_id === r.user_id && w.device_id === r.device_id && w.is_guest === false,
      `whoami ${JSON.stringify(w)}`);
  },

  async register_two_step_uia(srv) {
    const c = srv.client();
    const name = unique();
    const e = await expectMatrixError(c.registerRequest({ username: name, password: PASSWORD }), 401, undefined);
    check(e.data.flows.some((f) => f.stages.join() === "m.login.dummy") && e.data.session,
      `challenge ${JSON.stringify(e.data)}`);
    const r = await c.registerRequest({ username: name, password: PASSWORD,
      auth: { type: "m.login.dummy", session: e.data.session } });
    check(r.user_id === `@${name}:localhost`, `${JSON.stringify(r)}`);
  },

  async username_available(srv) {
    const c = srv.client();
    const name = unique();
    check(await c.isUsernameAvailable(name) === true, "free name not available");
    await c.registerRequest({ username: name, password: PASSWORD, auth: { type: "m.login.dummy" } });
    check(await c.isUsernameAvailable(name) === false, "taken name available");
    await expectMatrixError(c.isUsernameAvailable("bad name!"), 400, "M_INVALID_USERNAME");
    await expectMatrixError(c.registerRequest({ username: name.toUpperCase(), password: PASSWORD,
      auth: { type: "m.login.dummy" } }), 400, "M_USER_IN_USE");
  },

  async login_right_and_wrong_password(srv) {
    const u = await srv.newUser();
    const c = srv.client();
    const r = await c.loginWithPassword(u.userId, PASSWORD);
    check(r.user_id === u.userId && r.access_token, `${JSON.stringify(r)}`);
    await expectMatrixError(srv.client().loginWithPassword(u.userId, "wrong"), 403, "M_FORBIDDEN");
    await expectMatrixError(srv.client().loginWithPassword("@nobody:localhost", PASSWORD), 403, "M_FORBIDDEN");
  },

  async login_case_insensitive_and_device_reuse(srv) {
    const u = await srv.newUser();
    const local = u.userId.slice(1).split(":")[0];
    const c = srv.client();
    const a = await c.loginRequest({ type: "m.login.password",
      identifier: { type: "m.id.user", user: local.toUpperCase() }, password: PASSWORD,
      device_id: "JSDEVICE", initial_device_display_name: "js laptop" });
    check(a.user_id === u.userId && a.device_id === "JSDEVICE", `${JSON.stringify(a)}`);
    const b = await c.loginRequest({ type: "m.login.password",
      identifier: { type: "m.id.user", user: local }, password: PASSWORD, device_id: "JSDEVICE" });
    check(b.device_id === "JSDEVICE", `${JSON.stringify(b)}`);
    const devices = (await u.client.getDevices()).devices;
    const mine = devices.filter((d) => d.device_id === "JSDEVICE");
    check(mine.length === 1 && mine[0].display_name === "js laptop", `devices ${JSON.stringify(devices)}`);
    expectError(await srv.whoami(a.access_token), 401, "M_UNKNOWN_TOKEN");
    expectStatus(await srv.whoami(b.access_token), 200);
  },

  async logout_then_unknown_token(srv) {
    const u = await srv.newUser();
    await u.client.logout();
    await expectMatrixError(u.client.whoami(), 401, "M_UNKNOWN_TOKEN");
  },

  async logout_all(srv) {
    const u = await srv.newUser();
    const second = (await srv.loginRaw(u.userId)).json.access_token;
    const r = await srv.req("POST", "/_matrix/client/v3/logout/all", { body: {}, token: second });
    expectStatus(r, 200);
    await expectMatrixError(u.client.whoami(), 401, "M_UNKNOWN_TOKEN");
    expectError(await srv.whoami(second), 401, "M_UNKNOWN_TOKEN");
  },

  async refresh_token(srv) {
    const u = await srv.newUser();
    const login = await srv.client().loginRequest({ ...pw(u.userId), refresh_token: true });
    check(typeof login.refresh_token === "string", `no refresh token ${JSON.stringify(login)}`);
    const c = srv.client({ accessToken: login.access_token, userId: u.userId });
    const fresh = await c.refreshToken(login.refresh_token);
    check(fresh.access_token && fresh.refresh_token && fresh.access_token !== login.access_token,
      `${JSON.stringify(fresh)}`);
    const c2 = srv.client({ accessToken: fresh.access_token, userId: u.userId });
    check((await c2.whoami()).device_id === login.device_id, "new token, other device");
    await expectMatrixError(c2.refreshToken(login.refresh_token), 401, "M_UNKNOWN_TOKEN");
  },

  async profile(srv) {
    const u = await srv.newUser();
    await u.client.setDisplayName("Ada Lovelace");
    await u.client.setAvatarUrl("mxc://localhost/ada");
    const other = await srv.newUser();
    const p = await other.client.getProfileInfo(u.userId);
    check(p.displayname === "Ada Lovelace" && p.avatar_url === "mxc://localhost/ada", `${JSON.stringify(p)}`);
    const d = await other.client.getProfileInfo(u.userId, "displayname");
    check(d.displayname === "Ada Lovelace" && !("avatar_url" in d), `${JSON.stringify(d)}`);
    const a = await srv.client().getProfileInfo(u.userId, "avatar_url");
    check(a.avatar_url === "mxc://localhost/ada", `${JSON.stringify(a)}`);
    const r = await srv.req("PUT", `/_matrix/client/v3/profile/${encodeURIComponent(u.userId)}/displayname`,
      { body: { displayname: "hijacked" }, token: other.accessToken });
    expectError(r, 403, "M_FORBIDDEN");
    await expectMatrixError(other.client.getProfileInfo("@ghost:localhost"), 404, "M_NOT_FOUND");
  },

  async devices_with_uia(srv) {
    const u = await srv.newUser("dev", { initial_device_display_name: "js main" });
    const extra = await srv.loginRaw(u.userId, PASSWORD, { initial_device_display_name: "spare" });
    const spare = extra.json.device_id;
    const list = (await u.client.getDevices()).devices;
    check(list.length === 2 && list.some((d) => d.display_name === "js main"), `${JSON.stringify(list)}`);
    const one = await u.client.getDevice(spare);
    check(one.display_name === "spare" && one.last_seen_ip === "127.0.0.1", `${JSON.stringify(one)}`);
    await u.client.setDeviceDetails(spare, { display_name: "renamed spare" });
    check((await u.client.getDevice(spare)).display_name === "renamed spare", "rename lost");
    await expectMatrixError(u.client.getDevice("NOPE"), 404, "M_NOT_FOUND");
    const challenge = await expectMatrixError(u.client.deleteDevice(spare), 401, undefined);
    check(challenge.data.flows[0].stages[0] === "m.login.password", `${JSON.stringify(challenge.data)}`);
    const session = challenge.data.session;
    const wrong = await expectMatrixError(u.client.deleteDevice(spare, pw(u.userId, "wrong", session)),
      401, "M_FORBIDDEN");
    check(Array.isArray(wrong.data.flows), `flows missing after a wrong password ${JSON.stringify(wrong.data)}`);
    await u.client.deleteDevice(spare, pw(u.userId, PASSWORD, session));
    expectError(await srv.whoami(extra.json.access_token), 401, "M_UNKNOWN_TOKEN");
    // deleteMultipleDevices
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push((await srv.loginRaw(u.userId)).json.device_id);
    await u.client.deleteMultipleDevices(ids, pw(u.userId));
    const left = (await u.client.getDevices()).devices.map((d) => d.device_id);
    check(left.length === 1 && left[0] === u.deviceId, `left ${left}`);
  },

  async password_change(srv) {
    const u = await srv.newUser();
    const other = (await srv.loginRaw(u.userId)).json.access_token;
    await expectMatrixError(u.client.setPassword(pw(u.userId, "wrong"), "second password", true), 401, "M_FORBIDDEN");
    await u.client.setPassword(pw(u.userId), "second password", false);
    expectStatus(await srv.whoami(other), 200);
    await expectMatrixError(srv.client().loginWithPassword(u.userId, PASSWORD), 403, "M_FORBIDDEN");
    await u.client.setPassword(pw(u.userId, "second password"), "third password", true);
    expectError(await srv.whoami(other), 401, "M_UNKNOWN_TOKEN");
    check((await u.client.whoami()).user_id === u.userId, "own session logged out");
    await srv.client().loginWithPassword(u.userId, "third password");
  },

  async deactivate(srv) {
    const u = await srv.newUser();
    await expectMatrixError(u.client.deactivateAccount(pw(u.userId, "wrong")), 401, "M_FORBIDDEN");
    await u.client.deactivateAccount(pw(u.userId));
    await expectMatrixError(u.client.whoami(), 401, "M_UNKNOWN_TOKEN");
    await expectMatrixError(srv.client().loginWithPassword(u.userId, PASSWORD), 403, "M_USER_DEACTIVATED");
  },

  async threepids(srv) {
    const u = await srv.newUser();
    const r = await u.client.getThreePids();
    check(Array.isArray(r.threepids) && r.threepids.length === 0, `${JSON.stringify(r)}`);
  },

  async account_data(srv) {
    const u = await srv.newUser();
    check(await u.client.getAccountDataFromServer("org.example.js") === null, "missing data not null");
    const content = { a: [1, 2, { b: null }], s: "naïve ✓" };
    await u.client.setAccountData("org.example.js", content);
    const got = await u.client.getAccountDataFromServer("org.example.js");
    check(JSON.stringify(got) === JSON.stringify(content), `got ${JSON.stringify(got)}`);
    const other = await srv.newUser();
    const path = `/_matrix/client/v3/user/${encodeURIComponent(u.userId)}/account_data/org.example.js`;
    expectError(await srv.req("GET", path, { token: other.accessToken }), 403, "M_FORBIDDEN");
    expectError(await srv.req("PUT", path, { body: {}, token: other.accessToken }), 403, "M_FORBIDDEN");
    expectError(await srv.req("GET", path.replace("org.example.js", "org.example.none"),
      { token: u.accessToken }), 404, "M_NOT_FOUND");
  },
};
