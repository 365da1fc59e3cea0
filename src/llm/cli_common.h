/* cli_common.h: option parsing and model/context set-up shared by `relais llm run`, `chat` and
 * `bench` (cli_run.c, cli_chat.c, cli_bench.c). Internal to src/llm. */
#ifndef RELAIS_LLM_CLI_COMMON_H
#define RELAIS_LLM_CLI_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/llm.h"
#include "llm/sampler.h"

struct llm_cli_opts {
    const char *model;        /* FILE.gguf (the one positional argument) */
    const char *prompt;       /* -p TEXT (bench: a token count) */
    const char *system;       /* -s TEXT: chat system message */
    int n_predict;            /* -n N: tokens to generate (-1: default of the command) */
    int n_ctx;                /* -c N: context length (0: default) */
    int threads;              /* -t N */
    int reps;                 /* -r N: bench repetitions */
    bool kv_f32;              /* --kv f32 */
    bool seed_set;            /* --seed given */
    struct llm_sampler_params sp; /* --temp --seed --top-k --top-p --min-p --repeat-penalty ... */
};

/* Parses argv (argv[0] is the subcommand name). Returns 0, or 2 after printing the problem and
 * `usage` to stderr. */
int llm__cli_parse(int argc, char **argv, struct llm_cli_opts *o, const char *usage);
/* Loads o->model and creates a context; prints errors to stderr and returns non-zero on failure. */
int llm__cli_open(const struct llm_cli_opts *o, int n_ctx, int n_batch, struct llm_model **m,
                  struct llm_context **c);

#endif
