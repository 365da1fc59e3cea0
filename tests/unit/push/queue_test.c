/* queue_test.c: the push worker's counted position (push_counted_positions),
 * which /sync trusts for its unread counts: every event at or below it must
 * have its push row stored. An event committed before a later one can reach
 * the queue after it (a join or a display-name change is queued by its
 * request thread once the commit returns, while the writer has already
 * announced and queued the next asynchronous send): the position must stay
 * below the missing event until it is queued and processed. */
#include "harness.h"
#include "unit/db/dbtest.h"

#include "db/db.h"
#include "push/queue.h"
#include "rooms/rooms.h"
#include "server/server.h"
#include "sync/notify.h"

#include <jansson.h>
#include <string.h>

/* Queues a message event at pos (its room is unknown: it notifies nobody). */
static void queue_event(struct server *srv, int64_t pos)
{
    char id[32];
    snprintf(id, sizeof id, "$e%lld", (long long)pos);
    json_t *pdu = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "type", "m.room.message", "room_id",
                            "!gone:x", "sender", "@s:x", "content", "msgtype", "m.text", "body",
                            "hello");
    push_event_persisted(srv, id, pdu, pos);
    json_decref(pdu);
}

TEST_CASE(push, counted_position_waits_for_a_late_lower_event)
{
    char dir[64];
    struct server srv;
    memset(&srv, 0, sizeof srv);
    srv.db = dbtest_open("pushq", dir, sizeof dir);
    srv.rooms = rooms_new();
    srv.notifier = notifier_new();
    ASSERT_INT_EQ(push_queue_start(&srv), 0);
    /* events 1-3 are committed; 2 and 3 are announced and queued first */
    notifier_advance(srv.notifier, NOTIFY_EVENTS, 3);
    queue_event(&srv, 2);
    queue_event(&srv, 3);
    push_wait_processed(3, 5000);
    int64_t processed = -1, settled = -1;
    push_counted_positions(3, &processed, &settled);
    ASSERT_INT_EQ((int)processed, 0); /* event 1 has no row yet */
    ASSERT_TRUE(settled <= processed);
    /* event 1 reaches the queue: once processed, everything up to 3 is */
    queue_event(&srv, 1);
    push_wait_processed(3, 5000);
    push_counted_positions(3, &processed, &settled);
    ASSERT_INT_EQ((int)processed, 3);
    /* in order again: 4 is counted once processed */
    notifier_advance(srv.notifier, NOTIFY_EVENTS, 4);
    queue_event(&srv, 4);
    push_wait_processed(4, 5000);
    push_counted_positions(4, &processed, &settled);
    ASSERT_INT_EQ((int)processed, 4);
    push_queue_stop();
    notifier_free(srv.notifier);
    rooms_free(srv.rooms);
    dbtest_close(srv.db, dir);
}
