/* pretok.c: the BPE pre-tokenizers -- llama.cpp's split regexes, hand-written.
 *
 * llama.cpp splits text with a list of regexes per tokenizer.ggml.pre; each regex splits
 * every piece left by the previous one into its matches and the gaps between them
 * (std::regex_iterator semantics). The text is first decoded to code points, invalid
 * UTF-8 becoming U+FFFD. Here every regex is a function `match(t, p, end)` that returns
 * the length of the match the regex would find starting exactly at code point p (0 for
 * none), trying the alternatives in order with the regex's greedy/backtracking meaning;
 * split_stage() then walks each piece as regex_iterator does: a match becomes a piece,
 * unmatched code points between matches are collected into one piece.
 *
 * Character classes come from unicode.h: \p{L}, \p{N}, \p{M}, \p{P} are general-category
 * groups and \s is the White_Space property -- which is what llama.cpp's "collapsed"
 * std::regex trick and its custom splitters both amount to.
 *
 * The regexes (written as in llama-vocab.cpp):
 *   GPT2     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)  (+\s+)
 *   LLAMA3   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *             ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *   QWEN2    as LLAMA3 with \p{N} instead of \p{N}{1,3}
 *   QWEN35   as QWEN2 with [\p{L}\p{M}]+ for the letter run and \p{M} excluded from
 *            the punctuation run
 * and the short ones spelled out next to their functions below. */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "llm/tokenizer/internal.h"
#include "llm/tokenizer/unicode.h"

struct text {
    const uint32_t *cp; /* code points */
    const uint8_t *fl;  /* their unicode.h flags */
    size_t piece_start; /* first code point of the piece being split */
    size_t tw_end;      /* m_trailing_ws cache: the piece end it was computed for, or -1 */
    size_t tw_start;    /* ... and where that piece's trailing whitespace starts */
};

typedef size_t (*match_fn)(struct text *t, size_t p, size_t e);

static int cat(uint8_t f) { return f & LLM_TOK__UCAT_MASK; }
static bool is_l(uint8_t f) { return cat(f) == LLM_TOK__UCAT_LETTER; }
static bool is_n(uint8_t f) { return cat(f) == LLM_TOK__UCAT_NUMBER; }
static bool is_m(uint8_t f) { return cat(f) == LLM_TOK__UCAT_MARK; }
static bool is_p(uint8_t f) { return cat(f) == LLM_TOK__UCAT_PUNCT; }
static bool is_ws(uint8_t f) { return (f & LLM_TOK__UWHITESPACE) != 0; }
static bool is_crlf(uint32_t c) { return c == '\r' || c == '\n'; }

/* [^\s\p{L}\p{N}] */
static bool is_other(uint8_t f) { return !is_ws(f) && !is_l(f) && !is_n(f); }
/* [^\s\p{L}\p{M}\p{N}] */
static bool is_other35(uint8_t f) { return is_other(f) && !is_m(f); }

static size_t run(const struct text *t, size_t p, size_t e, bool (*pred)(uint8_t))
{
    size_t q = p;
    while (q < e && pred(t->fl[q]))
        q++;
    return q - p;
}

/* \p{N}{1,max}: never looks further than max code points (a scan of the whole run at every
 * position would make long digit strings quadratic). */
static size_t digits_upto(const struct text *t, size_t p, size_t e, size_t max)
{
    size_t q = p;
    while (q < e && q - p < max && is_n(t->fl[q]))
        q++;
    return q - p;
}

/* 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive on the letters */
static size_t contraction(const struct text *t, size_t p, size_t e, bool fold)
{
    if (t->cp[p] != '\'' || p + 1 >= e)
        return 0;
    uint32_t a = fold ? llm_tok__utolower(t->cp[p + 1]) : t->cp[p + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    if (p + 2 >= e)
        return 0;
    uint32_t b = fold ? llm_tok__utolower(t->cp[p + 2]) : t->cp[p + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 3;
    return 0;
}

/* Shared tail of the whitespace alternatives. with_crlf adds \s*[\r\n]+ first. */
static size_t whitespace(const struct text *t, size_t p, size_t e, bool with_crlf)
{
    size_t n = 0, last_crlf = 0;
    while (p + n < e && is_ws(t->fl[p + n])) {
        if (is_crlf(t->cp[p + n]))
            last_crlf = n + 1;
        n++;
    }
    if (with_crlf && last_crlf > 0) /* \s*[\r\n]+ : up to the last CR/LF of the run */
        return last_crlf;
    if (n > 1 && p + n < e) /* \s+(?!\S) : leave the last space to the next word */
        return n - 1;
    return n; /* \s+ (and \s+(?!\S) at the end) */
}

static size_t m_gpt2(struct text *t, size_t p, size_t e)
{
    size_t n = contraction(t, p, e, false);
    if (n)
        return n;
    size_t s = p; /* " ?" then the run */
    if (t->cp[p] == ' ') {
        if (p + 1 >= e)
            return whitespace(t, p, e, false);
        s = p + 1;
    }
    uint8_t f = t->fl[s];
    if (is_l(f))
        return s - p + run(t, s, e, is_l);
    if (is_n(f))
        return s - p + run(t, s, e, is_n);
    if (is_other(f))
        return s - p + run(t, s, e, is_other);
    n = whitespace(t, p, e, false);
    return n ? n : 1;
}

/* LLAMA3 (max_digits 3), QWEN2 (1) and their relatives: without the contractions
 * (ufakzeka), without [\r\n]* after punctuation (seed-coder), any number of digits
 * (minicpm5's second regex). */
static size_t m_llama3_var(const struct text *t, size_t p, size_t e, size_t max_digits,
                           bool contractions, bool crlf_after_punct)
{
    size_t n = contractions ? contraction(t, p, e, true) : 0;
    if (n)
        return n;
    uint32_t c = t->cp[p];
    uint8_t f = t->fl[p];
    if (!is_crlf(c) && !is_n(f) && (is_l(f) || (p + 1 < e && is_l(t->fl[p + 1]))))
        return 1 + run(t, p + 1, e, is_l); /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (is_n(f)) { /* \p{N}{1,max} */
        return digits_upto(t, p, e, max_digits);
    }
    size_t s = c == ' ' && p + 1 < e ? p + 1 : p; /* " ?[^\s\p{L}\p{N}]+[\r\n]*" */
    if (is_other(t->fl[s])) {
        size_t q = s + run(t, s, e, is_other);
        while (crlf_after_punct && q < e && is_crlf(t->cp[q]))
            q++;
        return q - p;
    }
    n = whitespace(t, p, e, true);
    return n ? n : 1;
}

static size_t m_llama3(struct text *t, size_t p, size_t e)
{
    return m_llama3_var(t, p, e, 3, true, true);
}

static size_t m_qwen2(struct text *t, size_t p, size_t e)
{
    return m_llama3_var(t, p, e, 1, true, true);
}

static size_t m_ufakzeka(struct text *t, size_t p, size_t e)
{
    return m_llama3_var(t, p, e, 1, false, true);
}

static size_t m_seed_coder(struct text *t, size_t p, size_t e)
{
    return m_llama3_var(t, p, e, 1, true, false);
}

static size_t m_minicpm5(struct text *t, size_t p, size_t e)
{
    return m_llama3_var(t, p, e, SIZE_MAX, true, true);
}

/* \p{N}{1,3} */
static size_t m_digits3(struct text *t, size_t p, size_t e)
{
    return digits_upto(t, p, e, 3);
}

static bool is_lm(uint8_t f) { return is_l(f) || is_m(f); }

static size_t m_qwen35(struct text *t, size_t p, size_t e)
{
    size_t n = contraction(t, p, e, true);
    if (n)
        return n;
    uint32_t c = t->cp[p];
    uint8_t f = t->fl[p];
    /* [^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+ : a mark may serve as the optional prefix or start
     * the run; either way the match is the whole [\p{L}\p{M}] run from p. */
    if (is_lm(f))
        return run(t, p, e, is_lm);
    if (!is_crlf(c) && !is_n(f) && p + 1 < e && is_lm(t->fl[p + 1]))
        return 1 + run(t, p + 1, e, is_lm);
    if (is_n(f))
        return 1;
    size_t s = c == ' ' && p + 1 < e ? p + 1 : p; /* " ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*" */
    if (is_other35(t->fl[s])) {
        size_t q = s + run(t, s, e, is_other35);
        while (q < e && is_crlf(t->cp[q]))
            q++;
        return q - p;
    }
    n = whitespace(t, p, e, true);
    return n ? n : 1;
}

/* [\p{P}\$\+<=>\^~\|]+ (default) and [\p{P}\$\+<=>\^~\|`]+ (falcon) */
static bool is_punct_default(const struct text *t, size_t q, bool backtick)
{
    uint32_t c = t->cp[q];
    return is_p(t->fl[q]) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' ||
           c == '^' || c == '~' || c == '|' || (backtick && c == '`');
}

static size_t m_punct_default(struct text *t, size_t p, size_t e)
{
    size_t q = p;
    while (q < e && is_punct_default(t, q, false))
        q++;
    return q - p;
}

static size_t m_punct_falcon(struct text *t, size_t p, size_t e)
{
    size_t q = p;
    while (q < e && is_punct_default(t, q, true))
        q++;
    return q - p;
}

/* \p{N}+ */
static size_t m_digits(struct text *t, size_t p, size_t e)
{
    return run(t, p, e, is_n);
}

/* \p{N} */
static size_t m_digit(struct text *t, size_t p, size_t e)
{
    (void)e;
    return is_n(t->fl[p]) ? 1 : 0;
}

/* [0-9][0-9][0-9] */
static size_t m_ascii3(struct text *t, size_t p, size_t e)
{
    for (size_t i = 0; i < 3; i++)
        if (p + i >= e || t->cp[p + i] < '0' || t->cp[p + i] > '9')
            return 0;
    return 3;
}

/* [\r\n] */
static size_t m_crlf(struct text *t, size_t p, size_t e)
{
    (void)e;
    return is_crlf(t->cp[p]) ? 1 : 0;
}

/* \s?X+ for a class X: an optional whitespace only when X follows it. */
static size_t ws_opt_run(const struct text *t, size_t p, size_t e,
                         bool (*in)(const struct text *, size_t))
{
    size_t s = p;
    if (is_ws(t->fl[p]) && !in(t, p)) {
        if (p + 1 >= e || !in(t, p + 1))
            return 0;
        s = p + 1;
    }
    size_t q = s;
    while (q < e && in(t, q))
        q++;
    return q - p;
}

static bool in_letter(const struct text *t, size_t q) { return is_l(t->fl[q]); }
static bool in_punct(const struct text *t, size_t q) { return is_p(t->fl[q]); }

/* \s?\p{L}+ and \s?\p{P}+ (deepseek-coder) */
static size_t m_ws_letters(struct text *t, size_t p, size_t e)
{
    return ws_opt_run(t, p, e, in_letter);
}

static size_t m_ws_punct(struct text *t, size_t p, size_t e)
{
    return ws_opt_run(t, p, e, in_punct);
}

/* [一-龥ࠀ-一가-퟿]+ : U+4E00..U+9FA5, U+0800..U+4E00, U+AC00..U+D7FF. llama.cpp matches
 * it with std::wregex on text whose non-ASCII whitespace was replaced by U+000B, so
 * U+3000 and the other spaces in those blocks never match. */
static bool in_cjk(const struct text *t, size_t q)
{
    uint32_t c = t->cp[q];
    if (is_ws(t->fl[q]))
        return false;
    return (c >= 0x0800 && c <= 0x9FA5) || (c >= 0xAC00 && c <= 0xD7FF);
}

static size_t m_cjk(struct text *t, size_t p, size_t e)
{
    size_t q = p;
    while (q < e && in_cjk(t, q))
        q++;
    return q - p;
}

/* \s+$ : the whitespace that ends the piece. Where that run starts is found once per
 * piece (scanning forward from every position would be quadratic in a long space run). */
static size_t m_trailing_ws(struct text *t, size_t p, size_t e)
{
    if (t->tw_end != e) {
        size_t q = e;
        while (q > t->piece_start && is_ws(t->fl[q - 1]))
            q--;
        t->tw_end = e;
        t->tw_start = q;
    }
    return p >= t->tw_start && p < e ? e - p : 0;
}

/* deepseek-llm's letter class: [A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-Ֆ...],
 * i.e. the cased letters of some Unicode version, transcribed as code point ranges. */
static const uint32_t deepseek_letters[][2] = {
    {0x41, 0x5a}, {0x61, 0x7a}, {0xb5, 0xb5}, {0xc0, 0xd6}, {0xd8, 0xf6}, {0xf8, 0x1ba},
    {0x1bc, 0x1bf}, {0x1c4, 0x293}, {0x295, 0x2af}, {0x370, 0x373}, {0x376, 0x377},
    {0x37b, 0x37d}, {0x37f, 0x37f}, {0x386, 0x386}, {0x388, 0x38a}, {0x38c, 0x38c},
    {0x38e, 0x3a1}, {0x3a3, 0x3f5}, {0x3f7, 0x481}, {0x48a, 0x52f}, {0x531, 0x556},
    {0x10a0, 0x10c5}, {0x13a0, 0x13f5}, {0x13f8, 0x13fd}, {0x1c90, 0x1cba}, {0x1cbd, 0x1cbf},
    {0x1d00, 0x1d2b}, {0x1d6b, 0x1d77}, {0x1d79, 0x1d9a}, {0x1e00, 0x1f15}, {0x1f18, 0x1f1d},
    {0x1f20, 0x1f45}, {0x1f48, 0x1f4d}, {0x1f50, 0x1f57}, {0x1f59, 0x1f59}, {0x1f5b, 0x1f5b},
    {0x1f5d, 0x1f5d}, {0x1f5f, 0x1f7d}, {0x1f80, 0x1fb4}, {0x1fb6, 0x1fbc}, {0x1fbe, 0x1fbe},
    {0x1fc2, 0x1fc4}, {0x1fc6, 0x1fcc}, {0x1fd0, 0x1fd3}, {0x1fd6, 0x1fdb}, {0x1fe0, 0x1fec},
    {0x1ff2, 0x1ff4}, {0x1ff6, 0x1ffc}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210a, 0x2113},
    {0x2115, 0x2115}, {0x2119, 0x211d}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
    {0x212a, 0x212d}, {0x212f, 0x2134}, {0x2139, 0x2139}, {0x213c, 0x213f}, {0x2145, 0x2149},
    {0x214e, 0x214e}, {0x2183, 0x2184}, {0x2c00, 0x2c7b}, {0x2c7e, 0x2ce4}, {0x2ceb, 0x2cee},
    {0x2cf2, 0x2cf3}, {0xa640, 0xa66d}, {0xa680, 0xa69b}, {0xa722, 0xa76f}, {0xa771, 0xa787},
    {0xa78b, 0xa78e}, {0xab70, 0xabbf}, {0xfb00, 0xfb06}, {0xfb13, 0xfb17}, {0xff21, 0xff3a},
    {0xff41, 0xff5a}, {0x10400, 0x1044f}, {0x104b0, 0x104d3}, {0x104d8, 0x104fb},
    {0x10c80, 0x10cb2}, {0x10cc0, 0x10cf2}, {0x118a0, 0x118df}, {0x1e900, 0x1e943},
};

static bool in_deepseek_letter(const struct text *t, size_t q)
{
    uint32_t c = t->cp[q];
    size_t lo = 0, hi = sizeof deepseek_letters / sizeof deepseek_letters[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (deepseek_letters[mid][1] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sizeof deepseek_letters / sizeof deepseek_letters[0] &&
           deepseek_letters[lo][0] <= c;
}

/* [!-/:-~！-／：-～‘-‟　-。] (U+3000 excluded: it is whitespace, see in_cjk) */
static bool in_deepseek_punct(const struct text *t, size_t q)
{
    uint32_t c = t->cp[q];
    return (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x7e) || (c >= 0xff01 && c <= 0xff0f) ||
           (c >= 0xff1a && c <= 0xff5e) || (c >= 0x2018 && c <= 0x201f) ||
           (c >= 0x3001 && c <= 0x3002);
}

static size_t m_deepseek_letters(struct text *t, size_t p, size_t e)
{
    return ws_opt_run(t, p, e, in_deepseek_letter);
}

static size_t m_deepseek_punct(struct text *t, size_t p, size_t e)
{
    return ws_opt_run(t, p, e, in_deepseek_punct);
}

/* " ?[^(\s|.,!?…。，、।۔،)]+" (poro, bloom, gpt3-finnish) */
static bool in_poro(const struct text *t, size_t q)
{
    uint32_t c = t->cp[q];
    if (is_ws(t->fl[q]))
        return false;
    switch (c) {
    case '(': case ')': case '|': case '.': case ',': case '!': case '?':
    case 0x2026: case 0x3002: case 0xff0c: case 0x3001: case 0x0964: case 0x06d4: case 0x060c:
        return false;
    default:
        return true;
    }
}

static size_t m_poro(struct text *t, size_t p, size_t e)
{
    size_t s = p;
    if (t->cp[p] == ' ') {
        if (p + 1 >= e || !in_poro(t, p + 1))
            return 0;
        s = p + 1;
    }
    size_t q = s;
    while (q < e && in_poro(t, q))
        q++;
    return q - p;
}

/* [^\n]+|[\n]+ (gemma4): runs of newlines and runs of anything else */
static size_t m_newline_runs(struct text *t, size_t p, size_t e)
{
    bool nl = t->cp[p] == '\n';
    size_t q = p;
    while (q < e && (t->cp[q] == '\n') == nl)
        q++;
    return q - p;
}

/* GPT4O (llama4, ...) and TEKKEN (Mistral). llama.cpp's form of their regexes is
 *   [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+C?
 *  |[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*C?
 *  |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * (C = the contractions for GPT4O, nothing for TEKKEN, whose digits go one by one). "Upper"
 * is a letter other than a-z and "lower" a letter other than A-Z, so letters outside ASCII
 * count as both -- which is what the original \p{Lu}/\p{Ll} classes become in llama.cpp. */
static bool is_upperish(const struct text *t, size_t q)
{
    return is_l(t->fl[q]) && !(t->cp[q] >= 'a' && t->cp[q] <= 'z');
}

static bool is_lowerish(const struct text *t, size_t q)
{
    return is_l(t->fl[q]) && !(t->cp[q] >= 'A' && t->cp[q] <= 'Z');
}

/* Length of the optional contraction ('s, 'T, 're, ...) at q, 0 if none. */
static size_t contraction_at(const struct text *t, size_t q, size_t e)
{
    return q < e ? contraction(t, q, e, true) : 0;
}

/* U*L+ from s: the end, or 0 when it cannot match. */
static size_t upper_star_lower_plus(const struct text *t, size_t s, size_t e)
{
    size_t u = s;
    while (u < e && is_upperish(t, u))
        u++;
    size_t k = u; /* greedy U*, then give back until L+ can start */
    for (;;) {
        if (k < e && is_lowerish(t, k)) {
            size_t q = k + 1;
            while (q < e && is_lowerish(t, q))
                q++;
            return q;
        }
        if (k == s)
            return 0;
        k--;
    }
}

/* U+L* from s: the end, or 0. */
static size_t upper_plus_lower_star(const struct text *t, size_t s, size_t e)
{
    size_t q = s;
    while (q < e && is_upperish(t, q))
        q++;
    if (q == s)
        return 0;
    while (q < e && is_lowerish(t, q))
        q++;
    return q;
}

static size_t m_cased(const struct text *t, size_t p, size_t e, bool contractions,
                      size_t max_digits)
{
    uint32_t c = t->cp[p];
    uint8_t f = t->fl[p];
    size_t s = (!is_crlf(c) && !is_l(f) && !is_n(f)) ? p + 1 : p; /* [^\r\n\p{L}\p{N}]? */
    size_t end = s < e ? upper_star_lower_plus(t, s, e) : 0;
    if (!end && s < e)
        end = upper_plus_lower_star(t, s, e);
    if (end) {
        if (contractions)
            end += contraction_at(t, end, e);
        return end - p;
    }
    if (is_n(f))
        return digits_upto(t, p, e, max_digits);
    size_t s2 = c == ' ' && p + 1 < e ? p + 1 : p; /* " ?[^\s\p{L}\p{N}]+[\r\n/]*" */
    if (is_other(t->fl[s2])) {
        size_t q = s2 + run(t, s2, e, is_other);
        while (q < e && (is_crlf(t->cp[q]) || t->cp[q] == '/'))
            q++;
        return q - p;
    }
    size_t n = whitespace(t, p, e, true);
    return n ? n : 1;
}

static size_t m_gpt4o(struct text *t, size_t p, size_t e)
{
    return m_cased(t, p, e, true, 3);
}

static size_t m_tekken(struct text *t, size_t p, size_t e)
{
    return m_cased(t, p, e, false, 1);
}

/* DEEPSEEK3 (deepseek-v3, hunyuan-dense, ...): \p{N}{1,3}, then [一-龥぀-ゟ゠-ヿ]+, then
 *   [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
 *    ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * llama.cpp's \p{S} leaves out '~' (its ASCII list for symbols lacks it), so '~' is neither
 * P nor S here, exactly as there. */
static bool in_kana_cjk(const struct text *t, size_t q)
{
    uint32_t c = t->cp[q];
    return (c >= 0x4E00 && c <= 0x9FA5) || (c >= 0x3040 && c <= 0x30FF);
}

static size_t m_kana_cjk(struct text *t, size_t p, size_t e)
{
    size_t q = p;
    while (q < e && in_kana_cjk(t, q))
        q++;
    return q - p;
}

static bool is_ps_llama(const struct text *t, size_t q)
{
    int c = cat(t->fl[q]);
    return (c == LLM_TOK__UCAT_PUNCT || c == LLM_TOK__UCAT_SYMBOL) && t->cp[q] != '~';
}

static bool is_ascii_alpha(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static size_t m_deepseek3(struct text *t, size_t p, size_t e)
{
    uint32_t c = t->cp[p];
    uint8_t f = t->fl[p];
    if (c >= 0x21 && c <= 0x7e && !is_ascii_alpha(c) && !(c >= '0' && c <= '9') && p + 1 < e &&
        is_ascii_alpha(t->cp[p + 1])) {
        size_t q = p + 1;
        while (q < e && is_ascii_alpha(t->cp[q]))
            q++;
        return q - p;
    }
    if (is_lm(f))
        return run(t, p, e, is_lm);
    if (!is_crlf(c) && !is_l(f) && !is_ps_llama(t, p) && p + 1 < e && is_lm(t->fl[p + 1]))
        return 1 + run(t, p + 1, e, is_lm);
    size_t s = c == ' ' && p + 1 < e ? p + 1 : p;
    if (is_ps_llama(t, s)) {
        size_t q = s;
        while (q < e && is_ps_llama(t, q))
            q++;
        while (q < e && is_crlf(t->cp[q]))
            q++;
        return q - p;
    }
    return whitespace(t, p, e, true); /* 0: no alternative matches here */
}

/* ---- driver ---------------------------------------------------------------------------- */

struct pieces {
    size_t *b;   /* piece boundaries: piece i is [b[i], b[i+1]) */
    size_t n;    /* pieces */
    size_t cap;  /* entries allocated in b */
};

static void pieces_push_end(struct pieces *o, size_t end)
{
    if (o->n + 2 > o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->b = xrealloc(o->b, o->cap * sizeof *o->b);
    }
    o->b[++o->n] = end;
}

/* Applies one regex to every piece of in, as std::regex_iterator would. */
static void split_stage(struct text *t, match_fn m, const struct pieces *in,
                        struct pieces *out)
{
    out->n = 0;
    out->b[0] = in->b[0];
    for (size_t i = 0; i < in->n; i++) {
        size_t a = in->b[i], e = in->b[i + 1];
        size_t gap = a, p = a;
        t->piece_start = a;
        t->tw_end = SIZE_MAX;
        while (p < e) {
            size_t n = m(t, p, e);
            if (n == 0) {
                p++;
                continue;
            }
            if (gap < p)
                pieces_push_end(out, p);
            p += n;
            pieces_push_end(out, p);
            gap = p;
        }
        if (gap < e)
            pieces_push_end(out, e);
    }
}

void llm_tok__pretok(enum llm_tok__pre pre, const char *text, size_t len, uint32_t **cps,
                     size_t *n, size_t **bounds, size_t *n_pieces)
{
    static const match_fn stages_default[] = {m_punct_default, m_gpt2, m_digits, m_ascii3, NULL};
    static const match_fn stages_llama3[] = {m_llama3, NULL};
    static const match_fn stages_qwen2[] = {m_qwen2, NULL};
    static const match_fn stages_qwen35[] = {m_qwen35, NULL};
    static const match_fn stages_gpt2[] = {m_gpt2, NULL};
    static const match_fn stages_starcoder[] = {m_digit, m_gpt2, NULL};
    static const match_fn stages_falcon[] = {m_punct_falcon, m_gpt2, m_ascii3, NULL};
    static const match_fn stages_deepseek_llm[] = {m_crlf, m_deepseek_letters, m_deepseek_punct,
                                                   m_trailing_ws, m_cjk, m_digits, NULL};
    static const match_fn stages_deepseek_coder[] = {m_crlf, m_ws_letters, m_ws_punct, m_cjk,
                                                     m_digit, NULL};
    static const match_fn stages_poro[] = {m_poro, NULL};
    static const match_fn stages_gemma4[] = {m_newline_runs, NULL};
    static const match_fn stages_gpt4o[] = {m_gpt4o, NULL};
    static const match_fn stages_tekken[] = {m_tekken, NULL};
    static const match_fn stages_viking[] = {m_poro, m_digit, NULL};
    static const match_fn stages_ufakzeka[] = {m_ufakzeka, NULL};
    static const match_fn stages_seed_coder[] = {m_seed_coder, NULL};
    static const match_fn stages_laguna[] = {m_newline_runs, m_qwen2, NULL};
    static const match_fn stages_minicpm5[] = {m_digits3, m_minicpm5, NULL};
    static const match_fn stages_deepseek3[] = {m_digits3, m_kana_cjk, m_deepseek3, NULL};
    const match_fn *stages;
    switch (pre) {
    case LLM_TOK__PRE_LLAMA3: stages = stages_llama3; break;
    case LLM_TOK__PRE_QWEN2: stages = stages_qwen2; break;
    case LLM_TOK__PRE_QWEN35: stages = stages_qwen35; break;
    case LLM_TOK__PRE_GPT2: stages = stages_gpt2; break;
    case LLM_TOK__PRE_STARCODER: stages = stages_starcoder; break;
    case LLM_TOK__PRE_FALCON: stages = stages_falcon; break;
    case LLM_TOK__PRE_DEEPSEEK_LLM: stages = stages_deepseek_llm; break;
    case LLM_TOK__PRE_DEEPSEEK_CODER: stages = stages_deepseek_coder; break;
    case LLM_TOK__PRE_PORO: stages = stages_poro; break;
    case LLM_TOK__PRE_GEMMA4: stages = stages_gemma4; break;
    case LLM_TOK__PRE_GPT4O: stages = stages_gpt4o; break;
    case LLM_TOK__PRE_TEKKEN: stages = stages_tekken; break;
    case LLM_TOK__PRE_VIKING: stages = stages_viking; break;
    case LLM_TOK__PRE_UFAKZEKA: stages = stages_ufakzeka; break;
    case LLM_TOK__PRE_SEED_CODER: stages = stages_seed_coder; break;
    case LLM_TOK__PRE_LAGUNA: stages = stages_laguna; break;
    case LLM_TOK__PRE_MINICPM5: stages = stages_minicpm5; break;
    case LLM_TOK__PRE_DEEPSEEK3: stages = stages_deepseek3; break;
    case LLM_TOK__PRE_DEFAULT:
    default: stages = stages_default; break;
    }

    uint32_t *cp = xcalloc(len ? len : 1, sizeof *cp);
    uint8_t *fl = xcalloc(len ? len : 1, 1);
    size_t count = 0;
    for (size_t i = 0; i < len;) {
        size_t adv;
        cp[count] = llm_tok__utf8_decode((const uint8_t *)text + i, len - i, &adv);
        fl[count] = llm_tok__uflags(cp[count]);
        count++;
        i += adv;
    }
    struct text t = {cp, fl, 0, SIZE_MAX, 0};
    struct pieces a = {xcalloc(16, sizeof(size_t)), 0, 16};
    struct pieces b = {xcalloc(16, sizeof(size_t)), 0, 16};
    a.b[0] = 0;
    if (count > 0) {
        a.b[1] = count;
        a.n = 1;
    }
    for (size_t s = 0; stages[s]; s++) {
        split_stage(&t, stages[s], &a, &b);
        struct pieces tmp = a;
        a = b;
        b = tmp;
    }
    free(b.b);
    free(fl);
    *cps = cp;
    *n = count;
    *bounds = a.b;
    *n_pieces = a.n;
}
