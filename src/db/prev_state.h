/* prev_state.h: what a state event replaced (part of the db interface, kept
 * beside db.h): the event that held (type, state_key) in the room's state
 * just before stream position pos. Used for unsigned.prev_content,
 * prev_sender and replaces_state in the client event format. */
#ifndef RELAIS_DB_PREV_STATE_H
#define RELAIS_DB_PREV_STATE_H

#include "db/db.h"

/* *event_id (owned) is the state event for (type, state_key) in the state
 * after the room's newest event before pos, or NULL when there was none.
 * One query: the state group chain is walked inside SQLite. Returns 0 or
 * ERR_DB. Any thread. */
int db_state_replaced(struct db *db, const char *room_id, int64_t pos, const char *type,
                      const char *state_key, char **event_id);

#endif
