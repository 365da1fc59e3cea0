/* avx512.c: AVX-512 kernels (compiled alone with -mavx512f -mavx512bw -mavx512vl
 * -mavx512vnni -mavx2 -mfma -mf16c; the bf16 dot additionally uses AVX512_BF16 through a
 * function attribute). dispatch.c calls them only when cpuid reports these features.
 *
 * The Q8_0 dot handles two 32-element blocks per 512-bit register and uses VNNI's vpdpbusd
 * (unsigned x signed bytes summed into int32, no intermediate saturation) as
 * |x| . sign(x)*y; the Q4_0 dot is 256 bits wide (see there). */
#include <immintrin.h>
#include <string.h>

#include "llm/kernels/kernels.h"
#include "llm/quant/q_legacy.h"

static inline float h2f(uint16_t h)
{
    return _cvtsh_ss(h);
}

/* Two blocks' 32 quant bytes in one register (block i low, block i+1 high). */
static inline __m512i load2(const int8_t *a, const int8_t *b)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a)),
                              _mm256_loadu_si256((const __m256i *)b), 1);
}

static inline __m512 scales2(float d0, float d1)
{
    return _mm512_mask_blend_ps((__mmask16)0xFF00, _mm512_set1_ps(d0), _mm512_set1_ps(d1));
}

float llm_avx512_vec_dot_q8_0_q8_0(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q8_0 *x = w;
    const struct llm_block_q8_0 *y = a;
    const int64_t nb = n / 32;
    __m512 acc = _mm512_setzero_ps();
    const __m512i zero = _mm512_setzero_si512();
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        const __m512i xv = load2(x[i].qs, x[i + 1].qs);
        const __m512i yv = load2(y[i].qs, y[i + 1].qs);
        const __mmask64 neg = _mm512_movepi8_mask(xv);
        const __m512i sy = _mm512_mask_sub_epi8(yv, neg, zero, yv);
        const __m512i p = _mm512_dpbusd_epi32(zero, _mm512_abs_epi8(xv), sy);
        const __m512 d = scales2(h2f(x[i].d) * h2f(y[i].d), h2f(x[i + 1].d) * h2f(y[i + 1].d));
        acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(p), acc);
    }
    float sum = _mm512_reduce_add_ps(acc);
    if (i < nb)
        sum += llm_avx2_vec_dot_q8_0_q8_0(32, &x[i], &y[i]);
    return sum;
}

/* Q4_0 with 256-bit VNNI (AVX512VL): the same steps as the AVX2 kernel, with vpdpbusd in
 * place of vpmaddubsw + vpmaddwd. Each int32 lane sums the same four products either way,
 * so the result is bit-identical to llm_avx2_vec_dot_q4_0_q8_0 (and to its multi-column
 * version, which dispatch pairs with this one). */
float llm_avx512_vec_dot_q4_0_q8_0(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q4_0 *x = w;
    const struct llm_block_q8_0 *y = a;
    const int64_t nb = n / 32;
    const __m256i off = _mm256_set1_epi8(8);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i zero = _mm256_setzero_si256();
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        const __m128i t0 = _mm_loadu_si128((const __m128i *)x[i].qs);
        const __m128i t1 = _mm_loadu_si128((const __m128i *)x[i + 1].qs);
        const __m256i q0 = _mm256_sub_epi8(
            _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t0, 4), t0), m4), off);
        const __m256i q1 = _mm256_sub_epi8(
            _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t1, 4), t1), m4), off);
        const __m256i y0 = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[i].qs), q0);
        const __m256i y1 = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[i + 1].qs), q1);
        const __m256i p0 = _mm256_dpbusd_epi32(zero, _mm256_sign_epi8(q0, q0), y0);
        const __m256i p1 = _mm256_dpbusd_epi32(zero, _mm256_sign_epi8(q1, q1), y1);
        const __m256 d0 = _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d));
        const __m256 d1 = _mm256_set1_ps(h2f(x[i + 1].d) * h2f(y[i + 1].d));
        acc0 = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(p0), acc0);
        acc1 = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(p1), acc1);
    }
    for (; i < nb; i++) {
        const __m128i t0 = _mm_loadu_si128((const __m128i *)x[i].qs);
        const __m256i q0 = _mm256_sub_epi8(
            _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t0, 4), t0), m4), off);
        const __m256i y0 = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[i].qs), q0);
        const __m256i p0 = _mm256_dpbusd_epi32(zero, _mm256_sign_epi8(q0, q0), y0);
        const __m256 d0 = _mm256_set1_ps(h2f(x[i].d) * h2f(y[i].d));
        acc0 = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(p0), acc0);
    }
    __m256 v = _mm256_add_ps(acc0, acc1);
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

float llm_avx512_vec_dot_f32(int64_t n, const void *w, const void *a)
{
    const float *x = w, *y = a;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), s1);
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    if (i < n)
        sum += llm_avx2_vec_dot_f32(n - i, x + i, y + i);
    return sum;
}

static inline __m512 load_f16x16(const uint16_t *p)
{
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}

float llm_avx512_vec_dot_f16(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(load_f16x16(x + i), load_f16x16(y + i), s0);
        s1 = _mm512_fmadd_ps(load_f16x16(x + i + 16), load_f16x16(y + i + 16), s1);
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    if (i < n)
        sum += llm_avx2_vec_dot_f16(n - i, x + i, y + i);
    return sum;
}

__attribute__((target("avx512bf16"))) float llm_avx512_vec_dot_bf16(int64_t n, const void *w,
                                                                    const void *a)
{
    const uint16_t *x = w, *y = a;
    __m512 s0 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512i xv = _mm512_loadu_si512((const void *)(x + i));
        const __m512i yv = _mm512_loadu_si512((const void *)(y + i));
        s0 = _mm512_dpbf16_ps(s0, (__m512bh)xv, (__m512bh)yv);
    }
    float sum = _mm512_reduce_add_ps(s0);
    if (i < n)
        sum += llm_avx2_vec_dot_bf16(n - i, x + i, y + i);
    return sum;
}
