/* legacy.c: reference (scalar) kernels for the 32-element block formats Q4_0, Q4_1,
 * Q5_0, Q5_1, Q8_0 and Q8_1: dequantization, the weight quantizers llama-quantize uses
 * (ggml's quantize_row_*_ref, same arithmetic so files come out identical), the
 * activation quantizers of ggml's x86 CPU backend, and the dot products. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "llm/quant/q_legacy.h"
#include "llm/quant/quant.h"

#define QK 32

static inline float h2f(uint16_t h) { return llm_fp16_to_f32(h); }

static inline uint32_t read_qh(const uint8_t qh[4])
{
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 |
           (uint32_t)qh[3] << 24;
}

static inline void write_qh(uint8_t qh[4], uint32_t v)
{
    for (int i = 0; i < 4; i++)
        qh[i] = (uint8_t)(v >> (8 * i));
}

/* The unsigned 5-bit values of a Q5 block's elements j and j + QK/2: the nibbles of qs[j]
 * with bits j and j + QK/2 of qh on top. */
static inline void q5_unpack(const uint8_t *qs, uint32_t qh, int j, int *x0, int *x1)
{
    const int h0 = (int)((qh >> j) << 4) & 0x10;
    const int h1 = (int)(qh >> (j + 12)) & 0x10;
    *x0 = (qs[j] & 0x0F) | h0;
    *x1 = (qs[j] >> 4) | h1;
}

/* Stores the 5-bit values q0 and q1 of elements j and j + QK/2: low nibbles in qs[j], the
 * fifth bits into *qh. */
static inline void q5_pack(uint8_t q0, uint8_t q1, int j, uint8_t *qs, uint32_t *qh)
{
    qs[j] = (uint8_t)((q0 & 0x0F) | (q1 & 0x0F) << 4);
    *qh |= (uint32_t)((q0 & 0x10u) >> 4) << j;
    *qh |= (uint32_t)((q1 & 0x10u) >> 4) << (j + QK / 2);
}

/* The element of x[0..QK) with the largest magnitude (the first of equals), sign kept. */
static inline float block_absmax_signed(const float *x)
{
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < QK; j++) {
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    return max;
}

static inline void block_min_max(const float *x, float *min, float *max)
{
    *min = FLT_MAX;
    *max = -FLT_MAX;
    for (int j = 0; j < QK; j++) {
        if (x[j] < *min)
            *min = x[j];
        if (x[j] > *max)
            *max = x[j];
    }
}

/* ---- dequantize ---------------------------------------------------------------------- */

void llm_dequantize_row_q4_0(const void *src, float *y, int64_t n)
{
    const struct llm_block_q4_0 *x = src;
    for (int64_t i = 0; i < n / QK; i++) {
        const float d = h2f(x[i].d);
        for (int j = 0; j < QK / 2; j++) {
            const int x0 = (x[i].qs[j] & 0x0F) - 8;
            const int x1 = (x[i].qs[j] >> 4) - 8;
            y[i * QK + j] = (float)x0 * d;
            y[i * QK + j + QK / 2] = (float)x1 * d;
        }
    }
}

void llm_dequantize_row_q4_1(const void *src, float *y, int64_t n)
{
    const struct llm_block_q4_1 *x = src;
    for (int64_t i = 0; i < n / QK; i++) {
        const float d = h2f(x[i].d);
        const float m = h2f(x[i].m);
        for (int j = 0; j < QK / 2; j++) {
            const int x0 = x[i].qs[j] & 0x0F;
            const int x1 = x[i].qs[j] >> 4;
            y[i * QK + j] = (float)x0 * d + m;
            y[i * QK + j + QK / 2] = (float)x1 * d + m;
        }
    }
}

void llm_dequantize_row_q5_0(const void *src, float *y, int64_t n)
{
    const struct llm_block_q5_0 *x = src;
    for (int64_t i = 0; i < n / QK; i++) {
        const float d = h2f(x[i].d);
        const uint32_t qh = read_qh(x[i].qh);
        for (int j = 0; j < QK / 2; j++) {
            int x0, x1;
            q5_unpack(x[i].qs, qh, j, &x0, &x1);
            y[i * QK + j] = (float)(x0 - 16) * d;
            y[i * QK + j + QK / 2] = (float)(x1 - 16) * d;
        }
    }
}

void llm_dequantize_row_q5_1(const void *src, float *y, int64_t n)
{
    const struct llm_block_q5_1 *x = src;
    for (int64_t i = 0; i < n / QK; i++) {
        const float d = h2f(x[i].d);
        const float m = h2f(x[i].m);
        const uint32_t qh = read_qh(x[i].qh);
        for (int j = 0; j < QK / 2; j++) {
            int x0, x1;
            q5_unpack(x[i].qs, qh, j, &x0, &x1);
            y[i * QK + j] = (float)x0 * d + m;
            y[i * QK + j + QK / 2] = (float)x1 * d + m;
        }
    }
}

static inline void dequantize_block_q8(uint16_t d16, const int8_t *qs, float *y)
{
    const float d = h2f(d16);
    for (int j = 0; j < QK; j++)
        y[j] = (float)qs[j] * d;
}

void llm_dequantize_row_q8_0(const void *src, float *y, int64_t n)
{
    const struct llm_block_q8_0 *x = src;
    for (int64_t i = 0; i < n / QK; i++)
        dequantize_block_q8(x[i].d, x[i].qs, y + i * QK);
}

void llm_dequantize_row_q8_1(const void *src, float *y, int64_t n)
{
    const struct llm_block_q8_1 *x = src;
    for (int64_t i = 0; i < n / QK; i++)
        dequantize_block_q8(x[i].d, x[i].qs, y + i * QK);
}

/* ---- weight quantizers (ggml *_ref arithmetic) ----------------------------------------- */

static inline uint8_t min15(int8_t v) { return (uint8_t)(v < 15 ? v : 15); }
static inline uint8_t min31(int8_t v) { return (uint8_t)(v < 31 ? v : 31); }

void llm_quantize_row_q4_0_ref(const float *x, void *dst, int64_t n)
{
    struct llm_block_q4_0 *y = dst;
    for (int64_t i = 0; i < n / QK; i++) {
        const float max = block_absmax_signed(x + i * QK);
        const float d = max / -8;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = llm_f32_to_fp16(d);
        for (int j = 0; j < QK / 2; j++) {
            const float x0 = x[i * QK + j] * id;
            const float x1 = x[i * QK + QK / 2 + j] * id;
            const uint8_t q0 = min15((int8_t)(x0 + 8.5f));
            const uint8_t q1 = min15((int8_t)(x1 + 8.5f));
            y[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

void llm_quantize_row_q4_1_ref(const float *x, void *dst, int64_t n)
{
    struct llm_block_q4_1 *y = dst;
    for (int64_t i = 0; i < n / QK; i++) {
        float min, max;
        block_min_max(x + i * QK, &min, &max);
        const float d = (max - min) / 15;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = llm_f32_to_fp16(d);
        y[i].m = llm_f32_to_fp16(min);
        for (int j = 0; j < QK / 2; j++) {
            const float x0 = (x[i * QK + j] - min) * id;
            const float x1 = (x[i * QK + QK / 2 + j] - min) * id;
            const uint8_t q0 = min15((int8_t)(x0 + 0.5f));
            const uint8_t q1 = min15((int8_t)(x1 + 0.5f));
            y[i].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

void llm_quantize_row_q5_0_ref(const float *x, void *dst, int64_t n)
{
    struct llm_block_q5_0 *y = dst;
    for (int64_t i = 0; i < n / QK; i++) {
        const float max = block_absmax_signed(x + i * QK);
        const float d = max / -16;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = llm_f32_to_fp16(d);
        uint32_t qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            const float x0 = x[i * QK + j] * id;
            const float x1 = x[i * QK + QK / 2 + j] * id;
            q5_pack(min31((int8_t)(x0 + 16.5f)), min31((int8_t)(x1 + 16.5f)), j, y[i].qs, &qh);
        }
        write_qh(y[i].qh, qh);
    }
}

void llm_quantize_row_q5_1_ref(const float *x, void *dst, int64_t n)
{
    struct llm_block_q5_1 *y = dst;
    for (int64_t i = 0; i < n / QK; i++) {
        float min, max;
        block_min_max(x + i * QK, &min, &max);
        const float d = (max - min) / 31;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = llm_f32_to_fp16(d);
        y[i].m = llm_f32_to_fp16(min);
        uint32_t qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            const float x0 = (x[i * QK + j] - min) * id;
            const float x1 = (x[i * QK + QK / 2 + j] - min) * id;
            q5_pack((uint8_t)(x0 + 0.5f), (uint8_t)(x1 + 0.5f), j, y[i].qs, &qh);
        }
        write_qh(y[i].qh, qh);
    }
}

/* One block of ggml's quantize_row_q8_0_ref: qs[j] = round(x[j] / d); returns d. */
static inline float quantize_block_q8_ref(const float *x, int8_t *qs)
{
    float amax = 0.0f;
    for (int j = 0; j < QK; j++)
        amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < QK; j++)
        qs[j] = (int8_t)roundf(x[j] * id);
    return d;
}

void llm_quantize_row_q8_0_ref(const float *x, void *dst, int64_t n)
{
    struct llm_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / QK; i++)
        y[i].d = llm_f32_to_fp16(quantize_block_q8_ref(x + i * QK, y[i].qs));
}

void llm_quantize_row_q8_1_ref(const float *x, void *dst, int64_t n)
{
    struct llm_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / QK; i++) {
        const float d = quantize_block_q8_ref(x + i * QK, y[i].qs);
        y[i].d = llm_f32_to_fp16(d);
        int sum = 0;
        for (int j = 0; j < QK; j++)
            sum += y[i].qs[j];
        y[i].s = llm_f32_to_fp16((float)sum * d);
    }
}

/* ---- activation quantizers (ggml x86 CPU backend arithmetic) ---------------------------
 * ggml's AVX2/AVX-512 quantize_row_q8_0/q8_1 compute id = 127/amax (not 1/(amax/127)) and
 * round half to even (vroundps), which can differ from the *_ref rounding by one step. */

static inline int8_t round_even_i8(float v)
{
    float r = nearbyintf(v); /* default rounding mode: nearest, ties to even */
    if (r > 127.0f)
        r = 127.0f;
    if (r < -128.0f)
        r = -128.0f;
    return (int8_t)r;
}

/* One block's scale as ggml's x86 quantize_row_q8_0/q8_1 take it: returns d = amax / 127 and
 * sets *id = 127 / amax (0 for an all-zero block). */
static inline float block_scale_q8_act(const float *x, float *id)
{
    float amax = 0.0f;
    for (int j = 0; j < QK; j++) {
        const float a = fabsf(x[j]);
        amax = a > amax ? a : amax;
    }
    *id = amax != 0.0f ? 127.f / amax : 0.0f;
    return amax / 127.f;
}

void llm_quantize_row_q8_0_act(const float *x, void *dst, int64_t n)
{
    struct llm_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / QK; i++) {
        float id;
        const float d = block_scale_q8_act(x + i * QK, &id);
        y[i].d = llm_f32_to_fp16(d);
        for (int j = 0; j < QK; j++)
            y[i].qs[j] = round_even_i8(x[i * QK + j] * id);
    }
}

void llm_quantize_row_q8_1_act(const float *x, void *dst, int64_t n)
{
    struct llm_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / QK; i++) {
        float id;
        const float d = block_scale_q8_act(x + i * QK, &id);
        y[i].d = llm_f32_to_fp16(d);
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            /* the sum is taken over the int32 values before saturation, as ggml does */
            const float r = nearbyintf(x[i * QK + j] * id);
            sum += (int)r;
            y[i].qs[j] = round_even_i8(x[i * QK + j] * id);
        }
        y[i].s = llm_f32_to_fp16(d * (float)sum);
    }
}

/* ---- dot products ---------------------------------------------------------------------- */

/* The integer dot product of a block's 4-bit quants, less offset, with the activations a. */
static inline int block_dot_q4(const uint8_t *qs, int offset, const int8_t *a)
{
    int sumi = 0;
    for (int j = 0; j < QK / 2; j++) {
        sumi += ((qs[j] & 0x0F) - offset) * a[j];
        sumi += ((qs[j] >> 4) - offset) * a[j + QK / 2];
    }
    return sumi;
}

/* The same for a block's 5-bit quants (low nibbles qs, fifth bits qh). */
static inline int block_dot_q5(const uint8_t *qs, const uint8_t qh4[4], int offset,
                               const int8_t *a)
{
    const uint32_t qh = read_qh(qh4);
    int sumi = 0;
    for (int j = 0; j < QK / 2; j++) {
        int x0, x1;
        q5_unpack(qs, qh, j, &x0, &x1);
        sumi += (x0 - offset) * a[j];
        sumi += (x1 - offset) * a[j + QK / 2];
    }
    return sumi;
}

float llm_vec_dot_q4_0_q8_0_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q4_0 *x = w;
    const struct llm_block_q8_0 *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        const int sumi = block_dot_q4(x[i].qs, 8, y[i].qs);
        sumf += (float)sumi * (h2f(x[i].d) * h2f(y[i].d));
    }
    return sumf;
}

float llm_vec_dot_q4_1_q8_1_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q4_1 *x = w;
    const struct llm_block_q8_1 *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        const int sumi = block_dot_q4(x[i].qs, 0, y[i].qs);
        sumf += (h2f(x[i].d) * h2f(y[i].d)) * (float)sumi + h2f(x[i].m) * h2f(y[i].s);
    }
    return sumf;
}

float llm_vec_dot_q5_0_q8_0_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q5_0 *x = w;
    const struct llm_block_q8_0 *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        const int sumi = block_dot_q5(x[i].qs, x[i].qh, 16, y[i].qs);
        sumf += (h2f(x[i].d) * h2f(y[i].d)) * (float)sumi;
    }
    return sumf;
}

float llm_vec_dot_q5_1_q8_1_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q5_1 *x = w;
    const struct llm_block_q8_1 *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        const int sumi = block_dot_q5(x[i].qs, x[i].qh, 0, y[i].qs);
        sumf += (h2f(x[i].d) * h2f(y[i].d)) * (float)sumi + h2f(x[i].m) * h2f(y[i].s);
    }
    return sumf;
}

float llm_vec_dot_q8_0_q8_0_ref(int64_t n, const void *w, const void *a)
{
    const struct llm_block_q8_0 *x = w;
    const struct llm_block_q8_0 *y = a;
    float sumf = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        int sumi = 0;
        for (int j = 0; j < QK; j++)
            sumi += x[i].qs[j] * y[i].qs[j];
        sumf += (float)sumi * (h2f(x[i].d) * h2f(y[i].d));
    }
    return sumf;
}
