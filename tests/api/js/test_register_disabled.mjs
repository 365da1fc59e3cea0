// Registration disabled: the SDK gets 403 M_FORBIDDEN; the admin still logs in.
import { PASSWORD, check, expectMatrixError, unique } from "./common.mjs";

export const server = { registration: "disabled" };

export const tests = {
  async register_forbidden(srv) {
    await expectMatrixError(srv.client().register(unique(), PASSWORD, null, { type: "m.login.dummy" }),
      403, "M_FORBIDDEN");
    await expectMatrixError(srv.client().isUsernameAvailable(unique()), 403, "M_FORBIDDEN");
  },

  async admin_login(srv) {
    const r = await srv.client().loginWithPassword("admin", srv.creds["admin password"]);
    check(r.user_id === "@admin:localhost", JSON.stringify(r));
  },
};
