/* avx512.c: AVX-512 kernels (compiled alone with -mavx512f -mavx512bw -mavx512vl
 * -mavx512vnni -mavx2 -mfma -mf16c; the bf16 dot additionally uses AVX512_BF16 through a
 * function attribute). dispatch.c calls them only when cpuid reports these features.
 *
 * Q8_0 / Q4_0 dots handle two 32-element blocks per 512-bit register and use VNNI's
 * vpdpbusd (unsigned x signed bytes summed into int32, no intermediate saturation):
 * Q8_0 as |x| . sign(x)*y, Q4_0 as q . y - 8 * sum(y) with q the raw nibble. */
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

static inline __m512i nibbles2(const uint8_t *a, const uint8_t *b)
{
    const __m128i ta = _mm_loadu_si128((const __m128i *)a);
    const __m128i tb = _mm_loadu_si128((const __m128i *)b);
    const __m256i va = _mm256_set_m128i(_mm_srli_epi16(ta, 4), ta);
    const __m256i vb = _mm256_set_m128i(_mm_srli_epi16(tb, 4), tb);
    const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(va), vb, 1);
    return _mm512_and_si512(v, _mm512_set1_epi8(0x0F));
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

float llm_avx512_vec_dot_q4_0_q8_0(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q4_0 *x = w;
    const struct llm_block_q8_0 *y = a;
    const int64_t nb = n / 32;
    __m512 acc = _mm512_setzero_ps();
    const __m512i zero = _mm512_setzero_si512();
    const __m512i eight = _mm512_set1_epi8(8);
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        const __m512i q = nibbles2(x[i].qs, x[i + 1].qs);
        const __m512i yv = load2(y[i].qs, y[i + 1].qs);
        const __m512i p = _mm512_dpbusd_epi32(zero, q, yv);
        const __m512i c = _mm512_dpbusd_epi32(zero, eight, yv);
        const __m512 d = scales2(h2f(x[i].d) * h2f(y[i].d), h2f(x[i + 1].d) * h2f(y[i + 1].d));
        acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(p, c)), acc);
    }
    float sum = _mm512_reduce_add_ps(acc);
    if (i < nb)
        sum += llm_avx2_vec_dot_q4_0_q8_0(32, &x[i], &y[i]);
    return sum;
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
