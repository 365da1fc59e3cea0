/* internal.h: what the files of src/media/ share: the repository object, the
 * job queue of the media thread, and the on-disk store. */
#ifndef RELAIS_MEDIA_INTERNAL_H
#define RELAIS_MEDIA_INTERNAL_H

#include "media/media.h"

#include "http/ipset.h"

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

enum media_job_kind { MEDIA_JOB_THUMBNAIL, MEDIA_JOB_WAIT_UPLOAD, MEDIA_JOB_PREVIEW };
enum media_job_state { MEDIA_JOB_QUEUED, MEDIA_JOB_RUNNING, MEDIA_JOB_DONE };

struct media_job {
    struct media *media;        /* borrowed */
    enum media_job_kind kind;   /* what the media thread does with it */
    enum media_job_state state; /* guarded by media->lock */
    bool cancelled;             /* released while running: the thread frees it */
    char *server;               /* owned */
    char *media_id;             /* owned */
    int width, height;          /* thumbnail size (clamped) */
    bool crop;                  /* thumbnail method */
    int64_t deadline_ms;        /* wait: wall-clock end */
    int result;                 /* 0 or ERR_* once done */
    char *url;                  /* preview: the URL asked for (owned) */
    char *user_id;              /* preview: who asked (owned; uploader of its images) */
    char *og_json;              /* preview: the OpenGraph object as JSON text (owned), once done */
    char detail[160];           /* preview: what went wrong, for the client (when result != 0) */
    void (*done)(void *ctx);    /* called once, under media->lock */
    void *ctx;                  /* for done */
    struct media_job *prev, *next; /* on the thumbnail queue or the waiter list */
};

struct media {
    struct db *db;                     /* borrowed */
    char *dir;                         /* owned: <data_dir>/media */
    char *spool_dir;                   /* owned: <dir>/tmp, temporary files */
    char *server_name;                 /* owned */
    int64_t max_source_pixels;         /* thumbnails: larger images refused */
    int max_side;                      /* thumbnails: largest width or height */
    pthread_mutex_t lock;              /* guards everything below and every job's state */
    pthread_cond_t cond;               /* wakes the media thread */
    pthread_t thread;                  /* the media thread */
    bool started;                      /* thread running */
    bool stopping;                     /* the thread should end */
    struct media_job *queue_head, *queue_tail; /* thumbnail jobs, oldest first */
    struct media_job *waiters;         /* upload waiters (any order) */
    /* URL previews (preview.c): their own threads, so a slow site never holds up thumbnails. */
    const struct config *cfg;          /* borrowed: the [media] url_preview_* options */
    struct media_ipset *preview_block; /* owned: addresses never fetched */
    struct media_ipset *preview_allow; /* owned: exceptions to preview_block */
    pthread_cond_t preview_cond;       /* wakes the preview threads */
    pthread_t preview_threads[MEDIA_PREVIEW_THREADS]; /* started with the first preview */
    int preview_started;               /* preview threads running */
    struct media_job *preview_head, *preview_tail; /* preview jobs, oldest first */
    struct media_job *preview_active;  /* preview jobs running (any order) */
};

/* iprange.c: the URL previewer's sets of IP ranges, read by http/ipset.h's parser (every
 * address in IPv6 form, IPv4 as ::ffff:a.b.c.d). */
struct media_ipset {
    struct http_ipset set; /* the ranges */
};
/* Adds the comma- or space-separated ADDRESS[/PREFIX] entries of list (IPv4 or
 * IPv6; the word "default" stands for the built-in list of non-public ranges) to set. With
 * v4_in_v6 an IPv4 range also covers its IPv4-compatible and 6to4 IPv6 forms (the same for
 * every call on one set). ERR_INVALID (message in err) on a bad entry; the set keeps what
 * was added before it. Release with media__ipset_fini. */
int media__ipset_parse(struct media_ipset *set, const char *list, bool v4_in_v6, char *err,
                       size_t err_len);
void media__ipset_fini(struct media_ipset *set);
bool media__ipset_has(const struct media_ipset *set, const uint8_t addr[16]);
/* In block and not in allow. */
bool media__ip_blocked(const struct media_ipset *block, const struct media_ipset *allow,
                       const uint8_t addr[16]);
/* The address of a struct sockaddr_in or sockaddr_in6 (sa[0..len)) in IPv6 form;
 * false for other families. */
bool media__ip_from_sockaddr(const void *sa, size_t len, uint8_t out[16]);

/* opengraph.c: OpenGraph data from an HTML page (pure: bytes in, JSON out).
 * html[0..len) is the raw body, content_type the response's Content-Type (may
 * be NULL; its charset is used unless the body starts with a BOM). Returns a
 * new object (owned) of "og:*" keys with UTF-8 string values: the page's og:,
 * article: and profile: meta tags (none if there are more than 50), twitter:
 * tags where og: says nothing, and og:title, og:description and og:image from
 * <title>/<h1-3>, the description meta tag or the first text, and an itemprop
 * image, the largest <img> or the icon when missing. og:image is as written in
 * the page (maybe relative). Never NULL. */
json_t *media__og_parse(const char *html, size_t len, const char *content_type);
/* Width and height of a PNG, GIF or JPEG from its header; false otherwise. */
bool media__image_size(const unsigned char *data, size_t len, int64_t *width, int64_t *height);

/* store.c: content-addressed files, <dir>/<aa>/<bb>/<sha256 hex>. */
int media__store_put(struct media *m, const struct media_content *c, char sha256_hex[65]);
int media__store_open(struct media *m, const char *sha256_hex, int *fd, uint64_t *size);
/* The file's path (owned). */
char *media__store_path(const struct media *m, const char *sha256_hex);
void media__store_remove(struct media *m, const char *sha256_hex);

/* worker.c: the media thread. */
int media__worker_start(struct media *m);
void media__worker_stop(struct media *m);
struct media_job *media__job_new(struct media *m, enum media_job_kind kind, const char *server,
                                 const char *media_id, void (*done)(void *ctx), void *ctx);
/* Hands a thumbnail job to the thread. */
void media__job_queue(struct media_job *job);
/* Adds a waiter (the thread ends it at its deadline). */
void media__job_wait(struct media_job *job);
/* Ends every waiter for server/media_id (an upload came). */
void media__uploaded(struct media *m, const char *server, const char *media_id);
/* Hands a preview job to the preview threads (starting them the first time);
 * ERR_LIMIT when its user has MEDIA_PREVIEW_PER_USER previews queued or
 * running: the job is then not queued (done is never called) and is DONE. */
int media__preview_queue(struct media_job *job);
/* preview.c: runs a preview job (on a preview thread); sets job->og_json or job->detail. */
int media__preview_run(struct media *m, struct media_job *job);
/* preview.c: the address sets from the config; ERR_INVALID (logged) on a bad entry. */
int media__preview_init(struct media *m, const struct config *cfg);
void media__preview_fini(struct media *m);
/* thumbnail.c: makes the job's thumbnail (on the media thread). */
int media__thumbnail_make(struct media *m, const struct media_job *job);
/* Stops libvips if a thumbnail loaded it (after the media thread stopped). */
void media__thumbnail_shutdown(void);

#endif
