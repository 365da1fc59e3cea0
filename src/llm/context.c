/* context.c: inference contexts: the one allocation holding the KV cache and all scratch,
 * batch validation and splitting (llm_decode), sequence slots, logits, embeddings.
 *
 * Design notes:
 * 1. context_layout() walks the pieces of the allocation in a fixed order; it runs once with
 *    base == NULL to total the size (with overflow checks) and once to hand out the pointers.
 *    Every piece starts on a 64-byte boundary.
 * 2. A batch is validated completely before anything runs, so a rejected batch changes
 *    nothing. Positions of a slot must continue from its length (seq_len), which keeps the
 *    cache of every slot a dense prefix [0, seq_len).
 * 3. Batches longer than n_batch run as consecutive forward passes; the KV rows of earlier
 *    passes are in the cache before later ones read them, so the result is the same causal
 *    computation. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "llm/model/internal.h"

enum { CTX_ALIGN = 64 };
#define CTX_MAX_BYTES ((size_t)1 << 40)

struct layout {
    char *base;    /* NULL while sizing */
    size_t off;    /* bytes so far */
    bool overflow; /* a size did not fit */
};

static void *take(struct layout *l, size_t count, size_t elem)
{
    size_t bytes;
    if (!mem_mul_ok(count, elem, &bytes) || bytes > CTX_MAX_BYTES || l->off > CTX_MAX_BYTES) {
        l->overflow = true;
        return NULL;
    }
    size_t at = (l->off + CTX_ALIGN - 1) & ~(size_t)(CTX_ALIGN - 1);
    l->off = at + bytes;
    return l->base ? l->base + at : NULL;
}

/* Scratch of the batch-to-forward conversion, kept beside the context's own fields. */
struct ctx_batch {
    int32_t *token;   /* [n_batch] */
    int32_t *pos;     /* [n_batch] */
    int32_t *seq;     /* [n_batch] */
    int32_t *out_idx; /* [n_batch] */
    int32_t *next;    /* [n_seq] next position per slot during validation */
};

static void context_layout(struct llm_context *c, struct layout *l, struct ctx_batch *b)
{
    const struct llm_hparams *hp = &c->model->hp;
    const struct llm_context_params *p = &c->p;
    size_t E = (size_t)hp->n_embd, F = (size_t)hp->n_ff;
    size_t q_dim = (size_t)hp->n_head * (size_t)hp->head_dim;
    size_t kv_dim = (size_t)hp->n_head_kv * (size_t)hp->head_dim;
    size_t nb = (size_t)p->n_batch;
    size_t kv_rows = 0;
    if (!mem_mul_ok((size_t)hp->n_layer * (size_t)p->n_seq, (size_t)p->n_ctx, &kv_rows) ||
        !mem_mul_ok(kv_rows, kv_dim, &kv_rows))
        l->overflow = true;
    c->k_cache = take(l, kv_rows, c->kv_esz);
    c->v_cache = take(l, kv_rows, c->kv_esz);
    c->seq_len = take(l, (size_t)p->n_seq, sizeof(int32_t));
    c->seq_tokens = take(l, (size_t)p->n_seq * (size_t)p->n_ctx, sizeof(int32_t));
    c->x = take(l, nb * E, sizeof(float));
    c->xb = take(l, nb * E, sizeof(float));
    c->q = take(l, nb * q_dim, sizeof(float));
    c->k = take(l, nb * kv_dim, sizeof(float));
    c->v = take(l, nb * kv_dim, sizeof(float));
    c->att_out = take(l, nb * q_dim, sizeof(float));
    c->hb = take(l, nb * F, sizeof(float));
    c->hb2 = take(l, nb * F, sizeof(float));
    size_t max_in = E > F ? E : F;
    if (q_dim > max_in)
        max_in = q_dim;
    c->act_row_stride = max_in * sizeof(float);
    c->act = take(l, nb, c->act_row_stride);
    size_t n_out_rows = (size_t)(p->n_outputs < p->n_batch ? p->n_outputs : p->n_batch);
    c->out_x = take(l, n_out_rows * E, sizeof(float));
    c->logits = take(l, (size_t)p->n_outputs * (size_t)hp->n_vocab, sizeof(float));
    c->embd_sum = take(l, E, sizeof(float));
    b->token = take(l, nb, sizeof(int32_t));
    b->pos = take(l, nb, sizeof(int32_t));
    b->seq = take(l, nb, sizeof(int32_t));
    b->out_idx = take(l, nb, sizeof(int32_t));
    b->next = take(l, (size_t)p->n_seq, sizeof(int32_t));
    for (int t = 0; t < p->n_threads; t++) {
        struct llm_thread_scratch *ts = &c->ts[t];
        size_t group = (size_t)(hp->n_head / hp->n_head_kv); /* query heads per KV head */
        ts->att = take(l, group * (size_t)p->n_ctx, sizeof(float));
        ts->rope_cs = take(l, (size_t)hp->n_rot / 2, sizeof(float));
        ts->rope_sn = take(l, (size_t)hp->n_rot / 2, sizeof(float));
        ts->qh = take(l, group * (size_t)hp->head_dim, sizeof(float));
    }
}

static struct ctx_batch *ctx_batch_of(struct llm_context *c)
{
    return (struct ctx_batch *)(c->ts + c->p.n_threads);
}

void llm_context_params_default(struct llm_context_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_ctx = 0;
    p->n_seq = 1;
    p->n_batch = 512;
    p->n_outputs = 1;
    p->n_threads = 2;
    p->kv_type = LLM_KV_F16;
}

static void set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || err_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

int llm_context_new(struct llm_model *m, const struct llm_context_params *params,
                    struct llm_context **out, char *err, size_t err_len)
{
    *out = NULL;
    set_err(err, err_len, "%s", "");
    struct llm_context_params p = *params;
    if (p.n_ctx == 0)
        p.n_ctx = m->hp.n_ctx_train < 4096 ? m->hp.n_ctx_train : 4096;
    if (p.n_ctx < 1 || p.n_ctx > m->hp.n_ctx_train) {
        set_err(err, err_len, "n_ctx %d is outside [1, %d] (the model's context length)", p.n_ctx,
                m->hp.n_ctx_train);
        return ERR_INVALID;
    }
    if (p.n_seq < 1 || p.n_seq > 4096 || p.n_batch < 1 || p.n_batch > 65536 || p.n_outputs < 1 ||
        p.n_outputs > 65536 || p.n_threads < 1 || p.n_threads > 256 ||
        (p.kv_type != LLM_KV_F16 && p.kv_type != LLM_KV_F32)) {
        set_err(err, err_len, "bad context parameters (n_seq %d, n_batch %d, n_outputs %d, "
                "threads %d)", p.n_seq, p.n_batch, p.n_outputs, p.n_threads);
        return ERR_INVALID;
    }
    struct llm_context *c = xcalloc(1, sizeof *c);
    c->model = llm_model_ref(m);
    c->p = p;
    c->kv_esz = p.kv_type == LLM_KV_F16 ? 2 : 4;
    c->ts = xcalloc((size_t)p.n_threads * sizeof *c->ts + sizeof(struct ctx_batch), 1);
    int rc = 0;
    struct layout l = {0};
    context_layout(c, &l, ctx_batch_of(c));
    if (l.overflow) {
        set_err(err, err_len, "context too large (n_ctx %d x n_seq %d)", p.n_ctx, p.n_seq);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    c->mem_bytes = l.off + CTX_ALIGN;
    c->mem = calloc(1, c->mem_bytes);
    if (!c->mem) {
        set_err(err, err_len, "cannot allocate %zu bytes for the KV cache and scratch",
                c->mem_bytes);
        rc = ERR_NOMEM;
        goto out;
    }
    l.base = (char *)(((uintptr_t)c->mem + CTX_ALIGN - 1) & ~(uintptr_t)(CTX_ALIGN - 1));
    l.off = 0;
    context_layout(c, &l, ctx_batch_of(c));
    c->pool = llm_pool_new(p.n_threads);
    if (!c->pool) {
        set_err(err, err_len, "cannot start %d threads", p.n_threads);
        rc = ERR_NOMEM;
        goto out;
    }
    *out = c;
    c = NULL;
out:
    llm_context_free(c);
    return rc;
}

void llm_context_free(struct llm_context *c)
{
    if (!c)
        return;
    llm_pool_free(c->pool);
    free(c->mem);
    free(c->ts);
    llm_model_unref(c->model);
    free(c);
}

const struct llm_model *llm_context_model(const struct llm_context *c)
{
    return c->model;
}

const char *llm_context_error(const struct llm_context *c)
{
    return c->err;
}

int llm_n_outputs(const struct llm_context *c)
{
    return c->n_out;
}

const float *llm_get_logits(const struct llm_context *c, int i)
{
    if (i < 0 || i >= c->n_out)
        return NULL;
    return c->logits + (size_t)i * (size_t)c->model->hp.n_vocab;
}

int llm_seq_len(const struct llm_context *c, int seq)
{
    if (seq < 0 || seq >= c->p.n_seq)
        return 0;
    return c->seq_len[seq];
}

int llm_seq_truncate(struct llm_context *c, int seq, int len)
{
    if (seq < 0 || seq >= c->p.n_seq || len < 0 || len > c->seq_len[seq])
        return ERR_INVALID;
    c->seq_len[seq] = len;
    return 0;
}

int llm_seq_common_prefix(const struct llm_context *c, int seq, const int32_t *tokens, int n)
{
    if (seq < 0 || seq >= c->p.n_seq)
        return 0;
    const int32_t *have = c->seq_tokens + (size_t)seq * (size_t)c->p.n_ctx;
    int k = 0;
    while (k < n && k < c->seq_len[seq] && have[k] == tokens[k])
        k++;
    return k;
}

void llm_seq_clear(struct llm_context *c, int seq)
{
    if (seq >= 0 && seq < c->p.n_seq)
        c->seq_len[seq] = 0;
}

/* Checks a batch without changing anything (note 2). */
static int decode_validate(struct llm_context *c, const struct llm_batch_item *items, int n,
                           bool want_logits)
{
    struct ctx_batch *b = ctx_batch_of(c);
    if (n < 1) {
        set_err(c->err, sizeof c->err, "empty batch");
        return ERR_INVALID;
    }
    memcpy(b->next, c->seq_len, (size_t)c->p.n_seq * sizeof(int32_t));
    int n_logits = 0;
    for (int i = 0; i < n; i++) {
        const struct llm_batch_item *it = &items[i];
        if (it->token < 0 || it->token >= c->model->hp.n_vocab) {
            set_err(c->err, sizeof c->err, "token %d out of range [0, %d)", it->token,
                    c->model->hp.n_vocab);
            return ERR_INVALID;
        }
        if (it->seq < 0 || it->seq >= c->p.n_seq) {
            set_err(c->err, sizeof c->err, "sequence slot %d out of range [0, %d)", it->seq,
                    c->p.n_seq);
            return ERR_INVALID;
        }
        if (it->pos >= c->p.n_ctx) {
            set_err(c->err, sizeof c->err,
                    "context overflow: position %d does not fit in n_ctx %d", it->pos, c->p.n_ctx);
            return ERR_TOO_LARGE;
        }
        if (it->pos != b->next[it->seq]) {
            set_err(c->err, sizeof c->err, "position %d of slot %d does not continue it (next %d)",
                    it->pos, it->seq, b->next[it->seq]);
            return ERR_INVALID;
        }
        b->next[it->seq]++;
        n_logits += want_logits && it->logits;
    }
    if (n_logits > c->p.n_outputs) {
        set_err(c->err, sizeof c->err, "%d tokens want logits, the context keeps %d", n_logits,
                c->p.n_outputs);
        return ERR_TOO_LARGE;
    }
    return 0;
}

/* Runs validated items in forward passes of at most n_batch tokens (note 3). */
static void decode_run(struct llm_context *c, const struct llm_batch_item *items, int n,
                       bool want_logits, bool embed)
{
    struct ctx_batch *b = ctx_batch_of(c);
    int out_base = 0;
    for (int start = 0; start < n; start += c->p.n_batch) {
        int m = n - start < c->p.n_batch ? n - start : c->p.n_batch;
        int n_out = 0;
        for (int i = 0; i < m; i++) {
            const struct llm_batch_item *it = &items[start + i];
            b->token[i] = it->token;
            b->pos[i] = it->pos;
            b->seq[i] = it->seq;
            if (want_logits && it->logits)
                b->out_idx[n_out++] = i;
        }
        struct llm_fwd f = {.n = m, .token = b->token, .pos = b->pos, .seq = b->seq,
                            .out_idx = b->out_idx, .n_out = n_out, .out_base = out_base,
                            .embed = embed};
        llm__llama_forward(c, &f);
        out_base += n_out;
        for (int i = 0; i < m; i++) {
            c->seq_len[b->seq[i]] = b->pos[i] + 1;
            c->seq_tokens[(size_t)b->seq[i] * (size_t)c->p.n_ctx + (size_t)b->pos[i]] =
                b->token[i];
        }
    }
    c->n_out = out_base;
}

int llm_decode(struct llm_context *c, const struct llm_batch_item *items, int n)
{
    int rc = decode_validate(c, items, n, true);
    if (rc != 0)
        return rc;
    c->err[0] = '\0';
    decode_run(c, items, n, true, false);
    return 0;
}

int llm_embed(struct llm_context *c, int seq, const int32_t *tokens, int n, float *out)
{
    if (seq < 0 || seq >= c->p.n_seq || n < 1) {
        set_err(c->err, sizeof c->err, "bad embedding request (slot %d, %d tokens)", seq, n);
        return ERR_INVALID;
    }
    if (n > c->p.n_ctx) {
        set_err(c->err, sizeof c->err, "context overflow: %d tokens do not fit in n_ctx %d", n,
                c->p.n_ctx);
        return ERR_TOO_LARGE;
    }
    int E = c->model->hp.n_embd;
    int saved = c->seq_len[seq];
    c->seq_len[seq] = 0;
    int rc = 0;
    /* items are built in place in chunks of n_batch, using the caller-visible struct */
    memset(c->embd_sum, 0, (size_t)E * sizeof(float));
    struct ctx_batch *b = ctx_batch_of(c);
    for (int i = 0; i < n && rc == 0; i++)
        if (tokens[i] < 0 || tokens[i] >= c->model->hp.n_vocab) {
            set_err(c->err, sizeof c->err, "token %d out of range", tokens[i]);
            rc = ERR_INVALID;
        }
    if (rc != 0) {
        c->seq_len[seq] = saved;
        return rc;
    }
    for (int start = 0; start < n; start += c->p.n_batch) {
        int m = n - start < c->p.n_batch ? n - start : c->p.n_batch;
        for (int i = 0; i < m; i++) {
            b->token[i] = tokens[start + i];
            b->pos[i] = start + i;
            b->seq[i] = seq;
        }
        struct llm_fwd f = {.n = m, .token = b->token, .pos = b->pos, .seq = b->seq,
                            .out_idx = b->out_idx, .n_out = 0, .out_base = 0, .embed = true};
        llm__llama_forward(c, &f);
        c->seq_len[seq] = start + m;
    }
    c->seq_len[seq] = 0;
    c->n_out = 0;
    double ss = 0;
    for (int i = 0; i < E; i++) {
        out[i] = c->embd_sum[i] / (float)n;
        ss += (double)out[i] * out[i];
    }
    float norm = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    for (int i = 0; i < E; i++)
        out[i] *= norm;
    return 0;
}
