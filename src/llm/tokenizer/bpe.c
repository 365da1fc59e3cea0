/* bpe.c: byte-level BPE (llama.cpp's llm_tokenizer_bpe_session).
 *
 * The fragment is split by the vocab's pre-tokenizer (pretok.c). Each piece is re-encoded
 * as UTF-8 (invalid input bytes became U+FFFD there) and every byte is replaced by its
 * GPT-2 printable image, so pieces are spelled exactly like the vocab's token texts. With
 * ignore_merges (llama3) a piece that is itself a token is taken whole. Otherwise the piece
 * starts as one symbol per byte image, and the adjacent pair with the lowest merge rank
 * (ties: leftmost) is merged until no pair has a rank. A final symbol that is not a token
 * falls back to single-byte tokens looked up by each of its bytes, as llama.cpp does. */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "llm/tokenizer/internal.h"
#include "llm/tokenizer/merge_queue.h"
#include "llm/tokenizer/unicode.h"


static void try_pair(const struct llm_vocab *v, const char *w, const struct llm_tok__sym *s, int32_t left,
                     int32_t right, struct llm_tok__queue *q)
{
    if (left < 0 || right < 0)
        return;
    int32_t rank = llm_tok__merge_rank(v, w + s[left].off, s[left].n, w + s[right].off,
                                       s[right].n);
    if (rank < 0)
        return;
    /* lower rank first: as a score (exact below 2^24 merges) */
    struct llm_tok__bigram b = {-(float)rank, left, right, s[left].n + s[right].n};
    llm_tok__queue_push(q, b);
}

/* Merges one encoded piece w[0..len) and appends its ids. s has room for len symbols. */
static void bpe_piece(const struct llm_vocab *v, const char *w, size_t len, struct llm_tok__sym *s,
                      struct llm_tok__queue *q, struct llm_tok__ids *out)
{
    bool all_newlines = v->pre == LLM_TOK__PRE_GEMMA4 && len > 0;
    for (size_t i = 0; all_newlines && i < len; i++)
        all_newlines = w[i] == '\n';
    if (v->ignore_merges || all_newlines) { /* llama.cpp's Gemma 4 newline fix */
        int32_t id = llm_tok__find(v, w, len);
        if (id != LLM_TOKEN_NULL) {
            llm_tok__ids_push(out, id);
            return;
        }
    }
    int32_t n = llm_tok__syms_split(w, len, s);
    q->n = 0;
    for (int32_t i = 1; i < n; i++)
        try_pair(v, w, s, i - 1, i, q);
    while (q->n > 0) {
        struct llm_tok__bigram b = llm_tok__queue_pop(q);
        struct llm_tok__sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size)
            continue; /* stale: one side changed since it was queued */
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            s[r->next].prev = b.left;
        try_pair(v, w, s, l->prev, b.left, q);
        try_pair(v, w, s, b.left, l->next, q);
    }
    for (int32_t i = 0; n > 0 && i != -1; i = s[i].next) {
        int32_t id = llm_tok__find(v, w + s[i].off, s[i].n);
        if (id != LLM_TOKEN_NULL) {
            llm_tok__ids_push(out, id);
            continue;
        }
        for (uint32_t j = 0; j < s[i].n; j++) {
            int32_t bid = v->byte_encode ? llm_tok__find(v, w + s[i].off + j, 1)
                                         : v->byte_id[(uint8_t)w[s[i].off + j]];
            if (bid != LLM_TOKEN_NULL)
                llm_tok__ids_push(out, bid);
        }
    }
}

void llm_tok__bpe(const struct llm_vocab *v, const char *text, size_t len,
                  struct llm_tok__ids *out)
{
    uint32_t *cp;
    size_t n_cp, *bounds, n_pieces;
    if (len == 0)
        return;
    llm_tok__pretok(v->pre, text, len, &cp, &n_cp, &bounds, &n_pieces);
    size_t longest = 0;
    for (size_t i = 0; i < n_pieces; i++)
        if (bounds[i + 1] - bounds[i] > longest)
            longest = bounds[i + 1] - bounds[i];
    /* a code point is at most 4 UTF-8 bytes, each byte's image at most 2 bytes */
    char *w = xmalloc(longest * 8 + 1);
    struct llm_tok__sym *s = NULL; /* one symbol per encoded character at most: grown to fit */
    size_t s_cap = 0;
    struct llm_tok__queue q = {NULL, 0, 0};
    for (size_t i = 0; i < n_pieces; i++) {
        size_t wl = 0;
        for (size_t k = bounds[i]; k < bounds[i + 1]; k++) {
            uint8_t u[4];
            size_t ul = llm_tok__utf8_encode(cp[k], u);
            if (!v->byte_encode) {
                memcpy(w + wl, u, ul);
                wl += ul;
                continue;
            }
            for (size_t j = 0; j < ul; j++) {
                memcpy(w + wl, v->byte_enc[u[j]], v->byte_enc_len[u[j]]);
                wl += v->byte_enc_len[u[j]];
            }
        }
        if (wl + 1 > s_cap) {
            s_cap = wl + 1;
            s = xrealloc(s, s_cap * sizeof *s);
        }
        bpe_piece(v, w, wl, s, &q, out);
    }
    free(q.h);
    free(s);
    free(w);
    free(bounds);
    free(cp);
}
