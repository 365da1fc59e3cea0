/* vocab.c: builds the immutable struct llm_vocab from tokenizer metadata (plain arrays or a
 * GGUF file) and answers lookups on it.
 *
 * The rules follow llama.cpp's llama_vocab::impl::load so ids and flags come out the same:
 * per-model default special ids (SPM 1/2/0, BPE 11/11), defaults out of range dropped, ids
 * given in the file used only when in range; the pre-tokenizer name selects a regex family
 * and the clean_spaces / ignore_merges / add_bos defaults; token types become attributes;
 * tokens whose text marks end of turn ("<|eot_id|>", "<|im_end|>", ...) become control
 * tokens and join the end-of-generation set; special tokens (control, user-defined,
 * unknown) are listed longest first for the raw-text matcher.
 *
 * Lookups are hash tables over the copied strings: text -> id and "left right" -> merge
 * rank. Building them is the whole cost of loading (a 150k-token, 280k-merge vocab takes a
 * few tens of milliseconds); nothing is resolved eagerly that tokenization can look up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "llm/gguf.h"
#include "llm/tokenizer/internal.h"
#include "llm/tokenizer/unicode.h"

#define MAX_ENTRIES ((size_t)INT32_MAX - 1)

/* ---- string hash set ------------------------------------------------------------------ */

static uint64_t hash_bytes(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define HASH_SEED 0xcbf29ce484222325ull

static uint32_t hash_fold(uint64_t h)
{
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (uint32_t)h | 1u; /* never 0, so a zero hash marks nothing */
}

static void strmap_init(struct llm_tok__strmap *m, size_t n)
{
    size_t cap = 16;
    while (cap < n + n / 2 + 1)
        cap <<= 1;
    m->cap = cap;
    m->slots = xcalloc(cap, sizeof *m->slots);
}

static void strmap_fini(struct llm_tok__strmap *m)
{
    free(m->slots);
    m->slots = NULL;
}

/* Inserts index idx whose key is blob[off[idx]..] (lens[idx] bytes) unless an equal key is
 * present; returns the index that now holds the key. */
static uint32_t strmap_insert(struct llm_tok__strmap *m, const char *blob, const uint32_t *off,
                              const uint32_t *lens, uint32_t idx)
{
    const char *key = blob + off[idx];
    size_t len = lens[idx];
    uint32_t h = hash_fold(hash_bytes(HASH_SEED, key, len));
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t slot = m->slots[i];
        if (slot == 0) {
            m->slots[i] = (uint64_t)h << 32 | (idx + 1);
            return idx;
        }
        uint32_t s = (uint32_t)slot;
        if ((uint32_t)(slot >> 32) == h && lens[s - 1] == len &&
            memcmp(blob + off[s - 1], key, len) == 0)
            return s - 1;
    }
}

int32_t llm_tok__find(const struct llm_vocab *v, const char *s, size_t len)
{
    const struct llm_tok__strmap *m = &v->tokens;
    uint32_t h = hash_fold(hash_bytes(HASH_SEED, s, len));
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t slot = m->slots[i];
        if (slot == 0)
            return LLM_TOKEN_NULL;
        uint32_t id = (uint32_t)slot - 1;
        if ((uint32_t)(slot >> 32) == h && v->text_len[id] == len &&
            memcmp(v->text_blob + v->text_off[id], s, len) == 0)
            return (int32_t)id;
    }
}

int32_t llm_tok__merge_rank(const struct llm_vocab *v, const char *left, size_t left_len,
                            const char *right, size_t right_len)
{
    const struct llm_tok__strmap *m = &v->merges;
    if (v->n_merges == 0)
        return -1;
    uint64_t h64 = hash_bytes(HASH_SEED, left, left_len);
    h64 = hash_bytes(h64, " ", 1);
    h64 = hash_bytes(h64, right, right_len);
    uint32_t h = hash_fold(h64);
    size_t len = left_len + 1 + right_len;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t slot = m->slots[i];
        if (slot == 0)
            return -1;
        uint32_t r = (uint32_t)slot - 1;
        if ((uint32_t)(slot >> 32) != h || v->merge_len[r] != len)
            continue;
        const char *k = v->merge_blob + v->merge_off[r];
        if (memcmp(k, left, left_len) == 0 && k[left_len] == ' ' &&
            memcmp(k + left_len + 1, right, right_len) == 0)
            return (int32_t)r;
    }
}

/* ---- building --------------------------------------------------------------------------- */

void llm_vocab_desc_init(struct llm_vocab_desc *d)
{
    memset(d, 0, sizeof *d);
    d->bos_id = d->eos_id = d->eot_id = d->eom_id = LLM_VOCAB_KEY_ABSENT;
    d->unk_id = d->sep_id = d->pad_id = LLM_VOCAB_KEY_ABSENT;
    d->add_bos = d->add_eos = d->add_space_prefix = LLM_VOCAB_KEY_ABSENT;
    d->add_sep = d->lowercase = d->strip_accents = LLM_VOCAB_KEY_ABSENT;
}

static void set_err(char *err, size_t err_len, const char *msg, struct str detail)
{
    if (err && err_len > 0)
        snprintf(err, err_len, "%s%.*s%s", msg, (int)(detail.len > 200 ? 200 : detail.len),
                 detail.ptr ? detail.ptr : "", detail.len ? "'" : "");
}

/* One tokenizer.ggml.pre name and what it implies (llama.cpp llama-vocab.cpp). */
struct pre_entry {
    const char *name;       /* tokenizer.ggml.pre */
    enum llm_tok__pre pre;  /* regex family */
    bool clean_spaces;      /* clean_up_tokenization_spaces */
    bool ignore_merges;     /* whole pre-token first */
    bool add_bos;           /* default for add_bos_token */
    bool no_bos;            /* BOS id cleared (glm4) */
};

static const struct pre_entry pre_table[] = {
    {"default", LLM_TOK__PRE_DEFAULT, true, false, false, false},
    {"llama3", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"llama-v3", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"llama-bpe", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"falcon3", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"falcon-h1", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"pixtral", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"midm-2.0", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"lfm2", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"jina-v5-nano", LLM_TOK__PRE_LLAMA3, true, true, true, false},
    {"dbrx", LLM_TOK__PRE_LLAMA3, true, false, false, false},
    {"smaug-bpe", LLM_TOK__PRE_LLAMA3, true, false, false, false},
    {"glm4", LLM_TOK__PRE_LLAMA3, true, false, false, true},
    {"chatglm-bpe", LLM_TOK__PRE_LLAMA3, true, false, false, true},
    {"deepseek-llm", LLM_TOK__PRE_DEEPSEEK_LLM, false, false, false, false},
    {"deepseek-coder", LLM_TOK__PRE_DEEPSEEK_CODER, false, false, false, false},
    {"falcon", LLM_TOK__PRE_FALCON, true, false, false, false},
    {"mpt", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"gpt-2", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"phi-2", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"jina-es", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"jina-de", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"gigachat", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"jina-v2-es", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"jina-v2-de", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"a.x-4.0", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"mellum", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"modern-bert", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"olmo", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"jais", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"exaone4", LLM_TOK__PRE_GPT2, true, false, false, false},
    {"trillion", LLM_TOK__PRE_GPT2, false, false, false, false},
    {"granite-docling", LLM_TOK__PRE_GPT2, false, false, false, false},
    {"starcoder", LLM_TOK__PRE_STARCODER, true, false, false, false},
    {"refact", LLM_TOK__PRE_STARCODER, true, false, false, false},
    {"command-r", LLM_TOK__PRE_STARCODER, false, false, false, false},
    {"smollm", LLM_TOK__PRE_STARCODER, false, false, false, false},
    {"codeshell", LLM_TOK__PRE_STARCODER, true, false, false, false},
    {"exaone", LLM_TOK__PRE_STARCODER, true, false, false, false},
    {"minerva-7b", LLM_TOK__PRE_STARCODER, true, false, false, false},
    {"mellum2", LLM_TOK__PRE_STARCODER, true, false, false, false},
    {"qwen2", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"deepseek-r1-qwen", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"kormo", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"f2llmv2", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"stablelm2", LLM_TOK__PRE_QWEN2, true, false, false, false},
    {"megrez", LLM_TOK__PRE_QWEN2, true, false, false, false},
    {"hunyuan", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"solar-open", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"grok-2", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"qwen35", LLM_TOK__PRE_QWEN35, false, false, false, false},
    {"poro-chat", LLM_TOK__PRE_PORO, false, false, false, false},
    {"bloom", LLM_TOK__PRE_PORO, true, false, false, false},
    {"gpt3-finnish", LLM_TOK__PRE_PORO, true, false, false, false},
    {"gemma4", LLM_TOK__PRE_GEMMA4, true, false, false, false},
    {"gpt-4o", LLM_TOK__PRE_GPT4O, false, false, false, false},
    {"llama4", LLM_TOK__PRE_GPT4O, false, false, false, false},
    {"kanana2", LLM_TOK__PRE_GPT4O, false, false, false, false},
    {"talkie", LLM_TOK__PRE_GPT4O, false, false, false, false},
    {"minimax-m2", LLM_TOK__PRE_GPT4O, false, false, false, false},
    {"tekken", LLM_TOK__PRE_TEKKEN, false, true, true, false},
    {"viking", LLM_TOK__PRE_VIKING, false, false, false, false},
    {"bailingmoe", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"bailingmoe2", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"llada-moe", LLM_TOK__PRE_QWEN2, false, false, false, false},
    {"ufakzeka", LLM_TOK__PRE_UFAKZEKA, false, false, false, false},
    {"seed-coder", LLM_TOK__PRE_SEED_CODER, false, false, false, false},
    {"laguna", LLM_TOK__PRE_LAGUNA, false, false, false, false},
    {"minicpm5", LLM_TOK__PRE_MINICPM5, true, true, false, false},
    {"deepseek-v3", LLM_TOK__PRE_DEEPSEEK3, false, false, false, false},
    {"hunyuan-dense", LLM_TOK__PRE_DEEPSEEK3, false, false, false, false},
    {"joyai-llm", LLM_TOK__PRE_DEEPSEEK3, false, false, false, false},
    {"hy_v4", LLM_TOK__PRE_DEEPSEEK3, false, false, false, false},
    {"granite-embed-multi-311m", LLM_TOK__PRE_GEMMA4, true, false, false, false},
};

static bool text_is(const struct llm_vocab *v, int32_t id, const char *s)
{
    size_t n = strlen(s);
    return v->text_len[id] == n && memcmp(v->text_blob + v->text_off[id], s, n) == 0;
}

/* The first token (in list order) whose text is in list, made a control token. */
static int32_t detect(struct llm_vocab *v, const char *const *list)
{
    for (size_t i = 0; list[i]; i++) {
        int32_t id = llm_tok__find(v, list[i], strlen(list[i]));
        if (id != LLM_TOKEN_NULL) {
            v->attr[id] |= LLM_TOKEN_ATTR_CONTROL;
            return id;
        }
    }
    return LLM_TOKEN_NULL;
}

/* DeepSeek spells its markers with U+FF5C (fullwidth bar) and U+2581 */
#define FWBAR "\xef\xbd\x9c"
#define SP "\xe2\x96\x81"

static const char *const eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<" FWBAR "end" SP "of" SP "sentence" FWBAR ">",
    "<end_of_utterance>", NULL};
static const char *const eom_texts[] = {"<|eom_id|>", NULL};
static const char *const fim_pre_texts[] = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<" FWBAR "fim" SP "begin" FWBAR ">",
    "<PRE>", SP "<PRE>", "<|code_prefix|>", "<|prefix|>", NULL};
static const char *const fim_suf_texts[] = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<" FWBAR "fim" SP "hole" FWBAR ">",
    "<SUF>", SP "<SUF>", "<|code_suffix|>", "<|suffix|>", NULL};
static const char *const fim_mid_texts[] = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<" FWBAR "fim" SP "end" FWBAR ">",
    "<MID>", SP "<MID>", "<|code_middle|>", "<|middle|>", NULL};
static const char *const fim_pad_texts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
                                            "[PAD]", NULL};
static const char *const fim_rep_texts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                            "<REPO>", "<reponame>", NULL};
static const char *const fim_sep_texts[] = {"<|file_sep|>", NULL};
static const char *const eog_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<" FWBAR "end" SP "of" SP "sentence" FWBAR ">", "[e~[", NULL};
#undef FWBAR
#undef SP

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void eog_add(struct llm_vocab *v, int32_t id)
{
    if (id == LLM_TOKEN_NULL)
        return;
    for (size_t i = 0; i < v->n_eog; i++)
        if (v->eog[i] == id)
            return;
    v->eog = xrealloc(v->eog, (v->n_eog + 1) * sizeof *v->eog);
    v->eog[v->n_eog++] = id;
}

static void eog_remove(struct llm_vocab *v, int32_t id)
{
    for (size_t i = 0; i < v->n_eog; i++) {
        if (v->eog[i] == id) {
            v->eog[i] = v->eog[--v->n_eog];
            return;
        }
    }
}

static int32_t resolve_id(int64_t given, int32_t def, int32_t n_tokens)
{
    if (def >= n_tokens)
        def = LLM_TOKEN_NULL;
    if (given == LLM_VOCAB_KEY_ABSENT || given < 0 || given >= n_tokens)
        return def; /* llama.cpp: "bad special token ... using default id" */
    return (int32_t)given;
}

static bool name_contains(struct str name, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= name.len; i++) {
        size_t j = 0;
        while (j < n) {
            char c = name.ptr[i + j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != needle[j])
                break;
            j++;
        }
        if (j == n)
            return true;
    }
    return false;
}

static void set_attr_by_text(struct llm_vocab *v, const char *text, uint32_t bit, bool on)
{
    int32_t id = llm_tok__find(v, text, strlen(text));
    if (id == LLM_TOKEN_NULL)
        return;
    if (on)
        v->attr[id] |= bit;
    else
        v->attr[id] &= ~bit;
}

static uint32_t attr_of_type(int32_t t)
{
    switch (t) {
    case LLM_TOKEN_TYPE_UNKNOWN: return LLM_TOKEN_ATTR_UNKNOWN;
    case LLM_TOKEN_TYPE_UNUSED: return LLM_TOKEN_ATTR_UNUSED;
    case LLM_TOKEN_TYPE_NORMAL: return LLM_TOKEN_ATTR_NORMAL;
    case LLM_TOKEN_TYPE_CONTROL: return LLM_TOKEN_ATTR_CONTROL;
    case LLM_TOKEN_TYPE_USER_DEFINED: return LLM_TOKEN_ATTR_USER_DEFINED;
    case LLM_TOKEN_TYPE_BYTE: return LLM_TOKEN_ATTR_BYTE;
    default: return LLM_TOKEN_ATTR_UNDEFINED;
    }
}

static int copy_tokens(struct llm_vocab *v, const struct llm_vocab_desc *d, char *err,
                       size_t err_len)
{
    size_t total = 0;
    char tmp[32];
    for (size_t i = 0; i < d->n_tokens; i++)
        total += (d->tokens[i].len ? d->tokens[i].len : 24) + 1;
    if (total > UINT32_MAX) {
        set_err(err, err_len, "token texts too large", (struct str){0});
        return ERR_TOO_LARGE;
    }
    v->text_blob = xmalloc(total ? total : 1);
    v->text_off = xcalloc(d->n_tokens ? d->n_tokens : 1, sizeof *v->text_off);
    v->text_len = xcalloc(d->n_tokens ? d->n_tokens : 1, sizeof *v->text_len);
    v->scores = xcalloc(d->n_tokens ? d->n_tokens : 1, sizeof *v->scores);
    v->attr = xcalloc(d->n_tokens ? d->n_tokens : 1, sizeof *v->attr);
    strmap_init(&v->tokens, d->n_tokens);
    size_t pos = 0;
    for (size_t i = 0; i < d->n_tokens; i++) {
        struct str t = d->tokens[i];
        if (t.len == 0) { /* llama.cpp renames empty tokens */
            int n = snprintf(tmp, sizeof tmp, "[EMPTY_%zu]", i);
            t.ptr = tmp;
            t.len = (size_t)n;
        }
        memcpy(v->text_blob + pos, t.ptr, t.len);
        v->text_blob[pos + t.len] = '\0';
        v->text_off[i] = (uint32_t)pos;
        v->text_len[i] = (uint32_t)t.len;
        pos += t.len + 1;
        uint32_t got = strmap_insert(&v->tokens, v->text_blob, v->text_off, v->text_len,
                                     (uint32_t)i);
        if (got != i) {
            set_err(err, err_len, "duplicate token in vocabulary: '", t);
            return ERR_INVALID;
        }
        if (t.len > v->max_token_len)
            v->max_token_len = t.len;
        v->scores[i] = d->scores ? d->scores[i] : 0.0f;
        v->attr[i] = d->types ? attr_of_type(d->types[i]) : LLM_TOKEN_ATTR_NORMAL;
    }
    return 0;
}

static int copy_merges(struct llm_vocab *v, const struct llm_vocab_desc *d, char *err,
                       size_t err_len)
{
    size_t total = 0;
    for (size_t i = 0; i < d->n_merges; i++)
        total += d->merges[i].len + 1;
    if (total > UINT32_MAX || d->n_merges > MAX_ENTRIES) {
        set_err(err, err_len, "merges too large", (struct str){0});
        return ERR_TOO_LARGE;
    }
    v->n_merges = (int32_t)d->n_merges;
    v->merge_blob = xmalloc(total ? total : 1);
    v->merge_off = xcalloc(d->n_merges ? d->n_merges : 1, sizeof *v->merge_off);
    v->merge_len = xcalloc(d->n_merges ? d->n_merges : 1, sizeof *v->merge_len);
    strmap_init(&v->merges, d->n_merges);
    size_t pos = 0;
    for (size_t i = 0; i < d->n_merges; i++) {
        struct str m = d->merges[i];
        memcpy(v->merge_blob + pos, m.ptr, m.len);
        v->merge_blob[pos + m.len] = '\0';
        v->merge_off[i] = (uint32_t)pos;
        v->merge_len[i] = (uint32_t)m.len;
        pos += m.len + 1;
        /* Only "left right" with the first space after position 0 can ever be looked up
         * (symbols never contain a space); the rest stay unindexed, as llama.cpp's
         * ("", "") pair is unreachable. */
        const char *sp = m.len > 1 ? memchr(m.ptr + 1, ' ', m.len - 1) : NULL;
        if (sp && !memchr(sp + 1, ' ', m.len - (size_t)(sp + 1 - m.ptr)))
            strmap_insert(&v->merges, v->merge_blob, v->merge_off, v->merge_len, (uint32_t)i);
    }
    return 0;
}

/* Special-token detection and end-of-generation set, as llama.cpp does after loading. */
static void finish_specials(struct llm_vocab *v, struct str general_name)
{
    if (v->eot == LLM_TOKEN_NULL)
        v->eot = detect(v, eot_texts);
    if (v->eom == LLM_TOKEN_NULL)
        v->eom = detect(v, eom_texts);
    (void)detect(v, fim_pre_texts); /* marks them control, as llama.cpp does */
    (void)detect(v, fim_suf_texts);
    (void)detect(v, fim_mid_texts);
    int32_t fim_pad = detect(v, fim_pad_texts);
    int32_t fim_rep = detect(v, fim_rep_texts);
    int32_t fim_sep = detect(v, fim_sep_texts);
    for (int32_t id = 0; id < v->n_tokens; id++) /* control tokens named "unused" */
        if ((v->attr[id] & LLM_TOKEN_ATTR_CONTROL) &&
            strstr(v->text_blob + v->text_off[id], "unused"))
            v->attr[id] |= LLM_TOKEN_ATTR_UNUSED;
    eog_add(v, fim_pad);
    eog_add(v, fim_rep);
    eog_add(v, fim_sep);
    for (size_t i = 0; eog_texts[i]; i++) {
        int32_t id = llm_tok__find(v, eog_texts[i], strlen(eog_texts[i]));
        if (id != LLM_TOKEN_NULL) {
            eog_add(v, id);
            v->attr[id] |= LLM_TOKEN_ATTR_CONTROL;
        }
    }
    static const char *const gpt_oss[] = {"<|channel|>", "<|message|>", "<|start|>",
                                          "<|constrain|>", NULL};
    for (size_t i = 0; gpt_oss[i]; i++) {
        int32_t id = llm_tok__find(v, gpt_oss[i], strlen(gpt_oss[i]));
        if (id != LLM_TOKEN_NULL)
            v->attr[id] = LLM_TOKEN_ATTR_USER_DEFINED;
    }
    eog_add(v, v->eos);
    eog_add(v, v->eot);
    eog_add(v, v->eom);
    /* o200k_harmony / solar-open: "<|end|>" is not an end of generation there */
    bool has_return = false, has_call = false, has_flush = false;
    int32_t end_id = LLM_TOKEN_NULL;
    for (size_t i = 0; i < v->n_eog; i++) {
        int32_t id = v->eog[i];
        if (text_is(v, id, "<|return|>"))
            has_return = true;
        else if (text_is(v, id, "<|call|>") || text_is(v, id, "<|calls|>"))
            has_call = true;
        else if (text_is(v, id, "<|flush|>"))
            has_flush = true;
        else if (text_is(v, id, "<|end|>"))
            end_id = id;
    }
    if (end_id != LLM_TOKEN_NULL && has_call && (has_return || has_flush)) {
        eog_remove(v, end_id);
        v->attr[end_id] = LLM_TOKEN_ATTR_USER_DEFINED;
    }
    /* Gemma 4 / PaddleOCR: "</s>" is not an end of generation next to "<|tool_response>" */
    bool has_tool_response = false;
    int32_t s_id = LLM_TOKEN_NULL;
    for (size_t i = 0; i < v->n_eog; i++) {
        if (text_is(v, v->eog[i], "<|tool_response>"))
            has_tool_response = true;
        else if (text_is(v, v->eog[i], "</s>"))
            s_id = v->eog[i];
    }
    if (has_tool_response && s_id != LLM_TOKEN_NULL) {
        eog_remove(v, s_id);
        v->attr[s_id] = LLM_TOKEN_ATTR_NORMAL;
    }
    if (v->n_eog > 1)
        qsort(v->eog, v->n_eog, sizeof *v->eog, cmp_i32);

    /* special tokens matched in raw text, longest first */
    uint64_t *keys = xcalloc(v->n_tokens ? (size_t)v->n_tokens : 1, sizeof *keys);
    size_t n = 0;
    for (int32_t id = 0; id < v->n_tokens; id++)
        if (v->attr[id] & (LLM_TOKEN_ATTR_CONTROL | LLM_TOKEN_ATTR_USER_DEFINED |
                           LLM_TOKEN_ATTR_UNKNOWN))
            keys[n++] = ((uint64_t)(UINT32_MAX - v->text_len[id]) << 32) | (uint32_t)id;
    qsort(keys, n, sizeof *keys, cmp_u64); /* longest first, then by id */
    v->special = xcalloc(n ? n : 1, sizeof *v->special);
    for (size_t i = 0; i < n; i++)
        v->special[i] = (int32_t)(keys[i] & 0xffffffffu);
    v->n_special = n;
    free(keys);

    /* per-model token flags llama.cpp sets by name */
    if (name_contains(general_name, "phi-3") || name_contains(general_name, "phi3")) {
        for (size_t i = 0; i < v->n_special; i++)
            v->attr[v->special[i]] |= LLM_TOKEN_ATTR_RSTRIP;
        set_attr_by_text(v, "</s>", LLM_TOKEN_ATTR_RSTRIP, true);
        set_attr_by_text(v, "<unk>", LLM_TOKEN_ATTR_RSTRIP, false);
        set_attr_by_text(v, "<s>", LLM_TOKEN_ATTR_RSTRIP, false);
        set_attr_by_text(v, "<|endoftext|>", LLM_TOKEN_ATTR_RSTRIP, false);
    }
}

static void init_byte_tables(struct llm_vocab *v)
{
    for (int i = 0; i < 324; i++)
        v->cp_to_byte[i] = -1;
    for (unsigned b = 0; b < 256; b++) {
        uint32_t cp = llm_tok__byte_to_cp((uint8_t)b);
        v->byte_enc_len[b] = (uint8_t)llm_tok__utf8_encode(cp, v->byte_enc[b]);
        v->cp_to_byte[cp] = (int16_t)b;
        if (v->type == LLM_VOCAB_SPM || !v->byte_encode) {
            static const char hex[] = "0123456789ABCDEF";
            char name[6] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
            char raw = (char)b;
            v->byte_id[b] = llm_tok__find(v, name, 6);
            if (v->byte_id[b] == LLM_TOKEN_NULL && v->type == LLM_VOCAB_SPM)
                v->byte_id[b] = llm_tok__find(v, &raw, 1);
        } else {
            v->byte_id[b] = llm_tok__find(v, (const char *)v->byte_enc[b], v->byte_enc_len[b]);
        }
    }
}

int llm_vocab_build(const struct llm_vocab_desc *d, struct llm_vocab **out, char *err,
                    size_t err_len)
{
    struct llm_vocab *v = xcalloc(1, sizeof *v);
    const struct pre_entry *pe = NULL;
    int rc = 0;
    *out = NULL;
    if (err && err_len)
        err[0] = '\0';
    if (d->n_tokens == 0 || d->n_tokens > MAX_ENTRIES) {
        set_err(err, err_len, "tokenizer.ggml.tokens is empty or too large", (struct str){0});
        rc = d->n_tokens ? ERR_TOO_LARGE : ERR_INVALID;
        goto out;
    }
    v->n_tokens = (int32_t)d->n_tokens;
    if (str_eq_cstr(d->model, "llama")) {
        v->type = LLM_VOCAB_SPM;
        v->bos = 1;
        v->eos = 2;
        v->unk = 0;
        v->add_space_prefix = true;
        v->add_bos = true;
        snprintf(v->pre_name, sizeof v->pre_name, "default");
    } else if (str_eq_cstr(d->model, "gpt2") || str_eq_cstr(d->model, "gemma4")) {
        bool gemma4 = str_eq_cstr(d->model, "gemma4");
        v->type = LLM_VOCAB_BPE;
        v->bos = gemma4 ? LLM_TOKEN_NULL : 11;
        v->eos = gemma4 ? LLM_TOKEN_NULL : 11;
        v->unk = LLM_TOKEN_NULL;
        v->byte_encode = true;
        const char *name = gemma4 ? "gemma4" : d->pre.len ? NULL : "default";
        for (size_t i = 0; i < sizeof pre_table / sizeof pre_table[0]; i++) {
            if (name ? strcmp(pre_table[i].name, name) == 0
                     : str_eq_cstr(d->pre, pre_table[i].name)) {
                pe = &pre_table[i];
                break;
            }
        }
        if (!pe) {
            set_err(err, err_len, "unsupported pre-tokenizer type: '", d->pre);
            rc = ERR_UNSUPPORTED;
            goto out;
        }
        v->pre = pe->pre;
        if (v->pre == LLM_TOK__PRE_GEMMA4) { /* SPM-style BPE over raw UTF-8 */
            v->escape_whitespaces = true;
            v->byte_encode = false;
        }
        snprintf(v->pre_name, sizeof v->pre_name, "%s", pe->name);
        v->clean_spaces = pe->clean_spaces;
        v->ignore_merges = pe->ignore_merges;
        v->add_bos = pe->add_bos;
        if (pe->no_bos)
            v->bos = LLM_TOKEN_NULL;
        if (d->n_merges == 0) {
            set_err(err, err_len, "cannot find tokenizer merges", (struct str){0});
            rc = ERR_INVALID;
            goto out;
        }
    } else if (str_eq_cstr(d->model, "bert")) {
        v->type = LLM_VOCAB_WPM;
        v->bos = 101;
        v->eos = LLM_TOKEN_NULL;
        v->unk = 100;
        v->add_bos = true;
        v->add_sep = true;
        v->clean_spaces = true;
        snprintf(v->pre_name, sizeof v->pre_name, "default");
    } else {
        set_err(err, err_len, "unsupported tokenizer model: '", d->model);
        rc = ERR_UNSUPPORTED;
        goto out;
    }
    v->eot = v->eom = v->sep = v->pad = LLM_TOKEN_NULL;
    if (v->type == LLM_VOCAB_WPM) {
        v->sep = 102;
        v->pad = 0;
    }
    v->lowercase = d->lowercase != LLM_VOCAB_KEY_ABSENT ? d->lowercase != 0 : true;
    v->strip_accents = d->strip_accents != LLM_VOCAB_KEY_ABSENT ? d->strip_accents != 0
                                                                : v->lowercase;
    if (d->add_space_prefix != LLM_VOCAB_KEY_ABSENT)
        v->add_space_prefix = d->add_space_prefix != 0;

    rc = copy_tokens(v, d, err, err_len);
    if (rc == 0 && v->type == LLM_VOCAB_BPE)
        rc = copy_merges(v, d, err, err_len);
    if (rc != 0)
        goto out;

    v->bos = resolve_id(d->bos_id, v->bos, v->n_tokens);
    v->eos = resolve_id(d->eos_id, v->eos, v->n_tokens);
    v->eot = resolve_id(d->eot_id, v->eot, v->n_tokens);
    v->eom = resolve_id(d->eom_id, v->eom, v->n_tokens);
    v->unk = resolve_id(d->unk_id, v->unk, v->n_tokens);
    v->sep = resolve_id(d->sep_id, v->sep, v->n_tokens);
    v->pad = resolve_id(d->pad_id, v->pad, v->n_tokens);
    if (d->add_bos != LLM_VOCAB_KEY_ABSENT)
        v->add_bos = d->add_bos != 0;
    if (d->add_eos != LLM_VOCAB_KEY_ABSENT)
        v->add_eos = d->add_eos != 0;
    if (v->pre == LLM_TOK__PRE_GEMMA4 && v->type == LLM_VOCAB_BPE)
        v->add_bos = true; /* llama.cpp overrides add_bos_token for Gemma 4 */
    if (d->add_sep != LLM_VOCAB_KEY_ABSENT)
        v->add_sep = d->add_sep != 0;
    if ((v->add_bos && v->bos == LLM_TOKEN_NULL) || (v->add_eos && v->eos == LLM_TOKEN_NULL) ||
        (v->add_sep && v->sep == LLM_TOKEN_NULL)) {
        set_err(err, err_len, "add_bos/eos/sep_token is true but the id is not set",
                (struct str){0});
        rc = ERR_INVALID;
        goto out;
    }
    init_byte_tables(v);
    finish_specials(v, d->general_name);

    /* the newline token: SPM's <0x0A>, WPM's PAD, else whatever "\n" tokenizes to */
    v->nl = v->pad;
    if (v->type == LLM_VOCAB_SPM) {
        if (v->byte_id['\n'] != LLM_TOKEN_NULL)
            v->nl = v->byte_id['\n'];
    } else if (v->type == LLM_VOCAB_BPE) {
        int32_t first[4];
        size_t n = 0;
        int r = llm_tokenize(v, "\n", 1, false, false, first, 4, &n);
        if ((r == 0 || r == ERR_TOO_LARGE) && n > 0)
            v->nl = first[0];
    }
out:
    if (rc != 0) {
        llm_vocab_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void llm_vocab_free(struct llm_vocab *v)
{
    if (!v)
        return;
    free(v->text_blob);
    free(v->text_off);
    free(v->text_len);
    free(v->scores);
    free(v->attr);
    strmap_fini(&v->tokens);
    free(v->merge_blob);
    free(v->merge_off);
    free(v->merge_len);
    strmap_fini(&v->merges);
    free(v->special);
    free(v->eog);
    free(v);
}

/* ---- GGUF ------------------------------------------------------------------------------ */

static int get_id(const struct llm_gguf *g, const char *key, int64_t *out)
{
    int64_t val;
    *out = LLM_VOCAB_KEY_ABSENT;
    if (llm_gguf_find_key(g, key) < 0)
        return 0;
    int rc = llm_gguf_get_i64(g, key, 0, &val);
    if (rc == ERR_TOO_LARGE)
        return 0; /* out of range: keep the default, as llama.cpp does */
    if (rc == 0)
        *out = val;
    return rc;
}

static int get_flag(const struct llm_gguf *g, const char *key, int64_t *out)
{
    bool b;
    *out = LLM_VOCAB_KEY_ABSENT;
    if (llm_gguf_find_key(g, key) < 0)
        return 0;
    int rc = llm_gguf_get_bool(g, key, false, &b);
    if (rc == 0)
        *out = b ? 1 : 0;
    return rc;
}

static int get_str_array(const struct llm_gguf *g, const char *key, struct str **out, size_t *n,
                         bool required)
{
    struct llm_gguf_arr a;
    *out = NULL;
    *n = 0;
    int rc = llm_gguf_get_arr(g, key, &a);
    if (rc == ERR_NOT_FOUND && !required)
        return 0;
    if (rc != 0)
        return rc;
    if (a.type != LLM_GGUF_STRING || a.len > MAX_ENTRIES)
        return a.type != LLM_GGUF_STRING ? ERR_INVALID : ERR_TOO_LARGE;
    *out = xcalloc(a.len ? a.len : 1, sizeof **out);
    for (uint64_t i = 0; i < a.len; i++) {
        rc = llm_gguf_arr_str(&a, i, &(*out)[i]);
        if (rc != 0)
            return rc;
    }
    *n = a.len;
    return 0;
}

int llm_vocab_load(const struct llm_gguf *g, struct llm_vocab **out, char *err, size_t err_len)
{
    struct llm_vocab_desc d;
    struct str *tokens = NULL, *merges = NULL;
    float *scores = NULL;
    int32_t *types = NULL;
    struct llm_gguf_arr a;
    const char *what = "";
    int rc;
    *out = NULL;
    llm_vocab_desc_init(&d);

    what = "tokenizer.ggml.model";
    rc = llm_gguf_get_str(g, "tokenizer.ggml.model", (struct str){NULL, 0}, &d.model);
    if (rc == 0 && d.model.ptr == NULL)
        rc = ERR_NOT_FOUND;
    if (rc == 0) {
        what = "tokenizer.ggml.pre";
        rc = llm_gguf_get_str(g, "tokenizer.ggml.pre", (struct str){NULL, 0}, &d.pre);
    }
    if (rc == 0 && llm_gguf_get_str(g, "general.name", (struct str){NULL, 0}, &d.general_name))
        d.general_name = (struct str){NULL, 0}; /* only a hint: a non-string is ignored */
    if (rc == 0) {
        what = "tokenizer.ggml.tokens";
        rc = get_str_array(g, "tokenizer.ggml.tokens", &tokens, &d.n_tokens, true);
    }
    if (rc == 0 && (str_eq_cstr(d.model, "gpt2") || str_eq_cstr(d.model, "gemma4"))) {
        what = "tokenizer.ggml.merges";
        rc = get_str_array(g, "tokenizer.ggml.merges", &merges, &d.n_merges, false);
    }
    if (rc == 0 && llm_gguf_get_arr(g, "tokenizer.ggml.scores", &a) == 0) {
        what = "tokenizer.ggml.scores";
        if (a.len < d.n_tokens || (a.type != LLM_GGUF_F32 && a.type != LLM_GGUF_I32)) {
            rc = ERR_INVALID;
        } else {
            scores = xcalloc(d.n_tokens ? d.n_tokens : 1, sizeof *scores);
            for (size_t i = 0; rc == 0 && i < d.n_tokens; i++)
                rc = llm_gguf_arr_f32(&a, i, &scores[i]);
        }
    }
    if (rc == 0 && llm_gguf_get_arr(g, "tokenizer.ggml.token_type", &a) == 0) {
        what = "tokenizer.ggml.token_type";
        if (a.len < d.n_tokens || a.type != LLM_GGUF_I32) {
            rc = ERR_INVALID;
        } else {
            types = xcalloc(d.n_tokens ? d.n_tokens : 1, sizeof *types);
            for (size_t i = 0; rc == 0 && i < d.n_tokens; i++) {
                int64_t t;
                rc = llm_gguf_arr_i64(&a, i, &t);
                types[i] = (int32_t)t;
            }
        }
    }
    static const struct {
        const char *key;
        size_t field;
    } ids[] = {
        {"tokenizer.ggml.bos_token_id", offsetof(struct llm_vocab_desc, bos_id)},
        {"tokenizer.ggml.eos_token_id", offsetof(struct llm_vocab_desc, eos_id)},
        {"tokenizer.ggml.eot_token_id", offsetof(struct llm_vocab_desc, eot_id)},
        {"tokenizer.ggml.eom_token_id", offsetof(struct llm_vocab_desc, eom_id)},
        {"tokenizer.ggml.unknown_token_id", offsetof(struct llm_vocab_desc, unk_id)},
        {"tokenizer.ggml.seperator_token_id", offsetof(struct llm_vocab_desc, sep_id)},
        {"tokenizer.ggml.padding_token_id", offsetof(struct llm_vocab_desc, pad_id)},
    };
    for (size_t i = 0; rc == 0 && i < sizeof ids / sizeof ids[0]; i++) {
        what = ids[i].key;
        rc = get_id(g, ids[i].key, (int64_t *)((char *)&d + ids[i].field));
    }
    if (rc == 0) {
        what = "tokenizer.ggml.add_bos_token";
        rc = get_flag(g, what, &d.add_bos);
    }
    if (rc == 0) {
        what = "tokenizer.ggml.add_eos_token";
        rc = get_flag(g, what, &d.add_eos);
    }
    if (rc == 0) {
        what = "tokenizer.ggml.add_space_prefix";
        rc = get_flag(g, what, &d.add_space_prefix);
    }
    if (rc == 0) {
        what = "tokenizer.ggml.add_sep_token";
        rc = get_flag(g, what, &d.add_sep);
    }
    if (rc == 0) {
        what = "tokenizer.ggml.normalizer.lowercase";
        rc = get_flag(g, what, &d.lowercase);
    }
    if (rc == 0) {
        what = "tokenizer.ggml.normalizer.strip_accents";
        rc = get_flag(g, what, &d.strip_accents);
    }
    if (rc != 0) {
        if (err && err_len)
            snprintf(err, err_len, "%s: %s", what, rc == ERR_NOT_FOUND ? "missing" : err_str(rc));
        if (rc == ERR_NOT_FOUND)
            rc = ERR_INVALID;
        goto out;
    }
    d.tokens = tokens;
    d.scores = scores;
    d.types = types;
    d.merges = merges;
    rc = llm_vocab_build(&d, out, err, err_len);
out:
    free(tokens);
    free(merges);
    free(scores);
    free(types);
    return rc;
}

/* ---- accessors ------------------------------------------------------------------------- */

enum llm_vocab_type llm_vocab_type(const struct llm_vocab *v) { return v->type; }
const char *llm_vocab_pre(const struct llm_vocab *v) { return v->pre_name; }
int32_t llm_vocab_n_tokens(const struct llm_vocab *v) { return v->n_tokens; }
int32_t llm_vocab_bos(const struct llm_vocab *v) { return v->bos; }
int32_t llm_vocab_eos(const struct llm_vocab *v) { return v->eos; }
int32_t llm_vocab_eot(const struct llm_vocab *v) { return v->eot; }
int32_t llm_vocab_unk(const struct llm_vocab *v) { return v->unk; }
int32_t llm_vocab_pad(const struct llm_vocab *v) { return v->pad; }
int32_t llm_vocab_sep(const struct llm_vocab *v) { return v->sep; }
int32_t llm_vocab_nl(const struct llm_vocab *v) { return v->nl; }
bool llm_vocab_add_bos(const struct llm_vocab *v) { return v->add_bos; }
bool llm_vocab_add_eos(const struct llm_vocab *v) { return v->add_eos; }

bool llm_vocab_is_eog(const struct llm_vocab *v, int32_t id)
{
    size_t lo = 0, hi = v->n_eog;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->eog[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n_eog && v->eog[lo] == id;
}

uint32_t llm_vocab_attr(const struct llm_vocab *v, int32_t id)
{
    return id >= 0 && id < v->n_tokens ? v->attr[id] : 0;
}

struct str llm_vocab_text(const struct llm_vocab *v, int32_t id)
{
    if (id < 0 || id >= v->n_tokens)
        return (struct str){"", 0};
    return (struct str){v->text_blob + v->text_off[id], v->text_len[id]};
}

float llm_vocab_score(const struct llm_vocab *v, int32_t id)
{
    return id >= 0 && id < v->n_tokens ? v->scores[id] : 0.0f;
}

int32_t llm_vocab_find(const struct llm_vocab *v, const char *text, size_t len)
{
    return llm_tok__find(v, text, len);
}
