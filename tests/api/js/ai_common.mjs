// ai_common.mjs: helpers for the AI API tests (test_ai*.mjs): the shared test model, a
// server spec whose data folder's models/ holds it, an openai client, and waiting for the
// model to finish loading.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import OpenAI from "openai";

const HERE = dirname(fileURLToPath(import.meta.url));
// ../shared is beside the repository (CI and /work alike)
export const MODEL_FILE = resolve(HERE, "../../../../shared/models/stories260K/stories260K.gguf");
export const MODEL = "stories260K";
export const HAVE_MODEL = existsSync(MODEL_FILE);

/** A server spec: models/ holds the test model (and a broken.gguf with `broken`). */
export function aiServer({ set = {}, broken = false, extra } = {}) {
  return {
    set,
    async prepare(srv) {
      const dir = join(srv.data, "models");
      mkdirSync(dir, { recursive: true });
      symlinkSync(MODEL_FILE, join(dir, `${MODEL}.gguf`));
      if (broken) writeFileSync(join(dir, "broken.gguf"), "this is not a GGUF file");
      writeFileSync(join(dir, "partial.gguf.part"), "never served");
      if (extra) await extra(srv);
    },
  };
}

/** An API key made with `relais apikey create` (cached on the server object). */
export async function apiKey(srv, name = "tests") {
  srv.apiKeys = srv.apiKeys || {};
  if (!srv.apiKeys[name]) {
    const r = await srv.cli("apikey", "create", "--name", name);
    if (r.code !== 0) throw new Error(`apikey create exited ${r.code}: ${r.stderr}`);
    srv.apiKeys[name] = r.stdout.trim();
  }
  return srv.apiKeys[name];
}

export async function openai(srv, key) {
  return new OpenAI({ baseURL: `${srv.base}/v1`, apiKey: key || (await apiKey(srv)), maxRetries: 0 });
}

/** Waits until the model answers (it loads in the background: 503 meanwhile). */
export async function waitReady(srv, model = MODEL) {
  const key = await apiKey(srv);
  for (let i = 0; i < 200; i++) {
    const r = await srv.req("POST", "/v1/completions", {
      token: key, body: { model, prompt: "a", max_tokens: 1 } });
    if (r.status !== 503) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("model still loading after 10 s");
}

/** Runs `relais llm run FILE -p PROMPT --temp 0 -n N` and returns its stdout (the text). */
export async function engineGreedy(srv, prompt, n) {
  const { Server } = await import("./common.mjs");
  const r = await Server.run([srv.bin, "llm", "run", MODEL_FILE, "-p", prompt, "--temp", "0",
    "-n", String(n), "-t", "1"]);
  if (r.code !== 0) throw new Error(`llm run exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Awaits a promise that must reject with an openai APIError of this status (and code). */
export async function expectApiError(promise, status, code, param) {
  let err = null;
  try {
    const v = await promise;
    throw new Error(`expected ${status} ${code}, got success ${JSON.stringify(v).slice(0, 200)}`);
  } catch (e) {
    if (e.status === undefined) throw e;
    err = e;
  }
  if (err.status !== status || (code && err.code !== code) || (param && err.param !== param))
    throw new Error(`expected ${status} ${code} ${param || ""}, got ${err.status} ${err.code} ` +
      `${err.param} ${err.message}`);
  if (typeof err.error?.message !== "string" || typeof err.error?.type !== "string")
    throw new Error(`error body not in OpenAI's shape: ${JSON.stringify(err.error)}`);
  return err;
}

/** Collects a streamed chat completion: {text, finish, usage, chunks}. */
export async function collectStream(stream) {
  let text = "", finish = null, usage = null, chunks = 0;
  for await (const c of stream) {
    chunks++;
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      if (ch.delta?.content) text += ch.delta.content;
      if (typeof ch.text === "string") text += ch.text;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { text, finish, usage, chunks };
}
