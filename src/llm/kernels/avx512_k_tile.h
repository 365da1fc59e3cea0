/* avx512_k_tile.h: the inner step of the Q4_K / Q6_K tile kernels (prompt), shared by
 * avx512_k.c (panels gathered from the file's rows) and avx512_k_packed.c (panels loaded from
 * rows packed at load): a panel of 16 weight rows x one super-block, unpacked for vpdpbusd,
 * against 8 activation columns. Only for files compiled with the AVX-512 VNNI flags. The
 * summation order is the one described at the top of avx512_k.c. */
#ifndef RELAIS_LLM_KERNELS_AVX512_K_TILE_H
#define RELAIS_LLM_KERNELS_AVX512_K_TILE_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "llm/quant/q_k.h"

enum { KT_ROWS = 16, KT_COLS = 256, KT_NC = 8 };

static inline int32_t load_i32(const void *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* 16 rows x one super-block, repacked: q[g] holds quants 4g..4g+3 of each row (row r in
 * bytes 4r..4r+3, unsigned); sc[j] the int32 scale of sub-block j per row; mn[j] (Q4_K) the
 * int16 pair (m_j, m_j) per row, or (Q6_K) the pair (sc_2j, sc_2j+1); dx, dm the row scales. */
struct kt_panel {
    __m512i q[64];  /* repacked quants */
    __m512i sc[16]; /* sub-block scales (8 used by Q4_K) */
    __m512i mn[8];  /* int16 pairs for the min / offset term */
    __m512 dx;      /* super-block scale d per row */
    __m512 dm;      /* dmin per row (Q4_K) */
};

/* Super-block b of the panel against KT_NC columns y[c] (already offset to block b):
 * acc[c] advances by one step of the chain. The loops over columns must be unrolled so that
 * the per-column sums stay in registers (GCC does not at -O2 without the pragmas). */
static void kt_cols_q4_K(const struct kt_panel *pn, const struct llm_block_q8_K *const *y,
                         __m512 *acc)
{
    __m512i isum[KT_NC];
#pragma GCC unroll 8
    for (int c = 0; c < KT_NC; c++)
        isum[c] = _mm512_setzero_si512();
    for (int j = 0; j < 8; j++) {
        __m512i s[KT_NC];
#pragma GCC unroll 8
        for (int c = 0; c < KT_NC; c++)
            s[c] = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int t = 0; t < 8; t++) {
            const __m512i q = pn->q[8 * j + t];
#pragma GCC unroll 8
            for (int c = 0; c < KT_NC; c++)
                s[c] = _mm512_dpbusd_epi32(s[c], q,
                                           _mm512_set1_epi32(load_i32(y[c]->qs + 32 * j + 4 * t)));
        }
#pragma GCC unroll 8
        for (int c = 0; c < KT_NC; c++)
            isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(s[c], pn->sc[j]));
    }
#pragma GCC unroll 8
    for (int c = 0; c < KT_NC; c++) {
        __m512i m = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++)
            m = _mm512_dpwssd_epi32(m, pn->mn[j], _mm512_set1_epi32(load_i32(&y[c]->bsums[2 * j])));
        const __m512 dy = _mm512_set1_ps(y[c]->d);
        __m512 v = _mm512_fmadd_ps(_mm512_mul_ps(pn->dx, dy), _mm512_cvtepi32_ps(isum[c]), acc[c]);
        acc[c] = _mm512_fnmadd_ps(_mm512_mul_ps(pn->dm, dy), _mm512_cvtepi32_ps(m), v);
    }
}

static void kt_cols_q6_K(const struct kt_panel *pn, const struct llm_block_q8_K *const *y,
                         __m512 *acc)
{
    __m512i isum[KT_NC];
#pragma GCC unroll 8
    for (int c = 0; c < KT_NC; c++)
        isum[c] = _mm512_setzero_si512();
    for (int j = 0; j < 16; j++) {
        __m512i s[KT_NC];
#pragma GCC unroll 8
        for (int c = 0; c < KT_NC; c++)
            s[c] = _mm512_setzero_si512();
#pragma GCC unroll 4
        for (int t = 0; t < 4; t++) {
            const __m512i q = pn->q[4 * j + t];
#pragma GCC unroll 8
            for (int c = 0; c < KT_NC; c++)
                s[c] = _mm512_dpbusd_epi32(s[c], q,
                                           _mm512_set1_epi32(load_i32(y[c]->qs + 16 * j + 4 * t)));
        }
#pragma GCC unroll 8
        for (int c = 0; c < KT_NC; c++)
            isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(s[c], pn->sc[j]));
    }
#pragma GCC unroll 8
    for (int c = 0; c < KT_NC; c++) {
        __m512i off = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            off = _mm512_dpwssd_epi32(off, pn->mn[k], _mm512_set1_epi32(load_i32(&y[c]->bsums[2 * k])));
        const __m512i tot = _mm512_sub_epi32(isum[c], _mm512_slli_epi32(off, 5));
        const __m512 dy = _mm512_set1_ps(y[c]->d);
        acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(pn->dx, dy), _mm512_cvtepi32_ps(tot), acc[c]);
    }
}

#endif
