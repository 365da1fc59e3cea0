/* sampler.c: penalties, top-k, top-p, min-p, temperature and the seeded draw (see sampler.h).
 *
 * The RNG is xoshiro256** seeded through splitmix64, so a seed gives the same stream on every
 * platform. Candidates are sorted by logit descending, token id ascending on ties, which keeps
 * every step deterministic. */
#include "llm/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"

struct sampler_cand {
    int32_t id;  /* token id */
    float logit; /* (penalised, scaled) logit */
    float p;     /* probability after the last softmax */
};

struct llm_sampler {
    struct llm_sampler_params params; /* copied at creation */
    int n_vocab;                      /* candidates size */
    struct sampler_cand *cand;        /* owned, n_vocab */
    int32_t *window;                  /* owned ring of accepted tokens, penalty_last_n */
    int window_len;                   /* tokens in the ring */
    int window_head;                  /* next write index */
    uint64_t rng[4];                  /* xoshiro256** state */
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform double in [0, 1) with 53 random bits. */
static double rng_uniform(uint64_t s[4])
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

void llm_sampler_params_default(struct llm_sampler_params *p)
{
    memset(p, 0, sizeof *p);
    p->temperature = 0.8f;
    p->top_k = 40;
    p->top_p = 0.95f;
    p->min_p = 0.05f;
    p->repeat_penalty = 1.0f;
    p->penalty_last_n = 64;
}

void llm_sampler_reset(struct llm_sampler *s, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        s->rng[i] = splitmix64(&x);
    s->window_len = 0;
    s->window_head = 0;
}

int llm_sampler_new(const struct llm_sampler_params *params, int n_vocab, struct llm_sampler **out)
{
    *out = NULL;
    if (n_vocab < 1 || params->penalty_last_n < 0 || params->penalty_last_n > (1 << 20) ||
        !isfinite(params->temperature) || !isfinite(params->top_p) || !isfinite(params->min_p) ||
        !isfinite(params->repeat_penalty) || params->repeat_penalty <= 0 ||
        !isfinite(params->frequency_penalty) || !isfinite(params->presence_penalty))
        return ERR_INVALID;
    struct llm_sampler *s = xcalloc(1, sizeof *s);
    s->params = *params;
    s->n_vocab = n_vocab;
    s->cand = xcalloc((size_t)n_vocab, sizeof *s->cand);
    s->window = xcalloc((size_t)params->penalty_last_n + 1, sizeof *s->window);
    llm_sampler_reset(s, params->seed);
    *out = s;
    return 0;
}

void llm_sampler_free(struct llm_sampler *s)
{
    if (!s)
        return;
    free(s->cand);
    free(s->window);
    free(s);
}

void llm_sampler_accept(struct llm_sampler *s, int32_t token)
{
    int n = s->params.penalty_last_n;
    if (n == 0)
        return;
    s->window[s->window_head] = token;
    s->window_head = (s->window_head + 1) % n;
    if (s->window_len < n)
        s->window_len++;
}

int32_t llm_sampler_argmax(const float *logits, int n)
{
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > logits[best])
            best = i;
    return best;
}

static int cand_cmp(const void *a, const void *b)
{
    const struct sampler_cand *x = a, *y = b;
    if (x->logit > y->logit)
        return -1;
    if (x->logit < y->logit)
        return 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Applies the penalties to the candidates (indexed by id: called before any reordering). */
static void apply_penalties(struct llm_sampler *s)
{
    const struct llm_sampler_params *p = &s->params;
    if (s->window_len == 0 ||
        (p->repeat_penalty == 1.0f && p->frequency_penalty == 0.0f && p->presence_penalty == 0.0f))
        return;
    for (int i = 0; i < s->window_len; i++) {
        int32_t tok = s->window[i];
        if (tok < 0 || tok >= s->n_vocab)
            continue;
        int first = 1, count = 0;
        for (int j = 0; j < s->window_len; j++) {
            if (s->window[j] != tok)
                continue;
            if (j < i)
                first = 0;
            count++;
        }
        if (!first)
            continue; /* each distinct token once */
        float *l = &s->cand[tok].logit;
        if (*l <= 0)
            *l *= p->repeat_penalty;
        else
            *l /= p->repeat_penalty;
        *l -= (float)count * p->frequency_penalty + p->presence_penalty;
    }
}

/* Softmax over cand[0..n) (sorted descending), returning nothing; fills p. */
static void softmax(struct sampler_cand *c, int n)
{
    float max = c[0].logit;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        c[i].p = expf(c[i].logit - max);
        sum += c[i].p;
    }
    for (int i = 0; i < n; i++)
        c[i].p = (float)(c[i].p / sum);
}

/* Moves the k best candidates to the front, sorted. */
static void keep_top(struct sampler_cand *c, int n, int k)
{
    if (k >= n) {
        qsort(c, (size_t)n, sizeof *c, cand_cmp);
        return;
    }
    /* Selection: keep a sorted prefix of size k by insertion; O(n k) worst case but k is small
     * in practice, and for large k fall back to a full sort. */
    if (k > 128) {
        qsort(c, (size_t)n, sizeof *c, cand_cmp);
        return;
    }
    qsort(c, (size_t)k, sizeof *c, cand_cmp);
    for (int i = k; i < n; i++) {
        if (cand_cmp(&c[i], &c[k - 1]) >= 0)
            continue;
        struct sampler_cand t = c[i];
        int j = k - 1;
        while (j > 0 && cand_cmp(&t, &c[j - 1]) < 0) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = t;
    }
}

int32_t llm_sampler_sample(struct llm_sampler *s, const float *logits)
{
    const struct llm_sampler_params *p = &s->params;
    int n = s->n_vocab;
    for (int i = 0; i < n; i++) {
        s->cand[i].id = i;
        s->cand[i].logit = logits[i];
        s->cand[i].p = 0;
    }
    apply_penalties(s);
    if (p->temperature <= 0) {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (s->cand[i].logit > s->cand[best].logit)
                best = i;
        return s->cand[best].id;
    }
    struct sampler_cand *c = s->cand;
    int k = p->top_k > 0 && p->top_k < n ? p->top_k : n;
    keep_top(c, n, k);
    n = k;
    if (p->top_p < 1.0f) {
        softmax(c, n);
        double cum = 0;
        int keep = n;
        for (int i = 0; i < n; i++) {
            cum += c[i].p;
            if (cum >= p->top_p) {
                keep = i + 1;
                break;
            }
        }
        n = keep;
    }
    if (p->min_p > 0.0f) {
        softmax(c, n);
        float floor_p = p->min_p * c[0].p;
        int keep = 1;
        while (keep < n && c[keep].p >= floor_p)
            keep++;
        n = keep;
    }
    for (int i = 0; i < n; i++)
        c[i].logit /= p->temperature;
    softmax(c, n);
    double u = rng_uniform(s->rng);
    double cum = 0;
    for (int i = 0; i < n; i++) {
        cum += c[i].p;
        if (u < cum)
            return c[i].id;
    }
    return c[n - 1].id;
}
