/* quant_test.c: the block formats and reference kernels of src/llm/quant/.
 * - dequantization reproduces ggml's to_float bit for bit (sha256 of every tensor of
 *   every quantized reference file, from shared/models/dequant-reference.json);
 * - the weight quantizers reproduce llama-quantize's output for the random-llama-256
 *   files (compared block by block with the quantized files themselves);
 * - every vec_dot agrees with dequantize + float dot within a per-type tolerance;
 * - quantize/dequantize round trips stay within per-type error bounds;
 * - fp16/bf16 conversions against fixed values and an independent conversion. */
#include "harness.h"

#include <unistd.h>

#include <jansson.h>
#include <math.h>
#include <sodium.h>

#include "base/err.h"
#include "llm/gguf.h"
#include "llm/kernels/kernels.h"
#include "llm/quant/quant.h"


static void hex32(const unsigned char *h, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[64] = '\0';
}

/* sha256 of a tensor's dequantized values (little-endian f32; this host is LE). */
static void dequant_sha256(const struct llm_gguf_tensor *t, char out[65])
{
    const struct llm_type_traits *tr = llm_type_traits_ref(t->type);
    ASSERT_TRUE(tr && tr->to_float);
    size_t row_bytes;
    ASSERT_INT_EQ(llm_type_row_size(t->type, t->ne[0], &row_bytes), 0);
    int64_t rows = t->n_elements / t->ne[0];
    float *row = malloc((size_t)t->ne[0] * sizeof(float));
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (int64_t r = 0; r < rows; r++) {
        tr->to_float((const char *)t->data + (size_t)r * row_bytes, row, t->ne[0]);
        crypto_hash_sha256_update(&st, (const unsigned char *)row,
                                  (size_t)t->ne[0] * sizeof(float));
    }
    unsigned char h[32];
    crypto_hash_sha256_final(&st, h);
    hex32(h, out);
    free(row);
}

/* Checks every tensor of the listed files whose name does (or does not) contain
 * "tiny" (the two BPE models are mostly one large embedding: kept in their own test). */
static void check_dequant_files(bool tiny)
{
    json_t *ref = harness_model_json("dequant-reference.json");
    json_t *files = json_object_get(ref, "files");
    const char *file;
    json_t *tensors;
    int checked = 0, types_seen[LLM_TYPE_COUNT] = {0};
    json_object_foreach(files, file, tensors) {
        if ((strstr(file, "tiny") != NULL) != tiny)
            continue;
        struct llm_gguf *g = NULL;
        char err[256];
        if (llm_gguf_open(harness_model_path(file), &g, err, sizeof err) != 0)
            harness_fail(__FILE__, __LINE__, "%s: %s", file, err);
        const char *name;
        json_t *info;
        json_object_foreach(tensors, name, info) {
            const struct llm_gguf_tensor *t = llm_gguf_find_tensor(g, name);
            ASSERT_TRUE(t != NULL);
            ASSERT_INT_EQ(t->n_elements, json_integer_value(json_object_get(info, "n")));
            char got[65];
            dequant_sha256(t, got);
            const char *want = json_string_value(json_object_get(info, "sha256_f32"));
            if (strcmp(got, want) != 0)
                harness_fail(__FILE__, __LINE__, "%s %s (%s): sha256 %s, want %s", file, name,
                             llm_type_name(t->type), got, want);
            types_seen[t->type]++;
            checked++;
        }
        llm_gguf_close(g);
    }
    json_decref(ref);
    ASSERT_TRUE(checked > (tiny ? 20 : 250));
    if (!tiny) {
        static const enum llm_type must[] = {LLM_TYPE_F16,  LLM_TYPE_BF16, LLM_TYPE_Q4_0,
                                             LLM_TYPE_Q4_1, LLM_TYPE_Q5_0, LLM_TYPE_Q5_1,
                                             LLM_TYPE_Q8_0, LLM_TYPE_Q4_K, LLM_TYPE_Q5_K,
                                             LLM_TYPE_Q6_K};
        for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
            ASSERT_TRUE(types_seen[must[i]] > 0);
    }
}

TEST_CASE(llm, quant_dequant_matches_ggml)
{
    harness_require_models();
    check_dequant_files(false);
}

TEST_CASE(llm, quant_dequant_matches_ggml_bpe_models)
{
    harness_require_models();
    check_dequant_files(true);
}

/* ---- weights quantized here vs llama-quantize's files --------------------------------- */

struct quant_file_case {
    const char *file;      /* quantized reference file (llama-quantize output) */
    enum llm_type type;    /* the type whose tensors are compared */
    double min_agreement;  /* fraction of blocks that must be byte-identical */
};

TEST_CASE(llm, quant_weights_match_llama_quantize)
{
    harness_require_models();
    static const struct quant_file_case cases[] = {
        /* Q8_0, Q4_0, Q6_K, Q5_1 and the K mixes: whole files in cli_test.c */
        {"random/random-llama-256-pure-Q4_1.gguf", LLM_TYPE_Q4_1, 1.0},
        {"random/random-llama-256-pure-Q5_0.gguf", LLM_TYPE_Q5_0, 1.0},
        {"random/random-llama-256-pure-Q4_K.gguf", LLM_TYPE_Q4_K, 1.0},
        {"random/random-llama-256-pure-Q5_K.gguf", LLM_TYPE_Q5_K, 1.0},
    };
    struct llm_gguf *src = NULL;
    char err[256];
    if (llm_gguf_open(harness_model_path("random/random-llama-256-F32.gguf"), &src, err,
                      sizeof err))
        harness_fail(__FILE__, __LINE__, "%s", err);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct llm_gguf *q = NULL;
        if (llm_gguf_open(harness_model_path(cases[c].file), &q, err, sizeof err))
            harness_fail(__FILE__, __LINE__, "%s", err);
        const struct llm_type_traits *tr = llm_type_traits_ref(cases[c].type);
        int64_t blocks = 0, same = 0, tensors = 0;
        for (int64_t i = 0; i < llm_gguf_tensor_count(q); i++) {
            const struct llm_gguf_tensor *qt = llm_gguf_tensor_at(q, i);
            if (qt->type != cases[c].type || strncmp(qt->name, "blk.0.", 6) != 0)
                continue; /* layer 0 only: the K-quant search is slow under ASan */
            const struct llm_gguf_tensor *ft = llm_gguf_find_tensor(src, qt->name);
            ASSERT_TRUE(ft != NULL && ft->type == LLM_TYPE_F32);
            uint8_t *out = malloc(qt->size_bytes);
            tr->quantize_ref(ft->data, out, ft->n_elements);
            for (size_t off = 0; off < qt->size_bytes; off += tr->type_size) {
                blocks++;
                same += memcmp(out + off, (const uint8_t *)qt->data + off, tr->type_size) == 0;
            }
            free(out);
            tensors++;
        }
        ASSERT_TRUE(tensors > 0);
        double agree = (double)same / (double)blocks;
        if (agree < cases[c].min_agreement)
            harness_fail(__FILE__, __LINE__, "%s: %" PRId64 " of %" PRId64
                         " blocks identical (%.6f)", cases[c].file, same, blocks, agree);
        llm_gguf_close(q);
    }
    llm_gguf_close(src);
}

/* ---- kernels vs dequantize + float dot ------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rng_u32(void)
{
    return harness_rng_u32(&rng_state);
}

/* uniform in [-1, 1) with occasional outliers, as real activations have */
static float rng_f(void)
{
    float v = (float)(rng_u32() & 0xffffff) / 8388608.0f - 1.0f;
    if ((rng_u32() & 63) == 0)
        v *= 8;
    return v;
}

/* Fills a weight row of type t with random content: quantized from random floats when
 * the type has a quantizer, else random bytes with sane fp16 scales. */
static void random_row(enum llm_type t, int64_t n, void *dst)
{
    const struct llm_type_traits *tr = llm_type_traits_ref(t);
    float *x = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        x[i] = rng_f();
    if (tr->quantize_ref) {
        tr->quantize_ref(x, dst, n);
    } else {
        size_t bytes;
        ASSERT_INT_EQ(llm_type_row_size(t, n, &bytes), 0);
        uint8_t *p = dst;
        for (size_t i = 0; i < bytes; i++)
            p[i] = (uint8_t)rng_u32();
        /* Q2_K: d, dmin at 80, 82; Q3_K: d at 108 (set to ~0.01 / 0.005) */
        for (size_t b = 0; b < bytes; b += tr->type_size) {
            uint16_t d = llm_f32_to_fp16(0.01f), dm = llm_f32_to_fp16(0.005f);
            if (t == LLM_TYPE_Q2_K) {
                memcpy(p + b + 80, &d, 2);
                memcpy(p + b + 82, &dm, 2);
            } else if (t == LLM_TYPE_Q3_K) {
                memcpy(p + b + 108, &d, 2);
            }
        }
    }
    free(x);
}

/* cols activation rows of type at, n elements each quantized from rng_f floats, at
 * a + c * stride. */
static void random_acts(const struct llm_type_traits *at, int64_t n, int cols, char *a,
                        size_t stride)
{
    float *x = malloc((size_t)n * sizeof(float));
    for (int c = 0; c < cols; c++) {
        for (int64_t i = 0; i < n; i++)
            x[i] = rng_f();
        at->from_float(x, a + (size_t)c * stride, n);
    }
    free(x);
}

/* The operands of a matmul test: rows random weight rows of type wt (*w, *wrow bytes apart)
 * and cols random activation columns of its vec_dot type (*a, *arow bytes apart), n elements
 * each; *w and *a are malloc'd (free them). */
static void random_matmul_inputs(const struct llm_type_traits *wt, int64_t n, int rows, int cols,
                                 char **w, size_t *wrow, char **a, size_t *arow)
{
    const struct llm_type_traits *at = llm_type_traits(wt->vec_dot_type);
    ASSERT_INT_EQ(llm_type_row_size(wt->type, n, wrow), 0);
    ASSERT_INT_EQ(llm_type_row_size(at->type, n, arow), 0);
    *w = malloc(*wrow * (size_t)rows);
    *a = malloc(*arow * (size_t)cols);
    for (int r = 0; r < rows; r++)
        random_row(wt->type, n, *w + (size_t)r * *wrow);
    random_acts(at, n, cols, *a, *arow);
}

/* n floats set to -1, the mark of an output element a kernel must leave alone (malloc'd). */
static float *untouched_floats(size_t n)
{
    float *y = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        y[i] = -1.0f;
    return y;
}

struct dot_case {
    enum llm_type type; /* weight type */
    double rel_tol;     /* |got - want| <= rel_tol * sum |w_i a_i| */
};
/* Q4_1/Q5_1 dots use Q8_1's s = fp16(d * sum(q)), which carries a rounding error of up to
 * 2^-11 relative that dequantization does not see (ggml has the same): the check allows
 * an extra 2^-11 * sum over blocks of |m * s| for them (q8_1_allowance). */

static const struct dot_case dot_cases[] = {
    {LLM_TYPE_F32, 1e-6},  {LLM_TYPE_F16, 1e-6},  {LLM_TYPE_BF16, 1e-6},
    {LLM_TYPE_Q4_0, 1e-5}, {LLM_TYPE_Q4_1, 1e-5}, {LLM_TYPE_Q5_0, 1e-5},
    {LLM_TYPE_Q5_1, 1e-5}, {LLM_TYPE_Q8_0, 1e-5}, {LLM_TYPE_Q2_K, 1e-5},
    {LLM_TYPE_Q3_K, 1e-5}, {LLM_TYPE_Q4_K, 1e-5}, {LLM_TYPE_Q5_K, 1e-5},
    {LLM_TYPE_Q6_K, 1e-5},
};

static double q8_1_allowance(const struct llm_type_traits *wt, int64_t n, const void *w,
                             const void *a)
{
    if (wt->vec_dot_type != LLM_TYPE_Q8_1)
        return 0;
    double sum = 0;
    for (int64_t b = 0; b < n / 32; b++) {
        uint16_t m, s; /* m at byte 2 of a Q4_1/Q5_1 block, s at byte 2 of a Q8_1 block */
        memcpy(&m, (const uint8_t *)w + (size_t)b * wt->type_size + 2, 2);
        memcpy(&s, (const uint8_t *)a + (size_t)b * 36 + 2, 2);
        sum += fabs((double)llm_fp16_to_f32(m) * (double)llm_fp16_to_f32(s));
    }
    return sum / 2048.0;
}

/* Checks one dot kernel for weight type `type` against dequantize + double dot, over
 * several row lengths (odd block counts and float tails included). */
static void check_vec_dot(enum llm_type type, llm_vec_dot_fn dot, double rel_tol,
                          const char *label)
{
    static const int64_t len32[] = {32, 224, 512, 4096}, len256[] = {256, 768, 4096},
                         len1[] = {1, 7, 100, 1000, 4096};
    const struct llm_type_traits *wt = llm_type_traits_ref(type);
    const struct llm_type_traits *at = llm_type_traits_ref(wt->vec_dot_type);
    const int64_t *lengths = wt->block_size == 1 ? len1 : wt->block_size == 32 ? len32 : len256;
    size_t n_len = wt->block_size == 1 ? 5 : wt->block_size == 32 ? 4 : 3;
    for (size_t li = 0; li < n_len; li++) {
        int64_t n = lengths[li];
        size_t wbytes, abytes;
        ASSERT_INT_EQ(llm_type_row_size(wt->type, n, &wbytes), 0);
        ASSERT_INT_EQ(llm_type_row_size(at->type, n, &abytes), 0);
        void *w = malloc(wbytes), *a = malloc(abytes);
        float *x = malloc((size_t)n * sizeof(float));
        float *wf = malloc((size_t)n * sizeof(float)), *af = malloc((size_t)n * sizeof(float));
        for (int rep = 0; rep < 4; rep++) {
            random_row(wt->type, n, w);
            for (int64_t i = 0; i < n; i++)
                x[i] = rng_f();
            at->from_float(x, a, n);
            wt->to_float(w, wf, n);
            at->to_float(a, af, n);
            double want = 0, mag = 0;
            for (int64_t i = 0; i < n; i++) {
                want += (double)wf[i] * (double)af[i];
                mag += fabs((double)wf[i] * (double)af[i]);
            }
            double got = dot(n, w, a);
            double tol = rel_tol * mag + q8_1_allowance(wt, n, w, a) + 1e-30;
            if (!(fabs(got - want) <= tol))
                harness_fail(__FILE__, __LINE__, "%s %s n=%" PRId64 ": dot %.9g, want %.9g "
                             "(mag %.3g)", label, wt->name, n, got, want, mag);
        }
        free(w);
        free(a);
        free(x);
        free(wf);
        free(af);
    }
}

/* Checks `traits` (reference or dispatched) for every weight type. */
static void check_vec_dots(const struct llm_type_traits *(*get)(enum llm_type))
{
    rng_state = 0x9e3779b97f4a7c15ull;
    for (size_t c = 0; c < sizeof dot_cases / sizeof dot_cases[0]; c++) {
        const struct llm_type_traits *wt = get(dot_cases[c].type);
        const struct llm_type_traits *at = get(wt->vec_dot_type);
        ASSERT_TRUE(wt->vec_dot && at->from_float && wt->to_float && at->to_float);
        check_vec_dot(wt->type, wt->vec_dot, dot_cases[c].rel_tol,
                      get == llm_type_traits ? llm_kernels_name() : "reference");
    }
}

TEST_CASE(llm, quant_vec_dot_ref_matches_dequant)
{
    check_vec_dots(llm_type_traits_ref);
}

TEST_CASE(llm, quant_vec_dot_dispatch_matches_dequant)
{
    check_vec_dots(llm_type_traits);
}

/* Every SIMD kernel this CPU can run, called directly (dispatch picks only the best set,
 * so the AVX2 versions of kernels that also have AVX-512 versions are tested here). */
TEST_CASE(llm, quant_simd_kernels_match_dequant)
{
#if defined(__x86_64__)
    struct simd_case {
        const char *set;    /* instruction set label */
        enum llm_type type; /* weight type */
        llm_vec_dot_fn fn;  /* kernel */
    };
    static const struct simd_case cases[] = {
        {"avx2", LLM_TYPE_Q4_0, llm_avx2_vec_dot_q4_0_q8_0},
        {"avx2", LLM_TYPE_Q8_0, llm_avx2_vec_dot_q8_0_q8_0},
        {"avx2", LLM_TYPE_Q4_1, llm_avx2_vec_dot_q4_1_q8_1},
        {"avx2", LLM_TYPE_Q5_0, llm_avx2_vec_dot_q5_0_q8_0},
        {"avx2", LLM_TYPE_Q5_1, llm_avx2_vec_dot_q5_1_q8_1},
        {"avx2", LLM_TYPE_Q2_K, llm_avx2_vec_dot_q2_K_q8_K},
        {"avx2", LLM_TYPE_Q3_K, llm_avx2_vec_dot_q3_K_q8_K},
        {"avx2", LLM_TYPE_Q4_K, llm_avx2_vec_dot_q4_K_q8_K},
        {"avx2", LLM_TYPE_Q5_K, llm_avx2_vec_dot_q5_K_q8_K},
        {"avx2", LLM_TYPE_Q6_K, llm_avx2_vec_dot_q6_K_q8_K},
        {"avx2", LLM_TYPE_F32, llm_avx2_vec_dot_f32},
        {"avx2", LLM_TYPE_F16, llm_avx2_vec_dot_f16},
        {"avx2", LLM_TYPE_BF16, llm_avx2_vec_dot_bf16},
        {"avx512", LLM_TYPE_Q4_0, llm_avx512_vec_dot_q4_0_q8_0},
        {"avx512", LLM_TYPE_Q8_0, llm_avx512_vec_dot_q8_0_q8_0},
        {"avx512", LLM_TYPE_Q4_0, llm_avx512_vec_dot_q4_0_q8_0_v2},
        {"avx512", LLM_TYPE_Q8_0, llm_avx512_vec_dot_q8_0_q8_0_v2},
        {"avx512", LLM_TYPE_F32, llm_avx512_vec_dot_f32},
        {"avx512", LLM_TYPE_F16, llm_avx512_vec_dot_f16},
        {"avx512bf16", LLM_TYPE_BF16, llm_avx512_vec_dot_bf16},
    };
    bool avx2 = llm_kernels_have_avx2();
    bool avx512 = llm_kernels_have_avx512();
    bool bf16 = llm_kernels_have_avx512bf16();
    if (!avx2)
        harness_skip("no AVX2 on this CPU");
    rng_state = 4242;
    int ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool ok = strcmp(cases[i].set, "avx2") == 0 ? avx2
                  : strcmp(cases[i].set, "avx512") == 0 ? avx512 : bf16;
        if (!ok)
            continue;
        check_vec_dot(cases[i].type, cases[i].fn, cases[i].type == LLM_TYPE_BF16 ? 1e-5 : 1e-5,
                      cases[i].set);
        ran++;
    }
    ASSERT_TRUE(ran >= 8);
    /* the AVX2 activation quantizers directly: same bytes as the scalar ones */
    enum { N = 2048 };
    static float x[N];
    static uint8_t r[N * 2], v[N * 2];
    static const struct {
        enum llm_type type;
        llm_from_float_fn fn;
    } q[] = {{LLM_TYPE_Q8_0, llm_avx2_quantize_row_q8_0},
             {LLM_TYPE_Q8_1, llm_avx2_quantize_row_q8_1},
             {LLM_TYPE_Q8_K, llm_avx2_quantize_row_q8_K},
             {LLM_TYPE_F16, llm_avx2_quantize_row_f16}};
    for (int rep = 0; rep < 4; rep++) {
        for (int i = 0; i < N; i++)
            x[i] = rng_f();
        x[5] = -8.5f; /* a negative maximum, as Q8_K's sign rule needs */
        x[300] = 8.5f;
        for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
            size_t bytes;
            ASSERT_INT_EQ(llm_type_row_size(q[k].type, N, &bytes), 0);
            llm_type_traits_ref(q[k].type)->from_float(x, r, N);
            q[k].fn(x, v, N);
            if (memcmp(r, v, bytes) != 0)
                harness_fail(__FILE__, __LINE__, "avx2 from_float %s differs from reference",
                             llm_type_name(q[k].type));
        }
    }
#else
    harness_skip("no SIMD kernels on this architecture");
#endif
}

/* Checks out[c] == dot(w, a_c) bit for bit for nc = 1..7 columns. */
static void check_nc(enum llm_type type, llm_vec_dot_fn dot,
                     void (*nc_fn)(const struct llm_type_traits *, llm_vec_dot_nc_fn, int64_t, int,
                                   float *, const void *, const void *, size_t),
                     llm_vec_dot_nc_fn direct, const char *label)
{
    const struct llm_type_traits *wt = llm_type_traits(type);
    const struct llm_type_traits *at = llm_type_traits(wt->vec_dot_type);
    const int64_t n = wt->block_size == 1 ? 1000 : wt->block_size == 32 ? 224 : 768;
    size_t wbytes, abytes;
    ASSERT_INT_EQ(llm_type_row_size(type, n, &wbytes), 0);
    ASSERT_INT_EQ(llm_type_row_size(at->type, n, &abytes), 0);
    size_t stride = abytes + 64; /* rows need not be adjacent */
    void *w = malloc(wbytes);
    char *a = malloc(stride * 7);
    random_row(type, n, w);
    random_acts(at, n, 7, a, stride);
    for (int nc = 1; nc <= 7; nc++) {
        float out[7];
        nc_fn(wt, direct, n, nc, out, w, a, stride);
        for (int c = 0; c < nc; c++) {
            float want = dot(n, w, a + (size_t)c * stride);
            if (memcmp(&out[c], &want, sizeof want) != 0)
                harness_fail(__FILE__, __LINE__, "%s %s nc=%d col %d: %.9g, vec_dot %.9g", label,
                             wt->name, nc, c, out[c], want);
        }
    }
    free(w);
    free(a);
}

static void via_traits(const struct llm_type_traits *t, llm_vec_dot_nc_fn unused, int64_t n,
                       int nc, float *out, const void *w, const void *a, size_t stride)
{
    (void)unused;
    llm_vec_dot_nc(t, n, nc, out, w, a, stride);
}

static void via_direct(const struct llm_type_traits *t, llm_vec_dot_nc_fn fn, int64_t n, int nc,
                       float *out, const void *w, const void *a, size_t stride)
{
    (void)t;
    fn(n, nc, out, w, a, stride);
}

/* Multi-column dots give each column exactly what vec_dot gives it alone, so batching
 * tokens or sequences never changes results. */
TEST_CASE(llm, quant_vec_dot_nc_bit_identical)
{
    rng_state = 31337;
    for (size_t c = 0; c < sizeof dot_cases / sizeof dot_cases[0]; c++) {
        const struct llm_type_traits *t = llm_type_traits(dot_cases[c].type);
        check_nc(t->type, t->vec_dot, via_traits, NULL, llm_kernels_name());
    }
#if defined(__x86_64__)
    if (!llm_kernels_have_avx2())
        return;
    static const struct {
        enum llm_type type;
        llm_vec_dot_fn dot;
        llm_vec_dot_nc_fn nc;
    } direct[] = {
        {LLM_TYPE_Q4_0, llm_avx2_vec_dot_q4_0_q8_0, llm_avx2_vec_dot_nc_q4_0_q8_0},
        {LLM_TYPE_Q8_0, llm_avx2_vec_dot_q8_0_q8_0, llm_avx2_vec_dot_nc_q8_0_q8_0},
        {LLM_TYPE_Q4_1, llm_avx2_vec_dot_q4_1_q8_1, llm_avx2_vec_dot_nc_q4_1_q8_1},
        {LLM_TYPE_Q5_0, llm_avx2_vec_dot_q5_0_q8_0, llm_avx2_vec_dot_nc_q5_0_q8_0},
        {LLM_TYPE_Q5_1, llm_avx2_vec_dot_q5_1_q8_1, llm_avx2_vec_dot_nc_q5_1_q8_1},
        {LLM_TYPE_Q4_K, llm_avx2_vec_dot_q4_K_q8_K, llm_avx2_vec_dot_nc_q4_K_q8_K},
        {LLM_TYPE_Q5_K, llm_avx2_vec_dot_q5_K_q8_K, llm_avx2_vec_dot_nc_q5_K_q8_K},
        {LLM_TYPE_Q6_K, llm_avx2_vec_dot_q6_K_q8_K, llm_avx2_vec_dot_nc_q6_K_q8_K},
    };
    for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++)
        check_nc(direct[i].type, direct[i].dot, via_direct, direct[i].nc, "avx2");
    /* the AVX-512 VNNI Q4_0 dot pairs with the AVX2 multi-column one: same bits */
    if (llm_kernels_have_avx512())
        check_nc(LLM_TYPE_Q4_0, llm_avx512_vec_dot_q4_0_q8_0, via_direct,
                 llm_avx2_vec_dot_nc_q4_0_q8_0, "avx512");
#endif
}

/* llm_matmul_rows gives, for every (row, column), exactly vec_dot's bits, across column
 * tiles and partial row ranges. */
TEST_CASE(llm, quant_matmul_rows_matches_vec_dot)
{
    static const enum llm_type types[] = {LLM_TYPE_Q4_0, LLM_TYPE_Q8_0, LLM_TYPE_Q4_K,
                                          LLM_TYPE_Q6_K, LLM_TYPE_F16, LLM_TYPE_Q5_1};
    enum { ROWS = 9, COLS = 37, N = 512 };
    rng_state = 2024;
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const struct llm_type_traits *wt = llm_type_traits(types[k]);
        char *w, *a;
        size_t wrow, arow;
        random_matmul_inputs(wt, N, ROWS, COLS, &w, &wrow, &a, &arow);
        const size_t ldy = ROWS + 3;
        float *y = untouched_floats(ldy * COLS);
        llm_matmul_rows(wt, N, w, wrow, 2, ROWS, a, arow, COLS, y, ldy);
        for (int c = 0; c < COLS; c++) {
            for (int r = 0; r < (int)ldy; r++) {
                float got = y[(size_t)c * ldy + (size_t)r];
                if (r < 2 || r >= ROWS) {
                    ASSERT_TRUE(got == -1.0f); /* outside the row range: untouched */
                    continue;
                }
                float want = wt->vec_dot(N, w + (size_t)r * wrow, a + (size_t)c * arow);
                if (memcmp(&got, &want, sizeof got) != 0)
                    harness_fail(__FILE__, __LINE__, "%s row %d col %d: %.9g, vec_dot %.9g",
                                 wt->name, r, c, got, want);
            }
        }
        free(w);
        free(a);
        free(y);
    }
}

/* The AVX-512 tile kernels (16-row panels, 32-block slices, 4-column groups, 32-column
 * tiles) give exactly the dispatched vec_dot's bits on every (row, column), including the
 * rows left over after the panels, a slice of 13 blocks and a partial chain group; and
 * those values agree with the dequantized reference. */
TEST_CASE(llm, quant_gemm_tiles_match_vec_dot)
{
#if defined(__x86_64__)
    if (!llm_kernels_have_avx512()) {
        harness_skip("no AVX-512 VNNI");
        return;
    }
    static const enum llm_type types[] = {LLM_TYPE_Q4_0, LLM_TYPE_Q8_0};
    static const llm_gemm_fn gemms[] = {llm_avx512_gemm_q4_0_q8_0, llm_avx512_gemm_q8_0_q8_0};
    static const llm_vec_dot_fn dots[] = {llm_avx512_vec_dot_q4_0_q8_0_v2,
                                          llm_avx512_vec_dot_q8_0_q8_0_v2};
    enum { ROWS = 40, R0 = 3, COLS = 38, N = 32 * 45 };
    rng_state = 77;
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const struct llm_type_traits *wt = llm_type_traits(types[k]);
        const struct llm_type_traits *ref = llm_type_traits_ref(types[k]);
        char *w, *a;
        size_t wrow, arow;
        random_matmul_inputs(wt, N, ROWS, COLS, &w, &wrow, &a, &arow);
        const size_t ldy = ROWS + 1;
        float *y = untouched_floats(ldy * COLS);
        gemms[k](N, w, wrow, R0, ROWS, a, arow, COLS, y, ldy);
        for (int c = 0; c < COLS; c++) {
            for (int r = 0; r < (int)ldy; r++) {
                float got = y[(size_t)c * ldy + (size_t)r];
                if (r < R0 || r >= ROWS) {
                    ASSERT_TRUE(got == -1.0f);
                    continue;
                }
                const char *wr = w + (size_t)r * wrow, *ac = a + (size_t)c * arow;
                float want = dots[k](N, wr, ac);
                if (memcmp(&got, &want, sizeof got) != 0)
                    harness_fail(__FILE__, __LINE__, "%s row %d col %d: %.9g, vec_dot %.9g",
                                 wt->name, r, c, got, want);
                float exact = ref->vec_dot(N, wr, ac);
                ASSERT_NEAR(got, exact, 1e-4 * (fabs(exact) + 1.0));
            }
        }
        free(w);
        free(a);
        free(y);
    }
#else
    harness_skip("no x86 kernels");
#endif
}

/* The dispatched activation quantizers must produce the same bytes as the scalar ones
 * (they decide which integers the dot products see). */
TEST_CASE(llm, quant_from_float_dispatch_matches_ref)
{
    static const enum llm_type types[] = {LLM_TYPE_Q8_0, LLM_TYPE_Q8_1, LLM_TYPE_Q8_K,
                                          LLM_TYPE_F16, LLM_TYPE_BF16};
    rng_state = 12345;
    enum { N = 4096 };
    static float x[N];
    static uint8_t a[N * 2], b[N * 2];
    for (int rep = 0; rep < 8; rep++) {
        for (int i = 0; i < N; i++)
            x[i] = rng_f() * (rep == 7 ? 1e-30f : 1.0f);
        if (rep == 6)
            memset(x, 0, 256 * sizeof(float)); /* an all-zero block */
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            size_t bytes;
            ASSERT_INT_EQ(llm_type_row_size(types[t], N, &bytes), 0);
            memset(a, 0, sizeof a);
            memset(b, 0, sizeof b);
            llm_type_traits_ref(types[t])->from_float(x, a, N);
            llm_type_traits(types[t])->from_float(x, b, N);
            if (memcmp(a, b, bytes) != 0)
                harness_fail(__FILE__, __LINE__, "%s: dispatched from_float differs (rep %d)",
                             llm_type_name(types[t]), rep);
        }
    }
}

/* ---- round-trip error bounds ------------------------------------------------------------ */

TEST_CASE(llm, quant_round_trip_error_bounds)
{
    static const struct {
        enum llm_type type;
        double max_rmse; /* for uniform [-1, 1) data (std 0.577) */
    } cases[] = {
        {LLM_TYPE_F16, 0.0003}, {LLM_TYPE_BF16, 0.003}, {LLM_TYPE_Q8_0, 0.005},
        {LLM_TYPE_Q8_1, 0.005}, {LLM_TYPE_Q8_K, 0.005}, {LLM_TYPE_Q6_K, 0.02},
        {LLM_TYPE_Q5_0, 0.04},  {LLM_TYPE_Q5_1, 0.04},  {LLM_TYPE_Q5_K, 0.04},
        {LLM_TYPE_Q4_0, 0.08},  {LLM_TYPE_Q4_1, 0.08},  {LLM_TYPE_Q4_K, 0.08},
    };
    enum { N = 8192 };
    static float x[N], y[N];
    static uint8_t q[N * 4];
    rng_state = 777;
    for (int i = 0; i < N; i++)
        x[i] = (float)(rng_u32() & 0xffffff) / 8388608.0f - 1.0f;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const struct llm_type_traits *tr = llm_type_traits_ref(cases[c].type);
        tr->quantize_ref(x, q, N);
        tr->to_float(q, y, N);
        double se = 0;
        for (int i = 0; i < N; i++)
            se += (double)(x[i] - y[i]) * (x[i] - y[i]);
        double rmse = sqrt(se / N);
        if (rmse > cases[c].max_rmse)
            harness_fail(__FILE__, __LINE__, "%s: rmse %.5f > %.5f", tr->name, rmse,
                         cases[c].max_rmse);
    }
}

/* ---- type table and 16-bit floats --------------------------------------------------------- */

TEST_CASE(llm, quant_type_table)
{
    static const struct {
        const char *name;
        enum llm_type type;
        int64_t block;
        size_t bytes;
    } rows[] = {
        {"F32", LLM_TYPE_F32, 1, 4},        {"f16", LLM_TYPE_F16, 1, 2},
        {"Q4_0", LLM_TYPE_Q4_0, 32, 18},    {"q4_1", LLM_TYPE_Q4_1, 32, 20},
        {"Q5_0", LLM_TYPE_Q5_0, 32, 22},    {"Q5_1", LLM_TYPE_Q5_1, 32, 24},
        {"Q8_0", LLM_TYPE_Q8_0, 32, 34},    {"Q8_1", LLM_TYPE_Q8_1, 32, 36},
        {"Q2_K", LLM_TYPE_Q2_K, 256, 84},   {"Q3_K", LLM_TYPE_Q3_K, 256, 110},
        {"q4_k", LLM_TYPE_Q4_K, 256, 144},  {"Q5_K", LLM_TYPE_Q5_K, 256, 176},
        {"Q6_K", LLM_TYPE_Q6_K, 256, 210},  {"Q8_K", LLM_TYPE_Q8_K, 256, 292},
        {"BF16", LLM_TYPE_BF16, 1, 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        enum llm_type t;
        ASSERT_INT_EQ(llm_type_from_name(rows[i].name, &t), 0);
        ASSERT_INT_EQ(t, rows[i].type);
        ASSERT_INT_EQ(llm_type_block_size(t), rows[i].block);
        ASSERT_INT_EQ(llm_type_type_size(t), rows[i].bytes);
        const struct llm_type_traits *r = llm_type_traits_ref(t);
        ASSERT_INT_EQ(r->block_size, rows[i].block);
        ASSERT_INT_EQ(r->type_size, rows[i].bytes);
        ASSERT_STR_EQ(r->name, llm_type_name(t));
        ASSERT_INT_EQ(r->is_quantized, llm_type_is_quantized(t));
        size_t rs;
        ASSERT_INT_EQ(llm_type_row_size(t, 4096, &rs), 0);
        ASSERT_INT_EQ(rs, 4096 / rows[i].block * rows[i].bytes);
    }
    enum llm_type t;
    ASSERT_INT_EQ(llm_type_from_name("Q4_K_M", &t), ERR_INVALID);
    size_t rs;
    ASSERT_INT_EQ(llm_type_row_size(LLM_TYPE_Q4_K, 100, &rs), ERR_INVALID);
    ASSERT_TRUE(!llm_type_known(4) && !llm_type_known(39) && !llm_type_known(1000));
    ASSERT_TRUE(llm_type_traits((enum llm_type)4) == NULL);
    /* ggml's vec_dot_type pairing (ggml-cpu.c type_traits_cpu) */
    ASSERT_INT_EQ(llm_type_traits(LLM_TYPE_Q4_0)->vec_dot_type, LLM_TYPE_Q8_0);
    ASSERT_INT_EQ(llm_type_traits(LLM_TYPE_Q4_1)->vec_dot_type, LLM_TYPE_Q8_1);
    ASSERT_INT_EQ(llm_type_traits(LLM_TYPE_Q5_0)->vec_dot_type, LLM_TYPE_Q8_0);
    ASSERT_INT_EQ(llm_type_traits(LLM_TYPE_Q5_1)->vec_dot_type, LLM_TYPE_Q8_1);
    ASSERT_INT_EQ(llm_type_traits(LLM_TYPE_Q6_K)->vec_dot_type, LLM_TYPE_Q8_K);
    ASSERT_INT_EQ(llm_type_traits(LLM_TYPE_F16)->vec_dot_type, LLM_TYPE_F16);
    ASSERT_INT_EQ(llm_type_traits(LLM_TYPE_BF16)->vec_dot_type, LLM_TYPE_BF16);
}

#ifdef __FLT16_MAX__
__extension__ typedef _Float16 half_t; /* the compiler's own conversion, for comparison */
#endif

static float bits_f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

TEST_CASE(llm, quant_fp16_bf16_conversions)
{
    static const struct {
        uint32_t f32;
        uint16_t f16;
    } to16[] = {
        {0x3f800000, 0x3c00}, /* 1 */
        {0xc0000000, 0xc000}, /* -2 */
        {0x477fe000, 0x7bff}, /* 65504, largest half */
        {0x477ff000, 0x7c00}, /* 65520 rounds (even) to inf */
        {0x477fefff, 0x7bff}, /* just below: stays finite */
        {0x33800000, 0x0001}, /* 2^-24, smallest subnormal */
        {0x33000000, 0x0000}, /* 2^-25: tie, rounds to even (0) */
        {0x33400000, 0x0001}, /* 1.5 * 2^-25 rounds up */
        {0x3dcccccd, 0x2e66}, /* 0.1 */
        {0x38800000, 0x0400}, /* 2^-14, smallest normal */
        {0x3f801000, 0x3c00}, /* 1 + 2^-11: tie to even (down) */
        {0x3f803000, 0x3c02}, /* 1 + 3*2^-11: tie to even (up) */
        {0x7f800000, 0x7c00}, /* inf */
        {0x80000000, 0x8000}, /* -0 */
    };
    for (size_t i = 0; i < sizeof to16 / sizeof to16[0]; i++) {
        uint16_t h = llm_f32_to_fp16(bits_f(to16[i].f32));
        if (h != to16[i].f16)
            harness_fail(__FILE__, __LINE__, "fp16(0x%08x) = 0x%04x, want 0x%04x",
                         to16[i].f32, h, to16[i].f16);
    }
    ASSERT_TRUE(isnan(llm_fp16_to_f32(llm_f32_to_fp16(NAN))));
    /* every half survives a round trip; compare with the compiler's own conversion */
    for (uint32_t h = 0; h < 65536; h++) {
        float f = llm_fp16_to_f32((uint16_t)h);
        if (((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff))
            continue; /* NaN */
        ASSERT_INT_EQ(llm_f32_to_fp16(f), h);
#ifdef __FLT16_MAX__
        half_t ref;
        uint16_t hb = (uint16_t)h;
        memcpy(&ref, &hb, 2);
        ASSERT_TRUE((float)ref == f || (f != f));
#endif
    }
#ifdef __FLT16_MAX__
    rng_state = 99;
    for (int i = 0; i < 200000; i++) {
        uint32_t u = rng_u32() ^ (rng_u32() << 16);
        float f = bits_f(u);
        if (isnan(f))
            continue;
        half_t r = (half_t)f;
        uint16_t want;
        memcpy(&want, &r, 2);
        if (llm_f32_to_fp16(f) != want)
            harness_fail(__FILE__, __LINE__, "fp16(0x%08x) = 0x%04x, compiler 0x%04x", u,
                         llm_f32_to_fp16(f), want);
    }
#endif
    static const struct {
        uint32_t f32;
        uint16_t bf16;
    } tob[] = {
        {0x3f800000, 0x3f80}, {0x3f808000, 0x3f80}, /* tie, even: down */
        {0x3f818000, 0x3f82},                       /* tie, odd: up */
        {0x3f808001, 0x3f81}, {0x7f7fffff, 0x7f80}, /* max float rounds to inf */
        {0x7fc00001, 0x7fc0}, {0x7f800001, 0x7fc0}, /* NaN: quiet, sign kept */
        {0xff800001, 0xffc0}, {0x00000001, 0x0000}, /* tiny subnormal */
    };
    for (size_t i = 0; i < sizeof tob / sizeof tob[0]; i++) {
        uint16_t h = llm_f32_to_bf16(bits_f(tob[i].f32));
        if (h != tob[i].bf16)
            harness_fail(__FILE__, __LINE__, "bf16(0x%08x) = 0x%04x, want 0x%04x",
                         tob[i].f32, h, tob[i].bf16);
    }
    ASSERT_TRUE(llm_bf16_to_f32(0x3f80) == 1.0f);
}
