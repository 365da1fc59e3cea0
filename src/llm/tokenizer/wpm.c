/* wpm.c: WordPiece (BERT) tokenization, as llama.cpp's llm_tokenizer_wpm.
 *
 * The text is decoded to code points; with strip_accents each becomes the first code point
 * of its NFD form and marks are dropped; NUL, U+FFFD and control characters are dropped;
 * whitespace separates words; punctuation, ASCII symbols and CJK ideographs are words of
 * their own; with lowercase letters are lowered. Each word, prefixed with U+2581 (the GGUF
 * spelling of a word start), is cut greedily into the longest tokens from the left; a word
 * with any piece missing becomes one [UNK]. */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "llm/tokenizer/internal.h"
#include "llm/tokenizer/unicode.h"

static bool is_chinese(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) || /* sic */
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Greedy longest-match of one word (w starts with U+2581); appends ids or [UNK]. */
static void wpm_word(const struct llm_vocab *v, const char *w, size_t n, struct llm_tok__ids *out)
{
    size_t start = out->n;
    for (size_t i = 0; i < n; i++) {
        size_t j = n < i + v->max_token_len + 1 ? n : i + v->max_token_len + 1;
        bool match = false;
        for (; j > i; j--) {
            int32_t id = llm_tok__find(v, w + i, j - i);
            if (id != LLM_TOKEN_NULL) {
                llm_tok__ids_push(out, id);
                match = true;
                i = j - 1;
                break;
            }
        }
        if (!match) {
            out->n = start; /* discard the word's pieces */
            break;
        }
    }
    if (out->n == start && v->unk != LLM_TOKEN_NULL)
        llm_tok__ids_push(out, v->unk);
}

void llm_tok__wpm(const struct llm_vocab *v, const char *text, size_t len,
                  struct llm_tok__ids *out)
{
    /* a word is at most 4 bytes per input byte (+ the U+2581 prefix) */
    char *w = xmalloc(len * 4 + 8);
    size_t wl = 0;
    bool have_word = false;
#define FLUSH()                                                                               \
    do {                                                                                      \
        if (have_word)                                                                        \
            wpm_word(v, w, wl, out);                                                          \
        have_word = false;                                                                    \
    } while (0)
    for (size_t i = 0; i < len;) {
        size_t adv;
        uint32_t cp = llm_tok__utf8_decode((const uint8_t *)text + i, len - i, &adv);
        i += adv;
        if (v->strip_accents)
            cp = llm_tok__unfd_first(cp);
        uint8_t f = llm_tok__uflags(cp);
        int cat = f & LLM_TOK__UCAT_MASK;
        if (f & LLM_TOK__UWHITESPACE) {
            FLUSH();
            continue;
        }
        if (cp == 0 || cp == 0xFFFD || cat == LLM_TOK__UCAT_CONTROL)
            continue;
        if (v->strip_accents && cat == LLM_TOK__UCAT_MARK)
            continue;
        uint8_t u[4];
        size_t ul = llm_tok__utf8_encode(v->lowercase ? llm_tok__utolower(cp) : cp, u);
        bool alone = cat == LLM_TOK__UCAT_PUNCT || (cp < 0x7F && cat == LLM_TOK__UCAT_SYMBOL) ||
                     is_chinese(cp);
        if (alone)
            FLUSH();
        if (!have_word) {
            memcpy(w, "\xe2\x96\x81", 3);
            wl = 3;
            have_word = true;
        }
        memcpy(w + wl, u, ul);
        wl += ul;
        if (alone)
            FLUSH();
    }
    FLUSH();
#undef FLUSH
    free(w);
}
