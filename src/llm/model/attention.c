/* model/attention.c: causal softmax attention over the KV cache (grouped KV heads), for a
 * batch of tokens or one decode step alike.
 *
 * The cache of layer il and slot seq is two arrays of n_ctx x kv_dim elements (F16 or F32):
 * K transposed (row g * head_dim + d holds dimension d of KV head g for every position) and
 * V by position (row p holds all kv_dim values of position p). A pool chunk is one token and
 * one KV head: the n_head / n_head_kv query heads that share it are computed together as two
 * small matrix products (kernels/att.h),
 *
 *   S = Q Kt * scale        (queries x positions 0..pos: the causal mask is the length)
 *   P = softmax(S) per row  (max, expf, the sum in double, then one multiplication by 1/sum)
 *   O = P V                 (queries x head_dim, into att_out)
 *
 * with ggml's roundings for an F16 cache (queries and probabilities rounded to F16, products
 * summed in F32). Every element is a fixed-order chain, independent of how many tokens the
 * batch holds, so a prompt token's output equals the decode step's for the same position. */
#include <math.h>
#include <string.h>

#include "llm/kernels/att.h"
#include "llm/model/internal.h"

struct att_job {
    struct llm_context *c;             /* context */
    int il;                            /* layer */
    const struct llm_fwd *f;           /* batch */
    const struct llm_att_kernels *k;   /* products */
};

/* First element of the cache arrays of layer il, slot seq. */
static inline size_t cache_base(const struct llm_context *c, int il, int seq)
{
    const struct llm_hparams *hp = &c->model->hp;
    size_t kv_dim = (size_t)hp->n_head_kv * (size_t)hp->head_dim;
    return ((size_t)il * (size_t)c->p.n_seq + (size_t)seq) * (size_t)c->p.n_ctx * kv_dim;
}

static void softmax_row(float *s, int n)
{
    float max = -INFINITY;
    for (int p = 0; p < n; p++)
        if (s[p] > max)
            max = s[p];
    double sum = 0.0;
    for (int p = 0; p < n; p++) {
        float e = expf(s[p] - max);
        s[p] = e;
        sum += e;
    }
    const float inv = (float)(1.0 / sum);
    for (int p = 0; p < n; p++)
        s[p] *= inv;
}

static void att_chunk(void *arg, int chunk, int thread)
{
    const struct att_job *j = arg;
    struct llm_context *c = j->c;
    const struct llm_hparams *hp = &c->model->hp;
    struct llm_thread_scratch *ts = &c->ts[thread];
    const int t = chunk / hp->n_head_kv, g = chunk % hp->n_head_kv;
    const int G = hp->n_head / hp->n_head_kv, hd = hp->head_dim;
    const int n = j->f->pos[t] + 1;
    const size_t q_dim = (size_t)hp->n_head * (size_t)hd;
    const size_t kv_dim = (size_t)hp->n_head_kv * (size_t)hd;
    const size_t n_ctx = (size_t)c->p.n_ctx;
    const size_t head0 = (size_t)t * q_dim + (size_t)g * (size_t)G * (size_t)hd;
    const bool f16 = c->p.kv_type != LLM_KV_F32;
    const struct llm_att_kernels *k = j->k;

    float *q = ts->qh;
    memcpy(q, c->q + head0, (size_t)G * (size_t)hd * sizeof(float));
    if (f16)
        k->round_f16(q, G * hd);
    const size_t base = cache_base(c, j->il, j->f->seq[t]);
    const char *kt = (const char *)c->k_cache + (base + (size_t)g * (size_t)hd * n_ctx) * c->kv_esz;
    const char *v = (const char *)c->v_cache + (base + (size_t)g * (size_t)hd) * c->kv_esz;
    const float scale = 1.0f / sqrtf((float)hd);
    (f16 ? k->scores_f16 : k->scores_f32)(hd, G, q, (size_t)hd, kt, n_ctx, n, scale, ts->att,
                                          n_ctx);
    for (int i = 0; i < G; i++) {
        float *row = ts->att + (size_t)i * n_ctx;
        softmax_row(row, n);
        if (f16)
            k->round_f16(row, n);
    }
    (f16 ? k->values_f16 : k->values_f32)(hd, G, ts->att, n_ctx, v, kv_dim, n, c->att_out + head0,
                                          (size_t)hd);
}

void llm__attention(struct llm_context *c, int il, const struct llm_fwd *f)
{
    const struct llm_hparams *hp = &c->model->hp;
    const size_t kv_dim = (size_t)hp->n_head_kv * (size_t)hp->head_dim;
    const size_t n_ctx = (size_t)c->p.n_ctx;
    for (int t = 0; t < f->n; t++) {
        const size_t base = cache_base(c, il, f->seq[t]);
        const size_t pos = (size_t)f->pos[t];
        const float *k = c->k + (size_t)t * kv_dim;
        const float *v = c->v + (size_t)t * kv_dim;
        if (c->p.kv_type == LLM_KV_F32) {
            float *kd = (float *)c->k_cache + base + pos; /* then i * n_ctx */
            for (size_t i = 0; i < kv_dim; i++)
                kd[i * n_ctx] = k[i];
            memcpy((float *)c->v_cache + base + pos * kv_dim, v, kv_dim * sizeof(float));
        } else {
            uint16_t *kd = (uint16_t *)c->k_cache + base + pos;
            uint16_t *vd = (uint16_t *)c->v_cache + base + pos * kv_dim;
            for (size_t i = 0; i < kv_dim; i++) {
                kd[i * n_ctx] = llm_f32_to_fp16(k[i]);
                vd[i] = llm_f32_to_fp16(v[i]);
            }
        }
    }
    struct att_job j = {c, il, f, llm_att_kernels()};
    llm_pool_run(c->pool, att_chunk, &j, f->n * hp->n_head_kv);
}
