/* tensor.h: the tensor element types of GGUF/ggml, their block geometry, and the exact
 * scalar conversions between float32 and the two 16-bit float formats.
 *
 * Type ids are ggml's numeric ids (enum ggml_type), because they are what a GGUF file
 * stores in each tensor-info record. A "block" is the unit a quantized row is cut into:
 * block_size elements stored in type_size bytes (1 element / 4 bytes for F32). A row of
 * n elements (n a multiple of block_size) takes n / block_size * type_size bytes.
 *
 * The block layouts themselves live in quant/ (one header per family); this header only
 * knows their sizes. Everything here is pure, thread-safe and allocation-free. */
#ifndef RELAIS_LLM_TENSOR_H
#define RELAIS_LLM_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum llm_type {
    LLM_TYPE_F32 = 0,   /* 1 elem, 4 bytes */
    LLM_TYPE_F16 = 1,   /* IEEE half, 1 elem, 2 bytes */
    LLM_TYPE_Q4_0 = 2,  /* 32 elems, 18 bytes: fp16 d, 16 bytes of nibbles */
    LLM_TYPE_Q4_1 = 3,  /* 32 elems, 20 bytes: fp16 d, fp16 m, nibbles */
    LLM_TYPE_Q5_0 = 6,  /* 32 elems, 22 bytes */
    LLM_TYPE_Q5_1 = 7,  /* 32 elems, 24 bytes */
    LLM_TYPE_Q8_0 = 8,  /* 32 elems, 34 bytes: fp16 d, 32 x int8 */
    LLM_TYPE_Q8_1 = 9,  /* 32 elems, 36 bytes: fp16 d, fp16 s = d*sum(q), 32 x int8 */
    LLM_TYPE_Q2_K = 10, /* 256 elems, 84 bytes */
    LLM_TYPE_Q3_K = 11, /* 256 elems, 110 bytes */
    LLM_TYPE_Q4_K = 12, /* 256 elems, 144 bytes */
    LLM_TYPE_Q5_K = 13, /* 256 elems, 176 bytes */
    LLM_TYPE_Q6_K = 14, /* 256 elems, 210 bytes */
    LLM_TYPE_Q8_K = 15, /* 256 elems, 292 bytes: f32 d, 256 x int8, 16 x int16 bsums */
    LLM_TYPE_BF16 = 30, /* bfloat16, 1 elem, 2 bytes */
    LLM_TYPE_COUNT = 40 /* one past the largest id any table here is indexed by */
};

/* True when `id` (as read from a file) is one of the types above. */
bool llm_type_known(uint32_t id);

/* ggml's name for a type ("f32", "q4_K", "bf16"; upper case "Q4_K" is accepted by
 * llm_type_from_name too). Returns "?" for an unknown id. Static string. */
const char *llm_type_name(enum llm_type t);

/* Parses a type name, case-insensitively ("Q8_0", "q4_k", "F16", "BF16"). Returns 0 and
 * stores the type, or ERR_INVALID for an unknown name. */
int llm_type_from_name(const char *name, enum llm_type *out);

/* Elements per block (1 for F32/F16/BF16, 32 for Q*_0/Q*_1, 256 for K-quants); 0 for an
 * unknown type. */
int64_t llm_type_block_size(enum llm_type t);

/* Bytes per block; 0 for an unknown type. */
size_t llm_type_type_size(enum llm_type t);

/* True for the block-quantized types (everything but F32, F16, BF16). */
bool llm_type_is_quantized(enum llm_type t);

/* Bytes of a row of n elements. Returns 0 and stores the size, ERR_INVALID when the type
 * is unknown or n is negative or not a multiple of the block size, ERR_TOO_LARGE when
 * the size does not fit in size_t. */
int llm_type_row_size(enum llm_type t, int64_t n, size_t *out);

/* ---- 16-bit floats --------------------------------------------------------------- */

/* IEEE binary16 -> binary32, exact for every input (subnormals, inf, NaN payloads). */
static inline float llm_fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13); /* inf / NaN, payload kept */
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign; /* +-0 */
    } else {
        /* subnormal: normalise */
        uint32_t e = 113;
        while (!(man & 0x400u)) {
            man <<= 1;
            e--;
        }
        bits = sign | (e << 23) | ((man & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* binary32 -> binary16 with round-to-nearest-even (what F16C's vcvtps2ph with
 * rounding mode 0 and ggml's scalar fallback both do); overflow gives inf, NaN stays a
 * (quiet) NaN. Defined in tensor.c. */
uint16_t llm_f32_to_fp16(float f);

/* bfloat16 -> float32: exact (the top half of the float's bits). */
static inline float llm_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* float32 -> bfloat16 as ggml does it: round to nearest even; a NaN keeps its sign and
 * top payload bits and is forced quiet (bit 6 of the result set). */
static inline uint16_t llm_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 64u);
    return (uint16_t)((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

#endif
