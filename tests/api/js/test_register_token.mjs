// Registration in token mode through the SDK: m.login.registration_token with
// a valid, an invalid and a used-up (--uses 1) token, and the validity API.
import { PASSWORD, check, expectMatrixError, unique } from "./common.mjs";

export const server = { registration: "token" };
const VALIDITY = "/_matrix/client/v1/register/m.login.registration_token/validity";

async function registerWithToken(srv, token) {
  const c = srv.client();
  const name = unique();
  const e = await expectMatrixError(c.registerRequest({ username: name, password: PASSWORD }), 401, undefined);
  check(JSON.stringify(e.data.flows) === JSON.stringify([{ stages: ["m.login.registration_token"] }]),
    `flows ${JSON.stringify(e.data.flows)}`);
  return c.registerRequest({ username: name, password: PASSWORD,
    auth: { type: "m.login.registration_token", token, session: e.data.session } });
}

export const tests = {
  async register_with_token(srv) {
    const r = await registerWithToken(srv, srv.creds["registration token"]);
    const me = srv.client({ accessToken: r.access_token, userId: r.user_id });
    check((await me.whoami()).user_id === r.user_id, "whoami after token registration");
  },

  async dummy_refused(srv) {
    await expectMatrixError(srv.client().register(unique(), PASSWORD, null, { type: "m.login.dummy" }),
      401, "M_UNRECOGNIZED");
  },

  async invalid_token(srv) {
    const e = await expectMatrixError(registerWithToken(srv, "wrong-token"), 401, "M_FORBIDDEN");
    check(e.data.session && e.data.flows, `UIA body ${JSON.stringify(e.data)}`);
  },

  async used_up_token(srv) {
    const { code, stdout, stderr } = await srv.cli("token", "create", "--uses", "1");
    check(code === 0, `token create ${stderr}`);
    const token = stdout.trim();
    let v = await srv.req("GET", VALIDITY, { query: { token } });
    check(v.json.valid === true, `fresh token ${v.text}`);
    await registerWithToken(srv, token);
    v = await srv.req("GET", VALIDITY, { query: { token } });
    check(v.json.valid === false, `used token ${v.text}`);
    await expectMatrixError(registerWithToken(srv, token), 401, "M_FORBIDDEN");
  },

  async validity_of_unknown_token(srv) {
    const v = await srv.req("GET", VALIDITY, { query: { token: "nope" } });
    check(v.status === 200 && v.json.valid === false, `${v.status} ${v.text}`);
  },
};
