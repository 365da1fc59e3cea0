// Discovery through the SDK: versions, login flows, capabilities, well-known,
// and the server key document's ed25519 signature (checked with node:crypto).
import { createPublicKey, verify } from "node:crypto";

import { check, expectStatus } from "./common.mjs";

export const server = { registration: "open" };

function canonical(v) {
  // Matrix canonical JSON: sorted keys, no insignificant whitespace, UTF-8.
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

const unb64 = (s) => Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");

export const tests = {
  async versions(srv) {
    const c = srv.client();
    const v = await c.getVersions();
    check(v.versions.includes("v1.16") && v.versions.includes("r0.6.1"), `versions ${JSON.stringify(v)}`);
    check(await c.isVersionSupported("v1.1"), "isVersionSupported(v1.1)");
  },

  async login_flows(srv) {
    const flows = await srv.client().loginFlows();
    check(flows.flows.some((f) => f.type === "m.login.password"), `flows ${JSON.stringify(flows)}`);
  },

  async capabilities(srv) {
    const u = await srv.newUser("caps");
    const caps = await u.client.getCapabilities();
    check(caps["m.change_password"].enabled === true, `caps ${JSON.stringify(caps)}`);
    check(caps["m.room_versions"].available[caps["m.room_versions"].default] === "stable",
      `room versions ${JSON.stringify(caps["m.room_versions"])}`);
  },

  async well_known(srv) {
    const r = await srv.req("GET", "/.well-known/matrix/client");
    expectStatus(r, 200);
    check(/^https?:\/\//.test(r.json["m.homeserver"].base_url), `well-known ${r.text}`);
    const s = await srv.req("GET", "/.well-known/matrix/server");
    check(s.status === 200 && s.json["m.server"].includes(":"), `well-known server ${s.text}`);
  },

  async server_key_signature(srv) {
    const r = await srv.req("GET", "/_matrix/key/v2/server");
    expectStatus(r, 200);
    const doc = r.json;
    const [keyId, key] = Object.entries(doc.verify_keys)[0];
    check(keyId.startsWith("ed25519:"), `key id ${keyId}`);
    const pub = unb64(key.key);
    check(pub.length === 32, "public key length");
    const sig = unb64(doc.signatures[doc.server_name][keyId]);
    const { signatures, unsigned, ...rest } = doc;
    const msg = Buffer.from(canonical(rest), "utf8");
    const pk = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: pub.toString("base64url") }, format: "jwk" });
    check(verify(null, msg, pk, sig), "signature does not verify over the canonical JSON");
    check(!verify(null, Buffer.from(canonical({ ...rest, server_name: "evil" })), pk, sig),
      "a tampered document verified");
  },

  async r0_paths(srv) {
    const a = await srv.req("GET", "/_matrix/client/r0/login");
    const b = await srv.req("GET", "/_matrix/client/v3/login");
    check(a.status === 200 && a.text === b.text, `r0 ${a.status} ${a.text} v3 ${b.text}`);
  },
};
