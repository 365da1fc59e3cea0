/* model_test.c: the forward pass against llama.cpp's own outputs (shared/models/reference.json,
 * see shared/models/SOURCES.md section 4).
 *
 * - Token-for-token targets (results identical under both of llama.cpp's KV settings): feed
 *   prompt_tokens, generate 32 tokens greedily one decode at a time, and require exactly the
 *   reference tokens.
 * - Every other file: teacher-forced. prompt_tokens + tokens[:31] go through in one batch with
 *   logits at the 32 generated positions; step k's top-1 must equal tokens[k] wherever the
 *   reference margin exceeds the tolerance, the reference top-5 logits must match within
 *   tolerance x logit range, and so must the whole first_logits vector. Tolerances are the ones
 *   SOURCES.md suggests (1e-3 F32/F16, 5e-3 BF16, 3e-2 quantized).
 * - Context overflow, batch validation and embeddings. */
#include "harness.h"

#include <jansson.h>
#include <math.h>
#include <unistd.h>

#include "base/err.h"
#include "llm/gguf.h"
#include "llm/gguf_write.h"
#include "llm/llm.h"
#include "llm/sampler.h"

/* The debug/ASan pass runs the kernels unoptimised: there, each file is checked on fewer
 * prompts (the optimised pass covers all five). */
#ifdef __OPTIMIZE__
#define PROMPTS(full, reduced) (full)
#else
#define PROMPTS(full, reduced) (reduced)
#endif

static json_t *ref_root;

static json_t *ref_model(const char *file)
{
    if (!ref_root)
        ref_root = harness_model_json("reference.json");
    json_t *models = json_object_get(ref_root, "models");
    size_t i;
    json_t *m;
    json_array_foreach(models, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "file")), file) == 0)
            return m;
    }
    harness_fail(__FILE__, __LINE__, "no reference for %s", file);
}

static struct llm_model *load_model(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "../shared/models/%s", file);
    struct llm_model *m = NULL;
    char err[256];
    int rc = llm_model_load(harness_path(path), &m, err, sizeof err);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "load %s: %s (%d)", file, err, rc);
    return m;
}

static struct llm_context *new_ctx(struct llm_model *m, int n_ctx, int n_outputs,
                                   enum llm_kv_type kv, int threads)
{
    struct llm_context_params p;
    llm_context_params_default(&p);
    p.n_ctx = n_ctx;
    p.n_outputs = n_outputs;
    p.kv_type = kv;
    p.n_threads = threads;
    p.n_batch = 64;
    struct llm_context *c = NULL;
    char err[256];
    int rc = llm_context_new(m, &p, &c, err, sizeof err);
    if (rc != 0)
        harness_fail(__FILE__, __LINE__, "context: %s (%d)", err, rc);
    return c;
}

/* Reads a JSON array of integers into out (max n); returns the count. */
static int json_ints(json_t *a, int32_t *out, int max)
{
    int n = (int)json_array_size(a);
    ASSERT_TRUE(n <= max);
    for (int i = 0; i < n; i++)
        out[i] = (int32_t)json_integer_value(json_array_get(a, (size_t)i));
    return n;
}

/* Greedy generation of n_gen tokens after the prompt, one token per decode. */
static void greedy(struct llm_context *c, const int32_t *prompt, int n_prompt, int n_gen,
                   int32_t *out)
{
    struct llm_batch_item items[128];
    ASSERT_TRUE(n_prompt <= 128);
    for (int i = 0; i < n_prompt; i++)
        items[i] = (struct llm_batch_item){prompt[i], i, 0, i == n_prompt - 1};
    llm_seq_clear(c, 0);
    ASSERT_INT_EQ(llm_decode(c, items, n_prompt), 0);
    int n_vocab = 0;
    {
        struct llm_model_info info;
        llm_model_get_info(llm_context_model(c), &info);
        n_vocab = info.n_vocab;
    }
    for (int k = 0; k < n_gen; k++) {
        out[k] = llm_sampler_argmax(llm_get_logits(c, 0), n_vocab);
        if (k + 1 == n_gen)
            break;
        struct llm_batch_item it = {out[k], n_prompt + k, 0, true};
        ASSERT_INT_EQ(llm_decode(c, &it, 1), 0);
    }
}

static void check_token_for_token(const char *file, enum llm_kv_type kv, int threads,
                                  unsigned mask)
{
    json_t *ref = ref_model(file);
    struct llm_model *m = load_model(file);
    struct llm_context *c = new_ctx(m, 128, 1, kv, threads);
    const char *setting = kv == LLM_KV_F32 ? "kv_f32_fa_off" : "kv_f16_fa_auto";
    json_t *results = json_object_get(ref, "results");
    for (size_t r = 0; r < json_array_size(results); r++) {
        if (!(mask & (1u << r)))
            continue;
        json_t *res = json_array_get(results, r);
        int32_t prompt[128], want[32], got[32];
        int n_prompt = json_ints(json_object_get(res, "prompt_tokens"), prompt, 128);
        int n_want = json_ints(json_object_get(json_object_get(res, setting), "tokens"), want, 32);
        ASSERT_INT_EQ(n_want, 32);
        greedy(c, prompt, n_prompt, 32, got);
        for (int k = 0; k < 32; k++)
            if (got[k] != want[k])
                harness_fail(__FILE__, __LINE__, "%s prompt %zu step %d: token %d, want %d", file,
                             r, k, got[k], want[k]);
    }
    llm_context_free(c);
    llm_model_unref(m);
}

TEST_CASE(llm, model_stories260k_f32_greedy_exact)
{
    check_token_for_token("stories260K/stories260K.gguf", LLM_KV_F32, 2, 0x1f);
    check_token_for_token("stories260K/stories260K.gguf", LLM_KV_F16, 1, 0x1f);
}

TEST_CASE(llm, model_stories260k_f16_bf16_greedy_exact)
{
    check_token_for_token("stories260K/stories260K-F16.gguf", LLM_KV_F32, 2, 0x1f);
    check_token_for_token("stories260K/stories260K-BF16.gguf", LLM_KV_F16, 2, 0x1f);
}

TEST_CASE(llm, model_qwen2arch_greedy_exact)
{
    check_token_for_token("stories260K/stories260K-qwen2arch.gguf", LLM_KV_F32, 2, 0x1f);
}

TEST_CASE(llm, model_random_llama_greedy_exact)
{
    check_token_for_token("random/random-llama-256-F32.gguf", LLM_KV_F32, 2, PROMPTS(0x1f, 0x05));
    check_token_for_token("random/random-llama-256-F16.gguf", LLM_KV_F16, 2, PROMPTS(0x1f, 0x0a));
}

TEST_CASE(llm, model_tiny_bpe_greedy_exact)
{
    check_token_for_token("random/random-qwen2-tiny-Q8_0.gguf", LLM_KV_F16, 2, PROMPTS(0x1f, 0x01));
    check_token_for_token("random/random-llama3-tiny-Q8_0.gguf", LLM_KV_F32, 2, PROMPTS(0x1f, 0x10));
}

/* Teacher-forced comparison of one file over the prompts in mask (bit r = prompt r). */
static void check_teacher_forced(const char *file, double tol, unsigned mask)
{
    json_t *ref = ref_model(file);
    struct llm_model *m = load_model(file);
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    struct llm_context *c = new_ctx(m, 128, 32, LLM_KV_F32, 2);
    json_t *results = json_object_get(ref, "results");
    for (size_t r = 0; r < json_array_size(results); r++) {
        if (!(mask & (1u << r)))
            continue;
        json_t *res = json_object_get(json_array_get(results, r), "kv_f32_fa_off");
        int32_t toks[160];
        int n_prompt = json_ints(json_object_get(json_array_get(results, r), "prompt_tokens"),
                                 toks, 128);
        int32_t gen[32];
        ASSERT_INT_EQ(json_ints(json_object_get(res, "tokens"), gen, 32), 32);
        struct llm_batch_item items[160];
        int n = n_prompt + 31;
        for (int i = 0; i < n; i++) {
            int32_t t = i < n_prompt ? toks[i] : gen[i - n_prompt];
            items[i] = (struct llm_batch_item){t, i, 0, i >= n_prompt - 1};
        }
        llm_seq_clear(c, 0);
        ASSERT_INT_EQ(llm_decode(c, items, n), 0);
        ASSERT_INT_EQ(llm_n_outputs(c), 32);
        /* the logit range of first_logits sets the scale of the tolerance */
        json_t *first = json_object_get(res, "first_logits");
        double range;
        if (first) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; i < json_array_size(first); i++) {
                double v = json_real_value(json_array_get(first, i));
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            range = hi - lo;
            ASSERT_INT_EQ((long long)json_array_size(first), info.n_vocab);
        } else {
            const float *l0 = llm_get_logits(c, 0);
            double lo = INFINITY, hi = -INFINITY;
            for (int i = 0; i < info.n_vocab; i++) {
                lo = l0[i] < lo ? l0[i] : lo;
                hi = l0[i] > hi ? l0[i] : hi;
            }
            range = hi - lo;
        }
        double tol_abs = tol * range;
        if (first) {
            const float *l0 = llm_get_logits(c, 0);
            for (int i = 0; i < info.n_vocab; i++) {
                double want = json_real_value(json_array_get(first, (size_t)i));
                if (fabs(l0[i] - want) > tol_abs)
                    harness_fail(__FILE__, __LINE__,
                                 "%s prompt %zu first logit %d: %g, want %g (tol %g)", file, r, i,
                                 l0[i], want, tol_abs);
            }
        }
        json_t *steps = json_object_get(res, "step_top5");
        for (int k = 0; k < 32; k++) {
            const float *lk = llm_get_logits(c, k);
            json_t *top5 = json_array_get(steps, (size_t)k);
            double gap = json_real_value(json_array_get(json_array_get(top5, 0), 1)) -
                         json_real_value(json_array_get(json_array_get(top5, 1), 1));
            int32_t best = llm_sampler_argmax(lk, info.n_vocab);
            if (gap > tol_abs && best != gen[k])
                harness_fail(__FILE__, __LINE__, "%s prompt %zu step %d: top-1 %d, want %d (gap %g)",
                             file, r, k, best, gen[k], gap);
            for (size_t e = 0; e < 5; e++) {
                json_t *pair = json_array_get(top5, e);
                int id = (int)json_integer_value(json_array_get(pair, 0));
                double want = json_real_value(json_array_get(pair, 1));
                if (fabs(lk[id] - want) > tol_abs)
                    harness_fail(__FILE__, __LINE__,
                                 "%s prompt %zu step %d: logit[%d] %g, want %g (tol %g)", file, r,
                                 k, id, lk[id], want, tol_abs);
            }
        }
    }
    llm_context_free(c);
    llm_model_unref(m);
}

TEST_CASE(llm, model_teacher_forced_float)
{
    check_teacher_forced("stories260K/stories260K.gguf", 1e-3, 0x1f);
    check_teacher_forced("stories260K/stories260K-F16.gguf", 1e-3, 0x1f);
    check_teacher_forced("stories260K/stories260K-BF16.gguf", 5e-3, 0x1f);
    check_teacher_forced("stories260K/stories260K-qwen2arch.gguf", 1e-3, 0x1f);
    check_teacher_forced("random/random-llama-256-F32.gguf", 1e-3, PROMPTS(0x1f, 0x03));
    check_teacher_forced("random/random-llama-256-F16.gguf", 1e-3, PROMPTS(0x1f, 0x0c));
    check_teacher_forced("random/random-llama-256-BF16.gguf", 5e-3, PROMPTS(0x1f, 0x10));
}

TEST_CASE(llm, model_teacher_forced_stories_quant)
{
    static const char *const files[] = {
        "stories260K/stories260K-Q8_0.gguf",         "stories260K/stories260K-Q4_0.gguf",
        "stories260K/stories260K-Q4_1.gguf",         "stories260K/stories260K-Q5_0.gguf",
        "stories260K/stories260K-Q5_1.gguf",         "stories260K/stories260K-qwen2arch-Q8_0.gguf",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        check_teacher_forced(files[i], 3e-2, PROMPTS(0x15, 1u << (i % 5)));
}

TEST_CASE(llm, model_teacher_forced_random_quant)
{
    static const char *const files[] = {
        "random/random-llama-256-Q8_0.gguf",       "random/random-llama-256-Q4_0.gguf",
        "random/random-llama-256-Q4_K_M.gguf",     "random/random-llama-256-Q5_K_M.gguf",
        "random/random-llama-256-Q6_K.gguf",       "random/random-llama-256-pure-Q4_K.gguf",
        "random/random-llama-256-pure-Q5_K.gguf",  "random/random-llama-256-pure-Q4_1.gguf",
        "random/random-llama-256-pure-Q5_0.gguf",  "random/random-llama-256-pure-Q5_1.gguf",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        check_teacher_forced(files[i], 3e-2, PROMPTS(0x0b, 1u << (i % 5)));
}

TEST_CASE(llm, model_teacher_forced_tiny_bpe)
{
    check_teacher_forced("random/random-qwen2-tiny-Q8_0.gguf", 3e-2, PROMPTS(0x1f, 0x02));
    check_teacher_forced("random/random-llama3-tiny-Q8_0.gguf", 3e-2, PROMPTS(0x1f, 0x08));
}

TEST_CASE(llm, model_context_overflow_and_validation)
{
    struct llm_model *m = load_model("stories260K/stories260K.gguf");
    struct llm_model_info info;
    llm_model_get_info(m, &info);
    ASSERT_STR_EQ(info.arch, "llama");
    ASSERT_INT_EQ(info.n_ctx_train, 2048);
    ASSERT_INT_EQ(info.n_vocab, 512);
    /* a context longer than the model's is refused with a reason */
    struct llm_context_params p;
    llm_context_params_default(&p);
    p.n_ctx = 4096;
    struct llm_context *c = NULL;
    char err[256];
    ASSERT_INT_EQ(llm_context_new(m, &p, &c, err, sizeof err), ERR_INVALID);
    ASSERT_TRUE(strstr(err, "2048") != NULL);

    c = new_ctx(m, 8, 1, LLM_KV_F32, 1);
    struct llm_batch_item items[9];
    for (int i = 0; i < 9; i++)
        items[i] = (struct llm_batch_item){1 + i, i, 0, i == 8};
    ASSERT_INT_EQ(llm_decode(c, items, 9), ERR_TOO_LARGE);
    ASSERT_TRUE(strstr(llm_context_error(c), "context overflow") != NULL);
    ASSERT_INT_EQ(llm_seq_len(c, 0), 0); /* nothing changed */
    ASSERT_INT_EQ(llm_decode(c, items, 8), 0);
    ASSERT_INT_EQ(llm_seq_len(c, 0), 8);
    struct llm_batch_item next = {5, 8, 0, true};
    ASSERT_INT_EQ(llm_decode(c, &next, 1), ERR_TOO_LARGE);
    /* positions must continue the slot; tokens and slots must exist */
    ASSERT_INT_EQ(llm_seq_truncate(c, 0, 4), 0);
    struct llm_batch_item skip = {5, 6, 0, true};
    ASSERT_INT_EQ(llm_decode(c, &skip, 1), ERR_INVALID);
    struct llm_batch_item bad_tok = {512, 4, 0, true};
    ASSERT_INT_EQ(llm_decode(c, &bad_tok, 1), ERR_INVALID);
    struct llm_batch_item bad_seq = {5, 0, 1, true};
    ASSERT_INT_EQ(llm_decode(c, &bad_seq, 1), ERR_INVALID);
    /* more logits rows than the context keeps */
    llm_seq_clear(c, 0);
    items[0].logits = true;
    items[1].logits = true;
    ASSERT_INT_EQ(llm_decode(c, items, 2), ERR_TOO_LARGE);
    llm_context_free(c);
    llm_model_unref(m);
}

/* Two sequences decoded in one batch give the same logits as each decoded alone. */
TEST_CASE(llm, model_batched_sequences_match_single)
{
    struct llm_model *m = load_model("stories260K/stories260K.gguf");
    struct llm_context_params p;
    llm_context_params_default(&p);
    p.n_ctx = 64;
    p.n_seq = 2;
    p.n_outputs = 2;
    p.kv_type = LLM_KV_F32;
    struct llm_context *c = NULL;
    ASSERT_INT_EQ(llm_context_new(m, &p, &c, NULL, 0), 0);
    const int32_t a[] = {1, 400, 300, 200};
    const int32_t b[] = {1, 100, 50};
    float la[512], lb[512];
    struct llm_batch_item items[8];
    for (int i = 0; i < 4; i++)
        items[i] = (struct llm_batch_item){a[i], i, 0, i == 3};
    ASSERT_INT_EQ(llm_decode(c, items, 4), 0);
    memcpy(la, llm_get_logits(c, 0), sizeof la);
    for (int i = 0; i < 3; i++)
        items[i] = (struct llm_batch_item){b[i], i, 1, i == 2};
    ASSERT_INT_EQ(llm_decode(c, items, 3), 0);
    memcpy(lb, llm_get_logits(c, 0), sizeof lb);
    /* now one more token for each, interleaved in one batch, against single decodes */
    struct llm_batch_item both[2] = {{7, 4, 0, true}, {9, 3, 1, true}};
    ASSERT_INT_EQ(llm_decode(c, both, 2), 0);
    ASSERT_INT_EQ(llm_n_outputs(c), 2);
    memcpy(la, llm_get_logits(c, 0), sizeof la);
    memcpy(lb, llm_get_logits(c, 1), sizeof lb);
    ASSERT_INT_EQ(llm_seq_truncate(c, 0, 4), 0);
    ASSERT_INT_EQ(llm_seq_truncate(c, 1, 3), 0);
    ASSERT_INT_EQ(llm_decode(c, &both[1], 1), 0);
    for (int i = 0; i < 512; i++)
        ASSERT_NEAR(llm_get_logits(c, 0)[i], lb[i], 1e-5);
    ASSERT_INT_EQ(llm_decode(c, &both[0], 1), 0);
    for (int i = 0; i < 512; i++)
        ASSERT_NEAR(llm_get_logits(c, 0)[i], la[i], 1e-5);
    llm_context_free(c);
    llm_model_unref(m);
}

TEST_CASE(llm, model_embeddings)
{
    struct llm_model *m = load_model("stories260K/stories260K.gguf");
    struct llm_context *c = new_ctx(m, 64, 1, LLM_KV_F32, 2);
    const int32_t s1[] = {1, 400, 300, 200, 100};
    const int32_t s2[] = {1, 401, 300, 200, 100};
    float e1[64], e1b[64], e2[64];
    ASSERT_INT_EQ(llm_embed(c, 0, s1, 5, e1), 0);
    ASSERT_INT_EQ(llm_embed(c, 0, s2, 5, e2), 0);
    ASSERT_INT_EQ(llm_embed(c, 0, s1, 5, e1b), 0);
    double n1 = 0, diff = 0;
    for (int i = 0; i < 64; i++) {
        ASSERT_TRUE(e1[i] == e1b[i]);
        n1 += (double)e1[i] * e1[i];
        diff += fabs(e1[i] - e2[i]);
    }
    ASSERT_NEAR(n1, 1.0, 1e-5);
    ASSERT_TRUE(diff > 1e-3);
    ASSERT_INT_EQ(llm_seq_len(c, 0), 0);
    int32_t long_seq[65] = {0};
    ASSERT_INT_EQ(llm_embed(c, 0, long_seq, 65, e1), ERR_TOO_LARGE);
    llm_context_free(c);
    llm_model_unref(m);
}

/* Rows are split between threads, never reduced across them: the logits do not depend on the
 * thread count (llama.cpp's results were likewise identical with 1 and 2 threads). */
TEST_CASE(llm, model_threads_bitwise_identical)
{
    struct llm_model *m = load_model("random/random-llama-256-Q4_K_M.gguf");
    const int32_t toks[] = {1, 400, 300, 200, 100, 7, 9, 11};
    float ref[512];
    for (int threads = 1; threads <= 3; threads++) {
        struct llm_context *c = new_ctx(m, 32, 8, LLM_KV_F16, threads);
        struct llm_batch_item items[8];
        for (int i = 0; i < 8; i++)
            items[i] = (struct llm_batch_item){toks[i], i, 0, true};
        ASSERT_INT_EQ(llm_decode(c, items, 8), 0);
        const float *l = llm_get_logits(c, 7);
        if (threads == 1)
            memcpy(ref, l, sizeof ref);
        else
            ASSERT_TRUE(memcmp(ref, l, sizeof ref) == 0);
        llm_context_free(c);
    }
    llm_model_unref(m);
}

/* Writes a copy of stories260K with one metadata entry replaced (or added) or one tensor
 * left out, to path. */
static void write_variant(const char *path, const char *key, uint32_t u32_val, const char *str_val,
                          const char *drop_tensor)
{
    struct llm_gguf *g = NULL;
    char err[256];
    ASSERT_INT_EQ(llm_gguf_open(harness_path("../shared/models/stories260K/stories260K.gguf"), &g,
                                err, sizeof err),
                  0);
    struct llm_gguf_writer *w = llm_gguf_writer_new();
    bool done = false;
    for (int64_t i = 0; i < llm_gguf_kv_count(g); i++) {
        if (key && strcmp(llm_gguf_kv_key(g, i), key) == 0) {
            done = true;
            if (str_val)
                ASSERT_INT_EQ(llm_gguf_writer_set_str(w, key, str_from_cstr(str_val)), 0);
            else
                ASSERT_INT_EQ(llm_gguf_writer_set_u32(w, key, u32_val), 0);
            continue;
        }
        ASSERT_INT_EQ(llm_gguf_writer_copy_kv(w, g, i), 0);
    }
    if (key && !done) {
        if (str_val)
            ASSERT_INT_EQ(llm_gguf_writer_set_str(w, key, str_from_cstr(str_val)), 0);
        else
            ASSERT_INT_EQ(llm_gguf_writer_set_u32(w, key, u32_val), 0);
    }
    for (int64_t i = 0; i < llm_gguf_tensor_count(g); i++) {
        const struct llm_gguf_tensor *t = llm_gguf_tensor_at(g, i);
        if (drop_tensor && strcmp(t->name, drop_tensor) == 0)
            continue;
        ASSERT_INT_EQ(llm_gguf_writer_add_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data),
                      0);
    }
    ASSERT_INT_EQ(llm_gguf_writer_write(w, path, NULL, NULL), 0);
    llm_gguf_writer_free(w);
    llm_gguf_close(g);
}

/* A model file whose hyper-parameters do not fit its tensors fails to load with a reason
 * instead of allocating what the header claims or crashing later. */
TEST_CASE(llm, model_load_rejects_inconsistent_files)
{
    const struct {
        const char *key;
        uint32_t u32;
        const char *str;
        const char *drop;
        int want;
    } rows[] = {
        {NULL, 0, NULL, NULL, 0}, /* the unmodified copy loads */
        {"llama.block_count", 1000000, NULL, NULL, ERR_INVALID},
        {"llama.block_count", 6, NULL, NULL, ERR_INVALID},
        {"llama.attention.head_count", 3, NULL, NULL, ERR_INVALID},
        {"llama.attention.head_count_kv", 3, NULL, NULL, ERR_INVALID},
        {"llama.embedding_length", 128, NULL, NULL, ERR_INVALID},
        {"llama.feed_forward_length", 256, NULL, NULL, ERR_INVALID},
        {"llama.rope.dimension_count", 16, NULL, NULL, ERR_INVALID},
        {"general.architecture", 0, "gpt2", NULL, ERR_UNSUPPORTED},
        {"llama.rope.scaling.type", 0, "yarn", NULL, ERR_UNSUPPORTED},
        {NULL, 0, NULL, "blk.4.ffn_down.weight", ERR_INVALID},
        {NULL, 0, NULL, "output_norm.weight", ERR_INVALID},
    };
    char path[] = "/tmp/relais-model-variant-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        write_variant(path, rows[i].key, rows[i].u32, rows[i].str, rows[i].drop);
        struct llm_model *m = NULL;
        char err[256] = "";
        int rc = llm_model_load(path, &m, err, sizeof err);
        if (rc != rows[i].want)
            harness_fail(__FILE__, __LINE__, "row %zu: got %d (%s), want %d", i, rc, err,
                         rows[i].want);
        if (rc != 0)
            ASSERT_TRUE(err[0] != '\0' && m == NULL);
        llm_model_unref(m);
    }
    unlink(path);
}
