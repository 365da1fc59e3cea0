/* att.c: the scalar reference attention products of att.h and the choice, once, of the set
 * this CPU runs (the SIMD sets live in avx2_att.c and avx512_att.c, compiled with their own
 * -m flags). The reference uses fmaf, whose single rounding is what every SIMD lane does, so
 * all sets give the same bits. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "llm/kernels/att.h"
#include "llm/kernels/kernels.h"
#include "llm/tensor.h"

static inline float elem_f16(const void *base, size_t i)
{
    return llm_fp16_to_f32(((const uint16_t *)base)[i]);
}

static inline float elem_f32(const void *base, size_t i)
{
    return ((const float *)base)[i];
}

#define REF_SCORES(name, elem)                                                                 \
    static void name(int hd, int nq, const float *q, size_t ldq, const void *kt,              \
                     size_t kt_stride, int n, float scale, float *s, size_t lds)              \
    {                                                                                          \
        for (int i = 0; i < nq; i++)                                                           \
            for (int p = 0; p < n; p++) {                                                      \
                float acc = 0.0f;                                                              \
                for (int d = 0; d < hd; d++)                                                   \
                    acc = fmaf(q[(size_t)i * ldq + (size_t)d],                                 \
                               elem(kt, (size_t)d * kt_stride + (size_t)p), acc);              \
                s[(size_t)i * lds + (size_t)p] = acc * scale;                                  \
            }                                                                                  \
    }

#define REF_VALUES(name, elem)                                                                 \
    static void name(int hd, int nq, const float *p, size_t ldp, const void *v,               \
                     size_t v_stride, int n, float *o, size_t ldo)                            \
    {                                                                                          \
        for (int i = 0; i < nq; i++)                                                           \
            for (int d = 0; d < hd; d++) {                                                     \
                float acc = 0.0f;                                                              \
                for (int k = 0; k < n; k++)                                                    \
                    acc = fmaf(p[(size_t)i * ldp + (size_t)k],                                 \
                               elem(v, (size_t)k * v_stride + (size_t)d), acc);                \
                o[(size_t)i * ldo + (size_t)d] = acc;                                          \
            }                                                                                  \
    }

REF_SCORES(ref_scores_f16, elem_f16)
REF_SCORES(ref_scores_f32, elem_f32)
REF_VALUES(ref_values_f16, elem_f16)
REF_VALUES(ref_values_f32, elem_f32)

static void ref_round_f16(float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = llm_fp16_to_f32(llm_f32_to_fp16(x[i]));
}

static const struct llm_att_kernels att_ref = {
    "reference", ref_scores_f16, ref_scores_f32, ref_values_f16, ref_values_f32, ref_round_f16,
};

const struct llm_att_kernels *llm_att_kernels_ref(void)
{
    return &att_ref;
}

static const struct llm_att_kernels *chosen = &att_ref; /* written once under `once` */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void choose(void)
{
    const char *want = getenv("RELAIS_LLM_KERNELS");
    if (want && strcmp(want, "ref") == 0)
        return;
#if defined(__x86_64__) && defined(LLM_HAVE_X86_KERNELS)
    if (!llm_kernels_have_avx2())
        return;
    chosen = &llm_att_avx2;
    if (want && strcmp(want, "avx2") == 0)
        return;
    if (llm_kernels_have_avx512())
        chosen = &llm_att_avx512;
#endif
}

const struct llm_att_kernels *llm_att_kernels(void)
{
    pthread_once(&once, choose);
    return chosen;
}
