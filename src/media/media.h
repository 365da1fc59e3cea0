/* media.h: the content repository: uploads stored content-addressed on disk
 * (sha256) with their metadata in the database, downloads as open files,
 * and thumbnails made by libvips on the media thread, never on a request
 * thread.
 *
 * Waiting (an async upload not yet sent, a thumbnail being made) is a job:
 * the caller gets a struct media_job, suspends, and done(ctx) is called once
 * (on the media thread, or at once from inside the starting call) when the
 * job ends; the caller then releases the job with media_job_release, which
 * may also be called before done to cancel it (done is then never called).
 *
 * Threads: every function may be called from any thread. */
#ifndef RELAIS_MEDIA_MEDIA_H
#define RELAIS_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct db;
struct media;
struct media_job;

enum {
    MEDIA_ID_LEN = 24,                 /* characters of a generated media ID */
    MEDIA_PENDING_MAX = 10,            /* async uploads a user may have waiting */
    MEDIA_PENDING_LIFETIME_MS = 86400000, /* an async upload must come within a day */
    MEDIA_PREVIEW_THREADS = 4,         /* URL previews fetched at once */
    MEDIA_PREVIEW_PER_USER = 3,        /* previews one user may have queued or running */
    MEDIA_PREVIEW_URL_MAX = 8192,      /* longest URL previewed (bytes) */
};

/* Opens <data_dir>/media (creating it) and starts the media thread. Returns
 * NULL (logged) when the folder cannot be made. cfg and db are borrowed. */
struct media *media_new(const struct config *cfg, struct db *db);
/* Stops the media thread; every job must have been released. NULL is fine. */
void media_free(struct media *m);

/* An upload's bytes: in memory (data[0..len)), or with fd >= 0 the first len
 * bytes of an open file. An unlinked O_TMPFILE file in media_spool_dir is
 * linked into the store without a copy; any other file is copied. */
struct media_content {
    const void *data; /* borrowed, or NULL with fd */
    int fd;           /* borrowed open file, or -1 */
    uint64_t len;     /* bytes */
};

/* The folder where request bodies for uploads should be spooled (O_TMPFILE). */
const char *media_spool_dir(const struct media *m);

/* ---- upload.c ---- */

/* Stores the content as a new media item of this server; *media_id is owned. */
int media_upload(struct media *m, const char *uploader, const char *content_type,
                 const char *upload_name, const struct media_content *content, char **media_id);
/* Reserves a media ID for an async upload: *media_id owned, *expires_ts the
 * deadline for its upload. ERR_LIMIT when the user has too many pending. */
int media_create_pending(struct media *m, const char *uploader, char **media_id,
                         int64_t *expires_ts);
/* Fills a reserved media ID. ERR_NOT_FOUND (unknown, or expired), ERR_FORBIDDEN
 * (another user reserved it), ERR_EXISTS (already uploaded). */
int media_upload_pending(struct media *m, const char *uploader, const char *media_id,
                         const char *content_type, const char *upload_name,
                         const struct media_content *content);

/* ---- download.c ---- */

struct media_file {
    int fd;             /* open for reading, owned (close it, or hand it on) */
    uint64_t size;      /* bytes */
    char *content_type; /* owned, as uploaded */
    char *upload_name;  /* owned, may be NULL */
};

/* Opens a media item of server. ERR_NOT_FOUND (unknown, deleted, quarantined,
 * of another server), ERR_TRUNCATED (reserved but not uploaded yet). */
int media_open(struct media *m, const char *server, const char *media_id, struct media_file *out);
void media_file_fini(struct media_file *f);
/* Waits for a reserved media ID's upload until deadline_ms (wall clock). */
struct media_job *media_wait_upload(struct media *m, const char *server, const char *media_id,
                                    int64_t deadline_ms, void (*done)(void *ctx), void *ctx);

/* ---- thumbnail.c ---- */

/* The cached thumbnail for the request, if made. ERR_NOT_FOUND when not yet. */
int media_thumbnail_open(struct media *m, const char *server, const char *media_id, int width,
                         int height, bool crop, struct media_file *out);
/* Makes it on the media thread; the job's result is 0, ERR_UNSUPPORTED (not an
 * image libvips may read), ERR_TOO_LARGE (more source pixels than allowed),
 * ERR_NOT_FOUND or ERR_IO. width and height go through media_thumbnail_side. */
struct media_job *media_thumbnail_start(struct media *m, const char *server, const char *media_id,
                                        int width, int height, bool crop,
                                        void (*done)(void *ctx), void *ctx);
/* The side a thumbnail is made at for a requested side: the largest of a fixed
 * list of sides (8 ... 1600) not above it nor above the configured maximum
 * (8 for requests below 8), so a thumbnail is never larger than asked beyond
 * that floor and the cache stays bounded. */
int media_thumbnail_side(const struct media *m, int64_t requested);

/* ---- preview.c: URL previews (spec: GET /_matrix/client/v1/media/preview_url) ----
 *
 * Off unless [media] url_preview_enabled. A preview job fetches the page with
 * libcurl on a preview thread, refusing at connect time every address in
 * url_preview_ip_range_blacklist (and not in the whitelist), so redirects and
 * DNS answers cannot lead it to a private address; it keeps images as media
 * items of this server and caches the answer in the database. */

bool media_preview_enabled(const struct media *m);
/* 0 when url looks like an absolute http or https URL with a host (at most
 * MEDIA_PREVIEW_URL_MAX bytes, no spaces or controls), else ERR_INVALID; the
 * preview job parses it fully (ERR_INVALID then too). */
int media_preview_check_url(const char *url);
/* The cached OpenGraph JSON text (owned) of url, if still fresh; ERR_NOT_FOUND. */
int media_preview_cached(struct media *m, const char *url, char **og_json);
/* Makes the preview on a preview thread: *job (owned, release it) is the
 * job, or NULL with ERR_LIMIT when the user already has MEDIA_PREVIEW_PER_USER
 * previews queued or running (so one user's slow sites cannot hold every
 * preview thread). The job's result is 0 (see
 * media_preview_json), ERR_FORBIDDEN (an address is blocked), ERR_TOO_LARGE
 * (larger than url_preview_max_spider_size, or too slow to arrive), ERR_LIMIT
 * (no answer within url_preview_timeout_ms), ERR_INVALID (libcurl cannot parse
 * the URL) or ERR_IO (unreachable, an HTTP
 * error, a content type that cannot be previewed); media_preview_detail says
 * which. url and user_id are copied. */
int media_preview_start(struct media *m, const char *url, const char *user_id,
                        void (*done)(void *ctx), void *ctx, struct media_job **job);
/* After done: the OpenGraph object as JSON text (borrowed until the job is
 * released), or NULL when the job failed. */
const char *media_preview_json(const struct media_job *job);
/* After done with an error: a short message for the client (borrowed). */
const char *media_preview_detail(const struct media_job *job);

/* ---- jobs ---- */

int media_job_result(const struct media_job *job);
/* Cancels or frees a job (type-erased for http's handler_state_free). */
void media_job_release(void *job);

/* ---- admin (download.c) ---- */

int media_quarantine(struct media *m, const char *server, const char *media_id, bool on);
/* Deletes the item, its thumbnails, and the files nothing else uses. */
int media_delete(struct media *m, const char *server, const char *media_id);

#endif
