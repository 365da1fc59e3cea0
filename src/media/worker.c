/* worker.c: the media thread and its jobs. It makes thumbnails one at a time
 * (libvips is CPU-heavy: request threads never run it) and ends upload
 * waiters at their deadline. Job states and lists are guarded by media->lock;
 * done callbacks run under it, so after media_job_release returns a job's
 * done is never called. */
#define LOG_MODULE "media"
#include "media/internal.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void job_free(struct media_job *job)
{
    free(job->server);
    free(job->media_id);
    free(job->url);
    free(job->user_id);
    free(job->og_json);
    free(job);
}

struct media_job *media__job_new(struct media *m, enum media_job_kind kind, const char *server,
                                 const char *media_id, void (*done)(void *ctx), void *ctx)
{
    struct media_job *job = xcalloc(1, sizeof *job);
    job->media = m;
    job->kind = kind;
    job->server = xstrdup(server);
    job->media_id = xstrdup(media_id);
    job->done = done;
    job->ctx = ctx;
    return job;
}

int media_job_result(const struct media_job *job)
{
    return job->result;
}

/* Caller holds the lock. A list linked by prev/next with a head only. */
static void unlink_head(struct media_job **head, struct media_job *job)
{
    if (job->prev)
        job->prev->next = job->next;
    else
        *head = job->next;
    if (job->next)
        job->next->prev = job->prev;
    job->prev = job->next = NULL;
}

static void push_head(struct media_job **head, struct media_job *job)
{
    job->prev = NULL;
    job->next = *head;
    if (*head)
        (*head)->prev = job;
    *head = job;
}

static void unlink_waiter(struct media *m, struct media_job *job)
{
    unlink_head(&m->waiters, job);
}

/* Caller holds the lock. head/tail: the thumbnail queue or the preview queue. */
static void unlink_from(struct media_job **head, struct media_job **tail, struct media_job *job)
{
    if (job->prev)
        job->prev->next = job->next;
    else
        *head = job->next;
    if (job->next)
        job->next->prev = job->prev;
    else
        *tail = job->prev;
    job->prev = job->next = NULL;
}

static void unlink_queued(struct media *m, struct media_job *job)
{
    if (job->kind == MEDIA_JOB_PREVIEW)
        unlink_from(&m->preview_head, &m->preview_tail, job);
    else
        unlink_from(&m->queue_head, &m->queue_tail, job);
}

/* Caller holds the lock. */
static void finish_locked(struct media_job *job, int result)
{
    job->state = MEDIA_JOB_DONE;
    job->result = result;
    job->done(job->ctx);
}

void media_job_release(void *ptr)
{
    struct media_job *job = ptr;
    if (!job)
        return;
    struct media *m = job->media;
    pthread_mutex_lock(&m->lock);
    bool free_now = true;
    if (job->state == MEDIA_JOB_QUEUED) {
        if (job->kind == MEDIA_JOB_WAIT_UPLOAD)
            unlink_waiter(m, job);
        else
            unlink_queued(m, job);
    } else if (job->state == MEDIA_JOB_RUNNING) {
        job->cancelled = true;
        free_now = false;
    }
    pthread_mutex_unlock(&m->lock);
    if (free_now)
        job_free(job);
}

void media__job_queue(struct media_job *job)
{
    struct media *m = job->media;
    pthread_mutex_lock(&m->lock);
    job->state = MEDIA_JOB_QUEUED;
    job->prev = m->queue_tail;
    if (m->queue_tail)
        m->queue_tail->next = job;
    else
        m->queue_head = job;
    m->queue_tail = job;
    pthread_cond_signal(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

void media__job_wait(struct media_job *job)
{
    struct media *m = job->media;
    pthread_mutex_lock(&m->lock);
    job->state = MEDIA_JOB_QUEUED;
    push_head(&m->waiters, job);
    pthread_cond_signal(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

void media__uploaded(struct media *m, const char *server, const char *media_id)
{
    pthread_mutex_lock(&m->lock);
    struct media_job *job = m->waiters;
    while (job) {
        struct media_job *next = job->next;
        if (strcmp(job->server, server) == 0 && strcmp(job->media_id, media_id) == 0) {
            unlink_waiter(m, job);
            finish_locked(job, 0);
        }
        job = next;
    }
    pthread_mutex_unlock(&m->lock);
}

static void *worker_main(void *arg)
{
    struct media *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        int64_t now = clock_now_ms(), next_deadline = INT64_MAX;
        struct media_job *w = m->waiters;
        while (w) {
            struct media_job *next = w->next;
            if (w->deadline_ms <= now) {
                unlink_waiter(m, w);
                finish_locked(w, ERR_TRUNCATED);
            } else if (w->deadline_ms < next_deadline) {
                next_deadline = w->deadline_ms;
            }
            w = next;
        }
        struct media_job *job = m->queue_head;
        if (job) {
            unlink_queued(m, job);
            job->state = MEDIA_JOB_RUNNING;
            pthread_mutex_unlock(&m->lock);
            int rc = media__thumbnail_make(m, job);
            pthread_mutex_lock(&m->lock);
            if (job->cancelled)
                job_free(job);
            else
                finish_locked(job, rc);
            continue;
        }
        if (next_deadline == INT64_MAX) {
            pthread_cond_wait(&m->cond, &m->lock);
        } else {
            /* The condition variable waits on the wall clock, as deadlines are. */
            struct timespec ts = {(time_t)(next_deadline / 1000),
                                  (long)(next_deadline % 1000) * 1000000L};
            pthread_cond_timedwait(&m->cond, &m->lock, &ts);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* A preview thread: fetches one URL at a time (libcurl blocks it, not a
 * request thread nor the thumbnail thread). */
static void *preview_main(void *arg)
{
    struct media *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        struct media_job *job = m->preview_head;
        if (!job) {
            pthread_cond_wait(&m->preview_cond, &m->lock);
            continue;
        }
        unlink_queued(m, job);
        job->state = MEDIA_JOB_RUNNING;
        push_head(&m->preview_active, job);
        pthread_mutex_unlock(&m->lock);
        int rc = media__preview_run(m, job);
        pthread_mutex_lock(&m->lock);
        unlink_head(&m->preview_active, job);
        if (job->cancelled)
            job_free(job);
        else
            finish_locked(job, rc);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* Caller holds the lock. */
static int user_previews(struct media_job *list, const char *user_id)
{
    int n = 0;
    for (; list; list = list->next)
        n += strcmp(list->user_id, user_id) == 0;
    return n;
}

int media__preview_queue(struct media_job *job)
{
    struct media *m = job->media;
    pthread_mutex_lock(&m->lock);
    if (user_previews(m->preview_head, job->user_id) +
            user_previews(m->preview_active, job->user_id) >=
        MEDIA_PREVIEW_PER_USER) {
        job->state = MEDIA_JOB_DONE; /* on no list: media_job_release just frees it */
        job->result = ERR_LIMIT;
        pthread_mutex_unlock(&m->lock);
        return ERR_LIMIT;
    }
    while (m->preview_started < MEDIA_PREVIEW_THREADS && !m->stopping) {
        if (pthread_create(&m->preview_threads[m->preview_started], NULL, preview_main, m)) {
            log_error("cannot start a URL preview thread");
            break;
        }
        m->preview_started++;
    }
    if (m->preview_started == 0) {
        finish_locked(job, ERR_INTERNAL);
        pthread_mutex_unlock(&m->lock);
        return 0;
    }
    job->state = MEDIA_JOB_QUEUED;
    job->prev = m->preview_tail;
    if (m->preview_tail)
        m->preview_tail->next = job;
    else
        m->preview_head = job;
    m->preview_tail = job;
    pthread_cond_signal(&m->preview_cond);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int media__worker_start(struct media *m)
{
    if (pthread_create(&m->thread, NULL, worker_main, m)) {
        log_error("cannot start the media thread");
        return ERR_INTERNAL;
    }
    m->started = true;
    return 0;
}

void media__worker_stop(struct media *m)
{
    if (!m->started)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    ASSERT(!m->queue_head && !m->waiters && !m->preview_head);
    pthread_cond_signal(&m->cond);
    pthread_cond_broadcast(&m->preview_cond);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    /* A running preview sees stopping within a second (libcurl's progress callback). */
    for (int i = 0; i < m->preview_started; i++)
        pthread_join(m->preview_threads[i], NULL);
    m->preview_started = 0;
    m->started = false;
}
