/* pool.c: the fixed worker-thread pool (see pool.h).
 *
 * Design notes:
 * 1. One 64-bit atomic word `job` holds (generation:20 | n_chunks:22 | next chunk:22). A job is
 *    published by writing fn/arg, zeroing `done`, then storing a new word with the next
 *    generation and chunk 0. Everyone takes chunks with a compare-and-swap that only succeeds
 *    while the generation is unchanged and next < n_chunks, so a thread that wakes late can
 *    never take a chunk of the wrong job.
 * 2. fn/arg are read only after a successful take: chunk i of job g is not done yet, so the
 *    caller cannot have moved on to g+1 and overwritten them.
 * 3. The caller waits for `done` (chunks finished) to reach n_chunks, not for every worker to
 *    check in: a worker that is descheduled (the machine is shared) costs nothing unless it
 *    holds a chunk. A thread adds its chunks to `done` once, when it finds none left to take.
 * 4. Waiting is a bounded spin (yielding now and then) followed by a sleep on a condition variable. `sleepers` and
 *    `caller_sleeping` say whether anyone must be woken, so the common path makes no system
 *    call. The conditions are re-checked under the mutex, so no wake-up is lost.
 * 5. A split job (llm_pool_run_split) publishes its chunks as one range per thread instead:
 *    range[t] is a 64-bit word (generation:20 | lo:22 | hi:22) on its own cache line, chunks
 *    [lo, hi) still to run. The owner takes lo (in order), the others take hi - 1 once their
 *    own range is empty; both with a compare-and-swap that checks the generation as in note 1,
 *    so the job word itself is published with no chunk left to take (next = n_chunks) and only
 *    wakes the workers. */
#include "llm/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/mem.h"

enum { POOL_SPIN = 4000, POOL_MAX_THREADS = 256 };

#define JOB_BITS 22
#define JOB_MASK ((UINT64_C(1) << JOB_BITS) - 1)
#define JOB_MAX_CHUNKS ((int)JOB_MASK)

/* One thread's chunk range of a split job (note 5), alone on its cache line. */
struct pool_range {
    _Alignas(64) _Atomic uint64_t w; /* generation:20 | lo:22 | hi:22 */
};

struct pool_worker {
    struct llm_pool *pool; /* borrowed back-pointer */
    int index;             /* thread number, 1.. */
    pthread_t thread;      /* the worker */
};

struct llm_pool {
    int n_threads;               /* including the caller */
    struct pool_worker *workers; /* owned, n_threads - 1 */
    pthread_mutex_t mu;          /* guards the sleeps below */
    pthread_cond_t cv_work;      /* signalled when a job is published or on quit */
    pthread_cond_t cv_done;      /* signalled when done reaches the job's chunk count */
    _Atomic uint64_t job;        /* note 1 */
    atomic_int done;             /* chunks finished in the current job */
    atomic_int sleepers;         /* workers sleeping on cv_work */
    atomic_bool caller_sleeping; /* caller sleeping on cv_done */
    atomic_bool quit;            /* set by llm_pool_free */
    llm_pool_fn fn;              /* current job */
    void *arg;                   /* current job's argument */
    unsigned gen;                /* generation of the current job (caller side) */
    atomic_bool split;           /* the current job is split (note 5) */
    struct pool_range *range;    /* n_threads ranges, in range_mem (note 5) */
    void *range_mem;             /* owned allocation holding range */
};

/* One step of a spin wait. Every 64th step yields the CPU: on a machine with more runnable
 * threads than cores (a shared server), the thread we wait for may be waiting for our core. */
static inline void cpu_relax(int i)
{
    if ((i & 63) == 63) {
        sched_yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline unsigned job_gen(uint64_t v)
{
    return (unsigned)(v >> (2 * JOB_BITS));
}

/* Adds a thread's count of finished chunks of a job of n chunks to `done`, once it has no more
 * to take (one atomic on the shared line per thread and job, not one per chunk), and wakes a
 * sleeping caller when that completes the job. */
static void pool_count_done(struct llm_pool *p, int count, int n)
{
    if (count == 0)
        return;
    if (atomic_fetch_add(&p->done, count) + count == n && atomic_load(&p->caller_sleeping)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Takes chunk lo (own) or hi - 1 (another thread's) of range r of generation g; returns it, or
 * -1 when the range is empty or belongs to another job (note 5). */
static int pool_take_range(struct llm_pool *p, int r, unsigned g, bool own)
{
    _Atomic uint64_t *w = &p->range[r].w;
    uint64_t v = atomic_load(w);
    for (;;) {
        if (job_gen(v) != g)
            return -1;
        uint64_t lo = (v >> JOB_BITS) & JOB_MASK, hi = v & JOB_MASK;
        if (lo >= hi)
            return -1;
        uint64_t next = own ? v + (UINT64_C(1) << JOB_BITS) : v - 1;
        if (atomic_compare_exchange_weak(w, &v, next))
            return (int)(own ? lo : hi - 1);
    }
}

/* Takes and runs chunks of job generation g until none are left (note 1, 2, 5). */
static void pool_do_chunks(struct llm_pool *p, unsigned g, int thread)
{
    uint64_t v = atomic_load(&p->job);
    if (job_gen(v) != g)
        return;
    const int n = (int)((v >> JOB_BITS) & JOB_MASK);
    /* the flag may already be a later job's: every take checks the generation */
    int ran = 0; /* chunks this thread ran (fn/arg are the job's after a take: note 2) */
    if (atomic_load_explicit(&p->split, memory_order_relaxed)) {
        int i;
        while ((i = pool_take_range(p, thread, g, true)) >= 0) {
            p->fn(p->arg, i, thread);
            ran++;
        }
        for (int k = 1; k < p->n_threads; k++) {
            int r = (thread + k) % p->n_threads;
            while ((i = pool_take_range(p, r, g, false)) >= 0) {
                p->fn(p->arg, i, thread);
                ran++;
            }
        }
        pool_count_done(p, ran, n);
        return;
    }
    for (;;) {
        uint64_t i = v & JOB_MASK;
        if (job_gen(v) != g || i >= (uint64_t)n)
            break;
        if (!atomic_compare_exchange_weak(&p->job, &v, v + 1))
            continue; /* v now holds the fresh value */
        p->fn(p->arg, (int)i, thread);
        ran++;
        v = atomic_load(&p->job);
    }
    pool_count_done(p, ran, n);
}

static void *pool_worker_main(void *argp)
{
    struct pool_worker *w = argp;
    struct llm_pool *p = w->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned g = job_gen(atomic_load(&p->job));
        for (int i = 0; g == seen && i < POOL_SPIN && !atomic_load_explicit(&p->quit,
                                                                           memory_order_relaxed);
             i++) {
            cpu_relax(i);
            g = job_gen(atomic_load(&p->job));
        }
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while ((g = job_gen(atomic_load(&p->job))) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv_work, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->quit))
            return NULL;
        seen = g;
        pool_do_chunks(p, g, w->index);
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
    atomic_init(&p->job, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->caller_sleeping, false);
    atomic_init(&p->quit, false);
    atomic_init(&p->split, false);
    p->range_mem = xcalloc((size_t)n_threads + 1, sizeof(struct pool_range));
    p->range = (struct pool_range *)(((uintptr_t)p->range_mem + sizeof(struct pool_range) - 1) &
                                     ~(uintptr_t)(sizeof(struct pool_range) - 1));
    for (int i = 0; i < n_threads; i++)
        atomic_init(&p->range[i].w, 0);
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
    free(p->range_mem);
    free(p);
}

int llm_pool_threads(const struct llm_pool *p)
{
    return p->n_threads;
}

static void pool_run(struct llm_pool *p, llm_pool_fn fn, void *arg, int n_chunks, bool split)
{
    if (n_chunks <= 0)
        return;
    if (p->n_threads == 1 || n_chunks == 1) {
        for (int c = 0; c < n_chunks; c++)
            fn(arg, c, 0);
        return;
    }
    ASSERT(n_chunks <= JOB_MAX_CHUNKS);
    p->fn = fn;
    p->arg = arg;
    atomic_store_explicit(&p->split, split, memory_order_relaxed);
    atomic_store(&p->done, 0);
    p->gen = (p->gen + 1) & (unsigned)((1u << (64 - 2 * JOB_BITS)) - 1);
    if (p->gen == 0)
        p->gen = 1; /* workers start having seen generation 0 */
    const uint64_t gen = (uint64_t)p->gen << (2 * JOB_BITS);
    uint64_t next = 0;
    if (split) {
        for (int t = 0; t < p->n_threads; t++) {
            uint64_t lo = (uint64_t)n_chunks * (uint64_t)t / (uint64_t)p->n_threads;
            uint64_t hi = (uint64_t)n_chunks * (uint64_t)(t + 1) / (uint64_t)p->n_threads;
            atomic_store(&p->range[t].w, gen | (lo << JOB_BITS) | hi);
        }
        next = (uint64_t)n_chunks; /* nothing to take from the job word */
    }
    atomic_store(&p->job, gen | ((uint64_t)n_chunks << JOB_BITS) | next);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv_work);
        pthread_mutex_unlock(&p->mu);
    }
    pool_do_chunks(p, p->gen, 0);
    for (int i = 0; i < POOL_SPIN; i++) {
        if (atomic_load(&p->done) == n_chunks)
            return;
        cpu_relax(i);
    }
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->caller_sleeping, true);
    while (atomic_load(&p->done) != n_chunks)
        pthread_cond_wait(&p->cv_done, &p->mu);
    atomic_store(&p->caller_sleeping, false);
    pthread_mutex_unlock(&p->mu);
}

void llm_pool_run(struct llm_pool *p, llm_pool_fn fn, void *arg, int n_chunks)
{
    pool_run(p, fn, arg, n_chunks, false);
}

void llm_pool_run_split(struct llm_pool *p, llm_pool_fn fn, void *arg, int n_chunks)
{
    pool_run(p, fn, arg, n_chunks, true);
}
