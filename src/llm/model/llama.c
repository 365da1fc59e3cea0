/* model/llama.c: the llama architecture family: `llama` (Llama 1/2/3, TinyLlama, SmolLM,
 * Mistral-style dense models) and `qwen2` (same block plus Q/K/V biases and NeoX RoPE).
 *
 * llm__llama_load reads the hyper-parameters from the GGUF keys (one function) and binds every
 * tensor by name with its shape checked; llm__llama_forward runs the blocks:
 *
 *   x = token_embd[tokens]                                   [n][n_embd]
 *   per layer:
 *     h = rmsnorm(x) * attn_norm
 *     q = h Wq (+bq), k = h Wk (+bk), v = h Wv (+bv)         [n][q_dim], [n][kv_dim] x2
 *     q, k = rope(q, k, pos)
 *     a = softmax(q k^T / sqrt(head_dim), causal per slot) v [n][q_dim]   (GQA)
 *     x = x + a Wo
 *     h = rmsnorm(x) * ffn_norm
 *     x = x + (silu(h Wgate) * (h Wup)) Wdown
 *   logits = (rmsnorm(x) * output_norm) Wout                 [n_out][n_vocab]
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "llm/model/internal.h"

#define LOAD_FAIL(code, ...)                                                   \
    do {                                                                       \
        if (err_len > 0)                                                       \
            snprintf(err, err_len, __VA_ARGS__);                               \
        return (code);                                                         \
    } while (0)

/* Reads an integer hyper-parameter "<arch>.<name>" into *out (def when absent, -1 = required). */
static int hp_int(struct llm_model *m, const char *name, int64_t def, int *out, char *err,
                  size_t err_len)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", m->arch_name, name);
    int64_t v = 0;
    if (def < 0 && llm_gguf_find_key(m->gguf, key) < 0)
        LOAD_FAIL(ERR_INVALID, "missing key %s", key);
    if (llm_gguf_get_i64(m->gguf, key, def, &v) != 0 || v < 0 || v > (1 << 30))
        LOAD_FAIL(ERR_INVALID, "bad value for %s", key);
    *out = (int)v;
    return 0;
}

static int hp_float(struct llm_model *m, const char *name, float def, float *out, char *err,
                    size_t err_len)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", m->arch_name, name);
    if (llm_gguf_get_f32(m->gguf, key, def, out) != 0 || !isfinite(*out))
        LOAD_FAIL(ERR_INVALID, "bad value for %s", key);
    return 0;
}

static int load_hparams(struct llm_model *m, char *err, size_t err_len)
{
    struct llm_hparams *hp = &m->hp;
    int rc = 0;
    if (rc == 0)
        rc = hp_int(m, "embedding_length", -1, &hp->n_embd, err, err_len);
    if (rc == 0)
        rc = hp_int(m, "block_count", -1, &hp->n_layer, err, err_len);
    if (rc == 0)
        rc = hp_int(m, "feed_forward_length", -1, &hp->n_ff, err, err_len);
    if (rc == 0)
        rc = hp_int(m, "attention.head_count", -1, &hp->n_head, err, err_len);
    if (rc == 0)
        rc = hp_int(m, "attention.head_count_kv", hp->n_head, &hp->n_head_kv, err, err_len);
    if (rc == 0)
        rc = hp_int(m, "context_length", 2048, &hp->n_ctx_train, err, err_len);
    if (rc == 0)
        rc = hp_float(m, "attention.layer_norm_rms_epsilon", 1e-5f, &hp->rms_eps, err, err_len);
    if (rc == 0)
        rc = hp_float(m, "rope.freq_base", 10000.0f, &hp->rope_freq_base, err, err_len);
    if (rc != 0)
        return rc;
    if (hp->n_embd < 1 || hp->n_layer < 1 || hp->n_ff < 1 || hp->n_head < 1 ||
        hp->n_head_kv < 1 || hp->n_head % hp->n_head_kv != 0 || hp->n_embd % hp->n_head != 0 ||
        hp->n_ctx_train < 1)
        LOAD_FAIL(ERR_INVALID, "inconsistent hyper-parameters (n_embd %d, heads %d/%d)",
                  hp->n_embd, hp->n_head, hp->n_head_kv);
    hp->head_dim = hp->n_embd / hp->n_head;
    int key_len = 0, value_len = 0;
    rc = hp_int(m, "attention.key_length", hp->head_dim, &key_len, err, err_len);
    if (rc == 0)
        rc = hp_int(m, "attention.value_length", hp->head_dim, &value_len, err, err_len);
    if (rc != 0)
        return rc;
    if (key_len != hp->head_dim || value_len != hp->head_dim)
        LOAD_FAIL(ERR_UNSUPPORTED, "head size %d/%d differs from n_embd / n_head = %d", key_len,
                  value_len, hp->head_dim);
    rc = hp_int(m, "rope.dimension_count", hp->head_dim, &hp->n_rot, err, err_len);
    if (rc != 0)
        return rc;
    if (hp->n_rot < 2 || hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
        LOAD_FAIL(ERR_INVALID, "bad rope.dimension_count %d", hp->n_rot);
    if (hp->rope_freq_base <= 0)
        LOAD_FAIL(ERR_INVALID, "bad rope.freq_base");
    hp->rope_freq_scale = 1.0f;
    char key[96];
    snprintf(key, sizeof key, "%s.rope.scaling.type", m->arch_name);
    struct str type = {0};
    if (llm_gguf_get_str(m->gguf, key, (struct str){"none", 4}, &type) != 0)
        LOAD_FAIL(ERR_INVALID, "bad %s", key);
    if (str_eq_cstr(type, "linear")) {
        float factor = 1.0f;
        rc = hp_float(m, "rope.scaling.factor", 1.0f, &factor, err, err_len);
        if (rc != 0)
            return rc;
        if (factor <= 0)
            LOAD_FAIL(ERR_INVALID, "bad rope.scaling.factor");
        hp->rope_freq_scale = 1.0f / factor;
    } else if (!str_eq_cstr(type, "none")) {
        LOAD_FAIL(ERR_UNSUPPORTED, "rope scaling type %.*s not supported", (int)type.len,
                  type.ptr);
    }
    hp->rope_kind = m->arch == LLM_ARCH_QWEN2 ? LLM_ROPE_NEOX : LLM_ROPE_NORMAL;
    return rc;
}

/* Binds a 2-D weight matrix `name` of shape [n_in, n_out] (n_out < 0: any, returned). */
static int bind_mat(struct llm_model *m, const char *name, int64_t n_in, int64_t n_out,
                    struct llm_mat *out, char *err, size_t err_len)
{
    const struct llm_gguf_tensor *t = llm_gguf_find_tensor(m->gguf, name);
    if (!t)
        LOAD_FAIL(ERR_INVALID, "missing tensor %s", name);
    if (t->ne[0] != n_in || (n_out >= 0 && t->ne[1] != n_out) || t->ne[2] != 1 || t->ne[3] != 1)
        LOAD_FAIL(ERR_INVALID, "tensor %s has shape [%lld, %lld], want [%lld, %lld]", name,
                  (long long)t->ne[0], (long long)t->ne[1], (long long)n_in, (long long)n_out);
    const struct llm_type_traits *wt = llm_type_traits(t->type);
    if (!wt || !wt->vec_dot || !wt->to_float)
        LOAD_FAIL(ERR_UNSUPPORTED, "tensor %s: type %s not supported", name,
                  llm_type_name(t->type));
    const struct llm_type_traits *at = llm_type_traits(wt->vec_dot_type);
    if (!at || (at->type != LLM_TYPE_F32 && !at->from_float))
        LOAD_FAIL(ERR_UNSUPPORTED, "tensor %s: no activation type for %s", name,
                  llm_type_name(t->type));
    if (n_in % wt->block_size != 0 || n_in % at->block_size != 0)
        LOAD_FAIL(ERR_INVALID, "tensor %s: row of %lld is no multiple of the block size", name,
                  (long long)n_in);
    out->data = t->data;
    out->type = t->type;
    out->wt = wt;
    out->at = at;
    out->n_in = t->ne[0];
    out->n_out = t->ne[1];
    if (llm_type_row_size(t->type, t->ne[0], &out->row_bytes) != 0)
        LOAD_FAIL(ERR_INVALID, "tensor %s: bad row size", name);
    return 0;
}

/* Converts a 1-D tensor of n elements to floats at *cursor (advanced). */
static int bind_vec(struct llm_model *m, const char *name, int64_t n, bool optional,
                    float **cursor, const float **out, char *err, size_t err_len)
{
    const struct llm_gguf_tensor *t = llm_gguf_find_tensor(m->gguf, name);
    *out = NULL;
    if (!t) {
        if (optional)
            return 0;
        LOAD_FAIL(ERR_INVALID, "missing tensor %s", name);
    }
    if (t->n_elements != n || t->ne[0] != n)
        LOAD_FAIL(ERR_INVALID, "tensor %s has %lld elements, want %lld", name,
                  (long long)t->n_elements, (long long)n);
    const struct llm_type_traits *tr = llm_type_traits(t->type);
    if (!tr || !tr->to_float || n % tr->block_size != 0)
        LOAD_FAIL(ERR_UNSUPPORTED, "tensor %s: type %s not supported", name,
                  llm_type_name(t->type));
    tr->to_float(t->data, *cursor, n);
    *out = *cursor;
    *cursor += n;
    return 0;
}

int llm__llama_load(struct llm_model *m, char *err, size_t err_len)
{
    int rc = load_hparams(m, err, err_len);
    if (rc != 0)
        return rc;
    struct llm_hparams *hp = &m->hp;
    const struct llm_gguf_tensor *emb = llm_gguf_find_tensor(m->gguf, "token_embd.weight");
    if (!emb || emb->ne[1] < 1 || emb->ne[1] > (1 << 24))
        LOAD_FAIL(ERR_INVALID, "missing or bad token_embd.weight");
    hp->n_vocab = (int)emb->ne[1];
    int64_t q_dim = (int64_t)hp->n_head * hp->head_dim;
    int64_t kv_dim = (int64_t)hp->n_head_kv * hp->head_dim;
    rc = bind_mat(m, "token_embd.weight", hp->n_embd, hp->n_vocab, &m->token_embd, err, err_len);
    if (rc != 0)
        return rc;
    if (llm_gguf_find_tensor(m->gguf, "output.weight")) {
        rc = bind_mat(m, "output.weight", hp->n_embd, hp->n_vocab, &m->output, err, err_len);
        if (rc != 0)
            return rc;
    } else {
        m->output = m->token_embd;
        m->tied_output = true;
    }
    /* every block has at least 9 tensors: bounds the allocations below by the file itself */
    if ((int64_t)hp->n_layer * 9 > llm_gguf_tensor_count(m->gguf))
        LOAD_FAIL(ERR_INVALID, "block_count %d does not match the %lld tensors in the file",
                  hp->n_layer, (long long)llm_gguf_tensor_count(m->gguf));
    size_t n_floats = (size_t)hp->n_embd * (size_t)(2 * hp->n_layer + 1) +
                      (size_t)hp->n_layer * (size_t)(q_dim + 2 * kv_dim) + (size_t)hp->n_rot / 2;
    m->floats = xcalloc(n_floats, sizeof(float));
    m->layers = xcalloc((size_t)hp->n_layer, sizeof *m->layers);
    float *cur = m->floats;
    rc = bind_vec(m, "output_norm.weight", hp->n_embd, false, &cur, &m->output_norm, err,
                  err_len);
    if (rc == 0)
        rc = bind_vec(m, "rope_freqs.weight", hp->n_rot / 2, true, &cur, &m->rope_freqs, err,
                      err_len);
    bool biases = m->arch == LLM_ARCH_QWEN2;
    for (int il = 0; il < hp->n_layer && rc == 0; il++) {
        struct llm_layer *L = &m->layers[il];
        char name[96];
#define NAME(s) (snprintf(name, sizeof name, "blk.%d." s, il), name)
        rc = bind_vec(m, NAME("attn_norm.weight"), hp->n_embd, false, &cur, &L->attn_norm, err,
                      err_len);
        if (rc == 0)
            rc = bind_vec(m, NAME("ffn_norm.weight"), hp->n_embd, false, &cur, &L->ffn_norm, err,
                          err_len);
        if (rc == 0)
            rc = bind_vec(m, NAME("attn_q.bias"), q_dim, !biases, &cur, &L->bq, err, err_len);
        if (rc == 0)
            rc = bind_vec(m, NAME("attn_k.bias"), kv_dim, !biases, &cur, &L->bk, err, err_len);
        if (rc == 0)
            rc = bind_vec(m, NAME("attn_v.bias"), kv_dim, !biases, &cur, &L->bv, err, err_len);
        if (rc == 0)
            rc = bind_mat(m, NAME("attn_q.weight"), hp->n_embd, q_dim, &L->wq, err, err_len);
        if (rc == 0)
            rc = bind_mat(m, NAME("attn_k.weight"), hp->n_embd, kv_dim, &L->wk, err, err_len);
        if (rc == 0)
            rc = bind_mat(m, NAME("attn_v.weight"), hp->n_embd, kv_dim, &L->wv, err, err_len);
        if (rc == 0)
            rc = bind_mat(m, NAME("attn_output.weight"), q_dim, hp->n_embd, &L->wo, err, err_len);
        if (rc == 0)
            rc = bind_mat(m, NAME("ffn_gate.weight"), hp->n_embd, hp->n_ff, &L->ffn_gate, err,
                          err_len);
        if (rc == 0)
            rc = bind_mat(m, NAME("ffn_up.weight"), hp->n_embd, hp->n_ff, &L->ffn_up, err,
                          err_len);
        if (rc == 0)
            rc = bind_mat(m, NAME("ffn_down.weight"), hp->n_ff, hp->n_embd, &L->ffn_down, err,
                          err_len);
#undef NAME
    }
    ASSERT(cur <= m->floats + n_floats);
    return rc;
}

static void add_bias(float *y, const float *b, int n, int dim)
{
    if (!b)
        return;
    for (int t = 0; t < n; t++)
        for (int i = 0; i < dim; i++)
            y[(size_t)t * (size_t)dim + (size_t)i] += b[i];
}

static void add_into(float *x, const float *y, size_t count)
{
    for (size_t i = 0; i < count; i++)
        x[i] += y[i];
}

void llm__llama_forward(struct llm_context *c, const struct llm_fwd *f)
{
    const struct llm_model *m = c->model;
    const struct llm_hparams *hp = &m->hp;
    int n = f->n;
    int E = hp->n_embd;
    int q_dim = hp->n_head * hp->head_dim;
    int kv_dim = hp->n_head_kv * hp->head_dim;
    int F = hp->n_ff;

    llm__embed_rows(&m->token_embd, f->token, n, c->x);
    for (int il = 0; il < hp->n_layer; il++) {
        const struct llm_layer *L = &m->layers[il];
        llm__rmsnorm(c->xb, c->x, L->attn_norm, n, E, hp->rms_eps);
        const struct llm_mat *qkv[3] = {&L->wq, &L->wk, &L->wv};
        float *const qkv_out[3] = {c->q, c->k, c->v};
        const int qkv_ld[3] = {q_dim, kv_dim, kv_dim};
        llm__matmul_n(c, 3, qkv, qkv_out, qkv_ld, c->xb, E, n);
        add_bias(c->q, L->bq, n, q_dim);
        add_bias(c->k, L->bk, n, kv_dim);
        add_bias(c->v, L->bv, n, kv_dim);
        llm__rope(c, c->q, c->k, f->pos, n);
        llm__attention(c, il, f);
        llm__matmul(c, &L->wo, c->att_out, q_dim, n, c->xb, E);
        add_into(c->x, c->xb, (size_t)n * (size_t)E);

        llm__rmsnorm(c->xb, c->x, L->ffn_norm, n, E, hp->rms_eps);
        const struct llm_mat *gu[2] = {&L->ffn_gate, &L->ffn_up};
        float *const gu_out[2] = {c->hb, c->hb2};
        const int gu_ld[2] = {F, F};
        llm__matmul_n(c, 2, gu, gu_out, gu_ld, c->xb, E, n);
        llm__swiglu(c, c->hb, c->hb2, (size_t)n * (size_t)F);
        llm__matmul(c, &L->ffn_down, c->hb, F, n, c->xb, E);
        add_into(c->x, c->xb, (size_t)n * (size_t)E);
    }
    if (f->embed) {
        llm__rmsnorm(c->xb, c->x, m->output_norm, n, E, hp->rms_eps);
        for (int t = 0; t < n; t++)
            for (int i = 0; i < E; i++)
                c->embd_sum[i] += c->xb[(size_t)t * (size_t)E + (size_t)i];
    }
    if (f->n_out == 0)
        return;
    for (int i = 0; i < f->n_out; i++)
        llm__rmsnorm(c->out_x + (size_t)i * (size_t)E, c->x + (size_t)f->out_idx[i] * (size_t)E,
                     m->output_norm, 1, E, hp->rms_eps);
    llm__matmul(c, &m->output, c->out_x, E, f->n_out,
                c->logits + (size_t)f->out_base * (size_t)hp->n_vocab, hp->n_vocab);
}
