// test_ai.mjs: the OpenAI-compatible AI API (/v1) through the openai npm SDK, against a
// server whose models/ folder holds stories260K (../shared/models). Greedy answers are checked
// against the engine's own `relais llm run --temp 0`.
import { check, unique, PASSWORD } from "./common.mjs";
import {
  MODEL, MODEL_FILE, HAVE_MODEL, aiServer, apiKey, openai, waitReady, engineGreedy, expectApiError,
  collectStream,
} from "./ai_common.mjs";

// "tiny" is the same file declared in [llm] models with its own defaults
export const server = aiServer({ broken: true,
  set: { "llm.models": `tiny=${MODEL_FILE}|max_tokens=3|temperature=0|slots=2` } });

const CHAT = [{ role: "system", content: "You are a storyteller." },
  { role: "user", content: [{ type: "text", text: "Tell me " }, { type: "text", text: "a story" }] }];
const CHAT_PROMPT = "<|im_start|>system\nYou are a storyteller.<|im_end|>\n" +
  "<|im_start|>user\nTell me a story<|im_end|>\n<|im_start|>assistant\n";

function stripNl(s) {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}

const all = {
  async models_list(srv) {
    await waitReady(srv);
    const ai = await openai(srv);
    const ids = [];
    for await (const m of ai.models.list()) {
      check(m.object === "model" && m.owned_by === "relais" && Number.isInteger(m.created),
        `bad model entry ${JSON.stringify(m)}`);
      ids.push(m.id);
    }
    check(ids.includes(MODEL), `models ${ids} lack ${MODEL}`);
    check(!ids.some((id) => id.includes("partial")), `a .part file is listed: ${ids}`);
    const one = await ai.models.retrieve(MODEL);
    check(one.id === MODEL, `retrieve gave ${JSON.stringify(one)}`);
    await expectApiError(ai.models.retrieve("nope"), 404, "model_not_found");
  },

  async completion_matches_engine_greedy(srv) {
    const ai = await openai(srv);
    const prompt = "Once upon a time";
    const r = await ai.completions.create({ model: MODEL, prompt, temperature: 0, max_tokens: 40 });
    const want = stripNl(await engineGreedy(srv, prompt, 40));
    check(r.object === "text_completion", `object ${r.object}`);
    check(r.choices[0].text === want, `text ${JSON.stringify(r.choices[0].text)} != engine ${JSON.stringify(want)}`);
    check(r.usage.prompt_tokens > 1 && r.usage.completion_tokens > 0 &&
      r.usage.total_tokens === r.usage.prompt_tokens + r.usage.completion_tokens,
      `usage ${JSON.stringify(r.usage)}`);
    const s = await collectStream(await ai.completions.create({
      model: MODEL, prompt, temperature: 0, max_tokens: 40, stream: true }));
    check(s.text === want, `streamed ${JSON.stringify(s.text)} != ${JSON.stringify(want)}`);
  },

  async chat_stream_equals_nonstream_and_engine(srv) {
    const ai = await openai(srv);
    const r = await ai.chat.completions.create({ model: MODEL, messages: CHAT, temperature: 0, max_tokens: 32 });
    check(r.object === "chat.completion" && r.id.startsWith("chatcmpl-"), `shape ${JSON.stringify(r)}`);
    const msg = r.choices[0].message;
    check(msg.role === "assistant" && typeof msg.content === "string" && msg.content.length > 0,
      `message ${JSON.stringify(msg)}`);
    const want = stripNl(await engineGreedy(srv, CHAT_PROMPT, 32));
    check(msg.content === want, `chat ${JSON.stringify(msg.content)} != engine ${JSON.stringify(want)}`);
    const stream = await ai.chat.completions.create({
      model: MODEL, messages: CHAT, temperature: 0, max_tokens: 32, stream: true,
      stream_options: { include_usage: true } });
    const s = await collectStream(stream);
    check(s.text === msg.content, `stream ${JSON.stringify(s.text)} != ${JSON.stringify(msg.content)}`);
    check(s.finish === r.choices[0].finish_reason, `finish ${s.finish} vs ${r.choices[0].finish_reason}`);
    check(s.usage && s.usage.completion_tokens === r.usage.completion_tokens &&
      s.usage.prompt_tokens === r.usage.prompt_tokens, `usage ${JSON.stringify(s.usage)} vs ${JSON.stringify(r.usage)}`);
    check(s.chunks > 3, `only ${s.chunks} chunks: not streamed`);
    // the same conversation again: its prompt is found in a slot's KV cache
    check(s.usage.prompt_tokens_details?.cached_tokens > s.usage.prompt_tokens / 2,
      `no prompt cache: ${JSON.stringify(s.usage)}`);
  },

  async max_tokens_gives_length(srv) {
    const ai = await openai(srv);
    for (const field of ["max_tokens", "max_completion_tokens"]) {
      const r = await ai.chat.completions.create({ model: MODEL, messages: CHAT, temperature: 0, [field]: 5 });
      check(r.choices[0].finish_reason === "length", `${field}: finish ${r.choices[0].finish_reason}`);
      check(r.usage.completion_tokens === 5, `${field}: ${r.usage.completion_tokens} tokens`);
    }
  },

  async stop_strings_cut_the_text(srv) {
    const ai = await openai(srv);
    const prompt = "Once upon a time";
    const full = (await ai.completions.create({ model: MODEL, prompt, temperature: 0, max_tokens: 40 })).choices[0].text;
    const words = full.split(" ").filter((w) => w.length >= 3);
    check(words.length >= 4, `too little text: ${full}`);
    const stop = words[3];
    const cut = full.slice(0, full.indexOf(stop));
    for (const st of [stop, ["zzzz", stop]]) {
      const r = await ai.completions.create({ model: MODEL, prompt, temperature: 0, max_tokens: 40, stop: st });
      check(r.choices[0].text === cut && r.choices[0].finish_reason === "stop",
        `stop ${JSON.stringify(st)}: ${JSON.stringify(r.choices[0])} want ${JSON.stringify(cut)}`);
      const s = await collectStream(await ai.completions.create({
        model: MODEL, prompt, temperature: 0, max_tokens: 40, stop: st, stream: true }));
      check(s.text === cut && s.finish === "stop", `streamed stop: ${JSON.stringify(s)}`);
    }
  },

  async seeded_sampling_is_repeatable(srv) {
    const ai = await openai(srv);
    const q = { model: MODEL, prompt: "The cat", temperature: 1.2, top_p: 0.9, seed: 42, max_tokens: 20,
      presence_penalty: 0.5, frequency_penalty: 0.5 };
    const a = await ai.completions.create(q);
    const b = await ai.completions.create(q);
    check(a.choices[0].text === b.choices[0].text, `seed 42 gave ${a.choices[0].text} then ${b.choices[0].text}`);
  },

  async embeddings_dimension_and_determinism(srv) {
    const ai = await openai(srv);
    const r = await ai.embeddings.create({ model: MODEL, input: ["a red ball", "a red ball", "the sea"],
      encoding_format: "float" });
    check(r.object === "list" && r.data.length === 3 && r.model === MODEL, `shape ${JSON.stringify(r).slice(0, 200)}`);
    check(r.data.every((d, i) => d.object === "embedding" && d.index === i && d.embedding.length === 64),
      `dimensions ${r.data.map((d) => d.embedding.length)}`);
    check(JSON.stringify(r.data[0].embedding) === JSON.stringify(r.data[1].embedding), "identical inputs differ");
    check(JSON.stringify(r.data[0].embedding) !== JSON.stringify(r.data[2].embedding), "different inputs agree");
    const norm = Math.sqrt(r.data[0].embedding.reduce((s, x) => s + x * x, 0));
    check(Math.abs(norm - 1) < 1e-4, `not normalised: ${norm}`);
    check(r.usage.prompt_tokens > 3 && r.usage.total_tokens === r.usage.prompt_tokens, `usage ${JSON.stringify(r.usage)}`);
    // the SDK asks for base64 by default and decodes little-endian float32
    const b = await ai.embeddings.create({ model: MODEL, input: "a red ball" });
    check(b.data.length === 1 && b.data[0].embedding.length === 64, "base64 dimension");
    for (let i = 0; i < 64; i++)
      check(Math.fround(r.data[0].embedding[i]) === b.data[0].embedding[i], `base64 differs at ${i}`);
  },

  async matrix_access_token_works(srv) {
    const user = unique("ai");
    const reg = await srv.req("POST", "/_matrix/client/v3/register", {
      body: { username: user, password: PASSWORD, auth: { type: "m.login.dummy" } } });
    check(reg.status === 200, `register ${reg.status} ${reg.text}`);
    const ai = await openai(srv, reg.json.access_token);
    const r = await ai.chat.completions.create({ model: MODEL, messages: CHAT, max_tokens: 3 });
    check(r.usage.completion_tokens > 0, "no tokens");
  },

  async errors_in_openai_shape(srv) {
    const bad = await openai(srv, "sk-relais-not-a-key");
    await expectApiError(bad.models.list(), 401, "invalid_api_key");
    await expectApiError(bad.chat.completions.create({ model: MODEL, messages: CHAT }), 401, "invalid_api_key");
    const matrixish = await openai(srv, "rls_notatoken");
    await expectApiError(matrixish.models.list(), 401, "invalid_api_key");
    const none = await srv.req("GET", "/v1/models");
    check(none.status === 401 && none.json.error.code === "invalid_api_key", `no key: ${none.status} ${none.text}`);
    const ai = await openai(srv);
    await expectApiError(ai.chat.completions.create({ model: "no-such-model", messages: CHAT }), 404, "model_not_found");
    await expectApiError(ai.chat.completions.create({ model: MODEL, messages: CHAT, temperature: 5 }), 400, null, "temperature");
    await expectApiError(ai.chat.completions.create({ model: MODEL, messages: CHAT, n: 2 }), 400, null, "n");
    await expectApiError(ai.chat.completions.create({ model: MODEL, messages: [] }), 400, null, "messages");
    await expectApiError(ai.chat.completions.create({ model: MODEL, messages: [{ role: "wizard", content: "x" }] }), 400, null, "messages");
    await expectApiError(ai.completions.create({ model: MODEL, prompt: "x", max_tokens: 0 }), 400, null, "max_tokens");
    await expectApiError(ai.completions.create({ model: MODEL, prompt: "x", stop: [1] }), 400, null, "stop");
    await expectApiError(ai.embeddings.create({ model: MODEL, input: [] }), 400, null, "input");
    const long = "once upon a time ".repeat(700);
    await expectApiError(ai.completions.create({ model: MODEL, prompt: long }), 400, "context_length_exceeded", "prompt");
    await expectApiError(ai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: long }] }),
      400, "context_length_exceeded", "messages");
    await expectApiError(ai.chat.completions.create({ model: "broken", messages: CHAT }), 503, "model_unavailable");
    const key = await apiKey(srv);
    const notJson = await srv.req("POST", "/v1/chat/completions", { token: key, body: "{not json" });
    check(notJson.status === 400 && notJson.json.error.type === "invalid_request_error",
      `bad JSON: ${notJson.status} ${notJson.text}`);
  },

  async revoked_key_is_refused(srv) {
    const key = await apiKey(srv, "shortlived");
    const ai = await openai(srv, key);
    await ai.models.list();
    const r = await srv.cli("apikey", "revoke", "--name", "shortlived");
    check(r.code === 0, `revoke exited ${r.code}: ${r.stderr}`);
    await expectApiError(ai.models.list(), 401, "invalid_api_key");
    const list = await srv.cli("apikey", "list");
    check(list.stdout.includes("tests") && !list.stdout.includes("shortlived"), `list: ${list.stdout}`);
  },

  async four_concurrent_streams_complete(srv) {
    const ai = await openai(srv);
    const prompts = ["Once upon a time", "The dog", "Lily was", "One day"];
    const single = [];
    for (const p of prompts)
      single.push((await ai.completions.create({ model: MODEL, prompt: p, temperature: 0, max_tokens: 48 })).choices[0].text);
    const streams = await Promise.all(prompts.map(async (p) => collectStream(await ai.completions.create({
      model: MODEL, prompt: p, temperature: 0, max_tokens: 48, stream: true }))));
    streams.forEach((s, i) => check(s.text === single[i] && s.finish,
      `stream ${i} batched ${JSON.stringify(s.text)} != alone ${JSON.stringify(single[i])}`));
  },

  async declared_model_settings(srv) {
    const ai = await openai(srv);
    await waitReady(srv, "tiny");
    const a = await ai.completions.create({ model: "tiny", prompt: "Once upon a time" });
    check(a.usage.completion_tokens === 3 && a.choices[0].finish_reason === "length", `defaults: ${JSON.stringify(a)}`);
    const b = await ai.completions.create({ model: MODEL, prompt: "Once upon a time", temperature: 0, max_tokens: 3 });
    check(a.choices[0].text === b.choices[0].text, `tiny (temperature 0 by default) ${a.choices[0].text} != ${b.choices[0].text}`);
    const c = await ai.completions.create({ model: "tiny", prompt: "Once upon a time", max_tokens: 6 });
    check(c.usage.completion_tokens === 6, "a request's max_tokens wins");
  },

  async metrics_on_loopback(srv) {
    const r = await srv.req("GET", "/metrics");
    check(r.status === 200 && r.headers.get("content-type").startsWith("text/plain"), `metrics ${r.status}`);
    check(/relais_ai_completion_tokens_total\{model="stories260K"\} [1-9]/.test(r.text), `metrics: ${r.text}`);
    check(/relais_ai_model_ready\{model="broken"\} 0/.test(r.text), "broken model shown ready");
  },
};

export const tests = HAVE_MODEL ? all : {};
