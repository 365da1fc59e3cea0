// End-to-end encryption through relais with matrix-js-sdk's Rust crypto
// (@matrix-org/matrix-sdk-crypto-wasm, in-memory store): two users talk in
// an encrypted room and each decrypts the other; a second device of the same
// user gets the room keys after it appears in /keys/query; cross-signing
// bootstrap and signature uploads are accepted and seen by the other user;
// key backup create / upload / restore round-trips to a new device.
import { check, PASSWORD, syncReady } from "./common.mjs";

// The SDK turns the Rust crypto's tracing on at debug level, and the wasm
// glue prints it with console.debug / console.info on stdout, among our
// result lines. Warnings and errors still reach stderr.
console.debug = () => {};
console.info = () => {};

export const server = { registration: "open", admin: false };
const CS = "/_matrix/client/v3";

const ENCRYPTION = { type: "m.room.encryption", state_key: "",
  content: { algorithm: "m.megolm.v1.aes-sha2" } };

/** Turns Rust crypto on (in memory) and starts the sync loop. */
async function start(srv, user) {
  user.srv = srv;
  await user.client.initRustCrypto({ useIndexedDB: false });
  const ready = syncReady(user.client);
  // Until relais serves /pushrules (not part of this work) the SDK's sync
  // loop would retry it forever: answer empty rule sets, as test_rooms does.
  const pr = await user.srv.req("GET", `${CS}/pushrules/`, { token: user.accessToken });
  if (pr.status === 404) {
    user.client.getPushRules = async () => ({ global: { content: [], override: [], room: [],
      sender: [], underride: [] } });
  }
  await user.client.startClient({ initialSyncLimit: 20 });
  await ready;
  return user;
}

/** A second device of a user, logged in with the password. */
async function secondDevice(srv, user) {
  const r = await srv.loginRaw(user.userId);
  check(r.status === 200, `login: ${r.status} ${r.text}`);
  const client = srv.client({ accessToken: r.json.access_token, userId: r.json.user_id,
    deviceId: r.json.device_id });
  return { client, userId: r.json.user_id, deviceId: r.json.device_id,
    accessToken: r.json.access_token };
}

/** Polls until fn() is truthy (it may be async). */
async function until(fn, what, ms = 20000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The decrypted bodies of m.room.message events the client holds for the room. */
function bodies(client, roomId) {
  const room = client.getRoom(roomId);
  if (!room) return [];
  return room.getLiveTimeline().getEvents()
    .filter((e) => e.getType() === "m.room.message" && !e.isDecryptionFailure())
    .map((e) => e.getContent().body);
}

async function waitBody(user, roomId, body) {
  await until(() => bodies(user.client, roomId).includes(body),
    `${user.userId} (${user.deviceId}) to decrypt "${body}"`);
}

/** Alice creates an encrypted room and Bob joins; both clients see it. */
async function encryptedRoom(alice, bob) {
  const { room_id: roomId } = await alice.client.createRoom({ invite: [bob.userId],
    initial_state: [ENCRYPTION] });
  await until(() => bob.client.getRoom(roomId), "bob to see the invite");
  await bob.client.joinRoom(roomId);
  await until(() => alice.client.getRoom(roomId)?.getMember(bob.userId)?.membership === "join",
    "alice to see bob joined");
  check(await alice.client.getCrypto().isEncryptionEnabledInRoom(roomId),
    "the SDK does not see the room as encrypted");
  return roomId;
}

/** The ciphertext event as the server stores it: no plaintext in it. */
async function checkCiphertext(srv, user, roomId, eventId, plaintext) {
  const r = await srv.req("GET", `${CS}/rooms/${encodeURIComponent(roomId)}/event/${
    encodeURIComponent(eventId)}`, { token: user.accessToken });
  check(r.status === 200 && r.json.type === "m.room.encrypted" && !r.text.includes(plaintext),
    `server copy is not ciphertext: ${r.text.slice(0, 300)}`);
}

function stopAll(...users) {
  for (const u of users) u.client.stopClient();
}

export const tests = {
  async encrypted_room_decrypts_on_both_sides(srv) {
    const alice = await start(srv, await srv.newUser("alice"));
    const bob = await start(srv, await srv.newUser("bob"));
    try {
      const roomId = await encryptedRoom(alice, bob);
      const { event_id: e1 } = await alice.client.sendTextMessage(roomId, "hello from alice");
      await checkCiphertext(srv, alice, roomId, e1, "hello from alice");
      await waitBody(bob, roomId, "hello from alice");
      await bob.client.sendTextMessage(roomId, "hello from bob");
      await waitBody(alice, roomId, "hello from bob");
      const ev = bob.client.getRoom(roomId).findEventById(e1);
      check(ev.isEncrypted() && ev.getSender() === alice.userId, "bob's event is not the encrypted one");
    } finally {
      stopAll(alice, bob);
    }
  },

  async second_device_gets_keys_after_query(srv) {
    const alice = await start(srv, await srv.newUser("alice"));
    const bob = await start(srv, await srv.newUser("bob"));
    let bob2 = null;
    try {
      const roomId = await encryptedRoom(alice, bob);
      await alice.client.sendTextMessage(roomId, "before the second device");
      await waitBody(bob, roomId, "before the second device");
      bob2 = await start(srv, await secondDevice(srv, bob));
      // Alice learns of bob2 through device_lists.changed and /keys/query.
      await until(async () => {
        const devices = await alice.client.getCrypto().getUserDeviceInfo([bob.userId]);
        return devices.get(bob.userId)?.has(bob2.deviceId);
      }, "alice to see bob's second device");
      await alice.client.sendTextMessage(roomId, "after the second device");
      await waitBody(bob2, roomId, "after the second device");
      await waitBody(bob, roomId, "after the second device");
    } finally {
      stopAll(alice, bob, ...(bob2 ? [bob2] : []));
    }
  },

  async cross_signing_bootstrap_visible_to_other_user(srv) {
    const alice = await start(srv, await srv.newUser("alice"));
    const bob = await start(srv, await srv.newUser("bob"));
    try {
      await encryptedRoom(alice, bob);
      let calls = 0;
      await alice.client.getCrypto().bootstrapCrossSigning({
        authUploadDeviceSigningKeys: async (makeRequest) => {
          calls++;
          await makeRequest({ type: "m.login.password", password: PASSWORD,
            identifier: { type: "m.id.user", user: alice.userId } });
        },
      });
      check(calls === 1, `auth callback called ${calls} times`);
      const status = await alice.client.getCrypto().getCrossSigningStatus();
      check(status.publicKeysOnDevice && status.privateKeysInSecretStorage === false,
        `alice's status: ${JSON.stringify(status)}`);
      // The device signature upload (self-signing key over the device) is visible to Bob.
      await until(() => bob.client.getCrypto().userHasCrossSigningKeys(alice.userId, true),
        "bob to see alice's cross-signing keys");
      const dv = await until(async () => {
        const s = await bob.client.getCrypto().getDeviceVerificationStatus(alice.userId,
          alice.deviceId);
        return s && s.signedByOwner ? s : null;
      }, "bob to see alice's device signed by her self-signing key");
      check(!dv.crossSigningVerified, "bob has not verified alice, yet her device counts as verified");
      // Alice's client learns of its own signature through device_lists and /keys/query.
      await until(async () => (await alice.client.getCrypto().getDeviceVerificationStatus(
        alice.userId, alice.deviceId))?.crossSigningVerified,
      "alice's own device to be cross-signing verified");
      // Bootstrapping again with the keys in place uploads nothing new and asks no password.
      await alice.client.getCrypto().bootstrapCrossSigning({
        authUploadDeviceSigningKeys: async () => { throw new Error("asked for auth again"); },
      });
    } finally {
      stopAll(alice, bob);
    }
  },

  async key_backup_round_trip(srv) {
    const alice = await start(srv, await srv.newUser("alice"));
    const bob = await start(srv, await srv.newUser("bob"));
    let alice2 = null;
    try {
      const roomId = await encryptedRoom(alice, bob);
      const crypto = alice.client.getCrypto();
      await crypto.resetKeyBackup();
      const bc = await until(async () => {
        const c = await crypto.checkKeyBackupAndEnable();
        return c && c.backupInfo ? c : null;
      }, "the new backup version");
      check(bc.trustInfo.trusted, `backup not trusted: ${JSON.stringify(bc.trustInfo)}`);
      const info = bc.backupInfo;
      check(info && info.version && info.algorithm === "m.megolm_backup.v1.curve25519-aes-sha2",
        `backup info: ${JSON.stringify(info)}`);
      await alice.client.sendTextMessage(roomId, "backed up secret");
      await waitBody(bob, roomId, "backed up secret");
      const q = { version: info.version };
      const stored = await until(async () => {
        const r = await srv.req("GET", `${CS}/room_keys/keys`, { token: alice.accessToken, query: q });
        return r.status === 200 && Object.keys(r.json.rooms).length ? r.json : null;
      }, "alice's client to upload its room keys");
      const sessions = stored.rooms[roomId].sessions;
      for (const s of Object.values(sessions))
        check(s.session_data.ciphertext && !JSON.stringify(s).includes("backed up secret"),
          "backup holds plaintext");
      const key = await crypto.getSessionBackupPrivateKey();
      check(key, "no backup private key cached");
      // A new device of Alice's has no keys for the old message until it restores.
      alice2 = await start(srv, await secondDevice(srv, alice));
      await until(() => alice2.client.getRoom(roomId), "alice2 to see the room");
      await alice2.client.getCrypto().storeSessionBackupPrivateKey(key, info.version);
      const res = await alice2.client.getCrypto().restoreKeyBackup();
      check(res.imported >= 1 && res.total >= res.imported, `restore: ${JSON.stringify(res)}`);
      const room2 = alice2.client.getRoom(roomId);
      await until(async () => {
        await room2.getLiveTimeline();
        const evs = room2.getLiveTimeline().getEvents().filter((e) => e.isEncrypted());
        await Promise.all(evs.map((e) => alice2.client.decryptEventIfNeeded(e, { isRetry: true })));
        return bodies(alice2.client, roomId).includes("backed up secret");
      }, "alice2 to decrypt the old message from the restored keys");
    } finally {
      stopAll(alice, bob, ...(alice2 ? [alice2] : []));
    }
  },
};
