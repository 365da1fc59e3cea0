/* pool.h: a fixed pool of worker threads for the forward pass.
 *
 * llm_pool_run(pool, fn, arg, n_chunks) calls fn(arg, chunk, thread) once for every chunk in
 * [0, n_chunks), spread over the pool's threads and the calling thread, and returns when all
 * calls have returned (a barrier). It allocates nothing: chunks are handed out through an atomic
 * counter. Idle workers spin briefly waiting for the next job, then block on a condition
 * variable, so a decode loop of back-to-back small jobs does not pay a wake-up per job while a
 * pool left idle costs no CPU.
 *
 * Threads: one thread at a time may call llm_pool_run on a pool (the owner of the context or
 * scheduler step); fn runs concurrently on up to n_threads threads, `thread` in [0, n_threads)
 * identifies the thread (0 is the caller) so fn can use per-thread scratch. */
#ifndef RELAIS_LLM_POOL_H
#define RELAIS_LLM_POOL_H

struct llm_pool;

typedef void (*llm_pool_fn)(void *arg, int chunk, int thread);

/* Starts n_threads - 1 workers (the caller is thread 0). n_threads in [1, 256].
 * Returns the pool (owned, free with llm_pool_free) or NULL if a thread could not start. */
struct llm_pool *llm_pool_new(int n_threads);
/* Stops and joins the workers. NULL is ignored. No llm_pool_run may be in progress. */
void llm_pool_free(struct llm_pool *pool);
/* Number of threads including the caller. */
int llm_pool_threads(const struct llm_pool *pool);
/* Runs fn over n_chunks chunks and waits for all of them (see above). n_chunks <= 0 returns at
 * once; a job with one chunk runs on the caller only. */
void llm_pool_run(struct llm_pool *pool, llm_pool_fn fn, void *arg, int n_chunks);
/* Like llm_pool_run, but thread t first runs the chunks [t * n / T, (t + 1) * n / T) of the
 * T threads' equal shares in order, then takes chunks from the end of the others' shares:
 * each thread walks one stretch of consecutive chunks (a matrix product's rows in memory
 * order, so its prefetches run on into its own next chunk) while a late or descheduled thread
 * still holds nobody up. */
void llm_pool_run_split(struct llm_pool *pool, llm_pool_fn fn, void *arg, int n_chunks);

#endif
