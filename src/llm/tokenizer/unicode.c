/* unicode.c: code point flags and lowercase lookups over the generated tables, llama.cpp-
 * compatible UTF-8 decoding, and the GPT-2 byte map. See unicode.h. */
#include "llm/tokenizer/unicode.h"

static uint8_t flags_slow(uint32_t cp)
{
    size_t lo = 0, hi = llm_tok__unicode_ranges_len; /* find the last run starting <= cp */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((llm_tok__unicode_ranges[mid] >> 8) <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return (uint8_t)(llm_tok__unicode_ranges[lo] & 0xffu);
}

uint8_t llm_tok__uflags(uint32_t cp)
{
    if (cp < 256)
        return llm_tok__unicode_latin1[cp];
    if (cp > 0x10FFFF)
        return LLM_TOK__UCAT_UNASSIGNED;
    return flags_slow(cp);
}

uint32_t llm_tok__utolower(uint32_t cp)
{
    size_t lo = 0, hi = llm_tok__unicode_lower_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (llm_tok__unicode_lower[mid][0] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < llm_tok__unicode_lower_len && llm_tok__unicode_lower[lo][0] == cp)
        return llm_tok__unicode_lower[lo][1];
    return cp;
}

uint32_t llm_tok__unfd_first(uint32_t cp)
{
    size_t lo = 0, hi = llm_tok__unicode_nfd_first_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (llm_tok__unicode_nfd_first[mid][1] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < llm_tok__unicode_nfd_first_len && llm_tok__unicode_nfd_first[lo][0] <= cp)
        return llm_tok__unicode_nfd_first[lo][2];
    return cp;
}

static int cont(uint8_t b)
{
    return (b & 0xc0) == 0x80;
}

uint32_t llm_tok__utf8_decode(const uint8_t *s, size_t len, size_t *adv)
{
    uint8_t b = s[0];
    uint32_t cp;
    *adv = 1;
    if (!(b & 0x80))
        return b;
    if (!(b & 0x40))
        return 0xFFFD;
    if (!(b & 0x20)) {
        if (len < 2 || !cont(s[1]))
            return 0xFFFD;
        *adv = 2;
        return ((uint32_t)(b & 0x1f) << 6) | (s[1] & 0x3f);
    }
    if (!(b & 0x10)) {
        if (len < 3 || !cont(s[1]) || !cont(s[2]))
            return 0xFFFD;
        *adv = 3;
        return ((uint32_t)(b & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    }
    if (!(b & 0x08)) {
        if (len < 4 || !cont(s[1]) || !cont(s[2]) || !cont(s[3]))
            return 0xFFFD;
        cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
             ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        if (cp > 0x10FFFF) /* llama.cpp would throw re-encoding it; we substitute */
            return 0xFFFD;
        *adv = 4;
        return cp;
    }
    return 0xFFFD;
}

size_t llm_tok__utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp <= 0x7f) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp <= 0x7ff) {
        out[0] = (uint8_t)(0xc0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp > 0x10FFFF)
        cp = 0xFFFD;
    if (cp <= 0xffff) {
        out[0] = (uint8_t)(0xe0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Bytes 0x21..0x7E, 0xA1..0xAC and 0xAE..0xFF stand for themselves; the other 68 bytes
 * are numbered in order from U+0100 (GPT-2's bytes_to_unicode). */
static int printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae);
}

uint32_t llm_tok__byte_to_cp(uint8_t byte)
{
    unsigned n = 0;
    if (printable(byte))
        return byte;
    for (unsigned b = 0; b < byte; b++)
        if (!printable(b))
            n++;
    return 256 + n;
}

int llm_tok__cp_to_byte(uint32_t cp)
{
    unsigned n = 0;
    if (cp < 256)
        return printable(cp) ? (int)cp : -1;
    if (cp >= 256 + 68)
        return -1;
    for (unsigned b = 0; b < 256; b++) {
        if (printable(b))
            continue;
        if (n == cp - 256)
            return (int)b;
        n++;
    }
    return -1;
}
