/* tokenize.c: llm_tokenize -- special-token partition, BOS/EOS, dispatch to SPM or BPE.
 *
 * As llama.cpp's tokenizer_st_partition: the special tokens are tried one after another,
 * longest text first; each one splits every raw fragment at all its (non-overlapping,
 * left-to-right) occurrences. User-defined tokens always take part, control and unknown
 * ones only with parse_special. A token flagged LSTRIP/RSTRIP eats the ASCII whitespace
 * before/after it. The raw fragments left over go to the SPM or BPE algorithm one by one;
 * SPM puts its prefix space before a fragment that starts the text or follows a special
 * token. */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "llm/tokenizer/internal.h"

void llm_tok__ids_push(struct llm_tok__ids *o, int32_t id)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->ids = xrealloc(o->ids, o->cap * sizeof *o->ids);
    }
    o->ids[o->n++] = id;
}

struct frag {
    int32_t id;    /* the special token, or LLM_TOKEN_NULL for raw text */
    size_t off;    /* raw text: first byte */
    size_t len;    /* raw text: bytes (> 0) */
};

struct frags {
    struct frag *f; /* in text order */
    size_t n;       /* used */
    size_t cap;     /* allocated */
};

static void frags_push(struct frags *l, int32_t id, size_t off, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->f = xrealloc(l->f, l->cap * sizeof *l->f);
    }
    l->f[l->n++] = (struct frag){id, off, len};
}

static bool ascii_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static const char *find(const char *hay, size_t hay_len, const char *needle, size_t n)
{
    if (n == 0 || n > hay_len)
        return NULL;
    return memmem(hay, hay_len, needle, n);
}

/* Splits every raw fragment of *cur on occurrences of special token id. */
static void split_on(const struct llm_vocab *v, const char *text, int32_t id, struct frags *cur,
                     struct frags *next)
{
    const char *tok = v->text_blob + v->text_off[id];
    size_t tl = v->text_len[id];
    uint32_t attr = v->attr[id];
    next->n = 0;
    for (size_t i = 0; i < cur->n; i++) {
        struct frag f = cur->f[i];
        if (f.id != LLM_TOKEN_NULL) {
            frags_push(next, f.id, 0, 0);
            continue;
        }
        size_t pos = f.off, end = f.off + f.len;
        const char *m;
        while (pos < end && (m = find(text + pos, end - pos, tok, tl)) != NULL) {
            size_t at = (size_t)(m - text);
            size_t left_len = at - pos;
            if (attr & LLM_TOKEN_ATTR_LSTRIP)
                while (left_len > 0 && ascii_space(text[pos + left_len - 1]))
                    left_len--;
            if (left_len > 0)
                frags_push(next, LLM_TOKEN_NULL, pos, left_len);
            frags_push(next, id, 0, 0);
            pos = at + tl;
            if (attr & LLM_TOKEN_ATTR_RSTRIP)
                while (pos < end && ascii_space(text[pos]))
                    pos++;
        }
        if (pos < end)
            frags_push(next, LLM_TOKEN_NULL, pos, end - pos);
    }
}

static void tokenize_all(const struct llm_vocab *v, const char *text, size_t len,
                         bool add_special, bool parse_special, struct llm_tok__ids *out)
{
    struct frags a = {NULL, 0, 0}, b = {NULL, 0, 0};
    /* Which bytes and byte pairs occur in the text: a special token whose first two bytes
     * never occur together cannot match anywhere, so it is skipped without a search. */
    uint64_t firsts[4] = {0}, *pairs = xcalloc(65536 / 64, sizeof *pairs);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)text[i];
        firsts[c >> 6] |= 1ull << (c & 63);
        if (i + 1 < len) {
            unsigned pr = (unsigned)c << 8 | (uint8_t)text[i + 1];
            pairs[pr >> 6] |= 1ull << (pr & 63);
        }
    }
    if (len > 0)
        frags_push(&a, LLM_TOKEN_NULL, 0, len);
    for (size_t s = 0; s < v->n_special && a.n > 0; s++) {
        int32_t id = v->special[s];
        if (!parse_special && (v->attr[id] & (LLM_TOKEN_ATTR_CONTROL | LLM_TOKEN_ATTR_UNKNOWN)))
            continue;
        const uint8_t *t = (const uint8_t *)v->text_blob + v->text_off[id];
        if (v->text_len[id] == 1 && !(firsts[t[0] >> 6] & (1ull << (t[0] & 63))))
            continue;
        unsigned pr = (unsigned)t[0] << 8 | t[1]; /* t[1] is the NUL for one-byte texts */
        if (v->text_len[id] >= 2 && !(pairs[pr >> 6] & (1ull << (pr & 63))))
            continue;
        bool any_raw = false;
        for (size_t i = 0; i < a.n && !any_raw; i++)
            any_raw = a.f[i].id == LLM_TOKEN_NULL;
        if (!any_raw)
            break;
        split_on(v, text, id, &a, &b);
        struct frags tmp = a;
        a = b;
        b = tmp;
    }
    free(pairs);

    if (add_special && (v->add_bos || v->type == LLM_VOCAB_WPM))
        llm_tok__ids_push(out, v->bos); /* WordPiece always starts with [CLS] */
    if (v->type == LLM_VOCAB_WPM) {
        for (size_t i = 0; i < a.n; i++) {
            if (a.f[i].id != LLM_TOKEN_NULL)
                llm_tok__ids_push(out, a.f[i].id);
            else
                llm_tok__wpm(v, text + a.f[i].off, a.f[i].len, out);
        }
    } else if (v->type == LLM_VOCAB_SPM) {
        bool prev_special = true; /* a prefix space before the first fragment */
        size_t cap = 0;
        char *buf = NULL;
        for (size_t i = 0; i < a.n; i++) {
            struct frag f = a.f[i];
            if (f.id != LLM_TOKEN_NULL) {
                llm_tok__ids_push(out, f.id);
                prev_special = true;
                continue;
            }
            size_t need = (f.len + 1) * 3;
            if (need > cap) {
                cap = need;
                buf = xrealloc(buf, cap);
            }
            size_t n = 0;
            if (v->add_space_prefix && prev_special) {
                memcpy(buf, "\xe2\x96\x81", 3);
                n = 3;
            }
            for (size_t k = 0; k < f.len; k++) {
                char c = text[f.off + k];
                if (c == ' ') {
                    memcpy(buf + n, "\xe2\x96\x81", 3);
                    n += 3;
                } else {
                    buf[n++] = c;
                }
            }
            llm_tok__spm(v, buf, n, out);
            prev_special = false;
        }
        free(buf);
    } else {
        char *esc = NULL;
        for (size_t i = 0; i < a.n; i++) {
            struct frag f = a.f[i];
            if (f.id != LLM_TOKEN_NULL) {
                llm_tok__ids_push(out, f.id);
            } else if (v->escape_whitespaces) { /* Gemma 4: spaces become U+2581 */
                size_t n = 0;
                esc = xrealloc(esc, f.len * 3 + 1);
                for (size_t k = 0; k < f.len; k++) {
                    if (text[f.off + k] == ' ') {
                        memcpy(esc + n, "\xe2\x96\x81", 3);
                        n += 3;
                    } else {
                        esc[n++] = text[f.off + k];
                    }
                }
                llm_tok__bpe(v, esc, n, out);
            } else {
                llm_tok__bpe(v, text + f.off, f.len, out);
            }
        }
        free(esc);
    }
    if (add_special && v->add_eos && v->type != LLM_VOCAB_WPM)
        llm_tok__ids_push(out, v->eos);
    if (add_special && v->type == LLM_VOCAB_WPM)
        llm_tok__ids_push(out, v->sep); /* ... and ends with [SEP] */
    free(a.f);
    free(b.f);
}

int llm_tokenize_alloc(const struct llm_vocab *v, const char *text, size_t len,
                       bool add_special, bool parse_special, int32_t **out, size_t *n_out)
{
    struct llm_tok__ids ids = {NULL, 0, 0};
    *out = NULL;
    *n_out = 0;
    if (len > LLM_TOKENIZE_MAX_BYTES)
        return ERR_TOO_LARGE;
    tokenize_all(v, text, len, add_special, parse_special, &ids);
    if (!ids.ids)
        ids.ids = xmalloc(sizeof *ids.ids);
    *out = ids.ids;
    *n_out = ids.n;
    return 0;
}

int llm_tokenize(const struct llm_vocab *v, const char *text, size_t len, bool add_special,
                 bool parse_special, int32_t *out, size_t max, size_t *n_out)
{
    int32_t *ids;
    size_t n;
    *n_out = 0;
    int rc = llm_tokenize_alloc(v, text, len, add_special, parse_special, &ids, &n);
    if (rc != 0)
        return rc;
    *n_out = n;
    if (n > 0 && max > 0)
        memcpy(out, ids, (n < max ? n : max) * sizeof *ids);
    free(ids);
    return n > max ? ERR_TOO_LARGE : 0;
}
