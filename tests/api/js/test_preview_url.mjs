// URL previews through matrix-js-sdk's getUrlPreview (which calls the legacy
// /_matrix/media/v3/preview_url with the access token, as Element does), with
// [media] url_preview_enabled and 127.0.0.1 whitelisted: a loopback page's
// OpenGraph title and description, its og:image as an mxc:// URI that the
// authenticated download serves as the same bytes; a loopback address outside
// the whitelist (::1) is refused 403, as is a redirect to one.
import { createServer } from "node:http";
import { deflateSync } from "node:zlib";

import { check, expectMatrixError } from "./common.mjs";

export const server = {
  registration: "open",
  set: { "media.url_preview_enabled": 1, "media.url_preview_ip_range_whitelist": "127.0.0.1" },
};

// A 1x1 PNG is enough: the bytes only have to come back unchanged.
function tinyPng() {
  const crcTable = [];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crcTable[n] = c >>> 0;
  }
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const len = Buffer.alloc(4), sum = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.from([0, 200, 100, 50]))),
    chunk("IEND", Buffer.alloc(0))]);
}

const PNG = tinyPng();

function startSite() {
  return new Promise((resolve) => {
    const site = createServer((req, res) => {
      const port = site.address().port;
      if (req.url.startsWith("/article")) {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        res.end(`<html><head><meta property="og:title" content="Le r\u00e9sum\u00e9">
          <meta property="og:description" content="Seen &quot;through&quot; js">
          <meta property="og:image" content="http://127.0.0.1:${port}/pic.png"></head></html>`);
      } else if (req.url === "/pic.png") {
        res.writeHead(200, { "Content-Type": "image/png" });
        res.end(PNG);
      } else if (req.url === "/to-v6") {
        res.writeHead(301, { Location: `http://[::1]:${port}/article` });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    site.listen(0, "127.0.0.1", () => resolve(site));
  });
}

export const tests = {
  async js_sdk_preview_and_image(srv) {
    const site = await startSite();
    try {
      const port = site.address().port;
      const u = await srv.newUser("preview");
      const og = await u.client.getUrlPreview(`http://127.0.0.1:${port}/article`, Date.now());
      check(og["og:title"] === "Le r\u00e9sum\u00e9", `og:title ${og["og:title"]}`);
      check(og["og:description"] === 'Seen "through" js', `og:description ${og["og:description"]}`);
      check(og["matrix:image:size"] === PNG.length && og["og:image:width"] === 1, JSON.stringify(og));
      const url = u.client.mxcUrlToHttp(og["og:image"], undefined, undefined, undefined, false, true, true);
      const r = await fetch(url, { headers: { Authorization: `Bearer ${u.accessToken}` } });
      const body = Buffer.from(await r.arrayBuffer());
      check(r.status === 200 && body.equals(PNG), `image download ${r.status}`);
      await expectMatrixError(u.client.getUrlPreview(`http://[::1]:${port}/article`, Date.now()),
        403, "M_UNKNOWN");
      await expectMatrixError(u.client.getUrlPreview(`http://127.0.0.1:${port}/to-v6`, Date.now()),
        403, "M_UNKNOWN");
    } finally {
      site.close();
    }
  },
};
