/* spm.c: SentencePiece-style BPE over UTF-8 characters (llama.cpp's llm_tokenizer_spm).
 *
 * The caller passes one raw fragment with the prefix space already added and every ' '
 * replaced by U+2581. The text is cut into characters by their lead byte; every adjacent
 * pair whose concatenation is a token is queued with that token's score; the best pair
 * (highest score, then leftmost) is merged and its new neighbours are queued, until no pair
 * remains. Each final symbol is its token, or -- when a character has no token -- one
 * <0xNN> byte token per byte. Queue entries made stale by later merges are recognised by
 * their length no longer matching the two symbols' lengths. */
#include <stdlib.h>

#include "base/mem.h"
#include "llm/tokenizer/internal.h"
#include "llm/tokenizer/merge_queue.h"
#include "llm/tokenizer/unicode.h"


static void try_pair(const struct llm_vocab *v, const char *text, const struct llm_tok__sym *s,
                     int32_t left, int32_t right, struct llm_tok__queue *q)
{
    if (left < 0 || right < 0)
        return;
    uint32_t size = s[left].n + s[right].n;
    int32_t id = llm_tok__find(v, text + s[left].off, size);
    if (id == LLM_TOKEN_NULL)
        return;
    struct llm_tok__bigram b = {v->scores[id], left, right, size};
    llm_tok__queue_push(q, b);
}

void llm_tok__spm(const struct llm_vocab *v, const char *text, size_t len,
                  struct llm_tok__ids *out)
{
    if (len == 0)
        return;
    struct llm_tok__sym *s = xcalloc(len, sizeof *s);
    struct llm_tok__queue q = {NULL, 0, 0};
    int32_t n = llm_tok__syms_split(text, len, s);
    for (int32_t i = 1; i < n; i++)
        try_pair(v, text, s, i - 1, i, &q);
    while (q.n > 0) {
        struct llm_tok__bigram b = llm_tok__queue_pop(&q);
        struct llm_tok__sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size)
            continue; /* stale */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            s[r->next].prev = b.left;
        try_pair(v, text, s, l->prev, b.left, &q);
        try_pair(v, text, s, b.left, l->next, &q);
    }
    for (int32_t i = 0; i != -1; i = s[i].next) {
        int32_t id = llm_tok__find(v, text + s[i].off, s[i].n);
        if (id != LLM_TOKEN_NULL) {
            llm_tok__ids_push(out, id);
            continue;
        }
        for (uint32_t j = 0; j < s[i].n; j++) { /* byte fallback */
            int32_t bid = v->byte_id[(uint8_t)text[s[i].off + j]];
            if (bid == LLM_TOKEN_NULL)
                bid = v->unk; /* llama.cpp would throw here; a vocab without the byte */
            if (bid != LLM_TOKEN_NULL) /* tokens and without UNK loses the byte */
                llm_tok__ids_push(out, bid);
        }
    }
    free(q.h);
    free(s);
}
