/* tokenizer_test.c: the tokenizers (src/llm/tokenizer/) against llama.cpp's own outputs.
 *
 * - every vocab/ggml-vocab-*.gguf with .inp/.out vectors (llama.cpp's test-tokenizer-0
 *   data): each case tokenized with add_special = parse_special = false must give the
 *   .out ids exactly, and detokenize back to the input where the vocab is lossless;
 * - reference.json: tokenizer_vectors (five prompts, with and without BOS) for each vocab
 *   file, and prompt_tokens of every model file, all produced by llama.cpp;
 * - small hand-made vocabs for the merge order, byte fallback and special-token rules;
 * - the streaming decoder and a replay of the fuzz corpus. */
#include "harness.h"

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/str.h"
#include "llm/gguf.h"
#include "llm/tokenizer/internal.h"
#include "llm/tokenizer/tokenizer.h"
#include "llm/tokenizer/unicode.h"

#define TOKENIZER_FUZZ_NO_MAIN
#include "fuzz/tokenizer_fuzz.c"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Opens a GGUF under shared/models and loads its vocab; skips when the file is absent. */
static struct llm_vocab *load_vocab(const char *rel, int *rc_out, double *ms)
{
    struct llm_gguf *g = NULL;
    struct llm_vocab *v = NULL;
    char err[256];
    if (llm_gguf_open(harness_model_path(rel), &g, err, sizeof err) != 0)
        harness_skip("model file not readable");
    double t0 = now_ms();
    int rc = llm_vocab_load(g, &v, err, sizeof err);
    if (ms)
        *ms = now_ms() - t0;
    llm_gguf_close(g);
    if (rc_out)
        *rc_out = rc;
    else if (rc != 0)
        harness_fail(__FILE__, __LINE__, "llm_vocab_load(%s): %s (%s)", rel, err_str(rc), err);
    return v;
}

/* Tokenizes text and checks the ids are exactly want[0..n_want). */
static void expect_ids(const struct llm_vocab *v, const char *text, bool add_special,
                       bool parse_special, const int32_t *want, size_t n_want)
{
    int32_t ids[64];
    size_t n;
    ASSERT_INT_EQ(llm_tokenize(v, text, strlen(text), add_special, parse_special, ids, 64, &n), 0);
    ASSERT_INT_EQ(n, n_want);
    for (size_t k = 0; k < n_want; k++)
        ASSERT_INT_EQ(ids[k], want[k]);
}

static void escape(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
    }
    out[k] = '\0';
}

static void ids_to_text(const int32_t *ids, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && k + 12 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, " %d", ids[i]);
}

/* clean_up_tokenization_spaces changes text around these; such cases cannot round-trip */
static bool has_cleanup_pattern(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == ' ' && (s[i + 1] == '?' || s[i + 1] == '!' || s[i + 1] == '.' ||
                            s[i + 1] == ',' || s[i + 1] == '\''))
            return true;
    return false;
}

/* Runs vocab/<name>.gguf.inp against .out. clean_spaces: the vocab tidies spaces when
 * detokenizing, so inputs with " ," and friends cannot come back unchanged. */
static void run_vocab_vectors(const char *name, bool clean_spaces)
{
    char rel[256], path_inp[4096], path_out[4096];
    snprintf(rel, sizeof rel, "vocab/ggml-vocab-%s.gguf", name);
    snprintf(path_inp, sizeof path_inp, "%s.inp", harness_model_path(rel));
    snprintf(path_out, sizeof path_out, "%s.out", harness_model_path(rel));
    double ms = 0;
    struct llm_vocab *v = load_vocab(rel, NULL, &ms);
    size_t inp_len, out_len;
    char *inp = harness_read_file(path_inp, &inp_len);
    char *outs = harness_read_file(path_out, &out_len);
    ASSERT_TRUE(inp != NULL && outs != NULL);

    static const char sep[] = "\n__ggml_vocab_test__\n";
    const size_t sep_len = sizeof sep - 1;
    ASSERT_INT_EQ(sep_len, 21);
    size_t cases = 0, wrong = 0, detok_checked = 0, detok_wrong = 0;
    char first[4096] = "";
    char *line = outs;
    size_t pos = 0;
    while (pos < inp_len) {
        /* the last case may lack its separator (gemma-4's file does) */
        const char *end = memmem(inp + pos, inp_len - pos, sep, sep_len);
        size_t len = end ? (size_t)(end - (inp + pos)) : inp_len - pos;
        const char *text = inp + pos;
        pos += len + (end ? sep_len : 0);

        char *nl = strchr(line, '\n');
        ASSERT_TRUE(nl != NULL);
        *nl = '\0';
        int32_t want[4096];
        size_t n_want = 0;
        for (char *p = line; *p;) {
            while (*p == ' ')
                p++;
            if (!*p)
                break;
            char *q = p;
            while (*q && *q != ' ')
                q++;
            int64_t id;
            ASSERT_INT_EQ(str_to_i64(p, (size_t)(q - p), 0, INT32_MAX, &id), 0);
            ASSERT_TRUE(n_want < 4096);
            want[n_want++] = (int32_t)id;
            p = q;
        }
        line = nl + 1;
        cases++;

        int32_t *got = NULL;
        size_t n_got = 0;
        ASSERT_INT_EQ(llm_tokenize_alloc(v, text, len, false, false, &got, &n_got), 0);
        bool ok = n_got == n_want && memcmp(got, want, n_got * sizeof *got) == 0;
        if (!ok) {
            if (wrong == 0) {
                char e[512], g1[1024], w1[1024];
                escape(text, len, e, sizeof e);
                ids_to_text(got, n_got, g1, sizeof g1);
                ids_to_text(want, n_want, w1, sizeof w1);
                snprintf(first, sizeof first, "case %zu \"%s\": got [%s ] want [%s ]", cases - 1,
                         e, g1, w1);
            }
            wrong++;
        } else if (llm_vocab_type(v) != LLM_VOCAB_WPM && /* WordPiece lowercases: lossy */
                   str_utf8_valid(text, len) && !(clean_spaces && has_cleanup_pattern(text, len))) {
            struct buf b;
            buf_init(&b, 1 << 20);
            ASSERT_INT_EQ(llm_detokenize(v, got, n_got, false, false, &b), 0);
            detok_checked++;
            if (b.len != len || memcmp(b.data ? b.data : "", text, len) != 0) {
                if (detok_wrong == 0 && wrong == 0) {
                    char e[512], d1[512];
                    escape(text, len, e, sizeof e);
                    escape(b.data ? b.data : "", b.len, d1, sizeof d1);
                    snprintf(first, sizeof first, "detokenize case %zu: \"%s\" came back \"%s\"",
                             cases - 1, e, d1);
                }
                detok_wrong++;
            }
            buf_fini(&b);
        }
        free(got);
    }
    printf("    %s: %zu cases, %zu wrong, detokenized %zu (%zu wrong), load %.1f ms\n", name,
           cases, wrong, detok_checked, detok_wrong, ms);
    ASSERT_TRUE(cases >= 40);
    if (wrong || detok_wrong)
        harness_fail(__FILE__, __LINE__,
                     "%s: %zu/%zu cases wrong, %zu detokenized wrong; first: %s", name, wrong,
                     cases, detok_wrong, first);
    free(inp);
    free(outs);
    llm_vocab_free(v);
}

TEST_CASE(llm, tokenizer_vocab_llama_spm) { run_vocab_vectors("llama-spm", false); }
TEST_CASE(llm, tokenizer_vocab_phi_3) { run_vocab_vectors("phi-3", false); }
TEST_CASE(llm, tokenizer_vocab_llama_bpe) { run_vocab_vectors("llama-bpe", true); }
TEST_CASE(llm, tokenizer_vocab_qwen2) { run_vocab_vectors("qwen2", false); }
TEST_CASE(llm, tokenizer_vocab_qwen35) { run_vocab_vectors("qwen35", false); }
TEST_CASE(llm, tokenizer_vocab_gpt_2) { run_vocab_vectors("gpt-2", true); }
TEST_CASE(llm, tokenizer_vocab_mpt) { run_vocab_vectors("mpt", true); }
TEST_CASE(llm, tokenizer_vocab_starcoder) { run_vocab_vectors("starcoder", true); }
TEST_CASE(llm, tokenizer_vocab_refact) { run_vocab_vectors("refact", true); }
TEST_CASE(llm, tokenizer_vocab_command_r) { run_vocab_vectors("command-r", false); }
TEST_CASE(llm, tokenizer_vocab_falcon) { run_vocab_vectors("falcon", true); }
TEST_CASE(llm, tokenizer_vocab_deepseek_llm) { run_vocab_vectors("deepseek-llm", false); }
TEST_CASE(llm, tokenizer_vocab_deepseek_coder) { run_vocab_vectors("deepseek-coder", false); }
TEST_CASE(llm, tokenizer_vocab_gemma_4) { run_vocab_vectors("gemma-4", true); }
TEST_CASE(llm, tokenizer_vocab_bert_bge) { run_vocab_vectors("bert-bge", true); }

/* BERT's special ids come from llama.cpp's WordPiece defaults ([CLS] 101, [UNK] 100,
 * [SEP] 102) and wrap the text with add_special; "[CLS]" in the text is plain text unless
 * parse_special. */
TEST_CASE(llm, tokenizer_wordpiece_specials)
{
    struct llm_vocab *v = load_vocab("vocab/ggml-vocab-bert-bge.gguf", NULL, NULL);
    ASSERT_INT_EQ(llm_vocab_type(v), LLM_VOCAB_WPM);
    ASSERT_INT_EQ(llm_vocab_bos(v), 101);
    ASSERT_INT_EQ(llm_vocab_unk(v), 100);
    ASSERT_INT_EQ(llm_vocab_sep(v), 102);
    int32_t ids[16];
    size_t n;
    ASSERT_INT_EQ(llm_tokenize(v, "[CLS] hi", 8, true, true, ids, 16, &n), 0);
    ASSERT_INT_EQ(n, 4);
    ASSERT_INT_EQ(ids[0], 101);
    ASSERT_INT_EQ(ids[1], 101);
    ASSERT_INT_EQ(ids[3], 102);
    ASSERT_INT_EQ(llm_tokenize(v, "[CLS] hi", 8, false, false, ids, 16, &n), 0);
    for (size_t i = 0; i < n; i++)
        ASSERT_TRUE(ids[i] != 101);
    llm_vocab_free(v);
}

/* Tokenizer models llama.cpp has but we do not (Unigram, RWKV, ...) are refused by name. */
TEST_CASE(llm, tokenizer_unsupported_models_rejected)
{
    static const char *const models[] = {"t5", "rwkv", "plamo2", "no_vocab", ""};
    struct str toks[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        struct llm_vocab_desc d;
        llm_vocab_desc_init(&d);
        d.model = str_from_cstr(models[i]);
        d.n_tokens = 3;
        d.tokens = toks;
        struct llm_vocab *v = (struct llm_vocab *)&d; /* must come back NULL */
        char err[128];
        ASSERT_INT_EQ(llm_vocab_build(&d, &v, err, sizeof err), ERR_UNSUPPORTED);
        ASSERT_TRUE(v == NULL);
        ASSERT_TRUE(strstr(err, "unsupported tokenizer model") != NULL);
    }
}

static void check_ids(json_t *want, const int32_t *got, size_t n_got, const char *what,
                      size_t idx)
{
    bool ok = json_array_size(want) == n_got;
    for (size_t i = 0; ok && i < n_got; i++)
        ok = json_integer_value(json_array_get(want, i)) == got[i];
    if (!ok) {
        char g1[2048], w1[2048];
        size_t k = 0;
        ids_to_text(got, n_got, g1, sizeof g1);
        w1[0] = '\0';
        for (size_t i = 0; i < json_array_size(want) && k + 12 < sizeof w1; i++)
            k += (size_t)snprintf(w1 + k, sizeof w1 - k, " %lld",
                                  (long long)json_integer_value(json_array_get(want, i)));
        harness_fail(__FILE__, __LINE__, "%s prompt %zu: got [%s ] want [%s ]", what, idx, g1, w1);
    }
}

/* Tokenizes prompt pi (text) of the reference and checks the ids against want (a JSON array). */
static void check_prompt(const struct llm_vocab *v, const char *text, bool add_special,
                         json_t *want, const char *file, size_t pi)
{
    int32_t *ids;
    size_t n;
    ASSERT_INT_EQ(llm_tokenize_alloc(v, text, strlen(text), add_special, false, &ids, &n), 0);
    check_ids(want, ids, n, file, pi);
    free(ids);
}

/* reference.json tokenizer_vectors: the five prompts with and without special tokens. */
TEST_CASE(llm, tokenizer_reference_vectors)
{
    json_t *ref = harness_model_json("reference.json");
    json_t *prompts = json_object_get(ref, "prompts");
    json_t *tv = json_object_get(ref, "tokenizer_vectors");
    ASSERT_INT_EQ(json_array_size(prompts), 5);
    const char *file;
    json_t *entry;
    int checked = 0;
    json_object_foreach(tv, file, entry) {
        struct llm_vocab *v = load_vocab(file, NULL, NULL);
        ASSERT_INT_EQ(llm_vocab_n_tokens(v), json_integer_value(json_object_get(entry, "n_vocab")));
        ASSERT_INT_EQ(llm_vocab_add_bos(v), json_is_true(json_object_get(entry, "add_bos")));
        size_t i;
        json_t *pt;
        json_array_foreach(json_object_get(entry, "prompt_tokens"), i, pt) {
            size_t pi = (size_t)json_integer_value(json_object_get(pt, "prompt_index"));
            const char *text = json_string_value(json_array_get(prompts, pi));
            for (int special = 0; special < 2; special++) {
                check_prompt(v, text, special,
                             json_object_get(pt, special ? "add_special" : "no_special"), file, pi);
                checked++;
            }
        }
        llm_vocab_free(v);
    }
    ASSERT_INT_EQ(checked, 15 * 5 * 2);
    json_decref(ref);
}

/* reference.json models[].results[].prompt_tokens: each model file's own vocab. */
TEST_CASE(llm, tokenizer_reference_model_prompts)
{
    json_t *ref = harness_model_json("reference.json");
    json_t *prompts = json_object_get(ref, "prompts");
    size_t mi;
    json_t *m;
    int checked = 0;
    json_array_foreach(json_object_get(ref, "models"), mi, m) {
        const char *file = json_string_value(json_object_get(m, "file"));
        struct llm_vocab *v = load_vocab(file, NULL, NULL);
        ASSERT_INT_EQ(llm_vocab_add_bos(v), json_is_true(json_object_get(m, "add_bos")));
        size_t ri;
        json_t *r;
        json_array_foreach(json_object_get(m, "results"), ri, r) {
            size_t pi = (size_t)json_integer_value(json_object_get(r, "prompt_index"));
            const char *text = json_string_value(json_array_get(prompts, pi));
            check_prompt(v, text, true, json_object_get(r, "prompt_tokens"), file, pi);
            checked++;
        }
        llm_vocab_free(v);
    }
    ASSERT_TRUE(checked >= 25 * 5);
    json_decref(ref);
}

static int hexnib(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* reference.json models[].results[].<config>.tokens: llama.cpp's pieces of the generated ids
 * (special tokens rendered), concatenated, are text_hex byte for byte; the streaming decoder gives
 * `text` (where invalid UTF-8 shows as U+FFFD). */
TEST_CASE(llm, tokenizer_reference_generated_text)
{
    json_t *ref = harness_model_json("reference.json");
    static const char *const configs[] = {"kv_f16_fa_auto", "kv_f32_fa_off"};
    size_t mi;
    json_t *m;
    int checked = 0;
    json_array_foreach(json_object_get(ref, "models"), mi, m) {
        const char *file = json_string_value(json_object_get(m, "file"));
        struct llm_vocab *v = load_vocab(file, NULL, NULL);
        size_t ri;
        json_t *r;
        json_array_foreach(json_object_get(m, "results"), ri, r) {
            for (int c = 0; c < 2; c++) {
                json_t *res = json_object_get(r, configs[c]);
                json_t *toks = json_object_get(res, "tokens");
                const char *hex = json_string_value(json_object_get(res, "text_hex"));
                json_t *text = json_object_get(res, "text");
                struct buf pieces, stream;
                buf_init(&pieces, 1 << 16);
                buf_init(&stream, 1 << 16);
                struct llm_detok d;
                llm_detok_init(&d, v, true, false);
                size_t ti;
                json_t *t;
                json_array_foreach(toks, ti, t) {
                    int32_t id = (int32_t)json_integer_value(t);
                    ASSERT_INT_EQ(llm_token_to_piece(v, id, true, 0, &pieces), 0);
                    ASSERT_INT_EQ(llm_detok_push(&d, id, &stream), 0);
                }
                ASSERT_INT_EQ(llm_detok_flush(&d, &stream), 0);
                size_t hl = strlen(hex);
                bool same = hl == 2 * pieces.len;
                for (size_t i = 0; same && i < pieces.len; i++)
                    same =
                        (uint8_t)pieces.data[i] == hexnib(hex[2 * i]) * 16 + hexnib(hex[2 * i + 1]);
                if (!same)
                    harness_fail(__FILE__, __LINE__,
                                 "%s result %zu %s: pieces differ from text_hex", file, ri,
                                 configs[c]);
                if (stream.len != json_string_length(text) ||
                    memcmp(buf_cstr(&stream), json_string_value(text), stream.len) != 0)
                    harness_fail(__FILE__, __LINE__, "%s result %zu %s: stream \"%s\" != \"%s\"",
                                 file, ri, configs[c], buf_cstr(&stream), json_string_value(text));
                buf_fini(&pieces);
                buf_fini(&stream);
                checked++;
            }
        }
        llm_vocab_free(v);
    }
    ASSERT_TRUE(checked >= 25 * 5 * 2);
    json_decref(ref);
}

/* A hand-made SentencePiece vocab: best score merges first, unknown characters fall back
 * to byte tokens, BOS is added by default. Expected ids worked out by hand. */
TEST_CASE(llm, tokenizer_spm_scores_and_byte_fallback)
{
    static const char *const texts[] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a", "b", "ab",
                                        ("\xe2\x96\x81" "a"), "<0xC3>", "<0xA9>", "c", "bc"};
    static const float scores[] = {0, 0, 0, -1, -2, -3, -0.5f, -0.1f, 0, 0, -4, -0.2f};
    static const int32_t types[] = {2, 3, 3, 1, 1, 1, 1, 1, 6, 6, 1, 1};
    struct str toks[12];
    for (int i = 0; i < 12; i++)
        toks[i] = str_from_cstr(texts[i]);
    struct llm_vocab_desc d;
    llm_vocab_desc_init(&d);
    d.model = str_from_cstr("llama");
    d.n_tokens = 12;
    d.tokens = toks;
    d.scores = scores;
    d.types = types;
    struct llm_vocab *v = NULL;
    char err[128];
    ASSERT_INT_EQ(llm_vocab_build(&d, &v, err, sizeof err), 0);
    static const struct {
        const char *text;
        bool add_special;
        int n;
        int32_t ids[6];
    } cases[] = {
        {"abc", false, 2, {7, 11}},          /* "▁a" (-0.1) before "bc" (-0.2) before "ab" */
        {"abc", true, 3, {1, 7, 11}},        /* BOS by default for SPM */
        {"\xc3\xa9", false, 3, {3, 8, 9}},   /* é has no piece: <0xC3> <0xA9> */
        {"", true, 1, {1}},
        {"", false, 0, {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_ids(v, cases[i].text, cases[i].add_special, false, cases[i].ids,
                   (size_t)cases[i].n);
    /* detokenize removes the prefix space; the byte tokens rebuild é */
    int32_t ids[] = {3, 8, 9};
    struct buf b;
    buf_init(&b, 64);
    ASSERT_INT_EQ(llm_detokenize(v, ids, 3, false, false, &b), 0);
    ASSERT_STR_EQ(buf_cstr(&b), "\xc3\xa9");
    /* too small an output array: the count needed is reported */
    int32_t one[1];
    size_t n;
    ASSERT_INT_EQ(llm_tokenize(v, "abc", 3, true, false, one, 1, &n), ERR_TOO_LARGE);
    ASSERT_INT_EQ(n, 3);
    ASSERT_INT_EQ(one[0], 1);
    buf_fini(&b);
    llm_vocab_free(v);
}

/* A hand-made byte-level BPE vocab: merges apply by rank, not left to right. */
TEST_CASE(llm, tokenizer_bpe_merge_ranks)
{
    static const char *const texts[] = {"a", "b", "c", "ab", "abc", "\xc4\xa0", ("\xc4\xa0" "a"),
                                        "<|x|>"};
    static const int32_t types[] = {1, 1, 1, 1, 1, 1, 1, 3};
    static const char *const merge_texts[] = {"a b", "ab c", "\xc4\xa0 a"};
    struct str toks[8], merges[3];
    for (int i = 0; i < 8; i++)
        toks[i] = str_from_cstr(texts[i]);
    for (int i = 0; i < 3; i++)
        merges[i] = str_from_cstr(merge_texts[i]);
    struct llm_vocab_desc d;
    llm_vocab_desc_init(&d);
    d.model = str_from_cstr("gpt2");
    d.pre = str_from_cstr("gpt-2");
    d.n_tokens = 8;
    d.tokens = toks;
    d.types = types;
    d.n_merges = 3;
    d.merges = merges;
    d.eos_id = 7;
    d.bos_id = 7;
    struct llm_vocab *v = NULL;
    char err[128];
    ASSERT_INT_EQ(llm_vocab_build(&d, &v, err, sizeof err), 0);
    ASSERT_TRUE(!llm_vocab_add_bos(v)); /* gpt-2: no BOS unless the file says so */
    ASSERT_TRUE(llm_vocab_is_eog(v, 7));
    /* "abc abc" -> "abc" | " abc"; in " abc" rank 0 (a b) wins over rank 2 (Ġ a) */
    expect_ids(v, "abc abc", false, false, (const int32_t[]){4, 5, 4}, 3);
    /* " a" alone merges through rank 2 */
    expect_ids(v, " a", false, false, (const int32_t[]){6}, 1);
    /* control tokens only with parse_special */
    expect_ids(v, "<|x|>ab", false, true, (const int32_t[]){7, 3}, 2);
    llm_vocab_free(v);

    /* unknown pre-tokenizer and duplicate tokens are refused with a reason */
    d.pre = str_from_cstr("no-such-pre");
    ASSERT_INT_EQ(llm_vocab_build(&d, &v, err, sizeof err), ERR_UNSUPPORTED);
    ASSERT_TRUE(strstr(err, "no-such-pre") != NULL);
    d.pre = str_from_cstr("gpt-2");
    toks[1] = toks[0];
    ASSERT_INT_EQ(llm_vocab_build(&d, &v, err, sizeof err), ERR_INVALID);
    ASSERT_TRUE(strstr(err, "duplicate") != NULL);
}

/* Chat-template markers become single ids only with parse_special (Qwen2 ids from its
 * tokenizer: <|im_start|> 151644, user 872, \n 198, Hello 9707, <|im_end|> 151645). */
TEST_CASE(llm, tokenizer_special_tokens_qwen2)
{
    struct llm_vocab *v = load_vocab("vocab/ggml-vocab-qwen2.gguf", NULL, NULL);
    static const char text[] = "<|im_start|>user\nHello<|im_end|>\n";
    static const int32_t want[] = {151644, 872, 198, 9707, 151645, 198};
    expect_ids(v, text, false, true, want, 6);
    ASSERT_TRUE(llm_vocab_is_eog(v, 151645));
    ASSERT_TRUE(llm_vocab_is_eog(v, 151643));
    ASSERT_TRUE(!llm_vocab_is_eog(v, 151644));
    ASSERT_INT_EQ(llm_vocab_eot(v), 151645);
    ASSERT_INT_EQ(llm_vocab_nl(v), 198);
    int32_t ids[64];
    size_t n;
    ASSERT_INT_EQ(llm_tokenize(v, text, strlen(text), false, false, ids, 64, &n), 0);
    ASSERT_TRUE(n > 6);
    for (size_t i = 0; i < n; i++)
        ASSERT_TRUE(ids[i] != 151644 && ids[i] != 151645);
    /* control tokens render only when asked */
    struct buf b;
    buf_init(&b, 256);
    ASSERT_INT_EQ(llm_token_to_piece(v, 151644, false, 0, &b), 0);
    ASSERT_INT_EQ(b.len, 0);
    ASSERT_INT_EQ(llm_token_to_piece(v, 151644, true, 0, &b), 0);
    ASSERT_STR_EQ(buf_cstr(&b), "<|im_start|>");
    buf_fini(&b);
    llm_vocab_free(v);
}

/* Llama 3's chat header markers (ids from its tokenizer: <|begin_of_text|> 128000,
 * <|start_header_id|> 128006, user 882, <|end_header_id|> 128007, "\n\n" 271, Hello 9906,
 * <|eot_id|> 128009). */
TEST_CASE(llm, tokenizer_special_tokens_llama3)
{
    struct llm_vocab *v = load_vocab("vocab/ggml-vocab-llama-bpe.gguf", NULL, NULL);
    static const char text[] = "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>";
    static const int32_t want[] = {128000, 128006, 882, 128007, 271, 9906, 128009};
    expect_ids(v, text, true, true, want, 7);
    ASSERT_INT_EQ(llm_vocab_bos(v), 128000);
    ASSERT_INT_EQ(llm_vocab_eot(v), 128009);
    ASSERT_TRUE(llm_vocab_is_eog(v, 128009));
    ASSERT_TRUE(llm_vocab_is_eog(v, 128001));
    ASSERT_TRUE(!llm_vocab_is_eog(v, 128006));
    /* the same text with parse_special off is plain text: no control ids */
    int32_t ids[32];
    size_t n;
    ASSERT_INT_EQ(llm_tokenize(v, text, strlen(text), false, false, ids, 32, &n), 0);
    for (size_t i = 0; i < n; i++)
        ASSERT_TRUE(ids[i] < 128000);
    llm_vocab_free(v);
}

/* Phi-3: llama.cpp gives its special tokens RSTRIP (by general.name), so the newline after
 * <|user|> and <|end|> disappears, and SPM puts a prefix space after a special token
 * (<|user|> 32010, "▁Hello" 15043, <|end|> 32007, <|assistant|> 32001). "</s>" is
 * user-defined in the file but an end-of-generation text, hence control: plain text
 * unless parse_special. */
TEST_CASE(llm, tokenizer_special_tokens_phi3)
{
    struct llm_vocab *v = load_vocab("vocab/ggml-vocab-phi-3.gguf", NULL, NULL);
    static const char text[] = "<|user|>\nHello<|end|>\n<|assistant|>";
    static const int32_t want[] = {1, 32010, 15043, 32007, 32001};
    expect_ids(v, text, true, true, want, 5);
    ASSERT_TRUE(llm_vocab_attr(v, 32007) & LLM_TOKEN_ATTR_RSTRIP);
    ASSERT_TRUE(!(llm_vocab_attr(v, 32000) & LLM_TOKEN_ATTR_RSTRIP)); /* <|endoftext|> */
    ASSERT_TRUE(llm_vocab_attr(v, 2) & LLM_TOKEN_ATTR_CONTROL);       /* </s> */
    ASSERT_TRUE(llm_vocab_is_eog(v, 2) && llm_vocab_is_eog(v, 32007) && llm_vocab_is_eog(v, 32000));
    int32_t ids[32];
    size_t n;
    ASSERT_INT_EQ(llm_tokenize(v, "Hi</s>", 6, false, false, ids, 32, &n), 0);
    for (size_t i = 0; i < n; i++)
        ASSERT_TRUE(ids[i] != 2);
    ASSERT_INT_EQ(llm_tokenize(v, "Hi</s>", 6, false, true, ids, 32, &n), 0);
    ASSERT_INT_EQ(ids[n - 1], 2);
    llm_vocab_free(v);
}

/* The streaming decoder holds back a UTF-8 sequence split over byte tokens
 * (stories260K has no piece for ß or Ä: <0xC3><0x9F>, <0xC3><0x84>). */
TEST_CASE(llm, tokenizer_stream_holds_partial_utf8)
{
    struct llm_vocab *v = load_vocab("stories260K/stories260K.gguf", NULL, NULL);
    int32_t c3 = llm_vocab_find(v, "<0xC3>", 6);
    ASSERT_TRUE(c3 >= 0);
    static const char text[] = "Er spielte gern und fra\xc3\x9f \xc3\x84pfel";
    int32_t *ids;
    size_t n;
    ASSERT_INT_EQ(llm_tokenize_alloc(v, text, strlen(text), false, false, &ids, &n), 0);
    struct llm_detok d;
    struct buf out;
    buf_init(&out, 1024);
    llm_detok_init(&d, v, false, true);
    bool saw_hold = false;
    for (size_t i = 0; i < n; i++) {
        size_t before = out.len;
        ASSERT_INT_EQ(llm_detok_push(&d, ids[i], &out), 0);
        ASSERT_TRUE(str_utf8_valid(out.data ? out.data : "", out.len));
        if (ids[i] == c3) {
            ASSERT_INT_EQ(out.len, before); /* nothing yet */
            saw_hold = true;
        }
    }
    ASSERT_INT_EQ(llm_detok_flush(&d, &out), 0);
    ASSERT_TRUE(saw_hold);
    ASSERT_STR_EQ(buf_cstr(&out), text);
    /* a lone lead byte followed by ASCII becomes U+FFFD, then the ASCII */
    buf_reset(&out);
    llm_detok_init(&d, v, false, false);
    int32_t bad[] = {c3, llm_vocab_find(v, "<0x41>", 6)};
    ASSERT_INT_EQ(llm_detok_push(&d, bad[0], &out), 0);
    ASSERT_INT_EQ(llm_detok_push(&d, bad[1], &out), 0);
    ASSERT_INT_EQ(llm_detok_flush(&d, &out), 0);
    ASSERT_STR_EQ(buf_cstr(&out), "\xef\xbf\xbd" "A");
    /* and a trailing incomplete sequence at the end of the stream too */
    buf_reset(&out);
    llm_detok_init(&d, v, false, false);
    ASSERT_INT_EQ(llm_detok_push(&d, c3, &out), 0);
    ASSERT_INT_EQ(out.len, 0);
    ASSERT_INT_EQ(llm_detok_flush(&d, &out), 0);
    ASSERT_STR_EQ(buf_cstr(&out), "\xef\xbf\xbd");
    buf_fini(&out);
    free(ids);
    llm_vocab_free(v);
}

struct thread_job {
    const struct llm_vocab *v; /* shared */
    const char *text;          /* input */
    int32_t ids[256];          /* result */
    size_t n;                  /* ids used */
};

static void *thread_tokenize(void *arg)
{
    struct thread_job *j = arg;
    for (int r = 0; r < 50; r++)
        if (llm_tokenize(j->v, j->text, strlen(j->text), true, false, j->ids, 256, &j->n) != 0)
            j->n = 0;
    return NULL;
}

/* One vocab, two threads tokenizing at once: the same ids as one thread alone. */
TEST_CASE(llm, tokenizer_concurrent_use)
{
    struct llm_vocab *v = load_vocab("vocab/ggml-vocab-llama-bpe.gguf", NULL, NULL);
    struct thread_job a = {
        v, "Hello world! 1234567 \xc3\xa9t\xc3\xa9 \xe4\xbd\xa0\xe5\xa5\xbd", {0}, 0};
    struct thread_job b = a;
    int32_t want[256];
    size_t n_want;
    ASSERT_INT_EQ(llm_tokenize(v, a.text, strlen(a.text), true, false, want, 256, &n_want), 0);
    pthread_t ta, tb;
    ASSERT_INT_EQ(pthread_create(&ta, NULL, thread_tokenize, &a), 0);
    ASSERT_INT_EQ(pthread_create(&tb, NULL, thread_tokenize, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ASSERT_INT_EQ(a.n, n_want);
    ASSERT_INT_EQ(b.n, n_want);
    ASSERT_TRUE(memcmp(a.ids, want, n_want * sizeof *want) == 0);
    ASSERT_TRUE(memcmp(b.ids, want, n_want * sizeof *want) == 0);
    llm_vocab_free(v);
}

/* The generated tables against facts from the Unicode Character Database. */
TEST_CASE(llm, tokenizer_unicode_tables)
{
    static const struct {
        uint32_t cp;
        uint8_t flags;
    } cases[] = {
        {'A', LLM_TOK__UCAT_LETTER},
        {'7', LLM_TOK__UCAT_NUMBER},
        {'_', LLM_TOK__UCAT_PUNCT},
        {'$', LLM_TOK__UCAT_SYMBOL},
        {' ', LLM_TOK__UCAT_SEPARATOR | LLM_TOK__UWHITESPACE},
        {'\n', LLM_TOK__UCAT_CONTROL | LLM_TOK__UWHITESPACE},
        {0x1C, LLM_TOK__UCAT_CONTROL},                       /* not White_Space */
        {0x85, LLM_TOK__UCAT_CONTROL | LLM_TOK__UWHITESPACE}, /* NEL */
        {0xA0, LLM_TOK__UCAT_SEPARATOR | LLM_TOK__UWHITESPACE},
        {0xE9, LLM_TOK__UCAT_LETTER},                        /* é */
        {0x0301, LLM_TOK__UCAT_MARK},                        /* combining acute */
        {0x0663, LLM_TOK__UCAT_NUMBER},                      /* Arabic-Indic three */
        {0x2160, LLM_TOK__UCAT_NUMBER},                      /* Roman numeral one (Nl) */
        {0x200B, LLM_TOK__UCAT_CONTROL},                     /* ZWSP is Cf, not space */
        {0x3000, LLM_TOK__UCAT_SEPARATOR | LLM_TOK__UWHITESPACE},
        {0x4E2D, LLM_TOK__UCAT_LETTER},                      /* 中 */
        {0xD800, LLM_TOK__UCAT_CONTROL},                     /* surrogate (Cs) */
        {0xE000, LLM_TOK__UCAT_CONTROL},                     /* private use (Co) */
        {0x0378, LLM_TOK__UCAT_UNASSIGNED},
        {0x1F600, LLM_TOK__UCAT_SYMBOL},                     /* 😀 */
        {0x10FFFF, LLM_TOK__UCAT_UNASSIGNED},
        {0x110000, LLM_TOK__UCAT_UNASSIGNED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (llm_tok__uflags(cases[i].cp) != cases[i].flags)
            harness_fail(__FILE__, __LINE__, "U+%04X: flags 0x%02x, want 0x%02x", cases[i].cp,
                         llm_tok__uflags(cases[i].cp), cases[i].flags);
    }
    ASSERT_INT_EQ(llm_tok__utolower('S'), 's');
    ASSERT_INT_EQ(llm_tok__utolower('s'), 's');
    ASSERT_INT_EQ(llm_tok__utolower(0x130), 'i');   /* İ: simple mapping */
    ASSERT_INT_EQ(llm_tok__utolower(0x3A3), 0x3C3); /* Σ -> σ */
    ASSERT_INT_EQ(llm_tok__utolower(0x212A), 'k');  /* Kelvin sign */
    ASSERT_STR_EQ(llm_tok__unicode_version, "14.0.0");
    ASSERT_INT_EQ(llm_tok__unfd_first(0xE9), 'e');      /* é = e + U+0301 */
    ASSERT_INT_EQ(llm_tok__unfd_first(0x1E69), 's');    /* ṩ = s + two marks */
    ASSERT_INT_EQ(llm_tok__unfd_first(0xAC00), 0x1100); /* 가 = ᄀ + ᅡ */
    ASSERT_INT_EQ(llm_tok__unfd_first('e'), 'e');
    /* GPT-2 byte map: printable bytes are themselves, space is U+0120 'Ġ', 0xAD is U+0143 */
    ASSERT_INT_EQ(llm_tok__byte_to_cp('a'), 'a');
    ASSERT_INT_EQ(llm_tok__byte_to_cp(' '), 0x120);
    ASSERT_INT_EQ(llm_tok__byte_to_cp('\n'), 0x10A);
    ASSERT_INT_EQ(llm_tok__byte_to_cp(0xAD), 0x143);
    for (int b = 0; b < 256; b++)
        ASSERT_INT_EQ(llm_tok__cp_to_byte(llm_tok__byte_to_cp((uint8_t)b)), b);
}

/* Pre-tokenizer splits worked out by hand from each regex. */
TEST_CASE(llm, tokenizer_pretokenizer_splits)
{
    static const char text[] = "I'm 12345 ok!!\n\n  x";
    static const struct {
        enum llm_tok__pre pre;
        const char *pieces[12];
    } cases[] = {
        {LLM_TOK__PRE_LLAMA3, {"I", "'m", " ", "123", "45", " ok", "!!\n\n", " ", " x"}},
        {LLM_TOK__PRE_QWEN2, {"I", "'m", " ", "1", "2", "3", "4", "5", " ok", "!!\n\n", " ", " x"}},
        {LLM_TOK__PRE_GPT2, {"I", "'m", " 12345", " ok", "!!", "\n\n ", " x"}},
        {LLM_TOK__PRE_STARCODER,
         {"I", "'m", " ", "1", "2", "3", "4", "5", " ok", "!!", "\n\n ", " x"}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint32_t *cp;
        size_t n, *b, np;
        llm_tok__pretok(cases[c].pre, text, strlen(text), &cp, &n, &b, &np);
        size_t want = 0;
        while (want < 12 && cases[c].pieces[want])
            want++;
        ASSERT_INT_EQ(np, want);
        for (size_t i = 0; i < np; i++) {
            char piece[64];
            size_t k = 0;
            for (size_t j = b[i]; j < b[i + 1]; j++)
                piece[k++] = (char)cp[j]; /* all ASCII */
            piece[k] = '\0';
            ASSERT_STR_EQ(piece, cases[c].pieces[i]);
        }
        free(cp);
        free(b);
    }
}

/* Long runs of one character class must split in linear time in every family (a matcher
 * that rescans the run at each position took seconds on 200 KB of digits or spaces). */
TEST_CASE(llm, tokenizer_pretokenizer_linear_time)
{
    static const char *const units[] = {"1", " ", "\n", " \n", "a", "A", "~", "\xe3\x80\x80"};
    const size_t n = 128 * 1024;
    char *text = malloc(n + 2);
    clock_t t0 = clock();
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t k = 0, ul = strlen(units[u]);
        while (k + ul <= n) {
            memcpy(text + k, units[u], ul);
            k += ul;
        }
        text[k++] = 'x'; /* a non-space at the end, for the (?!\S) and \s+$ cases */
        for (int pre = 0; pre <= LLM_TOK__PRE_DEEPSEEK3; pre++) {
            uint32_t *cp;
            size_t nc, *b, np;
            llm_tok__pretok((enum llm_tok__pre)pre, text, k, &cp, &nc, &b, &np);
            ASSERT_TRUE(np >= 1 && b[np] == nc);
            free(cp);
            free(b);
        }
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("    %zu families x 8 inputs of 128 KiB: %.2f s CPU\n",
           (size_t)LLM_TOK__PRE_DEEPSEEK3 + 1, secs);
    ASSERT_TRUE(secs < 10.0); /* linear: well under a second; quadratic: minutes */
    free(text);
}

/* tests/data/tokenizer/pretok_golden.tsv: random tricky strings split by the third-party
 * Python `regex` module with llama.cpp's regex lists (tools/gen_pretok_golden.py). */
TEST_CASE(llm, tokenizer_pretokenizer_golden)
{
    static const struct {
        const char *name;
        enum llm_tok__pre pre;
    } families[] = {
        {"LLAMA3", LLM_TOK__PRE_LLAMA3}, {"QWEN2", LLM_TOK__PRE_QWEN2},
        {"QWEN35", LLM_TOK__PRE_QWEN35}, {"GPT2", LLM_TOK__PRE_GPT2},
        {"STARCODER", LLM_TOK__PRE_STARCODER}, {"FALCON", LLM_TOK__PRE_FALCON},
        {"DEFAULT", LLM_TOK__PRE_DEFAULT}, {"DEEPSEEK_CODER", LLM_TOK__PRE_DEEPSEEK_CODER},
        {"DEEPSEEK_LLM", LLM_TOK__PRE_DEEPSEEK_LLM}, {"GEMMA4", LLM_TOK__PRE_GEMMA4},
        {"PORO", LLM_TOK__PRE_PORO}, {"GPT4O", LLM_TOK__PRE_GPT4O},
        {"TEKKEN", LLM_TOK__PRE_TEKKEN}, {"VIKING", LLM_TOK__PRE_VIKING},
        {"UFAKZEKA", LLM_TOK__PRE_UFAKZEKA}, {"SEED_CODER", LLM_TOK__PRE_SEED_CODER},
        {"LAGUNA", LLM_TOK__PRE_LAGUNA}, {"MINICPM5", LLM_TOK__PRE_MINICPM5},
        {"BAILING", LLM_TOK__PRE_QWEN2}, /* bailingmoe's regex, spelled differently */
        {"DEEPSEEK3", LLM_TOK__PRE_DEEPSEEK3},
    };
    size_t len;
    char *data = harness_read_file(harness_path("tests/data/tokenizer/pretok_golden.tsv"), &len);
    ASSERT_TRUE(data != NULL);
    size_t lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab1 = strchr(line, '\t');
        ASSERT_TRUE(tab1 != NULL);
        char *tab2 = strchr(tab1 + 1, '\t');
        ASSERT_TRUE(tab2 != NULL);
        *tab1 = *tab2 = '\0';
        size_t f = 0;
        while (f < sizeof families / sizeof families[0] && strcmp(families[f].name, line) != 0)
            f++;
        ASSERT_TRUE(f < sizeof families / sizeof families[0]);
        char text[256];
        size_t tl = 0;
        for (const char *h = tab1 + 1; h[0] && h[1] && tl < sizeof text; h += 2)
            text[tl++] = (char)(hexnib(h[0]) * 16 + hexnib(h[1]));
        uint32_t *cp;
        size_t n, *b, np;
        llm_tok__pretok(families[f].pre, text, tl, &cp, &n, &b, &np);
        char got[1024] = "";
        size_t k = 0;
        for (size_t i = 0; i < np && k + 8 < sizeof got; i++)
            k += (size_t)snprintf(got + k, sizeof got - k, "%s%zu", i ? " " : "", b[i + 1] - b[i]);
        if (strcmp(got, tab2 + 1) != 0)
            harness_fail(__FILE__, __LINE__, "%s input %s: pieces [%s] want [%s]", line, tab1 + 1,
                         got, tab2 + 1);
        free(cp);
        free(b);
        lines++;
    }
    ASSERT_INT_EQ(lines, 20 * 150);
    free(data);
}

/* Replays tests/fuzz/corpus/tokenizer/ through the fuzz harness. */
TEST_CASE(llm, tokenizer_fuzz_corpus_replays)
{
    ASSERT_TRUE(harness_replay_corpus(harness_path("tests/fuzz/corpus/tokenizer"),
                                      tokenizer_fuzz_one) >= 8);
}
