/* mkgguf.c: writes a tiny llama or qwen2 GGUF model with random weights, a small
 * SentencePiece-like vocabulary and chosen tensor types, for engine tests that must not
 * download anything. The same seed and options always give the same bytes.
 *
 *   mkgguf OUT.gguf [--arch llama|qwen2] [--type F32|F16|BF16|Q8_0|Q4_0|Q4_K|...]
 *          [--n-embd 64] [--n-ff 128] [--n-layer 2] [--n-head 4] [--n-head-kv 2]
 *          [--n-vocab 300] [--ctx 256] [--seed 1] [--tied]
 *
 * --type applies to the 2-D weight matrices (token_embd, output and the per-layer
 * projections); norms and biases stay F32. Row lengths must suit the type's block size
 * (n_embd and n_ff multiples of 256 for K-quants, of 32 for Q4_0/Q8_0).
 *
 * Vocabulary (tokenizer.ggml.model = "llama"): 0 <unk>, 1 <s>, 2 </s>, 3..258 the byte
 * tokens <0x00>..<0xFF> (type 6), then pieces "▁", letters, "▁"+letter and a few short
 * words, scores 0, -1, -2, ... in id order (as llama2.c-converted vocabularies). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"
#include "llm/gguf_write.h"
#include "llm/quant/quant.h"

struct opts {
    const char *out;     /* output path */
    const char *arch;    /* "llama" or "qwen2" */
    enum llm_type type;  /* matrix type */
    int64_t n_embd;      /* model width */
    int64_t n_ff;        /* feed-forward width */
    int64_t n_layer;     /* blocks */
    int64_t n_head;      /* query heads */
    int64_t n_head_kv;   /* key/value heads */
    int64_t n_vocab;     /* tokens */
    int64_t ctx;         /* context length */
    int64_t seed;        /* RNG seed */
    int tied;            /* 1: no output.weight */
};

static uint64_t next_u64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* approximately normal(0, 1): sum of 4 uniforms, rescaled */
static float randn(uint64_t *s)
{
    float acc = 0;
    for (int i = 0; i < 4; i++)
        acc += (float)(next_u64(s) >> 40) / 16777216.0f - 0.5f;
    return acc * 1.7320508f;
}

static void usage(void)
{
    fprintf(stderr, "usage: mkgguf OUT.gguf [--arch llama|qwen2] [--type TYPE] [--n-embd N] "
                    "[--n-ff N]\n              [--n-layer N] [--n-head N] [--n-head-kv N] "
                    "[--n-vocab N] [--ctx N] [--seed N] [--tied]\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.arch = "llama", .type = LLM_TYPE_F32, .n_embd = 64, .n_ff = 128,
                       .n_layer = 2, .n_head = 4, .n_head_kv = 2, .n_vocab = 300, .ctx = 256,
                       .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--tied") == 0) {
            o->tied = 1;
            continue;
        }
        if (a[0] != '-') {
            if (o->out)
                return ERR_INVALID;
            o->out = a;
            continue;
        }
        if (i + 1 >= argc)
            return ERR_INVALID;
        const char *v = argv[++i];
        int64_t *num = NULL;
        if (strcmp(a, "--arch") == 0) {
            if (strcmp(v, "llama") != 0 && strcmp(v, "qwen2") != 0)
                return ERR_INVALID;
            o->arch = v;
        } else if (strcmp(a, "--type") == 0) {
            if (llm_type_from_name(v, &o->type) != 0)
                return ERR_INVALID;
        } else if (strcmp(a, "--n-embd") == 0) {
            num = &o->n_embd;
        } else if (strcmp(a, "--n-ff") == 0) {
            num = &o->n_ff;
        } else if (strcmp(a, "--n-layer") == 0) {
            num = &o->n_layer;
        } else if (strcmp(a, "--n-head") == 0) {
            num = &o->n_head;
        } else if (strcmp(a, "--n-head-kv") == 0) {
            num = &o->n_head_kv;
        } else if (strcmp(a, "--n-vocab") == 0) {
            num = &o->n_vocab;
        } else if (strcmp(a, "--ctx") == 0) {
            num = &o->ctx;
        } else if (strcmp(a, "--seed") == 0) {
            num = &o->seed;
        } else {
            return ERR_INVALID;
        }
        if (num && str_to_i64(v, strlen(v), 1, 1 << 20, num) != 0)
            return ERR_INVALID;
    }
    if (!o->out || o->n_embd % o->n_head != 0 || o->n_head % o->n_head_kv != 0 ||
        o->n_vocab < 260)
        return ERR_INVALID;
    const struct llm_type_traits *tr = llm_type_traits_ref(o->type);
    if (!tr || !tr->quantize_ref || o->n_embd % tr->block_size || o->n_ff % tr->block_size)
        return ERR_UNSUPPORTED;
    return 0;
}

/* The vocabulary: returns owned arrays (free each string's ptr and the arrays). */
static void make_vocab(int64_t n, struct str **tokens, float **scores, int32_t **types)
{
    static const char *const words[] = {"the", "and", "was", "to", "he", "she", "it",
                                        "in", "of", "Lily", "Tom", "day", "big", "dog", "cat",
                                        "said", "play", "happy", "once", "upon", "time"};
    *tokens = xcalloc((size_t)n, sizeof **tokens);
    *scores = xcalloc((size_t)n, sizeof **scores);
    *types = xcalloc((size_t)n, sizeof **types);
    static const char *const special[] = {"<unk>", "<s>", "</s>"};
    int64_t id = 0;
    char tmp[64];
    for (; id < 3; id++) {
        (*tokens)[id] = str_from_cstr(xstrdup(special[id]));
        (*types)[id] = id == 0 ? 2 : 3;
    }
    for (int b = 0; b < 256; b++, id++) {
        snprintf(tmp, sizeof tmp, "<0x%02X>", b);
        (*tokens)[id] = str_from_cstr(xstrdup(tmp));
        (*types)[id] = 6;
    }
    int64_t k = 0;
    while (id < n) {
        /* "▁" (U+2581, e2 96 81), letters, "▁"+letter, then "▁"+word, then numbered */
        if (k == 0) {
            snprintf(tmp, sizeof tmp, "\xe2\x96\x81");
        } else if (k <= 52) {
            int c = (int)k - 1;
            snprintf(tmp, sizeof tmp, "%c", c < 26 ? 'a' + c : 'A' + c - 26);
        } else if (k <= 78) {
            snprintf(tmp, sizeof tmp, "\xe2\x96\x81%c", 'a' + (int)(k - 53));
        } else if (k < 79 + (int64_t)(sizeof words / sizeof words[0])) {
            snprintf(tmp, sizeof tmp, "\xe2\x96\x81%s", words[k - 79]);
        } else {
            snprintf(tmp, sizeof tmp, "\xe2\x96\x81w%lld", (long long)k);
        }
        (*tokens)[id] = str_from_cstr(xstrdup(tmp));
        (*scores)[id] = -(float)k;
        (*types)[id] = 1;
        id++;
        k++;
    }
}

struct tdesc {
    char name[64];      /* tensor name */
    int n_dims;         /* 1 or 2 */
    int64_t ne[2];      /* shape */
    enum llm_type type; /* stored type */
    float std;          /* weight scale */
    float mean;         /* 1 for norms */
};

struct fill_ctx {
    struct tdesc *t;    /* all tensors */
    uint64_t rng;       /* state */
};

static int fill_random(void *ctx, int64_t index, void *dst, size_t size)
{
    struct fill_ctx *c = ctx;
    const struct tdesc *t = &c->t[index];
    int64_t n = t->ne[0] * (t->n_dims > 1 ? t->ne[1] : 1);
    float *x = xmalloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        x[i] = t->mean + t->std * randn(&c->rng);
    const struct llm_type_traits *tr = llm_type_traits_ref(t->type);
    int64_t rows = n / t->ne[0];
    size_t row_bytes = size / (size_t)rows;
    for (int64_t r = 0; r < rows; r++)
        tr->quantize_ref(x + r * t->ne[0], (char *)dst + (size_t)r * row_bytes, t->ne[0]);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        if (rc == ERR_UNSUPPORTED)
            fprintf(stderr, "mkgguf: that --type cannot be written, or n_embd/n_ff are not "
                            "multiples of its block size\n");
        usage();
        return 2;
    }
    struct llm_gguf_writer *w = llm_gguf_writer_new();
    char key[128];
    const char *arch = o.arch;
    int64_t hd = o.n_embd / o.n_head;
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", arch, suffix), key)
    rc = llm_gguf_writer_set_str(w, "general.architecture", str_from_cstr(arch));
    rc = rc ? rc : llm_gguf_writer_set_str(w, "general.name", str_from_cstr("mkgguf random"));
    rc = rc ? rc : llm_gguf_writer_set_u32(w, KEY("context_length"), (uint32_t)o.ctx);
    rc = rc ? rc : llm_gguf_writer_set_u32(w, KEY("embedding_length"), (uint32_t)o.n_embd);
    rc = rc ? rc : llm_gguf_writer_set_u32(w, KEY("block_count"), (uint32_t)o.n_layer);
    rc = rc ? rc : llm_gguf_writer_set_u32(w, KEY("feed_forward_length"), (uint32_t)o.n_ff);
    rc = rc ? rc : llm_gguf_writer_set_u32(w, KEY("attention.head_count"), (uint32_t)o.n_head);
    rc = rc ? rc
            : llm_gguf_writer_set_u32(w, KEY("attention.head_count_kv"), (uint32_t)o.n_head_kv);
    rc = rc ? rc : llm_gguf_writer_set_u32(w, KEY("rope.dimension_count"), (uint32_t)hd);
    rc = rc ? rc : llm_gguf_writer_set_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    rc = rc ? rc
            : llm_gguf_writer_set_f32(w, KEY("rope.freq_base"),
                                      strcmp(arch, "qwen2") == 0 ? 1000000.0f : 10000.0f);
    rc = rc ? rc : llm_gguf_writer_set_str(w, "tokenizer.ggml.model", str_from_cstr("llama"));
    struct str *tokens;
    float *scores;
    int32_t *ttypes;
    make_vocab(o.n_vocab, &tokens, &scores, &ttypes);
    rc = rc ? rc : llm_gguf_writer_set_arr_str(w, "tokenizer.ggml.tokens", tokens,
                                               (size_t)o.n_vocab);
    rc = rc ? rc : llm_gguf_writer_set_arr_f32(w, "tokenizer.ggml.scores", scores,
                                               (size_t)o.n_vocab);
    rc = rc ? rc : llm_gguf_writer_set_arr_i32(w, "tokenizer.ggml.token_type", ttypes,
                                               (size_t)o.n_vocab);
    rc = rc ? rc : llm_gguf_writer_set_u32(w, "tokenizer.ggml.bos_token_id", 1);
    rc = rc ? rc : llm_gguf_writer_set_u32(w, "tokenizer.ggml.eos_token_id", 2);
    rc = rc ? rc : llm_gguf_writer_set_u32(w, "tokenizer.ggml.unknown_token_id", 0);
#undef KEY
    int64_t n_tensors_max = 3 + o.n_layer * 12;
    struct tdesc *td = xcalloc((size_t)n_tensors_max, sizeof *td);
    int64_t nt = 0;
    float wstd = 1.0f / sqrtf((float)o.n_embd);
#define ADD(nm_fmt, layer, dims, e0, e1, ty, sd, mn)                                           \
    do {                                                                                       \
        struct tdesc *t_ = &td[nt++];                                                          \
        snprintf(t_->name, sizeof t_->name, nm_fmt, (int)(layer));                             \
        t_->n_dims = dims;                                                                     \
        t_->ne[0] = e0;                                                                        \
        t_->ne[1] = e1;                                                                        \
        t_->type = ty;                                                                         \
        t_->std = sd;                                                                          \
        t_->mean = mn;                                                                         \
    } while (0)
    ADD("token_embd.weight%.0d", 0, 2, o.n_embd, o.n_vocab, o.type, 1.0f, 0.0f);
    ADD("output_norm.weight%.0d", 0, 1, o.n_embd, 1, LLM_TYPE_F32, 0.05f, 1.0f);
    if (!o.tied)
        ADD("output.weight%.0d", 0, 2, o.n_embd, o.n_vocab, o.type, wstd, 0.0f);
    int64_t kv = hd * o.n_head_kv;
    for (int64_t l = 0; l < o.n_layer; l++) {
        ADD("blk.%d.attn_norm.weight", l, 1, o.n_embd, 1, LLM_TYPE_F32, 0.05f, 1.0f);
        ADD("blk.%d.attn_q.weight", l, 2, o.n_embd, o.n_embd, o.type, wstd, 0.0f);
        ADD("blk.%d.attn_k.weight", l, 2, o.n_embd, kv, o.type, wstd, 0.0f);
        ADD("blk.%d.attn_v.weight", l, 2, o.n_embd, kv, o.type, wstd, 0.0f);
        if (strcmp(arch, "qwen2") == 0) {
            ADD("blk.%d.attn_q.bias", l, 1, o.n_embd, 1, LLM_TYPE_F32, 0.1f, 0.0f);
            ADD("blk.%d.attn_k.bias", l, 1, kv, 1, LLM_TYPE_F32, 0.1f, 0.0f);
            ADD("blk.%d.attn_v.bias", l, 1, kv, 1, LLM_TYPE_F32, 0.1f, 0.0f);
        }
        ADD("blk.%d.attn_output.weight", l, 2, o.n_embd, o.n_embd, o.type, wstd, 0.0f);
        ADD("blk.%d.ffn_norm.weight", l, 1, o.n_embd, 1, LLM_TYPE_F32, 0.05f, 1.0f);
        ADD("blk.%d.ffn_gate.weight", l, 2, o.n_embd, o.n_ff, o.type, wstd, 0.0f);
        ADD("blk.%d.ffn_up.weight", l, 2, o.n_embd, o.n_ff, o.type, wstd, 0.0f);
        ADD("blk.%d.ffn_down.weight", l, 2, o.n_ff, o.n_embd, o.type,
            1.0f / sqrtf((float)o.n_ff), 0.0f);
    }
#undef ADD
    for (int64_t i = 0; !rc && i < nt; i++)
        rc = llm_gguf_writer_add_tensor(w, td[i].name, td[i].type, td[i].n_dims, td[i].ne, NULL);
    struct fill_ctx fc = {td, (uint64_t)o.seed * 0x9e3779b97f4a7c15ull + 1};
    if (!rc)
        rc = llm_gguf_writer_write(w, o.out, fill_random, &fc);
    if (rc)
        fprintf(stderr, "mkgguf: %s: %s\n", o.out, err_str(rc));
    for (int64_t i = 0; i < o.n_vocab; i++)
        free((char *)tokens[i].ptr);
    free(tokens);
    free(scores);
    free(ttypes);
    free(td);
    llm_gguf_writer_free(w);
    return rc ? 1 : 0;
}
