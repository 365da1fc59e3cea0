/* merge_queue.h: the symbol list and the best-first queue of adjacent pairs that
 * both merge-based tokenizers use (spm.c ranks pairs by token score, bpe.c by merge
 * rank, given here as the score -rank). */
#ifndef RELAIS_LLM_TOKENIZER_MERGE_QUEUE_H
#define RELAIS_LLM_TOKENIZER_MERGE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct llm_tok__sym {
    int32_t prev;   /* previous live symbol or -1 */
    int32_t next;   /* next live symbol or -1 */
    uint32_t off;   /* first byte in the text */
    uint32_t n;     /* bytes; 0 once merged into its left neighbour */
};

/* Splits text[0..len) into one symbol per UTF-8 character (a truncated last character is
 * one symbol of the bytes left), linked in order, into s (room for len); returns how many. */
int32_t llm_tok__syms_split(const char *text, size_t len, struct llm_tok__sym *s);

struct llm_tok__bigram {
    float score;    /* higher first (spm: token score; bpe: -merge rank) */
    int32_t left;   /* left symbol */
    int32_t right;  /* right symbol */
    uint32_t size;  /* bytes of left + right when queued (stale entries no longer match) */
};

/* A binary heap, best (highest score, then leftmost) at 0. Start it as {NULL, 0, 0};
 * free(q.h) when done. Reset with q.n = 0 to reuse the allocation. */
struct llm_tok__queue {
    struct llm_tok__bigram *h; /* owned */
    size_t n;                  /* entries */
    size_t cap;                /* allocated */
};

void llm_tok__queue_push(struct llm_tok__queue *q, struct llm_tok__bigram b);
/* Removes and returns the best entry; q must not be empty. */
struct llm_tok__bigram llm_tok__queue_pop(struct llm_tok__queue *q);

#endif
