/* kernels.h: SIMD kernels shared inside src/llm/kernels/ (dispatch.c picks them). Each has
 * the signature and the result of its scalar reference in quant/quant.h; callers must
 * check the CPU first (llm_type_traits() does). Not for use outside this folder. */
#ifndef RELAIS_LLM_KERNELS_KERNELS_H
#define RELAIS_LLM_KERNELS_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

#include "llm/quant/quant.h"

/* What this CPU (and OS) can run (dispatch.c; false on other architectures). */
bool llm_kernels_have_avx2(void);       /* AVX2 + FMA + F16C */
bool llm_kernels_have_avx512(void);     /* AVX-512 F/BW/VL/VNNI (and AVX2) */
bool llm_kernels_have_avx512bf16(void); /* the above + AVX512_BF16 */

/* avx2.c: AVX2 + FMA + F16C */
float llm_avx2_vec_dot_q4_0_q8_0(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q8_0_q8_0(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q4_1_q8_1(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q5_0_q8_0(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q5_1_q8_1(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q2_K_q8_K(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q3_K_q8_K(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q4_K_q8_K(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q5_K_q8_K(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_q6_K_q8_K(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_f32(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_f16(int64_t n, const void *w, const void *a);
float llm_avx2_vec_dot_bf16(int64_t n, const void *w, const void *a);
void llm_avx2_vec_dot_nc_q4_0_q8_0(int64_t n, int nc, float *out, const void *w,
                                   const void *a, size_t stride);
void llm_avx2_vec_dot_nc_q8_0_q8_0(int64_t n, int nc, float *out, const void *w,
                                   const void *a, size_t stride);
void llm_avx2_vec_dot_nc_q4_1_q8_1(int64_t n, int nc, float *out, const void *w,
                                   const void *a, size_t stride);
void llm_avx2_vec_dot_nc_q5_0_q8_0(int64_t n, int nc, float *out, const void *w,
                                   const void *a, size_t stride);
void llm_avx2_vec_dot_nc_q5_1_q8_1(int64_t n, int nc, float *out, const void *w,
                                   const void *a, size_t stride);
void llm_avx2_vec_dot_nc_q4_K_q8_K(int64_t n, int nc, float *out, const void *w,
                                   const void *a, size_t stride);
void llm_avx2_vec_dot_nc_q5_K_q8_K(int64_t n, int nc, float *out, const void *w,
                                   const void *a, size_t stride);
void llm_avx2_vec_dot_nc_q6_K_q8_K(int64_t n, int nc, float *out, const void *w,
                                   const void *a, size_t stride);
void llm_avx2_quantize_row_q8_0(const float *x, void *dst, int64_t n);
void llm_avx2_quantize_row_q8_1(const float *x, void *dst, int64_t n);
void llm_avx2_quantize_row_q8_K(const float *x, void *dst, int64_t n);
void llm_avx2_quantize_row_f16(const float *x, void *dst, int64_t n);

/* avx512.c: AVX-512 F/BW/VL + VNNI (+ BF16 for the bf16 dot) */
float llm_avx512_vec_dot_q4_0_q8_0(int64_t n, const void *w, const void *a);
float llm_avx512_vec_dot_q8_0_q8_0(int64_t n, const void *w, const void *a);
float llm_avx512_vec_dot_f32(int64_t n, const void *w, const void *a);
float llm_avx512_vec_dot_f16(int64_t n, const void *w, const void *a);
float llm_avx512_vec_dot_bf16(int64_t n, const void *w, const void *a);
/* Q4_0 / Q8_0 in the summation order of the tile kernels (see avx512.c): not bit-identical
 * to the AVX2 kernels, so they are dispatched together with the gemm entries, without the
 * AVX2 multi-column kernels. */
float llm_avx512_vec_dot_q4_0_q8_0_v2(int64_t n, const void *w, const void *a);
float llm_avx512_vec_dot_q8_0_q8_0_v2(int64_t n, const void *w, const void *a);
void llm_avx512_gemm_q4_0_q8_0(int64_t n, const void *w, size_t row_bytes, int64_t r0,
                               int64_t r1, const void *a, size_t a_stride, int nc, float *y,
                               size_t ldy);
void llm_avx512_gemm_q8_0_q8_0(int64_t n, const void *w, size_t row_bytes, int64_t r0,
                               int64_t r1, const void *a, size_t a_stride, int nc, float *y,
                               size_t ldy);

/* Q5_0 in the Q4_0/Q8_0 tile order of avx512.c (the Q4_K_M mixes of Qwen2 are mostly Q5_0) */
float llm_avx512_vec_dot_q5_0_q8_0_v2(int64_t n, const void *w, const void *a);
void llm_avx512_gemm_q5_0_q8_0(int64_t n, const void *w, size_t row_bytes, int64_t r0,
                               int64_t r1, const void *a, size_t a_stride, int nc, float *y,
                               size_t ldy);

/* avx512_k.c: Q4_K / Q6_K (Q8_K activations) with one summation order for the row dot and
 * the tile kernel (see there); dispatched together, without the AVX2 multi-column kernels. */
float llm_avx512_vec_dot_q4_K_q8_K(int64_t n, const void *w, const void *a);
float llm_avx512_vec_dot_q6_K_q8_K(int64_t n, const void *w, const void *a);
void llm_avx512_gemm_q4_K_q8_K(int64_t n, const void *w, size_t row_bytes, int64_t r0, int64_t r1,
                               const void *a, size_t a_stride, int nc, float *y, size_t ldy);
void llm_avx512_gemm_q6_K_q8_K(int64_t n, const void *w, size_t row_bytes, int64_t r0, int64_t r1,
                               const void *a, size_t a_stride, int nc, float *y, size_t ldy);

#endif
