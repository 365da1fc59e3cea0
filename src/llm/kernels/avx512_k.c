/* avx512_k.c: AVX-512 VNNI kernels for the K-quant weights of Q4_K_M files (Q4_K and Q6_K
 * against Q8_K activations): a matrix-vector dot (decode) and a tile kernel (prompt) that
 * share one summation order, so a prompt token's result is bit-identical to a decode step's.
 * Compiled with the flags of avx512.c; dispatch.c calls these only when cpuid reports
 * AVX-512 F/BW/VL + VNNI.
 *
 * Summation order (both kernels, per weight row and activation column): for each 256-element
 * super-block b in order, two exact integers are formed,
 *   Q4_K: isum_b = sum_j sc_j * dot_j(q, y),  msum_b = sum_j m_j * (ysum of sub-block j)
 *   Q6_K: isum_b = sum_j sc_j * dot_j(q, y) - 32 * sum_j sc_j * bsums_j,  msum_b = 0
 * (q the unsigned 4- or 6-bit quants, j the sub-blocks), and one float chain accumulates
 *   acc = fma(dx_b * dy_b, (float)isum_b, acc);  acc = fma(-(dmin_b * dy_b), (float)msum_b, acc)
 * starting from 0 (Q6_K has no second step). The integers are exact whatever the order of
 * their partial sums, so each kernel is free to compute them its own way.
 *
 * The tile kernel repacks a panel of 16 weight rows x one super-block for vpdpbusd (four
 * consecutive quants of each row in one 32-bit lane: unsigned weights x signed activations,
 * no correction needed) and runs it against 8 activation columns at a time, each column's
 * four activation bytes broadcast straight from the Q8_K row. */
#include <immintrin.h>
#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "llm/kernels/avx512_k_tile.h"
#include "llm/kernels/kernels.h"
#include "llm/quant/q_k.h"


static inline float h2f(uint16_t h)
{
    return _cvtsh_ss(h);
}

static inline int hsum512_i32(__m512i v)
{
    __m256i s = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
}

static inline int hsum256_i32(__m256i v)
{
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    t = _mm_add_epi32(t, _mm_unpackhi_epi64(t, t));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return _mm_cvtsi128_si32(t);
}

/* ---- matrix-vector dots ----------------------------------------------------------------- */

/* The twelve scale bytes of a Q4_K block as 8 scales (bytes 0..7) and 8 mins (8..15), as
 * llm_k_scale_min gives them, with four 32-bit operations per half. */
static inline __m128i q4_K_scales_mins(const uint8_t *s)
{
    uint32_t u[3];
    memcpy(u, s, 12);
    const uint32_t m6 = 0x3f3f3f3fu, m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
    return _mm_setr_epi32((int)(u[0] & m6), (int)((u[2] & m4) | ((u[0] >> 6) & m2) << 4),
                          (int)(u[1] & m6), (int)(((u[2] >> 4) & m4) | ((u[1] >> 6) & m2) << 4));
}

/* Eight int32 sums, lane j the sum of the lanes of v[j] (a tree of horizontal adds). */
static inline __m256i sums8(const __m256i v[8])
{
    const __m256i h01 = _mm256_hadd_epi32(v[0], v[1]), h23 = _mm256_hadd_epi32(v[2], v[3]);
    const __m256i h45 = _mm256_hadd_epi32(v[4], v[5]), h67 = _mm256_hadd_epi32(v[6], v[7]);
    const __m256i h0123 = _mm256_hadd_epi32(h01, h23), h4567 = _mm256_hadd_epi32(h45, h67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20),
                            _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

/* Super-block x . y as two 8-lane vectors whose lane sums are isum (scaled quant products)
 * and msum (mins times activation sums); the row dot reduces eight super-blocks at once. */
static inline void q4_K_block(const struct llm_block_q4_K *x, const struct llm_block_q8_K *y,
                              __m256i *isum, __m256i *msum)
{
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m128i scm = q4_K_scales_mins(x->scales);
    const __m512i v0 = _mm512_loadu_si512((const void *)x->qs);
    const __m512i v1 = _mm512_loadu_si512((const void *)(x->qs + 64));
    const __m512i lo0 = _mm512_and_si512(v0, m4), hi0 = _mm512_and_si512(_mm512_srli_epi16(v0, 4), m4);
    const __m512i lo1 = _mm512_and_si512(v1, m4), hi1 = _mm512_and_si512(_mm512_srli_epi16(v1, 4), m4);
    const __m512i q[4] = {_mm512_shuffle_i64x2(lo0, hi0, 0x44), _mm512_shuffle_i64x2(lo0, hi0, 0xEE),
                          _mm512_shuffle_i64x2(lo1, hi1, 0x44), _mm512_shuffle_i64x2(lo1, hi1, 0xEE)};
    /* lane i of the product of sub-blocks (2k, 2k+1) takes scale 2k + i / 8 */
    const __m512i sc32 = _mm512_cvtepu8_epi32(scm);
    __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    __m512i s = _mm512_setzero_si512();
    for (int k = 0; k < 4; k++) {
        const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q[k],
                                              _mm512_loadu_si512((const void *)(y->qs + 64 * k)));
        s = _mm512_add_epi32(s, _mm512_mullo_epi32(p, _mm512_permutexvar_epi32(idx, sc32)));
        idx = _mm512_add_epi32(idx, _mm512_set1_epi32(2));
    }
    *isum = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
    const __m256i m16 = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(scm, scm));
    *msum = _mm256_madd_epi16(m16, _mm256_loadu_si256((const __m256i *)y->bsums));
}

float llm_avx512_vec_dot_q4_K_q8_K(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q4_K *x = w;
    const struct llm_block_q8_K *y = a;
    const int64_t nb = n / LLM_QK_K;
    float acc = 0.0f;
    for (int64_t b0 = 0; b0 < nb; b0 += 8) {
        const int m = nb - b0 < 8 ? (int)(nb - b0) : 8;
        __m256i is[8], ms[8];
        for (int j = 0; j < 8; j++) {
            if (j < m) {
                q4_K_block(&x[b0 + j], &y[b0 + j], &is[j], &ms[j]);
            } else {
                is[j] = _mm256_setzero_si256();
                ms[j] = _mm256_setzero_si256();
            }
        }
        alignas(32) float fi[8], fm[8];
        _mm256_store_ps(fi, _mm256_cvtepi32_ps(sums8(is)));
        _mm256_store_ps(fm, _mm256_cvtepi32_ps(sums8(ms)));
        for (int j = 0; j < m; j++) {
            const float dy = y[b0 + j].d;
            __m128 t = _mm_fmadd_ss(_mm_set_ss(h2f(x[b0 + j].d) * dy), _mm_set_ss(fi[j]), _mm_set_ss(acc));
            t = _mm_fnmadd_ss(_mm_set_ss(h2f(x[b0 + j].dmin) * dy), _mm_set_ss(fm[j]), t);
            acc = _mm_cvtss_f32(t);
        }
    }
    return acc;
}

float llm_avx512_vec_dot_q6_K_q8_K(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q6_K *x = w;
    const struct llm_block_q8_K *y = a;
    const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(0x03);
    /* lane i of the product of elements 64k..64k+63 takes scale 4k + i / 4 */
    const __m512i idx0 = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    const __m512i four = _mm512_set1_epi32(4);
    float acc = 0.0f;
    for (int64_t i = 0; i < n / LLM_QK_K; i++) {
        const __m128i sc8 = _mm_loadu_si128((const __m128i *)x[i].scales);
        const __m512i sc32 = _mm512_cvtepi8_epi32(sc8);
        const __m512i hall = _mm512_loadu_si512((const void *)x[i].qh);
        __m512i s = _mm512_setzero_si512();
        __m512i idx = idx0;
        for (int h = 0; h < 2; h++) {
            /* ql[64h..64h+63] are elements 128h + (0..63) (low nibbles) and + 64 (high);
             * qh[32h..32h+31] hold their top bits: bits 0-1 for elements 0..31, 2-3 for
             * 32..63, 4-5 for 64..95, 6-7 for 96..127 */
            const __m512i l = _mm512_loadu_si512((const void *)(x[i].ql + 64 * h));
            /* the shuffle's selector must be a literal even at -O0 (debug/ASan build) */
            __m512i hb = h ? _mm512_shuffle_i64x2(hall, hall, 0xEE)
                           : _mm512_shuffle_i64x2(hall, hall, 0x44);
            hb = _mm512_mask_srli_epi16(hb, (__mmask32)0xFFFF0000u, hb, 2);
            const __m512i q01 = _mm512_or_si512(_mm512_and_si512(l, m4),
                                                _mm512_slli_epi16(_mm512_and_si512(hb, m2), 4));
            const __m512i q23 = _mm512_or_si512(
                _mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hb, 4), m2), 4));
            const __m512i p0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q01,
                                                   _mm512_loadu_si512((const void *)(y[i].qs + 128 * h)));
            s = _mm512_add_epi32(s, _mm512_mullo_epi32(p0, _mm512_permutexvar_epi32(idx, sc32)));
            idx = _mm512_add_epi32(idx, four);
            const __m512i p1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q23,
                                                   _mm512_loadu_si512((const void *)(y[i].qs + 128 * h + 64)));
            s = _mm512_add_epi32(s, _mm512_mullo_epi32(p1, _mm512_permutexvar_epi32(idx, sc32)));
            idx = _mm512_add_epi32(idx, four);
        }
        const __m256i bs = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        const int off = hsum256_i32(_mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), bs));
        const int isum = hsum512_i32(s) - 32 * off;
        acc = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(h2f(x[i].d) * y[i].d), _mm_set_ss((float)isum),
                                         _mm_set_ss(acc)));
    }
    return acc;
}

/* ---- tile kernels ----------------------------------------------------------------------- */

static inline __m512i kt_row_index(size_t row_bytes)
{
    return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                              _mm512_set1_epi32((int)row_bytes));
}

static inline __m512i gather4(__m512i idx, const char *p)
{
    return _mm512_i32gather_epi32(idx, (const void *)p, 1);
}

/* Packs super-block b of the 16 rows at w. */
static void kt_pack_q4_K(struct kt_panel *pn, const char *w, size_t row_bytes, int64_t b)
{
    const char *blk = w + (size_t)b * sizeof(struct llm_block_q4_K);
    const __m512i idx = kt_row_index(row_bytes);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i dd = gather4(idx, blk); /* d | dmin << 16 */
    pn->dx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dd));
    pn->dm = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dd, 16)));
    for (int j = 0; j < 4; j++) {
        for (int t = 0; t < 8; t++) {
            const __m512i v = gather4(idx, blk + 16 + 32 * j + 4 * t);
            pn->q[8 * (2 * j) + t] = _mm512_and_si512(v, m4);
            pn->q[8 * (2 * j + 1) + t] = _mm512_and_si512(_mm512_srli_epi32(v, 4), m4);
        }
    }
    alignas(64) int32_t sc[8][16], mn[8][16];
    for (int r = 0; r < KT_ROWS; r++) {
        const uint8_t *s = (const uint8_t *)blk + (size_t)r * row_bytes + 4;
        for (int j = 0; j < 8; j++) {
            uint8_t scj, mj;
            llm_k_scale_min(j, s, &scj, &mj);
            sc[j][r] = scj;
            mn[j][r] = (int32_t)((uint32_t)mj | (uint32_t)mj << 16);
        }
    }
    for (int j = 0; j < 8; j++) {
        pn->sc[j] = _mm512_load_si512((const void *)sc[j]);
        pn->mn[j] = _mm512_load_si512((const void *)mn[j]);
    }
}

static void kt_pack_q6_K(struct kt_panel *pn, const char *w, size_t row_bytes, int64_t b)
{
    const char *blk = w + (size_t)b * sizeof(struct llm_block_q6_K);
    const __m512i idx = kt_row_index(row_bytes);
    const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(0x03);
    /* d is the last two bytes of the block: read scales[14..15] and d, keep the top half */
    const __m512i dd = gather4(idx, blk + offsetof(struct llm_block_q6_K, d) - 2);
    pn->dx = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dd, 16)));
    pn->dm = _mm512_setzero_ps();
    for (int h = 0; h < 2; h++) {
        for (int t = 0; t < 8; t++) {
            const __m512i v0 = gather4(idx, blk + 64 * h + 4 * t);
            const __m512i v1 = gather4(idx, blk + 64 * h + 32 + 4 * t);
            const __m512i vh = gather4(idx, blk + 128 + 32 * h + 4 * t);
            __m512i *q = &pn->q[32 * h + t];
            q[0] = _mm512_or_si512(_mm512_and_si512(v0, m4),
                                   _mm512_slli_epi32(_mm512_and_si512(vh, m2), 4));
            q[8] = _mm512_or_si512(_mm512_and_si512(v1, m4),
                                   _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(vh, 2), m2), 4));
            q[16] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(v0, 4), m4),
                                    _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(vh, 4), m2), 4));
            q[24] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(v1, 4), m4),
                                    _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(vh, 6), m2), 4));
        }
    }
    alignas(64) int32_t sc[16][16], pr[8][16];
    for (int r = 0; r < KT_ROWS; r++) {
        const int8_t *s = (const int8_t *)blk + (size_t)r * row_bytes + 192;
        for (int j = 0; j < 16; j++)
            sc[j][r] = s[j];
        for (int k = 0; k < 8; k++)
            pr[k][r] = (int32_t)((uint32_t)(uint16_t)s[2 * k] | (uint32_t)(uint16_t)s[2 * k + 1] << 16);
    }
    for (int j = 0; j < 16; j++)
        pn->sc[j] = _mm512_load_si512((const void *)sc[j]);
    for (int k = 0; k < 8; k++)
        pn->mn[k] = _mm512_load_si512((const void *)pr[k]);
}

typedef void (*kt_pack_fn)(struct kt_panel *, const char *, size_t, int64_t);
typedef void (*kt_cols_fn)(const struct kt_panel *, const struct llm_block_q8_K *const *, __m512 *);

static void kt_run(kt_pack_fn pack, kt_cols_fn cols, llm_vec_dot_fn dot, int64_t n, const void *w,
                   size_t row_bytes, int64_t r0, int64_t r1, const void *a, size_t a_stride, int nc,
                   float *y, size_t ldy)
{
    const int64_t nb = n / LLM_QK_K;
    struct kt_panel pn;
    __m512 acc[KT_COLS];
    int64_t r = r0;
    for (; r + KT_ROWS <= r1; r += KT_ROWS) {
        const char *wr = (const char *)w + (size_t)r * row_bytes;
        for (int c0 = 0; c0 < nc; c0 += KT_COLS) {
            const int k = nc - c0 < KT_COLS ? nc - c0 : KT_COLS;
            for (int c = 0; c < KT_COLS; c++)
                acc[c] = _mm512_setzero_ps();
            for (int64_t b = 0; b < nb; b++) {
                pack(&pn, wr, row_bytes, b);
                for (int g = 0; g < k; g += KT_NC) {
                    const struct llm_block_q8_K *yc[KT_NC];
                    for (int c = 0; c < KT_NC; c++) {
                        const int cc = c0 + (g + c < k ? g + c : g);
                        yc[c] = (const struct llm_block_q8_K *)((const char *)a + (size_t)cc * a_stride) + b;
                    }
                    cols(&pn, yc, acc + g);
                }
            }
            for (int c = 0; c < k; c++)
                _mm512_storeu_ps(y + (size_t)(c0 + c) * ldy + (size_t)r, acc[c]);
        }
    }
    for (; r < r1; r++)
        for (int c = 0; c < nc; c++)
            y[(size_t)c * ldy + (size_t)r] =
                dot(n, (const char *)w + (size_t)r * row_bytes, (const char *)a + (size_t)c * a_stride);
}

void llm_avx512_gemm_q4_K_q8_K(int64_t n, const void *w, size_t row_bytes, int64_t r0, int64_t r1,
                               const void *a, size_t a_stride, int nc, float *y, size_t ldy)
{
    kt_run(kt_pack_q4_K, kt_cols_q4_K, llm_avx512_vec_dot_q4_K_q8_K, n, w, row_bytes, r0, r1, a,
           a_stride, nc, y, ldy);
}

void llm_avx512_gemm_q6_K_q8_K(int64_t n, const void *w, size_t row_bytes, int64_t r0, int64_t r1,
                               const void *a, size_t a_stride, int nc, float *y, size_t ldy)
{
    kt_run(kt_pack_q6_K, kt_cols_q6_K, llm_avx512_vec_dot_q6_K_q8_K, n, w, row_bytes, r0, r1, a,
           a_stride, nc, y, ldy);
}
