// test_ai_upstream.mjs: upstream mode: this server forwards models to a second relais server
// (serving stories260K) with libcurl; answers, streams and embeddings come back as the upstream
// gave them; a dead upstream gives 502, a silent one 504, an upstream error is relayed.
import { appendFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";

import { Server, check } from "./common.mjs";
import {
  MODEL, HAVE_MODEL, aiServer, apiKey, openai, waitReady, expectApiError, collectStream,
} from "./ai_common.mjs";

let upstream = null;
let silent = null;

export const server = {
  set: { "llm.upstream_timeout_s": 1 },
  async prepare(srv) {
    upstream = new Server(srv.bin, aiServer());
    await upstream.start();
    await waitReady(upstream);
    const key = await apiKey(upstream, "relay");
    silent = http.createServer(() => {}); // accepts and never answers
    await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const list = [
      `remote=${upstream.base}/v1|${key}|${MODEL}`,
      `badkey=${upstream.base}/v1|sk-relais-wrong|${MODEL}`,
      `dead=http://127.0.0.1:1/v1|x`,
      `silent=http://127.0.0.1:${silent.address().port}/v1`,
    ];
    // one entry per line (the option may be repeated; INI lines are short)
    appendFileSync(join(srv.data, "relais.conf"), `\n[llm]\n${list.map((e) => `upstream_models = ${e}\n`).join("")}`);
  },
  release: () => stopUpstream(),
};

// Stops the second server and the silent listener; returns the upstream's exit status (0 when
// it was not running). The test checks it; the runner's release calls it when a filter skipped
// that test.
async function stopUpstream() {
  let code = 0;
  if (silent) {
    silent.closeAllConnections?.();
    await new Promise((resolve) => silent.close(resolve));
    silent = null;
  }
  if (upstream) {
    ({ code } = await upstream.stop().finally(() => upstream.cleanup()));
    upstream = null;
  }
  return code;
}

const CHAT = [{ role: "user", content: "Tell me a story" }];

const all = {
  async upstream_models_listed(srv) {
    const ai = await openai(srv);
    const ids = (await ai.models.list()).data.map((m) => m.id);
    for (const id of ["remote", "dead", "silent"]) check(ids.includes(id), `${id} not in ${ids}`);
  },

  async relay_round_trip(srv) {
    const ai = await openai(srv);
    const direct = await (await openai(upstream, await apiKey(upstream, "relay"))).chat.completions.create({
      model: MODEL, messages: CHAT, temperature: 0, max_tokens: 24 });
    const r = await ai.chat.completions.create({ model: "remote", messages: CHAT, temperature: 0, max_tokens: 24 });
    check(r.model === "remote", `model ${r.model}`);
    check(r.choices[0].message.content === direct.choices[0].message.content,
      `relayed ${JSON.stringify(r.choices[0].message.content)} != ${JSON.stringify(direct.choices[0].message.content)}`);
    const s = await collectStream(await ai.chat.completions.create({
      model: "remote", messages: CHAT, temperature: 0, max_tokens: 24, stream: true,
      stream_options: { include_usage: true } }));
    check(s.text === direct.choices[0].message.content && s.finish === direct.choices[0].finish_reason,
      `relayed stream ${JSON.stringify(s)}`);
    check(s.usage && s.usage.completion_tokens === direct.usage.completion_tokens, `usage ${JSON.stringify(s.usage)}`);
    const c = await ai.completions.create({ model: "remote", prompt: "Once upon a time", temperature: 0, max_tokens: 10 });
    check(c.choices[0].text.length > 0 && c.usage.completion_tokens === 10, `completion ${JSON.stringify(c)}`);
    const e = await ai.embeddings.create({ model: "remote", input: ["a", "a"] });
    check(e.data.length === 2 && e.data[0].embedding.length === 64, "relayed embeddings");
  },

  async upstream_errors(srv) {
    const ai = await openai(srv);
    await expectApiError(ai.chat.completions.create({ model: "badkey", messages: CHAT, max_tokens: 2 }), 401, "invalid_api_key");
    await expectApiError(ai.chat.completions.create({ model: "remote", messages: CHAT, temperature: 9 }), 400, null, "temperature");
    await expectApiError(ai.chat.completions.create({ model: "dead", messages: CHAT }), 502, "upstream_error");
    await expectApiError(ai.chat.completions.create({ model: "dead", messages: CHAT, stream: true }), 502, "upstream_error");
    await expectApiError(ai.chat.completions.create({ model: "silent", messages: CHAT }), 504, "upstream_timeout");
  },

  async stop_upstream() {
    const code = await stopUpstream();
    check(code === 0, `upstream exit ${code}`);
  },
};

export const tests = HAVE_MODEL ? all : {};
