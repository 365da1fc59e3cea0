/* download.c: finding a media item's bytes for a download, waiting for an
 * async upload, and the admin's quarantine and delete. */
#define LOG_MODULE "media"
#include "media/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "db/media.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void media_file_fini(struct media_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->content_type);
    free(f->upload_name);
    f->content_type = f->upload_name = NULL;
}

int media_open(struct media *m, const char *server, const char *media_id, struct media_file *out)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    if (strcmp(server, m->server_name) != 0)
        return ERR_NOT_FOUND; /* no federation: remote media is unknown here */
    struct db_media row;
    int rc = db_media_get(m->db, server, media_id, &row);
    if (rc)
        return rc;
    if (row.quarantined)
        rc = ERR_NOT_FOUND;
    else if (!row.sha256)
        rc = row.expires_ts >= clock_now_ms() ? ERR_TRUNCATED : ERR_NOT_FOUND;
    else
        rc = media__store_open(m, row.sha256, &out->fd, &out->size);
    if (!rc) {
        out->content_type = row.content_type ? row.content_type : xstrdup("application/octet-stream");
        out->upload_name = row.upload_name;
        row.content_type = row.upload_name = NULL;
    }
    db_media_fini(&row);
    return rc;
}

struct media_job *media_wait_upload(struct media *m, const char *server, const char *media_id,
                                    int64_t deadline_ms, void (*done)(void *ctx), void *ctx)
{
    struct media_job *job = media__job_new(m, MEDIA_JOB_WAIT_UPLOAD, server, media_id, done, ctx);
    job->deadline_ms = deadline_ms;
    media__job_wait(job);
    /* The upload may have landed between the caller's look-up and now. */
    struct db_media row;
    if (db_media_get(m->db, server, media_id, &row) == 0) {
        if (row.sha256)
            media__uploaded(m, server, media_id);
        db_media_fini(&row);
    }
    return job;
}

int media_quarantine(struct media *m, const char *server, const char *media_id, bool on)
{
    int rc = db_media_set_quarantined(m->db, server, media_id, on);
    if (!rc)
        log_info("media_id=%s quarantined=%d", media_id, on);
    return rc;
}

int media_delete(struct media *m, const char *server, const char *media_id)
{
    char **orphans;
    int rc = db_media_delete(m->db, server, media_id, &orphans);
    for (size_t i = 0; orphans[i]; i++) {
        media__store_remove(m, orphans[i]);
        free(orphans[i]);
    }
    free(orphans);
    if (!rc)
        log_info("media_id=%s deleted", media_id);
    return rc;
}
