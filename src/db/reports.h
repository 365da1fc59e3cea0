/* reports.h: content reports (a user reporting an event or a room) kept for
 * the server's admins. SQL in db/reports.c. */
#ifndef RELAIS_DB_REPORTS_H
#define RELAIS_DB_REPORTS_H

#include <stddef.h>
#include <stdint.h>

struct db;

struct db_report {
    int64_t id;       /* report number */
    int64_t ts;       /* when it was received (ms) */
    char *room_id;    /* owned */
    char *event_id;   /* owned; NULL for a room report */
    char *user_id;    /* owned: the reporter */
    char *reason;     /* owned, may be NULL */
    char *score;      /* owned: the score as given (JSON number), may be NULL */
};

/* Stores a report; *id is its number. */
int db_report_add(struct db *db, const char *room_id, const char *event_id, const char *user_id,
                  const char *reason, const char *score, int64_t ts, int64_t *id);
/* Every report, newest first, at most limit (owned array). */
int db_reports_list(struct db *db, size_t limit, struct db_report **out, size_t *n);
void db_reports_free(struct db_report *r, size_t n);

#endif
