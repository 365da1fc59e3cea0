/* quant.h: the per-type kernel table (dequantize, quantize, dot product) that the model
 * code calls, and the scalar reference kernels behind it.
 *
 * How a matrix-vector product is meant to be done (this mirrors ggml's CPU backend, which
 * is what makes our logits match llama.cpp's):
 *
 *     const struct llm_type_traits *wt = llm_type_traits(W->type);
 *     const struct llm_type_traits *at = llm_type_traits(wt->vec_dot_type);
 *     at->from_float(x, xq, n);                 // activations -> vec_dot_type, once per x
 *     for (r = 0; r < rows; r++)
 *         y[r] = wt->vec_dot(n, (const char *)W->data + r * row_bytes, xq);
 *
 * xq is caller-provided scratch of llm_type_row_size(vec_dot_type, n) bytes (allocate it
 * once per context, not per call). Pairings (ggml's type_traits_cpu vec_dot_type):
 *   F32 -> F32, F16 -> F16, BF16 -> BF16,
 *   Q4_0, Q5_0, Q8_0 -> Q8_0;  Q4_1, Q5_1 -> Q8_1;  Q2_K .. Q6_K -> Q8_K.
 *
 * Activation quantizers (from_float) reproduce ggml's x86 CPU kernels, which differ from
 * ggml's *_ref quantizers in small ways (Q8_0/Q8_1 use 127/amax and round half to even);
 * the weight quantizers used by `relais llm quantize` are the *_ref functions, which
 * llama-quantize uses when no importance matrix is given. The two are exposed separately:
 * traits.from_float (activations) and traits.quantize_ref (weights).
 *
 * All kernels are pure functions of their arguments: thread-safe, allocation-free, and
 * they read blocks sequentially. n is always a multiple of the type's block size (the
 * caller checks; kernels ASSERT nothing on the hot path). */
#ifndef RELAIS_LLM_QUANT_QUANT_H
#define RELAIS_LLM_QUANT_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/tensor.h"

/* Dequantizes n elements (a multiple of the block size) from src into dst. */
typedef void (*llm_to_float_fn)(const void *src, float *dst, int64_t n);
/* Quantizes n floats (a multiple of the block size) into n / block_size blocks. */
typedef void (*llm_from_float_fn)(const float *src, void *dst, int64_t n);
/* Dot product of n elements: a weight row w (this type) with an activation row a (of
 * traits.vec_dot_type, as produced by that type's from_float). */
typedef float (*llm_vec_dot_fn)(int64_t n, const void *w, const void *a);
/* Dot products of one weight row with nc activation rows a, a + a_stride, ... (bytes):
 * out[c] = vec_dot(n, w, a + c * a_stride), bit for bit, but unpacking the weights once. */
typedef void (*llm_vec_dot_nc_fn)(int64_t n, int nc, float *out, const void *w, const void *a,
                                  size_t a_stride);
/* A tile of a matrix product with llm_matmul_rows()'s arguments and results (bit-identical
 * to vec_dot per element), for types whose SIMD kernels have a faster tile loop. */
typedef void (*llm_gemm_fn)(int64_t n, const void *w, size_t w_row_bytes, int64_t r0, int64_t r1,
                            const void *a, size_t a_stride, int nc, float *y, size_t ldy);

struct llm_type_traits {
    enum llm_type type;           /* the type this row describes */
    const char *name;             /* ggml name, "q4_K" */
    int64_t block_size;           /* elements per block */
    size_t type_size;             /* bytes per block */
    bool is_quantized;            /* false for F32/F16/BF16 */
    enum llm_type vec_dot_type;   /* activation type vec_dot expects */
    llm_to_float_fn to_float;     /* dequantize; NULL if unsupported */
    llm_from_float_fn from_float; /* activation quantizer (ggml CPU behaviour); NULL if none */
    llm_from_float_fn quantize_ref; /* weight quantizer (ggml *_ref); NULL if none */
    llm_vec_dot_fn vec_dot;       /* weight row . activation row; NULL if unsupported */
    llm_vec_dot_nc_fn vec_dot_nc; /* several activation rows at once; NULL: use
                                     llm_vec_dot_nc(), which loops over vec_dot */
    llm_gemm_fn gemm;             /* tile loop for llm_matmul_rows(); NULL: the generic one */
};

/* out[c] = t->vec_dot(n, w, a + c * a_stride) for c < nc, through t->vec_dot_nc when the
 * type has one (same results, bit for bit; faster for batches of tokens or sequences). */
static inline void llm_vec_dot_nc(const struct llm_type_traits *t, int64_t n, int nc, float *out,
                                  const void *w, const void *a, size_t a_stride)
{
    if (t->vec_dot_nc) {
        t->vec_dot_nc(n, nc, out, w, a, a_stride);
        return;
    }
    for (int c = 0; c < nc; c++)
        out[c] = t->vec_dot(n, w, (const char *)a + (size_t)c * a_stride);
}

/* The kernels to use on this machine: SIMD versions where the CPU has them (chosen once,
 * thread-safely, on first call; see kernels/dispatch.c), the reference otherwise.
 * Returns NULL for an unknown type. The result is static and never freed. */
const struct llm_type_traits *llm_type_traits(enum llm_type t);

/* y[c * ldy + r] = (weight row r) . (activation column c) for rows r0 <= r < r1 and
 * columns c < nc, where weight row r starts at w + r * w_row_bytes (type t) and column c
 * at a + c * a_stride (t->vec_dot_type, already quantized). Every value is bit-identical
 * to t->vec_dot on that row and column; the loop order keeps a tile of columns in cache
 * and unpacks each weight block once per four columns (llm_vec_dot_nc). Allocates
 * nothing; threads may run disjoint row ranges concurrently (kernels/matmul.c). */
void llm_matmul_rows(const struct llm_type_traits *t, int64_t n, const void *w,
                     size_t w_row_bytes, int64_t r0, int64_t r1, const void *a, size_t a_stride,
                     int nc, float *y, size_t ldy);

/* Which kernel set llm_type_traits() chose: "reference", "avx2" or "avx512". Static. */
const char *llm_kernels_name(void);

/* The scalar reference kernels only (what tests compare SIMD kernels against). */
const struct llm_type_traits *llm_type_traits_ref(enum llm_type t);

/* ---- reference kernels (in the quant/ sources), exported for tests and for dispatch ----------- */

/* dequantize: src holds n / block_size blocks */
void llm_dequantize_row_f32(const void *src, float *dst, int64_t n);
void llm_dequantize_row_f16(const void *src, float *dst, int64_t n);
void llm_dequantize_row_bf16(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q4_0(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q4_1(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q5_0(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q5_1(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q8_0(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q8_1(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q2_K(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q3_K(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q4_K(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q5_K(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q6_K(const void *src, float *dst, int64_t n);
void llm_dequantize_row_q8_K(const void *src, float *dst, int64_t n);

/* reference (weight) quantizers, as ggml's quantize_row_*_ref */
void llm_quantize_row_f32(const float *src, void *dst, int64_t n);
void llm_quantize_row_f16(const float *src, void *dst, int64_t n);
void llm_quantize_row_bf16(const float *src, void *dst, int64_t n);
void llm_quantize_row_q4_0_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q4_1_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q5_0_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q5_1_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q8_0_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q8_1_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q4_K_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q5_K_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q6_K_ref(const float *src, void *dst, int64_t n);
void llm_quantize_row_q8_K_ref(const float *src, void *dst, int64_t n);

/* activation quantizers with ggml's x86 CPU-backend rounding (scalar code) */
void llm_quantize_row_q8_0_act(const float *src, void *dst, int64_t n);
void llm_quantize_row_q8_1_act(const float *src, void *dst, int64_t n);

/* reference dot products: weight type x activation type */
float llm_vec_dot_f32_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_f16_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_bf16_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q4_0_q8_0_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q4_1_q8_1_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q5_0_q8_0_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q5_1_q8_1_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q8_0_q8_0_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q2_K_q8_K_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q3_K_q8_K_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q4_K_q8_K_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q5_K_q8_K_ref(int64_t n, const void *w, const void *a);
float llm_vec_dot_q6_K_q8_K_ref(int64_t n, const void *w, const void *a);

#endif
