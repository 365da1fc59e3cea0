/* receipts.h: read receipts (m.read, m.read.private, threaded) with a stream
 * position so /sync sends what changed since a token. Part of src/db/ (its
 * SQL is in receipts.c); kept out of db.h because only the receipt and sync
 * code need it. Spec: client-server "Receipts". */
#ifndef RELAIS_DB_RECEIPTS_H
#define RELAIS_DB_RECEIPTS_H

#include <stddef.h>
#include <stdint.h>

struct db;

struct db_receipt {
    int64_t pos;       /* stream position of the receipt */
    char *room_id;     /* owned */
    char *user_id;     /* owned */
    char *type;        /* owned: "m.read" or "m.read.private" */
    char *thread_id;   /* owned; "" for an unthreaded receipt */
    char *event_id;    /* owned */
    int64_t event_pos; /* stream position of the event read */
    int64_t ts;        /* when it was sent (ms) */
};

/* Stores the user's receipt for (room, type, thread_id; "" unthreaded),
 * replacing the previous one, and gives its new stream position. A receipt
 * for an event older than the stored one (event_pos lower) is kept as it is
 * (as Synapse: receipts do not move backwards) and *pos is 0. */
int db_receipt_put(struct db *db, const char *room_id, const char *user_id, const char *type,
                   const char *thread_id, const char *event_id, int64_t event_pos, int64_t ts,
                   int64_t *pos);
/* Receipts of a room with since < pos <= upto (owned array, oldest first). */
int db_receipts_room(struct db *db, const char *room_id, int64_t since, int64_t upto,
                     struct db_receipt **out, size_t *n);
/* The highest event position the user has a read receipt (public or
 * private) for in the room, unthreaded or for thread_id (NULL: any thread
 * counts only when "main"/unthreaded); 0 when none. */
int db_receipt_read_upto(struct db *db, const char *room_id, const char *user_id,
                         const char *thread_id, int64_t *event_pos);
/* The user's read positions in the room: per thread_id ("" unthreaded,
 * "main", or a thread root's event ID) the highest event position of their
 * read receipts, public or private (owned array). */
struct db_read_position {
    char *thread_id;   /* owned */
    int64_t event_pos; /* stream position of the event read */
};
int db_receipt_read_positions(struct db *db, const char *room_id, const char *user_id,
                              struct db_read_position **out, size_t *n);
void db_read_positions_free(struct db_read_position *p, size_t n);
int db_receipts_max_pos(struct db *db, int64_t *pos);
void db_receipts_free(struct db_receipt *r, size_t n);

#endif
