/* cli_bench.c: `relais llm bench FILE [-p 512] [-n 64] [-t THREADS] [-r REPS] [--kv f16|f32]`
 * measures like llama-bench: "pp" evaluates a prompt of p tokens in one batch (logits of the
 * last token only), "tg" runs n single-token decodes from an empty context; each is repeated
 * (after one warm-up run) and the median tokens/s is printed with the spread. The token ids are
 * fixed pseudo-random ids (the speed does not depend on them). The last column is the CPU time
 * the process got per wall-clock second of the timed runs (200% = two busy cores), which tells
 * whether a figure measured on a shared machine was limited by other load. */
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"
#include "llm/cli.h"
#include "llm/cli_common.h"

static const char bench_usage[] = "FILE.gguf [-p PROMPT_TOKENS] [-n GEN_TOKENS] [-t THREADS] "
                                  "[-r REPETITIONS] [--kv f16|f32]";

static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One timed run; returns tokens/s or a negative value on error. */
static double bench_once(struct llm_context *c, struct llm_batch_item *items, int n, bool pp)
{
    llm_seq_clear(c, 0);
    int64_t t0 = clock_mono_ns();
    if (pp) {
        if (llm_decode(c, items, n) != 0)
            return -1;
    } else {
        for (int i = 0; i < n; i++) {
            struct llm_batch_item it = {items[i].token, i, 0, true};
            if (llm_decode(c, &it, 1) != 0)
                return -1;
        }
    }
    int64_t dt = clock_mono_ns() - t0;
    return dt > 0 ? (double)n * 1e9 / (double)dt : 0;
}

int llm_cli_bench(int argc, char **argv)
{
    struct llm_cli_opts o;
    int rc = llm__cli_parse(argc, argv, &o, bench_usage);
    if (rc != 0)
        return rc;
    int n_pp = 512;
    if (o.prompt) {
        int64_t v;
        if (str_to_i64(o.prompt, strlen(o.prompt), 0, 1 << 16, &v) != 0) {
            fprintf(stderr, "usage: relais llm bench %s\n", bench_usage);
            return 2;
        }
        n_pp = (int)v;
    }
    int n_tg = o.n_predict < 0 ? 64 : o.n_predict;
    int n_max = n_pp > n_tg ? n_pp : n_tg;
    struct llm_model *m = NULL;
    struct llm_context *c = NULL;
    if (llm__cli_open(&o, n_max > 0 ? n_max : 1, n_pp > 0 ? n_pp : 1, &m, &c) != 0)
        return 1;
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    struct llm_batch_item *items = xcalloc((size_t)n_max + 1, sizeof *items);
    uint32_t x = 12345;
    for (int i = 0; i < n_max; i++) {
        x = x * 1664525u + 1013904223u;
        items[i] = (struct llm_batch_item){(int32_t)((x >> 8) % (uint32_t)info.n_vocab), i, 0,
                                           i == n_pp - 1};
    }
    double *tps = xcalloc((size_t)o.reps, sizeof *tps);
    printf("| model | size | arch | threads | kv | test | t/s (median) | min | max | cpu |\n");
    printf("| --- | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | ---: |\n");
    const char *name = strrchr(o.model, '/') ? strrchr(o.model, '/') + 1 : o.model;
    int status = 0;
    for (int which = 0; which < 2 && status == 0; which++) {
        bool pp = which == 0;
        int n = pp ? n_pp : n_tg;
        if (n == 0)
            continue;
        if (bench_once(c, items, n, pp) < 0) { /* warm-up */
            fprintf(stderr, "relais llm bench: %s\n", llm_context_error(c));
            status = 1;
            break;
        }
        double cpu0 = cpu_seconds();
        int64_t wall0 = clock_mono_ns();
        for (int r = 0; r < o.reps; r++)
            tps[r] = bench_once(c, items, n, pp);
        double wall = (double)(clock_mono_ns() - wall0) / 1e9;
        double cpu_pct = wall > 0 ? 100.0 * (cpu_seconds() - cpu0) / wall : 0;
        qsort(tps, (size_t)o.reps, sizeof *tps, cmp_double);
        printf("| %s | %.2f MiB | %s | %d | %s | %s%d | %.2f | %.2f | %.2f | %.0f%% |\n", name,
               (double)info.file_bytes / (1024.0 * 1024.0), info.arch, o.threads,
               o.kv_f32 ? "f32" : "f16", pp ? "pp" : "tg", n, tps[o.reps / 2], tps[0],
               tps[o.reps - 1], cpu_pct);
        fflush(stdout);
    }
    free(tps);
    free(items);
    llm_context_free(c);
    llm_model_unref(m);
    return status;
}
