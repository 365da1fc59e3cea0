/* pushers.h: a user's pushers (spec: POST /pushers/set) and the durable
 * queue of notifications waiting for delivery to a push gateway, with their
 * attempts and next try. SQL in db/pushers.c. */
#ifndef RELAIS_DB_PUSHERS_H
#define RELAIS_DB_PUSHERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

struct db_pusher {
    char *user_id;  /* owned */
    char *app_id;   /* owned */
    char *pushkey;  /* owned */
    char *json;     /* owned: the pusher as GET /pushers shows it */
    int64_t ts;     /* when it was set (ms) */
};

/* Adds or replaces (user, app_id, pushkey). Unless append, the same
 * (app_id, pushkey) of other users is removed (spec: "append"). */
int db_pusher_set(struct db *db, const char *user_id, const char *app_id, const char *pushkey,
                  const char *json, int64_t ts, bool append);
/* Removes (user, app_id, pushkey); ERR_NOT_FOUND when absent. */
int db_pusher_delete(struct db *db, const char *user_id, const char *app_id, const char *pushkey);
/* The user's pushers (user_id NULL: everyone's), owned array. */
int db_pushers_list(struct db *db, const char *user_id, struct db_pusher **out, size_t *n);
void db_pushers_free(struct db_pusher *p, size_t n);

struct db_delivery {
    int64_t id;       /* queue entry */
    char *user_id;    /* owned */
    char *app_id;     /* owned */
    char *pushkey;    /* owned */
    char *url;        /* owned: the gateway */
    char *body;       /* owned: the notify request body */
    int attempts;     /* tries so far */
    int64_t next_ms;  /* wall clock of the next try */
};

/* Queues deliveries (one transaction); the strings are copied. */
int db_deliveries_add(struct db *db, const struct db_delivery *d, size_t n);
/* Up to limit deliveries due at now_ms, oldest first (owned). */
int db_deliveries_due(struct db *db, int64_t now_ms, size_t limit, struct db_delivery **out,
                      size_t *n);
/* The earliest next_ms of the queue (0 when empty). */
int db_deliveries_next(struct db *db, int64_t *next_ms);
/* Delivered or given up: removes it. */
int db_delivery_done(struct db *db, int64_t id);
/* Failed: records the attempt and the next try. */
int db_delivery_retry(struct db *db, int64_t id, int attempts, int64_t next_ms);
void db_deliveries_free(struct db_delivery *d, size_t n);

#endif
