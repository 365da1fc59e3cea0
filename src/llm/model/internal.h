/* model/internal.h: what the model loader, the architectures, the compute ops and the context
 * share inside src/llm (not part of the public API in llm/llm.h).
 *
 * A struct llm_model is immutable after loading: weights point into the read-only GGUF
 * mapping; the only mutable field is the atomic reference count. A struct llm_context owns one
 * allocation (`mem`) that holds the KV cache and all scratch of the forward pass, sized at
 * creation, so a forward pass allocates nothing. */
#ifndef RELAIS_LLM_MODEL_INTERNAL_H
#define RELAIS_LLM_MODEL_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/gguf.h"
#include "llm/llm.h"
#include "llm/pool.h"
#include "llm/quant/quant.h"

enum llm_arch {
    LLM_ARCH_LLAMA, /* "llama": normal RoPE, no biases */
    LLM_ARCH_QWEN2, /* "qwen2": NeoX RoPE, Q/K/V biases */
};

enum llm_rope_kind {
    LLM_ROPE_NORMAL, /* rotate pairs (2i, 2i+1) */
    LLM_ROPE_NEOX,   /* rotate pairs (i, i + n_rot/2) */
};

struct llm_hparams {
    int n_vocab;           /* rows of token_embd */
    int n_embd;            /* hidden size */
    int n_layer;           /* blocks */
    int n_ff;              /* feed-forward width */
    int n_head;            /* query heads */
    int n_head_kv;         /* key/value heads (GQA: divides n_head) */
    int head_dim;          /* n_embd / n_head */
    int n_rot;             /* rope.dimension_count (<= head_dim, even) */
    int n_ctx_train;       /* context_length */
    float rms_eps;         /* attention.layer_norm_rms_epsilon */
    float rope_freq_base;  /* rope.freq_base, default 10000 */
    float rope_freq_scale; /* 1 / rope.scaling.factor for linear scaling, else 1 */
    enum llm_rope_kind rope_kind; /* pairing */
};

/* A weight matrix: n_out rows of n_in elements, row r at data + r * row_bytes. */
struct llm_mat {
    const void *data;                  /* borrowed from the mapping */
    enum llm_type type;                /* weight type */
    const struct llm_type_traits *wt;  /* kernels of type */
    const struct llm_type_traits *at;  /* kernels of wt->vec_dot_type (activation side) */
    int64_t n_in;                      /* ne[0] */
    int64_t n_out;                     /* ne[1] */
    size_t row_bytes;                  /* bytes per row (of the file's layout) */
    bool packed;                       /* data is in kernels/packed.h's layout (model/repack.c) */
};

struct llm_layer {
    const float *attn_norm; /* [n_embd], owned copy in model->floats */
    struct llm_mat wq;      /* [n_embd] -> [n_head * head_dim] */
    struct llm_mat wk;      /* [n_embd] -> [n_head_kv * head_dim] */
    struct llm_mat wv;      /* [n_embd] -> [n_head_kv * head_dim] */
    struct llm_mat wo;      /* [n_head * head_dim] -> [n_embd] */
    const float *bq;        /* [q_dim] or NULL */
    const float *bk;        /* [kv_dim] or NULL */
    const float *bv;        /* [kv_dim] or NULL */
    const float *ffn_norm;  /* [n_embd] */
    struct llm_mat ffn_gate; /* [n_embd] -> [n_ff] */
    struct llm_mat ffn_up;   /* [n_embd] -> [n_ff] */
    struct llm_mat ffn_down; /* [n_ff] -> [n_embd] */
};

struct llm_model {
    atomic_int refs;             /* references; freed at 0 */
    struct llm_gguf *gguf;       /* owned mapping the weights point into */
    struct llm_vocab *vocab;     /* owned tokenizer, or NULL when the file has none */
    char *chat_template;         /* owned copy of tokenizer.chat_template, or NULL */
    char arch_name[32];          /* general.architecture */
    enum llm_arch arch;          /* architecture family */
    struct llm_hparams hp;       /* hyper-parameters */
    struct llm_mat token_embd;   /* [n_embd] x n_vocab rows */
    const float *output_norm;    /* [n_embd] */
    const float *rope_freqs;     /* [n_rot / 2] rope_freqs.weight (Llama 3.1 frequency factors:
                                    theta_i is divided by them), or NULL */
    struct llm_mat output;       /* [n_embd] -> [n_vocab] (token_embd when tied) */
    bool tied_output;            /* output is token_embd */
    struct llm_layer *layers;    /* owned, n_layer */
    float *floats;               /* owned: norms and biases converted to F32 */
    void *packed;                /* owned anonymous mapping of the packed matrices, or NULL */
    size_t packed_bytes;         /* its size */
};

/* Per-thread scratch of the forward pass. */
struct llm_thread_scratch {
    float *att;     /* [n_head / n_head_kv][n_ctx] attention scores, then probabilities */
    float *rope_cs; /* [n_rot / 2] cos */
    float *rope_sn; /* [n_rot / 2] sin */
    float *qh;      /* [n_head / n_head_kv][head_dim] queries (rounded to F16 for an F16 cache) */
};

struct llm_context {
    struct llm_model *model;        /* referenced (unref on free) */
    struct llm_context_params p;    /* as created (validated) */
    struct llm_pool *pool;          /* owned, p.n_threads threads */
    void *mem;                      /* owned: the one allocation below */
    size_t mem_bytes;               /* its size */
    /* KV cache of kv element size: K transposed as [n_layer][n_seq][kv_dim][n_ctx], V as
     * [n_layer][n_seq][n_ctx][kv_dim] (model/attention.c) */
    void *k_cache;                  /* in mem */
    void *v_cache;                  /* in mem */
    size_t kv_esz;                  /* 2 (F16) or 4 (F32) */
    int32_t *seq_len;               /* [n_seq] positions filled per sequence */
    int32_t *seq_tokens;            /* [n_seq][n_ctx] the token at each filled position */
    /* batch scratch, n_batch rows each */
    float *x;                       /* [n_batch][n_embd] residual stream */
    float *xb;                      /* [n_batch][n_embd] normed input of a sub-layer */
    float *q;                       /* [n_batch][q_dim] */
    float *k;                       /* [n_batch][kv_dim] */
    float *v;                       /* [n_batch][kv_dim] */
    float *att_out;                 /* [n_batch][q_dim] */
    float *hb;                      /* [n_batch][n_ff] gate, then silu(gate) * up */
    float *hb2;                     /* [n_batch][n_ff] up */
    void *act;                      /* [n_batch] activation rows in a vec_dot type */
    size_t act_row_stride;          /* bytes per row of act */
    float *out_x;                   /* [n_outputs][n_embd] final normed rows */
    float *logits;                  /* [n_outputs][n_vocab] */
    float *embd_sum;                /* [n_embd] pooled sum (embeddings) */
    struct llm_thread_scratch *ts;  /* owned, [n_threads] (pointers into mem) */
    int n_out;                      /* outputs of the last llm_decode */
    char err[256];                  /* last error message */
};

/* One forward call over at most n_batch tokens (already validated). */
struct llm_fwd {
    int n;                  /* tokens */
    const int32_t *token;   /* [n] */
    const int32_t *pos;     /* [n] */
    const int32_t *seq;     /* [n] */
    const int32_t *out_idx; /* [n_out] batch rows whose logits are wanted, ascending */
    int n_out;              /* count */
    int out_base;           /* first row of ctx->logits to write */
    bool embed;             /* also add every row's normed final state into embd_sum */
};

/* ---- loading (model/load.c, model/llama.c) ------------------------------------------------ */

/* Fills model->hp, tensors and floats for llama/qwen2 from the GGUF file. */
int llm__llama_load(struct llm_model *m, char *err, size_t err_len);
/* Packs the Q4_0/Q8_0 matrices the forward pass multiplies (kernels/packed.h) into
 * model->packed when the CPU's kernels use them, and drops the file pages they were read
 * from; leaves the model unpacked when it cannot (model/repack.c). */
void llm__repack_model(struct llm_model *m);
/* Runs the forward pass for llama/qwen2. */
void llm__llama_forward(struct llm_context *c, const struct llm_fwd *f);

/* ---- compute ops (model/ops.c) ------------------------------------------------------------- */

/* y[t][r] (row stride ldy) = W row r . x[t] for t < n, with x's rows quantized to W's
 * vec_dot type exactly as ggml does; multi-threaded over row blocks. x rows are n_in floats
 * with stride ldx. */
void llm__matmul(struct llm_context *c, const struct llm_mat *w, const float *x, int ldx, int n,
                 float *y, int ldy);
/* Several products of the same input x at once (Q/K/V, gate/up): the activations are
 * quantized once and one pool job covers every matrix. Same results as separate llm__matmul
 * calls. count <= LLM_MATMUL_MAX_PARTS. */
#define LLM_MATMUL_MAX_PARTS 3
void llm__matmul_n(struct llm_context *c, int count, const struct llm_mat *const *ws,
                   float *const *ys, const int *ldys, const float *x, int ldx, int n);
/* y = x / rms(x) * weight, n rows of dim elements (ggml_rms_norm then ggml_mul). */
void llm__rmsnorm(float *y, const float *x, const float *weight, int n, int dim, float eps);
/* g[i] = silu(g[i]) * u[i] for i < count (SwiGLU), spread over the pool. */
void llm__swiglu(struct llm_context *c, float *g, const float *u, size_t count);
/* Looks up token rows of the embedding matrix into x ([n][n_embd]). */
void llm__embed_rows(const struct llm_mat *emb, const int32_t *tokens, int n, float *x);
/* Rotates q ([n][n_head*head_dim]) and k ([n][n_head_kv*head_dim]) in place at positions pos. */
void llm__rope(struct llm_context *c, float *q, float *k, const int32_t *pos, int n);
/* Writes k, v rows into the cache of layer il, then computes attention for every token and
 * head into c->att_out (model/attention.c). */
void llm__attention(struct llm_context *c, int il, const struct llm_fwd *f);

#endif
