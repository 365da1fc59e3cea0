// The SDK's InteractiveAuth driver (what Element uses) against our UIA:
// registration with m.login.registration_token and device deletion with
// m.login.password, each with one wrong answer first.
import { PASSWORD, check, sdk, unique } from "./common.mjs";

export const server = { registration: "token" };

/** Runs InteractiveAuth; answer(stage, state, attempt) returns the auth dict to submit. */
function runAuth(client, doRequest, answer) {
  const seen = [];
  let attempt = 0;
  const ia = new sdk.InteractiveAuth({
    matrixClient: client,
    doRequest,
    stateUpdated: (stage, state) => {
      seen.push({ stage, errcode: state.errcode || "" });
      ia.submitAuthDict(answer(stage, state, attempt++));
    },
    requestEmailToken: () => Promise.reject(new Error("no e-mail here")),
  });
  return ia.attemptAuth().then((result) => ({ result, seen }));
}

export const tests = {
  async register_with_registration_token(srv) {
    const c = srv.client();
    const name = unique("ia");
    const { result, seen } = await runAuth(c,
      (auth) => c.registerRequest({ username: name, password: PASSWORD, ...(auth ? { auth } : {}) }),
      (stage, state, n) => ({ type: stage, token: n === 0 ? "not-the-token" : srv.creds["registration token"] }));
    check(result.user_id === `@${name}:localhost` && result.access_token, JSON.stringify(result));
    check(seen.length === 2 && seen[0].stage === "m.login.registration_token" && seen[0].errcode === "" &&
      seen[1].errcode === "M_FORBIDDEN", `stages seen ${JSON.stringify(seen)}`);
  },

  async delete_device_with_password(srv) {
    const name = unique("iadev");
    const add = await srv.cli("user", "add", name, "--password", PASSWORD);
    check(add.code === 0, add.stderr);
    const main = await srv.client().loginRequest({ type: "m.login.password",
      identifier: { type: "m.id.user", user: name }, password: PASSWORD });
    const spare = (await srv.loginRaw(name)).json.device_id;
    const c = srv.client({ accessToken: main.access_token, userId: main.user_id });
    const { seen } = await runAuth(c, (auth) => c.deleteMultipleDevices([spare], auth),
      (stage, state, n) => ({ type: stage, identifier: { type: "m.id.user", user: main.user_id },
        password: n === 0 ? "wrong password" : PASSWORD }));
    check(seen.map((s) => s.errcode).join() === ",M_FORBIDDEN", `stages seen ${JSON.stringify(seen)}`);
    const left = (await c.getDevices()).devices.map((d) => d.device_id);
    check(left.length === 1 && left[0] === main.device_id, `devices left ${left}`);
  },
};
