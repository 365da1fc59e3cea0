/* sampler.h: turning a logit vector into the next token.
 *
 * The chain, in llama.cpp's default order: repetition / frequency / presence penalties over the
 * last penalty_last_n accepted tokens, then top-k, top-p, min-p, temperature, then a draw from
 * the resulting distribution with the sampler's own seeded RNG. With temperature <= 0 the
 * sampler is greedy: the argmax of the penalised logits, ties going to the lowest token id (so
 * with no penalties it is exactly llama.cpp's greedy reference).
 *
 * A fixed seed gives a fixed sequence for the same logits. The sampler allocates its buffers
 * (n_vocab candidates, the penalty window) when created; sampling allocates nothing.
 * Threads: a sampler belongs to one sequence and is used by one thread at a time. */
#ifndef RELAIS_LLM_SAMPLER_H
#define RELAIS_LLM_SAMPLER_H

#include <stdint.h>

struct llm_sampler_params {
    float temperature;       /* <= 0: greedy */
    int top_k;               /* keep the k best; <= 0: off */
    float top_p;             /* nucleus mass in (0, 1]; >= 1: off */
    float min_p;             /* drop p < min_p * p_max; <= 0: off */
    float repeat_penalty;    /* divide positive / multiply negative logits; 1: off */
    float frequency_penalty; /* subtract count * this; 0: off */
    float presence_penalty;  /* subtract this once per token present; 0: off */
    int penalty_last_n;      /* window of accepted tokens the penalties look at; 0: off */
    uint64_t seed;           /* RNG seed */
};

struct llm_sampler;

/* Fills p with the defaults: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, no penalties
 * (repeat 1, window 64), seed 0. */
void llm_sampler_params_default(struct llm_sampler_params *p);
/* Creates a sampler for a vocabulary of n_vocab tokens (owned, llm_sampler_free).
 * Returns 0 or ERR_INVALID (n_vocab < 1, penalty_last_n < 0, non-finite parameters). */
int llm_sampler_new(const struct llm_sampler_params *params, int n_vocab, struct llm_sampler **out);
void llm_sampler_free(struct llm_sampler *s);
/* Returns the chosen token for logits[0..n_vocab) (borrowed, not modified). */
int32_t llm_sampler_sample(struct llm_sampler *s, const float *logits);
/* Records an accepted token (prompt or generated) in the penalty window. */
void llm_sampler_accept(struct llm_sampler *s, int32_t token);
/* Empties the penalty window and re-seeds the RNG with seed. */
void llm_sampler_reset(struct llm_sampler *s, uint64_t seed);
/* Returns the argmax of logits[0..n), lowest index on ties. */
int32_t llm_sampler_argmax(const float *logits, int n);

#endif
