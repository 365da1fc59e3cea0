// The content repository through matrix-js-sdk: uploadContent, then the
// authenticated download and thumbnail URLs the SDK builds (mxcUrlToHttp with
// useAuthentication), getMediaConfig, and the default freeze of the legacy
// unauthenticated /_matrix/media/v3 download (404 M_NOT_FOUND, as Synapse).
import { deflateSync } from "node:zlib";

import { check, expectError, expectStatus } from "./common.mjs";

export const server = { registration: "open", set: { "media.max_upload_bytes": 262144 } };

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// An RGB PNG built by hand (zlib), so the test needs no image library.
function makePng(w, h) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const len = Buffer.alloc(4), crc = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      rows[o] = (x * 255) / w; rows[o + 1] = (y * 255) / h; rows[o + 2] = 99;
    }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

async function fetchBytes(url, token) {
  const r = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

export const tests = {
  async upload_then_authenticated_download(srv) {
    const u = await srv.newUser("media");
    const data = Buffer.from("plain text from js ".repeat(100));
    const { content_uri: uri } = await u.client.uploadContent(data, { name: "notes.txt", type: "text/plain" });
    check(uri.startsWith("mxc://localhost/"), `content_uri ${uri}`);
    const url = u.client.mxcUrlToHttp(uri, undefined, undefined, undefined, false, true, true);
    check(url.includes("/_matrix/client/v1/media/download/"), `url ${url}`);
    const r = await fetchBytes(url, u.accessToken);
    check(r.status === 200 && r.body.equals(data), `download ${r.status}`);
    check(r.headers.get("content-type") === "text/plain", r.headers.get("content-type"));
    check(r.headers.get("content-disposition") === "inline; filename=notes.txt", r.headers.get("content-disposition"));
    check((await fetchBytes(url)).status === 401, "download without a token must be 401");
  },

  async thumbnail_url_gives_small_png(srv) {
    const u = await srv.newUser("thumbs");
    const { content_uri: uri } = await u.client.uploadContent(makePng(120, 90), { type: "image/png" });
    const url = u.client.mxcUrlToHttp(uri, 32, 32, "crop", false, true, true);
    check(url.includes("/_matrix/client/v1/media/thumbnail/"), `url ${url}`);
    const r = await fetchBytes(url, u.accessToken);
    check(r.status === 200 && r.headers.get("content-type") === "image/png", `thumbnail ${r.status}`);
    check(r.body.readUInt32BE(16) === 32 && r.body.readUInt32BE(20) === 32,
      `thumbnail ${r.body.readUInt32BE(16)}x${r.body.readUInt32BE(20)}`);
  },

  async config_and_oversized_upload(srv) {
    const u = await srv.newUser("cfg");
    const cfg = await u.client.getMediaConfig();
    check(cfg["m.upload.size"] === 262144, `config ${JSON.stringify(cfg)}`);
    let err = null;
    try {
      await u.client.uploadContent(Buffer.alloc(262145, 7), { type: "application/octet-stream" });
    } catch (e) {
      err = e;
    }
    check(err && err.httpStatus === 413 && err.errcode === "M_TOO_LARGE", `oversized: ${err}`);
    expectStatus(await srv.whoami(u.accessToken), 200);
  },

  async legacy_download_frozen_by_default(srv) {
    const u = await srv.newUser("legacy");
    const { content_uri: uri } = await u.client.uploadContent(Buffer.from("x"), { type: "text/plain" });
    const [server, id] = uri.slice(6).split("/");
    expectError(await srv.req("GET", `/_matrix/media/v3/download/${server}/${id}`), 404, "M_NOT_FOUND");
    expectError(await srv.req("GET", `/_matrix/media/v3/thumbnail/${server}/${id}`,
      { query: { width: "8", height: "8" } }), 404, "M_NOT_FOUND");
    expectError(await srv.req("GET", `/_matrix/client/v1/media/download/${server}/unknown`,
      { token: u.accessToken }), 404, "M_NOT_FOUND");
  },
};
