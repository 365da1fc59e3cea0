/* avx512_q40.c: matrix products of packed Q4_0 / Q8_0 weights (layout in
 * packed.h) with Q8_0 activations, AVX-512 F/BW/VL + VNNI (compiled with the
 * flags of avx512.c; pack.c calls in only when the CPU has them).
 *
 * One 64-byte word of a packed block holds four consecutive quants of each of
 * 16 rows, as unsigned bytes (Q4_0 nibbles 0..15, Q8_0 quants + 128); vpdpbusd
 * multiplies it by four activation bytes broadcast from memory and adds the
 * four products into each row's int32 lane. The block's integer sum is then
 * sum(u * y) - off * sum(y) (off = 8 or 128, sum(y) from the activation row),
 * exact. Floats follow the row kernel's order (avx512.c): block b adds (dx_b *
 * dy_b) * isum_b into chain b % 8, chains combined as
 * ((c0 + c4) + (c2 + c6)) + ((c1 + c5) + (c3 + c7)), so each of the 16 lanes is
 * bit-identical to llm_avx512_vec_dot_*_v2 on that row.
 *
 * A single activation row (decode) runs a group's blocks with the eight chains
 * in registers. Several rows (a prompt) run like avx512.c's tile kernel without
 * its repacking: a panel of GP_KB blocks of the group stays in L1, its words
 * are unpacked once per 8 activation rows, and the chains of up to 64 rows live
 * in a stack array. */
#include <immintrin.h>
#include <string.h>

#include "llm/kernels/packed.h"
#include "llm/quant/q_legacy.h"

/* GP_PREFETCH: how far ahead (bytes) the matrix-vector loop prefetches its weights into L2
 * (see gemv) */
enum { GP_KB = 32, GP_COLS = 64, GP_NC = 8, GP_PREFETCH = 16384 };

#define INLINE static inline __attribute__((always_inline))

static inline float h2f(uint16_t h)
{
    return _cvtsh_ss(h);
}

static inline int32_t ld32(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline size_t sums_offset(int64_t n)
{
    return ((size_t)(n / 32) * sizeof(struct llm_block_q8_0) + 63) & ~(size_t)63;
}

/* The eight unsigned weight words of block unit q (Q4_0: low nibbles of words
 * 0..3, then their high nibbles; word t pairs with activation bytes 4t..4t+3
 * either way). */
INLINE void words_q4_0(const uint8_t *q, __m512i w[8])
{
    const __m512i m4 = _mm512_set1_epi8(0x0F);
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        const __m512i v = _mm512_loadu_si512((const void *)(q + 64 * j));
        w[j] = _mm512_and_si512(v, m4);
        w[j + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
    }
}

INLINE void words_q8_0(const uint8_t *q, __m512i w[8])
{
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++)
        w[j] = _mm512_loadu_si512((const void *)(q + 64 * j));
}

/* Integer block sums of the 16 rows against one activation block (two dpbusd
 * chains). */
INLINE __m512i isum16(const __m512i w[8], const int8_t *yq, int32_t corr)
{
    __m512i s0 = _mm512_set1_epi32(corr), s1 = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int t = 0; t < 8; t += 2) {
        s0 = _mm512_dpbusd_epi32(s0, w[t], _mm512_set1_epi32(ld32(yq + 4 * t)));
        s1 = _mm512_dpbusd_epi32(s1, w[t + 1], _mm512_set1_epi32(ld32(yq + 4 * t + 4)));
    }
    return _mm512_add_epi32(s0, s1);
}

INLINE __m512 combine(const __m512 c[8])
{
    const __m512 s0 = _mm512_add_ps(c[0], c[4]);
    const __m512 s1 = _mm512_add_ps(c[1], c[5]);
    const __m512 s2 = _mm512_add_ps(c[2], c[6]);
    const __m512 s3 = _mm512_add_ps(c[3], c[7]);
    return _mm512_add_ps(_mm512_add_ps(s0, s2), _mm512_add_ps(s1, s3));
}

/* Adds block b's (dx * dy) * isum into chain c: the row kernel's step. */
INLINE __m512 gemv_step(bool q4, const uint8_t *gq, const uint8_t *gs,
                        const struct llm_block_q8_0 *ya, const int32_t *corr, const float *dy,
                        int64_t b, __m512 c)
{
    const size_t qu = q4 ? 256 : 512;
    __m512i wv[8];
    if (q4)
        words_q4_0(gq + (size_t)b * qu, wv);
    else
        words_q8_0(gq + (size_t)b * qu, wv);
    const __m512i s = isum16(wv, ya[b].qs, corr[b]);
    const __m512 d =
        _mm512_mul_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(gs + (size_t)b * 32))),
                      _mm512_set1_ps(dy[b]));
    return _mm512_add_ps(c, _mm512_mul_ps(d, _mm512_cvtepi32_ps(s)));
}

/* Prefetches [p, p + len) into L2, one line at a time. */
INLINE void prefetch_l2(const uint8_t *p, size_t len)
{
    for (size_t l = 0; l < len; l += 64)
        _mm_prefetch((const char *)p + l, _MM_HINT_T1);
}

/* One activation row against groups [g0, g1): eight blocks per iteration, one
 * chain each, all in registers.
 *
 * The groups are one contiguous stretch read once, and the loop's arithmetic is
 * far from the memory's pace (in L2 it runs at ~30 GB/s, from memory it reached
 * only 8.5 GB/s where a plain load loop reads 21 GB/s): what it lacks is misses
 * in flight. Each step prefetches the bytes GP_PREFETCH ahead of the ones it
 * reads (counting quants and scales alike, so the prefetch runs straight on into
 * the next group) into L2: with _MM_HINT_T1 the loop streams at the plain loop's
 * rate (132 MB Q4_0, one core: 12-14 -> 6.1-7.5 ms), while _MM_HINT_T0 at any
 * distance from 2 to 32 KB gained nothing over no prefetch at all (on this Zen 4,
 * prefetches into L1 seem to hold the few L1 miss buffers the demand loads need). */
INLINE void gemv(bool q4, int64_t n, const uint8_t *w, int64_t g0, int64_t g1, const uint8_t *a,
                 float *y)
{
    const int64_t nb = n / 32;
    const size_t qu = q4 ? 256 : 512; /* bytes of a block unit's quants */
    const size_t gbytes = (size_t)nb * (qu + 32);
    const struct llm_block_q8_0 *ya = (const struct llm_block_q8_0 *)a;
    const int32_t *corr = (const int32_t *)(a + sums_offset(n));
    const float *dy = (const float *)(corr + nb);
    for (int64_t g = g0; g < g1; g++) {
        const uint8_t *gq = w + (size_t)g * gbytes;
        const uint8_t *gs = gq + (size_t)nb * qu;
        __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0,
               c7 = c0;
        const size_t bb = gbytes / (size_t)nb; /* bytes per block, quants and scale */
        int64_t b = 0;
        for (; b + 8 <= nb; b += 8) {
            prefetch_l2(gq + (size_t)b * bb + GP_PREFETCH, 8 * bb);
            c0 = gemv_step(q4, gq, gs, ya, corr, dy, b, c0);
            c1 = gemv_step(q4, gq, gs, ya, corr, dy, b + 1, c1);
            c2 = gemv_step(q4, gq, gs, ya, corr, dy, b + 2, c2);
            c3 = gemv_step(q4, gq, gs, ya, corr, dy, b + 3, c3);
            c4 = gemv_step(q4, gq, gs, ya, corr, dy, b + 4, c4);
            c5 = gemv_step(q4, gq, gs, ya, corr, dy, b + 5, c5);
            c6 = gemv_step(q4, gq, gs, ya, corr, dy, b + 6, c6);
            c7 = gemv_step(q4, gq, gs, ya, corr, dy, b + 7, c7);
        }
        __m512 c[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
        prefetch_l2(gq + (size_t)b * bb + GP_PREFETCH, (size_t)(nb - b) * bb);
        for (int k = 0; b < nb; b++, k++)
            c[k] = gemv_step(q4, gq, gs, ya, corr, dy, b, c[k]);
        _mm512_storeu_ps(y + (size_t)g * 16, combine(c));
    }
}

/* Blocks [kb0, kb1) of one group against up to GP_COLS activation rows
 * (columns). */
INLINE void gemm_panel(bool q4, int64_t n, const uint8_t *gq, const uint8_t *gs, int64_t kb0,
                       int64_t kb1, const uint8_t *a, size_t a_stride, int nc, __m512 (*acc)[8])
{
    const size_t qu = q4 ? 256 : 512;
    const size_t so = sums_offset(n);
    const int64_t nb = n / 32;
    for (int c0 = 0; c0 < nc; c0 += GP_NC) {
        const int m = nc - c0 < GP_NC ? nc - c0 : GP_NC;
        /* one pointer per column and three offsets shared by all columns (fewer live
         * registers than a pointer per column and per array) */
        const uint8_t *row[GP_NC];
        for (int c = 0; c < GP_NC; c++)
            row[c] = a + (size_t)(c0 + (c < m ? c : 0)) * a_stride;
        for (int64_t b = kb0; b < kb1; b++) {
            __m512i wv[8];
            if (q4)
                words_q4_0(gq + (size_t)b * qu, wv);
            else
                words_q8_0(gq + (size_t)b * qu, wv);
            const __m512 dx =
                _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(gs + (size_t)b * 32)));
            const int ch = (int)(b & 7);
            const size_t qo = (size_t)b * sizeof(struct llm_block_q8_0) + 2;
            const size_t co = so + 4 * (size_t)b;
            const size_t fo = co + 4 * (size_t)nb;
#pragma GCC unroll 8
            for (int c = 0; c < GP_NC; c++) {
                int32_t corr;
                float dy;
                memcpy(&corr, row[c] + co, 4);
                memcpy(&dy, row[c] + fo, 4);
                const __m512i s = isum16(wv, (const int8_t *)(row[c] + qo), corr);
                if (c < m) {
                    const __m512 d = _mm512_mul_ps(dx, _mm512_set1_ps(dy));
                    acc[c0 + c][ch] =
                        _mm512_add_ps(acc[c0 + c][ch], _mm512_mul_ps(d, _mm512_cvtepi32_ps(s)));
                }
            }
        }
    }
}

INLINE void gemm(bool q4, int64_t n, const uint8_t *w, int64_t g0, int64_t g1, const uint8_t *a,
                 size_t a_stride, int nc, float *y, size_t ldy)
{
    const int64_t nb = n / 32;
    const size_t qu = q4 ? 256 : 512;
    const size_t gbytes = (size_t)nb * (qu + 32);
    __m512 acc[GP_COLS][8];
    for (int64_t g = g0; g < g1; g++) {
        const uint8_t *gq = w + (size_t)g * gbytes;
        const uint8_t *gs = gq + (size_t)nb * qu;
        for (int c0 = 0; c0 < nc; c0 += GP_COLS) {
            const int k = nc - c0 < GP_COLS ? nc - c0 : GP_COLS;
            for (int c = 0; c < k; c++)
                for (int j = 0; j < 8; j++)
                    acc[c][j] = _mm512_setzero_ps();
            for (int64_t kb0 = 0; kb0 < nb; kb0 += GP_KB) {
                const int64_t kb1 = nb - kb0 < GP_KB ? nb : kb0 + GP_KB;
                gemm_panel(q4, n, gq, gs, kb0, kb1, a + (size_t)c0 * a_stride, a_stride, k, acc);
            }
            for (int c = 0; c < k; c++)
                _mm512_storeu_ps(y + (size_t)(c0 + c) * ldy + (size_t)g * 16, combine(acc[c]));
        }
    }
}

void llm_avx512_pack_matmul_q4_0(int64_t n, const void *w, int64_t g0, int64_t g1, const void *a,
                                 size_t a_stride, int nc, float *y, size_t ldy)
{
    if (nc == 1)
        gemv(true, n, w, g0, g1, a, y);
    else
        gemm(true, n, w, g0, g1, a, a_stride, nc, y, ldy);
}

void llm_avx512_pack_matmul_q8_0(int64_t n, const void *w, int64_t g0, int64_t g1, const void *a,
                                 size_t a_stride, int nc, float *y, size_t ldy)
{
    if (nc == 1)
        gemv(false, n, w, g0, g1, a, y);
    else
        gemm(false, n, w, g0, g1, a, a_stride, nc, y, ldy);
}
