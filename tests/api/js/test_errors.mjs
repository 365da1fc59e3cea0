// The error model as the SDK and a raw socket see it, on a server with a
// 64 KiB body limit: every errcode, oversized bodies (Content-Length and
// chunked), deep JSON, invalid UTF-8, CORS, big headers, and the server still
// answering afterwards.
import { check, expectError, expectMatrixError, expectStatus } from "./common.mjs";

const LIMIT = 65536;
export const server = { registration: "open", set: { "http.max_body_bytes": LIMIT } };
const CS = "/_matrix/client/v3";

export const tests = {
  async sdk_sees_errcodes(srv) {
    const anon = srv.client();
    await expectMatrixError(anon.whoami(), 401, "M_MISSING_TOKEN");
    const bogus = srv.client({ accessToken: "rls_not_a_token", userId: "@x:localhost" });
    await expectMatrixError(bogus.whoami(), 401, "M_UNKNOWN_TOKEN");
    await expectMatrixError(anon.http.request("GET", "/no/such/thing"), 404, "M_UNRECOGNIZED");
    await expectMatrixError(anon.http.request("DELETE", "/login"), 405, "M_UNRECOGNIZED");
  },

  async not_json_and_bad_json(srv) {
    expectError(await srv.req("POST", `${CS}/login`, { body: "{nope" }), 400, "M_NOT_JSON");
    expectError(await srv.req("POST", `${CS}/login`, { body: "" }), 400, "M_NOT_JSON");
    expectError(await srv.req("POST", `${CS}/login`, { body: "[]" }), 400, "M_BAD_JSON");
    expectError(await srv.req("POST", `${CS}/login`, { body: "\"string\"" }), 400, "M_BAD_JSON");
    expectError(await srv.req("POST", `${CS}/login`, { body: "{\"type\":1,\"type\":2}" }), 400, "M_NOT_JSON");
  },

  async invalid_utf8(srv) {
    for (const bytes of [[0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d],
      [0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d]]) {
      expectError(await srv.req("POST", `${CS}/login`, { body: new Uint8Array(bytes) }), 400, "M_NOT_JSON");
    }
  },

  async deep_json(srv) {
    const deep = "[".repeat(10000) + "]".repeat(10000);
    const r = await srv.req("POST", `${CS}/login`, { body: deep });
    check(r.status === 400 && ["M_BAD_JSON", "M_NOT_JSON"].includes(r.json.errcode), `${r.status} ${r.text}`);
    const objs = "{\"a\":".repeat(10000) + "1" + "}".repeat(10000);
    const r2 = await srv.req("POST", `${CS}/login`, { body: objs });
    check(r2.status === 400, `${r2.status} ${r2.text.slice(0, 200)}`);
  },

  async too_large_with_content_length(srv) {
    // fetch sends Content-Length; the server answers before reading the body.
    for (const n of [LIMIT + 1, LIMIT * 4, LIMIT * 64]) {
      const r = await srv.req("POST", `${CS}/login`, { body: "x".repeat(n) });
      expectError(r, 413, "M_TOO_LARGE");
    }
  },

  async too_large_chunked(srv) {
    const head = Buffer.from(`POST ${CS}/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n`
      + "Transfer-Encoding: chunked\r\n\r\n");
    const piece = Buffer.alloc(16384, "y");
    const chunks = [];
    for (let i = 0; i < 16; i++) chunks.push(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]));
    chunks.push(Buffer.from("0\r\n\r\n"));
    const r = await srv.rawRequest(head, chunks);
    check(r.status === 413 && JSON.parse(r.body).errcode === "M_TOO_LARGE", `${r.status} ${r.body.slice(0, 200)}`);
  },

  async cors_preflight(srv) {
    const r = await srv.req("OPTIONS", `${CS}/account/whoami`, { headers: {
      Origin: "http://localhost:8080", "Access-Control-Request-Method": "GET",
      "Access-Control-Request-Headers": "Authorization" } });
    check(r.status === 200 || r.status === 204, `status ${r.status}`);
    check(r.headers.get("access-control-allow-origin") === "*", "allow-origin");
    check(/GET/.test(r.headers.get("access-control-allow-methods")) &&
      /PUT/.test(r.headers.get("access-control-allow-methods")), "allow-methods");
    check(/authorization/i.test(r.headers.get("access-control-allow-headers")), "allow-headers");
  },

  async huge_header(srv) {
    const head = Buffer.from(`GET /_matrix/client/versions HTTP/1.1\r\nHost: t\r\nX-Huge: ${"h".repeat(300000)}\r\n\r\n`);
    const r = await srv.rawRequest(head, [], 5000);
    check(r.status === 0 || (r.status >= 400 && r.status < 500), `status ${r.status}`);
    check(srv.alive(), "server died");
  },

  async many_parallel_clients(srv) {
    const u = await srv.newUser();
    const all = [];
    for (let i = 0; i < 200; i++) all.push(u.client.whoami());
    const res = await Promise.all(all);
    check(res.every((w) => w.user_id === u.userId), "a parallel whoami failed");
  },

  async still_answering(srv) {
    const v = await srv.client().getVersions();
    check(v.versions.includes("v1.16"), "versions after the abuse");
    expectStatus(await srv.req("GET", "/_matrix/client/r0/login"), 200);
  },
};
