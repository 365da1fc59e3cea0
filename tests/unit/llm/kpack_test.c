/* kpack_test.c: packed Q4_0 / Q8_0 matrices (src/llm/kernels/packed.h, pack.c,
 * avx512_q40.c), called directly:
 * - a packed row dequantizes to exactly the type's to_float of the file's row;
 * - llm_pack_matmul gives, for every (row, column) of its row range, exactly
 * the bits of the row kernel llm_avx512_vec_dot_*_v2 on the unpacked row (what
 * the unpacked prompt and decode paths use), and agrees with the scalar
 * reference dot within 1e-4: for one column (decode) and several (a partial
 * 8-column group, more than one 64-column tile), with block counts that leave a
 * partial group of eight chains and span more than one 32-block panel; rows
 * outside the range are left alone. */
#include "harness.h"

#include <math.h>

#include "llm/kernels/kernels.h"
#include "llm/kernels/packed.h"
#include "llm/quant/quant.h"

static uint64_t kp_rng = 5;

static uint32_t kp_u32(void)
{
    return harness_rng_u32(&kp_rng);
}

static float kp_f(void)
{
    return harness_rng_f(&kp_rng);
}

/* A row of random bytes (every quant value reachable) with sane fp16 scales. */
static void kp_row(enum llm_type t, int64_t n, uint8_t *dst)
{
    size_t bytes = 0, ts = llm_type_type_size(t);
    ASSERT_INT_EQ(llm_type_row_size(t, n, &bytes), 0);
    for (size_t i = 0; i < bytes; i++)
        dst[i] = (uint8_t)kp_u32();
    for (size_t b = 0; b < bytes; b += ts) {
        uint16_t d =
            llm_f32_to_fp16((kp_f() < 0 ? -1.0f : 1.0f) * 0.001f * (1.0f + 9.0f * fabsf(kp_f())));
        memcpy(dst + b, &d, 2);
    }
}

static bool kp_have(void)
{
    if (!llm_pack_supported(LLM_TYPE_Q4_0, 32, 16)) {
        harness_skip("no AVX-512 VNNI kernels (or packing disabled)");
        return false;
    }
    return true;
}

TEST_CASE(llm, kpack_row_to_float_exact)
{
    if (!kp_have())
        return;
    static const enum llm_type types[] = {LLM_TYPE_Q4_0, LLM_TYPE_Q8_0};
    enum { ROWS = 32, N = 32 * 11 };
    for (size_t k = 0; k < 2; k++) {
        const enum llm_type t = types[k];
        size_t rb = 0;
        ASSERT_INT_EQ(llm_type_row_size(t, N, &rb), 0);
        ASSERT_TRUE(llm_pack_group_bytes(t, N) == 16 * rb);
        uint8_t *w = malloc(rb * ROWS), *p = malloc(rb * ROWS);
        for (int r = 0; r < ROWS; r++)
            kp_row(t, N, w + (size_t)r * rb);
        llm_pack_rows(t, w, rb, N, 0, ROWS / 16, p);
        float want[N], got[N];
        for (int r = 0; r < ROWS; r++) {
            llm_type_traits_ref(t)->to_float(w + (size_t)r * rb, want, N);
            llm_pack_row_to_float(t, p, N, r, got);
            ASSERT_TRUE(memcmp(want, got, sizeof want) == 0);
        }
        free(w);
        free(p);
    }
}

TEST_CASE(llm, kpack_matmul_bit_identical_to_vec_dot)
{
    if (!kp_have())
        return;
    static const enum llm_type types[] = {LLM_TYPE_Q4_0, LLM_TYPE_Q8_0};
    static const llm_vec_dot_fn dots[] = {llm_avx512_vec_dot_q4_0_q8_0_v2,
                                          llm_avx512_vec_dot_q8_0_q8_0_v2};
    static const int blocks[] = {1, 7, 28, 45};
    static const int cols[] = {1, 5, 70};
    enum { ROWS = 48, R0 = 16, MAXN = 32 * 45, MAXC = 70 };
    const struct llm_type_traits *at = llm_type_traits(LLM_TYPE_Q8_0);
    float *x = malloc(MAXN * sizeof(float));
    for (size_t k = 0; k < 2; k++) {
        const enum llm_type t = types[k];
        const struct llm_type_traits *ref = llm_type_traits_ref(t);
        for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++) {
            const int64_t n = 32 * (int64_t)blocks[bi];
            size_t rb = 0;
            ASSERT_INT_EQ(llm_type_row_size(t, n, &rb), 0);
            const size_t ar = llm_pack_act_row_size(n);
            ASSERT_TRUE(ar % 4 == 0);
            uint8_t *w = malloc(rb * ROWS), *p = malloc(rb * ROWS);
            uint8_t *a = aligned_alloc(64, (ar * MAXC + 63) / 64 * 64);
            for (int r = 0; r < ROWS; r++)
                kp_row(t, n, w + (size_t)r * rb);
            llm_pack_rows(t, w, rb, n, 0, ROWS / 16, p);
            for (int c = 0; c < MAXC; c++) {
                for (int64_t i = 0; i < n; i++)
                    x[i] = kp_f() * (i % 5 == 0 ? 3.0f : 1.0f);
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
                    for (int r = 0; r < (int)ldy; r++) {
                        const float got = y[(size_t)c * ldy + (size_t)r];
                        if (r < R0 || r >= ROWS) {
                            ASSERT_TRUE(got == -7.0f);
                            continue;
                        }
                        const uint8_t *wr = w + (size_t)r * rb, *ac = a + (size_t)c * ar;
                        const float want = dots[k](n, wr, ac);
                        if (memcmp(&got, &want, sizeof got) != 0)
                            harness_fail(__FILE__, __LINE__,
                                         "%s n %lld nc %d row %d col %d: %.9g, vec_dot %.9g",
                                         llm_type_name(t), (long long)n, nc, r, c, got, want);
                        const float exact = ref->vec_dot(n, wr, ac);
                        ASSERT_NEAR(got, exact, 1e-4 * (fabs(exact) + 1.0));
                    }
                }
                free(y);
            }
            free(w);
            free(p);
            free(a);
        }
    }
    free(x);
}
