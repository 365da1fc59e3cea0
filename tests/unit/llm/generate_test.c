/* generate_test.c: the generation loop: greedy text equal to llama.cpp's (reference.json text of
 * stories260K prompt 0), max tokens, stop strings never shown, seeded sampling repeatable,
 * context overflow. */
#include "harness.h"

#include <jansson.h>

#include "base/buf.h"
#include "base/err.h"
#include "llm/generate.h"
#include "llm/llm.h"
#include "llm/sampler.h"

/* stories260K prompt 0 ("Once upon a time, there was a little girl named Lily. She loved to
 * play") as llama.cpp tokenized it, and llama.cpp's greedy continuation (reference.json). */
static const int32_t prompt0[] = {1,   403, 407, 261, 378, 432, 383, 286, 261, 376, 298,
                                  315, 421, 395, 317, 426, 338, 401, 396, 267, 337};

static json_t *load_ref_result(void)
{
    json_t *root = harness_model_json("reference.json");
    json_t *models = json_object_get(root, "models");
    for (size_t i = 0; i < json_array_size(models); i++) {
        json_t *m = json_array_get(models, i);
        if (strcmp(json_string_value(json_object_get(m, "file")),
                   "stories260K/stories260K.gguf") == 0)
            return json_object_get(json_array_get(json_object_get(m, "results"), 0),
                                   "kv_f32_fa_off");
    }
    harness_fail(__FILE__, __LINE__, "no stories260K reference");
}

struct collect {
    struct buf text; /* everything the callback was given */
    int calls;       /* callback calls */
    int stop_after;  /* return 1 at this call (0: never) */
};

static int collect_cb(void *user, int32_t token, const char *text, size_t len)
{
    (void)token;
    struct collect *c = user;
    c->calls++;
    if (text)
        ASSERT_INT_EQ(buf_append(&c->text, text, len), 0);
    return c->stop_after && c->calls == c->stop_after;
}

static struct llm_context *setup(struct llm_model **m, int n_ctx)
{
    char err[256];
    ASSERT_INT_EQ(llm_model_load(harness_path("../shared/models/stories260K/stories260K.gguf"), m,
                                 err, sizeof err),
                  0);
    struct llm_context_params p;
    llm_context_params_default(&p);
    p.n_ctx = n_ctx;
    p.kv_type = LLM_KV_F32;
    struct llm_context *c = NULL;
    ASSERT_INT_EQ(llm_context_new(*m, &p, &c, err, sizeof err), 0);
    return c;
}

TEST_CASE(llm, generate_greedy_text_matches_llama_cpp)
{
    json_t *ref = load_ref_result();
    struct llm_model *m;
    struct llm_context *c = setup(&m, 128);
    int32_t toks[32];
    struct llm_generate_params gp = {.max_tokens = 32, .tokens_out = toks};
    struct collect col = {0};
    buf_init(&col.text, 1 << 16);
    struct llm_generate_result res;
    ASSERT_INT_EQ(llm_generate(c, prompt0, 21, &gp, collect_cb, &col, &res), 0);
    ASSERT_INT_EQ(res.n_prompt, 21);
    ASSERT_INT_EQ(res.n_generated, 32);
    ASSERT_INT_EQ(res.reason, LLM_STOP_MAX_TOKENS);
    json_t *want = json_object_get(ref, "tokens");
    for (int i = 0; i < 32; i++)
        ASSERT_INT_EQ(toks[i], json_integer_value(json_array_get(want, (size_t)i)));
    ASSERT_STR_EQ(buf_cstr(&col.text), json_string_value(json_object_get(ref, "text")));
    buf_fini(&col.text);

    /* max_tokens */
    gp.max_tokens = 5;
    buf_init(&col.text, 1 << 16);
    ASSERT_INT_EQ(llm_generate(c, prompt0, 21, &gp, collect_cb, &col, &res), 0);
    ASSERT_INT_EQ(res.n_generated, 5);
    ASSERT_INT_EQ(res.reason, LLM_STOP_MAX_TOKENS);
    /* the text of 5 tokens is a non-empty prefix of the 32-token text */
    const char *full = json_string_value(json_object_get(ref, "text"));
    ASSERT_TRUE(col.text.len > 0 && col.text.len < strlen(full));
    ASSERT_TRUE(strncmp(buf_cstr(&col.text), full, col.text.len) == 0);
    buf_fini(&col.text);

    /* the callback can stop it */
    gp.max_tokens = 32;
    col = (struct collect){.stop_after = 3};
    buf_init(&col.text, 1 << 16);
    ASSERT_INT_EQ(llm_generate(c, prompt0, 21, &gp, collect_cb, &col, &res), 0);
    ASSERT_INT_EQ(res.reason, LLM_STOP_CALLBACK);
    ASSERT_INT_EQ(res.n_generated, 3);
    buf_fini(&col.text);
    llm_context_free(c);
    llm_model_unref(m);
}

TEST_CASE(llm, generate_stop_strings)
{
    /* continuation: " outside in the park. One day, she saw a big, red ball. She wanted ..." */
    const struct {
        const char *stop[2];
        const char *want_text;
        enum llm_stop_reason reason;
    } rows[] = {
        {{"park", NULL}, " outside in the ", LLM_STOP_STRING},
        {{". One", NULL}, " outside in the park", LLM_STOP_STRING},
        {{"red", "day"}, " outside in the park. One ", LLM_STOP_STRING},
        {{"zebra", NULL}, " outside in the park. One day, she saw a big, red ball. She wanted to "
                          "play with it,", LLM_STOP_MAX_TOKENS},
        /* a prefix of a stop string at the end is held back, then released */
        {{"it,!", NULL}, " outside in the park. One day, she saw a big, red ball. She wanted to "
                         "play with it,", LLM_STOP_MAX_TOKENS},
    };
    struct llm_model *m;
    struct llm_context *c = setup(&m, 128);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n_stop = rows[i].stop[1] ? 2 : 1;
        struct llm_generate_params gp = {.max_tokens = 32, .stop = rows[i].stop, .n_stop = n_stop};
        struct collect col = {0};
        buf_init(&col.text, 1 << 16);
        struct llm_generate_result res;
        ASSERT_INT_EQ(llm_generate(c, prompt0, 21, &gp, collect_cb, &col, &res), 0);
        ASSERT_STR_EQ(buf_cstr(&col.text), rows[i].want_text);
        ASSERT_INT_EQ(res.reason, rows[i].reason);
        buf_fini(&col.text);
    }
    llm_context_free(c);
    llm_model_unref(m);
}

TEST_CASE(llm, generate_fixed_seed_fixed_sequence)
{
    struct llm_model *m;
    struct llm_context *c = setup(&m, 128);
    int32_t runs[3][32];
    const uint64_t seeds[3] = {42, 42, 43};
    for (int r = 0; r < 3; r++) {
        struct llm_sampler_params sp;
        llm_sampler_params_default(&sp);
        sp.temperature = 1.0f;
        sp.top_k = 0;
        sp.top_p = 1.0f;
        sp.min_p = 0.0f;
        sp.seed = seeds[r];
        struct llm_sampler *s = NULL;
        ASSERT_INT_EQ(llm_sampler_new(&sp, 512, &s), 0);
        struct llm_generate_params gp = {.max_tokens = 32, .sampler = s, .tokens_out = runs[r],
                                         .ignore_eog = true};
        struct llm_generate_result res;
        ASSERT_INT_EQ(llm_generate(c, prompt0, 21, &gp, NULL, NULL, &res), 0);
        ASSERT_INT_EQ(res.n_generated, 32);
        llm_sampler_free(s);
    }
    ASSERT_TRUE(memcmp(runs[0], runs[1], sizeof runs[0]) == 0);
    ASSERT_TRUE(memcmp(runs[0], runs[2], sizeof runs[0]) != 0);
    llm_context_free(c);
    llm_model_unref(m);
}

TEST_CASE(llm, generate_context_overflow)
{
    struct llm_model *m;
    struct llm_context *c = setup(&m, 16);
    struct llm_generate_params gp = {.max_tokens = 32};
    struct llm_generate_result res;
    ASSERT_INT_EQ(llm_generate(c, prompt0, 21, &gp, NULL, NULL, &res), ERR_TOO_LARGE);
    ASSERT_TRUE(strstr(llm_context_error(c), "context overflow") != NULL);
    /* 10 prompt tokens in 16 positions: 6 more decodes, so 7 sampled tokens */
    ASSERT_INT_EQ(llm_generate(c, prompt0, 10, &gp, NULL, NULL, &res), 0);
    ASSERT_INT_EQ(res.reason, LLM_STOP_CONTEXT);
    ASSERT_INT_EQ(res.n_generated, 7);
    llm_context_free(c);
    llm_model_unref(m);
}

/* End to end on the two BPE models: prompt text -> llama.cpp's prompt ids -> 32 greedy tokens ->
 * llama.cpp's text, byte for byte. */
TEST_CASE(llm, generate_end_to_end_bpe_models)
{
    static const char *const files[] = {"random/random-qwen2-tiny-Q8_0.gguf",
                                        "random/random-llama3-tiny-Q8_0.gguf"};
    json_t *root = harness_model_json("reference.json");
    json_t *prompts = json_object_get(root, "prompts");
    json_t *models = json_object_get(root, "models");
    for (size_t f = 0; f < 2; f++) {
        json_t *ref = NULL;
        for (size_t i = 0; i < json_array_size(models); i++)
            if (strcmp(json_string_value(json_object_get(json_array_get(models, i), "file")),
                       files[f]) == 0)
                ref = json_array_get(models, i);
        ASSERT_TRUE(ref != NULL);
        char path[256], err[256];
        snprintf(path, sizeof path, "../shared/models/%s", files[f]);
        struct llm_model *m = NULL;
        ASSERT_INT_EQ(llm_model_load(harness_path(path), &m, err, sizeof err), 0);
        struct llm_context_params p;
        llm_context_params_default(&p);
        p.n_ctx = 128;
        struct llm_context *c = NULL;
        ASSERT_INT_EQ(llm_context_new(m, &p, &c, err, sizeof err), 0);
#ifdef __OPTIMIZE__
        const unsigned mask = 0x1f;
#else
        const unsigned mask = f == 0 ? 0x01 : 0x10; /* the ASan pass: one prompt each */
#endif
        json_t *results = json_object_get(ref, "results");
        for (size_t r = 0; r < json_array_size(results); r++) {
            if (!(mask & (1u << r)))
                continue;
            json_t *res = json_array_get(results, r);
            const char *text = json_string_value(json_array_get(prompts, r));
            int32_t *toks = NULL;
            size_t n = 0;
            ASSERT_INT_EQ(llm_model_tokenize(m, text, strlen(text), true, false, &toks, &n), 0);
            json_t *want_toks = json_object_get(res, "prompt_tokens");
            ASSERT_INT_EQ(n, json_array_size(want_toks));
            for (size_t i = 0; i < n; i++)
                ASSERT_INT_EQ(toks[i], json_integer_value(json_array_get(want_toks, i)));
            struct llm_generate_params gp = {.max_tokens = 32};
            struct collect col = {0};
            buf_init(&col.text, 1 << 16);
            struct llm_generate_result gr;
            ASSERT_INT_EQ(llm_generate(c, toks, (int)n, &gp, collect_cb, &col, &gr), 0);
            ASSERT_INT_EQ(gr.n_generated, 32);
            json_t *kv = json_object_get(res, "kv_f16_fa_auto");
            const char *hex = json_string_value(json_object_get(kv, "text_hex"));
            ASSERT_INT_EQ(col.text.len * 2, strlen(hex));
            for (size_t i = 0; i < col.text.len; i++) {
                char two[3];
                snprintf(two, sizeof two, "%02x", (unsigned char)col.text.data[i]);
                if (two[0] != hex[2 * i] || two[1] != hex[2 * i + 1])
                    harness_fail(__FILE__, __LINE__, "%s prompt %zu: byte %zu differs", files[f],
                                 r, i);
            }
            buf_fini(&col.text);
            free(toks);
        }
        llm_context_free(c);
        llm_model_unref(m);
    }
    json_decref(root);
}

/* A follow-up prompt that extends what the slot holds decodes only the new tokens, and the
 * continuation is the same as before. */
TEST_CASE(llm, generate_reuses_cached_prefix)
{
    struct llm_model *m;
    struct llm_context *c = setup(&m, 128);
    int32_t first[32], second[22], prompt[31];
    struct llm_generate_params gp = {.max_tokens = 32, .tokens_out = first, .reuse_prefix = true};
    struct llm_generate_result res;
    ASSERT_INT_EQ(llm_generate(c, prompt0, 21, &gp, NULL, NULL, &res), 0);
    ASSERT_INT_EQ(res.n_reused, 0);
    memcpy(prompt, prompt0, sizeof prompt0);
    memcpy(prompt + 21, first, 10 * sizeof(int32_t));
    ASSERT_INT_EQ(llm_seq_common_prefix(c, 0, prompt, 31), 31);
    gp.max_tokens = 22;
    gp.tokens_out = second;
    ASSERT_INT_EQ(llm_generate(c, prompt, 31, &gp, NULL, NULL, &res), 0);
    ASSERT_INT_EQ(res.n_reused, 30);
    ASSERT_INT_EQ(res.n_generated, 22);
    ASSERT_TRUE(memcmp(second, first + 10, sizeof second) == 0);
    /* a different prompt shares only the BOS and the first word */
    int32_t other[3] = {1, 403, 300};
    ASSERT_INT_EQ(llm_seq_common_prefix(c, 0, other, 3), 2);
    gp.max_tokens = 1;
    ASSERT_INT_EQ(llm_generate(c, other, 3, &gp, NULL, NULL, &res), 0);
    ASSERT_INT_EQ(res.n_reused, 2);
    ASSERT_INT_EQ(llm_seq_len(c, 0), 3);
    llm_context_free(c);
    llm_model_unref(m);
}
