/* avx512_k_packed.c: matrix products of packed Q4_K / Q6_K weights (layout in packed_k.h)
 * with Q8_K activations, AVX-512 F/BW/VL + VNNI (compiled with the flags of avx512.c; pack.c
 * calls in only when the CPU has them).
 *
 * One activation row (decode) runs a group's super-blocks in order with one float chain per
 * row in the 16 lanes: per super-block, a 64-byte word of quants (four consecutive quants of
 * each of the 16 rows) goes through vpdpbusd against four activation bytes broadcast, one
 * int32 sum per sub-block and row, multiplied by the row's sub-block scale (decoded from the
 * packed scale words in registers) into the exact integers isum (and, for Q4_K, msum from
 * the mins and the activation's sub-block sums), then
 *   acc = fma(d * dy, isum, acc); acc = fnmadd(dmin * dy, msum, acc)    (Q4_K)
 *   acc = fma(d * dy, isum - 32 * sum_j sc_j * bsum_j, acc)             (Q6_K)
 * exactly as the row kernels of avx512_k.c, so each lane is bit-identical to
 * llm_avx512_vec_dot_q{4,6}_K_q8_K on that row. Several activation rows (a prompt) load a
 * panel of 16 rows x one super-block per step into avx512_k_tile.h's struct kt_panel (no
 * gathers) and run the same column kernels as the unpacked tiles. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "llm/kernels/avx512_k_tile.h"
#include "llm/kernels/packed_k.h"
#include "llm/quant/q_k.h"

#define INLINE static inline __attribute__((always_inline))

/* Q4U, Q6U: bytes of a super-block unit. The matrix-vector loops do not prefetch: 4 KB and
 * 8 KB ahead measured slower from memory for both types (units read in address order). */
enum { Q4U = 36 * 64, Q6U = 52 * 64 };

/* Byte k (a literal 0..3) of every 32-bit lane of x, unsigned and sign-extended. */
#define BYTE_U(x, k)                                                                              \
    ((k) == 3 ? _mm512_srli_epi32((x), 24)                                                        \
              : _mm512_and_si512(_mm512_srli_epi32((x), 8 * (k)), _mm512_set1_epi32(0xFF)))
#define BYTE_S(x, k) _mm512_srai_epi32(_mm512_slli_epi32((x), 24 - 8 * (k)), 24)

static inline __m512i bc4(const int8_t *p)
{
    return _mm512_set1_epi32(load_i32(p));
}

static inline __m512i ld(const uint8_t *p)
{
    return _mm512_loadu_si512((const void *)p);
}

/* The scale and min bytes of a Q4_K unit's 16 rows: sc[0] = scales 0..3, sc[1] = 4..7,
 * mn[0] = mins 0..3, mn[1] = 4..7 (byte j % 4 of each lane), as llm_k_scale_min decodes them. */
INLINE void q4k_scales(const uint8_t *u, __m512i sc[2], __m512i mn[2])
{
    const __m512i u0 = ld(u + 64 * 33), u1 = ld(u + 64 * 34), u2 = ld(u + 64 * 35);
    const __m512i k6 = _mm512_set1_epi32(0x3f3f3f3f), k4 = _mm512_set1_epi32(0x0f0f0f0f);
    const __m512i k2 = _mm512_set1_epi32(0x03030303);
    sc[0] = _mm512_and_si512(u0, k6);
    sc[1] = _mm512_or_si512(_mm512_and_si512(u2, k4),
                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(u0, 6), k2), 4));
    mn[0] = _mm512_and_si512(u1, k6);
    mn[1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(u2, 4), k4),
                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(u1, 6), k2), 4));
}

/* ---- Q4_K -------------------------------------------------------------------------------- */

/* Super-block unit u of 16 rows against activation block y: one step of the rows' chains. */
INLINE __m512 q4k_unit(const uint8_t *u, const struct llm_block_q8_K *y, __m512 acc)
{
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    __m512i scw[2], mnw[2];
    q4k_scales(u, scw, mnw);
    const __m512i sc[8] = {BYTE_U(scw[0], 0), BYTE_U(scw[0], 1), BYTE_U(scw[0], 2),
                           BYTE_U(scw[0], 3), BYTE_U(scw[1], 0), BYTE_U(scw[1], 1),
                           BYTE_U(scw[1], 2), BYTE_U(scw[1], 3)};
    __m512i isum = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++) {
        /* low nibbles: sub-block 2p, high nibbles: 2p + 1; two chains each */
        __m512i lo0 = _mm512_setzero_si512(), lo1 = lo0, hi0 = lo0, hi1 = lo0;
        const int8_t *yq = y->qs + 64 * p;
#pragma GCC unroll 4
        for (int t = 0; t < 8; t += 2) {
            const __m512i w0 = ld(u + 64 * (8 * p + t)), w1 = ld(u + 64 * (8 * p + t + 1));
            lo0 = _mm512_dpbusd_epi32(lo0, _mm512_and_si512(w0, m4), bc4(yq + 4 * t));
            hi0 = _mm512_dpbusd_epi32(hi0, _mm512_and_si512(_mm512_srli_epi16(w0, 4), m4),
                                      bc4(yq + 32 + 4 * t));
            lo1 = _mm512_dpbusd_epi32(lo1, _mm512_and_si512(w1, m4), bc4(yq + 4 * t + 4));
            hi1 = _mm512_dpbusd_epi32(hi1, _mm512_and_si512(_mm512_srli_epi16(w1, 4), m4),
                                      bc4(yq + 32 + 4 * t + 4));
        }
        isum = _mm512_add_epi32(
            isum, _mm512_add_epi32(_mm512_mullo_epi32(_mm512_add_epi32(lo0, lo1), sc[2 * p]),
                                   _mm512_mullo_epi32(_mm512_add_epi32(hi0, hi1), sc[2 * p + 1])));
    }
    /* msum = sum_j m_j * (sum of sub-block j's 32 activation quants): int16 pairs (m0, m2),
     * (m1, m3), (m4, m6), (m5, m7) against the same pairs of sub-block sums */
    const __m256i bs = _mm256_loadu_si256((const __m256i *)y->bsums);
    __m256i h = _mm256_madd_epi16(bs, _mm256_set1_epi16(1));
    h = _mm256_permutevar8x32_epi32(h, _mm256_setr_epi32(0, 2, 1, 3, 4, 6, 5, 7));
    const __m512i yp = _mm512_castsi256_si512(_mm256_packs_epi32(h, h));
    const __m512i lo16 = _mm512_set1_epi32(0x00FF00FF);
    __m512i msum = _mm512_dpwssd_epi32(_mm512_setzero_si512(), _mm512_and_si512(mnw[0], lo16),
                                       _mm512_permutexvar_epi32(_mm512_set1_epi32(0), yp));
    msum = _mm512_dpwssd_epi32(msum, _mm512_srli_epi16(mnw[0], 8),
                               _mm512_permutexvar_epi32(_mm512_set1_epi32(1), yp));
    msum = _mm512_dpwssd_epi32(msum, _mm512_and_si512(mnw[1], lo16),
                               _mm512_permutexvar_epi32(_mm512_set1_epi32(4), yp));
    msum = _mm512_dpwssd_epi32(msum, _mm512_srli_epi16(mnw[1], 8),
                               _mm512_permutexvar_epi32(_mm512_set1_epi32(5), yp));
    const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(u + 64 * 32)));
    const __m512 dm = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(u + 64 * 32 + 32)));
    const __m512 dy = _mm512_set1_ps(y->d);
    acc = _mm512_fmadd_ps(_mm512_mul_ps(dx, dy), _mm512_cvtepi32_ps(isum), acc);
    return _mm512_fnmadd_ps(_mm512_mul_ps(dm, dy), _mm512_cvtepi32_ps(msum), acc);
}

static void q4k_gemv(int64_t n, const uint8_t *w, int64_t g0, int64_t g1,
                     const struct llm_block_q8_K *y, float *out)
{
    const int64_t nb = n / LLM_QK_K;
    const size_t gbytes = (size_t)nb * Q4U;
    for (int64_t g = g0; g < g1; g++) {
        const uint8_t *gp = w + (size_t)g * gbytes;
        __m512 acc = _mm512_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            acc = q4k_unit(gp + (size_t)b * Q4U, y + b, acc);
        }
        _mm512_storeu_ps(out + (size_t)g * 16, acc);
    }
}

/* A Q4_K unit as the tile kernels' panel. */
static void kpt_load_q4_K(struct kt_panel *pn, const uint8_t *u)
{
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    for (int p = 0; p < 4; p++) {
        for (int t = 0; t < 8; t++) {
            const __m512i v = ld(u + 64 * (8 * p + t));
            pn->q[8 * (2 * p) + t] = _mm512_and_si512(v, m4);
            pn->q[8 * (2 * p + 1) + t] = _mm512_and_si512(_mm512_srli_epi32(v, 4), m4);
        }
    }
    __m512i scw[2], mnw[2];
    q4k_scales(u, scw, mnw);
    const __m512i m[8] = {BYTE_U(mnw[0], 0), BYTE_U(mnw[0], 1), BYTE_U(mnw[0], 2),
                          BYTE_U(mnw[0], 3), BYTE_U(mnw[1], 0), BYTE_U(mnw[1], 1),
                          BYTE_U(mnw[1], 2), BYTE_U(mnw[1], 3)};
    pn->sc[0] = BYTE_U(scw[0], 0);
    pn->sc[1] = BYTE_U(scw[0], 1);
    pn->sc[2] = BYTE_U(scw[0], 2);
    pn->sc[3] = BYTE_U(scw[0], 3);
    pn->sc[4] = BYTE_U(scw[1], 0);
    pn->sc[5] = BYTE_U(scw[1], 1);
    pn->sc[6] = BYTE_U(scw[1], 2);
    pn->sc[7] = BYTE_U(scw[1], 3);
    for (int j = 0; j < 8; j++)
        pn->mn[j] = _mm512_or_si512(m[j], _mm512_slli_epi32(m[j], 16));
    pn->dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(u + 64 * 32)));
    pn->dm = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(u + 64 * 32 + 32)));
}

/* ---- Q6_K -------------------------------------------------------------------------------- */

/* The 6-bit quants of words (t, c = 0..3) of half h: elements 128h + 32c + 4t.. of each row. */
INLINE void q6k_quants(const uint8_t *u, int h, int t, __m512i q[4])
{
    const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(0x03);
    const uint8_t *p = u + 64 * (26 * h + 3 * t);
    const __m512i v0 = ld(p), v1 = ld(p + 64), vh = ld(p + 128);
    q[0] = _mm512_or_si512(_mm512_and_si512(v0, m4), _mm512_slli_epi16(_mm512_and_si512(vh, m2), 4));
    q[1] = _mm512_or_si512(_mm512_and_si512(v1, m4),
                           _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(vh, 2), m2), 4));
    q[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(v0, 4), m4),
                           _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(vh, 4), m2), 4));
    q[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(v1, 4), m4),
                           _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(vh, 6), m2), 4));
}

/* The 16 sub-block scales of a Q6_K unit's rows, as int32. */
INLINE void q6k_scales(const uint8_t *u, __m512i sc[16])
{
    const __m512i x0 = ld(u + 64 * 24), x1 = ld(u + 64 * 25), x2 = ld(u + 64 * 50);
    const __m512i x3 = ld(u + 64 * 51);
    sc[0] = BYTE_S(x0, 0), sc[1] = BYTE_S(x0, 1), sc[2] = BYTE_S(x0, 2), sc[3] = BYTE_S(x0, 3);
    sc[4] = BYTE_S(x1, 0), sc[5] = BYTE_S(x1, 1), sc[6] = BYTE_S(x1, 2), sc[7] = BYTE_S(x1, 3);
    sc[8] = BYTE_S(x2, 0), sc[9] = BYTE_S(x2, 1), sc[10] = BYTE_S(x2, 2), sc[11] = BYTE_S(x2, 3);
    sc[12] = BYTE_S(x3, 0), sc[13] = BYTE_S(x3, 1), sc[14] = BYTE_S(x3, 2), sc[15] = BYTE_S(x3, 3);
}

INLINE __m512 q6k_unit(const uint8_t *u, const uint8_t *d16, const struct llm_block_q8_K *y,
                       __m512 acc)
{
    /* lane j: -32 * bsum_j, the start of sub-block j's sum (the quants are stored + 32) */
    const __m512i nbs = _mm512_sub_epi32(
        _mm512_setzero_si512(),
        _mm512_slli_epi32(_mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)y->bsums)), 5));
    __m512i isum = _mm512_setzero_si512();
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        __m512i s[8]; /* sub-block 8h + k */
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            s[k] = _mm512_permutexvar_epi32(_mm512_set1_epi32(8 * h + k), nbs);
        const int8_t *yq = y->qs + 128 * h;
#pragma GCC unroll 8
        for (int t = 0; t < 8; t++) {
            __m512i q[4];
            q6k_quants(u, h, t, q);
            const int e = t >= 4;
#pragma GCC unroll 4
            for (int c = 0; c < 4; c++)
                s[2 * c + e] = _mm512_dpbusd_epi32(s[2 * c + e], q[c], bc4(yq + 32 * c + 4 * t));
        }
        /* the scales of sub-blocks 8h..8h+7, decoded only now (registers) */
        const __m512i xa = ld(u + 64 * (26 * h + 24)), xb = ld(u + 64 * (26 * h + 25));
        const __m512i p0 = _mm512_add_epi32(_mm512_mullo_epi32(s[0], BYTE_S(xa, 0)),
                                            _mm512_mullo_epi32(s[1], BYTE_S(xa, 1)));
        const __m512i p1 = _mm512_add_epi32(_mm512_mullo_epi32(s[2], BYTE_S(xa, 2)),
                                            _mm512_mullo_epi32(s[3], BYTE_S(xa, 3)));
        const __m512i p2 = _mm512_add_epi32(_mm512_mullo_epi32(s[4], BYTE_S(xb, 0)),
                                            _mm512_mullo_epi32(s[5], BYTE_S(xb, 1)));
        const __m512i p3 = _mm512_add_epi32(_mm512_mullo_epi32(s[6], BYTE_S(xb, 2)),
                                            _mm512_mullo_epi32(s[7], BYTE_S(xb, 3)));
        isum = _mm512_add_epi32(isum, _mm512_add_epi32(_mm512_add_epi32(p0, p1),
                                                       _mm512_add_epi32(p2, p3)));
    }
    const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d16));
    return _mm512_fmadd_ps(_mm512_mul_ps(dx, _mm512_set1_ps(y->d)), _mm512_cvtepi32_ps(isum), acc);
}

static void q6k_gemv(int64_t n, const uint8_t *w, int64_t g0, int64_t g1,
                     const struct llm_block_q8_K *y, float *out)
{
    const int64_t nb = n / LLM_QK_K;
    const size_t gbytes = llm_pack_k_group_bytes(LLM_TYPE_Q6_K, n);
    for (int64_t g = g0; g < g1; g++) {
        const uint8_t *gp = w + (size_t)g * gbytes;
        const uint8_t *gd = gp + (size_t)nb * Q6U;
        __m512 acc = _mm512_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            acc = q6k_unit(gp + (size_t)b * Q6U, gd + 32 * (size_t)b, y + b, acc);
        }
        _mm512_storeu_ps(out + (size_t)g * 16, acc);
    }
}

static void kpt_load_q6_K(struct kt_panel *pn, const uint8_t *u, const uint8_t *d16)
{
    for (int h = 0; h < 2; h++) {
        for (int t = 0; t < 8; t++) {
            __m512i q[4];
            q6k_quants(u, h, t, q);
            for (int c = 0; c < 4; c++)
                pn->q[32 * h + 8 * c + t] = q[c];
        }
    }
    q6k_scales(u, pn->sc);
    const __m512i lo = _mm512_set1_epi32(0xFFFF);
    for (int k = 0; k < 8; k++)
        pn->mn[k] = _mm512_or_si512(_mm512_and_si512(pn->sc[2 * k], lo),
                                    _mm512_slli_epi32(pn->sc[2 * k + 1], 16));
    pn->dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d16));
    pn->dm = _mm512_setzero_ps();
}

/* ---- several activation rows --------------------------------------------------------------- */

static void kpt_run(bool q4, int64_t n, const uint8_t *w, int64_t g0, int64_t g1, const uint8_t *a,
                    size_t a_stride, int nc, float *y, size_t ldy)
{
    const int64_t nb = n / LLM_QK_K;
    const size_t gbytes = llm_pack_k_group_bytes(q4 ? LLM_TYPE_Q4_K : LLM_TYPE_Q6_K, n);
    struct kt_panel pn;
    __m512 acc[KT_COLS];
    for (int64_t g = g0; g < g1; g++) {
        const uint8_t *gp = w + (size_t)g * gbytes;
        for (int c0 = 0; c0 < nc; c0 += KT_COLS) {
            const int k = nc - c0 < KT_COLS ? nc - c0 : KT_COLS;
            for (int c = 0; c < KT_COLS; c++)
                acc[c] = _mm512_setzero_ps();
            for (int64_t b = 0; b < nb; b++) {
                if (q4)
                    kpt_load_q4_K(&pn, gp + (size_t)b * Q4U);
                else
                    kpt_load_q6_K(&pn, gp + (size_t)b * Q6U, gp + (size_t)nb * Q6U + 32 * (size_t)b);
                for (int gc = 0; gc < k; gc += KT_NC) {
                    const struct llm_block_q8_K *yc[KT_NC];
                    for (int c = 0; c < KT_NC; c++) {
                        const int cc = c0 + (gc + c < k ? gc + c : gc);
                        yc[c] = (const struct llm_block_q8_K *)(a + (size_t)cc * a_stride) + b;
                    }
                    if (q4)
                        kt_cols_q4_K(&pn, yc, acc + gc);
                    else
                        kt_cols_q6_K(&pn, yc, acc + gc);
                }
            }
            for (int c = 0; c < k; c++)
                _mm512_storeu_ps(y + (size_t)(c0 + c) * ldy + (size_t)g * KT_ROWS, acc[c]);
        }
    }
}

void llm_avx512_pack_matmul_q4_K(int64_t n, const void *w, int64_t g0, int64_t g1, const void *a,
                                 size_t a_stride, int nc, float *y, size_t ldy)
{
    if (nc == 1)
        q4k_gemv(n, w, g0, g1, a, y);
    else
        kpt_run(true, n, w, g0, g1, a, a_stride, nc, y, ldy);
}

void llm_avx512_pack_matmul_q6_K(int64_t n, const void *w, int64_t g0, int64_t g1, const void *a,
                                 size_t a_stride, int nc, float *y, size_t ldy)
{
    if (nc == 1)
        q6k_gemv(n, w, g0, g1, a, y);
    else
        kpt_run(false, n, w, g0, g1, a, a_stride, nc, y, ldy);
}
