/* unicode.h: what the tokenizers need to know about Unicode (internal to tokenizer/).
 *
 * - Code point classes for the BPE pre-tokenizer regexes (\p{L}, \p{N}, \p{M}, \p{P},
 *   \s): one byte of flags per code point, read from the generated range table in
 *   unicode_tables.c (tools/gen_unicode_tables.py). The low three bits are the general
 *   category group, bit 3 is the White_Space property.
 * - The simple lowercase mapping (for the case-insensitive contractions 's, 'T, ...).
 * - UTF-8 decoding with llama.cpp's rules: a malformed lead or a missing continuation byte
 *   yields U+FFFD and consumes one byte; overlong forms are not rejected (the tokenizers
 *   must split text exactly as llama.cpp does, not validate it).
 * - The GPT-2 byte <-> printable code point map used by byte-level BPE.
 * All functions are pure and thread-safe. */
#ifndef RELAIS_LLM_TOKENIZER_UNICODE_H
#define RELAIS_LLM_TOKENIZER_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* General category groups (flags & LLM_TOK__UCAT_MASK). */
enum llm_tok__ucat {
    LLM_TOK__UCAT_UNASSIGNED = 0, /* Cn */
    LLM_TOK__UCAT_LETTER = 1,     /* L* */
    LLM_TOK__UCAT_NUMBER = 2,     /* N* */
    LLM_TOK__UCAT_MARK = 3,       /* M* */
    LLM_TOK__UCAT_PUNCT = 4,      /* P* */
    LLM_TOK__UCAT_SYMBOL = 5,     /* S* */
    LLM_TOK__UCAT_SEPARATOR = 6,  /* Z* */
    LLM_TOK__UCAT_CONTROL = 7,    /* Cc Cf Co Cs */
};
#define LLM_TOK__UCAT_MASK 0x07u
#define LLM_TOK__UWHITESPACE 0x08u /* White_Space property (PropList.txt) */

/* Generated tables (unicode_tables.c). */
extern const char llm_tok__unicode_version[];
extern const uint8_t llm_tok__unicode_latin1[256]; /* flags of U+0000..U+00FF */
extern const uint32_t llm_tok__unicode_ranges[]; /* (first << 8) | flags, ascending */
extern const size_t llm_tok__unicode_ranges_len;
extern const uint32_t llm_tok__unicode_lower[][2]; /* {code point, lowercase}, ascending */
extern const size_t llm_tok__unicode_lower_len;
extern const uint32_t llm_tok__unicode_nfd_first[][3]; /* {first, last, NFD start}, asc. */
extern const size_t llm_tok__unicode_nfd_first_len;

/* Flags of a code point; values above U+10FFFF are unassigned. */
uint8_t llm_tok__uflags(uint32_t cp);

/* Simple lowercase mapping; cp itself when it has none. */
uint32_t llm_tok__utolower(uint32_t cp);

/* First code point of cp's canonical decomposition (NFD); cp itself when it has none. */
uint32_t llm_tok__unfd_first(uint32_t cp);

/* Bytes in the UTF-8 sequence that `lead` starts, by its high nibble only (1 for ASCII
 * and stray continuation bytes, 2 for 0xC_/0xD_, 3 for 0xE_, 4 for 0xF_). */
static inline size_t llm_tok__utf8_len(uint8_t lead)
{
    static const uint8_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lookup[lead >> 4];
}

/* Decodes the code point at s[0..len) (len > 0); stores the bytes consumed in *adv.
 * Malformed input gives U+FFFD and *adv = 1. */
uint32_t llm_tok__utf8_decode(const uint8_t *s, size_t len, size_t *adv);

/* Writes cp as UTF-8 into out (room for 4) and returns the length. Values above
 * U+10FFFF are written as U+FFFD. */
size_t llm_tok__utf8_encode(uint32_t cp, uint8_t *out);

/* GPT-2 byte-level map: byte -> printable code point (U+0021..U+0143). */
uint32_t llm_tok__byte_to_cp(uint8_t byte);
/* Reverse map: returns the byte, or -1 when cp is not one of the 256 images. */
int llm_tok__cp_to_byte(uint32_t cp);

#endif
