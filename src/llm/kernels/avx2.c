/* avx2.c: AVX2 + FMA + F16C kernels (compiled alone with -mavx2 -mfma -mf16c; only
 * called after kernels/dispatch.c has checked the CPU). Same signatures and results as
 * the scalar reference kernels in quant/: the integer parts are exact, so dot products
 * differ from the reference only in float summation order, and the activation
 * quantizers produce the same bytes (the unit tests check both).
 *
 * Layout notes: a 256-bit register holds one 32-element block of int8 quants. Signed x
 * signed int8 products go through _mm256_maddubs_epi16, which needs one unsigned
 * operand: |x| and sign(x) * y (products fit int16: 2 * 128 * 127 < 32768). */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "llm/kernels/kernels.h"
#include "llm/quant/q_k.h"
#include "llm/quant/q_legacy.h"

static inline float h2f(uint16_t h)
{
    return _cvtsh_ss(h);
}

static inline float hsum_ps(__m256 v)
{
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

static inline int hsum_i32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

/* 8 int32 partial sums of x[i] * y[i] for signed bytes x, y. */
static inline __m256i dot_i8(__m256i x, __m256i y)
{
    const __m256i ax = _mm256_sign_epi8(x, x);
    const __m256i sy = _mm256_sign_epi8(y, x);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), _mm256_set1_epi16(1));
}

/* 32 nibbles of 16 bytes: low nibbles in the low lane, high nibbles in the high lane. */
static inline __m256i unpack_nibbles(const uint8_t *p)
{
    const __m128i t = _mm_loadu_si128((const __m128i *)p);
    const __m256i v = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x0F));
}

/* ---- multi-column kernels --------------------------------------------------------------
 * Each *_nc template computes out[c] = w . a_c for nc (1..4, a compile-time constant after
 * inlining) activation rows a_c = a + c * stride, unpacking each weight block once. The
 * single-row kernels are the nc = 1 instances, so a column's result is bit-identical
 * whether it is computed alone or in a batch. */

#define NC_MAX 4

static inline const void *col(const void *a, size_t stride, int c)
{
    return (const char *)a + (size_t)c * stride;
}

static inline __attribute__((always_inline)) void q4_0_nc(int64_t n, int nc, float *out, const void *w, const void *a,
                    size_t stride)
{
    const struct llm_block_q4_0 *x = w;
    const int64_t nb = n / 32;
    const __m256i off = _mm256_set1_epi8(8);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0[NC_MAX], acc1[NC_MAX];
    for (int c = 0; c < nc; c++)
        acc0[c] = acc1[c] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        const float dx0 = h2f(x[i].d), dx1 = h2f(x[i + 1].d);
        const __m256i q0 = _mm256_sub_epi8(unpack_nibbles(x[i].qs), off);
        const __m256i q1 = _mm256_sub_epi8(unpack_nibbles(x[i + 1].qs), off);
        const __m256i a0 = _mm256_sign_epi8(q0, q0), a1 = _mm256_sign_epi8(q1, q1);
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_0 *y = col(a, stride, c);
            const __m256 d0 = _mm256_set1_ps(dx0 * h2f(y[i].d));
            const __m256 d1 = _mm256_set1_ps(dx1 * h2f(y[i + 1].d));
            const __m256i y0 = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[i].qs), q0);
            const __m256i y1 =
                _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[i + 1].qs), q1);
            const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(a0, y0), ones);
            const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(a1, y1), ones);
            acc0[c] = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(p0), acc0[c]);
            acc1[c] = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(p1), acc1[c]);
        }
    }
    for (; i < nb; i++) {
        const float dx0 = h2f(x[i].d);
        const __m256i q0 = _mm256_sub_epi8(unpack_nibbles(x[i].qs), off);
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_0 *y = col(a, stride, c);
            const __m256 d0 = _mm256_set1_ps(dx0 * h2f(y[i].d));
            const __m256i p0 = dot_i8(q0, _mm256_loadu_si256((const __m256i *)y[i].qs));
            acc0[c] = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(p0), acc0[c]);
        }
    }
    for (int c = 0; c < nc; c++)
        out[c] = hsum_ps(_mm256_add_ps(acc0[c], acc1[c]));
}

static inline __attribute__((always_inline)) void q8_0_nc(int64_t n, int nc, float *out, const void *w, const void *a,
                    size_t stride)
{
    const struct llm_block_q8_0 *x = w;
    const int64_t nb = n / 32;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0[NC_MAX], acc1[NC_MAX];
    for (int c = 0; c < nc; c++)
        acc0[c] = acc1[c] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        const float dx0 = h2f(x[i].d), dx1 = h2f(x[i + 1].d);
        const __m256i q0 = _mm256_loadu_si256((const __m256i *)x[i].qs);
        const __m256i q1 = _mm256_loadu_si256((const __m256i *)x[i + 1].qs);
        const __m256i a0 = _mm256_sign_epi8(q0, q0), a1 = _mm256_sign_epi8(q1, q1);
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_0 *y = col(a, stride, c);
            const __m256 d0 = _mm256_set1_ps(dx0 * h2f(y[i].d));
            const __m256 d1 = _mm256_set1_ps(dx1 * h2f(y[i + 1].d));
            const __m256i y0 = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[i].qs), q0);
            const __m256i y1 =
                _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)y[i + 1].qs), q1);
            const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(a0, y0), ones);
            const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(a1, y1), ones);
            acc0[c] = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(p0), acc0[c]);
            acc1[c] = _mm256_fmadd_ps(d1, _mm256_cvtepi32_ps(p1), acc1[c]);
        }
    }
    for (; i < nb; i++) {
        const float dx0 = h2f(x[i].d);
        const __m256i q0 = _mm256_loadu_si256((const __m256i *)x[i].qs);
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_0 *y = col(a, stride, c);
            const __m256 d0 = _mm256_set1_ps(dx0 * h2f(y[i].d));
            const __m256i p0 = dot_i8(q0, _mm256_loadu_si256((const __m256i *)y[i].qs));
            acc0[c] = _mm256_fmadd_ps(d0, _mm256_cvtepi32_ps(p0), acc0[c]);
        }
    }
    for (int c = 0; c < nc; c++)
        out[c] = hsum_ps(_mm256_add_ps(acc0[c], acc1[c]));
}

/* 8 int32 partial sums of q[i] * y[i] for unsigned bytes q (< 128) and signed y. */
static inline __m256i dot_u8_i8(__m256i q, __m256i y)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), _mm256_set1_epi16(1));
}

/* The fifth bits of a Q5 block as bytes: 0x10 where bit j of qh is set, else 0. */
static inline __m256i q5_high_bits(const uint8_t qh[4])
{
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i idx = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                         2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i mask = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), idx);
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(v, mask), mask);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

static inline __attribute__((always_inline)) void q4_1_nc(int64_t n, int nc, float *out, const void *w, const void *a,
                    size_t stride)
{
    const struct llm_block_q4_1 *x = w;
    __m256 acc[NC_MAX];
    float acc_m[NC_MAX];
    for (int c = 0; c < nc; c++) {
        acc[c] = _mm256_setzero_ps();
        acc_m[c] = 0;
    }
    for (int64_t i = 0; i < n / 32; i++) {
        const float dx = h2f(x[i].d), mx = h2f(x[i].m);
        const __m256i q = unpack_nibbles(x[i].qs);
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_1 *y = col(a, stride, c);
            const __m256 d = _mm256_set1_ps(dx * h2f(y[i].d));
            acc_m[c] += mx * h2f(y[i].s);
            const __m256i p = dot_u8_i8(q, _mm256_loadu_si256((const __m256i *)y[i].qs));
            acc[c] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc[c]);
        }
    }
    for (int c = 0; c < nc; c++)
        out[c] = hsum_ps(acc[c]) + acc_m[c];
}

static inline __attribute__((always_inline)) void q5_0_nc(int64_t n, int nc, float *out, const void *w, const void *a,
                    size_t stride)
{
    const struct llm_block_q5_0 *x = w;
    const __m256i off = _mm256_set1_epi8(16);
    __m256 acc[NC_MAX];
    for (int c = 0; c < nc; c++)
        acc[c] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / 32; i++) {
        const float dx = h2f(x[i].d);
        const __m256i q = _mm256_sub_epi8(
            _mm256_or_si256(unpack_nibbles(x[i].qs), q5_high_bits(x[i].qh)), off);
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_0 *y = col(a, stride, c);
            const __m256 d = _mm256_set1_ps(dx * h2f(y[i].d));
            const __m256i p = dot_i8(q, _mm256_loadu_si256((const __m256i *)y[i].qs));
            acc[c] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc[c]);
        }
    }
    for (int c = 0; c < nc; c++)
        out[c] = hsum_ps(acc[c]);
}

static inline __attribute__((always_inline)) void q5_1_nc(int64_t n, int nc, float *out, const void *w, const void *a,
                    size_t stride)
{
    const struct llm_block_q5_1 *x = w;
    __m256 acc[NC_MAX];
    float acc_m[NC_MAX];
    for (int c = 0; c < nc; c++) {
        acc[c] = _mm256_setzero_ps();
        acc_m[c] = 0;
    }
    for (int64_t i = 0; i < n / 32; i++) {
        const float dx = h2f(x[i].d), mx = h2f(x[i].m);
        const __m256i q = _mm256_or_si256(unpack_nibbles(x[i].qs), q5_high_bits(x[i].qh));
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_1 *y = col(a, stride, c);
            const __m256 d = _mm256_set1_ps(dx * h2f(y[i].d));
            acc_m[c] += mx * h2f(y[i].s);
            const __m256i p = dot_u8_i8(q, _mm256_loadu_si256((const __m256i *)y[i].qs));
            acc[c] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc[c]);
        }
    }
    for (int c = 0; c < nc; c++)
        out[c] = hsum_ps(acc[c]) + acc_m[c];
}

/* Unpacks the twelve scale bytes of a Q4_K/Q5_K block into 8 scales (bytes 0..7 of out)
 * and 8 mins (bytes 8..15): sub-blocks 0..3 keep their low 6 bits in bytes 0..3 (scales)
 * and 4..7 (mins); sub-blocks 4..7 have their low 4 bits in bytes 8..11 (scale in the
 * low nibble, min in the high one) and their top 2 bits in the top bits of bytes 0..7. */
static inline void k_scales(const uint8_t *s, uint8_t out[16])
{
    uint32_t u[4];
    memcpy(u, s, 12);
    const uint32_t m6 = 0x3f3f3f3f, m4 = 0x0f0f0f0f, m2 = 0x03030303;
    const uint32_t sc_hi = (u[2] & m4) | (((u[0] >> 6) & m2) << 4);
    const uint32_t mn_hi = ((u[2] >> 4) & m4) | (((u[1] >> 6) & m2) << 4);
    const uint32_t mn_lo = u[1] & m6;
    u[0] &= m6;
    u[1] = sc_hi;
    u[2] = mn_lo;
    u[3] = mn_hi;
    memcpy(out, u, 16);
}

/* sum over the 8 sub-blocks of min[j] * (bsums[2j] + bsums[2j+1]) */
static inline int k_mins_dot(const uint8_t mins[8], const int16_t *bsums)
{
    const __m256i b = _mm256_loadu_si256((const __m256i *)bsums);
    const __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
    const __m128i m = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mins));
    __m128i p = _mm_madd_epi16(m, pairs);
    p = _mm_add_epi32(p, _mm_unpackhi_epi64(p, p));
    p = _mm_add_epi32(p, _mm_shuffle_epi32(p, 0xb1));
    return _mm_cvtsi128_si32(p);
}

static inline __attribute__((always_inline)) void q4_K_nc(int64_t n, int nc, float *out, const void *w, const void *a,
                    size_t stride)
{
    const struct llm_block_q4_K *x = w;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[NC_MAX];
    float acc_m[NC_MAX];
    for (int c = 0; c < nc; c++) {
        acc[c] = _mm256_setzero_ps();
        acc_m[c] = 0;
    }
    for (int64_t i = 0; i < n / 256; i++) {
        uint8_t sm[16];
        k_scales(x[i].scales, sm);
        const float dx = h2f(x[i].d), dmx = h2f(x[i].dmin);
        __m256i lo[4], hi[4], s_lo[4], s_hi[4];
        for (int j = 0; j < 4; j++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * j));
            lo[j] = _mm256_and_si256(q, m4);
            hi[j] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            s_lo[j] = _mm256_set1_epi16(sm[2 * j]);
            s_hi[j] = _mm256_set1_epi16(sm[2 * j + 1]);
        }
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_K *y = col(a, stride, c);
            acc_m[c] += y[i].d * dmx * (float)k_mins_dot(sm + 8, y[i].bsums);
            __m256i sumi = _mm256_setzero_si256();
            for (int j = 0; j < 4; j++) {
                const __m256i yl = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * j));
                const __m256i yh = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * j + 32));
                const __m256i pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo[j], yl), s_lo[j]);
                const __m256i ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi[j], yh), s_hi[j]);
                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
            }
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * dx), _mm256_cvtepi32_ps(sumi), acc[c]);
        }
    }
    for (int c = 0; c < nc; c++)
        out[c] = hsum_ps(acc[c]) - acc_m[c];
}

static inline __attribute__((always_inline)) void q5_K_nc(int64_t n, int nc, float *out,
                                                          const void *w, const void *a,
                                                          size_t stride)
{
    const struct llm_block_q5_K *x = w;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i b16 = _mm256_set1_epi8(16);
    __m256 acc[NC_MAX];
    float acc_m[NC_MAX];
    for (int c = 0; c < nc; c++) {
        acc[c] = _mm256_setzero_ps();
        acc_m[c] = 0;
    }
    for (int64_t i = 0; i < n / 256; i++) {
        uint8_t sm[16];
        k_scales(x[i].scales, sm);
        const float dx = h2f(x[i].d), dmx = h2f(x[i].dmin);
        const __m256i qh = _mm256_loadu_si256((const __m256i *)x[i].qh);
        __m256i lo[4], hi[4], s_lo[4], s_hi[4];
        __m256i bit = _mm256_set1_epi8(1);
        for (int j = 0; j < 4; j++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * j));
            const __m256i bit2 = _mm256_add_epi8(bit, bit);
            const __m256i hl = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit), b16);
            const __m256i hh =
                _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit2), bit2), b16);
            lo[j] = _mm256_or_si256(_mm256_and_si256(q, m4), hl);
            hi[j] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), hh);
            s_lo[j] = _mm256_set1_epi16(sm[2 * j]);
            s_hi[j] = _mm256_set1_epi16(sm[2 * j + 1]);
            bit = _mm256_add_epi8(bit2, bit2);
        }
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_K *y = col(a, stride, c);
            acc_m[c] += y[i].d * dmx * (float)k_mins_dot(sm + 8, y[i].bsums);
            __m256i sumi = _mm256_setzero_si256();
            for (int j = 0; j < 4; j++) {
                const __m256i yl = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * j));
                const __m256i yh = _mm256_loadu_si256((const __m256i *)(y[i].qs + 64 * j + 32));
                const __m256i pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo[j], yl), s_lo[j]);
                const __m256i ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi[j], yh), s_hi[j]);
                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
            }
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * dx), _mm256_cvtepi32_ps(sumi), acc[c]);
        }
    }
    for (int c = 0; c < nc; c++)
        out[c] = hsum_ps(acc[c]) - acc_m[c];
}

/* sum over 16 groups of 16 of w[g] * bsums[g] (w: 16 int16) */
static inline int groups_dot(__m256i w16, const int16_t *bsums)
{
    const __m256i b = _mm256_loadu_si256((const __m256i *)bsums);
    return hsum_i32(_mm256_madd_epi16(w16, b));
}

float llm_avx2_vec_dot_q2_K_q8_K(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q2_K *x = w;
    const struct llm_block_q8_K *y = a;
    const __m256i m3 = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    float acc_m = 0;
    for (int64_t i = 0; i < n / 256; i++) {
        const __m128i sc8 = _mm_loadu_si128((const __m128i *)x[i].scales);
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc8, 4),
                                                                _mm_set1_epi8(0x0F)));
        acc_m += y[i].d * h2f(x[i].dmin) * (float)groups_dot(mins, y[i].bsums);
        const uint8_t *sc = x[i].scales;
        __m256i sumi = _mm256_setzero_si256();
        for (int k = 0; k < 2; k++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * k));
            for (int j = 0; j < 4; j++) {
                const int is = 8 * k + 2 * j;
                const __m256i v = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3);
                const __m256i yv = _mm256_loadu_si256((const __m256i *)(y[i].qs + 128 * k + 32 * j));
                const __m256i s16 = _mm256_set_m128i(_mm_set1_epi16(sc[is + 1] & 0xF),
                                                     _mm_set1_epi16(sc[is] & 0xF));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(v, yv), s16));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * h2f(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_ps(acc) - acc_m;
}

float llm_avx2_vec_dot_q3_K_q8_K(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q3_K *x = w;
    const struct llm_block_q8_K *y = a;
    const __m256i m3 = _mm256_set1_epi8(3);
    const __m256i four = _mm256_set1_epi8(4);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / 256; i++) {
        int16_t sc[16];
        const uint8_t *s = x[i].scales;
        for (int j = 0; j < 16; j++) {
            int lo = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
            int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
            sc[j] = (int16_t)((lo | hi << 4) - 32);
        }
        /* values are u - 4 with u = low 2 bits | high bit << 2; the -4 goes through bsums */
        const int offset = groups_dot(_mm256_loadu_si256((const __m256i *)sc), y[i].bsums);
        const __m256i hm = _mm256_loadu_si256((const __m256i *)x[i].hmask);
        __m256i sumi = _mm256_setzero_si256();
        for (int k = 0; k < 2; k++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(x[i].qs + 32 * k));
            for (int j = 0; j < 4; j++) {
                const int is = 8 * k + 2 * j;
                const __m256i bit = _mm256_set1_epi8((char)(1 << (4 * k + j)));
                const __m256i h = _mm256_and_si256(
                    _mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit), four);
                const __m256i u = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3), h);
                const __m256i yv = _mm256_loadu_si256((const __m256i *)(y[i].qs + 128 * k + 32 * j));
                const __m256i s16 = _mm256_set_m128i(_mm_set1_epi16(sc[is + 1]),
                                                     _mm_set1_epi16(sc[is]));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(u, yv), s16));
            }
        }
        const __m256i total = _mm256_sub_epi32(sumi, _mm256_setr_epi32(4 * offset, 0, 0, 0,
                                                                        0, 0, 0, 0));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * h2f(x[i].d)), _mm256_cvtepi32_ps(total), acc);
    }
    return hsum_ps(acc);
}

static inline __attribute__((always_inline)) void q6_K_nc(int64_t n, int nc, float *out, const void *w, const void *a,
                    size_t stride)
{
    const struct llm_block_q6_K *x = w;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i m2 = _mm256_set1_epi8(0x03);
    __m256 acc[NC_MAX];
    for (int c = 0; c < nc; c++)
        acc[c] = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / 256; i++) {
        const float dx = h2f(x[i].d);
        const int8_t *sc = x[i].scales;
        /* the -32 offset goes through the activation sums: 32 * sum_j sc[j] * bsums[j] */
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
        __m256i sumi[NC_MAX];
        for (int c = 0; c < nc; c++)
            sumi[c] = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = x[i].ql + 64 * half;
            const uint8_t *qh = x[i].qh + 32 * half;
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)ql);
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            const __m256i h = _mm256_loadu_si256((const __m256i *)qh);
            __m256i qs[4], s[4];
            qs[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                    _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
            qs[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
            qs[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
            qs[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
            for (int k = 0; k < 4; k++)
                s[k] = _mm256_set_m128i(_mm_set1_epi16(sc[8 * half + 2 * k + 1]),
                                        _mm_set1_epi16(sc[8 * half + 2 * k]));
            for (int c = 0; c < nc; c++) {
                const struct llm_block_q8_K *y = col(a, stride, c);
                const int8_t *q8 = y[i].qs + 128 * half;
                for (int k = 0; k < 4; k++) {
                    const __m256i yv = _mm256_loadu_si256((const __m256i *)(q8 + 32 * k));
                    sumi[c] = _mm256_add_epi32(
                        sumi[c], _mm256_madd_epi16(_mm256_maddubs_epi16(qs[k], yv), s[k]));
                }
            }
        }
        for (int c = 0; c < nc; c++) {
            const struct llm_block_q8_K *y = col(a, stride, c);
            const int offset = hsum_i32(_mm256_madd_epi16(
                sc16, _mm256_loadu_si256((const __m256i *)y[i].bsums)));
            const __m256i total = _mm256_sub_epi32(
                sumi[c], _mm256_setr_epi32(32 * offset, 0, 0, 0, 0, 0, 0, 0));
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * dx), _mm256_cvtepi32_ps(total), acc[c]);
        }
    }
    for (int c = 0; c < nc; c++)
        out[c] = hsum_ps(acc[c]);
}

float llm_avx2_vec_dot_f32(int64_t n, const void *w, const void *a)
{
    const float *x = w, *y = a;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
    float sum = hsum_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++)
        sum += x[i] * y[i];
    return sum;
}

static inline __m256 load_f16(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static inline __attribute__((always_inline)) void f16_nc(int64_t n, int nc, float *out,
                                                         const void *w, const void *a,
                                                         size_t stride)
{
    /* four accumulators; no multi-column use (measured slower than one row at a time) */
    const uint16_t *x = w;
    __m256 s0[2], s1[2], s2[2], s3[2];
    for (int c = 0; c < nc; c++)
        s0[c] = s1[c] = s2[c] = s3[c] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256 x0 = load_f16(x + i), x1 = load_f16(x + i + 8);
        const __m256 x2 = load_f16(x + i + 16), x3 = load_f16(x + i + 24);
        for (int c = 0; c < nc; c++) {
            const uint16_t *y = col(a, stride, c);
            s0[c] = _mm256_fmadd_ps(x0, load_f16(y + i), s0[c]);
            s1[c] = _mm256_fmadd_ps(x1, load_f16(y + i + 8), s1[c]);
            s2[c] = _mm256_fmadd_ps(x2, load_f16(y + i + 16), s2[c]);
            s3[c] = _mm256_fmadd_ps(x3, load_f16(y + i + 24), s3[c]);
        }
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 x0 = load_f16(x + i);
        for (int c = 0; c < nc; c++)
            s0[c] = _mm256_fmadd_ps(x0, load_f16((const uint16_t *)col(a, stride, c) + i), s0[c]);
    }
    for (int c = 0; c < nc; c++) {
        const uint16_t *y = col(a, stride, c);
        float sum = hsum_ps(_mm256_add_ps(_mm256_add_ps(s0[c], s1[c]), _mm256_add_ps(s2[c], s3[c])));
        for (int64_t k = i; k < n; k++)
            sum += h2f(x[k]) * h2f(y[k]);
        out[c] = sum;
    }
}

static inline __m256 load_bf16(const uint16_t *p)
{
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

float llm_avx2_vec_dot_bf16(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(load_bf16(x + i), load_bf16(y + i), s0);
        s1 = _mm256_fmadd_ps(load_bf16(x + i + 8), load_bf16(y + i + 8), s1);
    }
    float sum = hsum_ps(_mm256_add_ps(s0, s1));
    for (; i < n; i++)
        sum += llm_bf16_to_f32(x[i]) * llm_bf16_to_f32(y[i]);
    return sum;
}

/* ---- activation quantizers -------------------------------------------------------------- */

static inline float block_amax(const float *x, __m256 v[4])
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int k = 0; k < 4; k++)
        v[k] = _mm256_loadu_ps(x + 8 * k);
    __m256 m = _mm256_andnot_ps(sign, v[0]);
    for (int k = 1; k < 4; k++)
        m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[k]));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    return _mm_cvtss_f32(m4);
}

/* Rounds 32 scaled floats half to even and packs them (saturating) into 32 int8 in order;
 * returns the sum of the int32 values before saturation through *sum when non-NULL. */
static inline void round_pack(__m256 v[4], float id, int8_t *out, int *sum)
{
    const __m256 mul = _mm256_set1_ps(id);
    __m256i i32[4];
    for (int k = 0; k < 4; k++)
        i32[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], mul),
                                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    if (sum)
        *sum = hsum_i32(_mm256_add_epi32(_mm256_add_epi32(i32[0], i32[1]),
                                         _mm256_add_epi32(i32[2], i32[3])));
    __m256i p01 = _mm256_packs_epi32(i32[0], i32[1]);
    __m256i p23 = _mm256_packs_epi32(i32[2], i32[3]);
    __m256i p = _mm256_packs_epi16(p01, p23);
    p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)out, p);
}

void llm_avx2_quantize_row_q8_0(const float *x, void *dst, int64_t n)
{
    struct llm_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / 32; i++) {
        __m256 v[4];
        const float amax = block_amax(x + 32 * i, v);
        const float d = amax / 127.f;
        y[i].d = llm_f32_to_fp16(d);
        round_pack(v, amax != 0.0f ? 127.f / amax : 0.0f, y[i].qs, NULL);
    }
}

void llm_avx2_quantize_row_q8_1(const float *x, void *dst, int64_t n)
{
    struct llm_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / 32; i++) {
        __m256 v[4];
        const float amax = block_amax(x + 32 * i, v);
        const float d = amax / 127.f;
        y[i].d = llm_f32_to_fp16(d);
        int sum;
        round_pack(v, amax != 0.0f ? 127.f / amax : 0.0f, y[i].qs, &sum);
        y[i].s = llm_f32_to_fp16(d * (float)sum);
    }
}

void llm_avx2_quantize_row_q8_K(const float *x, void *dst, int64_t n)
{
    struct llm_block_q8_K *y = dst;
    for (int64_t i = 0; i < n / 256; i++, x += 256) {
        const __m256 sign = _mm256_set1_ps(-0.0f);
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < 256; k += 8)
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + k)));
        __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float amax = _mm_cvtss_f32(m4);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float max = 0; /* the first element of largest magnitude, with its sign */
        for (int k = 0; k < 256; k++) {
            if (fabsf(x[k]) == amax) {
                max = x[k];
                break;
            }
        }
        const float iscale = -127.f / max;
        for (int k = 0; k < 256; k += 32) {
            __m256 v[4];
            for (int q = 0; q < 4; q++)
                v[q] = _mm256_loadu_ps(x + k + 8 * q);
            round_pack(v, iscale, y[i].qs + k, NULL);
        }
        for (int j = 0; j < 16; j++) {
            const __m128i q = _mm_loadu_si128((const __m128i *)(y[i].qs + 16 * j));
            const __m256i w16 = _mm256_cvtepi8_epi16(q);
            const __m256i w32 = _mm256_madd_epi16(w16, _mm256_set1_epi16(1));
            y[i].bsums[j] = (int16_t)hsum_i32(w32);
        }
        y[i].d = 1 / iscale;
    }
}

void llm_avx2_quantize_row_f16(const float *x, void *dst, int64_t n)
{
    uint16_t *y = dst;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        y[i] = llm_f32_to_fp16(x[i]);
}

/* ---- public single- and multi-column entry points ---------------------------------------- */

#define DEFINE_DOT(fname, tmpl)                                                                \
    float llm_avx2_vec_dot_##fname(int64_t n, const void *w, const void *a)                    \
    {                                                                                          \
        float r;                                                                               \
        tmpl(n, 1, &r, w, a, 0);                                                               \
        return r;                                                                              \
    }                                                                                          \
    void llm_avx2_vec_dot_nc_##fname(int64_t n, int nc, float *out, const void *w,             \
                                     const void *a, size_t stride)                             \
    {                                                                                          \
        int c = 0;                                                                             \
        for (; c + 4 <= nc; c += 4)                                                            \
            tmpl(n, 4, out + c, w, col(a, stride, c), stride);                                 \
        switch (nc - c) {                                                                      \
        case 3:                                                                                \
            tmpl(n, 3, out + c, w, col(a, stride, c), stride);                                 \
            break;                                                                             \
        case 2:                                                                                \
            tmpl(n, 2, out + c, w, col(a, stride, c), stride);                                 \
            break;                                                                             \
        case 1:                                                                                \
            tmpl(n, 1, out + c, w, col(a, stride, c), stride);                                 \
            break;                                                                             \
        default:                                                                               \
            break;                                                                             \
        }                                                                                      \
    }

DEFINE_DOT(q4_0_q8_0, q4_0_nc)
DEFINE_DOT(q8_0_q8_0, q8_0_nc)
DEFINE_DOT(q4_1_q8_1, q4_1_nc)
DEFINE_DOT(q5_0_q8_0, q5_0_nc)
DEFINE_DOT(q5_1_q8_1, q5_1_nc)
DEFINE_DOT(q4_K_q8_K, q4_K_nc)
DEFINE_DOT(q5_K_q8_K, q5_K_nc)
DEFINE_DOT(q6_K_q8_K, q6_K_nc)
float llm_avx2_vec_dot_f16(int64_t n, const void *w, const void *a)
{
    float r;
    f16_nc(n, 1, &r, w, a, 0);
    return r;
}

