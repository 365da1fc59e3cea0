// test_ai_limits.mjs: the AI API scheduler's limits with one slot and a queue of one: a full
// queue answers 429, and a streaming client that disconnects frees its slot at once.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

import { check } from "./common.mjs";
import { MODEL, HAVE_MODEL, aiServer, apiKey, openai, waitReady, expectApiError } from "./ai_common.mjs";

// zz-loading.gguf is a FIFO: loading it blocks (the model stays "loading", 503) until the
// test writes junk into it; it then fails to load. Models load in name order, so it is last.
export const server = aiServer({
  set: { "llm.slots": 1, "llm.queue": 1, "llm.threads": 1 },
  extra: (srv) => execFileSync("mkfifo", [join(srv.data, "models", "zz-loading.gguf")]),
});

const LONG = { model: MODEL, prompt: "Once upon a time", temperature: 0, max_tokens: 2000 };

const all = {
  async queue_full_gives_429(srv) {
    await waitReady(srv);
    const ai = await openai(srv);
    // a long stream holds the only slot (its first text proves it is running)
    const busy = await ai.completions.create({ ...LONG, stream: true });
    const it = busy[Symbol.asyncIterator]();
    await it.next();
    const short = { model: MODEL, prompt: "The dog", temperature: 0, max_tokens: 5 };
    let settled = 0;
    const pending = Array.from({ length: 6 }, () => ai.completions.create(short));
    for (const p of pending) p.then(() => settled++, () => settled++);
    for (let i = 0; i < 250 && settled < 5; i++) await new Promise((res) => setTimeout(res, 20));
    await it.return(); // disconnect: the queued request gets the slot
    const results = await Promise.allSettled(pending);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r) => r.status === "rejected");
    check(ok.length === 1 && refused.length === 5, `${ok.length} served, ${refused.length} refused`);
    check(ok[0].value.usage.completion_tokens === 5, `served: ${JSON.stringify(ok[0].value.usage)}`);
    for (const r of refused)
      check(r.reason.status === 429 && r.reason.code === "rate_limit_exceeded" &&
        r.reason.error?.type === "rate_limit_error", `refusal ${r.reason.status} ${r.reason.code} ${r.reason.message}`);
    check(refused[0].reason.headers["retry-after"] === "1", "no Retry-After");
  },

  async loading_model_gives_503(srv) {
    const ai = await openai(srv);
    await expectApiError(ai.chat.completions.create({ model: "zz-loading", messages: [{ role: "user", content: "hi" }] }),
      503, "model_loading");
    // opening it for writing unblocks the loader (which may close it at once: EPIPE is fine)
    await writeFile(join(srv.data, "models", "zz-loading.gguf"), "not a model").catch(() => {});
    let r = null;
    for (let i = 0; i < 100; i++) {
      r = await srv.req("POST", "/v1/completions", { token: await apiKey(srv), body: { model: "zz-loading", prompt: "x" } });
      if (r.json?.error?.code !== "model_loading") break;
      await new Promise((res) => setTimeout(res, 20));
    }
    check(r.status === 503 && r.json.error.code === "model_unavailable", `after loading: ${r.status} ${r.text}`);
  },

  async disconnecting_stream_frees_its_slot(srv) {
    const ai = await openai(srv);
    const stream = await ai.completions.create({ ...LONG, stream: true });
    let got = "";
    for await (const c of stream) {
      got += c.choices[0]?.text || "";
      if (got.length > 0) break; // leaving the loop aborts the request
    }
    check(got.length > 0, "no text before the disconnect");
    const t0 = performance.now();
    const r = await ai.completions.create({ model: MODEL, prompt: "The dog", temperature: 0, max_tokens: 5 });
    check(r.usage.completion_tokens === 5, `next request: ${JSON.stringify(r.usage)}`);
    const ms = performance.now() - t0;
    let m = null;
    for (let i = 0; i < 50 && !m; i++) {
      m = /request cancelled by the client after (\d+) tokens/.exec(readFileSync(srv.logPath, "utf8"));
      if (!m) await new Promise((res) => setTimeout(res, 20));
    }
    check(m, "the server did not log the cancellation");
    check(Number(m[1]) < 2000, `the slot ran to the end (${m[1]} tokens) before the next request (${ms} ms)`);
  },
};

export const tests = HAVE_MODEL ? all : {};
