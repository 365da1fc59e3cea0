// common.mjs: the server fixture and helpers shared by the js test files.
//
// new Server(bin, spec) runs `relais init` in a fresh temp folder, starts
// `relais serve` on a kernel-chosen port and reads the port from its one
// stdout line. spec: registration ("open"), set ({"section.name": value},
// added to fast-hashing / high-rate-limit defaults), admin (default true),
// prepare (async (srv) => ..., run after init and before serve: srv.data is the data folder),
// release (async () => ..., run by the runner after the server stopped, even when a filter
// skipped the tests that would have undone what prepare started).
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync, existsSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

export { sdk };

export const PASSWORD = "correct horse battery";
const DEFAULT_SETS = {
  "registration.argon2_ops": 1,
  "registration.argon2_mem_kib": 64,
  "ratelimit.login_per_minute": 100000,
  "ratelimit.login_burst": 100000,
  "ratelimit.register_per_minute": 100000,
  "ratelimit.register_burst": 100000,
};

let counter = 0;
/** A fresh lower-case localpart. */
export function unique(prefix = "user") {
  return `${prefix}${process.pid}j${++counter}`;
}

/** Keeps the SDK's own logging off stdout (our result lines live there). */
export function silenceSdk() {
  logger.setLevel("silent");
}

export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Awaits a promise that must reject with a MatrixError of this status/errcode; returns it. */
export async function expectMatrixError(promise, status, errcode) {
  let err = null;
  try {
    const v = await promise;
    throw new Error(`expected ${status} ${errcode}, got success ${JSON.stringify(v)}`);
  } catch (e) {
    if (e.httpStatus === undefined) throw e;
    err = e;
  }
  check(err.httpStatus === status && err.errcode === errcode,
    `expected ${status} ${errcode}, got ${err.httpStatus} ${err.errcode} ${JSON.stringify(err.data)}`);
  return err;
}

/** A raw answer must be this status and errcode. */
export function expectError(r, status, errcode) {
  check(r.status === status && r.json && r.json.errcode === errcode,
    `expected ${status} ${errcode}, got ${r.status} ${r.text.slice(0, 300)}`);
  check(typeof r.json.error === "string", `no error message in ${r.text}`);
}

export function expectStatus(r, status) {
  check(r.status === status, `expected HTTP ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
}

/** Resolves once the client's sync loop (startClient) is PREPARED or SYNCING; rejects when it
 * reports ERROR. Call it before startClient. */
export function syncReady(client) {
  return new Promise((resolve, reject) => {
    const onSync = (state, _prev, data) => {
      if (state === "PREPARED" || state === "SYNCING") {
        client.off(sdk.ClientEvent.Sync, onSync);
        resolve();
      } else if (state === "ERROR") {
        reject(new Error(`the sync loop reported ERROR: ${data?.error?.stack || data?.error}`));
      }
    };
    client.on(sdk.ClientEvent.Sync, onSync);
  });
}

/** Resolves once pred() holds, re-checking whenever the client emits one of events; rejects
 * when pred throws or after ms milliseconds. */
export function waitOnEvents(client, events, pred, what, ms) {
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(timer);
      for (const e of events) client.off(e, poll);
      err ? reject(err) : resolve();
    };
    const poll = () => {
      try {
        if (pred()) done();
      } catch (e) {
        done(e);
      }
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}`)), ms);
    for (const e of events) client.on(e, poll);
    poll();
  });
}

export class Server {
  constructor(bin, spec) {
    this.bin = bin;
    this.spec = spec;
    this.tmp = mkdtempSync(join(tmpdir(), "relais-js-"));
    this.data = join(this.tmp, "data");
    this.conf = join(this.data, "relais.conf");
    this.logPath = join(this.tmp, "server.log");
    this.proc = null;
    this.exitCode = null;
    this.creds = {};
  }

  static run(args, timeoutMs = 60000) {
    return new Promise((resolve) => {
      execFile(args[0], args.slice(1), { timeout: timeoutMs }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async start() {
    const sets = { ...DEFAULT_SETS, ...(this.spec.set || {}) };
    const args = [this.bin, "init", "--data", this.data, "--port", "0",
      "--registration", this.spec.registration || "open"];
    for (const [k, v] of Object.entries(sets)) args.push("--set", `${k}=${v}`);
    if (this.spec.admin === false) args.push("--no-admin");
    const init = await Server.run(args);
    if (init.code !== 0) throw new Error(`relais init exited ${init.code}: ${init.stderr.trim()}`);
    const cred = join(this.data, "credentials.txt");
    if (existsSync(cred)) {
      for (const line of readFileSync(cred, "utf8").split("\n")) {
        const i = line.indexOf(": ");
        if (i > 0 && !line.startsWith("#")) this.creds[line.slice(0, i)] = line.slice(i + 2);
      }
    }
    if (this.spec.prepare) await this.spec.prepare(this);
    const logFd = openSync(this.logPath, "w");
    this.proc = spawn(this.bin, ["serve", "--config", this.conf], { stdio: ["ignore", "pipe", logFd] });
    closeSync(logFd);
    this.exited = new Promise((resolve) => this.proc.on("exit", (code, signal) => {
      this.exitCode = code === null ? `signal ${signal}` : code;
      resolve(this.exitCode);
    }));
    const line = await new Promise((resolve, reject) => {
      let buf = "";
      const timer = setTimeout(() => reject(new Error("no listening line within 30 s")), 30000);
      this.proc.stdout.on("data", (d) => {
        buf += d.toString();
        const nl = buf.indexOf("\n");
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(buf.slice(0, nl));
        }
      });
      this.proc.on("exit", () => reject(new Error(`exited before listening: ${this.logTail()}`)));
    });
    const prefix = "relais listening on ";
    if (!line.startsWith(prefix)) throw new Error(`unexpected first line ${JSON.stringify(line)}`);
    this.base = line.slice(prefix.length).trim();
    this.port = Number(this.base.split(":").pop());
  }

  alive() {
    return this.proc !== null && this.exitCode === null;
  }

  async stop() {
    if (!this.proc) return { code: -1, tail: "not started" };
    if (this.exitCode === null) this.proc.kill("SIGTERM");
    let timer;
    const code = await Promise.race([
      this.exited,
      new Promise((resolve) => { timer = setTimeout(() => resolve("timeout"), 30000); }),
    ]);
    clearTimeout(timer);
    if (code === "timeout") {
      this.proc.kill("SIGKILL");
      await this.exited;
      return { code: "no exit within 30 s of SIGTERM", tail: "" };
    }
    return { code, tail: this.logTail(8).replace(/\n/g, " | ") };
  }

  async cleanup() {
    if (this.proc && this.exitCode === null) {
      this.proc.kill("SIGKILL");
      await this.exited;
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }

  logTail(n = 20) {
    try {
      const lines = readFileSync(this.logPath, "utf8").split("\n").filter((l) => l);
      return lines.slice(-n).map((l) => `    server: ${l}\n`).join("");
    } catch {
      return "";
    }
  }

  /** Runs `relais ARGS --config conf`. */
  cli(...args) {
    return Server.run([this.bin, ...args, "--config", this.conf]);
  }

  /** Raw HTTP with fetch: returns {status, headers, text, json}. */
  async req(method, path, { body, token, headers, query } = {}) {
    const h = { ...(headers || {}) };
    let data;
    if (body !== undefined) {
      data = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
      if (!h["Content-Type"]) h["Content-Type"] = "application/json";
    }
    if (token) h.Authorization = `Bearer ${token}`;
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, v);
    const r = await fetch(url, { method, headers: h, body: data });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: r.status, headers: r.headers, text, json };
  }

  /** A client of the SDK (optionally already logged in). */
  client(opts = {}) {
    return sdk.createClient({ baseUrl: this.base, ...opts });
  }

  /** Registers a fresh user with the SDK (open mode); returns {client, userId, deviceId, accessToken, ...}. */
  async newUser(prefix = "user", extra = {}) {
    const anon = this.client();
    const r = await anon.registerRequest({ username: unique(prefix), password: PASSWORD,
      auth: { type: "m.login.dummy" }, ...extra });
    const client = this.client({ accessToken: r.access_token, userId: r.user_id, deviceId: r.device_id });
    return { client, userId: r.user_id, deviceId: r.device_id, accessToken: r.access_token };
  }

  async loginRaw(user, password = PASSWORD, extra = {}) {
    return this.req("POST", "/_matrix/client/v3/login", { body: {
      type: "m.login.password", identifier: { type: "m.id.user", user }, password, ...extra } });
  }

  whoami(token) {
    return this.req("GET", "/_matrix/client/v3/account/whoami", { token });
  }

  /** Writes a request head and body chunks on a fresh connection while
   * reading the answer; resolves {status, headers, body} (status 0 when the
   * server closed without a well-formed answer). */
  rawRequest(head, chunks = [], timeoutMs = 10000) {
    return new Promise((resolve) => {
      const sock = net.connect(this.port, "127.0.0.1");
      let got = Buffer.alloc(0);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        const s = got.toString("latin1");
        const end = s.indexOf("\r\n\r\n");
        if (end < 0 || !s.startsWith("HTTP/1.")) return resolve({ status: 0, headers: {}, body: s });
        const lines = s.slice(0, end).split("\r\n");
        const headers = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(":");
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        resolve({ status: Number(lines[0].split(" ")[1]), headers,
          body: got.subarray(Buffer.byteLength(s.slice(0, end + 4), "latin1")).toString("utf8") });
      };
      const timer = setTimeout(finish, timeoutMs);
      sock.on("error", finish);
      sock.on("close", finish);
      sock.on("data", (d) => {
        got = Buffer.concat([got, d]);
        const s = got.toString("latin1");
        const end = s.indexOf("\r\n\r\n");
        const m = end >= 0 && /\r\ncontent-length:\s*(\d+)/i.exec(s.slice(0, end));
        if (m && got.length - (end + 4) >= Number(m[1])) finish();
      });
      sock.on("connect", async () => {
        const write = (b) => new Promise((res) => {
          if (done || sock.write(b)) res();
          else sock.once("drain", res);
        });
        try {
          await write(head);
          for (const c of chunks) {
            if (done) break;
            await write(c);
          }
        } catch {
          // the server answered early and closed
        }
      });
    });
  }
}
