/* q_legacy.h: the 32-element block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1), laid out
 * byte for byte as ggml stores them in GGUF files (ggml-common.h). Scales are IEEE half
 * floats stored as uint16_t; every field is little-endian on disk, and we only build on
 * little-endian hosts (checked below), so blocks are read in place from the mapping.
 *
 * Element j of a block, by format (d, m scales; q the quant):
 *   Q4_0  x = d * (q - 8)        q = low nibble of qs[j] for j < 16, high nibble of qs[j-16]
 *   Q4_1  x = d * q + m          same nibble order
 *   Q5_0  x = d * (q - 16)       q = nibble | bit j of qh << 4
 *   Q5_1  x = d * q + m          same
 *   Q8_0  x = d * qs[j]
 *   Q8_1  x = d * qs[j]; s = d * sum(qs) (an activation format: helps Q4_1/Q5_1 dots) */
#ifndef RELAIS_LLM_QUANT_Q_LEGACY_H
#define RELAIS_LLM_QUANT_Q_LEGACY_H

#include <assert.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "src/llm reads quantized blocks in place and needs a little-endian host"
#endif

#define LLM_QK4_0 32
#define LLM_QK4_1 32
#define LLM_QK5_0 32
#define LLM_QK5_1 32
#define LLM_QK8_0 32
#define LLM_QK8_1 32

struct llm_block_q4_0 {
    uint16_t d;      /* fp16 scale */
    uint8_t qs[16];  /* 32 nibbles: elements 0..15 low, 16..31 high */
};
static_assert(sizeof(struct llm_block_q4_0) == 18, "q4_0 block size");

struct llm_block_q4_1 {
    uint16_t d;      /* fp16 scale */
    uint16_t m;      /* fp16 minimum */
    uint8_t qs[16];  /* 32 nibbles */
};
static_assert(sizeof(struct llm_block_q4_1) == 20, "q4_1 block size");

struct llm_block_q5_0 {
    uint16_t d;      /* fp16 scale */
    uint8_t qh[4];   /* fifth bit of each element, bit j = element j (little-endian u32) */
    uint8_t qs[16];  /* low four bits, as q4_0 */
};
static_assert(sizeof(struct llm_block_q5_0) == 22, "q5_0 block size");

struct llm_block_q5_1 {
    uint16_t d;      /* fp16 scale */
    uint16_t m;      /* fp16 minimum */
    uint8_t qh[4];   /* fifth bits */
    uint8_t qs[16];  /* low four bits */
};
static_assert(sizeof(struct llm_block_q5_1) == 24, "q5_1 block size");

struct llm_block_q8_0 {
    uint16_t d;      /* fp16 scale */
    int8_t qs[32];   /* quants */
};
static_assert(sizeof(struct llm_block_q8_0) == 34, "q8_0 block size");

struct llm_block_q8_1 {
    uint16_t d;      /* fp16 scale */
    uint16_t s;      /* fp16 d * sum(qs) */
    int8_t qs[32];   /* quants */
};
static_assert(sizeof(struct llm_block_q8_1) == 36, "q8_1 block size");

#endif
