/* kpackk_test.c: packed Q4_K / Q6_K matrices (src/llm/kernels/packed_k.h, pack_k.c,
 * avx512_k_packed.c) through packed.h's entry points, as the model uses them:
 * - a packed row dequantizes to exactly the reference to_float of the file's row, and the
 *   packed matrix is the file's size (Q6_K: at most 63 bytes more per 16 rows);
 * - llm_pack_matmul gives, for every (row, column) of its row range, exactly the bits of the
 *   row kernel llm_avx512_vec_dot_q{4,6}_K_q8_K on the unpacked row (what the unpacked decode
 *   and prompt paths give), and agrees with dequantize + double-precision dot within 1e-5 of
 *   sum |w_i a_i|: one column (decode) and several (a partial 8-column group, more than one
 *   256-column tile), 1, 3 and 8 super-blocks per row, random bytes (every scale, min and
 *   quant reachable) and rows from the reference quantizer; rows outside the range are left
 *   alone. */
#include "harness.h"

#include <math.h>

#include "llm/kernels/kernels.h"
#include "llm/kernels/packed.h"
#include "llm/quant/q_k.h"
#include "llm/quant/quant.h"

static uint64_t kk_rng = 11;

static uint32_t kk_u32(void)
{
    return harness_rng_u32(&kk_rng);
}

static float kk_f(void)
{
    return harness_rng_f(&kk_rng);
}

/* A row of type t: random bytes with sane fp16 scales (raw), or random floats through the
 * reference quantizer. */
static void kk_row(enum llm_type t, int64_t n, uint8_t *dst, bool raw)
{
    const struct llm_type_traits *tr = llm_type_traits_ref(t);
    size_t bytes = 0;
    ASSERT_INT_EQ(llm_type_row_size(t, n, &bytes), 0);
    if (!raw) {
        float *x = malloc((size_t)n * sizeof(float));
        for (int64_t i = 0; i < n; i++)
            x[i] = kk_f() * (i % 7 == 0 ? 4.0f : 1.0f);
        tr->quantize_ref(x, dst, n);
        free(x);
        return;
    }
    for (size_t i = 0; i < bytes; i++)
        dst[i] = (uint8_t)kk_u32();
    for (size_t b = 0; b < bytes; b += tr->type_size) {
        uint16_t d = llm_f32_to_fp16((kk_f() < 0 ? -1.0f : 1.0f) * (0.001f + 0.01f * fabsf(kk_f())));
        uint16_t dm = llm_f32_to_fp16(0.002f * (kk_f() + 1.0f));
        if (t == LLM_TYPE_Q4_K) {
            memcpy(dst + b, &d, 2);
            memcpy(dst + b + 2, &dm, 2);
        } else {
            memcpy(dst + b + offsetof(struct llm_block_q6_K, d), &d, 2);
        }
    }
}

static bool kk_have(void)
{
    if (!llm_pack_supported(LLM_TYPE_Q4_K, 256, 16) || !llm_pack_supported(LLM_TYPE_Q6_K, 256, 16)) {
        harness_skip("no AVX-512 VNNI kernels (or packing disabled)");
        return false;
    }
    return true;
}

static const enum llm_type kk_types[] = {LLM_TYPE_Q4_K, LLM_TYPE_Q6_K};
static const llm_vec_dot_fn kk_dots[] = {llm_avx512_vec_dot_q4_K_q8_K,
                                         llm_avx512_vec_dot_q6_K_q8_K};

TEST_CASE(llm, kpackk_row_to_float_exact)
{
    if (!kk_have())
        return;
    enum { ROWS = 32, N = 256 * 3 };
    for (size_t k = 0; k < 2; k++) {
        const enum llm_type t = kk_types[k];
        size_t rb = 0;
        ASSERT_INT_EQ(llm_type_row_size(t, N, &rb), 0);
        const size_t gb = llm_pack_group_bytes(t, N);
        ASSERT_TRUE(gb % 64 == 0 && gb >= 16 * rb && gb < 16 * rb + 64);
        uint8_t *w = malloc(rb * ROWS), *p = malloc(gb * ROWS / 16);
        for (int r = 0; r < ROWS; r++)
            kk_row(t, N, w + (size_t)r * rb, r % 3 != 0);
        llm_pack_rows(t, w, rb, N, 0, ROWS / 16, p);
        float want[N], got[N];
        for (int r = 0; r < ROWS; r++) {
            llm_type_traits_ref(t)->to_float(w + (size_t)r * rb, want, N);
            llm_pack_row_to_float(t, p, N, r, got);
            if (memcmp(want, got, sizeof want) != 0)
                harness_fail(__FILE__, __LINE__, "%s row %d differs", llm_type_name(t), r);
        }
        free(w);
        free(p);
    }
}

TEST_CASE(llm, kpackk_matmul_bit_identical_to_vec_dot)
{
    if (!kk_have())
        return;
    static const int blocks[] = {1, 3, 8};
    static const int cols[] = {1, 5, 263};
    enum { ROWS = 48, R0 = 16, MAXC = 263 };
    const struct llm_type_traits *at = llm_type_traits(LLM_TYPE_Q8_K);
    for (size_t k = 0; k < 2; k++) {
        const enum llm_type t = kk_types[k];
        const struct llm_type_traits *ref = llm_type_traits_ref(t);
        for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++) {
            const int64_t n = 256 * (int64_t)blocks[bi];
            size_t rb = 0;
            ASSERT_INT_EQ(llm_type_row_size(t, n, &rb), 0);
            const size_t ar = llm_pack_act_row_size(n); /* the stride model/ops.c uses */
            uint8_t *w = malloc(rb * ROWS), *p = malloc(llm_pack_group_bytes(t, n) * ROWS / 16);
            uint8_t *a = malloc(ar * MAXC);
            float *x = malloc((size_t)n * sizeof(float));
            float *wf = malloc((size_t)n * sizeof(float)), *af = malloc((size_t)n * sizeof(float));
            for (int r = 0; r < ROWS; r++)
                kk_row(t, n, w + (size_t)r * rb, (r + (int)bi) % 2 == 0);
            llm_pack_rows(t, w, rb, n, 0, ROWS / 16, p);
            for (int c = 0; c < MAXC; c++) {
                for (int64_t i = 0; i < n; i++)
                    x[i] = kk_f() * (kk_u32() % 13 == 0 ? 8.0f : 1.0f);
                at->from_float(x, a + (size_t)c * ar, n);
                llm_pack_act_sums(t, a + (size_t)c * ar, n);
            }
            for (size_t ci = 0; ci < sizeof cols / sizeof cols[0]; ci++) {
                const int nc = cols[ci];
                const size_t ldy = ROWS + 3;
                float *y = malloc(sizeof(float) * ldy * (size_t)nc);
                for (size_t i = 0; i < ldy * (size_t)nc; i++)
                    y[i] = -7.0f;
                llm_pack_matmul(t, n, p, R0, ROWS, a, ar, nc, y, ldy);
                for (int c = 0; c < nc; c++) {
                    const uint8_t *ac = a + (size_t)c * ar;
                    llm_type_traits_ref(LLM_TYPE_Q8_K)->to_float(ac, af, n);
                    for (int r = 0; r < (int)ldy; r++) {
                        const float got = y[(size_t)c * ldy + (size_t)r];
                        if (r < R0 || r >= ROWS) {
                            ASSERT_TRUE(got == -7.0f);
                            continue;
                        }
                        const uint8_t *wr = w + (size_t)r * rb;
                        const float want = kk_dots[k](n, wr, ac);
                        if (memcmp(&got, &want, sizeof got) != 0)
                            harness_fail(__FILE__, __LINE__,
                                         "%s n %lld nc %d row %d col %d: %.9g, vec_dot %.9g",
                                         llm_type_name(t), (long long)n, nc, r, c, got, want);
                        if (c % 16 != 0)
                            continue; /* the float reference on a sample of columns */
                        ref->to_float(wr, wf, n);
                        double exact = 0, mag = 0;
                        for (int64_t i = 0; i < n; i++) {
                            exact += (double)wf[i] * (double)af[i];
                            mag += fabs((double)wf[i] * (double)af[i]);
                        }
                        ASSERT_NEAR(got, exact, 1e-5 * mag + 1e-30);
                    }
                }
                free(y);
            }
            free(w);
            free(p);
            free(a);
            free(x);
            free(wf);
            free(af);
        }
    }
}
