/* cli_common.c: the options of the generation subcommands (see cli_common.h). */
#include "llm/cli_common.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/str.h"

static int parse_int(const char *s, int64_t min, int64_t max, int *out)
{
    int64_t v;
    if (str_to_i64(s, strlen(s), min, max, &v) != 0)
        return ERR_INVALID;
    *out = (int)v;
    return 0;
}

static int parse_float(const char *s, float *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
        return ERR_INVALID;
    *out = (float)v;
    return 0;
}

int llm__cli_parse(int argc, char **argv, struct llm_cli_opts *o, const char *usage)
{
    memset(o, 0, sizeof *o);
    o->n_predict = -1;
    o->threads = 2;
    o->reps = 5;
    llm_sampler_params_default(&o->sp);
    o->sp.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        bool takes = true;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fprintf(stderr, "usage: relais llm %s %s\n", argv[0], usage);
            return 2;
        } else if (a[0] != '-') {
            takes = false;
            if (o->model) {
                fprintf(stderr, "relais llm %s: unexpected argument '%s'\n", argv[0], a);
                rc = ERR_INVALID;
            }
            o->model = a;
        } else if (!v) {
            fprintf(stderr, "relais llm %s: %s needs a value\n", argv[0], a);
            rc = ERR_INVALID;
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "--prompt") == 0) {
            o->prompt = v;
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--system") == 0) {
            o->system = v;
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--n-predict") == 0) {
            rc = parse_int(v, 0, 1 << 24, &o->n_predict);
        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--ctx-size") == 0) {
            rc = parse_int(v, 0, 1 << 24, &o->n_ctx);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            rc = parse_int(v, 1, 256, &o->threads);
        } else if (strcmp(a, "-r") == 0 || strcmp(a, "--repetitions") == 0) {
            rc = parse_int(v, 1, 1000, &o->reps);
        } else if (strcmp(a, "--temp") == 0) {
            rc = parse_float(v, &o->sp.temperature);
        } else if (strcmp(a, "--top-k") == 0) {
            rc = parse_int(v, 0, 1 << 24, &o->sp.top_k);
        } else if (strcmp(a, "--top-p") == 0) {
            rc = parse_float(v, &o->sp.top_p);
        } else if (strcmp(a, "--min-p") == 0) {
            rc = parse_float(v, &o->sp.min_p);
        } else if (strcmp(a, "--repeat-penalty") == 0) {
            rc = parse_float(v, &o->sp.repeat_penalty);
        } else if (strcmp(a, "--repeat-last-n") == 0) {
            rc = parse_int(v, 0, 1 << 16, &o->sp.penalty_last_n);
        } else if (strcmp(a, "--frequency-penalty") == 0) {
            rc = parse_float(v, &o->sp.frequency_penalty);
        } else if (strcmp(a, "--presence-penalty") == 0) {
            rc = parse_float(v, &o->sp.presence_penalty);
        } else if (strcmp(a, "--seed") == 0) {
            int64_t s;
            rc = str_to_i64(v, strlen(v), 0, INT64_MAX, &s);
            o->sp.seed = (uint64_t)s;
            o->seed_set = true;
        } else if (strcmp(a, "--kv") == 0) {
            if (strcmp(v, "f32") == 0)
                o->kv_f32 = true;
            else if (strcmp(v, "f16") != 0)
                rc = ERR_INVALID;
        } else {
            fprintf(stderr, "relais llm %s: unknown option %s\n", argv[0], a);
            rc = ERR_INVALID;
            takes = false;
        }
        if (rc != 0) {
            if (takes && v)
                fprintf(stderr, "relais llm %s: bad value '%s' for %s\n", argv[0], v, a);
            fprintf(stderr, "usage: relais llm %s %s\n", argv[0], usage);
            return 2;
        }
        if (takes)
            i++;
    }
    if (!o->model) {
        fprintf(stderr, "usage: relais llm %s %s\n", argv[0], usage);
        return 2;
    }
    return 0;
}

int llm__cli_open(const struct llm_cli_opts *o, int n_ctx, int n_batch, struct llm_model **m,
                  struct llm_context **c)
{
    char err[256];
    *c = NULL;
    int rc = llm_model_load(o->model, m, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "relais llm: cannot load %s: %s (%s)\n", o->model, err, err_str(rc));
        return 1;
    }
    struct llm_context_params p;
    llm_context_params_default(&p);
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_threads = o->threads;
    p.kv_type = o->kv_f32 ? LLM_KV_F32 : LLM_KV_F16;
    rc = llm_context_new(*m, &p, c, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "relais llm: cannot create a context: %s (%s)\n", err, err_str(rc));
        llm_model_unref(*m);
        *m = NULL;
        return 1;
    }
    return 0;
}
