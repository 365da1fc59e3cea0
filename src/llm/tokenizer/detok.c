/* detok.c: ids back to bytes -- llama_token_to_piece, llama_detokenize, and a streaming
 * decoder that only ever emits whole UTF-8 characters.
 *
 * A piece is the token's stored text for control/unknown (when rendered) and user-defined
 * tokens; for normal SPM tokens U+2581 becomes ' '; byte tokens <0xNN> are the byte; normal
 * BPE tokens map each code point back through GPT-2's byte table (a code point outside it
 * is spelled "[UNK_BYTE_0x..]" as llama.cpp does). */
#include <string.h>

#include "base/err.h"
#include "llm/tokenizer/internal.h"
#include "llm/tokenizer/unicode.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 0;
}

/* Appends piece bytes p[0..n) after dropping up to *lstrip leading spaces. */
static int emit(struct buf *out, const char *p, size_t n, int *lstrip)
{
    while (*lstrip > 0 && n > 0 && *p == ' ') {
        p++;
        n--;
        (*lstrip)--;
    }
    *lstrip = 0;
    return n ? buf_append(out, p, n) : 0;
}

static int piece(const struct llm_vocab *v, int32_t id, bool special, int lstrip,
                 struct buf *out)
{
    if (id < 0 || id >= v->n_tokens)
        return ERR_INVALID;
    uint32_t attr = v->attr[id];
    const char *t = v->text_blob + v->text_off[id];
    size_t n = v->text_len[id];
    if (!special && (attr & (LLM_TOKEN_ATTR_UNKNOWN | LLM_TOKEN_ATTR_CONTROL)))
        return 0;
    if (attr & (LLM_TOKEN_ATTR_UNKNOWN | LLM_TOKEN_ATTR_CONTROL | LLM_TOKEN_ATTR_USER_DEFINED))
        return emit(out, t, n, &lstrip);
    if (attr & LLM_TOKEN_ATTR_NORMAL) {
        char tmp[256];
        size_t k = 0;
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0;) {
            if (k + 64 > sizeof tmp) { /* flush in chunks; lstrip only applies once */
                rc = emit(out, tmp, k, &lstrip);
                k = 0;
            }
            if (v->type != LLM_VOCAB_BPE || v->escape_whitespaces) {
                if (i + 3 <= n && memcmp(t + i, "\xe2\x96\x81", 3) == 0) {
                    tmp[k++] = ' ';
                    i += 3;
                } else {
                    tmp[k++] = t[i++];
                }
                continue;
            }
            size_t adv;
            uint32_t cp = llm_tok__utf8_decode((const uint8_t *)t + i, n - i, &adv);
            int b = cp < 324 ? v->cp_to_byte[cp] : -1;
            if (b >= 0) {
                tmp[k++] = (char)b;
            } else { /* llama.cpp: "[UNK_BYTE_0x" + hex of the character + the text + "]" */
                static const char hex[] = "0123456789abcdef";
                uint8_t u[4];
                size_t ul = llm_tok__utf8_encode(cp, u);
                rc = emit(out, tmp, k, &lstrip);
                k = 0;
                if (rc == 0)
                    rc = buf_append_str(out, "[UNK_BYTE_0x");
                for (size_t j = 0; rc == 0 && j < ul; j++) {
                    char h[2] = {hex[u[j] >> 4], hex[u[j] & 15]};
                    rc = buf_append(out, h, 2);
                }
                if (rc == 0)
                    rc = buf_append(out, t, n);
                if (rc == 0)
                    rc = buf_append_char(out, ']');
            }
            i += adv;
        }
        if (rc == 0)
            rc = emit(out, tmp, k, &lstrip);
        return rc;
    }
    if ((attr & LLM_TOKEN_ATTR_BYTE) && n >= 5) {
        char byte = (char)(hexval(t[3]) * 16 + hexval(t[4]));
        return emit(out, &byte, 1, &lstrip);
    }
    return 0;
}

int llm_token_to_piece(const struct llm_vocab *v, int32_t id, bool special, int lstrip,
                       struct buf *out)
{
    return piece(v, id, special, lstrip, out);
}

int llm_detokenize(const struct llm_vocab *v, const int32_t *ids, size_t n, bool remove_special,
                   bool unparse_special, struct buf *out)
{
    size_t start = out->len;
    bool remove_space = v->add_space_prefix;
    int rc = 0;
    if (remove_special && v->add_bos && n > 0 && ids[0] == v->bos) {
        remove_space = false;
        ids++;
        n--;
    }
    if (remove_special && v->add_eos && n > 0 && ids[n - 1] == v->eos)
        n--;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = piece(v, ids[i], unparse_special, remove_space ? 1 : 0, out);
        remove_space = false;
    }
    if (rc != 0 || !v->clean_spaces)
        return rc;

    /* clean_up_tokenization_spaces, three passes as llama.cpp (in place) */
    size_t total = out->len - start, total1, k;
    if (total == 0)
        return 0;
    char *t = out->data + start;
    total1 = total;
    k = 1;
    for (size_t i = 1; i < total1; i++) { /* " ?", " !", " .", " ," */
        char x = t[i];
        if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
            k--;
        t[k++] = x;
    }
    total1 = k;
    k = 1;
    for (size_t i = 1; i < total1; i++) { /* " ' " -> "'" */
        char x = t[i];
        if (x == '\'' && i + 1 < total1 && t[i - 1] == ' ' && t[i + 1] == ' ') {
            k--;
            t[++i] = '\0';
        }
        t[k++] = x;
    }
    total1 = k;
    k = 1;
    for (size_t i = 1; i < total1; i++) { /* " 's" " 'm" " 're" " 've" */
        char x = t[i];
        if (t[i - 1] == ' ' && x == '\'' && i + 1 < total1) {
            char x1 = t[i + 1];
            if (x1 == 's' || x1 == 'm')
                k--;
            else if (i + 2 < total1 && ((x1 == 'r' && t[i + 2] == 'e') ||
                                        (x1 == 'v' && t[i + 2] == 'e')))
                k--;
        }
        t[k++] = x;
    }
    out->len = start + k;
    out->data[out->len] = '\0';
    return 0;
}

/* ---- streaming ------------------------------------------------------------------------- */

void llm_detok_init(struct llm_detok *d, const struct llm_vocab *v, bool special,
                    bool strip_leading_space)
{
    d->v = v;
    d->special = special;
    d->lstrip = strip_leading_space && v->add_space_prefix ? 1 : 0;
    d->n_pending = 0;
}

/* Length of the complete, valid UTF-8 sequence at s[0..n); 0 when it is incomplete (could
 * still become valid); -k when it can never be valid, k being the length of its maximal
 * valid prefix (at least 1), which becomes one U+FFFD (the Unicode/WHATWG practice). */
static int utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t b = s[0];
    size_t need;
    uint32_t min;
    if (b < 0x80)
        return 1;
    if (b >= 0xc2 && b <= 0xdf) {
        need = 2;
        min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
        need = 3;
        min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
        need = 4;
        min = 0x10000;
    } else {
        return -1;
    }
    uint32_t cp = b & (need == 2 ? 0x1f : need == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < need; i++) {
        if (i >= n)
            return 0; /* incomplete; the prefix was checked when s[1] was read */
        if ((s[i] & 0xc0) != 0x80)
            return -(int)i;
        cp = (cp << 6) | (s[i] & 0x3f);
        if (i == 1) { /* reject overlongs, surrogates and > U+10FFFF early */
            uint32_t lo = cp << (6 * (need - 2));
            uint32_t hi = lo | ((1u << (6 * (need - 2))) - 1);
            if (hi < min || lo > 0x10FFFF || (need == 3 && lo >= 0xD800 && hi <= 0xDFFF))
                return -1;
        }
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    return (int)need;
}

/* Moves every complete character of d->pending + p[0..n) to out; keeps an incomplete tail. */
static int drain(struct llm_detok *d, const char *p, size_t n, struct buf *out, bool final)
{
    uint8_t tmp[8];
    size_t i = 0;
    int rc = 0;
    while (rc == 0 && (d->n_pending > 0 || i < n)) {
        size_t k = d->n_pending;
        memcpy(tmp, d->pending, k);
        size_t j = i;
        while (k < 4 && j < n)
            tmp[k++] = (uint8_t)p[j++];
        int len = utf8_seq(tmp, k);
        if (len == 0 && !final) { /* incomplete: keep everything for the next token */
            memcpy(d->pending, tmp, k);
            d->n_pending = k;
            return 0;
        }
        size_t used;
        if (len > 0) {
            rc = buf_append(out, tmp, (size_t)len);
            used = (size_t)len;
        } else {
            rc = buf_append(out, "\xef\xbf\xbd", 3);
            used = len < 0 ? (size_t)-len : k; /* incomplete at the end: all of it */
        }
        /* consume `used` bytes: first from pending, then from p */
        if (used <= d->n_pending) {
            memmove(d->pending, d->pending + used, d->n_pending - used);
            d->n_pending -= used;
        } else {
            i += used - d->n_pending;
            d->n_pending = 0;
        }
    }
    return rc;
}

int llm_detok_push(struct llm_detok *d, int32_t id, struct buf *out)
{
    struct buf piece_buf;
    buf_init(&piece_buf, 1 << 16);
    int rc = piece(d->v, id, d->special, d->lstrip, &piece_buf);
    d->lstrip = 0; /* like llama_detokenize: only the first token loses its space */
    if (rc == 0 && piece_buf.len > 0)
        rc = drain(d, piece_buf.data, piece_buf.len, out, false);
    buf_fini(&piece_buf);
    return rc;
}

int llm_detok_flush(struct llm_detok *d, struct buf *out)
{
    return drain(d, NULL, 0, out, true);
}
