/* q_k.h: the 256-element "K-quant" super-block formats (Q2_K .. Q6_K, Q8_K), byte for
 * byte as ggml stores them (ggml-common.h, QK_K = 256). A super-block holds 8 or 16
 * sub-blocks, each with its own small integer scale (and minimum), which are themselves
 * scaled by the fp16 super-block scale d (and dmin).
 *
 *   Q2_K  16 x 16: x = d * (sc & 15) * q - dmin * (sc >> 4), q 2 bits
 *   Q3_K  16 x 16: x = d * (s6 - 32) * (q - 4*(hmask bit clear)), q 2+1 bits
 *   Q4_K  8 x 32:  x = d * sc6 * q - dmin * m6, q 4 bits (6-bit sc/m packed in 12 bytes)
 *   Q5_K  8 x 32:  as Q4_K with a fifth bit in qh
 *   Q6_K  16 x 16: x = d * sc8 * (q - 32), q 4 bits in ql + 2 bits in qh
 *   Q8_K  activations: x = d * qs, with bsums = sum of each 16 quants (f32 d) */
#ifndef RELAIS_LLM_QUANT_Q_K_H
#define RELAIS_LLM_QUANT_Q_K_H

#include <assert.h>
#include <stdint.h>

#define LLM_QK_K 256
#define LLM_K_SCALE_SIZE 12

struct llm_block_q2_K {
    uint8_t scales[16]; /* low nibble scale, high nibble min, per 16 elements */
    uint8_t qs[64];     /* 2-bit quants */
    uint16_t d;         /* fp16 super-block scale for scales */
    uint16_t dmin;      /* fp16 super-block scale for mins */
};
static_assert(sizeof(struct llm_block_q2_K) == 84, "q2_K block size");

struct llm_block_q3_K {
    uint8_t hmask[32];  /* high bit of each quant */
    uint8_t qs[64];     /* low 2 bits */
    uint8_t scales[12]; /* 16 x 6-bit scales, packed */
    uint16_t d;         /* fp16 super-block scale */
};
static_assert(sizeof(struct llm_block_q3_K) == 110, "q3_K block size");

struct llm_block_q4_K {
    uint16_t d;         /* fp16 super-block scale for scales */
    uint16_t dmin;      /* fp16 super-block scale for mins */
    uint8_t scales[12]; /* 8 x (6-bit scale, 6-bit min), packed */
    uint8_t qs[128];    /* 4-bit quants: 4 groups of 64, low nibbles then high */
};
static_assert(sizeof(struct llm_block_q4_K) == 144, "q4_K block size");

struct llm_block_q5_K {
    uint16_t d;         /* fp16 super-block scale for scales */
    uint16_t dmin;      /* fp16 super-block scale for mins */
    uint8_t scales[12]; /* as q4_K */
    uint8_t qh[32];     /* fifth bits */
    uint8_t qs[128];    /* low 4 bits */
};
static_assert(sizeof(struct llm_block_q5_K) == 176, "q5_K block size");

struct llm_block_q6_K {
    uint8_t ql[128];    /* low 4 bits */
    uint8_t qh[64];     /* high 2 bits */
    int8_t scales[16];  /* 8-bit sub-block scales */
    uint16_t d;         /* fp16 super-block scale */
};
static_assert(sizeof(struct llm_block_q6_K) == 210, "q6_K block size");

struct llm_block_q8_K {
    float d;            /* scale */
    int8_t qs[256];     /* quants */
    int16_t bsums[16];  /* sum of each 16 consecutive quants */
};
static_assert(sizeof(struct llm_block_q8_K) == 292, "q8_K block size");

/* Unpacks the 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block. */
static inline void llm_k_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

/* The signed 6-bit values (-32..31) of elements l, l + 32, l + 64 and l + 96 (l in 0..31) of
 * a 128-element half of a Q6_K block, whose low bits are ql (64 bytes) and high bits qh (32). */
static inline void llm_q6_K_unpack(const uint8_t *ql, const uint8_t *qh, int l, int q[4])
{
    q[0] = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
    q[1] = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
    q[2] = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
    q[3] = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
}

#endif
