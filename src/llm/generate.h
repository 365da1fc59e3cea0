/* generate.h: a simple generation loop on one sequence slot of a context.
 *
 * llm_generate evaluates the prompt in one decode (split into n_batch passes by the context),
 * then samples and decodes one token at a time, streaming the text through a callback. Text
 * comes from the model's streaming detokenizer, so every chunk is valid UTF-8, and text that
 * could be the beginning of a stop string is held back until it is known not to be one: the
 * caller never sees any part of a stop string. Generation ends after max_tokens, on an
 * end-of-generation token (not emitted), on a stop string (not emitted), when the callback asks,
 * or when the slot reaches n_ctx.
 *
 * Threads: runs on the caller's thread (plus the context's pool); the callback is called on the
 * caller's thread. Allocation: a text buffer and the prompt's batch once per call; the
 * per-token path allocates nothing else. */
#ifndef RELAIS_LLM_GENERATE_H
#define RELAIS_LLM_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/llm.h"
#include "llm/sampler.h"

/* Called for each generated token with the text it completes (possibly empty, not
 * NUL-terminated, borrowed for the call). text is NULL when the model has no tokenizer.
 * Return 0 to go on, non-zero to stop. Text held back at the end (a stop-string prefix that never
 * completed) comes in one last call with token -1 (LLM_TOKEN_NULL); its result is ignored. */
typedef int (*llm_token_cb)(void *user, int32_t token, const char *text, size_t len);

/* Stop strings in streamed text, for llm_generate and for callers that run their own loop
 * (src/ai). stop holds n_stop NUL-terminated strings (empty ones never match); s[0..len) is the
 * text generated so far and not yet emitted. Both are pure and borrow everything.
 * llm_stop_find: the offset of the earliest stop string in s, or -1.
 * llm_stop_safe_len: how many leading bytes of s can be emitted: all but the longest tail that
 * is a proper prefix of a stop string (stop strings must be non-empty here). */
long llm_stop_find(const char *const *stop, size_t n_stop, const char *s, size_t len);
size_t llm_stop_safe_len(const char *const *stop, size_t n_stop, const char *s, size_t len);

enum llm_stop_reason {
    LLM_STOP_MAX_TOKENS, /* max_tokens generated */
    LLM_STOP_EOG,        /* the model produced an end-of-generation token */
    LLM_STOP_STRING,     /* a stop string appeared in the text */
    LLM_STOP_CALLBACK,   /* the callback returned non-zero */
    LLM_STOP_CONTEXT,    /* the slot is full (n_ctx positions) */
};

struct llm_generate_params {
    int seq;                     /* sequence slot; cleared before the prompt (see reuse_prefix) */
    bool reuse_prefix;           /* keep the slot's positions that already hold the prompt's
                                    leading tokens and decode only the rest */
    int max_tokens;              /* most tokens to generate (>= 0) */
    struct llm_sampler *sampler; /* borrowed; NULL = greedy (ties -> lowest id) */
    const char *const *stop;     /* borrowed stop strings (non-empty), or NULL */
    size_t n_stop;               /* entries in stop */
    bool ignore_eog;             /* keep going after end-of-generation tokens */
    int32_t *tokens_out;         /* optional: generated ids, room for max_tokens */
};

struct llm_generate_result {
    int n_prompt;                /* prompt tokens (evaluated or reused) */
    int n_reused;                /* of those, taken from the slot without decoding */
    int n_generated;             /* tokens sampled and accepted (an EOG token is not counted) */
    enum llm_stop_reason reason; /* why it ended */
    int64_t prompt_ns;           /* time of the prompt decode */
    int64_t gen_ns;              /* time of the generation loop */
};

/* Runs the loop above. The prompt must have 1..n_ctx tokens (ERR_TOO_LARGE past n_ctx, with the
 * context's error message saying so); decode errors are returned as they come. On success fills
 * *res (may be NULL). */
int llm_generate(struct llm_context *c, const int32_t *prompt, int n_prompt,
                 const struct llm_generate_params *p, llm_token_cb cb, void *user,
                 struct llm_generate_result *res);

/* Static name of a stop reason ("max_tokens", "eog", "stop_string", "callback", "context"). */
const char *llm_stop_reason_name(enum llm_stop_reason r);

#endif
