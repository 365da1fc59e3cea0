/* job.c: the life of one AI request's job between its HTTP request and a worker: reference
 * counting, cancellation when the request ends, text handed over, and the final wake-up. */
#include "ai/internal.h"

#include "base/clock.h"
#include "base/mem.h"

#include <stdio.h>
#include <string.h>

enum { AI_JOB_TEXT_MAX = 64 << 20 };

struct ai_job *ai_job_new(enum ai_job_kind kind, struct ai_model *m)
{
    struct ai_job *j = xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->lock, NULL);
    j->refs = 1;
    j->kind = kind;
    j->model = m;
    buf_init(&j->text, AI_JOB_TEXT_MAX);
    return j;
}

struct ai_job *ai_job_ref(struct ai_job *j)
{
    atomic_fetch_add(&j->refs, 1);
    return j;
}

void ai_job_unref(struct ai_job *j)
{
    if (!j || atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    free(j->prompt);
    llm_sampler_free(j->sampler);
    for (size_t i = 0; i < j->n_stop; i++)
        free(j->stop[i]);
    free(j->stop);
    for (size_t i = 0; i < j->n_in; i++)
        free(j->inputs[i]);
    free(j->inputs);
    free(j->n_inputs);
    free(j->vectors);
    free(j->up_request);
    buf_fini(&j->text);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

void ai_job_detach(void *job)
{
    struct ai_job *j = job;
    pthread_mutex_lock(&j->lock);
    j->req = NULL;
    j->waiting = false;
    pthread_mutex_unlock(&j->lock);
    atomic_store(&j->cancelled, true);
    ai_job_unref(j);
}

void ai_job_wake_locked(struct ai_job *j, bool may_resume)
{
    if (!j->req)
        return;
    if (may_resume && j->http_suspended) {
        j->http_suspended = false;
        http_request_resume(j->req);
    } else if (j->waiting) {
        j->waiting = false;
        http_stream_wake(j->req);
    }
}

void ai_job_emit(struct ai_job *j, const char *text, size_t len)
{
    if (len == 0)
        return;
    pthread_mutex_lock(&j->lock);
    if (j->t_first_ns == 0)
        j->t_first_ns = clock_mono_ns();
    buf_append(&j->text, text, len);
    ai_job_wake_locked(j, false);
    pthread_mutex_unlock(&j->lock);
}

void ai_job_finish(struct ai_job *j, const char *finish_reason, int error_status,
                   const char *error)
{
    pthread_mutex_lock(&j->lock);
    if (j->done) {
        pthread_mutex_unlock(&j->lock);
        return;
    }
    j->done = true;
    j->finish_reason = finish_reason;
    j->error_status = error_status;
    if (error)
        snprintf(j->error, sizeof j->error, "%s", error);
    j->t_done_ns = clock_mono_ns();
    ai_job_wake_locked(j, true);
    pthread_mutex_unlock(&j->lock);
}
