/* tokenizer.h: text <-> token ids for GGUF models, matching llama.cpp exactly.
 *
 * A struct llm_vocab is built once from a GGUF file's tokenizer.* metadata (or from plain
 * arrays) and is immutable afterwards: any number of threads may tokenize and detokenize
 * with one vocab at the same time. Two tokenizer families are supported:
 *
 *  - "llama" (SentencePiece BPE, e.g. Llama 2, TinyLlama, Phi-3): a space is prefixed, spaces
 *    become U+2581, then adjacent pieces are merged by best score; characters without a
 *    piece fall back to <0xNN> byte tokens.
 *  - "gpt2" (byte-level BPE, e.g. Llama 3, Qwen2, GPT-2): the text is split by the
 *    pre-tokenizer named in tokenizer.ggml.pre (llama3/llama-bpe, qwen2, qwen35, gpt-2, mpt,
 *    starcoder, refact, command-r, falcon, deepseek-llm, deepseek-coder, default, and their
 *    aliases), every byte is mapped to GPT-2's printable alphabet, and pairs are merged by
 *    rank from tokenizer.ggml.merges.
 *  - "bert" (WordPiece): lowercased, accents stripped, split at spaces and punctuation,
 *    each word cut into the longest pieces from the left; [CLS] ... [SEP] with add_special.
 *  - "gemma4" (Gemma 4's SentencePiece-style BPE): spaces become U+2581, the text is split
 *    only at newlines, and merges by rank run on the raw UTF-8 with <0xNN> byte fallback.
 *
 * Special tokens (control, user-defined and unknown types) are matched in the raw text
 * before either algorithm runs: user-defined ones always, control/unknown ones only with
 * parse_special, so "<|im_start|>" becomes one id exactly when the caller asks for it.
 *
 * Details, the Unicode tables and what llama.cpp quirks are reproduced:
 * docs/internals/tokenizer.md. */
#ifndef RELAIS_LLM_TOKENIZER_TOKENIZER_H
#define RELAIS_LLM_TOKENIZER_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/str.h"

struct llm_gguf;
struct llm_vocab;

#define LLM_TOKEN_NULL (-1)
/* Longest text llm_tokenize accepts (bytes); longer input gives ERR_TOO_LARGE. Far above
 * any context window (a million tokens of text); it bounds the scratch memory, which is at
 * most about 64 bytes per input byte (SPM symbols and merge queue). */
#define LLM_TOKENIZE_MAX_BYTES ((size_t)4 << 20)

enum llm_vocab_type {
    LLM_VOCAB_SPM = 1, /* tokenizer.ggml.model = "llama" */
    LLM_VOCAB_BPE = 2, /* tokenizer.ggml.model = "gpt2" or "gemma4" */
    LLM_VOCAB_WPM = 3, /* tokenizer.ggml.model = "bert" (WordPiece) */
};

/* Token attributes (bit set, llama.cpp's llama_token_attr values). */
enum llm_token_attr {
    LLM_TOKEN_ATTR_UNDEFINED = 0,
    LLM_TOKEN_ATTR_UNKNOWN = 1 << 0,
    LLM_TOKEN_ATTR_UNUSED = 1 << 1,
    LLM_TOKEN_ATTR_NORMAL = 1 << 2,
    LLM_TOKEN_ATTR_CONTROL = 1 << 3,
    LLM_TOKEN_ATTR_USER_DEFINED = 1 << 4,
    LLM_TOKEN_ATTR_BYTE = 1 << 5,
    LLM_TOKEN_ATTR_NORMALIZED = 1 << 6,
    LLM_TOKEN_ATTR_LSTRIP = 1 << 7,
    LLM_TOKEN_ATTR_RSTRIP = 1 << 8,
    LLM_TOKEN_ATTR_SINGLE_WORD = 1 << 9,
};

/* Token types as stored in tokenizer.ggml.token_type. */
enum llm_token_type {
    LLM_TOKEN_TYPE_UNDEFINED = 0,
    LLM_TOKEN_TYPE_NORMAL = 1,
    LLM_TOKEN_TYPE_UNKNOWN = 2,
    LLM_TOKEN_TYPE_CONTROL = 3,
    LLM_TOKEN_TYPE_USER_DEFINED = 4,
    LLM_TOKEN_TYPE_UNUSED = 5,
    LLM_TOKEN_TYPE_BYTE = 6,
};

#define LLM_VOCAB_KEY_ABSENT INT64_MIN /* an id or flag field not given */

/* Everything a vocab is built from, as plain arrays (what llm_vocab_load reads from the
 * GGUF keys named in the comments). All pointers are borrowed for the duration of
 * llm_vocab_build only; the vocab copies what it keeps. */
struct llm_vocab_desc {
    struct str model;          /* tokenizer.ggml.model: "llama", "gpt2", "gemma4" or "bert" */
    struct str pre;            /* tokenizer.ggml.pre; len 0 = absent ("default") */
    struct str general_name;   /* general.name (llama.cpp keys a few token flags on it) */
    size_t n_tokens;           /* entries in tokens */
    const struct str *tokens;  /* tokenizer.ggml.tokens */
    const float *scores;       /* tokenizer.ggml.scores, n_tokens floats, or NULL (all 0) */
    const int32_t *types;      /* tokenizer.ggml.token_type (enum llm_token_type) or NULL */
    size_t n_merges;           /* entries in merges */
    const struct str *merges;  /* tokenizer.ggml.merges ("left right"), BPE only */
    int64_t bos_id, eos_id, eot_id, eom_id, unk_id, sep_id, pad_id; /* or KEY_ABSENT */
    int64_t add_bos, add_eos;  /* tokenizer.ggml.add_bos_token / add_eos_token: 0, 1, or
                                  KEY_ABSENT (SPM then adds BOS, BPE per pre-tokenizer) */
    int64_t add_space_prefix;  /* tokenizer.ggml.add_space_prefix: 0, 1 or KEY_ABSENT */
    int64_t add_sep;           /* tokenizer.ggml.add_sep_token: 0, 1 or KEY_ABSENT */
    int64_t lowercase;         /* tokenizer.ggml.normalizer.lowercase (WordPiece; default 1) */
    int64_t strip_accents;     /* tokenizer.ggml.normalizer.strip_accents (default: lowercase) */
};

/* Fills d with "absent" for every optional field (ids, flags) and zero elsewhere. */
void llm_vocab_desc_init(struct llm_vocab_desc *d);

/* Builds a vocab. On success returns 0 and stores an owned vocab in *out (free with
 * llm_vocab_free). Errors: ERR_UNSUPPORTED for an unknown tokenizer model or pre-tokenizer,
 * ERR_INVALID for inconsistent data (duplicate token text, add_bos without a BOS id, a
 * missing merges list), ERR_TOO_LARGE for more than 2^31-1 tokens or merges; a one-line
 * reason goes to err (NUL-terminated when err_len > 0; err may be NULL). */
int llm_vocab_build(const struct llm_vocab_desc *d, struct llm_vocab **out, char *err,
                    size_t err_len);

/* Reads the tokenizer.* keys of a parsed GGUF file (borrowed; it may be closed after the
 * call) and builds the vocab as llm_vocab_build does. Wrong key types are ERR_INVALID. */
int llm_vocab_load(const struct llm_gguf *g, struct llm_vocab **out, char *err, size_t err_len);

/* Releases a vocab; NULL is a no-op. Must not race with users of the vocab. */
void llm_vocab_free(struct llm_vocab *v);

/* ---- facts ----------------------------------------------------------------------------- */
enum llm_vocab_type llm_vocab_type(const struct llm_vocab *v);
const char *llm_vocab_pre(const struct llm_vocab *v); /* resolved pre-tokenizer name */
int32_t llm_vocab_n_tokens(const struct llm_vocab *v);
int32_t llm_vocab_bos(const struct llm_vocab *v); /* each: an id or LLM_TOKEN_NULL */
int32_t llm_vocab_eos(const struct llm_vocab *v);
int32_t llm_vocab_eot(const struct llm_vocab *v);
int32_t llm_vocab_unk(const struct llm_vocab *v);
int32_t llm_vocab_pad(const struct llm_vocab *v);
int32_t llm_vocab_sep(const struct llm_vocab *v); /* WordPiece [SEP] */
int32_t llm_vocab_nl(const struct llm_vocab *v); /* the newline token */
bool llm_vocab_add_bos(const struct llm_vocab *v);
bool llm_vocab_add_eos(const struct llm_vocab *v);
/* True for every end-of-generation id (EOS, EOT, <|im_end|>, <|eot_id|>, ...). */
bool llm_vocab_is_eog(const struct llm_vocab *v, int32_t id);
/* Attribute bits (enum llm_token_attr) of id; 0 when out of range. */
uint32_t llm_vocab_attr(const struct llm_vocab *v, int32_t id);
/* Stored text of id (borrowed from v, NUL-terminated), or an empty str when out of range. */
struct str llm_vocab_text(const struct llm_vocab *v, int32_t id);
float llm_vocab_score(const struct llm_vocab *v, int32_t id);
/* Id whose stored text is exactly text[0..len), or LLM_TOKEN_NULL. */
int32_t llm_vocab_find(const struct llm_vocab *v, const char *text, size_t len);

/* ---- tokenize -------------------------------------------------------------------------- */

/* Tokenizes text[0..len) (any bytes; invalid UTF-8 is handled as llama.cpp does).
 * add_special prepends BOS / appends EOS where the vocab asks for them; parse_special
 * turns control-token texts in the input into their ids. Writes up to max ids to out and
 * the total number in *n_out. Returns 0, or ERR_TOO_LARGE when max is too small (*n_out
 * then holds the number needed and out holds the first max ids) or len is above
 * LLM_TOKENIZE_MAX_BYTES. out may be NULL when max is 0. Thread-safe. */
int llm_tokenize(const struct llm_vocab *v, const char *text, size_t len, bool add_special,
                 bool parse_special, int32_t *out, size_t max, size_t *n_out);

/* Same, allocating: stores an owned array (free()) in *out and its length in *n_out. */
int llm_tokenize_alloc(const struct llm_vocab *v, const char *text, size_t len,
                       bool add_special, bool parse_special, int32_t **out, size_t *n_out);

/* ---- detokenize ------------------------------------------------------------------------ */

/* Appends the bytes of one token to out, as llama_token_to_piece does: control and unknown
 * tokens only when special is true, U+2581 -> ' ' and <0xNN> -> the byte for SPM, the
 * GPT-2 byte map reversed for BPE; up to lstrip leading spaces are dropped. The bytes may
 * end inside a UTF-8 sequence (byte tokens). Returns 0, ERR_INVALID for an id out of
 * range, or ERR_TOO_LARGE when out is full. */
int llm_token_to_piece(const struct llm_vocab *v, int32_t id, bool special, int lstrip,
                       struct buf *out);

/* Appends the text of ids[0..n) to out as llama_detokenize does: the leading space SPM
 * adds is removed, remove_special drops a leading BOS / trailing EOS the vocab adds,
 * unparse_special renders control tokens, and BPE vocabs with clean_up_tokenization_spaces
 * tidy " ," " ." " 's" and friends. Returns 0, ERR_INVALID or ERR_TOO_LARGE. */
int llm_detokenize(const struct llm_vocab *v, const int32_t *ids, size_t n, bool remove_special,
                   bool unparse_special, struct buf *out);

/* Streaming detokenizer for generated text: pieces are appended as tokens arrive, but a
 * UTF-8 sequence split across tokens is held back until it is complete, so every chunk
 * written is valid UTF-8 (bytes that can never form a character become U+FFFD, one per
 * maximal invalid subpart).
 * Caller-allocated; one per stream; not shared between threads. */
struct llm_detok {
    const struct llm_vocab *v; /* borrowed, outlives the decoder */
    bool special;              /* render control tokens */
    int lstrip;                /* leading spaces still to drop (1 for SPM prompt-less text) */
    uint8_t pending[4];        /* bytes of an incomplete UTF-8 sequence */
    size_t n_pending;          /* 0..3 */
};

/* strip_leading_space drops the space SPM vocabs put before the first word (from the
 * first token pushed, as llama_detokenize does). */
void llm_detok_init(struct llm_detok *d, const struct llm_vocab *v, bool special,
                    bool strip_leading_space);
/* Appends the complete characters now available after token id. Returns 0, ERR_INVALID
 * (id out of range) or ERR_TOO_LARGE (out full; the decoder state is then unspecified). */
int llm_detok_push(struct llm_detok *d, int32_t id, struct buf *out);
/* Ends the stream: an incomplete sequence still held becomes U+FFFD. */
int llm_detok_flush(struct llm_detok *d, struct buf *out);

#endif
