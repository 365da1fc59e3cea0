/* upload.c: storing uploads: a new media item at once (POST /upload), or a
 * reserved media ID (POST /create) filled later by PUT /upload/{server}/{id}. */
#define LOG_MODULE "media"
#include "media/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/random.h"
#include "db/media.h"

#include <stdlib.h>
#include <string.h>

static char *new_media_id(void)
{
    char *id = xmalloc(MEDIA_ID_LEN + 1);
    crypto_random_token(id, MEDIA_ID_LEN + 1);
    return id;
}

int media_upload(struct media *m, const char *uploader, const char *content_type,
                 const char *upload_name, const struct media_content *content, char **media_id)
{
    *media_id = NULL;
    char sha[65];
    int rc = media__store_put(m, content, sha);
    if (rc)
        return rc;
    struct db_media row = {
        .server = m->server_name,
        .content_type = (char *)content_type,
        .upload_name = (char *)upload_name,
        .sha256 = sha,
        .uploader = (char *)uploader,
        .size = (int64_t)content->len,
        .created_ts = clock_now_ms(),
    };
    /* A clash of two random 24-character IDs is not expected; retry once anyway. */
    for (int attempt = 0; attempt < 2; attempt++) {
        row.media_id = new_media_id();
        rc = db_media_create(m->db, &row);
        if (rc != ERR_EXISTS)
            break;
        free(row.media_id);
        row.media_id = NULL;
    }
    if (rc) {
        free(row.media_id);
        return rc;
    }
    log_info("uploaded media_id=%s size=%llu uploader=%s", row.media_id,
             (unsigned long long)content->len, uploader);
    *media_id = row.media_id;
    return 0;
}

int media_create_pending(struct media *m, const char *uploader, char **media_id,
                         int64_t *expires_ts)
{
    *media_id = NULL;
    int64_t now = clock_now_ms(), pending;
    /* Expired reservations are forgotten when their owner reserves again. */
    int rc = db_media_prune_pending(m->db, uploader, now);
    if (!rc)
        rc = db_media_pending_count(m->db, uploader, now, &pending);
    if (rc)
        return rc;
    if (pending >= MEDIA_PENDING_MAX)
        return ERR_LIMIT;
    struct db_media row = {
        .server = m->server_name,
        .media_id = new_media_id(),
        .uploader = (char *)uploader,
        .created_ts = now,
        .expires_ts = now + MEDIA_PENDING_LIFETIME_MS,
    };
    rc = db_media_create(m->db, &row);
    if (rc) {
        free(row.media_id);
        return rc;
    }
    *media_id = row.media_id;
    *expires_ts = row.expires_ts;
    return 0;
}

int media_upload_pending(struct media *m, const char *uploader, const char *media_id,
                         const char *content_type, const char *upload_name,
                         const struct media_content *content)
{
    struct db_media row;
    int rc = db_media_get(m->db, m->server_name, media_id, &row);
    if (rc)
        return rc;
    if (row.sha256)
        rc = ERR_EXISTS;
    else if (strcmp(row.uploader, uploader) != 0)
        rc = ERR_FORBIDDEN;
    else if (row.expires_ts && row.expires_ts < clock_now_ms())
        rc = ERR_NOT_FOUND;
    db_media_fini(&row);
    if (rc)
        return rc;
    char sha[65];
    rc = media__store_put(m, content, sha);
    if (!rc)
        rc = db_media_complete(m->db, m->server_name, media_id, content_type, upload_name,
                               (int64_t)content->len, sha);
    if (rc)
        return rc;
    log_info("uploaded media_id=%s size=%llu uploader=%s async=1", media_id,
             (unsigned long long)content->len, uploader);
    media__uploaded(m, m->server_name, media_id);
    return 0;
}
