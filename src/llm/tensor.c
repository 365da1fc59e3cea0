/* tensor.c: the table of tensor element types (names, block geometry) and the
 * float32 -> float16 conversion. Block layouts and kernels are in quant/. */
#include "llm/tensor.h"

#include <ctype.h>

#include "base/err.h"

struct type_info {
    const char *name;   /* ggml name; NULL for ids we do not know */
    int64_t block_size; /* elements per block */
    size_t type_size;   /* bytes per block */
};

static const struct type_info type_table[LLM_TYPE_COUNT] = {
    [LLM_TYPE_F32] = {"f32", 1, 4},
    [LLM_TYPE_F16] = {"f16", 1, 2},
    [LLM_TYPE_Q4_0] = {"q4_0", 32, 18},
    [LLM_TYPE_Q4_1] = {"q4_1", 32, 20},
    [LLM_TYPE_Q5_0] = {"q5_0", 32, 22},
    [LLM_TYPE_Q5_1] = {"q5_1", 32, 24},
    [LLM_TYPE_Q8_0] = {"q8_0", 32, 34},
    [LLM_TYPE_Q8_1] = {"q8_1", 32, 36},
    [LLM_TYPE_Q2_K] = {"q2_K", 256, 84},
    [LLM_TYPE_Q3_K] = {"q3_K", 256, 110},
    [LLM_TYPE_Q4_K] = {"q4_K", 256, 144},
    [LLM_TYPE_Q5_K] = {"q5_K", 256, 176},
    [LLM_TYPE_Q6_K] = {"q6_K", 256, 210},
    [LLM_TYPE_Q8_K] = {"q8_K", 256, 292},
    [LLM_TYPE_BF16] = {"bf16", 1, 2},
};

bool llm_type_known(uint32_t id)
{
    return id < LLM_TYPE_COUNT && type_table[id].name != NULL;
}

const char *llm_type_name(enum llm_type t)
{
    return llm_type_known((uint32_t)t) ? type_table[t].name : "?";
}

int llm_type_from_name(const char *name, enum llm_type *out)
{
    for (uint32_t i = 0; i < LLM_TYPE_COUNT; i++) {
        const char *n = type_table[i].name;
        if (!n)
            continue;
        size_t k = 0;
        while (n[k] && name[k] &&
               tolower((unsigned char)n[k]) == tolower((unsigned char)name[k]))
            k++;
        if (n[k] == '\0' && name[k] == '\0') {
            *out = (enum llm_type)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

int64_t llm_type_block_size(enum llm_type t)
{
    return llm_type_known((uint32_t)t) ? type_table[t].block_size : 0;
}

size_t llm_type_type_size(enum llm_type t)
{
    return llm_type_known((uint32_t)t) ? type_table[t].type_size : 0;
}

bool llm_type_is_quantized(enum llm_type t)
{
    return llm_type_known((uint32_t)t) && t != LLM_TYPE_F32 && t != LLM_TYPE_F16 &&
           t != LLM_TYPE_BF16;
}

int llm_type_row_size(enum llm_type t, int64_t n, size_t *out)
{
    if (!llm_type_known((uint32_t)t) || n < 0)
        return ERR_INVALID;
    int64_t bs = type_table[t].block_size;
    if (n % bs != 0)
        return ERR_INVALID;
    uint64_t blocks = (uint64_t)(n / bs);
    if (blocks > SIZE_MAX / type_table[t].type_size)
        return ERR_TOO_LARGE;
    *out = (size_t)blocks * type_table[t].type_size;
    return 0;
}

uint16_t llm_f32_to_fp16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) /* NaN: keep the top payload bits, force quiet */
        return (uint16_t)(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
    if (ax >= 0x477ff000u) /* rounds to >= 65520: inf */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) {
        /* result is subnormal or zero: value = ax as float; scale by 2^24 and round */
        if (ax < 0x33000000u) /* < 2^-25: rounds to zero */
            return sign;
        uint32_t e = ax >> 23;
        uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - e; /* 14 + (113 - e) - 1 */
        uint32_t q = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1u);
        uint32_t half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (q & 1u)))
            q++;
        return (uint16_t)(sign | q);
    }
    /* normal: rebias exponent, round mantissa 23 -> 10 bits, nearest even */
    uint32_t r = ax - 0x38000000u; /* exponent -= 112 */
    uint32_t q = r >> 13;
    uint32_t rem = r & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1u)))
        q++;
    return (uint16_t)(sign | q);
}
