/* mkgguf_test.c: tools/mkgguf writes tiny random models other tests rely on: the files must
 * load, carry the architecture's tensors with the requested types and shapes and a usable
 * SentencePiece-style vocabulary, and be identical for identical options. The tool's main()
 * is included here under another name (STYLE.md section 9 allows including a .c). */
#include "harness.h"

#include <unistd.h>

#include "llm/gguf.h"

#define main mkgguf_main
int mkgguf_main(int argc, char **argv);
#include "../../../tools/mkgguf.c"
#undef main

static int run_mkgguf(const char *out, const char *const *args, int nargs)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "mkgguf";
    argv[argc++] = (char *)out;
    for (int i = 0; i < nargs && argc < 31; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    fflush(stderr);
    int saved = dup(2);
    ASSERT_TRUE(freopen("/dev/null", "w", stderr) != NULL);
    int rc = mkgguf_main(argc, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return rc;
}

TEST_CASE(llm, mkgguf_writes_loadable_models)
{
    char a[] = "/tmp/llm_mkgguf_a_XXXXXX", b[] = "/tmp/llm_mkgguf_b_XXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    ASSERT_TRUE(fa >= 0 && fb >= 0);
    close(fa);
    close(fb);

    /* default: llama, F32, 2 layers, n_embd 64, n_ff 128, 4 heads, 2 KV heads, 300 tokens */
    ASSERT_INT_EQ(run_mkgguf(a, NULL, 0), 0);
    struct llm_gguf *g = NULL;
    char err[256];
    if (llm_gguf_open(a, &g, err, sizeof err))
        harness_fail(__FILE__, __LINE__, "%s", err);
    ASSERT_INT_EQ(llm_gguf_tensor_count(g), 3 + 2 * 9);
    struct str s;
    ASSERT_INT_EQ(llm_gguf_get_str(g, "general.architecture", str_from_cstr(""), &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "llama"));
    uint32_t u;
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "llama.attention.head_count_kv", 0, &u), 0);
    ASSERT_INT_EQ(u, 2);
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "llama.rope.dimension_count", 0, &u), 0);
    ASSERT_INT_EQ(u, 16);
    const struct llm_gguf_tensor *t = llm_gguf_find_tensor(g, "blk.1.attn_k.weight");
    ASSERT_TRUE(t && t->type == LLM_TYPE_F32 && t->ne[0] == 64 && t->ne[1] == 32);
    t = llm_gguf_find_tensor(g, "blk.0.ffn_down.weight");
    ASSERT_TRUE(t && t->ne[0] == 128 && t->ne[1] == 64);
    t = llm_gguf_find_tensor(g, "output_norm.weight");
    ASSERT_TRUE(t && t->n_dims == 1 && ((const float *)t->data)[0] > 0.5f);
    ASSERT_TRUE(llm_gguf_find_tensor(g, "output.weight") != NULL);
    struct llm_gguf_arr tok, types;
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "tokenizer.ggml.tokens", &tok), 0);
    ASSERT_INT_EQ(tok.len, 300);
    ASSERT_INT_EQ(llm_gguf_arr_str(&tok, 3, &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "<0x00>"));
    ASSERT_INT_EQ(llm_gguf_arr_str(&tok, 259, &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "\xe2\x96\x81"));
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "tokenizer.ggml.token_type", &types), 0);
    int64_t v;
    ASSERT_INT_EQ(llm_gguf_arr_i64(&types, 1, &v), 0);
    ASSERT_INT_EQ(v, 3);
    llm_gguf_close(g);

    /* identical options, identical bytes; another seed, other weights */
    ASSERT_INT_EQ(run_mkgguf(b, NULL, 0), 0);
    size_t la = 0, lb = 0;
    char *pa = harness_read_file(a, &la), *pb = harness_read_file(b, &lb);
    ASSERT_TRUE(la == lb && memcmp(pa, pb, la) == 0);
    free(pb);
    static const char *const seed2[] = {"--seed", "2"};
    ASSERT_INT_EQ(run_mkgguf(b, seed2, 2), 0);
    pb = harness_read_file(b, &lb);
    ASSERT_TRUE(la == lb && memcmp(pa, pb, la) != 0);
    free(pa);
    free(pb);

    /* qwen2, tied output, Q8_0 matrices with F32 biases */
    static const char *const qwen[] = {"--arch", "qwen2", "--type", "Q8_0", "--tied"};
    ASSERT_INT_EQ(run_mkgguf(a, qwen, 5), 0);
    ASSERT_INT_EQ(llm_gguf_open(a, &g, err, sizeof err), 0);
    ASSERT_TRUE(llm_gguf_find_tensor(g, "output.weight") == NULL);
    t = llm_gguf_find_tensor(g, "blk.0.attn_q.weight");
    ASSERT_TRUE(t && t->type == LLM_TYPE_Q8_0);
    t = llm_gguf_find_tensor(g, "blk.1.attn_v.bias");
    ASSERT_TRUE(t && t->type == LLM_TYPE_F32 && t->ne[0] == 32);
    float f;
    ASSERT_INT_EQ(llm_gguf_get_f32(g, "qwen2.rope.freq_base", 0, &f), 0);
    ASSERT_NEAR(f, 1e6, 0);
    llm_gguf_close(g);

    /* K-quants need rows of 256 */
    static const char *const k_ok[] = {"--type", "Q4_K", "--n-embd", "256", "--n-ff", "512"};
    static const char *const k_bad[] = {"--type", "Q4_K"};
    ASSERT_INT_EQ(run_mkgguf(a, k_ok, 6), 0);
    ASSERT_INT_EQ(llm_gguf_open(a, &g, err, sizeof err), 0);
    t = llm_gguf_find_tensor(g, "token_embd.weight");
    ASSERT_TRUE(t && t->type == LLM_TYPE_Q4_K && t->ne[0] == 256 && t->ne[1] == 300);
    llm_gguf_close(g);
    ASSERT_INT_EQ(run_mkgguf(a, k_bad, 2), 2);

    /* a larger vocabulary: every piece distinct (a tokenizer rejects duplicates) */
    static const char *const big[] = {"--n-vocab", "2000"};
    ASSERT_INT_EQ(run_mkgguf(a, big, 2), 0);
    ASSERT_INT_EQ(llm_gguf_open(a, &g, err, sizeof err), 0);
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "tokenizer.ggml.tokens", &tok), 0);
    ASSERT_INT_EQ(tok.len, 2000);
    for (uint64_t i = 0; i < tok.len; i++) {
        struct str si, sj;
        ASSERT_INT_EQ(llm_gguf_arr_str(&tok, i, &si), 0);
        for (uint64_t j = i + 1; j < tok.len; j++) {
            ASSERT_INT_EQ(llm_gguf_arr_str(&tok, j, &sj), 0);
            if (si.len == sj.len && memcmp(si.ptr, sj.ptr, si.len) == 0)
                harness_fail(__FILE__, __LINE__, "tokens %" PRIu64 " and %" PRIu64
                             " are both \"%.*s\"", i, j, (int)si.len, si.ptr);
        }
    }
    llm_gguf_close(g);
    unlink(a);
    unlink(b);
}
