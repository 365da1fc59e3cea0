/* bench/llm/peer.c: the llama.cpp side of bench/llm: times prompt processing and decoding
 * through the libllama shipped in npm's node-llama-cpp prebuilt binaries, the way llama-bench
 * does: "pp" decodes the whole prompt in one llama_decode (logits of the last token only),
 * "tg" runs n single-token llama_decode calls from an empty KV cache; one warm-up run, then
 * the median of REPS runs, with the process CPU time per wall second of those runs (as
 * `relais llm bench` prints it: on a shared machine it shows how much CPU the run got).
 *
 * Built by bench/llm/run.sh (not by meson) against the package's library and the llama.h of
 * the llama.cpp release it was built from; never part of relais.
 *
 * usage: peer MODEL.gguf PROMPT_TOKENS GEN_TOKENS THREADS REPS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "llama.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void quiet_log(enum ggml_log_level level, const char *text, void *user)
{
    (void)user;
    if (level == GGML_LOG_LEVEL_ERROR)
        fputs(text, stderr);
}

/* One timed run; tokens/s, or -1 on error. */
static double run_once(struct llama_context *ctx, llama_token *tokens, int n, int pp)
{
    llama_memory_clear(llama_get_memory(ctx), true);
    double t0 = now_s();
    if (pp) {
        if (llama_decode(ctx, llama_batch_get_one(tokens, n)) != 0)
            return -1;
    } else {
        for (int i = 0; i < n; i++)
            if (llama_decode(ctx, llama_batch_get_one(&tokens[i], 1)) != 0)
                return -1;
    }
    llama_synchronize(ctx);
    double dt = now_s() - t0;
    return (double)n / dt;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: peer MODEL.gguf PROMPT_TOKENS GEN_TOKENS THREADS REPS\n");
        return 2;
    }
    const char *path = argv[1];
    int n_pp = atoi(argv[2]), n_tg = atoi(argv[3]), threads = atoi(argv[4]);
    int reps = atoi(argv[5]);
    if (n_pp < 1 || n_tg < 1 || threads < 1 || reps < 1) {
        fprintf(stderr, "peer: bad arguments\n");
        return 2;
    }
    llama_log_set(quiet_log, NULL);
    /* the CPU backend variants (zen4, ...) sit beside libllama; run.sh passes the folder */
    ggml_backend_load_all_from_path(getenv("PEER_BACKEND_DIR"));
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (!model) {
        fprintf(stderr, "peer: cannot load %s\n", path);
        return 1;
    }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(n_pp + n_tg);
    cp.n_batch = (uint32_t)n_pp;
    cp.n_ubatch = (uint32_t)n_pp;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.no_perf = true;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) {
        fprintf(stderr, "peer: cannot create a context\n");
        return 1;
    }
    int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    int n_max = n_pp > n_tg ? n_pp : n_tg;
    llama_token *tokens = calloc((size_t)n_max, sizeof *tokens);
    double *tps = calloc((size_t)reps, sizeof *tps);
    if (!tokens || !tps)
        return 1;
    unsigned x = 12345;
    for (int i = 0; i < n_max; i++) {
        x = x * 1664525u + 1013904223u;
        tokens[i] = (llama_token)((x >> 8) % (unsigned)n_vocab);
    }
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    for (int pp = 1; pp >= 0; pp--) {
        int n = pp ? n_pp : n_tg;
        if (run_once(ctx, tokens, n, pp) < 0) { /* warm-up */
            fprintf(stderr, "peer: llama_decode failed\n");
            return 1;
        }
        double w0 = now_s(), c0 = cpu_s();
        for (int r = 0; r < reps; r++)
            tps[r] = run_once(ctx, tokens, n, pp);
        double cpu_pct = 100.0 * (cpu_s() - c0) / (now_s() - w0);
        qsort(tps, (size_t)reps, sizeof *tps, cmp_double);
        printf("| %s | llama.cpp | %d | %s%d | %.2f | %.2f | %.2f | %.0f%% |\n", name, threads,
               pp ? "pp" : "tg", n, tps[reps / 2], tps[0], tps[reps - 1], cpu_pct);
        fflush(stdout);
    }
    free(tps);
    free(tokens);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
