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

/* ---- Q4_0 and Q8_0: one summation order for a row and for a tile of rows x columns --------
 * dot(w, a) = sum over the row's blocks b of (dx_b * dy_b) * isum_b, isum_b being the exact
 * integer dot of block b (32 int8 products). The float sum runs in eight chains (block b goes
 * into chain b % 8 as c = c + p, products and sums rounded separately) that are combined as
 * ((c0 + c4) + (c2 + c6)) + ((c1 + c5) + (c3 + c7)). The matrix-vector kernel keeps the chains
 * in the eight lanes of a register; the tile kernel (llm_avx512_gemm_*) keeps them per row
 * and column, 16 rows to a register, so every element it writes is bit-identical to the
 * vector kernel on that row and column. */

enum { GM_ROWS = 16, GM_KB = 32, GM_COLS = 64, GM_NC = 8 };

/* The eight int32 lanes of p[0..7] summed per register: lane j of the result is block j's sum. */
static inline __m256i reduce8(const __m256i p[8])
{
    __m256i t[4];
    for (int k = 0; k < 4; k++)
        t[k] = _mm256_add_epi32(_mm256_unpacklo_epi32(p[2 * k], p[2 * k + 1]),
                                _mm256_unpackhi_epi32(p[2 * k], p[2 * k + 1]));
    const __m256i u0 = _mm256_add_epi32(_mm256_unpacklo_epi64(t[0], t[1]),
                                        _mm256_unpackhi_epi64(t[0], t[1]));
    const __m256i u1 = _mm256_add_epi32(_mm256_unpacklo_epi64(t[2], t[3]),
                                        _mm256_unpackhi_epi64(t[2], t[3]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20),
                            _mm256_permute2x128_si256(u0, u1, 0x31));
}

/* Eight lanes of partial sums of the signed products of q and y. */
static inline __m256i dot_s8(__m256i q, __m256i y)
{
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(q, q),
                               _mm256_sign_epi8(y, q));
}

static inline __m256i q4_0_isum(const struct llm_block_q4_0 *x, const struct llm_block_q8_0 *y)
{
    const __m128i t = _mm_loadu_si128((const __m128i *)x->qs);
    const __m256i q = _mm256_sub_epi8(
        _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0F)),
        _mm256_set1_epi8(8));
    return dot_s8(q, _mm256_loadu_si256((const __m256i *)y->qs));
}

static inline __m256i q8_0_isum(const struct llm_block_q8_0 *x, const struct llm_block_q8_0 *y)
{
    return dot_s8(_mm256_loadu_si256((const __m256i *)x->qs),
                  _mm256_loadu_si256((const __m256i *)y->qs));
}

/* Q5_0: the nibbles as Q4_0 (elements 0..15 low, 16..31 high), minus 16 where bit j of qh
 * is clear (a masked subtraction). */
static inline __m256i q5_0_isum(const struct llm_block_q5_0 *x, const struct llm_block_q8_0 *y)
{
    const __m128i t = _mm_loadu_si128((const __m128i *)x->qs);
    uint32_t qh;
    memcpy(&qh, x->qh, 4);
    const __m256i nib = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t),
                                         _mm256_set1_epi8(0x0F));
    const __m256i q = _mm256_mask_sub_epi8(nib, (__mmask32)~qh, nib, _mm256_set1_epi8(16));
    return dot_s8(q, _mm256_loadu_si256((const __m256i *)y->qs));
}

/* c = ((c0 + c4) + (c2 + c6)) + ((c1 + c5) + (c3 + c7)) */
static inline float chains_sum(__m256 v)
{
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

/* dx_b * dy_b for m (<= 8) blocks of x and y (Q8_0), as 8 fp16 words converted at once (a
 * vector built in registers: eight scalar stores read back as one vector would stall store
 * forwarding); lanes >= m are 0. */
#define DXDY8(x, y, m)                                                                         \
    _mm256_mul_ps(_mm256_cvtph_ps(_mm_setr_epi16(                                              \
                      (short)(m > 0 ? x[0].d : 0), (short)(m > 1 ? x[1].d : 0),                \
                      (short)(m > 2 ? x[2].d : 0), (short)(m > 3 ? x[3].d : 0),                \
                      (short)(m > 4 ? x[4].d : 0), (short)(m > 5 ? x[5].d : 0),                \
                      (short)(m > 6 ? x[6].d : 0), (short)(m > 7 ? x[7].d : 0))),              \
                  _mm256_cvtph_ps(_mm_setr_epi16(                                              \
                      (short)(m > 0 ? y[0].d : 0), (short)(m > 1 ? y[1].d : 0),                \
                      (short)(m > 2 ? y[2].d : 0), (short)(m > 3 ? y[3].d : 0),                \
                      (short)(m > 4 ? y[4].d : 0), (short)(m > 5 ? y[5].d : 0),                \
                      (short)(m > 6 ? y[6].d : 0), (short)(m > 7 ? y[7].d : 0))))

#define DEFINE_LEGACY_DOT(name, wblock, isum)                                                  \
    float llm_avx512_vec_dot_##name(int64_t n, const void *w, const void *a)                   \
    {                                                                                          \
        const struct wblock *x = w;                                                            \
        const struct llm_block_q8_0 *y = a;                                                    \
        const int64_t nb = n / 32;                                                             \
        __m256 acc = _mm256_setzero_ps();                                                      \
        int64_t b = 0;                                                                         \
        for (; b + 8 <= nb; b += 8) {                                                          \
            __m256i p[8];                                                                      \
            for (int j = 0; j < 8; j++)                                                        \
                p[j] = isum(&x[b + j], &y[b + j]);                                             \
            const __m256 d = DXDY8((&x[b]), (&y[b]), 8);                                   \
            acc = _mm256_add_ps(acc, _mm256_mul_ps(d, _mm256_cvtepi32_ps(reduce8(p))));        \
        }                                                                                      \
        if (b < nb) {                                                                          \
            const int m = (int)(nb - b);                                                       \
            __m256i p[8];                                                                      \
            for (int j = 0; j < 8; j++)                                                        \
                p[j] = j < m ? isum(&x[b + j], &y[b + j]) : _mm256_setzero_si256();            \
            const __m256 d = DXDY8((&x[b]), (&y[b]), m);                                   \
            acc = _mm256_add_ps(acc, _mm256_mul_ps(d, _mm256_cvtepi32_ps(reduce8(p))));        \
        }                                                                                      \
        return chains_sum(acc);                                                                \
    }

DEFINE_LEGACY_DOT(q4_0_q8_0_v2, llm_block_q4_0, q4_0_isum)
DEFINE_LEGACY_DOT(q8_0_q8_0_v2, llm_block_q8_0, q8_0_isum)
DEFINE_LEGACY_DOT(q5_0_q8_0_v2, llm_block_q5_0, q5_0_isum)

/* A panel of 16 weight rows x GM_KB blocks, repacked for vpdpbusd: for block b and group g of
 * four elements, q[b][g] holds the four signed quants of each of the 16 rows (row i in bytes
 * 4i..4i+3). Activations enter as unsigned bytes (y + 128), so each row's block sum is
 * dpbusd(y + 128, w) - 128 * sum(w): corr[b] holds -128 * sum(w) per row and starts the sum. */
struct gm_panel {
    __m512i q[GM_KB][8]; /* repacked quants */
    __m512i corr[GM_KB]; /* -128 * row sums */
    __m512 dx[GM_KB];    /* row scales */
};

static inline __m512i gm_row_index(size_t row_bytes)
{
    return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                              _mm512_set1_epi32((int)row_bytes));
}

static inline __m512 gm_scales(const char *p, __m512i idx)
{
    const __m512i v = _mm512_i32gather_epi32(idx, p, 1);
    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(v));
}

static inline void gm_finish_panel(struct gm_panel *pn, int b)
{
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i s = _mm512_setzero_si512();
    for (int g = 0; g < 8; g++)
        s = _mm512_dpbusd_epi32(s, ones, pn->q[b][g]);
    pn->corr[b] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(s, 7));
}

/* Repacks blocks [b0, b0 + nkb) of 16 rows starting at w. */
static void gm_pack_q8_0(struct gm_panel *pn, const char *w, size_t row_bytes, int64_t b0,
                         int nkb)
{
    const __m512i idx = gm_row_index(row_bytes);
    for (int b = 0; b < nkb; b++) {
        const char *blk = w + (size_t)(b0 + b) * sizeof(struct llm_block_q8_0);
        pn->dx[b] = gm_scales(blk, idx);
        for (int g = 0; g < 8; g++)
            pn->q[b][g] = _mm512_i32gather_epi32(idx, blk + 2 + 4 * g, 1);
        gm_finish_panel(pn, b);
    }
}

static void gm_pack_q4_0(struct gm_panel *pn, const char *w, size_t row_bytes, int64_t b0,
                         int nkb)
{
    const __m512i idx = gm_row_index(row_bytes);
    const __m512i m4 = _mm512_set1_epi8(0x0F), off = _mm512_set1_epi8(8);
    for (int b = 0; b < nkb; b++) {
        const char *blk = w + (size_t)(b0 + b) * sizeof(struct llm_block_q4_0);
        pn->dx[b] = gm_scales(blk, idx);
        for (int g = 0; g < 4; g++) {
            const __m512i v = _mm512_i32gather_epi32(idx, blk + 2 + 4 * g, 1);
            pn->q[b][g] = _mm512_sub_epi8(_mm512_and_si512(v, m4), off);
            pn->q[b][g + 4] = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(v, 4), m4), off);
        }
        gm_finish_panel(pn, b);
    }
}

/* Q5_0: qh (4 bytes at offset 2) gives each row's fifth bits. For group g (elements
 * 4g..4g+3) byte g / 2 of each row's qh is copied to the row's four bytes, and byte k tests
 * bit 4 * (g % 2) + k: where it is clear, 16 is subtracted from the nibble. */
static void gm_pack_q5_0(struct gm_panel *pn, const char *w, size_t row_bytes, int64_t b0,
                         int nkb)
{
    const __m512i idx = gm_row_index(row_bytes);
    const __m512i m4 = _mm512_set1_epi8(0x0F), sixteen = _mm512_set1_epi8(16);
    const __m512i bits_lo = _mm512_set1_epi32(0x08040201), bits_hi = _mm512_set1_epi32((int)0x80402010);
    __m512i spread[4]; /* shuffle control: byte i of each 32-bit element to its four bytes */
    for (int i = 0; i < 4; i++)
        spread[i] = _mm512_set4_epi32((12 + i) * 0x01010101, (8 + i) * 0x01010101,
                                      (4 + i) * 0x01010101, i * 0x01010101);
    for (int b = 0; b < nkb; b++) {
        const char *blk = w + (size_t)(b0 + b) * sizeof(struct llm_block_q5_0);
        pn->dx[b] = gm_scales(blk, idx);
        const __m512i qh = _mm512_i32gather_epi32(idx, blk + 2, 1);
        for (int g = 0; g < 4; g++) {
            const __m512i v = _mm512_i32gather_epi32(idx, blk + 6 + 4 * g, 1);
            const __m512i lo = _mm512_and_si512(v, m4);
            const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
            /* group g: bits 4g..4g+3 (byte g / 2); group g + 4: bits 16 + 4g.. (byte 2 + g / 2) */
            const __m512i hl = _mm512_shuffle_epi8(qh, spread[g / 2]);
            const __m512i hh = _mm512_shuffle_epi8(qh, spread[2 + g / 2]);
            const __m512i bits = g % 2 ? bits_hi : bits_lo;
            pn->q[b][g] = _mm512_mask_sub_epi8(lo, _mm512_testn_epi8_mask(hl, bits), lo, sixteen);
            pn->q[b][g + 4] = _mm512_mask_sub_epi8(hi, _mm512_testn_epi8_mask(hh, bits), hi, sixteen);
        }
        gm_finish_panel(pn, b);
    }
}

/* Runs the panel's blocks [0, nkb) (row blocks b0..) against columns c0..c1 of a. */
static void gm_panel_cols(const struct gm_panel *pn, int64_t b0, int nkb, const char *a,
                          size_t a_stride, int nc, __m512 (*acc)[8])
{
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (int c0 = 0; c0 < nc; c0 += GM_NC) {
        const int k = nc - c0 < GM_NC ? nc - c0 : GM_NC;
        const struct llm_block_q8_0 *y[GM_NC];
        for (int c = 0; c < GM_NC; c++)
            y[c] = (const struct llm_block_q8_0 *)(a + (size_t)(c0 + (c < k ? c : 0)) * a_stride) +
                   b0;
        for (int b = 0; b < nkb; b++) {
            /* unrolled so that s[] stays in registers (GCC keeps it in memory otherwise) */
            __m512i s[GM_NC];
#pragma GCC unroll 8
            for (int c = 0; c < GM_NC; c++)
                s[c] = pn->corr[b];
#pragma GCC unroll 8
            for (int g = 0; g < 8; g++) {
                const __m512i q = pn->q[b][g];
#pragma GCC unroll 8
                for (int c = 0; c < GM_NC; c++) {
                    int32_t v;
                    memcpy(&v, y[c][b].qs + 4 * g, 4);
                    s[c] = _mm512_dpbusd_epi32(s[c], _mm512_xor_si512(_mm512_set1_epi32(v), flip),
                                               q);
                }
            }
            const int ch = (int)((b0 + b) & 7);
            for (int c = 0; c < k; c++) {
                const __m512 d = _mm512_mul_ps(pn->dx[b], _mm512_set1_ps(h2f(y[c][b].d)));
                acc[c0 + c][ch] = _mm512_add_ps(acc[c0 + c][ch],
                                                _mm512_mul_ps(d, _mm512_cvtepi32_ps(s[c])));
            }
        }
    }
}

static void gm_run(void (*pack)(struct gm_panel *, const char *, size_t, int64_t, int),
                   llm_vec_dot_fn dot, int64_t n, const void *w, size_t row_bytes, int64_t r0,
                   int64_t r1, const void *a, size_t a_stride, int nc, float *y, size_t ldy)
{
    const int64_t nb = n / 32;
    struct gm_panel pn;
    __m512 acc[GM_COLS][8];
    int64_t r = r0;
    for (; r + GM_ROWS <= r1; r += GM_ROWS) {
        const char *wr = (const char *)w + (size_t)r * row_bytes;
        for (int c0 = 0; c0 < nc; c0 += GM_COLS) {
            const int k = nc - c0 < GM_COLS ? nc - c0 : GM_COLS;
            for (int c = 0; c < k; c++)
                for (int j = 0; j < 8; j++)
                    acc[c][j] = _mm512_setzero_ps();
            for (int64_t b0 = 0; b0 < nb; b0 += GM_KB) {
                const int nkb = nb - b0 < GM_KB ? (int)(nb - b0) : GM_KB;
                pack(&pn, wr, row_bytes, b0, nkb);
                gm_panel_cols(&pn, b0, nkb, (const char *)a + (size_t)c0 * a_stride, a_stride, k,
                              acc);
            }
            for (int c = 0; c < k; c++) {
                const __m512 s0 = _mm512_add_ps(acc[c][0], acc[c][4]);
                const __m512 s1 = _mm512_add_ps(acc[c][1], acc[c][5]);
                const __m512 s2 = _mm512_add_ps(acc[c][2], acc[c][6]);
                const __m512 s3 = _mm512_add_ps(acc[c][3], acc[c][7]);
                const __m512 v = _mm512_add_ps(_mm512_add_ps(s0, s2), _mm512_add_ps(s1, s3));
                _mm512_storeu_ps(y + (size_t)(c0 + c) * ldy + (size_t)r, v);
            }
        }
    }
    for (; r < r1; r++)
        for (int c = 0; c < nc; c++)
            y[(size_t)c * ldy + (size_t)r] =
                dot(n, (const char *)w + (size_t)r * row_bytes, (const char *)a + (size_t)c * a_stride);
}

void llm_avx512_gemm_q4_0_q8_0(int64_t n, const void *w, size_t row_bytes, int64_t r0,
                               int64_t r1, const void *a, size_t a_stride, int nc, float *y,
                               size_t ldy)
{
    gm_run(gm_pack_q4_0, llm_avx512_vec_dot_q4_0_q8_0_v2, n, w, row_bytes, r0, r1, a, a_stride,
           nc, y, ldy);
}

void llm_avx512_gemm_q8_0_q8_0(int64_t n, const void *w, size_t row_bytes, int64_t r0,
                               int64_t r1, const void *a, size_t a_stride, int nc, float *y,
                               size_t ldy)
{
    gm_run(gm_pack_q8_0, llm_avx512_vec_dot_q8_0_q8_0_v2, n, w, row_bytes, r0, r1, a, a_stride,
           nc, y, ldy);
}

void llm_avx512_gemm_q5_0_q8_0(int64_t n, const void *w, size_t row_bytes, int64_t r0,
                               int64_t r1, const void *a, size_t a_stride, int nc, float *y,
                               size_t ldy)
{
    gm_run(gm_pack_q5_0, llm_avx512_vec_dot_q5_0_q8_0_v2, n, w, row_bytes, r0, r1, a, a_stride,
           nc, y, ldy);
}
