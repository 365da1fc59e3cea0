/* relations.h: the storage queries behind event relationships (part of the
 * db interface, kept beside db.h): pages of child events for /relations,
 * the per-type counts the server-side aggregations start from, and the
 * thread roots of a room for /threads. Redacted child events never count:
 * redaction strips their m.relates_to. Spec: client-server "Forming
 * relationships between events", "Threading".
 *
 * Threads and ownership as in db.h: any thread; out arrays owned by the
 * caller (db_events_free / db_strings_free). */
#ifndef RELAIS_DB_RELATIONS_H
#define RELAIS_DB_RELATIONS_H

#include "db/db.h"

/* Events of room_id relating to event_id, directly (max_depth 1) or through
 * chains of relations up to max_depth, optionally only of rel_type and/or
 * event type (NULL: any), with from < pos <= to, oldest first when forward
 * else newest first, at most limit. */
int db_relations_page(struct db *db, const char *room_id, const char *event_id,
                      const char *rel_type, const char *event_type, int max_depth, int64_t from,
                      int64_t to, bool forward, size_t limit, struct db_event **out, size_t *n);

/* How many unredacted events relate to event_id with each of the aggregated
 * relation types. */
struct db_relation_counts {
    int64_t replace;   /* m.replace */
    int64_t thread;    /* m.thread */
    int64_t reference; /* m.reference */
};
int db_relation_counts(struct db *db, const char *event_id, struct db_relation_counts *out);

/* Whether user_id sent an unredacted m.thread reply to root_id. */
int db_thread_participated(struct db *db, const char *root_id, const char *user_id, bool *out);

/* Thread roots of a room, most recently active first: parallel owned arrays
 * of root event IDs and the stream position of each thread's latest reply,
 * only threads whose latest reply is at or before `before`, and with
 * participant (may be NULL) only those the user started or replied to. */
int db_thread_roots(struct db *db, const char *room_id, int64_t before, const char *participant,
                    size_t limit, char ***root_ids, int64_t **latest_pos, size_t *n);

#endif
