// Around the conversation through matrix-js-sdk's own sync loop: startClient
// reads the push rules, the other user sees typing start and stop, unread
// counts rise with messages and a read receipt clears them, a mention by
// display name is a highlight (spec: client-server "Typing Notifications",
// "Receipts", "Push Notifications").
import { check, sdk, syncReady, waitOnEvents } from "./common.mjs";

export const server = { registration: "open", admin: false };
const { ClientEvent, RoomEvent, RoomMemberEvent, NotificationCountType } = sdk;

async function startSyncing(user, opts = {}) {
  const ready = syncReady(user.client);
  await user.client.startClient({ initialSyncLimit: 10, ...opts });
  await ready;
}

/** Resolves once pred() holds, re-checking after every sync and typing or receipt change. */
function waitFor(client, pred, what, ms = 15000) {
  return waitOnEvents(client, [ClientEvent.Sync, RoomEvent.Timeline, RoomEvent.Receipt,
    RoomMemberEvent.Typing, RoomEvent.UnreadNotifications], pred, what, ms);
}

async function trio(srv) {
  const alice = await srv.newUser("alice");
  const bob = await srv.newUser("bob");
  const carol = await srv.newUser("carol");
  const { room_id: roomId } = await alice.client.createRoom({ invite: [bob.userId, carol.userId] });
  await bob.client.joinRoom(roomId);
  await carol.client.joinRoom(roomId);
  return { alice, bob, carol, roomId };
}

export const tests = {
  async start_client_reads_push_rules(srv) {
    const alice = await srv.newUser("alice");
    await startSyncing(alice);
    try {
      const rules = alice.client.pushRules;
      check(rules && rules.global.underride.some((r) => r.rule_id === ".m.rule.message"),
        `push rules ${JSON.stringify(rules && rules.global.underride)}`);
      check(rules.global.override[0].rule_id === ".m.rule.master", "master first");
    } finally {
      alice.client.stopClient();
    }
  },

  async other_user_sees_typing_start_and_stop(srv) {
    const { alice, bob, roomId } = await trio(srv);
    await startSyncing(bob);
    try {
      const typing = () => bob.client.getRoom(roomId)?.getMember(alice.userId)?.typing === true;
      await waitFor(bob.client, () => bob.client.getRoom(roomId)?.getMember(alice.userId), "room");
      check(!typing(), "not typing yet");
      await alice.client.sendTyping(roomId, true, 20000);
      await waitFor(bob.client, typing, "alice typing");
      await alice.client.sendTyping(roomId, false);
      await waitFor(bob.client, () => !typing(), "alice stopped typing");
    } finally {
      bob.client.stopClient();
    }
  },

  async receipt_clears_unread_count(srv) {
    const { alice, bob, roomId } = await trio(srv);
    await startSyncing(bob);
    try {
      const total = () => bob.client.getRoom(roomId)?.getUnreadNotificationCount(
        NotificationCountType.Total);
      await alice.client.sendMessage(roomId, { msgtype: "m.text", body: "one" });
      const { event_id: two } = await alice.client.sendMessage(roomId,
        { msgtype: "m.text", body: "two" });
      await waitFor(bob.client, () => total() === 2, "two unread");
      const ev = bob.client.getRoom(roomId).findEventById(two) ||
        await waitFor(bob.client, () => bob.client.getRoom(roomId).findEventById(two), "event")
          .then(() => bob.client.getRoom(roomId).findEventById(two));
      await bob.client.sendReadReceipt(ev);
      await waitFor(bob.client, () => total() === 0, "read");
      // what the server says, not only the SDK's local guess
      const r = await srv.req("GET", "/_matrix/client/v3/sync", { token: bob.accessToken });
      check(r.json.rooms.join[roomId].unread_notifications.notification_count === 0,
        `server count ${JSON.stringify(r.json.rooms.join[roomId].unread_notifications)}`);
    } finally {
      bob.client.stopClient();
    }
  },

  // MSC3773 (spec v1.4): the SDK asks for unread_thread_notifications; a thread
  // reply counts in its thread, the SDK's threaded receipt clears only that thread.
  async thread_reply_counts_in_its_thread(srv) {
    const { alice, bob, roomId } = await trio(srv);
    await startSyncing(bob, { threadSupport: true });
    try {
      const room = () => bob.client.getRoom(roomId);
      const { event_id: root } = await alice.client.sendMessage(roomId,
        { msgtype: "m.text", body: "root" });
      const { event_id: reply } = await alice.client.sendMessage(roomId, {
        msgtype: "m.text", body: "in the thread",
        "m.relates_to": { rel_type: "m.thread", event_id: root },
      });
      const main = () => room()?.getRoomUnreadNotificationCount(NotificationCountType.Total);
      const inThread = () => room()?.getThreadUnreadNotificationCount(root,
        NotificationCountType.Total);
      await waitFor(bob.client, () => main() === 1 && inThread() === 1,
        "one in the main timeline, one in the thread");
      const ev = await new Promise((resolve) => {
        const find = () => room()?.findEventById(reply) ||
          room()?.getThread(root)?.findEventById(reply);
        const tick = () => (find() ? resolve(find()) : setTimeout(tick, 20));
        tick();
      });
      await bob.client.sendReadReceipt(ev);
      await waitFor(bob.client, () => inThread() === 0, "the thread read");
      check(main() === 1, `the main timeline is still unread: ${main()}`);
      const r = await srv.req("GET", "/_matrix/client/v3/sync", { token: bob.accessToken,
        query: { filter: JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } }) } });
      const j = r.json.rooms.join[roomId];
      check(j.unread_notifications.notification_count === 1 && !j.unread_thread_notifications,
        `server counts ${JSON.stringify(j)}`);
    } finally {
      bob.client.stopClient();
    }
  },

  async mention_by_display_name_highlights(srv) {
    const { alice, bob, carol, roomId } = await trio(srv);
    await bob.client.sendStateEvent(roomId, "m.room.member",
      { membership: "join", displayname: "Robert Builder" }, bob.userId);
    await startSyncing(bob);
    await startSyncing(carol);
    try {
      await alice.client.sendMessage(roomId, { msgtype: "m.text", body: "robert builder: lunch?" });
      const hl = (u) => u.client.getRoom(roomId)?.getUnreadNotificationCount(
        NotificationCountType.Highlight);
      await waitFor(bob.client, () => hl(bob) === 1, "bob highlighted");
      await waitFor(carol.client, () => carol.client.getRoom(roomId)?.getUnreadNotificationCount(
        NotificationCountType.Total) === 1, "carol notified");
      check(hl(carol) === 0, `carol is not highlighted: ${hl(carol)}`);
    } finally {
      bob.client.stopClient();
      carol.client.stopClient();
    }
  },
};
