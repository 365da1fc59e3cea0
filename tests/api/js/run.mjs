// run.mjs: the matrix-js-sdk API suite. Drives the real relais binary through
// matrix-js-sdk (and fetch / raw sockets where the SDK has no call).
//
//   node tests/api/js/run.mjs --bin build/relais [--filter SUBSTRING]
//
// Each tests/api/js/test_*.mjs file exports `server` (how to `relais init` it)
// and `tests` (name -> async (srv) => ...). One fresh server per file; each
// test runs with a time limit. Prints `ok   js/<file>/<test>` or
// `FAIL js/<file>/<test>  <reason>`, one `server_exits_cleanly` line per file
// (SIGTERM must give exit status 0: under ASan a leak makes it non-zero), and
// last `N passed, M failed`. Exit status 1 when anything failed.
import { accessSync, constants, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { Server, silenceSdk } from "./common.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const TEST_TIMEOUT_MS = 30000;

function parseArgs() {
  const args = { bin: null, filter: "" };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--bin") args.bin = argv[++i];
    else if (argv[i] === "--filter") args.filter = argv[++i];
  }
  return args;
}

const results = { passed: 0, failed: 0 };

function report(name, reason, ms) {
  if (reason === null) {
    process.stdout.write(`ok   ${name}${ms !== undefined ? `  (${ms.toFixed(0)} ms)` : ""}\n`);
    results.passed++;
  } else {
    process.stdout.write(`FAIL ${name}  ${String(reason).replace(/\n/g, " ")}\n`);
    results.failed++;
  }
}

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(e) {
  if (e && e.errcode) return `${e.name || "MatrixError"} ${e.httpStatus} ${e.errcode}: ${e.message}`;
  return e && e.message ? e.message : String(e);
}

async function runFile(file, bin, filter) {
  const label = "js/" + file.replace(/^test_/, "").replace(/\.mjs$/, "");
  let mod;
  try {
    mod = await import(pathToFileURL(join(HERE, file)).href);
  } catch (e) {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    report(`${label}/import`, describe(e));
    return;
  }
  const tests = Object.entries(mod.tests).filter(([n]) => !filter || `${label}/${n}`.includes(filter));
  if (tests.length === 0) return;
  const srv = new Server(bin, mod.server || {});
  try {
    await srv.start();
  } catch (e) {
    for (const [n] of tests) report(`${label}/${n}`, `server did not start: ${describe(e)}`);
    process.stderr.write(srv.logTail());
    await srv.cleanup();
    return;
  }
  for (const [i, [n, fn]] of tests.entries()) {
    if (!srv.alive()) {
      for (const [rest] of tests.slice(i)) report(`${label}/${rest}`, "not run: the server died");
      break;
    }
    const t0 = performance.now();
    let reason = null;
    try {
      await withTimeout(fn(srv), TEST_TIMEOUT_MS);
    } catch (e) {
      reason = describe(e);
      process.stderr.write(`--- ${label}/${n}\n${e && e.stack ? e.stack : e}\n${srv.logTail()}`);
    }
    report(`${label}/${n}`, reason, performance.now() - t0);
  }
  let stopped;
  try {
    stopped = await srv.stop();
  } catch (e) {
    stopped = { code: -1, tail: `stopping failed: ${describe(e)}` };
  } finally {
    await srv.cleanup(); // never leaves a server running
    // what prepare started (a second server...) goes too, whichever tests ran
    if (mod.server && mod.server.release) await mod.server.release().catch(() => {});
  }
  report(`${label}/server_exits_cleanly`,
    stopped.code === 0 ? null : `exit status ${stopped.code}; stderr ends: ${stopped.tail}`);
}

async function main() {
  const args = parseArgs();
  silenceSdk();
  const bin = args.bin ? resolve(args.bin) : "";
  let ok = true;
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    ok = false;
  }
  if (!ok) {
    report("js/setup", `${bin || "(no --bin)"} is not an executable`);
  } else {
    const files = readdirSync(HERE).filter((f) => /^test_.*\.mjs$/.test(f)).sort();
    for (const f of files) await runFile(f, bin, args.filter);
  }
  process.stdout.write(`${results.passed} passed, ${results.failed} failed\n`);
  // Exit now even if a test left SDK timers or sockets behind (writes to a
  // pipe or file are synchronous on Linux, so nothing printed is lost).
  process.exit(results.failed ? 1 : 0);
}

await main();
