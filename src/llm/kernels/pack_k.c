/* pack_k.c: the machine-independent side of packed Q4_K / Q6_K matrices (layout in
 * packed_k.h): the repacking at load and reading one row back. Compiled without -m flags. */
#include "llm/kernels/packed_k.h"

#include <string.h>

#include "llm/quant/q_k.h"
#include "llm/quant/quant.h"

enum {
    PK_ROWS = 16,
    PK_Q4K_UNIT = 36 * 64, /* bytes of a Q4_K super-block unit */
    PK_Q6K_UNIT = 52 * 64, /* bytes of a Q6_K super-block unit (d apart) */
};

bool llm_pack_k_type(enum llm_type t)
{
    return t == LLM_TYPE_Q4_K || t == LLM_TYPE_Q6_K;
}

size_t llm_pack_k_group_bytes(enum llm_type t, int64_t n_in)
{
    const size_t nb = (size_t)(n_in / LLM_QK_K);
    if (t == LLM_TYPE_Q4_K)
        return nb * PK_Q4K_UNIT;
    return (nb * (PK_Q6K_UNIT + 32) + 63) & ~(size_t)63;
}

/* Copies `count` 4-byte pieces of src into words first.. of a unit, row i's lane. */
static void put_words(uint8_t *unit, size_t first, size_t i, const uint8_t *src, size_t count)
{
    for (size_t w = 0; w < count; w++)
        memcpy(unit + 64 * (first + w) + 4 * i, src + 4 * w, 4);
}

static void get_words(const uint8_t *unit, size_t first, size_t i, uint8_t *dst, size_t count)
{
    for (size_t w = 0; w < count; w++)
        memcpy(dst + 4 * w, unit + 64 * (first + w) + 4 * i, 4);
}

void llm_pack_k_rows(enum llm_type t, const void *src, size_t row_bytes, int64_t n_in, int64_t g0,
                     int64_t g1, void *dst)
{
    const size_t nb = (size_t)(n_in / LLM_QK_K);
    const size_t gbytes = llm_pack_k_group_bytes(t, n_in);
    for (int64_t g = g0; g < g1; g++) {
        uint8_t *gp = (uint8_t *)dst + (size_t)g * gbytes;
        for (size_t i = 0; i < PK_ROWS; i++) {
            const uint8_t *row = (const uint8_t *)src + ((size_t)g * PK_ROWS + i) * row_bytes;
            for (size_t b = 0; b < nb; b++) {
                if (t == LLM_TYPE_Q4_K) {
                    const struct llm_block_q4_K *x = (const struct llm_block_q4_K *)row + b;
                    uint8_t *u = gp + b * PK_Q4K_UNIT;
                    put_words(u, 0, i, x->qs, 32);
                    memcpy(u + 64 * 32 + 2 * i, &x->d, 2);
                    memcpy(u + 64 * 32 + 32 + 2 * i, &x->dmin, 2);
                    put_words(u, 33, i, x->scales, 3);
                } else {
                    const struct llm_block_q6_K *x = (const struct llm_block_q6_K *)row + b;
                    uint8_t *u = gp + b * PK_Q6K_UNIT;
                    for (size_t h = 0; h < 2; h++) {
                        for (size_t k = 0; k < 8; k++) {
                            put_words(u, 26 * h + 3 * k, i, x->ql + 64 * h + 4 * k, 1);
                            put_words(u, 26 * h + 3 * k + 1, i, x->ql + 64 * h + 32 + 4 * k, 1);
                            put_words(u, 26 * h + 3 * k + 2, i, x->qh + 32 * h + 4 * k, 1);
                        }
                        put_words(u, 26 * h + 24, i, (const uint8_t *)x->scales + 8 * h, 2);
                    }
                    memcpy(gp + nb * PK_Q6K_UNIT + 32 * b + 2 * i, &x->d, 2);
                }
            }
        }
    }
}

void llm_pack_k_row_to_float(enum llm_type t, const void *w, int64_t n_in, int64_t row, float *dst)
{
    const size_t nb = (size_t)(n_in / LLM_QK_K);
    const size_t i = (size_t)(row % PK_ROWS);
    const uint8_t *gp = (const uint8_t *)w + (size_t)(row / PK_ROWS) * llm_pack_k_group_bytes(t, n_in);
    const struct llm_type_traits *tr = llm_type_traits(t);
    for (size_t b = 0; b < nb; b++) {
        if (t == LLM_TYPE_Q4_K) {
            struct llm_block_q4_K x;
            const uint8_t *u = gp + b * PK_Q4K_UNIT;
            get_words(u, 0, i, x.qs, 32);
            memcpy(&x.d, u + 64 * 32 + 2 * i, 2);
            memcpy(&x.dmin, u + 64 * 32 + 32 + 2 * i, 2);
            get_words(u, 33, i, x.scales, 3);
            tr->to_float(&x, dst + b * LLM_QK_K, LLM_QK_K);
        } else {
            struct llm_block_q6_K x;
            const uint8_t *u = gp + b * PK_Q6K_UNIT;
            for (size_t h = 0; h < 2; h++) {
                for (size_t k = 0; k < 8; k++) {
                    get_words(u, 26 * h + 3 * k, i, x.ql + 64 * h + 4 * k, 1);
                    get_words(u, 26 * h + 3 * k + 1, i, x.ql + 64 * h + 32 + 4 * k, 1);
                    get_words(u, 26 * h + 3 * k + 2, i, x.qh + 32 * h + 4 * k, 1);
                }
                get_words(u, 26 * h + 24, i, (uint8_t *)x.scales + 8 * h, 2);
            }
            memcpy(&x.d, gp + nb * PK_Q6K_UNIT + 32 * b + 2 * i, 2);
            tr->to_float(&x, dst + b * LLM_QK_K, LLM_QK_K);
        }
    }
}
