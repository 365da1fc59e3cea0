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

/* The largest logit of c[0..n). */
static float max_logit(const struct sampler_cand *c, int n)
{
    float max = c[0].logit;
    for (int i = 1; i < n; i++)
        if (c[i].logit > max)
            max = c[i].logit;
    return max;
}

/* Softmax over c[0..n) (any order): fills p. */
static void softmax(struct sampler_cand *c, int n)
{
    float max = max_logit(c, n);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        c[i].p = expf(c[i].logit - max);
        sum += c[i].p;
    }
    for (int i = 0; i < n; i++)
        c[i].p = (float)(c[i].p / sum);
}

/* Moves the m best candidates of c[0..n) to the front, sorted best first: a quickselect
 * (Hoare partition; cand_cmp is a total order) then a sort of the m, so a small prefix of a
 * 150k vocabulary costs O(n), not a full sort. */
static void sort_prefix(struct sampler_cand *c, int n, int m)
{
    if (m < n) {
        int lo = 0, hi = n - 1, kth = m - 1;
        while (lo < hi) {
            struct sampler_cand pivot = c[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j) {
                while (cand_cmp(&c[i], &pivot) < 0)
                    i++;
                while (cand_cmp(&c[j], &pivot) > 0)
                    j--;
                if (i <= j) {
                    struct sampler_cand t = c[i];
                    c[i] = c[j];
                    c[j] = t;
                    i++;
                    j--;
                }
            }
            if (kth <= j)
                hi = j;
            else if (kth >= i)
                lo = i;
            else
                break;
        }
    } else {
        m = n;
    }
    qsort(c, (size_t)m, sizeof *c, cand_cmp);
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
    if (p->top_k > 0 && p->top_k < n) {
        sort_prefix(c, n, p->top_k);
        n = p->top_k;
    }
    if (p->top_p < 1.0f) {
        /* the smallest best-first prefix whose probability reaches top_p; sort only as much
         * of the list as that needs */
        float max = max_logit(c, n);
        double total = 0;
        for (int i = 0; i < n; i++)
            total += expf(c[i].logit - max);
        for (int m = n < 64 ? n : 64;; m = m > n / 8 ? n : m * 8) {
            sort_prefix(c, n, m);
            double cum = 0;
            int keep = 0;
            for (int i = 0; i < m; i++) {
                cum += expf(c[i].logit - max) / total;
                if (cum >= p->top_p) {
                    keep = i + 1;
                    break;
                }
            }
            if (keep > 0) {
                n = keep;
                break;
            }
            if (m == n)
                break;
        }
    }
    if (p->min_p > 0.0f) {
        /* p_i >= min_p * p_max  <=>  exp(l_i - l_max) >= min_p; order is kept */
        float max = max_logit(c, n);
        int keep = 0;
        for (int i = 0; i < n; i++)
            if (expf(c[i].logit - max) >= p->min_p)
                c[keep++] = c[i];
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
