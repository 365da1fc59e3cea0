/* packed_k.h: Q4_K and Q6_K weight matrices packed once at load (the K-quant side of
 * packed.h, whose entry points call in here for these types), so that the matrix-vector
 * kernels of avx512_k_packed.c read 16 rows at a time with one vpdpbusd per 64 bytes of quants
 * and no lane reductions, and the prompt tiles load their panels instead of gathering them.
 *
 * Packed layout of an n_out x n_in matrix (n_out a multiple of 16, nb = n_in / 256
 * super-blocks per row): n_out / 16 groups of 16 rows, group g at w + g * group bytes. A
 * "word" is 64 bytes: 4 bytes of each of the 16 rows, row i in bytes 4i..4i+3.
 * - Q4_K: a group is nb units of 36 words (2304 bytes, the file's 16 x 144), one per
 *   super-block: words 0..31 hold qs bytes 4w..4w+3 (as in the file: low nibbles of word
 *   8p + t are elements 64p + 4t.., high nibbles 64p + 32 + 4t..), word 32 holds the 16 fp16
 *   d (bytes 0..31, row i at 2i) then the 16 fp16 dmin (bytes 32..63), words 33..35 hold
 *   scales bytes 4k..4k+3 (the 12 packed 6-bit scale/min bytes, decoded by the kernels).
 * - Q6_K: a group is nb units of 52 words (3328 bytes), then nb x 32 bytes of fp16 d (row i
 *   at 2i), rounded up to 64 bytes. A unit is two halves of 26 words in the order the kernel
 *   reads them (from memory, three interleaved streams measured 1.4x slower): half h, step t
 *   (0..7) at words 26h + 3t .. 26h + 3t + 2 holds ql bytes 64h + 4t.., ql bytes 64h + 32 + 4t..
 *   and qh bytes 32h + 4t..; words 26h + 24 and 26h + 25 hold the int8 scales 8h..8h+7.
 * Same byte count as the file's rows (Q6_K: up to 32 bytes more per group). The activation
 * rows are the plain Q8_K rows of the type's from_float (packed.h's llm_pack_act_sums leaves
 * them alone). Every product is bit-identical to the row kernels llm_avx512_vec_dot_q{4,6}_K_q8_K
 * on the unpacked row (the same exact integers per super-block, the same float chain).
 *
 * Thread-safe and allocation-free; disjoint row ranges may run on several threads at once. */
#ifndef RELAIS_LLM_KERNELS_PACKED_K_H
#define RELAIS_LLM_KERNELS_PACKED_K_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/tensor.h"

/* True for the types this file packs (Q4_K, Q6_K). */
bool llm_pack_k_type(enum llm_type t);
/* Bytes of one 16-row group of n_in elements (a multiple of 64). */
size_t llm_pack_k_group_bytes(enum llm_type t, int64_t n_in);
/* Packs groups [g0, g1) of the rows at src (row r at src + r * row_bytes) into dst (the start
 * of the packed matrix). */
void llm_pack_k_rows(enum llm_type t, const void *src, size_t row_bytes, int64_t n_in, int64_t g0,
                     int64_t g1, void *dst);
/* Dequantizes row `row` of a packed matrix into dst[n_in], bit-identical to the type's
 * to_float on the unpacked row. */
void llm_pack_k_row_to_float(enum llm_type t, const void *w, int64_t n_in, int64_t row, float *dst);

/* avx512_k_packed.c: y[c * ldy + 16 g + i] = (row 16 g + i) . (Q8_K activation row c at
 * a + c * a_stride) for groups [g0, g1) and c < nc. */
void llm_avx512_pack_matmul_q4_K(int64_t n, const void *w, int64_t g0, int64_t g1, const void *a,
                                 size_t a_stride, int nc, float *y, size_t ldy);
void llm_avx512_pack_matmul_q6_K(int64_t n, const void *w, int64_t g0, int64_t g1, const void *a,
                                 size_t a_stride, int nc, float *y, size_t ldy);

#endif
