/* pool_test.c: the fixed thread pool runs every chunk exactly once per job, on all threads,
 * for plain and split jobs (llm_pool_run_split) alike, also when the two kinds alternate. */
#include "harness.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "llm/pool.h"

enum { N_CHUNKS = 97, N_JOBS = 300 };

struct pool_job {
    atomic_int hits[N_CHUNKS]; /* times each chunk ran */
    atomic_int threads_seen;   /* bitmask of thread ids */
};

static void pool_job_fn(void *arg, int chunk, int thread)
{
    struct pool_job *j = arg;
    atomic_fetch_add(&j->hits[chunk], 1);
    atomic_fetch_or(&j->threads_seen, 1 << thread);
}

TEST_CASE(llm, pool_runs_each_chunk_once)
{
    const int thread_counts[] = {1, 2, 4};
    for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
        struct llm_pool *pool = llm_pool_new(thread_counts[t]);
        ASSERT_TRUE(pool != NULL);
        ASSERT_INT_EQ(llm_pool_threads(pool), thread_counts[t]);
        static struct pool_job job;
        for (int i = 0; i < N_CHUNKS; i++)
            atomic_store(&job.hits[i], 0);
        atomic_store(&job.threads_seen, 0);
        for (int r = 0; r < N_JOBS; r++) {
            /* plain, split, then runs of either kind */
            bool split = r < N_JOBS / 3 ? false : r < 2 * N_JOBS / 3 ? true : (r / 3) % 2 == 0;
            (split ? llm_pool_run_split : llm_pool_run)(pool, pool_job_fn, &job, N_CHUNKS);
        }
        llm_pool_run(pool, pool_job_fn, &job, 0); /* no chunks: no calls */
        llm_pool_run_split(pool, pool_job_fn, &job, 0);
        for (int i = 0; i < N_CHUNKS; i++)
            ASSERT_INT_EQ(atomic_load(&job.hits[i]), N_JOBS);
        /* fewer chunks than threads: some shares are empty */
        for (int i = 0; i < 3; i++)
            atomic_store(&job.hits[i], 0);
        for (int r = 0; r < N_JOBS; r++)
            llm_pool_run_split(pool, pool_job_fn, &job, 1 + r % 3);
        ASSERT_INT_EQ(atomic_load(&job.hits[0]), N_JOBS);
        ASSERT_INT_EQ(atomic_load(&job.hits[1]), 2 * N_JOBS / 3);
        ASSERT_INT_EQ(atomic_load(&job.hits[2]), N_JOBS / 3);
        int seen = atomic_load(&job.threads_seen);
        ASSERT_TRUE(seen & 1); /* the caller takes part */
        ASSERT_TRUE(seen < (1 << thread_counts[t]));
        llm_pool_free(pool);
    }
    ASSERT_TRUE(llm_pool_new(0) == NULL);
}
