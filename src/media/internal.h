/* internal.h: what the files of src/media/ share: the repository object, the
 * job queue of the media thread, and the on-disk store. */
#ifndef RELAIS_MEDIA_INTERNAL_H
#define RELAIS_MEDIA_INTERNAL_H

#include "media/media.h"

#include <pthread.h>

enum media_job_kind { MEDIA_JOB_THUMBNAIL, MEDIA_JOB_WAIT_UPLOAD };
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
};

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
/* thumbnail.c: makes the job's thumbnail (on the media thread). */
int media__thumbnail_make(struct media *m, const struct media_job *job);
/* Stops libvips if a thumbnail loaded it (after the media thread stopped). */
void media__thumbnail_shutdown(void);

#endif
