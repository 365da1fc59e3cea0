/* ktile_test.c: the AVX-512 kernels for the types of Q4_K_M files, called directly: Q4_K and
 * Q6_K against Q8_K activations (src/llm/kernels/avx512_k.c) and Q5_0 against Q8_0 in the
 * tile order of avx512.c:
 * - the row dot agrees with dequantize + double-precision dot within 1e-5 of sum |w_i a_i|,
 *   on random bytes (every scale, min and quant value reachable) and on quantized rows;
 * - the tile kernel gives, for every (row, column), exactly the row dot's bits, over odd row
 *   ranges (a partial 16-row panel), more than one 64-column tile and a partial 8-column group,
 *   and leaves everything outside its rows untouched. */
#include "harness.h"

#include <math.h>

#include "llm/kernels/kernels.h"
#include "llm/quant/q_k.h"
#include "llm/quant/quant.h"

static uint64_t kt_rng = 1;

static uint32_t kt_u32(void)
{
    return harness_rng_u32(&kt_rng);
}

static float kt_f(void)
{
    return harness_rng_f(&kt_rng);
}

/* A row of n elements of type t: random bytes with sane fp16 scales (raw = true), or random
 * floats through the reference quantizer. */
static void kt_row(enum llm_type t, int64_t n, void *dst, bool raw)
{
    const struct llm_type_traits *tr = llm_type_traits_ref(t);
    size_t bytes = 0;
    ASSERT_INT_EQ(llm_type_row_size(t, n, &bytes), 0);
    if (!raw) {
        float *x = malloc((size_t)n * sizeof(float));
        for (int64_t i = 0; i < n; i++)
            x[i] = kt_f() * (i % 7 == 0 ? 4.0f : 1.0f);
        tr->quantize_ref(x, dst, n);
        free(x);
        return;
    }
    uint8_t *p = dst;
    for (size_t i = 0; i < bytes; i++)
        p[i] = (uint8_t)kt_u32();
    for (size_t b = 0; b < bytes; b += tr->type_size) {
        uint16_t d = llm_f32_to_fp16(0.001f + 0.01f * (kt_f() + 1.0f));
        uint16_t dm = llm_f32_to_fp16(0.002f * (kt_f() + 1.0f));
        if (t == LLM_TYPE_Q4_K) {
            memcpy(p + b, &d, 2);
            memcpy(p + b + 2, &dm, 2);
        } else if (t == LLM_TYPE_Q5_0) {
            memcpy(p + b, &d, 2);
        } else {
            memcpy(p + b + 208, &d, 2);
        }
    }
}

static void kt_act(enum llm_type at, int64_t n, void *dst)
{
    float *x = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        x[i] = kt_f() * (kt_u32() % 13 == 0 ? 8.0f : 1.0f);
    llm_type_traits(at)->from_float(x, dst, n);
    free(x);
}

struct kt_case {
    enum llm_type type;  /* weight type */
    enum llm_type act;   /* activation type */
    llm_vec_dot_fn dot;  /* row kernel */
    llm_gemm_fn gemm;    /* tile kernel */
};

static const struct kt_case kt_cases[] = {
    {LLM_TYPE_Q4_K, LLM_TYPE_Q8_K, llm_avx512_vec_dot_q4_K_q8_K, llm_avx512_gemm_q4_K_q8_K},
    {LLM_TYPE_Q6_K, LLM_TYPE_Q8_K, llm_avx512_vec_dot_q6_K_q8_K, llm_avx512_gemm_q6_K_q8_K},
    {LLM_TYPE_Q5_0, LLM_TYPE_Q8_0, llm_avx512_vec_dot_q5_0_q8_0_v2, llm_avx512_gemm_q5_0_q8_0},
};

static bool kt_have_cpu(void)
{
#if defined(__x86_64__)
    return llm_kernels_have_avx512();
#else
    return false;
#endif
}

TEST_CASE(llm, ktile_vec_dot_matches_dequant)
{
    if (!kt_have_cpu())
        harness_skip("no AVX-512 VNNI");
    static const int64_t lengths[] = {256, 768, 896, 2048, 4864, 96};
    kt_rng = 0x1234567;
    for (size_t k = 0; k < sizeof kt_cases / sizeof kt_cases[0]; k++) {
        const struct llm_type_traits *wt = llm_type_traits_ref(kt_cases[k].type);
        const struct llm_type_traits *at = llm_type_traits_ref(kt_cases[k].act);
        for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            const int64_t n = lengths[li];
            if (n % wt->block_size != 0)
                continue;
            size_t wbytes = 0, abytes = 0;
            ASSERT_INT_EQ(llm_type_row_size(wt->type, n, &wbytes), 0);
            ASSERT_INT_EQ(llm_type_row_size(at->type, n, &abytes), 0);
            void *w = malloc(wbytes), *a = malloc(abytes);
            float *wf = malloc((size_t)n * sizeof(float)), *af = malloc((size_t)n * sizeof(float));
            for (int rep = 0; rep < 6; rep++) {
                kt_row(wt->type, n, w, rep % 2 == 0);
                kt_act(at->type, n, a);
                wt->to_float(w, wf, n);
                at->to_float(a, af, n);
                double want = 0, mag = 0;
                for (int64_t i = 0; i < n; i++) {
                    want += (double)wf[i] * (double)af[i];
                    mag += fabs((double)wf[i] * (double)af[i]);
                }
                const double got = kt_cases[k].dot(n, w, a);
                if (!(fabs(got - want) <= 1e-5 * mag + 1e-30))
                    harness_fail(__FILE__, __LINE__, "%s n=%lld rep %d: %.9g, want %.9g (mag %.3g)",
                                 wt->name, (long long)n, rep, got, want, mag);
                /* and the scalar reference kernel agrees the same way */
                const double ref = wt->vec_dot(n, w, a);
                ASSERT_NEAR(got, ref, 1e-5 * mag + 1e-30);
            }
            free(w);
            free(a);
            free(wf);
            free(af);
        }
    }
}

TEST_CASE(llm, ktile_gemm_bit_identical_to_vec_dot)
{
    if (!kt_have_cpu())
        harness_skip("no AVX-512 VNNI");
    enum { ROWS = 37, R0 = 3, COLS = 263 }; /* > 256: two column tiles of the K kernel */
    kt_rng = 99;
    for (size_t k = 0; k < sizeof kt_cases / sizeof kt_cases[0]; k++) {
        const enum llm_type t = kt_cases[k].type;
        /* three K super-blocks; 45 Q5_0 blocks (more than one 32-block panel, odd tail) */
        const int64_t N = t == LLM_TYPE_Q5_0 ? 32 * 45 : 256 * 3;
        size_t wrow = 0, arow = 0;
        ASSERT_INT_EQ(llm_type_row_size(t, N, &wrow), 0);
        ASSERT_INT_EQ(llm_type_row_size(kt_cases[k].act, N, &arow), 0);
        char *w = malloc(wrow * ROWS), *a = malloc(arow * COLS);
        for (int r = 0; r < ROWS; r++)
            kt_row(t, N, w + (size_t)r * wrow, r % 3 != 0);
        for (int c = 0; c < COLS; c++)
            kt_act(kt_cases[k].act, N, a + (size_t)c * arow);
        const size_t ldy = ROWS + 2;
        float *y = malloc(sizeof(float) * ldy * COLS);
        for (size_t i = 0; i < ldy * COLS; i++)
            y[i] = -1.0f;
        kt_cases[k].gemm(N, w, wrow, R0, ROWS, a, arow, COLS, y, ldy);
        int bad = 0;
        for (int c = 0; c < COLS; c++) {
            for (int r = 0; r < (int)ldy; r++) {
                const float got = y[(size_t)c * ldy + (size_t)r];
                if (r < R0 || r >= ROWS) {
                    ASSERT_TRUE(got == -1.0f);
                    continue;
                }
                const float want = kt_cases[k].dot(N, w + (size_t)r * wrow, a + (size_t)c * arow);
                if (memcmp(&got, &want, sizeof got) != 0 && bad++ < 5)
                    fprintf(stderr, "%s row %d col %d: %.9g, vec_dot %.9g\n", llm_type_name(t), r,
                            c, (double)got, (double)want);
            }
        }
        ASSERT_INT_EQ(bad, 0);
        free(w);
        free(a);
        free(y);
    }
}
