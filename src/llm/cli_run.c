/* cli_run.c: `relais llm run FILE -p TEXT [-n N] [--temp T] [--seed S] [-t THREADS] [--top-k K]
 * [--top-p P] [--min-p P] [-c CTX] [--kv f16|f32]`: tokenizes the prompt (BOS added where the
 * vocabulary wants it), streams the continuation to stdout and prints timings to stderr.
 * --temp 0 is greedy decoding (llama.cpp's reference setting). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "llm/cli.h"
#include "llm/cli_common.h"
#include "llm/generate.h"

static const char run_usage[] =
    "FILE.gguf -p TEXT [-n N] [--temp T] [--seed S] [-t THREADS] [--top-k K] [--top-p P] "
    "[--min-p P] [--repeat-penalty R] [-c CTX] [--kv f16|f32]";

static int run_print(void *user, int32_t token, const char *text, size_t len)
{
    (void)user;
    (void)token;
    if (text && len > 0) {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
    }
    return 0;
}

int llm_cli_run(int argc, char **argv)
{
    struct llm_cli_opts o;
    int rc = llm__cli_parse(argc, argv, &o, run_usage);
    if (rc != 0)
        return rc;
    if (!o.prompt) {
        fprintf(stderr, "usage: relais llm run %s\n", run_usage);
        return 2;
    }
    if (o.n_predict < 0)
        o.n_predict = 128;
    struct llm_model *m = NULL;
    struct llm_context *c = NULL;
    struct llm_sampler *s = NULL;
    int32_t *toks = NULL;
    int status = 1;
    if (llm__cli_open(&o, o.n_ctx, 512, &m, &c) != 0)
        goto out;
    size_t n_toks = 0;
    rc = llm_model_tokenize(m, o.prompt, strlen(o.prompt), true, false, &toks, &n_toks);
    if (rc != 0) {
        fprintf(stderr, "relais llm run: cannot tokenize the prompt (%s)\n", err_str(rc));
        goto out;
    }
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    if (o.sp.temperature > 0 && llm_sampler_new(&o.sp, info.n_vocab, &s) != 0) {
        fprintf(stderr, "relais llm run: bad sampling parameters\n");
        goto out;
    }
    struct llm_generate_params gp = {.max_tokens = o.n_predict, .sampler = s};
    struct llm_generate_result res;
    rc = llm_generate(c, toks, (int)n_toks, &gp, run_print, NULL, &res);
    putchar('\n');
    if (rc != 0) {
        fprintf(stderr, "relais llm run: %s (%s)\n", llm_context_error(c), err_str(rc));
        goto out;
    }
    double pms = (double)res.prompt_ns / 1e6, gms = (double)res.gen_ns / 1e6;
    fprintf(stderr,
            "prompt: %d tokens in %.1f ms (%.2f t/s); generated: %d tokens in %.1f ms "
            "(%.2f t/s); stop: %s\n",
            res.n_prompt, pms, pms > 0 ? res.n_prompt * 1e3 / pms : 0.0, res.n_generated, gms,
            gms > 0 ? res.n_generated * 1e3 / gms : 0.0, llm_stop_reason_name(res.reason));
    status = 0;
out:
    free(toks);
    llm_sampler_free(s);
    llm_context_free(c);
    llm_model_unref(m);
    return status;
}
