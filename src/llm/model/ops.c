/* model/ops.c: the compute steps of a transformer forward pass, written to reproduce ggml's CPU
 * arithmetic (matrix products with ggml's activation quantization, RMSNorm, RoPE, causal
 * softmax attention with grouped KV heads), multi-threaded with the context's pool.
 *
 * Everything works on the context's preallocated scratch; nothing here allocates. */
#include <math.h>
#include <string.h>

#include "base/mem.h"
#include "llm/kernels/packed.h"
#include "llm/kernels/packed_k.h"
#include "llm/model/internal.h"

/* ---- matrix products -------------------------------------------------------------------- */

/* A product is cut into about MM_CHUNKS_PER_THREAD chunks per thread of at least 16 rows:
 * enough for the pool to even out a slow thread, few enough that taking chunks (an atomic
 * on a shared line) stays cheap against a decode step's small products. */
enum { MM_MIN_ROWS = 16, MM_CHUNKS_PER_THREAD = 4 };

struct mm_part {
    const struct llm_mat *w; /* weights */
    float *y;                /* output */
    int ldy;                 /* output row stride (floats) */
    int chunk0;              /* first chunk number of this part */
};

struct mm_job {
    struct mm_part part[LLM_MATMUL_MAX_PARTS]; /* matrices sharing one input */
    int n_parts;             /* used entries */
    const char *act;         /* activation rows in the weights' vec_dot type */
    size_t act_stride;       /* bytes between activation rows */
    int n;                   /* tokens */
    int64_t chunk_rows;      /* rows per chunk (a multiple of 16) */
};

static void mm_chunk(void *arg, int chunk, int thread)
{
    (void)thread;
    const struct mm_job *j = arg;
    int pi = j->n_parts - 1;
    while (pi > 0 && j->part[pi].chunk0 > chunk)
        pi--;
    const struct mm_part *part = &j->part[pi];
    const struct llm_mat *w = part->w;
    int64_t r0 = (int64_t)(chunk - part->chunk0) * j->chunk_rows;
    int64_t r1 = r0 + j->chunk_rows < w->n_out ? r0 + j->chunk_rows : w->n_out;
    const char *wd = w->data;
    float *y = part->y;
    if (w->packed) {
        llm_pack_matmul(w->type, w->n_in, wd, r0, r1, j->act, j->act_stride, j->n, y,
                        (size_t)part->ldy);
        return;
    }
    if (j->n == 1) {
        llm_vec_dot_fn dot = w->wt->vec_dot;
        for (int64_t r = r0; r < r1; r++)
            y[r] = dot(w->n_in, wd + (size_t)r * w->row_bytes, j->act);
        return;
    }
    /* all tokens against the chunk's rows (kernels/matmul.c: column tiles that stay in
     * cache, weight rows unpacked once per tile, or the type's tile kernel; every value
     * bit-identical to vec_dot on its row and token) */
    llm_matmul_rows(w->wt, w->n_in, wd, w->row_bytes, r0, r1, j->act, j->act_stride, j->n, y,
                    (size_t)part->ldy);
}

struct quant_job {
    llm_from_float_fn from_float; /* activation quantizer */
    const float *x;               /* input rows */
    int ldx;                      /* input stride (floats) */
    int64_t n_in;                 /* elements per row */
    char *act;                    /* output rows */
    size_t stride;                /* bytes per output row */
    bool packed;                  /* rows for packed weights: add corrections and scales */
    enum llm_type packed_type;    /* the packed weights' type */
};

static void quant_chunk(void *arg, int t, int thread)
{
    (void)thread;
    const struct quant_job *j = arg;
    char *row = j->act + (size_t)t * j->stride;
    j->from_float(j->x + (size_t)t * (size_t)j->ldx, row, j->n_in);
    if (j->packed)
        llm_pack_act_sums(j->packed_type, row, j->n_in);
}

void llm__matmul_n(struct llm_context *c, int count, const struct llm_mat *const *ws,
                   float *const *ys, const int *ldys, const float *x, int ldx, int n)
{
    ASSERT(count >= 1 && count <= LLM_MATMUL_MAX_PARTS);
    for (int i = 1; i < count; i++) {
        if (ws[i]->at->type != ws[0]->at->type || ws[i]->n_in != ws[0]->n_in ||
            ws[i]->packed != ws[0]->packed ||
            (ws[0]->packed && ws[i]->type != ws[0]->type &&
             !(llm_pack_k_type(ws[i]->type) && llm_pack_k_type(ws[0]->type)))) {
            /* different activation rows (packed Q4_K and Q6_K share plain Q8_K rows): one
             * product at a time */
            for (int k = 0; k < count; k++)
                llm__matmul_n(c, 1, &ws[k], &ys[k], &ldys[k], x, ldx, n);
            return;
        }
    }
    const struct llm_mat *w0 = ws[0];
    struct mm_job job = {.n_parts = count, .n = n};
    if (w0->at->type == LLM_TYPE_F32) {
        job.act = (const char *)x; /* F32 weights take the activations as they are */
        job.act_stride = (size_t)ldx * sizeof(float);
    } else {
        size_t row = 0;
        int rc = llm_type_row_size(w0->at->type, w0->n_in, &row);
        if (w0->packed)
            row = llm_pack_act_row_size(w0->n_in);
        ASSERT(rc == 0 && row * (size_t)n <= c->act_row_stride * (size_t)c->p.n_batch);
        struct quant_job qj = {w0->at->from_float, x, ldx, w0->n_in, c->act, row, w0->packed,
                               w0->type};
        llm_pool_run(c->pool, quant_chunk, &qj, n);
        job.act = c->act;
        job.act_stride = row;
    }
    int64_t rows = 0;
    for (int i = 0; i < count; i++)
        rows += ws[i]->n_out;
    int64_t per = rows / ((int64_t)llm_pool_threads(c->pool) * MM_CHUNKS_PER_THREAD);
    job.chunk_rows = per <= MM_MIN_ROWS ? MM_MIN_ROWS
                                        : (per + MM_MIN_ROWS - 1) / MM_MIN_ROWS * MM_MIN_ROWS;
    int n_chunks = 0;
    for (int i = 0; i < count; i++) {
        job.part[i] = (struct mm_part){ws[i], ys[i], ldys[i], n_chunks};
        n_chunks += (int)((ws[i]->n_out + job.chunk_rows - 1) / job.chunk_rows);
    }
    llm_pool_run_split(c->pool, mm_chunk, &job, n_chunks); /* each thread reads one stretch */
}

void llm__matmul(struct llm_context *c, const struct llm_mat *w, const float *x, int ldx, int n,
                 float *y, int ldy)
{
    llm__matmul_n(c, 1, &w, &y, &ldy, x, ldx, n);
}

/* ---- elementwise ---------------------------------------------------------------------- */

void llm__rmsnorm(float *y, const float *x, const float *weight, int n, int dim, float eps)
{
    for (int t = 0; t < n; t++) {
        const float *xr = x + (size_t)t * (size_t)dim;
        float *yr = y + (size_t)t * (size_t)dim;
        double sum = 0.0; /* ggml sums the float squares in ggml_float (double) */
        for (int i = 0; i < dim; i++)
            sum += (double)(xr[i] * xr[i]);
        const float mean = (float)(sum / dim);
        const float scale = 1.0f / sqrtf(mean + eps);
        for (int i = 0; i < dim; i++)
            yr[i] = (xr[i] * scale) * weight[i];
    }
}

struct swiglu_job {
    float *g;       /* gate in, result out */
    const float *u; /* up */
    size_t count;   /* elements */
};

enum { SWIGLU_CHUNK = 2048 };

static void swiglu_chunk(void *arg, int chunk, int thread)
{
    (void)thread;
    const struct swiglu_job *j = arg;
    size_t i0 = (size_t)chunk * SWIGLU_CHUNK;
    size_t i1 = i0 + SWIGLU_CHUNK < j->count ? i0 + SWIGLU_CHUNK : j->count;
    for (size_t i = i0; i < i1; i++) {
        float g = j->g[i];
        j->g[i] = g / (1.0f + expf(-g)) * j->u[i];
    }
}

void llm__swiglu(struct llm_context *c, float *g, const float *u, size_t count)
{
    struct swiglu_job j = {g, u, count};
    llm_pool_run(c->pool, swiglu_chunk, &j, (int)((count + SWIGLU_CHUNK - 1) / SWIGLU_CHUNK));
}

void llm__embed_rows(const struct llm_mat *emb, const int32_t *tokens, int n, float *x)
{
    for (int t = 0; t < n; t++) {
        if (emb->packed) {
            llm_pack_row_to_float(emb->type, emb->data, emb->n_in, tokens[t],
                                  x + (size_t)t * (size_t)emb->n_in);
            continue;
        }
        emb->wt->to_float((const char *)emb->data + (size_t)tokens[t] * emb->row_bytes,
                          x + (size_t)t * (size_t)emb->n_in, emb->n_in);
    }
}

/* ---- rotary position embedding -------------------------------------------------------- */

struct rope_job {
    struct llm_context *c; /* scratch and hyper-parameters */
    float *q;              /* [n][n_head * head_dim] */
    float *k;              /* [n][n_head_kv * head_dim] */
    const int32_t *pos;    /* [n] */
};

static void rope_heads(float *v, int n_heads, int head_dim, int n_rot, enum llm_rope_kind kind,
                       const float *cs, const float *sn)
{
    for (int h = 0; h < n_heads; h++) {
        float *x = v + (size_t)h * (size_t)head_dim;
        if (kind == LLM_ROPE_NORMAL) {
            for (int i = 0; i < n_rot; i += 2) {
                float x0 = x[i], x1 = x[i + 1];
                float c = cs[i / 2], s = sn[i / 2];
                x[i] = x0 * c - x1 * s;
                x[i + 1] = x0 * s + x1 * c;
            }
        } else {
            int half = n_rot / 2;
            for (int i = 0; i < half; i++) {
                float x0 = x[i], x1 = x[i + half];
                float c = cs[i], s = sn[i];
                x[i] = x0 * c - x1 * s;
                x[i + half] = x0 * s + x1 * c;
            }
        }
    }
}

static void rope_chunk(void *arg, int t, int thread)
{
    const struct rope_job *j = arg;
    const struct llm_hparams *hp = &j->c->model->hp;
    struct llm_thread_scratch *ts = &j->c->ts[thread];
    /* ggml_rope_cache_init: theta starts at the position and is multiplied by
     * base^(-2/n_rot) per pair, divided by the pair's frequency factor when the model has
     * rope_freqs; freq_scale applies linear scaling (YaRN off). */
    const float theta_scale = powf(hp->rope_freq_base, -2.0f / (float)hp->n_rot);
    float theta = (float)j->pos[t];
    const float *ff = j->c->model->rope_freqs;
    for (int i = 0; i < hp->n_rot / 2; i++) {
        float th = hp->rope_freq_scale * (ff ? theta / ff[i] : theta);
        ts->rope_cs[i] = cosf(th);
        ts->rope_sn[i] = sinf(th);
        theta *= theta_scale;
    }
    size_t q_dim = (size_t)hp->n_head * (size_t)hp->head_dim;
    size_t kv_dim = (size_t)hp->n_head_kv * (size_t)hp->head_dim;
    rope_heads(j->q + (size_t)t * q_dim, hp->n_head, hp->head_dim, hp->n_rot, hp->rope_kind,
               ts->rope_cs, ts->rope_sn);
    rope_heads(j->k + (size_t)t * kv_dim, hp->n_head_kv, hp->head_dim, hp->n_rot, hp->rope_kind,
               ts->rope_cs, ts->rope_sn);
}

void llm__rope(struct llm_context *c, float *q, float *k, const int32_t *pos, int n)
{
    struct rope_job j = {c, q, k, pos};
    llm_pool_run(c->pool, rope_chunk, &j, n);
}
