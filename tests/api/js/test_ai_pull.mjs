// test_ai_pull.mjs: `relais llm pull` against a small HTTP server started here on 127.0.0.1
// (this machine cannot reach model hubs): direct URL with sha256, resume after an interrupted
// transfer (Range), sha256 mismatch, a Hugging Face reference through HF_ENDPOINT, a file that
// is not GGUF, and a model that exists already.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";

import { check } from "./common.mjs";
import { MODEL_FILE, HAVE_MODEL } from "./ai_common.mjs";

export const server = {};

let hub = null;
const bytes = HAVE_MODEL ? readFileSync(MODEL_FILE) : Buffer.alloc(0);
const sha = createHash("sha256").update(bytes).digest("hex");

async function startHub() {
  if (hub) return hub;
  const state = { ranges: [], cut: new Set() };
  const srv = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname.startsWith("/text/")) {
      res.writeHead(200, { "Content-Length": 11 });
      res.end("not a model");
      return;
    }
    if (url.pathname.startsWith("/cut/") && !state.cut.has(url.pathname)) {
      state.cut.add(url.pathname); // first request: half the file, then the connection drops
      res.writeHead(200, { "Content-Length": bytes.length });
      res.write(bytes.subarray(0, bytes.length >> 1), () => setTimeout(() => req.socket.destroy(), 50));
      return;
    }
    if (url.pathname.startsWith("/redirect/")) {
      res.writeHead(302, { Location: url.pathname.replace("/redirect/", "/file/") });
      res.end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range || "");
    if (range) {
      state.ranges.push(`${url.pathname} ${req.headers.range}`);
      const from = Number(range[1]);
      res.writeHead(206, { "Content-Length": bytes.length - from,
        "Content-Range": `bytes ${from}-${bytes.length - 1}/${bytes.length}` });
      res.end(bytes.subarray(from));
      return;
    }
    res.writeHead(200, { "Content-Length": bytes.length });
    res.end(bytes);
  });
  await new Promise((resolve) => srv.listen(0, "127.0.0.1", resolve));
  hub = { srv, state, base: `http://127.0.0.1:${srv.address().port}` };
  return hub;
}

function models(srv) {
  return join(srv.data, "models");
}

function sameAsModel(path) {
  return existsSync(path) && readFileSync(path).equals(bytes);
}

const all = {
  async pull_direct_url_with_sha256(srv) {
    const h = await startHub();
    const r = await srv.cli("llm", "pull", `${h.base}/redirect/direct.gguf`, "--sha256", sha);
    check(r.code === 0, `pull exited ${r.code}: ${r.stderr}`);
    const path = join(models(srv), "direct.gguf");
    check(r.stdout.trim() === path, `printed ${r.stdout}`);
    check(sameAsModel(path), "the downloaded file differs");
    check(!existsSync(path + ".part"), ".part left behind");
    const again = await srv.cli("llm", "pull", `${h.base}/file/direct.gguf`);
    check(again.code !== 0 && /exists/.test(again.stderr), `second pull: ${again.code} ${again.stderr}`);
  },

  async pull_resumes_after_interruption(srv) {
    const h = await startHub();
    const url = `${h.base}/cut/resumed.gguf`;
    const first = await srv.cli("llm", "pull", url, "--sha256", sha);
    const path = join(models(srv), "resumed.gguf");
    check(first.code !== 0, `an interrupted pull succeeded: ${first.stderr}`);
    check(!existsSync(path), "a partial download is in place under the model name");
    const partLen = statSync(path + ".part").size;
    check(partLen > 0 && partLen < bytes.length, `.part holds ${partLen} bytes`);
    const second = await srv.cli("llm", "pull", url, "--sha256", sha);
    check(second.code === 0, `resume exited ${second.code}: ${second.stderr}`);
    check(h.state.ranges.includes(`/cut/resumed.gguf bytes=${partLen}-`), `ranges asked: ${h.state.ranges}`);
    check(sameAsModel(path), "the resumed file differs");
  },

  async pull_sha256_mismatch_keeps_nothing(srv) {
    const h = await startHub();
    const r = await srv.cli("llm", "pull", `${h.base}/file/badsum.gguf`, "--sha256", "0".repeat(64));
    check(r.code !== 0 && /sha256 mismatch/.test(r.stderr), `exit ${r.code}: ${r.stderr}`);
    check(!existsSync(join(models(srv), "badsum.gguf")) && !existsSync(join(models(srv), "badsum.gguf.part")),
      "a file was kept");
  },

  async pull_hugging_face_reference(srv) {
    const h = await startHub();
    process.env.HF_ENDPOINT = h.base;
    try {
      const r = await srv.cli("llm", "pull", "someone/tiny-models/sub/hf.gguf");
      check(r.code === 0, `pull exited ${r.code}: ${r.stderr}`);
    } finally {
      delete process.env.HF_ENDPOINT;
    }
    check(sameAsModel(join(models(srv), "hf.gguf")), "the file differs");
  },

  async pull_refuses_what_is_not_gguf(srv) {
    const h = await startHub();
    const r = await srv.cli("llm", "pull", `${h.base}/text/notmodel.gguf`);
    check(r.code !== 0 && /not a GGUF/.test(r.stderr), `exit ${r.code}: ${r.stderr}`);
    check(!existsSync(join(models(srv), "notmodel.gguf")), "kept");
    const bad = await srv.cli("llm", "pull", `${h.base}/file/model.bin`);
    check(bad.code !== 0 && /\.gguf/.test(bad.stderr), `non-.gguf URL: ${bad.code} ${bad.stderr}`);
  },

  async close_hub() {
    if (hub) await new Promise((resolve) => hub.srv.close(resolve));
    hub = null;
  },
};

export const tests = HAVE_MODEL ? all : {};
