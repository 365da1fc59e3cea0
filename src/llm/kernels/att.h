/* att.h: the two products of causal attention over a KV cache, as small matrix products for
 * the query heads that share one KV head (model/attention.c calls them):
 *
 *   scores  S[i][p] = scale * sum_d Q[i][d] * Kt[d][p]   (K cached transposed: one row of
 *                                                          positions per dimension)
 *   values  O[i][d] = sum_p P[i][p] * V[p][d]            (V cached by position)
 *
 * Every element is one fma chain in a fixed order (acc = fma(a, b, acc) from 0, over d
 * ascending for a score, then one multiplication by scale; over p ascending for a value), so
 * the SIMD versions give exactly the scalar reference's bits whatever the number of queries
 * or positions handled at once: a prompt token's attention equals a decode step's.
 * Cache elements are F16 or F32 (n_ctx and kv_dim strides in elements); queries,
 * probabilities and outputs are F32. Pure functions, thread-safe, allocation-free. */
#ifndef RELAIS_LLM_KERNELS_ATT_H
#define RELAIS_LLM_KERNELS_ATT_H

#include <stddef.h>
#include <stdint.h>

/* S[i * lds + p] for i < nq, p < n: queries q + i * ldq (hd floats), key element (d, p) at
 * kt[d * kt_stride + p]. */
typedef void (*llm_att_scores_fn)(int hd, int nq, const float *q, size_t ldq, const void *kt,
                                  size_t kt_stride, int n, float scale, float *s, size_t lds);
/* O[i * ldo + d] for i < nq, d < hd: probabilities p + i * ldp (n floats), value element
 * (p, d) at v[p * v_stride + d]. */
typedef void (*llm_att_values_fn)(int hd, int nq, const float *p, size_t ldp, const void *v,
                                  size_t v_stride, int n, float *o, size_t ldo);
/* x[i] = (float)(fp16)x[i] for i < n (round to nearest even), as ggml rounds what it
 * multiplies with an F16 cache. */
typedef void (*llm_att_round_fn)(float *x, int n);

struct llm_att_kernels {
    const char *name;              /* "reference", "avx2" or "avx512" */
    llm_att_scores_fn scores_f16;  /* F16 keys */
    llm_att_scores_fn scores_f32;  /* F32 keys */
    llm_att_values_fn values_f16;  /* F16 values */
    llm_att_values_fn values_f32;  /* F32 values */
    llm_att_round_fn round_f16;    /* in-place F16 rounding */
};

/* The kernels for this CPU (chosen once, like llm_type_traits(); RELAIS_LLM_KERNELS=ref|avx2
 * limits the choice). Static, never freed. */
const struct llm_att_kernels *llm_att_kernels(void);
/* The scalar reference set (what tests compare the others with). */
const struct llm_att_kernels *llm_att_kernels_ref(void);

/* SIMD sets (avx2_att.c, avx512_att.c); only valid where the CPU has the extensions. */
extern const struct llm_att_kernels llm_att_avx2;
extern const struct llm_att_kernels llm_att_avx512;

#endif
