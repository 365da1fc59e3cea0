/* db/media.h: the content repository's metadata (db/media.c). The bytes live
 * on disk, content-addressed by sha256 (src/media/store.c); these rows say
 * which media ID names which bytes, and the thumbnails made of them.
 *
 * Strings in out-structs are owned by the caller (db_media_fini). */
#ifndef RELAIS_DB_MEDIA_H
#define RELAIS_DB_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

struct db;

struct db_media {
    char *server;       /* owned: the server name in mxc://server/media_id */
    char *media_id;     /* owned */
    char *content_type; /* owned, NULL until uploaded */
    char *upload_name;  /* owned, may be NULL */
    char *sha256;       /* owned hex digest, NULL while an async upload is pending */
    char *uploader;     /* owned user ID */
    int64_t size;       /* bytes (0 while pending) */
    int64_t created_ts; /* ms since epoch */
    int64_t expires_ts; /* pending only: the upload must come before this (ms), else 0 */
    bool quarantined;   /* an admin hid it: answered as not found */
};

void db_media_fini(struct db_media *m);
/* Inserts a row (sha256 NULL for a pending async upload). ERR_EXISTS if taken. */
int db_media_create(struct db *db, const struct db_media *m);
/* ERR_NOT_FOUND when absent. */
int db_media_get(struct db *db, const char *server, const char *media_id, struct db_media *out);
/* Fills a pending row with its content. ERR_NOT_FOUND when absent, ERR_EXISTS
 * when it already has content. */
int db_media_complete(struct db *db, const char *server, const char *media_id,
                      const char *content_type, const char *upload_name, int64_t size,
                      const char *sha256);
/* Pending uploads of a user not yet expired at now_ms. */
int db_media_pending_count(struct db *db, const char *uploader, int64_t now_ms, int64_t *out);
/* Removes a user's reservations whose deadline passed before now_ms. */
int db_media_prune_pending(struct db *db, const char *uploader, int64_t now_ms);
int db_media_set_quarantined(struct db *db, const char *server, const char *media_id, bool on);
/* Removes the row and its thumbnails' rows; *orphans gets (owned, NULL-ended
 * array of owned strings) the sha256 digests no row refers to any more, whose
 * files may be removed. ERR_NOT_FOUND when absent. */
int db_media_delete(struct db *db, const char *server, const char *media_id, char ***orphans);
/* Calls fn for every media row, newest first. */
int db_media_list(struct db *db, void (*fn)(const struct db_media *m, void *ctx), void *ctx);

struct db_media_thumb {
    char *content_type; /* owned */
    char *sha256;       /* owned */
    int64_t size;       /* bytes */
};

/* A cached thumbnail for (width, height, method). ERR_NOT_FOUND when absent. */
int db_media_thumb_get(struct db *db, const char *server, const char *media_id, int width,
                       int height, const char *method, struct db_media_thumb *out);
int db_media_thumb_put(struct db *db, const char *server, const char *media_id, int width,
                       int height, const char *method, const struct db_media_thumb *t);
void db_media_thumb_fini(struct db_media_thumb *t);

/* URL previews (spec: GET /_matrix/client/v1/media/preview_url): the
 * OpenGraph answer per URL, kept until expires_ts. */

/* The cached answer (owned JSON text) for url if it expires after now_ms;
 * ERR_NOT_FOUND otherwise. */
int db_url_preview_get(struct db *db, const char *url, int64_t now_ms, char **og_json);
/* Stores (replaces) url's answer, and forgets up to 100 answers that expired
 * before created_ts. */
int db_url_preview_put(struct db *db, const char *url, const char *og_json, int64_t created_ts,
                       int64_t expires_ts);

#endif
