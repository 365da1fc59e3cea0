/* cli_test.c: `relais llm quantize` against llama-quantize's own output files (the files
 * written here must be byte-identical: same tensor types, order, metadata and blocks),
 * `relais llm info` output, and the GGUF writer's setters read back by the reader. */
#include "harness.h"

#include <unistd.h>

#include "base/err.h"
#include "llm/cli.h"
#include "llm/gguf.h"
#include "llm/gguf_write.h"


/* Runs a CLI function with stdout sent to `out_path` (or /dev/null), stderr to /dev/null. */
static int run_quiet(int (*fn)(int, char **), int argc, char **argv, const char *out_path)
{
    fflush(stdout);
    fflush(stderr);
    int saved = dup(1), saved_err = dup(2);
    FILE *f = freopen(out_path ? out_path : "/dev/null", "w", stdout);
    ASSERT_TRUE(f != NULL);
    ASSERT_TRUE(freopen("/dev/null", "w", stderr) != NULL);
    int rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, 1);
    dup2(saved_err, 2);
    close(saved);
    close(saved_err);
    return rc;
}

TEST_CASE(llm, cli_quantize_matches_llama_quantize_bytes)
{
    harness_require_models();
    static const struct {
        const char *in, *type, *want;
        bool pure;
    } cases[] = {
        {"random/random-llama-256-F32.gguf", "Q4_K_M", "random/random-llama-256-Q4_K_M.gguf", 0},
        {"random/random-llama-256-F32.gguf", "Q6_K", "random/random-llama-256-Q6_K.gguf", 0},
        {"random/random-llama-256-F32.gguf", "Q4_0", "random/random-llama-256-Q4_0.gguf", 0},
        {"random/random-llama-256-F32.gguf", "Q8_0", "random/random-llama-256-Q8_0.gguf", 0},
        {"random/random-llama-256-F32.gguf", "BF16", "random/random-llama-256-BF16.gguf", 0},
        {"random/random-llama-256-F32.gguf", "Q5_1", "random/random-llama-256-pure-Q5_1.gguf", 1},
        {"stories260K/stories260K.gguf", "Q4_0", "stories260K/stories260K-Q4_0.gguf", 0},
        {"stories260K/stories260K.gguf", "Q8_0", "stories260K/stories260K-Q8_0.gguf", 0},
        {"stories260K/stories260K.gguf", "F16", "stories260K/stories260K-F16.gguf", 0},
        {"stories260K/stories260K-qwen2arch.gguf", "Q8_0",
         "stories260K/stories260K-qwen2arch-Q8_0.gguf", 0},
    };
    char out[] = "/tmp/llm_quant_XXXXXX";
    int fd = mkstemp(out);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char in[4096];
        snprintf(in, sizeof in, "%s", harness_model_path(cases[i].in));
        char *argv[] = {"quantize", in, out, (char *)cases[i].type, "--pure", NULL};
        int rc = run_quiet(llm_cli_quantize, cases[i].pure ? 5 : 4, argv, NULL);
        ASSERT_INT_EQ(rc, 0);
        size_t got_len, want_len;
        char *got = harness_read_file(out, &got_len);
        char *want = harness_read_file(harness_model_path(cases[i].want), &want_len);
        ASSERT_TRUE(got && want);
        if (got_len != want_len || memcmp(got, want, got_len) != 0) {
            size_t k = 0;
            while (k < got_len && k < want_len && got[k] == want[k])
                k++;
            harness_fail(__FILE__, __LINE__, "%s -> %s: differs from %s at byte %zu",
                         cases[i].in, cases[i].type, cases[i].want, k);
        }
        free(got);
        free(want);
    }
    /* OUT may be IN: the input stays mapped while OUT.tmp is written and renamed over it */
    char copy[] = "/tmp/llm_quant_in_XXXXXX";
    fd = mkstemp(copy);
    ASSERT_TRUE(fd >= 0);
    size_t in_len, want_len;
    char *in_bytes = harness_read_file(harness_model_path("stories260K/stories260K.gguf"), &in_len);
    ASSERT_TRUE(in_bytes && write(fd, in_bytes, in_len) == (ssize_t)in_len);
    close(fd);
    free(in_bytes);
    char *same[] = {"quantize", copy, copy, "Q4_0", NULL};
    ASSERT_INT_EQ(run_quiet(llm_cli_quantize, 4, same, NULL), 0);
    char *got = harness_read_file(copy, &in_len);
    char *want =
        harness_read_file(harness_model_path("stories260K/stories260K-Q4_0.gguf"), &want_len);
    ASSERT_TRUE(got && want && in_len == want_len && memcmp(got, want, in_len) == 0);
    free(got);
    free(want);
    unlink(copy);
    char *bad[] = {"quantize", "x.gguf", out, "Q9_9", NULL};
    ASSERT_INT_EQ(run_quiet(llm_cli_quantize, 4, bad, NULL), 2);
    unlink(out);
}

TEST_CASE(llm, cli_info_prints_tensors_and_totals)
{
    harness_require_models();
    char out[] = "/tmp/llm_info_XXXXXX";
    int fd = mkstemp(out);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    char in[4096];
    snprintf(in, sizeof in, "%s", harness_model_path("stories260K/stories260K-Q4_0.gguf"));
    char *argv[] = {"info", in, NULL};
    ASSERT_INT_EQ(run_quiet(llm_cli_info, 2, argv, out), 0);
    size_t len;
    char *text = harness_read_file(out, &len);
    ASSERT_TRUE(text != NULL);
    static const char *const want[] = {
        "GGUF v3, alignment 32",
        "metadata: 21 entries",
        "tokenizer.ggml.tokens                        array   string[512] \"<unk>\", \"<s>\"",
        "llama.feed_forward_length                    u32     172",
        "general.file_type                            u32     2 (Q4_0)",
        "tensors: 48",
        "blk.4.ffn_down.weight                f16    172 x 64                        22016",
        "q4_0     31 tensors",
        "totals: 48 tensors, 292800 elements",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            harness_fail(__FILE__, __LINE__, "info output lacks \"%s\"", want[i]);
    free(text);
    char *missing[] = {"info", "/nonexistent.gguf", NULL};
    ASSERT_INT_EQ(run_quiet(llm_cli_info, 2, missing, NULL), 1);
    unlink(out);
}

TEST_CASE(llm, gguf_writer_round_trip)
{
    struct llm_gguf_writer *w = llm_gguf_writer_new();
    struct str items[3] = {str_from_cstr("a"), str_from_cstr(""), str_from_cstr("\xe2\x96\x81x")};
    float fv[2] = {1.5f, -2.0f};
    int32_t iv[3] = {-1, 0, 7};
    ASSERT_INT_EQ(llm_gguf_writer_set_u32(w, "general.alignment", 64), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_u32(w, "u", 7), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_u32(w, "u", 8), ERR_EXISTS);
    ASSERT_INT_EQ(llm_gguf_writer_set_i32(w, "i", -3), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_f32(w, "f", 0.5f), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_bool(w, "b", true), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_str(w, "s", str_from_cstr("hello")), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_arr_str(w, "as", items, 3), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_arr_f32(w, "af", fv, 2), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_arr_i32(w, "ai", iv, 3), 0);
    ASSERT_INT_EQ(llm_gguf_writer_set_u32(w, "general.alignment", 48), ERR_INVALID);
    static float data[64 * 2];
    for (int i = 0; i < 128; i++)
        data[i] = (float)i;
    int64_t ne[2] = {64, 2}, ne1[1] = {3};
    ASSERT_INT_EQ(llm_gguf_writer_add_tensor(w, "t", LLM_TYPE_F32, 2, ne, data), 0);
    ASSERT_INT_EQ(llm_gguf_writer_add_tensor(w, "t", LLM_TYPE_F32, 2, ne, data), ERR_EXISTS);
    ASSERT_INT_EQ(llm_gguf_writer_add_tensor(w, "q", LLM_TYPE_Q8_0, 1, ne1, NULL), ERR_INVALID);
    ASSERT_INT_EQ(llm_gguf_writer_add_tensor(w, "v", LLM_TYPE_F32, 1, ne1, data), 0);
    char path[] = "/tmp/llm_writer_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    ASSERT_INT_EQ(llm_gguf_writer_write(w, path, NULL, NULL), 0);
    llm_gguf_writer_free(w);

    struct llm_gguf *g = NULL;
    char err[256];
    int rc = llm_gguf_open(path, &g, err, sizeof err);
    if (rc)
        harness_fail(__FILE__, __LINE__, "%s", err);
    ASSERT_INT_EQ(llm_gguf_alignment(g), 64);
    ASSERT_INT_EQ(llm_gguf_data_offset(g) % 64, 0);
    uint32_t u;
    int64_t i64;
    float f;
    bool b;
    struct str s;
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "u", 0, &u), 0);
    ASSERT_INT_EQ(u, 7);
    ASSERT_INT_EQ(llm_gguf_get_i64(g, "i", 0, &i64), 0);
    ASSERT_INT_EQ(i64, -3);
    ASSERT_INT_EQ(llm_gguf_get_f32(g, "f", 0, &f), 0);
    ASSERT_NEAR(f, 0.5, 0);
    ASSERT_INT_EQ(llm_gguf_get_bool(g, "b", false, &b), 0);
    ASSERT_TRUE(b);
    ASSERT_INT_EQ(llm_gguf_get_str(g, "s", str_from_cstr(""), &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "hello"));
    struct llm_gguf_arr a;
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "as", &a), 0);
    ASSERT_INT_EQ(a.len, 3);
    ASSERT_INT_EQ(llm_gguf_arr_str(&a, 2, &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "\xe2\x96\x81x"));
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "af", &a), 0);
    ASSERT_INT_EQ(llm_gguf_arr_f32(&a, 1, &f), 0);
    ASSERT_NEAR(f, -2.0, 0);
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "ai", &a), 0);
    ASSERT_INT_EQ(llm_gguf_arr_i64(&a, 0, &i64), 0);
    ASSERT_INT_EQ(i64, -1);
    const struct llm_gguf_tensor *t = llm_gguf_find_tensor(g, "t");
    ASSERT_TRUE(t && t->n_elements == 128 && memcmp(t->data, data, sizeof data) == 0);
    t = llm_gguf_find_tensor(g, "v");
    ASSERT_TRUE(t && t->offset % 64 == 0 && ((const float *)t->data)[2] == 2.0f);
    llm_gguf_close(g);
    unlink(path);
}
