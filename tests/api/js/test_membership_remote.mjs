// What a matrix-js-sdk user sees when a membership call would need another
// server (relais does not federate yet) or an identity server: the SDK's
// promise rejects at once with Synapse's answer when federation or 3PID
// lookups are denied, and nothing changes in the room; a non-string reason
// is refused; local rooms keep working.
import { check, expectMatrixError } from "./common.mjs";

export const server = { registration: "open", admin: false };

export const tests = {
  async remote_invite_join_knock_and_3pid_reject_clearly(srv) {
    const alice = await srv.newUser("alice");
    const bob = await srv.newUser("bob");
    const { room_id: roomId } = await alice.client.createRoom({ preset: "public_chat" });
    let e = await expectMatrixError(alice.client.invite(roomId, "@x:other.org"), 403,
      "M_FORBIDDEN");
    check(e.data.error === "Federation denied with other.org.", `invite: ${e.data.error}`);
    e = await expectMatrixError(bob.client.joinRoom("#room:other.org"), 502, "M_UNKNOWN");
    check(e.data.error === "Failed to fetch alias", `alias join: ${e.data.error}`);
    e = await expectMatrixError(bob.client.joinRoom("!abc:other.org",
      { viaServers: ["other.org"] }), 502, "M_UNKNOWN");
    check(e.data.error === "Failed to make_join via any server", `join via: ${e.data.error}`);
    await expectMatrixError(bob.client.joinRoom("!abc:other.org"), 404, "M_UNKNOWN");
    await expectMatrixError(bob.client.knockRoom("!abc:other.org"), 502, "M_UNKNOWN");
    // an identity server as a client configures one (URL + access token provider)
    alice.client.setIdentityServerUrl("https://id.example.org");
    alice.client.identityServer = { getAccessToken: async () => "id-token" };
    e = await expectMatrixError(alice.client.inviteByEmail(roomId, "carol@example.org"), 403,
      "M_UNKNOWN");
    check(/third-party identifiers/.test(e.data.error), `3pid: ${e.data.error}`);
    await expectMatrixError(alice.client.kick(roomId, alice.userId, 5), 400, "M_BAD_JSON");
    const members = await alice.client.members(roomId);
    const ids = members.chunk.map((ev) => `${ev.state_key}=${ev.content.membership}`);
    check(JSON.stringify(ids) === JSON.stringify([`${alice.userId}=join`]),
      `room changed: ${ids}`);
    // the local room still joins, by ID and with a remote via listed
    await bob.client.joinRoom(roomId, { viaServers: ["other.org"] });
    const joined = await bob.client.getJoinedRooms();
    check(joined.joined_rooms.includes(roomId), `bob not joined: ${JSON.stringify(joined)}`);
  },
};
