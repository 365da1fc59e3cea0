/* packed.h: Q4_0 and Q8_0 weight matrices repacked once at load ("packed") so
 * that the AVX-512 VNNI kernels of avx512_q40.c read 16 rows at a time with no
 * shuffles, and the activation rows those kernels take (Q8_0 blocks plus their
 * integer block sums).
 *
 * Packed layout of an n_out x n_in matrix (n_out a multiple of 16, nb = n_in /
 * 32 blocks per row): n_out / 16 groups of 16 rows, group g at w + g *
 * llm_pack_group_bytes(). A group is quants: nb units of 16 * QB bytes (QB = 16
 * for Q4_0, 32 for Q8_0): 64-byte word j of unit b holds bytes 4j..4j+3 of the
 * quants of block b of the 16 rows (row i in bytes 4i..4i+3), so one vpdpbusd
 * multiplies 16 rows by four activation bytes broadcast; Q4_0 bytes are as in
 * the file (low nibble element k, high nibble k + 16), Q8_0 bytes are stored
 * plus 128 (x ^ 0x80) so both are unsigned; scales: nb units of 32 bytes: block
 * b's fp16 scale of each of the 16 rows. Same byte count as the file's rows.
 * Every product is bit-identical to the row kernel
 * llm_avx512_vec_dot_{q4_0,q8_0}_q8_0_v2 on the unpacked row (exact integer
 * block sums, the same eight float chains), so packed and unpacked matrices,
 * prompts and decode steps all give the same logits.
 *
 * Activation rows for packed weights (llm_pack_act_row_size bytes each): the Q8_0
 * blocks that traits.from_float writes, then, at the next multiple of 64 bytes, one int32
 * per block, -off * (the sum of its 32 quants) with off = 8 for Q4_0 weights and 128 for
 * Q8_0 (it turns the unsigned weight products back into signed ones), then one float per
 * block, its scale (llm_pack_act_sums).
 *
 * Everything is thread-safe and allocation-free; the matmul may run disjoint
 * row ranges on several threads at once. */
#ifndef RELAIS_LLM_KERNELS_PACKED_H
#define RELAIS_LLM_KERNELS_PACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/tensor.h"

enum { LLM_PACK_ROWS = 16 };

/* True when a matrix of type t and shape n_out x n_in can be packed and
 * multiplied packed on this machine: t is Q4_0 or Q8_0 (or Q4_K / Q6_K, whose
 * layout and kernels are packed_k.h's; their activation rows are plain Q8_K
 * rows at llm_pack_act_row_size's stride), the AVX-512 kernels
 * were dispatched (not forced off with RELAIS_LLM_KERNELS), n_out is a multiple
 * of 16 and RELAIS_LLM_REPACK is not "0". */
bool llm_pack_supported(enum llm_type t, int64_t n_in, int64_t n_out);
/* Bytes of one 16-row group of n_in elements (16 rows' worth of the type's row
 * size). */
size_t llm_pack_group_bytes(enum llm_type t, int64_t n_in);
/* Packs groups [g0, g1) of the rows at src (row r at src + r * row_bytes) into
 * dst (the start of the packed matrix). */
void llm_pack_rows(enum llm_type t, const void *src, size_t row_bytes, int64_t n_in, int64_t g0,
                   int64_t g1, void *dst);
/* Dequantizes row `row` of a packed matrix w into dst[n_in], bit-identical to
 * the type's to_float on the unpacked row. */
void llm_pack_row_to_float(enum llm_type t, const void *w, int64_t n_in, int64_t row, float *dst);

/* Bytes of an activation row of n elements (see above); a multiple of 4. */
size_t llm_pack_act_row_size(int64_t n);
/* Fills the corrections and scales of an activation row for packed weights of type t whose
 * Q8_0 blocks are already written. */
void llm_pack_act_sums(enum llm_type t, void *row, int64_t n);

/* y[c * ldy + r] = (packed row r) . (activation row c) for r0 <= r < r1
 * (multiples of 16) and c < nc; activation row c at a + c * a_stride. Only
 * after llm_pack_supported(t, ...). */
void llm_pack_matmul(enum llm_type t, int64_t n, const void *w, int64_t r0, int64_t r1,
                     const void *a, size_t a_stride, int nc, float *y, size_t ldy);

/* avx512_q40.c: the kernels behind llm_pack_matmul (groups [g0, g1) of 16
 * rows). */
void llm_avx512_pack_matmul_q4_0(int64_t n, const void *w, int64_t g0, int64_t g1, const void *a,
                                 size_t a_stride, int nc, float *y, size_t ldy);
void llm_avx512_pack_matmul_q8_0(int64_t n, const void *w, int64_t g0, int64_t g1, const void *a,
                                 size_t a_stride, int nc, float *y, size_t ldy);

#endif
