/* sampler_test.c: greedy ties, the truncation samplers, penalties, and seeded determinism.
 * Expected values are worked out by hand from the definitions (llama.cpp's samplers). */
#include "harness.h"

#include <math.h>

#include "base/err.h"
#include "llm/sampler.h"

static struct llm_sampler *mk(float temp, int top_k, float top_p, float min_p, uint64_t seed)
{
    struct llm_sampler_params p;
    llm_sampler_params_default(&p);
    p.temperature = temp;
    p.top_k = top_k;
    p.top_p = top_p;
    p.min_p = min_p;
    p.seed = seed;
    struct llm_sampler *s = NULL;
    ASSERT_INT_EQ(llm_sampler_new(&p, 4, &s), 0);
    return s;
}

TEST_CASE(llm, sampler_greedy_ties_lowest_id)
{
    const float logits[4] = {1.0f, 3.0f, 3.0f, -2.0f};
    ASSERT_INT_EQ(llm_sampler_argmax(logits, 4), 1);
    struct llm_sampler *s = mk(0.0f, 0, 1.0f, 0.0f, 1);
    ASSERT_INT_EQ(llm_sampler_sample(s, logits), 1);
    llm_sampler_free(s);
    /* top_k = 1 at any temperature is greedy */
    s = mk(1.5f, 1, 1.0f, 0.0f, 7);
    for (int i = 0; i < 50; i++)
        ASSERT_INT_EQ(llm_sampler_sample(s, logits), 1);
    llm_sampler_free(s);
}

TEST_CASE(llm, sampler_distribution_and_truncation)
{
    /* p = 0.5, 0.3, 0.15, 0.05 */
    const float logits[4] = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
    const struct {
        int top_k;
        float top_p, min_p;
        double want[4]; /* expected frequencies */
    } rows[] = {
        {0, 1.0f, 0.0f, {0.5, 0.3, 0.15, 0.05}},
        {2, 1.0f, 0.0f, {0.625, 0.375, 0, 0}},        /* renormalised over the best two */
        {0, 0.79f, 0.0f, {0.625, 0.375, 0, 0}},       /* 0.5 + 0.3 passes 0.79 */
        {0, 0.81f, 0.0f, {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}},
        {0, 1.0f, 0.25f, {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}}, /* 0.05 < 0.25 * 0.5 */
        {0, 1.0f, 0.61f, {1, 0, 0, 0}},                /* 0.3 < 0.61 * 0.5 */
    };
    enum { DRAWS = 20000 };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        struct llm_sampler *s = mk(1.0f, rows[r].top_k, rows[r].top_p, rows[r].min_p, 42 + r);
        int count[4] = {0};
        for (int i = 0; i < DRAWS; i++) {
            int32_t t = llm_sampler_sample(s, logits);
            ASSERT_TRUE(t >= 0 && t < 4);
            count[t]++;
        }
        for (int k = 0; k < 4; k++) {
            if (rows[r].want[k] == 0)
                ASSERT_INT_EQ(count[k], 0);
            else
                ASSERT_NEAR((double)count[k] / DRAWS, rows[r].want[k], 0.015);
        }
        llm_sampler_free(s);
    }
}

TEST_CASE(llm, sampler_temperature_sharpens)
{
    /* temperature 0.5 squares the odds: p ~ 0.5^2 : 0.3^2 : 0.15^2 : 0.05^2 */
    const float logits[4] = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
    struct llm_sampler *s = mk(0.5f, 0, 1.0f, 0.0f, 3);
    double z = 0.25 + 0.09 + 0.0225 + 0.0025;
    int hits0 = 0;
    for (int i = 0; i < 20000; i++)
        hits0 += llm_sampler_sample(s, logits) == 0;
    ASSERT_NEAR(hits0 / 20000.0, 0.25 / z, 0.015);
    llm_sampler_free(s);
}

TEST_CASE(llm, sampler_fixed_seed_fixed_sequence)
{
    const float logits[4] = {0.1f, 0.2f, 0.3f, 0.25f};
    int32_t a[64], b[64], c[64];
    struct llm_sampler *s1 = mk(1.0f, 0, 1.0f, 0.0f, 1234);
    struct llm_sampler *s2 = mk(1.0f, 0, 1.0f, 0.0f, 1234);
    struct llm_sampler *s3 = mk(1.0f, 0, 1.0f, 0.0f, 1235);
    for (int i = 0; i < 64; i++) {
        a[i] = llm_sampler_sample(s1, logits);
        b[i] = llm_sampler_sample(s2, logits);
        c[i] = llm_sampler_sample(s3, logits);
    }
    ASSERT_TRUE(memcmp(a, b, sizeof a) == 0);
    ASSERT_TRUE(memcmp(a, c, sizeof a) != 0);
    llm_sampler_reset(s1, 1234);
    for (int i = 0; i < 64; i++)
        ASSERT_INT_EQ(llm_sampler_sample(s1, logits), a[i]);
    llm_sampler_free(s1);
    llm_sampler_free(s2);
    llm_sampler_free(s3);
}

TEST_CASE(llm, sampler_penalties)
{
    struct llm_sampler_params p;
    llm_sampler_params_default(&p);
    p.temperature = 0;
    p.repeat_penalty = 1.1f;
    p.penalty_last_n = 2;
    struct llm_sampler *s = NULL;
    ASSERT_INT_EQ(llm_sampler_new(&p, 4, &s), 0);
    const float logits[4] = {2.0f, 1.9f, -1.0f, -1.05f};
    ASSERT_INT_EQ(llm_sampler_sample(s, logits), 0);
    llm_sampler_accept(s, 0); /* 2.0 / 1.1 = 1.818 < 1.9 */
    ASSERT_INT_EQ(llm_sampler_sample(s, logits), 1);
    llm_sampler_accept(s, 1);
    llm_sampler_accept(s, 2);
    llm_sampler_accept(s, 2); /* window of 2: only token 2 is penalised now */
    ASSERT_INT_EQ(llm_sampler_sample(s, logits), 0);
    llm_sampler_free(s);

    /* frequency and presence: logit - count * f - p */
    llm_sampler_params_default(&p);
    p.temperature = 0;
    p.frequency_penalty = 0.3f;
    p.presence_penalty = 0.2f;
    ASSERT_INT_EQ(llm_sampler_new(&p, 4, &s), 0);
    const float l2[4] = {1.0f, 0.5f, 0.0f, 0.0f};
    llm_sampler_accept(s, 0); /* 1.0 - 0.3 - 0.2 = 0.5: tie with id 1, lowest id wins */
    ASSERT_INT_EQ(llm_sampler_sample(s, l2), 0);
    llm_sampler_accept(s, 0); /* 1.0 - 0.6 - 0.2 = 0.2 */
    ASSERT_INT_EQ(llm_sampler_sample(s, l2), 1);
    llm_sampler_free(s);

    p.penalty_last_n = -1;
    ASSERT_INT_EQ(llm_sampler_new(&p, 4, &s), ERR_INVALID);
    p.penalty_last_n = 4;
    ASSERT_INT_EQ(llm_sampler_new(&p, 0, &s), ERR_INVALID);
}

/* Large vocabularies: top-p and min-p cut where the definitions say even when the kept set is
 * much longer than the first sorted prefix the sampler tries. */
TEST_CASE(llm, sampler_large_vocab_truncation)
{
    enum { N = 5000, DRAWS = 1000 };
    static float logits[N];
    struct llm_sampler_params p;
    llm_sampler_params_default(&p);
    p.temperature = 1.0f;
    p.top_k = 0;
    p.min_p = 0.0f;
    p.top_p = 0.5f; /* uniform logits: half of the ids, the lowest ones (ties -> lowest id) */
    p.seed = 99;
    struct llm_sampler *s = NULL;
    ASSERT_INT_EQ(llm_sampler_new(&p, N, &s), 0);
    int max_id = 0;
    for (int i = 0; i < DRAWS; i++) {
        int32_t t = llm_sampler_sample(s, logits);
        max_id = t > max_id ? t : max_id;
    }
    ASSERT_TRUE(max_id <= 2501);
    ASSERT_TRUE(max_id > 2300);
    llm_sampler_free(s);

    /* logit of id i is -0.01 i: min_p 0.5 keeps exp(-0.01 i) >= 0.5, i.e. i <= 69 */
    for (int i = 0; i < N; i++)
        logits[i] = -0.01f * (float)i;
    p.top_p = 1.0f;
    p.min_p = 0.5f;
    ASSERT_INT_EQ(llm_sampler_new(&p, N, &s), 0);
    max_id = 0;
    for (int i = 0; i < DRAWS; i++) {
        int32_t t = llm_sampler_sample(s, logits);
        max_id = t > max_id ? t : max_id;
    }
    ASSERT_INT_EQ(max_id, 69);
    llm_sampler_free(s);
}
