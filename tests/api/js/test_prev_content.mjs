// unsigned.prev_content on state events as matrix-js-sdk reads it
// (MatrixEvent.getPrevContent, used for "changed the topic from ... to ..."),
// spec: client-server "Room Events" (UnsignedData.prev_content).
import { sdk, check } from "./common.mjs";

export const server = { registration: "open" };

export const tests = {
  async name_change_has_prev_content(srv) {
    const alice = await srv.newUser("alice");
    const { room_id: roomId } = await alice.client.createRoom({ name: "Before" });
    const { event_id: renamed } = await alice.client.setRoomName(roomId, "After");
    const raw = await alice.client.http.authedRequest(sdk.Method.Get,
      `/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(renamed)}`);
    const ev = new sdk.MatrixEvent(raw);
    check(ev.getContent().name === "After" && ev.getPrevContent().name === "Before",
      `prev ${JSON.stringify(raw.unsigned)}`);
    check(raw.unsigned.prev_sender === alice.userId && typeof raw.unsigned.replaces_state === "string",
      `unsigned ${JSON.stringify(raw.unsigned)}`);
    const page = await alice.client.createMessagesRequest(roomId, null, 5, sdk.Direction.Backward);
    const inPage = page.chunk.find((e) => e.event_id === renamed);
    check(inPage && inPage.unsigned.prev_content.name === "Before", `/messages ${JSON.stringify(inPage)}`);
  },
};
