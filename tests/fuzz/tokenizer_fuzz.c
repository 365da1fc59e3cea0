/* tokenizer_fuzz.c: libFuzzer harness for the tokenizers (src/llm/tokenizer/).
 *
 * Input starting with "GGUF" is parsed as a file and its tokenizer metadata loaded (hostile
 * vocabularies), then used on a fixed sample. Other arbitrary bytes are tokenized with the
 * stories260K SentencePiece vocab (every flag combination) and with small byte-level BPE vocabs
 * built in memory, one per pre-tokenizer family plus a Gemma 4 style and a WordPiece one (the first
 * input byte picks one), then detokenized in one go and streamed. Checked: no crash or sanitizer
 * report, every id in range, SPM round trip is exact for valid UTF-8 without U+2581, and the
 * streaming decoder emits valid UTF-8 equal to the one-shot text whenever that is valid UTF-8.
 *
 * Build with clang (from the source root):
 *   clang -fsanitize=fuzzer,address -Isrc -Itests -DRELAIS_SOURCE_DIR=\"$PWD\" \
 *     tests/fuzz/tokenizer_fuzz.c src/llm/tokenizer/\*.c src/llm/gguf.c src/llm/tensor.c \
 *     src/base/\*.c -o tokenizer_fuzz
 * and run: ./tokenizer_fuzz tests/fuzz/corpus/tokenizer/
 * The unit test llm/tokenizer_fuzz_corpus_replays includes this file with
 * TOKENIZER_FUZZ_NO_MAIN and replays the corpus through tokenizer_fuzz_one. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/str.h"
#include "llm/gguf.h"
#include "llm/tokenizer/tokenizer.h"

#define TOKENIZER_FUZZ_N_PRE 20 /* 18 pre-tokenizers, then Gemma 4 style and WordPiece */

struct tokenizer_fuzz_state {
    struct llm_vocab *spm;                     /* stories260K */
    struct llm_vocab *bpe[TOKENIZER_FUZZ_N_PRE]; /* one per pre-tokenizer family (+2) */
};

static struct llm_vocab *tokenizer_fuzz_bpe(const char *pre)
{
    /* the 256 GPT-2 byte images, a few merges, and two control tokens */
    static char texts[300][8];
    struct str tokens[300];
    int32_t types[300];
    size_t n = 0;
    for (unsigned b = 0; b < 256; b++) {
        unsigned cp = b;
        if (!((b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae)) {
            unsigned k = 0;
            for (unsigned c = 0; c < b; c++)
                if (!((c >= 0x21 && c <= 0x7e) || (c >= 0xa1 && c <= 0xac) || c >= 0xae))
                    k++;
            cp = 256 + k;
        }
        size_t l = 0;
        if (cp < 0x80) {
            texts[n][l++] = (char)cp;
        } else {
            texts[n][l++] = (char)(0xc0 | (cp >> 6));
            texts[n][l++] = (char)(0x80 | (cp & 0x3f));
        }
        tokens[n] = (struct str){texts[n], l};
        types[n++] = 1;
    }
    static const char *const extra[] = {"th", "the", "\xc4\xa0t", "\xc4\xa0the", "in", "ing",
                                        "\xc4\xa0\xc4\xa0", "<|endoftext|>", "<|im_start|>"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        tokens[n] = str_from_cstr(extra[i]);
        types[n++] = extra[i][0] == '<' ? 3 : 1;
    }
    static const char *const merge_list[] = {"t h", "th e", "\xc4\xa0 t", "\xc4\xa0t he",
                                             "\xc4\xa0t h", "\xc4\xa0t he", "i n", "in g",
                                             "\xc4\xa0 \xc4\xa0"};
    struct str merges[9];
    for (size_t i = 0; i < 9; i++)
        merges[i] = str_from_cstr(merge_list[i]);
    struct llm_vocab_desc d;
    llm_vocab_desc_init(&d);
    d.model = str_from_cstr("gpt2");
    d.pre = str_from_cstr(pre);
    d.n_tokens = n;
    d.tokens = tokens;
    d.types = types;
    d.n_merges = 9;
    d.merges = merges;
    d.bos_id = d.eos_id = (int64_t)n - 2;
    struct llm_vocab *v = NULL;
    char err[128];
    if (llm_vocab_build(&d, &v, err, sizeof err) != 0)
        return NULL;
    return v;
}

/* Gemma 4 style: <0xNN> byte tokens, U+2581 for spaces, merges on raw UTF-8. */
static struct llm_vocab *tokenizer_fuzz_gemma4(void)
{
    static char texts[300][8];
    struct str tokens[300];
    int32_t types[300];
    size_t n = 0;
    static const char *const extra[] = {"<pad>", "<eos>", "<bos>", "\xe2\x96\x81", "a", "b",
                                        ("\xe2\x96\x81" "a"), "ab", "\n", "\n\n", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        tokens[n] = str_from_cstr(extra[i]);
        types[n++] = i < 3 ? 3 : 1;
    }
    for (unsigned b = 0; b < 256; b++) {
        snprintf(texts[n], sizeof texts[n], "<0x%02X>", b);
        tokens[n] = str_from_cstr(texts[n]);
        types[n++] = 6;
    }
    static const char *const merge_list[] = {"\xe2\x96\x81 a", "a b", "\n \n"};
    struct str merges[3];
    for (size_t i = 0; i < 3; i++)
        merges[i] = str_from_cstr(merge_list[i]);
    struct llm_vocab_desc d;
    llm_vocab_desc_init(&d);
    d.model = str_from_cstr("gemma4");
    d.n_tokens = n;
    d.tokens = tokens;
    d.types = types;
    d.n_merges = 3;
    d.merges = merges;
    d.bos_id = 2;
    d.eos_id = 1;
    struct llm_vocab *v = NULL;
    char err[128];
    if (llm_vocab_build(&d, &v, err, sizeof err) != 0)
        return NULL;
    return v;
}

/* WordPiece: [PAD] [unused..] then [UNK] 100, [CLS] 101, [SEP] 102, a few words. */
static struct llm_vocab *tokenizer_fuzz_wpm(void)
{
    static char texts[120][16];
    struct str tokens[120];
    int32_t types[120];
#define SP "\xe2\x96\x81" /* U+2581 marks a word start */
    static const char *const words[] = {(SP "the"), (SP "a"), "a", "b", "ing", (SP "!"),
                                        (SP "\xe4\xb8\xad"), (SP "cafe")};
#undef SP
    size_t n = 0;
    for (; n < 110; n++) {
        snprintf(texts[n], sizeof texts[n], n == 0 ? "[PAD]" : n == 100 ? "[UNK]" : n == 101 ?
                 "[CLS]" : n == 102 ? "[SEP]" : "[unused%zu]", n);
        tokens[n] = str_from_cstr(texts[n]);
        types[n] = n == 0 || (n >= 100 && n <= 102) ? 3 : 1;
    }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++, n++) {
        tokens[n] = str_from_cstr(words[i]);
        types[n] = 1;
    }
    struct llm_vocab_desc d;
    llm_vocab_desc_init(&d);
    d.model = str_from_cstr("bert");
    d.n_tokens = n;
    d.tokens = tokens;
    d.types = types;
    struct llm_vocab *v = NULL;
    char err[128];
    if (llm_vocab_build(&d, &v, err, sizeof err) != 0)
        return NULL;
    return v;
}

static struct tokenizer_fuzz_state *tokenizer_fuzz_init(void)
{
    static struct tokenizer_fuzz_state st;
    static int ready;
    static const char *const pres[TOKENIZER_FUZZ_N_PRE - 2] = {
        "default", "llama-bpe", "qwen2", "qwen35", "gpt-2", "starcoder", "falcon",
        "deepseek-llm", "deepseek-coder", "bloom", "gpt-4o", "tekken", "viking", "ufakzeka",
        "seed-coder", "laguna", "minicpm5", "deepseek-v3"};
    if (ready)
        return &st;
    char path[4096];
    const char *env = getenv("RELAIS_STORIES260K");
    snprintf(path, sizeof path, "%s", env ? env :
             RELAIS_SOURCE_DIR "/../shared/models/stories260K/stories260K.gguf");
    struct llm_gguf *g = NULL;
    char err[256];
    if (llm_gguf_open(path, &g, err, sizeof err) == 0) {
        llm_vocab_load(g, &st.spm, err, sizeof err);
        llm_gguf_close(g);
    }
    for (int i = 0; i < TOKENIZER_FUZZ_N_PRE - 2; i++)
        st.bpe[i] = tokenizer_fuzz_bpe(pres[i]);
    st.bpe[TOKENIZER_FUZZ_N_PRE - 2] = tokenizer_fuzz_gemma4();
    st.bpe[TOKENIZER_FUZZ_N_PRE - 1] = tokenizer_fuzz_wpm();
    ready = 1;
    return &st;
}

/* strict: v is one of the well-formed vocabs, so round trips must hold too */
static void tokenizer_fuzz_vocab(const struct llm_vocab *v, const uint8_t *data, size_t size,
                                 bool strict)
{
    int32_t n_vocab = llm_vocab_n_tokens(v);
    for (int flags = 0; flags < 4; flags++) {
        int32_t *ids = NULL;
        size_t n = 0;
        if (llm_tokenize_alloc(v, (const char *)data, size, flags & 1, flags & 2, &ids, &n) != 0)
            __builtin_trap();
        for (size_t i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= n_vocab)
                __builtin_trap();
        struct buf once, stream;
        buf_init(&once, (size_t)1 << 24);
        buf_init(&stream, (size_t)1 << 24);
        buf_append(&once, "", 0); /* allocate, so data is never NULL below */
        buf_append(&stream, "", 0);
        if (llm_detokenize(v, ids, n, false, false, &once) != 0)
            __builtin_trap();
        /* byte fallback makes SPM lossless for valid UTF-8 (in broken UTF-8 a lead byte's
         * symbol can swallow part of an escaped space, which then comes back as bytes) */
        if (strict && flags == 0 && llm_vocab_type(v) == LLM_VOCAB_SPM &&
            str_utf8_valid((const char *)data, size) && !memmem(data, size, "\xe2\x96\x81", 3) &&
            (once.len != size || (size && memcmp(once.data, data, size) != 0)))
            __builtin_trap();
        struct llm_detok d;
        llm_detok_init(&d, v, false, true);
        for (size_t i = 0; i < n; i++)
            if (llm_detok_push(&d, ids[i], &stream) != 0)
                __builtin_trap();
        if (llm_detok_flush(&d, &stream) != 0)
            __builtin_trap();
        if (!str_utf8_valid(stream.data ? stream.data : "", stream.len))
            __builtin_trap();
        if (strict && llm_vocab_type(v) == LLM_VOCAB_SPM &&
            str_utf8_valid(once.data ? once.data : "", once.len) &&
            (once.len != stream.len || (once.len && memcmp(once.data, stream.data, once.len) != 0)))
            __builtin_trap();
        buf_fini(&once);
        buf_fini(&stream);
        free(ids);
    }
}

/* Input that is a GGUF file: load its vocab (hostile metadata) and use it. */
static void tokenizer_fuzz_gguf(const uint8_t *data, size_t size)
{
    struct llm_gguf *g = NULL;
    struct llm_vocab *v = NULL;
    char err[256];
    if (llm_gguf_parse(data, size, &g, err, sizeof err) != 0)
        return;
    if (llm_vocab_load(g, &v, err, sizeof err) == 0) {
        static const char sample[] =
            "Hello world!  It's 2024\n\t<s> <|endoftext|> \xc3\xa9\xe4\xbd\xa0 ";
        tokenizer_fuzz_vocab(v, (const uint8_t *)sample, sizeof sample - 1, false);
        for (int32_t id = -1; id <= llm_vocab_n_tokens(v); id++) {
            struct buf b;
            buf_init(&b, 1 << 20);
            (void)llm_token_to_piece(v, id, true, 1, &b);
            buf_fini(&b);
            (void)llm_vocab_is_eog(v, id);
        }
        llm_vocab_free(v);
    }
    llm_gguf_close(g);
}

static int tokenizer_fuzz_one(const uint8_t *data, size_t size)
{
    struct tokenizer_fuzz_state *st = tokenizer_fuzz_init();
    if (size >= 4 && memcmp(data, "GGUF", 4) == 0) {
        tokenizer_fuzz_gguf(data, size);
        return 0;
    }
    if (st->spm)
        tokenizer_fuzz_vocab(st->spm, data, size, true);
    if (size > 0) {
        const struct llm_vocab *b = st->bpe[data[0] % TOKENIZER_FUZZ_N_PRE];
        if (b)
            tokenizer_fuzz_vocab(b, data + 1, size - 1, true);
    }
    return 0;
}

#ifndef TOKENIZER_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return tokenizer_fuzz_one(data, size);
}
#endif
