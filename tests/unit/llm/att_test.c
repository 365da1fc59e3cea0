/* att_test.c: the attention products of src/llm/kernels/att.h.
 * - the scalar reference agrees with a double-precision product within float rounding;
 * - every SIMD set this CPU runs gives exactly the reference's bits, for head sizes with and
 *   without a vector tail, 1..9 queries (partial query passes), position counts around the
 *   vector width, F16 and F32 caches, and leaves the padding between rows untouched;
 * - the F16 rounding helper matches llm_f32_to_fp16. */
#include "harness.h"

#include <math.h>

#include "llm/kernels/att.h"
#include "llm/kernels/kernels.h"
#include "llm/tensor.h"

static uint64_t at_rng = 7;

static float at_f(void)
{
    at_rng ^= at_rng << 13;
    at_rng ^= at_rng >> 7;
    at_rng ^= at_rng << 17;
    return (float)((at_rng >> 20) % 20001) / 10000.0f - 1.0f;
}

enum { CTX = 130, MAXQ = 9, MAXD = 64, PAD = 3 };

struct at_data {
    float q[MAXQ * MAXD];            /* queries, row stride hd */
    float p[MAXQ * (CTX + PAD)];     /* probabilities, row stride CTX + PAD */
    uint16_t kt16[MAXD * CTX];       /* keys transposed, row stride CTX */
    float kt32[MAXD * CTX];
    uint16_t v16[CTX * (MAXD + PAD)]; /* values by position, row stride MAXD + PAD */
    float v32[CTX * (MAXD + PAD)];
};

static void at_fill(struct at_data *d)
{
    for (size_t i = 0; i < MAXQ * MAXD; i++)
        d->q[i] = llm_fp16_to_f32(llm_f32_to_fp16(at_f()));
    for (size_t i = 0; i < MAXQ * (CTX + PAD); i++)
        d->p[i] = llm_fp16_to_f32(llm_f32_to_fp16((at_f() + 1.0f) * 0.01f));
    for (size_t i = 0; i < MAXD * CTX; i++) {
        d->kt16[i] = llm_f32_to_fp16(at_f());
        d->kt32[i] = at_f();
    }
    for (size_t i = 0; i < CTX * (MAXD + PAD); i++) {
        d->v16[i] = llm_f32_to_fp16(at_f());
        d->v32[i] = at_f();
    }
}

/* Runs one set's scores and values for (hd, nq, n, f16) into s and o. */
static void at_run(const struct llm_att_kernels *k, const struct at_data *d, int hd, int nq,
                   int n, bool f16, float *s, float *o)
{
    const size_t lds = CTX + PAD, ldo = MAXD + PAD;
    for (size_t i = 0; i < MAXQ * lds; i++)
        s[i] = -7.0f;
    for (size_t i = 0; i < MAXQ * ldo; i++)
        o[i] = -7.0f;
    (f16 ? k->scores_f16 : k->scores_f32)(hd, nq, d->q, (size_t)hd,
                                          f16 ? (const void *)d->kt16 : (const void *)d->kt32,
                                          CTX, n, 0.125f, s, lds);
    (f16 ? k->values_f16 : k->values_f32)(hd, nq, d->p, CTX + PAD,
                                          f16 ? (const void *)d->v16 : (const void *)d->v32,
                                          MAXD + PAD, n, o, ldo);
}

static const int at_hds[] = {64, 40, 8};
static const int at_nqs[] = {1, 3, 4, 7, 8, 9};
static const int at_ns[] = {1, 7, 8, 15, 16, 17, 100, CTX};

TEST_CASE(llm, att_reference_matches_double)
{
    static struct at_data d;
    static float s[MAXQ * (CTX + PAD)], o[MAXQ * (MAXD + PAD)];
    at_rng = 11;
    at_fill(&d);
    const struct llm_att_kernels *ref = llm_att_kernels_ref();
    for (int f16 = 0; f16 < 2; f16++) {
        const int hd = 64, nq = 5, n = 100;
        at_run(ref, &d, hd, nq, n, f16, s, o);
        for (int i = 0; i < nq; i++) {
            for (int p = 0; p < n; p++) {
                double want = 0, mag = 0;
                for (int k = 0; k < hd; k++) {
                    double kv = f16 ? llm_fp16_to_f32(d.kt16[k * CTX + p]) : d.kt32[k * CTX + p];
                    want += (double)d.q[i * hd + k] * kv;
                    mag += fabs((double)d.q[i * hd + k] * kv);
                }
                ASSERT_NEAR(s[i * (CTX + PAD) + p], want * 0.125, 1e-6 * mag + 1e-12);
            }
            for (int k = 0; k < hd; k++) {
                double want = 0, mag = 0;
                for (int p = 0; p < n; p++) {
                    size_t at = (size_t)p * (MAXD + PAD) + (size_t)k;
                    double vv = f16 ? llm_fp16_to_f32(d.v16[at]) : d.v32[at];
                    want += (double)d.p[i * (CTX + PAD) + p] * vv;
                    mag += fabs((double)d.p[i * (CTX + PAD) + p] * vv);
                }
                ASSERT_NEAR(o[i * (MAXD + PAD) + k], want, 1e-6 * mag + 1e-12);
            }
        }
    }
}

TEST_CASE(llm, att_simd_bit_identical_to_reference)
{
#if defined(__x86_64__)
    if (!llm_kernels_have_avx2())
        harness_skip("no AVX2 on this CPU");
    const struct llm_att_kernels *sets[2] = {&llm_att_avx2,
                                             llm_kernels_have_avx512() ? &llm_att_avx512 : NULL};
    static struct at_data d;
    static float s0[MAXQ * (CTX + PAD)], o0[MAXQ * (MAXD + PAD)];
    static float s1[MAXQ * (CTX + PAD)], o1[MAXQ * (MAXD + PAD)];
    at_rng = 12345;
    at_fill(&d);
    const struct llm_att_kernels *ref = llm_att_kernels_ref();
    int runs = 0;
    for (int si = 0; si < 2; si++) {
        if (!sets[si])
            continue;
        for (size_t a = 0; a < sizeof at_hds / sizeof at_hds[0]; a++)
            for (size_t b = 0; b < sizeof at_nqs / sizeof at_nqs[0]; b++)
                for (size_t c = 0; c < sizeof at_ns / sizeof at_ns[0]; c++)
                    for (int f16 = 0; f16 < 2; f16++) {
                        at_run(ref, &d, at_hds[a], at_nqs[b], at_ns[c], f16, s0, o0);
                        at_run(sets[si], &d, at_hds[a], at_nqs[b], at_ns[c], f16, s1, o1);
                        if (memcmp(s0, s1, sizeof s0) != 0 || memcmp(o0, o1, sizeof o0) != 0)
                            harness_fail(__FILE__, __LINE__, "%s hd %d nq %d n %d %s differs",
                                         sets[si]->name, at_hds[a], at_nqs[b], at_ns[c],
                                         f16 ? "f16" : "f32");
                        runs++;
                    }
        /* rounding to F16 */
        float x[37], y[37];
        for (int i = 0; i < 37; i++)
            x[i] = y[i] = at_f() * 3.0f;
        sets[si]->round_f16(x, 37);
        for (int i = 0; i < 37; i++)
            ASSERT_TRUE(x[i] == llm_fp16_to_f32(llm_f32_to_fp16(y[i])));
    }
    ASSERT_TRUE(runs > 0);
    /* the dispatched set is one of these */
    ASSERT_TRUE(llm_att_kernels() == ref || llm_att_kernels() == &llm_att_avx2 ||
                llm_att_kernels() == &llm_att_avx512);
#else
    harness_skip("no x86 kernels");
#endif
}
