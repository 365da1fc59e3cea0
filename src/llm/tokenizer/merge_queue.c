/* merge_queue.c: the symbol list and the best-first pair queue of merge_queue.h. */
#include "llm/tokenizer/merge_queue.h"

#include "base/mem.h"
#include "llm/tokenizer/unicode.h"

#include <stdbool.h>

/* a before b: higher score first, then lower left index */
static bool before(const struct llm_tok__bigram *a, const struct llm_tok__bigram *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

int32_t llm_tok__syms_split(const char *text, size_t len, struct llm_tok__sym *s)
{
    int32_t n = 0;
    for (size_t off = 0; off < len; n++) {
        size_t cl = llm_tok__utf8_len((uint8_t)text[off]);
        if (cl > len - off)
            cl = len - off;
        s[n].off = (uint32_t)off;
        s[n].n = (uint32_t)cl;
        s[n].prev = n - 1;
        off += cl;
        s[n].next = off == len ? -1 : n + 1;
    }
    return n;
}

void llm_tok__queue_push(struct llm_tok__queue *q, struct llm_tok__bigram b)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 64;
        q->h = xrealloc(q->h, q->cap * sizeof *q->h);
    }
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&b, &q->h[parent]))
            break;
        q->h[i] = q->h[parent];
        i = parent;
    }
    q->h[i] = b;
}

struct llm_tok__bigram llm_tok__queue_pop(struct llm_tok__queue *q)
{
    struct llm_tok__bigram top = q->h[0], last = q->h[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && before(&q->h[c + 1], &q->h[c]))
            c++;
        if (!before(&q->h[c], &last))
            break;
        q->h[i] = q->h[c];
        i = c;
    }
    if (q->n > 0)
        q->h[i] = last;
    return top;
}
