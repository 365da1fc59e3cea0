// load.mjs: streaming load generator for the AI API (bench/ai/run.sh runs it).
//   node bench/ai/load.mjs BASE KEY MODEL CLIENTS TOKENS REQUESTS_PER_CLIENT
// Each client sends its requests one after the other: POST /v1/completions, stream: true,
// temperature 0, max_tokens TOKENS, usage included. Prints one line of figures:
//   clients, requests, total completion tokens / wall time, time to first token p50/p99 (ms),
//   median per-request decode tokens/s (after the first token).
const [base, key, model, clientsS, tokensS, reqsS] = process.argv.slice(2);
const clients = Number(clientsS), tokens = Number(tokensS), reqs = Number(reqsS);

async function one(i) {
  const t0 = performance.now();
  const r = await fetch(`${base}/v1/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model, prompt: `Once upon a time, story number ${i},`, temperature: 0,
      max_tokens: tokens, stream: true, stream_options: { include_usage: true } }),
  });
  if (r.status !== 200) throw new Error(`HTTP ${r.status} ${await r.text()}`);
  let first = 0, last = 0, usage = null, rest = "";
  const dec = new TextDecoder();
  for await (const part of r.body) {
    rest += dec.decode(part, { stream: true });
    let at;
    while ((at = rest.indexOf("\n\n")) >= 0) {
      const ev = rest.slice(0, at);
      rest = rest.slice(at + 2);
      if (!ev.startsWith("data: ") || ev === "data: [DONE]") continue;
      const c = JSON.parse(ev.slice(6));
      if (c.usage) usage = c.usage;
      if (c.choices?.[0]?.text) {
        const now = performance.now();
        if (!first) first = now;
        last = now;
      }
    }
  }
  const n = usage ? usage.completion_tokens : 0;
  return { ttft: (first || performance.now()) - t0, n,
    decode: n > 1 && last > first ? ((n - 1) * 1000) / (last - first) : 0 };
}

function pct(a, p) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const t0 = performance.now();
const results = (await Promise.all(Array.from({ length: clients }, async (_, c) => {
  const out = [];
  for (let k = 0; k < reqs; k++) out.push(await one(c * reqs + k));
  return out;
}))).flat();
const secs = (performance.now() - t0) / 1000;
const total = results.reduce((s, r) => s + r.n, 0);
const ttft = results.map((r) => r.ttft);
console.log(`clients=${clients} requests=${results.length} tokens=${total} total_tok_s=${(total / secs).toFixed(1)} ` +
  `ttft_p50_ms=${pct(ttft, 50).toFixed(1)} ttft_p99_ms=${pct(ttft, 99).toFixed(1)} ` +
  `decode_tok_s_median=${pct(results.map((r) => r.decode), 50).toFixed(1)}`);
