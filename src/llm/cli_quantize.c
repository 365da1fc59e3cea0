/* cli_quantize.c: `relais llm quantize IN.gguf OUT.gguf TYPE [--pure]`: requantizes a
 * model the way llama.cpp's llama-quantize does without an importance matrix.
 *
 * Which tensors are quantized: every tensor of two or more dimensions except norms
 * (names containing "_norm."); 1-D tensors (norms, biases) are copied unchanged.
 * The target type per tensor follows llama-quantize's rules (llama-quant.cpp,
 * llama_tensor_get_type) for the types we support, unless --pure is given:
 *   - output.weight (or token_embd.weight when the model has no output.weight) becomes
 *     Q6_K for every quantized TYPE except Q8_0, or Q8_0 when its rows are not a multiple
 *     of 256;
 *   - Q4_K_M / Q5_K_M: base Q4_K / Q5_K; attn_v.weight and ffn_down.weight of the layers
 *     use_more_bits() picks (the first and last eighth, and every third layer between)
 *     become Q6_K; Q4_K_S: the first four attn_v and the first eighth of ffn_down
 *     become Q5_K;
 *   - a K-quant that does not fit a row length falls back to Q5_0 (Q4_K), Q5_1 (Q5_K),
 *     Q8_0 (Q6_K); any type that still does not fit falls back to F16.
 * The file is written as OUT.tmp and renamed to OUT once complete (OUT may be IN).
 * Tensors of 64k elements or more are split by rows over one thread per CPU (rows are
 * independent, so the bytes written do not depend on the thread count).
 * F16/BF16/F32 targets convert every 2-D tensor. Tensors are written in llama-quantize's
 * order (by layer, then name). Metadata is copied, with
 * general.file_type set to llama.cpp's ftype number and general.quantization_version 2. */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "llm/cli.h"
#include "llm/gguf.h"
#include "llm/gguf_write.h"
#include "llm/quant/quant.h"

#define QUANT_MAX_THREADS 16

struct ftype_info {
    const char *name;     /* as given on the command line */
    enum llm_type base;   /* default tensor type */
    int mix;              /* 1: the _M rules for attn_v / ffn_down, 2: the Q4_K_S rules */
    uint32_t llama_ftype; /* enum llama_ftype value for general.file_type */
};

static const struct ftype_info ftypes[] = {
    {"F32", LLM_TYPE_F32, 0, 0},    {"F16", LLM_TYPE_F16, 0, 1},
    {"BF16", LLM_TYPE_BF16, 0, 32}, {"Q4_0", LLM_TYPE_Q4_0, 0, 2},
    {"Q4_1", LLM_TYPE_Q4_1, 0, 3},  {"Q8_0", LLM_TYPE_Q8_0, 0, 7},
    {"Q5_0", LLM_TYPE_Q5_0, 0, 8},  {"Q5_1", LLM_TYPE_Q5_1, 0, 9},
    {"Q4_K_S", LLM_TYPE_Q4_K, 2, 14}, {"Q4_K", LLM_TYPE_Q4_K, 1, 15},
    {"Q4_K_M", LLM_TYPE_Q4_K, 1, 15}, {"Q5_K_S", LLM_TYPE_Q5_K, 0, 16},
    {"Q5_K", LLM_TYPE_Q5_K, 1, 17},   {"Q5_K_M", LLM_TYPE_Q5_K, 1, 17},
    {"Q6_K", LLM_TYPE_Q6_K, 0, 18},
};

struct quant_job {
    const struct llm_gguf *in;          /* source file */
    const struct llm_gguf_tensor **src; /* source tensor of each output tensor */
    enum llm_type *type;                /* output type of each tensor */
    int n_threads;                      /* worker threads for large tensors */
};

/* One thread's share of a tensor: rows [r0, r1). Rows are independent, so the output does
 * not depend on the number of threads. */
struct quant_part {
    const struct llm_type_traits *in_tr;  /* source type */
    const struct llm_type_traits *out_tr; /* target type */
    const char *src;                      /* source rows */
    char *dst;                            /* target rows */
    size_t in_row, out_row;               /* bytes per row */
    int64_t ne0;                          /* elements per row */
    int64_t r0, r1;                       /* row range */
};

static void *quant_rows(void *arg)
{
    const struct quant_part *p = arg;
    float *row = xmalloc((size_t)p->ne0 * sizeof(float));
    for (int64_t r = p->r0; r < p->r1; r++) {
        p->in_tr->to_float(p->src + (size_t)r * p->in_row, row, p->ne0);
        p->out_tr->quantize_ref(row, p->dst + (size_t)r * p->out_row, p->ne0);
    }
    free(row);
    return NULL;
}

/* llama.cpp's use_more_bits: the first and last eighth of the layers, and every third
 * layer in between. */
static bool use_more_bits(int64_t i_layer, int64_t n_layers)
{
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 ||
           (i_layer - n_layers / 8) % 3 == 2;
}

static bool is_quantizable(const struct llm_gguf_tensor *t)
{
    return t->n_dims >= 2 && strstr(t->name, "_norm.") == NULL &&
           strstr(t->name, "ffn_gate_inp") == NULL;
}

static enum llm_type fallback(enum llm_type t, int64_t ne0)
{
    if (ne0 % llm_type_block_size(t) == 0)
        return t;
    if (t == LLM_TYPE_Q4_K)
        t = LLM_TYPE_Q5_0;
    else if (t == LLM_TYPE_Q5_K)
        t = LLM_TYPE_Q5_1;
    else if (t == LLM_TYPE_Q6_K)
        t = LLM_TYPE_Q8_0;
    else if (t == LLM_TYPE_Q2_K || t == LLM_TYPE_Q3_K)
        t = LLM_TYPE_Q4_0;
    return ne0 % llm_type_block_size(t) == 0 ? t : LLM_TYPE_F16;
}

/* Picks the output type of tensor t. counters: attn_v and ffn_down seen so far. */
static enum llm_type choose_type(const struct ftype_info *ft, bool pure, bool has_output,
                                 const struct llm_gguf_tensor *t, int64_t n_layer,
                                 int64_t *i_attn_v, int64_t *i_ffn_down)
{
    if (!is_quantizable(t))
        return t->type;
    enum llm_type nt = ft->base;
    if (!pure && llm_type_is_quantized(ft->base)) {
        bool is_output = strcmp(t->name, "output.weight") == 0 ||
                         (!has_output && strcmp(t->name, "token_embd.weight") == 0);
        if (is_output) {
            if (t->ne[0] % 256 != 0)
                nt = LLM_TYPE_Q8_0;
            else if (nt != LLM_TYPE_Q8_0)
                nt = LLM_TYPE_Q6_K;
        } else if (strstr(t->name, "attn_v.weight")) {
            if (ft->mix == 1 && use_more_bits(*i_attn_v, n_layer))
                nt = LLM_TYPE_Q6_K;
            else if (ft->mix == 2 && *i_attn_v < 4)
                nt = LLM_TYPE_Q5_K;
            ++*i_attn_v;
        } else if (strstr(t->name, "ffn_down")) {
            if (ft->mix == 1 && use_more_bits(*i_ffn_down, n_layer))
                nt = LLM_TYPE_Q6_K;
            else if (ft->mix == 2 && *i_ffn_down < n_layer / 8)
                nt = LLM_TYPE_Q5_K;
            ++*i_ffn_down;
        }
    }
    return fallback(nt, t->ne[0]);
}

/* Layer number of "blk.N.*", or -1 for other tensors. */
static int64_t layer_of(const char *name)
{
    if (strncmp(name, "blk.", 4) != 0)
        return -1;
    int64_t n = 0;
    for (const char *p = name + 4; *p >= '0' && *p <= '9' && n < INT32_MAX; p++)
        n = n * 10 + (*p - '0');
    return n;
}

/* llama-quantize's output order: tensors sorted by name, then stably by layer (other
 * tensors first), so a file written here can match its output byte for byte. */
static int cmp_tensor_order(const void *a, const void *b)
{
    const struct llm_gguf_tensor *x = *(const struct llm_gguf_tensor *const *)a;
    const struct llm_gguf_tensor *y = *(const struct llm_gguf_tensor *const *)b;
    int64_t lx = layer_of(x->name), ly = layer_of(y->name);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int fill(void *ctx, int64_t index, void *dst, size_t size)
{
    struct quant_job *job = ctx;
    const struct llm_gguf_tensor *src = job->src[index];
    enum llm_type out = job->type[index];
    if (src->type == out) {
        if (size != src->size_bytes)
            return ERR_INTERNAL;
        memcpy(dst, src->data, size);
        return 0;
    }
    const struct llm_type_traits *in_tr = llm_type_traits(src->type);
    const struct llm_type_traits *out_tr = llm_type_traits_ref(out);
    if (!in_tr || !in_tr->to_float || !out_tr || !out_tr->quantize_ref)
        return ERR_UNSUPPORTED;
    int64_t ne0 = src->ne[0];
    size_t in_row, out_row;
    if (llm_type_row_size(src->type, ne0, &in_row) || llm_type_row_size(out, ne0, &out_row))
        return ERR_INVALID;
    int64_t rows = ne0 ? src->n_elements / ne0 : 0;
    int nt = job->n_threads;
    if (src->n_elements < ((int64_t)1 << 16) || rows < nt)
        nt = 1; /* not worth a thread */
    struct quant_part parts[QUANT_MAX_THREADS];
    pthread_t tids[QUANT_MAX_THREADS];
    bool running[QUANT_MAX_THREADS] = {false};
    for (int t = 0; t < nt; t++) {
        parts[t] = (struct quant_part){in_tr, out_tr, src->data, dst, in_row, out_row, ne0,
                                       rows * t / nt, rows * (t + 1) / nt};
        if (t > 0)
            running[t] = pthread_create(&tids[t], NULL, quant_rows, &parts[t]) == 0;
    }
    quant_rows(&parts[0]);
    for (int t = 1; t < nt; t++) {
        if (running[t])
            pthread_join(tids[t], NULL);
        else
            quant_rows(&parts[t]); /* the thread could not start: do its share here */
    }
    return 0;
}

int llm_cli_quantize(int argc, char **argv)
{
    bool pure = false;
    const char *pos[3];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pure") == 0)
            pure = true;
        else if (npos < 3)
            pos[npos++] = argv[i];
        else
            npos = 4;
    }
    const struct ftype_info *ft = NULL;
    for (size_t i = 0; npos == 3 && i < sizeof ftypes / sizeof ftypes[0]; i++)
        if (strcmp(pos[2], ftypes[i].name) == 0)
            ft = &ftypes[i];
    if (npos != 3 || !ft) {
        fprintf(stderr, "usage: relais llm quantize IN.gguf OUT.gguf TYPE [--pure]\n"
                        "  TYPE: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K_S Q4_K_M Q5_K_S "
                        "Q5_K_M Q6_K\n");
        return 2;
    }
    struct llm_gguf *in = NULL;
    char err[512];
    int rc = llm_gguf_open(pos[0], &in, err, sizeof err);
    if (rc) {
        fprintf(stderr, "relais llm quantize: %s\n", err);
        return 1;
    }
    struct llm_gguf_writer *w = llm_gguf_writer_new();
    int64_t nt = llm_gguf_tensor_count(in);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct quant_job job = {.in = in,
                            .n_threads = ncpu < 1 ? 1 : ncpu > QUANT_MAX_THREADS ? QUANT_MAX_THREADS
                                                                             : (int)ncpu};
    job.src = xcalloc((size_t)(nt ? nt : 1), sizeof *job.src);
    job.type = xcalloc((size_t)(nt ? nt : 1), sizeof *job.type);

    for (int64_t i = 0; !rc && i < llm_gguf_kv_count(in); i++) {
        const char *key = llm_gguf_kv_key(in, i);
        if (strcmp(key, "general.file_type") == 0 ||
            strcmp(key, "general.quantization_version") == 0)
            continue;
        rc = llm_gguf_writer_copy_kv(w, in, i);
    }
    if (!rc)
        rc = llm_gguf_writer_set_u32(w, "general.quantization_version", 2);
    if (!rc)
        rc = llm_gguf_writer_set_u32(w, "general.file_type", ft->llama_ftype);

    bool has_output = llm_gguf_find_tensor(in, "output.weight") != NULL;
    int64_t n_layer = 0, i_attn_v = 0, i_ffn_down = 0;
    for (int64_t i = 0; i < nt; i++)
        if (strstr(llm_gguf_tensor_at(in, i)->name, "attn_v.weight"))
            n_layer++;
    uint64_t in_bytes = 0, out_bytes = 0;
    for (int64_t i = 0; i < nt; i++)
        job.src[i] = llm_gguf_tensor_at(in, i);
    qsort(job.src, (size_t)nt, sizeof *job.src, cmp_tensor_order);
    for (int64_t i = 0; !rc && i < nt; i++) {
        const struct llm_gguf_tensor *t = job.src[i];
        job.type[i] = choose_type(ft, pure, has_output, t, n_layer, &i_attn_v, &i_ffn_down);
        rc = llm_gguf_writer_add_tensor(w, t->name, job.type[i], t->n_dims, t->ne, NULL);
        size_t ob = 0;
        if (!rc)
            rc = llm_type_row_size(job.type[i], t->ne[0], &ob);
        in_bytes += t->size_bytes;
        out_bytes += t->ne[0] ? (uint64_t)ob * (uint64_t)(t->n_elements / t->ne[0]) : 0;
        printf("[%4" PRId64 "/%4" PRId64 "] %-36s %-5s -> %-5s\n", i + 1, nt, t->name,
               llm_type_name(t->type), llm_type_name(job.type[i]));
    }
    /* write OUT.tmp, then rename: a failed run leaves no half file under OUT, and OUT may
     * even be IN (whose mapping stays valid while its old inode is read) */
    struct buf tmp;
    buf_init(&tmp, 8192);
    if (!rc)
        rc = buf_printf(&tmp, "%s.tmp", pos[1]);
    if (!rc)
        rc = llm_gguf_writer_write(w, buf_cstr(&tmp), fill, &job);
    if (!rc && rename(buf_cstr(&tmp), pos[1]) != 0)
        rc = ERR_IO;
    if (rc && tmp.len)
        unlink(buf_cstr(&tmp));
    buf_fini(&tmp);
    if (rc) {
        fprintf(stderr, "relais llm quantize: %s: %s\n", pos[1], err_str(rc));
    } else {
        printf("wrote %s: %s, tensor data %.2f MiB -> %.2f MiB\n", pos[1], ft->name,
               (double)in_bytes / (1 << 20), (double)out_bytes / (1 << 20));
    }
    free(job.src);
    free(job.type);
    llm_gguf_writer_free(w);
    llm_gguf_close(in);
    return rc ? 1 : 0;
}
