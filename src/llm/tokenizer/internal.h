/* internal.h: the vocab's layout and what the files of src/llm/tokenizer/ share.
 *
 * vocab.c builds struct llm_vocab; tokenize.c splits special tokens out of the text and
 * dispatches raw fragments to spm.c or bpe.c (which uses pretok.c); detok.c turns ids back
 * into bytes. After llm_vocab_build nothing in the struct changes, which is what makes
 * concurrent use of one vocab safe. */
#ifndef RELAIS_LLM_TOKENIZER_INTERNAL_H
#define RELAIS_LLM_TOKENIZER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/tokenizer/tokenizer.h"

/* Pre-tokenizer families: one per distinct list of regexes in llama.cpp. */
enum llm_tok__pre {
    LLM_TOK__PRE_DEFAULT,        /* \p{P}-run, gpt2, \p{N}+, [0-9]{3} */
    LLM_TOK__PRE_LLAMA3,         /* llama3 regex (digits by 1..3) */
    LLM_TOK__PRE_QWEN2,          /* llama3 shape, single digits */
    LLM_TOK__PRE_QWEN35,         /* qwen2 with \p{M} joined to letters */
    LLM_TOK__PRE_GPT2,           /* gpt2 regex alone */
    LLM_TOK__PRE_STARCODER,      /* \p{N}, then gpt2 */
    LLM_TOK__PRE_FALCON,         /* punctuation runs, gpt2, [0-9]{3} */
    LLM_TOK__PRE_DEEPSEEK_LLM,   /* newline, cased letters, ASCII/fullwidth punct, ... */
    LLM_TOK__PRE_DEEPSEEK_CODER, /* newline, \s?\p{L}+, \s?\p{P}+, CJK, \p{N} */
    LLM_TOK__PRE_PORO,           /* " ?[^(\s|.,!?…。，、।۔،)]+" */
    LLM_TOK__PRE_GEMMA4,         /* newline runs / other runs, on raw (escaped) UTF-8 */
    LLM_TOK__PRE_GPT4O,          /* cased words + contractions, \p{N}{1,3}, ... (llama4) */
    LLM_TOK__PRE_TEKKEN,         /* cased words, \p{N}, ... (Mistral) */
    LLM_TOK__PRE_VIKING,         /* poro's regex, then \p{N} */
    LLM_TOK__PRE_UFAKZEKA,       /* qwen2 without the contractions */
    LLM_TOK__PRE_SEED_CODER,     /* qwen2 without [\r\n]* after punctuation */
    LLM_TOK__PRE_LAGUNA,         /* newline runs, then qwen2 */
    LLM_TOK__PRE_MINICPM5,       /* \p{N}{1,3}, then llama3 with \p{N}+ */
    LLM_TOK__PRE_DEEPSEEK3,      /* \p{N}{1,3}, kana/CJK runs, punctuation-led words ... */
};

/* Open-addressing hash set of byte strings that live elsewhere (the vocab's blobs);
 * a slot is (hash << 32) | (index + 1), 0 when empty, so one probe is one cache line. */
struct llm_tok__strmap {
    uint64_t *slots;    /* cap entries */
    size_t cap;         /* power of two */
};

struct llm_vocab {
    enum llm_vocab_type type;      /* SPM or BPE */
    enum llm_tok__pre pre;         /* BPE pre-tokenizer family */
    char pre_name[32];             /* tokenizer.ggml.pre as given ("default" if absent) */
    int32_t n_tokens;              /* ids are 0..n_tokens-1 */
    char *text_blob;               /* every token text, each followed by a NUL; owned */
    uint32_t *text_off;            /* n_tokens offsets into text_blob */
    uint32_t *text_len;            /* n_tokens lengths (bytes, without the NUL) */
    float *scores;                 /* n_tokens SPM scores */
    uint32_t *attr;                /* n_tokens enum llm_token_attr bit sets */
    struct llm_tok__strmap tokens; /* text -> id */
    int32_t n_merges;              /* BPE ranks are 0..n_merges-1 */
    char *merge_blob;              /* merge strings "left right", each NUL-terminated; owned */
    uint32_t *merge_off;           /* n_merges offsets into merge_blob */
    uint32_t *merge_len;           /* n_merges lengths */
    struct llm_tok__strmap merges; /* "left right" -> rank (first occurrence wins) */
    int32_t *special;              /* ids matched in raw text, longest text first; owned */
    size_t n_special;              /* entries in special */
    int32_t *eog;                  /* end-of-generation ids, ascending; owned */
    size_t n_eog;                  /* entries in eog */
    int32_t bos, eos, eot, eom, unk, sep, pad, nl; /* special ids or LLM_TOKEN_NULL */
    bool add_bos;                  /* prepend BOS when add_special */
    bool add_eos;                  /* append EOS when add_special */
    bool add_space_prefix;         /* SPM: prefix text with a space */
    bool ignore_merges;            /* BPE: take a whole pre-token when it is a token */
    bool clean_spaces;             /* detokenize: clean_up_tokenization_spaces */
    bool escape_whitespaces;       /* BPE: ' ' -> U+2581 before merging (Gemma 4) */
    bool add_sep;                  /* WPM: append SEP when add_special */
    bool lowercase;                /* WPM: lowercase the text */
    bool strip_accents;            /* WPM: NFD first code point, marks dropped */
    size_t max_token_len;          /* WPM: longest token text in bytes */
    bool byte_encode;              /* BPE: GPT-2 byte images (false: raw UTF-8, <0xNN>) */
    int32_t byte_id[256];          /* SPM and raw-UTF-8 BPE: <0xNN> (SPM: or the raw byte)
                                      token; byte-level BPE: the token of the byte's GPT-2
                                      image; or LLM_TOKEN_NULL */
    uint8_t byte_enc[256][2];      /* GPT-2 image of each byte, UTF-8 (1 or 2 bytes) */
    uint8_t byte_enc_len[256];     /* its length */
    int16_t cp_to_byte[324];       /* GPT-2 image code point -> byte, or -1 */
};

/* Id of the token whose text is s[0..len), or LLM_TOKEN_NULL. */
int32_t llm_tok__find(const struct llm_vocab *v, const char *s, size_t len);
/* Rank of the merge "left right", or -1. */
int32_t llm_tok__merge_rank(const struct llm_vocab *v, const char *left, size_t left_len,
                            const char *right, size_t right_len);

/* A growable id list (tokenize output). */
struct llm_tok__ids {
    int32_t *ids;  /* owned */
    size_t n;      /* used */
    size_t cap;    /* allocated */
};
void llm_tok__ids_push(struct llm_tok__ids *o, int32_t id);

/* Tokenizes one raw fragment with the SentencePiece algorithm (text already has the
 * prefix space and U+2581 escapes). */
void llm_tok__spm(const struct llm_vocab *v, const char *text, size_t len,
                  struct llm_tok__ids *out);
/* Tokenizes one raw fragment with WordPiece. */
void llm_tok__wpm(const struct llm_vocab *v, const char *text, size_t len,
                  struct llm_tok__ids *out);
/* Tokenizes one raw fragment with byte-level BPE (pre-tokenizer included). */
void llm_tok__bpe(const struct llm_vocab *v, const char *text, size_t len,
                  struct llm_tok__ids *out);

/* Pre-tokenizer: decodes text into code points (cps, n entries, caller frees) and splits
 * them; piece i is cps[bounds[i] .. bounds[i+1]) for i < n_pieces (bounds has n_pieces+1
 * entries, caller frees). */
void llm_tok__pretok(enum llm_tok__pre pre, const char *text, size_t len, uint32_t **cps,
                     size_t *n, size_t **bounds, size_t *n_pieces);

#endif
