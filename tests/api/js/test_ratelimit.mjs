// Login rate limit (its own server, burst 2): the SDK sees 429 M_LIMIT_EXCEEDED
// with retry_after_ms.
import { check, expectMatrixError } from "./common.mjs";

export const server = { registration: "open",
  set: { "ratelimit.login_burst": 2, "ratelimit.login_per_minute": 2 } };

export const tests = {
  async login_limited(srv) {
    const c = srv.client();
    for (let i = 0; i < 2; i++) await expectMatrixError(c.loginWithPassword("@x:localhost", "bad"), 403, "M_FORBIDDEN");
    const e = await expectMatrixError(c.loginWithPassword("@x:localhost", "bad"), 429, "M_LIMIT_EXCEEDED");
    check(e.data.retry_after_ms > 0, `retry_after_ms ${JSON.stringify(e.data)}`);
    check(e.getRetryAfterMs() > 0, "SDK cannot read the retry delay");
  },
};
