/* float.c: the unquantized element types F32, F16 and BF16: row conversions to and
 * from float32 and their reference dot products (accumulated in double, as ggml's
 * scalar fallback does). */
#include "llm/quant/quant.h"

#include <string.h>

void llm_dequantize_row_f32(const void *src, float *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void llm_quantize_row_f32(const float *src, void *dst, int64_t n)
{
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void llm_dequantize_row_f16(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    for (int64_t i = 0; i < n; i++)
        dst[i] = llm_fp16_to_f32(s[i]);
}

void llm_quantize_row_f16(const float *src, void *dst, int64_t n)
{
    uint16_t *d = dst;
    for (int64_t i = 0; i < n; i++)
        d[i] = llm_f32_to_fp16(src[i]);
}

void llm_dequantize_row_bf16(const void *src, float *dst, int64_t n)
{
    const uint16_t *s = src;
    for (int64_t i = 0; i < n; i++)
        dst[i] = llm_bf16_to_f32(s[i]);
}

void llm_quantize_row_bf16(const float *src, void *dst, int64_t n)
{
    uint16_t *d = dst;
    for (int64_t i = 0; i < n; i++)
        d[i] = llm_f32_to_bf16(src[i]);
}

float llm_vec_dot_f32_ref(int64_t n, const void *w, const void *a)
{
    const float *x = w, *y = a;
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += (double)(x[i] * y[i]);
    return (float)sum;
}

float llm_vec_dot_f16_ref(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += (double)(llm_fp16_to_f32(x[i]) * llm_fp16_to_f32(y[i]));
    return (float)sum;
}

float llm_vec_dot_bf16_ref(int64_t n, const void *w, const void *a)
{
    const uint16_t *x = w, *y = a;
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += (double)(llm_bf16_to_f32(x[i]) * llm_bf16_to_f32(y[i]));
    return (float)sum;
}
