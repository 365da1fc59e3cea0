/* avx2_att.c: the attention products of att.h with AVX2 + FMA + F16C: 8 positions (scores)
 * or 8 dimensions (values) per register and up to 4 queries sharing each load. Tails are
 * read through a zero-padded copy and written with vmaskmovps. Each lane runs the
 * reference's fma chain, so the results are its bits. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "llm/kernels/att.h"

enum { BQ = 4 }; /* queries per pass */

/* 8 elements from i on, the ones at or past `left` read as zero. */
static inline __m256 load8_f16(const void *base, size_t i, int left)
{
    const uint16_t *p = (const uint16_t *)base + i;
    if (left >= 8)
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
    uint16_t tmp[8] = {0};
    memcpy(tmp, p, (size_t)left * sizeof *p);
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)tmp));
}

static inline __m256i lane_mask(int left)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(left), idx);
}

static inline __m256 load8_f32(const void *base, size_t i, int left)
{
    const float *p = (const float *)base + i;
    if (left >= 8)
        return _mm256_loadu_ps(p);
    return _mm256_maskload_ps(p, lane_mask(left));
}

static inline void store8(float *p, int left, __m256 v)
{
    if (left >= 8)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, lane_mask(left), v);
}

static inline __attribute__((always_inline)) void scores_m(int m, bool f16, int hd,
                                                           const float *q, size_t ldq,
                                                           const void *kt, size_t kt_stride,
                                                           int n, float scale, float *s,
                                                           size_t lds)
{
    for (int p0 = 0; p0 < n; p0 += 8) {
        __m256 acc[BQ];
#pragma GCC unroll 4
        for (int i = 0; i < m; i++)
            acc[i] = _mm256_setzero_ps();
        for (int d = 0; d < hd; d++) {
            const size_t at = (size_t)d * kt_stride + (size_t)p0;
            const __m256 kv = f16 ? load8_f16(kt, at, n - p0) : load8_f32(kt, at, n - p0);
#pragma GCC unroll 4
            for (int i = 0; i < m; i++)
                acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(q[(size_t)i * ldq + (size_t)d]), kv,
                                         acc[i]);
        }
#pragma GCC unroll 4
        for (int i = 0; i < m; i++)
            store8(s + (size_t)i * lds + (size_t)p0, n - p0,
                   _mm256_mul_ps(acc[i], _mm256_set1_ps(scale)));
    }
}

static inline __attribute__((always_inline)) void values_m(int m, bool f16, int hd,
                                                           const float *p, size_t ldp,
                                                           const void *v, size_t v_stride,
                                                           int n, float *o, size_t ldo)
{
    for (int d0 = 0; d0 < hd; d0 += 8) {
        __m256 acc[BQ];
#pragma GCC unroll 4
        for (int i = 0; i < m; i++)
            acc[i] = _mm256_setzero_ps();
        for (int k = 0; k < n; k++) {
            const size_t at = (size_t)k * v_stride + (size_t)d0;
            const __m256 vv = f16 ? load8_f16(v, at, hd - d0) : load8_f32(v, at, hd - d0);
#pragma GCC unroll 4
            for (int i = 0; i < m; i++)
                acc[i] = _mm256_fmadd_ps(_mm256_set1_ps(p[(size_t)i * ldp + (size_t)k]), vv,
                                         acc[i]);
        }
#pragma GCC unroll 4
        for (int i = 0; i < m; i++)
            store8(o + (size_t)i * ldo + (size_t)d0, hd - d0, acc[i]);
    }
}

static void scores(bool f16, int hd, int nq, const float *q, size_t ldq, const void *kt,
                   size_t kt_stride, int n, float scale, float *s, size_t lds)
{
    for (int i0 = 0; i0 < nq; i0 += BQ) {
        const float *qi = q + (size_t)i0 * ldq;
        float *si = s + (size_t)i0 * lds;
        const int m = nq - i0 < BQ ? nq - i0 : BQ;
        if (m == 4)
            scores_m(4, f16, hd, qi, ldq, kt, kt_stride, n, scale, si, lds);
        else if (m == 3)
            scores_m(3, f16, hd, qi, ldq, kt, kt_stride, n, scale, si, lds);
        else if (m == 2)
            scores_m(2, f16, hd, qi, ldq, kt, kt_stride, n, scale, si, lds);
        else
            scores_m(1, f16, hd, qi, ldq, kt, kt_stride, n, scale, si, lds);
    }
}

static void values(bool f16, int hd, int nq, const float *p, size_t ldp, const void *v,
                   size_t v_stride, int n, float *o, size_t ldo)
{
    for (int i0 = 0; i0 < nq; i0 += BQ) {
        const float *pi = p + (size_t)i0 * ldp;
        float *oi = o + (size_t)i0 * ldo;
        const int m = nq - i0 < BQ ? nq - i0 : BQ;
        if (m == 4)
            values_m(4, f16, hd, pi, ldp, v, v_stride, n, oi, ldo);
        else if (m == 3)
            values_m(3, f16, hd, pi, ldp, v, v_stride, n, oi, ldo);
        else if (m == 2)
            values_m(2, f16, hd, pi, ldp, v, v_stride, n, oi, ldo);
        else
            values_m(1, f16, hd, pi, ldp, v, v_stride, n, oi, ldo);
    }
}

static void scores_f16(int hd, int nq, const float *q, size_t ldq, const void *kt,
                       size_t kt_stride, int n, float scale, float *s, size_t lds)
{
    scores(true, hd, nq, q, ldq, kt, kt_stride, n, scale, s, lds);
}

static void scores_f32(int hd, int nq, const float *q, size_t ldq, const void *kt,
                       size_t kt_stride, int n, float scale, float *s, size_t lds)
{
    scores(false, hd, nq, q, ldq, kt, kt_stride, n, scale, s, lds);
}

static void values_f16(int hd, int nq, const float *p, size_t ldp, const void *v,
                       size_t v_stride, int n, float *o, size_t ldo)
{
    values(true, hd, nq, p, ldp, v, v_stride, n, o, ldo);
}

static void values_f32(int hd, int nq, const float *p, size_t ldp, const void *v,
                       size_t v_stride, int n, float *o, size_t ldo)
{
    values(false, hd, nq, p, ldp, v, v_stride, n, o, ldo);
}

static void round_f16(float *x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i),
                                                                _MM_FROUND_TO_NEAREST_INT)));
    for (; i < n; i++)
        x[i] = _cvtsh_ss(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}

const struct llm_att_kernels llm_att_avx2 = {
    "avx2", scores_f16, scores_f32, values_f16, values_f32, round_f16,
};
