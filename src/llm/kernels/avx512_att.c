/* avx512_att.c: the attention products of att.h with AVX-512 (16 positions or 16 dimensions
 * per register, up to 8 queries sharing each key or value load; masked loads and stores at
 * the tails). Each lane runs the reference's fma chain, so the results are its bits. */
#include <immintrin.h>

#include "llm/kernels/att.h"

enum { AQ = 8 }; /* queries per pass */

static inline __m512 load16_f16(const void *base, size_t i, __mmask16 m)
{
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)base + i));
}

static inline __m512 load16_f32(const void *base, size_t i, __mmask16 m)
{
    return _mm512_maskz_loadu_ps(m, (const float *)base + i);
}

static inline __mmask16 tail_mask(int left)
{
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}

#define SCORES(name, load)                                                                     \
    static inline __attribute__((always_inline)) void name##_m(                                \
        int m, int hd, const float *q, size_t ldq, const void *kt, size_t kt_stride, int n,    \
        float scale, float *s, size_t lds)                                                     \
    {                                                                                          \
        for (int p0 = 0; p0 < n; p0 += 16) {                                                   \
            const __mmask16 mk = tail_mask(n - p0);                                            \
            __m512 acc[AQ];                                                                    \
            _Pragma("GCC unroll 8")                                                            \
            for (int i = 0; i < m; i++)                                                        \
                acc[i] = _mm512_setzero_ps();                                                  \
            for (int d = 0; d < hd; d++) {                                                     \
                const __m512 kv = load(kt, (size_t)d * kt_stride + (size_t)p0, mk);            \
                _Pragma("GCC unroll 8")                                                        \
                for (int i = 0; i < m; i++)                                                    \
                    acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(q[(size_t)i * ldq + (size_t)d]),   \
                                             kv, acc[i]);                                      \
            }                                                                                  \
            _Pragma("GCC unroll 8")                                                            \
            for (int i = 0; i < m; i++)                                                        \
                _mm512_mask_storeu_ps(s + (size_t)i * lds + (size_t)p0, mk,                    \
                                      _mm512_mul_ps(acc[i], _mm512_set1_ps(scale)));           \
        }                                                                                      \
    }                                                                                          \
    static void name(int hd, int nq, const float *q, size_t ldq, const void *kt,              \
                     size_t kt_stride, int n, float scale, float *s, size_t lds)              \
    {                                                                                          \
        for (int i0 = 0; i0 < nq; i0 += AQ) {                                                  \
            const float *qi = q + (size_t)i0 * ldq;                                            \
            float *si = s + (size_t)i0 * lds;                                                  \
            switch (nq - i0 < AQ ? nq - i0 : AQ) {                                             \
            case 8: name##_m(8, hd, qi, ldq, kt, kt_stride, n, scale, si, lds); break;         \
            case 7: name##_m(7, hd, qi, ldq, kt, kt_stride, n, scale, si, lds); break;         \
            case 6: name##_m(6, hd, qi, ldq, kt, kt_stride, n, scale, si, lds); break;         \
            case 5: name##_m(5, hd, qi, ldq, kt, kt_stride, n, scale, si, lds); break;         \
            case 4: name##_m(4, hd, qi, ldq, kt, kt_stride, n, scale, si, lds); break;         \
            case 3: name##_m(3, hd, qi, ldq, kt, kt_stride, n, scale, si, lds); break;         \
            case 2: name##_m(2, hd, qi, ldq, kt, kt_stride, n, scale, si, lds); break;         \
            default: name##_m(1, hd, qi, ldq, kt, kt_stride, n, scale, si, lds); break;        \
            }                                                                                  \
        }                                                                                      \
    }

#define VALUES(name, load)                                                                     \
    static inline __attribute__((always_inline)) void name##_m(                                \
        int m, int hd, const float *p, size_t ldp, const void *v, size_t v_stride, int n,      \
        float *o, size_t ldo)                                                                  \
    {                                                                                          \
        for (int d0 = 0; d0 < hd; d0 += 16) {                                                  \
            const __mmask16 mk = tail_mask(hd - d0);                                           \
            __m512 acc[AQ];                                                                    \
            _Pragma("GCC unroll 8")                                                            \
            for (int i = 0; i < m; i++)                                                        \
                acc[i] = _mm512_setzero_ps();                                                  \
            for (int k = 0; k < n; k++) {                                                      \
                const __m512 vv = load(v, (size_t)k * v_stride + (size_t)d0, mk);              \
                _Pragma("GCC unroll 8")                                                        \
                for (int i = 0; i < m; i++)                                                    \
                    acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(p[(size_t)i * ldp + (size_t)k]),   \
                                             vv, acc[i]);                                      \
            }                                                                                  \
            _Pragma("GCC unroll 8")                                                            \
            for (int i = 0; i < m; i++)                                                        \
                _mm512_mask_storeu_ps(o + (size_t)i * ldo + (size_t)d0, mk, acc[i]);           \
        }                                                                                      \
    }                                                                                          \
    static void name(int hd, int nq, const float *p, size_t ldp, const void *v,               \
                     size_t v_stride, int n, float *o, size_t ldo)                            \
    {                                                                                          \
        for (int i0 = 0; i0 < nq; i0 += AQ) {                                                  \
            const float *pi = p + (size_t)i0 * ldp;                                            \
            float *oi = o + (size_t)i0 * ldo;                                                  \
            switch (nq - i0 < AQ ? nq - i0 : AQ) {                                             \
            case 8: name##_m(8, hd, pi, ldp, v, v_stride, n, oi, ldo); break;                  \
            case 7: name##_m(7, hd, pi, ldp, v, v_stride, n, oi, ldo); break;                  \
            case 6: name##_m(6, hd, pi, ldp, v, v_stride, n, oi, ldo); break;                  \
            case 5: name##_m(5, hd, pi, ldp, v, v_stride, n, oi, ldo); break;                  \
            case 4: name##_m(4, hd, pi, ldp, v, v_stride, n, oi, ldo); break;                  \
            case 3: name##_m(3, hd, pi, ldp, v, v_stride, n, oi, ldo); break;                  \
            case 2: name##_m(2, hd, pi, ldp, v, v_stride, n, oi, ldo); break;                  \
            default: name##_m(1, hd, pi, ldp, v, v_stride, n, oi, ldo); break;                 \
            }                                                                                  \
        }                                                                                      \
    }

SCORES(scores_f16, load16_f16)
SCORES(scores_f32, load16_f32)
VALUES(values_f16, load16_f16)
VALUES(values_f32, load16_f32)

static void round_f16(float *x, int n)
{
    for (int i = 0; i < n; i += 16) {
        const __mmask16 mk = tail_mask(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(mk, x + i);
        _mm512_mask_storeu_ps(x + i, mk,
                              _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT)));
    }
}

const struct llm_att_kernels llm_att_avx512 = {
    "avx512", scores_f16, scores_f32, values_f16, values_f32, round_f16,
};
