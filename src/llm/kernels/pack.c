/* pack.c: the machine-independent side of packed Q4_0/Q8_0 matrices (see
 * packed.h): when to pack, the repacking itself, reading one row back, the
 * activation block sums, and the call into the AVX-512 kernels of avx512_q40.c.
 * Compiled without -m flags: nothing here runs an AVX-512 instruction unless
 * llm_pack_supported() said the CPU has them. */
#include "llm/kernels/packed.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "llm/kernels/kernels.h"
#include "llm/kernels/packed_k.h"
#include "llm/quant/q_legacy.h"
#include "llm/quant/quant.h"

/* Quant bytes per block and row. */
static size_t quant_bytes(enum llm_type t)
{
    return t == LLM_TYPE_Q4_0 ? 16 : 32;
}

static size_t act_sums_offset(int64_t n)
{
    size_t q = (size_t)(n / 32) * sizeof(struct llm_block_q8_0);
    return (q + 63) & ~(size_t)63;
}

bool llm_pack_supported(enum llm_type t, int64_t n_in, int64_t n_out)
{
#if defined(__x86_64__) && defined(LLM_HAVE_X86_KERNELS)
    if (t != LLM_TYPE_Q4_0 && t != LLM_TYPE_Q8_0 && !llm_pack_k_type(t))
        return false;
    if (n_in <= 0 || n_in % (llm_pack_k_type(t) ? 256 : 32) != 0 || n_out <= 0 ||
        n_out % LLM_PACK_ROWS != 0)
        return false;
    const char *env = getenv("RELAIS_LLM_REPACK");
    if (env &&
        (strcmp(env, "0") == 0 || (strcmp(env, "all") != 0 && strcmp(env, llm_type_name(t)) != 0)))
        return false;
    /* the AVX-512 set is active exactly when dispatch chose its tile kernels */
    const struct llm_type_traits *tr = llm_type_traits(t);
    if (llm_pack_k_type(t)) /* packed_k.h */
        return tr->gemm ==
               (t == LLM_TYPE_Q4_K ? llm_avx512_gemm_q4_K_q8_K : llm_avx512_gemm_q6_K_q8_K);
    return tr->gemm == (t == LLM_TYPE_Q4_0 ? llm_avx512_gemm_q4_0_q8_0 : llm_avx512_gemm_q8_0_q8_0);
#else
    (void)t;
    (void)n_in;
    (void)n_out;
    return false;
#endif
}

size_t llm_pack_group_bytes(enum llm_type t, int64_t n_in)
{
    if (llm_pack_k_type(t))
        return llm_pack_k_group_bytes(t, n_in);
    return (size_t)(n_in / 32) * LLM_PACK_ROWS * llm_type_type_size(t);
}

void llm_pack_rows(enum llm_type t, const void *src, size_t row_bytes, int64_t n_in, int64_t g0,
                   int64_t g1, void *dst)
{
    if (llm_pack_k_type(t)) {
        llm_pack_k_rows(t, src, row_bytes, n_in, g0, g1, dst);
        return;
    }
    const size_t nb = (size_t)(n_in / 32);
    const size_t qb = quant_bytes(t);
    const size_t ts = llm_type_type_size(t);
    const uint8_t flip = t == LLM_TYPE_Q8_0 ? 0x80 : 0x00;
    const size_t gbytes = llm_pack_group_bytes(t, n_in);
    for (int64_t g = g0; g < g1; g++) {
        uint8_t *gq = (uint8_t *)dst + (size_t)g * gbytes;
        uint8_t *gs = gq + nb * LLM_PACK_ROWS * qb;
        for (size_t i = 0; i < LLM_PACK_ROWS; i++) {
            const uint8_t *row = (const uint8_t *)src + ((size_t)g * LLM_PACK_ROWS + i) * row_bytes;
            for (size_t b = 0; b < nb; b++) {
                const uint8_t *blk = row + b * ts;
                memcpy(gs + b * 32 + 2 * i, blk, 2);
                uint8_t *u = gq + b * LLM_PACK_ROWS * qb + 4 * i;
                for (size_t j = 0; j < qb / 4; j++)
                    for (size_t k = 0; k < 4; k++)
                        u[64 * j + k] = blk[2 + 4 * j + k] ^ flip;
            }
        }
    }
}

void llm_pack_row_to_float(enum llm_type t, const void *w, int64_t n_in, int64_t row, float *dst)
{
    if (llm_pack_k_type(t)) {
        llm_pack_k_row_to_float(t, w, n_in, row, dst);
        return;
    }
    const size_t nb = (size_t)(n_in / 32);
    const size_t qb = quant_bytes(t);
    const size_t i = (size_t)(row % LLM_PACK_ROWS);
    const uint8_t *gq =
        (const uint8_t *)w + (size_t)(row / LLM_PACK_ROWS) * llm_pack_group_bytes(t, n_in);
    const uint8_t *gs = gq + nb * LLM_PACK_ROWS * qb;
    for (size_t b = 0; b < nb; b++) {
        uint16_t h;
        memcpy(&h, gs + b * 32 + 2 * i, 2);
        const float d = llm_fp16_to_f32(h);
        const uint8_t *u = gq + b * LLM_PACK_ROWS * qb + 4 * i;
        float *y = dst + b * 32;
        for (size_t e = 0; e < qb; e++) {
            const uint8_t v = u[64 * (e / 4) + e % 4];
            if (t == LLM_TYPE_Q4_0) {
                y[e] = (float)((v & 0x0F) - 8) * d;
                y[e + 16] = (float)((v >> 4) - 8) * d;
            } else {
                y[e] = (float)(int8_t)(v ^ 0x80) * d;
            }
        }
    }
}

size_t llm_pack_act_row_size(int64_t n)
{
    return act_sums_offset(n) + (size_t)(n / 32) * (sizeof(int32_t) + sizeof(float));
}

void llm_pack_act_sums(enum llm_type t, void *row, int64_t n)
{
    if (llm_pack_k_type(t))
        return; /* K-quant kernels take the plain Q8_K row */
    const struct llm_block_q8_0 *y = row;
    const int64_t nb = n / 32;
    int32_t *corr = (int32_t *)((char *)row + act_sums_offset(n));
    float *dy = (float *)(corr + nb);
    const int32_t off = t == LLM_TYPE_Q4_0 ? 8 : 128;
    for (int64_t b = 0; b < nb; b++) {
        int32_t s = 0;
        for (int k = 0; k < 32; k++)
            s += y[b].qs[k];
        corr[b] = -off * s;
        dy[b] = llm_fp16_to_f32(y[b].d);
    }
}

void llm_pack_matmul(enum llm_type t, int64_t n, const void *w, int64_t r0, int64_t r1,
                     const void *a, size_t a_stride, int nc, float *y, size_t ldy)
{
#if defined(__x86_64__) && defined(LLM_HAVE_X86_KERNELS)
    if (llm_pack_k_type(t))
        (t == LLM_TYPE_Q4_K ? llm_avx512_pack_matmul_q4_K : llm_avx512_pack_matmul_q6_K)(
            n, w, r0 / LLM_PACK_ROWS, r1 / LLM_PACK_ROWS, a, a_stride, nc, y, ldy);
    else if (t == LLM_TYPE_Q4_0)
        llm_avx512_pack_matmul_q4_0(n, w, r0 / LLM_PACK_ROWS, r1 / LLM_PACK_ROWS, a, a_stride, nc,
                                    y, ldy);
    else
        llm_avx512_pack_matmul_q8_0(n, w, r0 / LLM_PACK_ROWS, r1 / LLM_PACK_ROWS, a, a_stride, nc,
                                    y, ldy);
#else
    (void)t, (void)n, (void)w, (void)r0, (void)r1, (void)a, (void)a_stride, (void)nc, (void)y,
        (void)ldy;
    ASSERT(false);
#endif
}
