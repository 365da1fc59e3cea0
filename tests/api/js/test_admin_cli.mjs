// Admin CLI against the running server, checked through the SDK.
import { PASSWORD, check, expectMatrixError, unique } from "./common.mjs";

export const server = { registration: "token" };

export const tests = {
  async user_add_then_login(srv) {
    const name = unique("jscli");
    const r = await srv.cli("user", "add", name, "--password", PASSWORD);
    check(r.code === 0, `user add: ${r.stderr}`);
    const login = await srv.client().loginWithPassword(name, PASSWORD);
    check(login.user_id === `@${name}:localhost`, JSON.stringify(login));
  },

  async user_deactivate_kills_token_within_2s(srv) {
    const name = unique("jsdeact");
    await srv.cli("user", "add", name, "--password", PASSWORD);
    const login = await srv.client().loginWithPassword(name, PASSWORD);
    const c = srv.client({ accessToken: login.access_token, userId: login.user_id });
    await c.whoami();
    const r = await srv.cli("user", "deactivate", name);
    check(r.code === 0, `deactivate: ${r.stderr}`);
    const t0 = Date.now();
    for (;;) {
      const w = await srv.whoami(login.access_token);
      if (w.status === 401) break;
      check(Date.now() - t0 < 2000, "token still valid 2 s after deactivate");
      await new Promise((res) => setTimeout(res, 50));
    }
    await expectMatrixError(c.whoami(), 401, "M_UNKNOWN_TOKEN");
  },

  async token_create_uses_1(srv) {
    const r = await srv.cli("token", "create", "--uses", "1");
    check(r.code === 0, `token create: ${r.stderr}`);
    const token = r.stdout.trim();
    const c = srv.client();
    await c.registerRequest({ username: unique(), password: PASSWORD,
      auth: { type: "m.login.registration_token", token } });
    await expectMatrixError(c.registerRequest({ username: unique(), password: PASSWORD,
      auth: { type: "m.login.registration_token", token } }), 401, "M_FORBIDDEN");
  },
};
