/* pool.c: the fixed worker-thread pool (see pool.h).
 *
 * Design notes:
 * 1. A job is published by storing fn/arg/n_chunks, resetting next_chunk and pending, then
 *    incrementing `generation` (release). Workers wait for generation to move (acquire).
 * 2. Each participant takes chunks with fetch_add on next_chunk until it passes n_chunks, then
 *    decrements pending; the caller waits for pending == 0 after doing its own share.
 * 3. Waiting is a bounded spin followed by a sleep on a condition variable. `sleepers` counts
 *    workers inside the sleep so that the caller only takes the mutex and broadcasts when
 *    someone actually sleeps. The check of generation is repeated under the mutex, so no
 *    wake-up is lost.
 * 4. The caller waits for completion the same way (spin, then cv_done). */
#include "llm/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/mem.h"

enum { POOL_SPIN = 4000, POOL_MAX_THREADS = 256 };

struct pool_worker {
    struct llm_pool *pool; /* borrowed back-pointer */
    int index;             /* thread number, 1.. */
    pthread_t thread;      /* the worker */
};

struct llm_pool {
    int n_threads;               /* including the caller */
    struct pool_worker *workers; /* owned, n_threads - 1 */
    pthread_mutex_t mu;          /* guards the sleeps below */
    pthread_cond_t cv_work;      /* signalled when generation moves or on quit */
    pthread_cond_t cv_done;      /* signalled when pending reaches 0 */
    atomic_uint generation;      /* job counter (note 1) */
    atomic_int next_chunk;       /* next chunk to hand out */
    atomic_int pending;          /* workers still busy with the current job */
    atomic_int sleepers;         /* workers sleeping on cv_work */
    atomic_bool caller_sleeping; /* caller sleeping on cv_done */
    atomic_bool quit;            /* set by llm_pool_free */
    llm_pool_fn fn;              /* current job */
    void *arg;                   /* current job's argument */
    int n_chunks;                /* current job's chunk count */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void pool_do_chunks(struct llm_pool *p, int thread)
{
    for (;;) {
        int c = atomic_fetch_add_explicit(&p->next_chunk, 1, memory_order_relaxed);
        if (c >= p->n_chunks)
            break;
        p->fn(p->arg, c, thread);
    }
}

static void *pool_worker_main(void *argp)
{
    struct pool_worker *w = argp;
    struct llm_pool *p = w->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned g = atomic_load_explicit(&p->generation, memory_order_acquire);
        for (int i = 0; g == seen && i < POOL_SPIN && !atomic_load(&p->quit); i++) {
            cpu_relax();
            g = atomic_load_explicit(&p->generation, memory_order_acquire);
        }
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while ((g = atomic_load(&p->generation)) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv_work, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->quit))
            return NULL;
        seen = g;
        pool_do_chunks(p, w->index);
        if (atomic_fetch_sub(&p->pending, 1) == 1 &&
            atomic_load(&p->caller_sleeping)) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_broadcast(&p->cv_done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

struct llm_pool *llm_pool_new(int n_threads)
{
    if (n_threads < 1 || n_threads > POOL_MAX_THREADS)
        return NULL;
    struct llm_pool *p = xcalloc(1, sizeof *p);
    p->n_threads = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    atomic_init(&p->generation, 0);
    atomic_init(&p->next_chunk, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->caller_sleeping, false);
    atomic_init(&p->quit, false);
    p->workers = xcalloc((size_t)n_threads, sizeof *p->workers);
    for (int i = 0; i < n_threads - 1; i++) {
        p->workers[i].pool = p;
        p->workers[i].index = i + 1;
        if (pthread_create(&p->workers[i].thread, NULL, pool_worker_main, &p->workers[i]) != 0) {
            p->n_threads = i + 1; /* join only those started */
            llm_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void llm_pool_free(struct llm_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, true);
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads - 1; i++)
        pthread_join(p->workers[i].thread, NULL);
    pthread_cond_destroy(&p->cv_work);
    pthread_cond_destroy(&p->cv_done);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p);
}

int llm_pool_threads(const struct llm_pool *p)
{
    return p->n_threads;
}

void llm_pool_run(struct llm_pool *p, llm_pool_fn fn, void *arg, int n_chunks)
{
    if (n_chunks <= 0)
        return;
    if (p->n_threads == 1 || n_chunks == 1) {
        for (int c = 0; c < n_chunks; c++)
            fn(arg, c, 0);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->n_chunks = n_chunks;
    atomic_store_explicit(&p->next_chunk, 0, memory_order_relaxed);
    atomic_store_explicit(&p->pending, p->n_threads - 1, memory_order_relaxed);
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv_work);
        pthread_mutex_unlock(&p->mu);
    }
    pool_do_chunks(p, 0);
    for (int i = 0; i < POOL_SPIN; i++) {
        if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->caller_sleeping, true);
    while (atomic_load(&p->pending) != 0)
        pthread_cond_wait(&p->cv_done, &p->mu);
    atomic_store(&p->caller_sleeping, false);
    pthread_mutex_unlock(&p->mu);
}
