/* opengraph.c: OpenGraph data (https://ogp.me/) from an HTML page for URL
 * previews, with the fallbacks Synapse's previewer uses when a page has no
 * og: tags (its <title>, description meta tag, first text, images).
 *
 * Not an HTML parser: a tolerant, single-pass scanner over the raw bytes that
 * sees comments, <!...>/<?...> declarations, start and end tags with their
 * attributes (quoted or not), the raw text of <script>/<style>/<title>, and
 * text between tags. Everything it keeps is a slice of the input until the
 * end, when the few values used are converted to UTF-8 from the page's charset
 * (BOM, then the Content-Type header, then <meta charset> or http-equiv),
 * character references decoded. Hostile input is bounded: the scan is linear
 * in the input; at most SCAN_MAX_TAGS meta tags per prefix, SCAN_MAX_NODES text
 * nodes and SCAN_MAX_DEPTH open elements are remembered; text is cut at
 * SCAN_MAX_TEXT bytes per node. */
#include "media/internal.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    SCAN_MAX_TAGS = 50,     /* og:, article:, profile:, twitter: tags each (Synapse's limit) */
    SCAN_MAX_NODES = 128,   /* text nodes kept for the description */
    SCAN_MAX_TEXT = 8192,   /* bytes kept of one text node or title */
    SCAN_MAX_DEPTH = 1024,  /* elements tracked to know what text to skip */
    SCAN_MAX_ATTRS = 64,    /* attributes looked at per tag */
    DESC_MIN = 200,         /* a description gathers paragraphs up to this many characters */
    DESC_MAX = 500,         /* and is cut at a word to at most this many */
    VALUE_MAX = 1 << 20,    /* bytes of one converted value */
};

struct meta_set {
    struct str key[SCAN_MAX_TAGS];   /* property names, as written */
    struct str value[SCAN_MAX_TAGS]; /* content, raw */
    size_t n;                        /* used */
    bool overflow;                   /* more than SCAN_MAX_TAGS tags: all are dropped */
};

struct element {
    char name[12]; /* lower-case tag name (truncated) */
    bool ignored;  /* its text is not part of the description */
};

struct scan {
    const char *p, *end;         /* cursor over the input */
    struct meta_set og;          /* og:, article:, profile: (property=) */
    struct meta_set twitter;     /* twitter: (name=) */
    struct str title;            /* first title/h1/h2/h3 with text */
    bool have_title;
    struct str description;      /* first meta name~=description content */
    bool have_description;
    struct str itemprop_image;   /* first meta itemprop~=image content */
    bool have_itemprop_image;
    struct str best_img;         /* largest <img> above 10x10 */
    double best_area;            /* its width x height */
    struct str first_img;        /* first <img src> */
    bool have_first_img;
    struct str icon;             /* first <link rel=icon href> */
    bool have_icon;
    struct str charset;          /* from <meta> */
    struct str nodes[SCAN_MAX_NODES]; /* text nodes outside skipped elements, raw */
    size_t n_nodes;
    struct element stack[SCAN_MAX_DEPTH]; /* open elements, only while any is ignored */
    size_t depth;
    size_t ignored;              /* ignored elements on the stack */
};

struct attr {
    struct str name;  /* as written */
    struct str value; /* raw, maybe empty */
};

/* ---- small helpers ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool str_ieq(struct str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && strncasecmp(s.ptr, lit, n) == 0;
}

/* Case-insensitive search for lit in s. */
static bool str_icontains(struct str s, const char *lit)
{
    size_t n = strlen(lit);
    for (size_t i = 0; i + n <= s.len; i++)
        if (strncasecmp(s.ptr + i, lit, n) == 0)
            return true;
    return false;
}

static bool has_prefix(struct str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.ptr, lit, n) == 0;
}

/* Case-insensitive search for needle in [p, end); returns its start or end. */
static const char *find_ci(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (; p + n <= end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p));
        if (!p || p + n > end)
            break;
        if (strncasecmp(p, needle, n) == 0)
            return p;
    }
    return end;
}

static struct str cut(const char *p, size_t len)
{
    return (struct str){p, len > SCAN_MAX_TEXT ? SCAN_MAX_TEXT : len};
}

static bool blank(struct str s)
{
    for (size_t i = 0; i < s.len; i++)
        if (!is_space(s.ptr[i]))
            return false;
    return true;
}

/* ---- the scan ---- */

/* Text that tags like these hold is not shown as the page's text (Synapse's list). */
static bool ignored_tag(struct str name)
{
    static const char *const names[] = {"head", "header", "nav", "aside", "footer", "noscript",
                                        "svg", "iframe", "video", "canvas", "picture"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (str_ieq(name, names[i]))
            return true;
    return false;
}

static bool void_tag(struct str name)
{
    static const char *const names[] = {"area", "base", "br", "col", "embed", "hr", "img",
                                        "input", "link", "meta", "param", "source", "track",
                                        "wbr"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (str_ieq(name, names[i]))
            return true;
    return false;
}

static void push(struct scan *s, struct str name, bool ignored)
{
    if (s->depth == SCAN_MAX_DEPTH)
        return;
    struct element *e = &s->stack[s->depth++];
    size_t n = name.len < sizeof e->name - 1 ? name.len : sizeof e->name - 1;
    for (size_t i = 0; i < n; i++)
        e->name[i] = (char)((name.ptr[i] >= 'A' && name.ptr[i] <= 'Z') ? name.ptr[i] + 32
                                                                         : name.ptr[i]);
    e->name[n] = '\0';
    e->ignored = ignored;
    s->ignored += ignored;
}

static bool element_is(const struct element *e, struct str name)
{
    size_t n = strlen(e->name);
    size_t want = name.len < sizeof e->name - 1 ? name.len : sizeof e->name - 1;
    return n == want && strncasecmp(e->name, name.ptr, n) == 0;
}

/* An end tag closes the innermost open element of that name and those inside it. */
static void pop(struct scan *s, struct str name)
{
    for (size_t i = s->depth; i-- > 0;) {
        if (!element_is(&s->stack[i], name))
            continue;
        while (s->depth > i)
            s->ignored -= s->stack[--s->depth].ignored;
        return;
    }
}

static void meta_put(struct meta_set *set, struct str key, struct str value)
{
    if (set->overflow)
        return;
    for (size_t i = 0; i < set->n; i++) {
        if (set->key[i].len == key.len && memcmp(set->key[i].ptr, key.ptr, key.len) == 0) {
            set->value[i] = value; /* a later tag wins, as in a Python dict */
            return;
        }
    }
    if (set->n == SCAN_MAX_TAGS) {
        set->overflow = true;
        set->n = 0;
        return;
    }
    set->key[set->n] = key;
    set->value[set->n++] = value;
}

static const struct attr *attr_get(const struct attr *a, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (str_ieq(a[i].name, name))
            return &a[i];
    return NULL;
}

/* The charset parameter of a Content-Type value. */
static struct str charset_param(struct str v)
{
    for (size_t i = 0; i + 8 <= v.len; i++) {
        if (strncasecmp(v.ptr + i, "charset=", 8) != 0)
            continue;
        size_t b = i + 8;
        while (b < v.len && (v.ptr[b] == '"' || v.ptr[b] == '\'' || is_space(v.ptr[b])))
            b++;
        size_t e = b;
        while (e < v.len && v.ptr[e] != '"' && v.ptr[e] != '\'' && v.ptr[e] != ';' &&
               !is_space(v.ptr[e]))
            e++;
        return (struct str){v.ptr + b, e - b};
    }
    return (struct str){NULL, 0};
}

static double number(struct str v)
{
    char tmp[32];
    if (v.len == 0 || v.len >= sizeof tmp)
        return 0;
    memcpy(tmp, v.ptr, v.len);
    tmp[v.len] = '\0';
    char *endp;
    double d = strtod(tmp, &endp);
    return endp == tmp ? 0 : d;
}

/* rel is a space-separated list of tokens. */
static bool has_token(struct str v, const char *token)
{
    size_t i = 0;
    while (i < v.len) {
        while (i < v.len && is_space(v.ptr[i]))
            i++;
        size_t b = i;
        while (i < v.len && !is_space(v.ptr[i]))
            i++;
        if (str_ieq((struct str){v.ptr + b, i - b}, token))
            return true;
    }
    return false;
}

static void on_meta(struct scan *s, const struct attr *a, size_t n)
{
    const struct attr *content = attr_get(a, n, "content");
    const struct attr *charset = attr_get(a, n, "charset");
    if (charset && charset->value.len && !s->charset.len)
        s->charset = charset->value;
    const struct attr *equiv = attr_get(a, n, "http-equiv");
    if (equiv && str_ieq(equiv->value, "content-type") && content && !s->charset.len)
        s->charset = charset_param(content->value);
    if (!content || content->value.len == 0)
        return;
    const struct attr *prop = attr_get(a, n, "property");
    if (prop && (has_prefix(prop->value, "og:") || has_prefix(prop->value, "article:") ||
                 has_prefix(prop->value, "profile:")))
        meta_put(&s->og, prop->value, content->value);
    const struct attr *name = attr_get(a, n, "name");
    if (name && has_prefix(name->value, "twitter:"))
        meta_put(&s->twitter, name->value, content->value);
    if (name && !s->have_description && str_icontains(name->value, "description")) {
        s->description = content->value;
        s->have_description = true;
    }
    const struct attr *itemprop = attr_get(a, n, "itemprop");
    if (itemprop && !s->have_itemprop_image && str_icontains(itemprop->value, "image")) {
        s->itemprop_image = content->value;
        s->have_itemprop_image = true;
    }
}

static void on_img(struct scan *s, const struct attr *a, size_t n)
{
    const struct attr *src = attr_get(a, n, "src");
    if (!src || src->value.len == 0)
        return;
    if (!s->have_first_img) {
        s->first_img = src->value;
        s->have_first_img = true;
    }
    const struct attr *w = attr_get(a, n, "width"), *h = attr_get(a, n, "height");
    if (!w || !h)
        return;
    double wd = number(w->value), hd = number(h->value);
    if (wd > 10 && hd > 10 && wd * hd > s->best_area) {
        s->best_area = wd * hd;
        s->best_img = src->value;
    }
}

static void on_link(struct scan *s, const struct attr *a, size_t n)
{
    const struct attr *rel = attr_get(a, n, "rel"), *href = attr_get(a, n, "href");
    if (!s->have_icon && rel && href && href->value.len && has_token(rel->value, "icon")) {
        s->icon = href->value;
        s->have_icon = true;
    }
}

static void add_node(struct scan *s, const char *p, size_t len)
{
    if (s->ignored == 0 && s->n_nodes < SCAN_MAX_NODES && len > 0)
        s->nodes[s->n_nodes++] = cut(p, len);
}

/* Reads the attributes of a start tag up to its '>'; the cursor ends after it. */
static size_t read_attrs(struct scan *s, struct attr *a, bool *self_closing)
{
    size_t n = 0;
    *self_closing = false;
    const char *p = s->p, *end = s->end;
    while (p < end && *p != '>') {
        if (is_space(*p) || *p == '/') {
            *self_closing = *p == '/';
            p++;
            continue;
        }
        const char *nb = p;
        while (p < end && !is_space(*p) && *p != '>' && *p != '=' && !(*p == '/' && p > nb))
            p++;
        if (p == nb) /* a stray '=' */
            p++;
        struct attr at = {{nb, (size_t)(p - nb)}, {"", 0}};
        const char *q = p;
        while (q < end && is_space(*q))
            q++;
        if (q < end && *q == '=') {
            q++;
            while (q < end && is_space(*q))
                q++;
            if (q < end && (*q == '"' || *q == '\'')) {
                char quote = *q++;
                const char *close = memchr(q, quote, (size_t)(end - q));
                if (!close)
                    close = end;
                at.value = (struct str){q, (size_t)(close - q)};
                p = close < end ? close + 1 : end;
            } else {
                const char *vb = q;
                while (q < end && !is_space(*q) && *q != '>')
                    q++;
                at.value = (struct str){vb, (size_t)(q - vb)};
                p = q;
            }
            *self_closing = false;
        }
        if (n < SCAN_MAX_ATTRS)
            a[n++] = at;
    }
    s->p = p < end ? p + 1 : end;
    return n;
}

/* Raw text elements: their content runs to the matching end tag. */
static struct str raw_text(struct scan *s, const char *end_tag)
{
    const char *b = s->p;
    const char *e = find_ci(b, s->end, end_tag);
    s->p = e;
    return (struct str){b, (size_t)(e - b)};
}

static void on_start_tag(struct scan *s, struct str name)
{
    struct attr attrs[SCAN_MAX_ATTRS];
    bool self_closing;
    size_t n = read_attrs(s, attrs, &self_closing);
    if (str_ieq(name, "meta"))
        on_meta(s, attrs, n);
    else if (str_ieq(name, "img"))
        on_img(s, attrs, n);
    else if (str_ieq(name, "link"))
        on_link(s, attrs, n);
    if (str_ieq(name, "script") || str_ieq(name, "style")) {
        raw_text(s, str_ieq(name, "script") ? "</script" : "</style");
        return;
    }
    if (str_ieq(name, "title") || str_ieq(name, "h1") || str_ieq(name, "h2") ||
        str_ieq(name, "h3")) {
        bool is_title = str_ieq(name, "title");
        char close[8] = "</";
        memcpy(close + 2, name.ptr, name.len < 5 ? name.len : 5);
        close[2 + (name.len < 5 ? name.len : 5)] = '\0';
        const char *b = s->p;
        /* <title> holds text only; a heading counts when text is all it holds. */
        const char *e = is_title ? find_ci(b, s->end, close) : memchr(b, '<', (size_t)(s->end - b));
        if (!e)
            e = s->end;
        bool whole = is_title || ((size_t)(s->end - e) >= strlen(close) &&
                                  strncasecmp(e, close, strlen(close)) == 0);
        struct str text = cut(b, (size_t)(e - b));
        if (!s->have_title && whole && !blank(text)) {
            s->title = text;
            s->have_title = true;
        }
        if (is_title) {
            s->p = e;
            return;
        }
    }
    if (str_ieq(name, "body")) /* an unclosed <head> ends where the body starts */
        pop(s, (struct str){"head", 4});
    if (self_closing || void_tag(name))
        return;
    bool ignored = ignored_tag(name);
    if (!ignored) {
        const struct attr *role = attr_get(attrs, n, "role");
        ignored = role && (str_ieq(role->value, "directory") || str_ieq(role->value, "menu") ||
                           str_ieq(role->value, "menubar") || str_ieq(role->value, "toolbar"));
    }
    if (ignored || s->ignored > 0)
        push(s, name, ignored);
}

static void scan_run(struct scan *s)
{
    while (s->p < s->end) {
        const char *lt = memchr(s->p, '<', (size_t)(s->end - s->p));
        if (!lt) {
            add_node(s, s->p, (size_t)(s->end - s->p));
            s->p = s->end;
            break;
        }
        if (lt > s->p)
            add_node(s, s->p, (size_t)(lt - s->p));
        s->p = lt + 1;
        if (s->end - s->p >= 3 && memcmp(s->p, "!--", 3) == 0) {
            const char *e = find_ci(s->p + 3, s->end, "-->");
            s->p = e < s->end ? e + 3 : s->end;
            continue;
        }
        if (s->p < s->end && (*s->p == '!' || *s->p == '?')) {
            const char *e = memchr(s->p, '>', (size_t)(s->end - s->p));
            s->p = e ? e + 1 : s->end;
            continue;
        }
        bool end_tag = s->p < s->end && *s->p == '/';
        const char *nb = s->p + end_tag;
        const char *ne = nb;
        while (ne < s->end && (is_alnum(*ne) || *ne == '-' || *ne == ':' || *ne == '_'))
            ne++;
        bool letter = nb < s->end && ((*nb >= 'a' && *nb <= 'z') || (*nb >= 'A' && *nb <= 'Z'));
        if (ne == nb || !letter) {
            if (end_tag) { /* "</ junk>": skipped like a comment */
                const char *e = memchr(s->p, '>', (size_t)(s->end - s->p));
                s->p = e ? e + 1 : s->end;
            } else { /* a lone '<' is text */
                add_node(s, lt, 1);
            }
            continue;
        }
        struct str name = {nb, (size_t)(ne - nb)};
        s->p = ne;
        if (end_tag) {
            const char *e = memchr(s->p, '>', (size_t)(s->end - s->p));
            s->p = e ? e + 1 : s->end;
            pop(s, name);
        } else {
            on_start_tag(s, name);
        }
    }
}

/* ---- conversion to UTF-8 and character references ---- */

static void put_utf8(struct buf *b, uint32_t cp)
{
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        o[0] = (char)(0xf0 | cp >> 18);
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_append(b, o, n);
}

/* windows-1252's 0x80..0x9f (HTML maps ISO-8859-1 and US-ASCII labels to it). */
static const uint16_t cp1252_high[32] = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/* Decodes one UTF-8 sequence at s[0..n); returns its length, or 0 if ill-formed. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || len > n || s[0] > 0xf4)
        return 0;
    if (!str_utf8_valid((const char *)s, len))
        return 0;
    uint32_t c = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++)
        c = c << 6 | (s[i] & 0x3f);
    *cp = c;
    return len;
}

enum charset { CHARSET_UTF8, CHARSET_CP1252, CHARSET_OTHER };

struct decoder {
    enum charset kind; /* how bytes become characters */
    iconv_t cd;        /* CHARSET_OTHER: to UTF-8 */
};

static void decoder_init(struct decoder *d, struct str label)
{
    static const char *const cp1252[] = {"windows-1252", "cp1252", "x-cp1252", "iso-8859-1",
                                         "iso8859-1", "iso_8859-1", "latin1", "l1",
                                         "us-ascii", "ascii", "iso-ir-100", "csisolatin1"};
    d->kind = CHARSET_UTF8;
    d->cd = (iconv_t)-1;
    if (label.len == 0 || label.len > 40 || str_ieq(label, "utf-8") || str_ieq(label, "utf8"))
        return;
    for (size_t i = 0; i < sizeof cp1252 / sizeof cp1252[0]; i++) {
        if (str_ieq(label, cp1252[i])) {
            d->kind = CHARSET_CP1252;
            return;
        }
    }
    char name[48];
    memcpy(name, label.ptr, label.len);
    name[label.len] = '\0';
    /* UTF-16/32 would need the whole scan in another encoding: read as UTF-8. */
    if (strncasecmp(name, "utf-16", 6) == 0 || strncasecmp(name, "utf-32", 6) == 0)
        return;
    d->cd = iconv_open("UTF-8", name);
    if (d->cd != (iconv_t)-1)
        d->kind = CHARSET_OTHER;
}

static void decoder_fini(struct decoder *d)
{
    if (d->cd != (iconv_t)-1)
        iconv_close(d->cd);
}

/* Appends raw text in the page's charset to out as UTF-8 (U+FFFD for what
 * cannot be decoded). */
static void to_utf8(struct decoder *d, struct str raw, struct buf *out)
{
    const unsigned char *s = (const unsigned char *)raw.ptr;
    size_t n = raw.len;
    if (d->kind == CHARSET_OTHER) {
        iconv(d->cd, NULL, NULL, NULL, NULL);
        char *in = (char *)raw.ptr;
        size_t left = n;
        char chunk[1024];
        while (left > 0) {
            char *o = chunk;
            size_t room = sizeof chunk;
            size_t r = iconv(d->cd, &in, &left, &o, &room);
            buf_append(out, chunk, (size_t)(o - chunk));
            if (r == (size_t)-1 && o == chunk && left > 0) { /* EILSEQ or EINVAL: skip a byte */
                put_utf8(out, 0xfffd);
                in++;
                left--;
            }
        }
        return;
    }
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        if (d->kind == CHARSET_CP1252) {
            cp = s[i] >= 0x80 && s[i] < 0xa0 ? cp1252_high[s[i] - 0x80] : s[i];
            i++;
        } else {
            size_t len = utf8_seq(s + i, n - i, &cp);
            if (len == 0) {
                cp = 0xfffd;
                len = 1;
            }
            i += len;
        }
        put_utf8(out, cp);
    }
}

static const struct {
    const char *name; /* without & and ; */
    uint32_t cp;      /* code point */
} entities[] = {
    {"amp", '&'},      {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xa0},     {"copy", 0xa9},     {"reg", 0xae},
    {"trade", 0x2122}, {"hellip", 0x2026}, {"mdash", 0x2014},  {"ndash", 0x2013},
    {"lsquo", 0x2018}, {"rsquo", 0x2019},  {"ldquo", 0x201c},  {"rdquo", 0x201d},
    {"laquo", 0xab},   {"raquo", 0xbb},    {"bull", 0x2022},   {"middot", 0xb7},
    {"euro", 0x20ac},  {"pound", 0xa3},    {"yen", 0xa5},      {"cent", 0xa2},
    {"deg", 0xb0},     {"plusmn", 0xb1},   {"times", 0xd7},    {"divide", 0xf7},
    {"para", 0xb6},    {"sect", 0xa7},     {"iexcl", 0xa1},    {"iquest", 0xbf},
    {"eacute", 0xe9},  {"egrave", 0xe8},   {"ecirc", 0xea},    {"euml", 0xeb},
    {"agrave", 0xe0},  {"aacute", 0xe1},   {"acirc", 0xe2},    {"auml", 0xe4},
    {"ccedil", 0xe7},  {"icirc", 0xee},    {"iuml", 0xef},     {"ocirc", 0xf4},
    {"ouml", 0xf6},    {"ugrave", 0xf9},   {"ucirc", 0xfb},    {"uuml", 0xfc},
    {"Eacute", 0xc9},  {"Egrave", 0xc8},   {"Agrave", 0xc0},   {"Ccedil", 0xc7},
    {"Auml", 0xc4},    {"Ouml", 0xd6},     {"Uuml", 0xdc},     {"szlig", 0xdf},
    {"ntilde", 0xf1},  {"oslash", 0xf8},   {"aring", 0xe5},    {"aelig", 0xe6},
    {"oelig", 0x153},  {"thinsp", 0x2009}, {"ensp", 0x2002},   {"emsp", 0x2003},
    {"shy", 0xad},     {"zwj", 0x200d},    {"zwnj", 0x200c},   {"lrm", 0x200e},
    {"rlm", 0x200f},
};

/* Decodes one character reference at s[0..n) (s[0] == '&'); returns the bytes
 * it spans, or 0 when it is not one (the '&' is then literal). */
static size_t char_ref(const char *s, size_t n, uint32_t *cp)
{
    if (n >= 3 && s[1] == '#') {
        bool hex = s[2] == 'x' || s[2] == 'X';
        size_t i = hex ? 3 : 2;
        uint32_t v = 0;
        size_t digits = 0;
        for (; i < n; i++, digits++) {
            char c = s[i];
            int d = c >= '0' && c <= '9'                ? c - '0'
                    : hex && c >= 'a' && c <= 'f'       ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F'       ? c - 'A' + 10
                                                        : -1;
            if (d < 0)
                break;
            if (v <= 0x10ffff)
                v = v * (hex ? 16 : 10) + (uint32_t)d;
        }
        if (digits == 0)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (v >= 0x80 && v < 0xa0)
            v = cp1252_high[v - 0x80];
        *cp = v; /* invalid ones become U+FFFD in put_utf8 */
        return i;
    }
    size_t i = 1;
    while (i < n && i < 10 && is_alnum(s[i]))
        i++;
    struct str name = {s + 1, i - 1};
    bool semi = i < n && s[i] == ';';
    for (size_t k = 0; k < sizeof entities / sizeof entities[0]; k++) {
        if (!str_eq_cstr(name, entities[k].name))
            continue;
        /* Without ';' only the legacy names (the first eight here) are references. */
        if (!semi && k >= 8)
            return 0;
        *cp = entities[k].cp;
        return i + semi;
    }
    return 0;
}

/* A value as UTF-8 with its character references decoded (owned). */
static char *decode_value(struct decoder *d, struct str raw, size_t *len)
{
    struct buf u, out;
    buf_init(&u, VALUE_MAX);
    buf_init(&out, VALUE_MAX);
    to_utf8(d, raw, &u);
    for (size_t i = 0; i < u.len;) {
        uint32_t cp;
        size_t n = u.data[i] == '&' ? char_ref(u.data + i, u.len - i, &cp) : 0;
        if (n) {
            put_utf8(&out, cp);
            i += n;
        } else {
            buf_append_char(&out, u.data[i] ? u.data[i] : ' ');
            i++;
        }
    }
    buf_fini(&u);
    *len = out.len;
    return buf_steal(&out);
}

static void set_value(json_t *og, const char *key, size_t key_len, struct decoder *d,
                      struct str raw)
{
    size_t len;
    char *v = decode_value(d, raw, &len);
    char k[128];
    if (key_len < sizeof k) {
        memcpy(k, key, key_len);
        k[key_len] = '\0';
        json_object_set_new(og, k, json_stringn(v, len));
    }
    free(v);
}

/* ---- descriptions (Synapse's summarize_paragraphs) ---- */

/* The length of a Unicode white-space character at s[0..n), else 0. */
static size_t space_len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f))
        return 1;
    uint32_t cp;
    size_t len = c >= 0x80 ? utf8_seq((const unsigned char *)s, n, &cp) : 0;
    if (len == 0)
        return 0;
    bool ws = cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
              cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
    return ws ? len : 0;
}

static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* Appends s with each run of white space made one space, trimmed. */
static void append_collapsed(struct buf *out, const char *s, size_t n)
{
    bool pending = false;
    size_t start = out->len;
    for (size_t i = 0; i < n;) {
        size_t w = space_len(s + i, n - i);
        if (w) {
            pending = out->len > start;
            i += w;
            continue;
        }
        if (pending)
            buf_append_char(out, ' ');
        pending = false;
        size_t len = 1;
        while (i + len < n && ((unsigned char)s[i + len] & 0xc0) == 0x80)
            len++;
        buf_append(out, s + i, len);
        i += len;
    }
}

/* Paragraphs (text nodes, UTF-8) joined by blank lines until DESC_MIN
 * characters, then cut at a word boundary to DESC_MAX with an ellipsis. */
static json_t *summarize(const char *const *nodes, const size_t *lens, size_t n)
{
    struct buf d;
    buf_init(&d, VALUE_MAX);
    size_t counted = 0; /* Synapse counts blank nodes' separators too */
    for (size_t i = 0; i < n && counted < DESC_MIN; i++) {
        struct buf one;
        buf_init(&one, VALUE_MAX);
        append_collapsed(&one, nodes[i], lens[i]);
        counted += chars(one.data ? one.data : "", one.len) + 2;
        if (one.len) {
            if (d.len)
                buf_append_str(&d, "\n\n");
            buf_append(&d, one.data, one.len);
        }
        buf_fini(&one);
    }
    json_t *out = NULL;
    if (d.len && chars(d.data, d.len) > DESC_MAX) {
        /* Words: white space then non-space; keep adding while under DESC_MAX. */
        size_t keep = 0, kept_chars = 0;
        for (size_t i = 0; i < d.len;) {
            size_t j = i;
            while (j < d.len && (d.data[j] == ' ' || d.data[j] == '\n'))
                j++;
            while (j < d.len && d.data[j] != ' ' && d.data[j] != '\n')
                j++;
            size_t wc = chars(d.data + i, j - i);
            if (wc + kept_chars < DESC_MAX || kept_chars < DESC_MIN) {
                bool last = wc + kept_chars >= DESC_MAX;
                keep = j;
                kept_chars += wc;
                if (last)
                    break;
            } else {
                break;
            }
            i = j;
        }
        /* At most DESC_MAX characters, then trimmed. */
        size_t cnt = 0, cutb = 0;
        while (cutb < keep && cnt < DESC_MAX) {
            cutb++;
            while (cutb < keep && ((unsigned char)d.data[cutb] & 0xc0) == 0x80)
                cutb++;
            cnt++;
        }
        while (cutb > 0 && (d.data[cutb - 1] == ' ' || d.data[cutb - 1] == '\n'))
            cutb--;
        size_t b = 0;
        while (b < cutb && (d.data[b] == ' ' || d.data[b] == '\n'))
            b++;
        struct buf t;
        buf_init(&t, VALUE_MAX);
        buf_append(&t, d.data + b, cutb - b);
        buf_append_str(&t, "\xe2\x80\xa6"); /* … */
        out = json_stringn(t.data, t.len);
        buf_fini(&t);
    } else if (d.len) {
        out = json_stringn(d.data, d.len);
    }
    buf_fini(&d);
    return out;
}

static json_t *summarize_raw(struct decoder *dec, const struct str *raw, size_t n)
{
    char *nodes[SCAN_MAX_NODES];
    size_t lens[SCAN_MAX_NODES];
    for (size_t i = 0; i < n; i++)
        nodes[i] = decode_value(dec, raw[i], &lens[i]);
    json_t *out = summarize((const char *const *)nodes, lens, n);
    for (size_t i = 0; i < n; i++)
        free(nodes[i]);
    return out;
}

/* ---- the result ---- */

json_t *media__og_parse(const char *html, size_t len, const char *content_type)
{
    struct scan *s = xcalloc(1, sizeof *s);
    json_t *og = json_object();
    s->p = html ? html : "";
    s->end = s->p + (html ? len : 0);
    struct str label = {NULL, 0};
    if (s->end - s->p >= 3 && memcmp(s->p, "\xef\xbb\xbf", 3) == 0) {
        s->p += 3;
        label = (struct str){"utf-8", 5};
    }
    scan_run(s);
    if (!label.len && content_type)
        label = charset_param(str_from_cstr(content_type));
    if (!label.len)
        label = s->charset;
    struct decoder dec;
    decoder_init(&dec, label);

    for (size_t i = 0; i < s->og.n; i++)
        set_value(og, s->og.key[i].ptr, s->og.key[i].len, &dec, s->og.value[i]);
    for (size_t i = 0; i < s->twitter.n; i++) {
        struct str k = s->twitter.key[i]; /* twitter:X -> og:X, but for card, creator, site */
        if (str_eq_cstr(k, "twitter:card") || str_eq_cstr(k, "twitter:creator") ||
            str_eq_cstr(k, "twitter:site"))
            continue;
        char key[128];
        if (k.len - 8 + 3 >= sizeof key)
            continue;
        memcpy(key, "og:", 3);
        memcpy(key + 3, k.ptr + 8, k.len - 8);
        key[k.len - 8 + 3] = '\0';
        if (!json_object_get(og, key))
            set_value(og, key, strlen(key), &dec, s->twitter.value[i]);
    }
    if (!json_object_get(og, "og:title") && s->have_title) {
        size_t n;
        char *t = decode_value(&dec, s->title, &n);
        struct buf b;
        buf_init(&b, VALUE_MAX);
        append_collapsed(&b, t, n);
        if (b.len)
            json_object_set_new(og, "og:title", json_stringn(b.data, b.len));
        buf_fini(&b);
        free(t);
    }
    if (!json_object_get(og, "og:image")) {
        const struct str *img = s->have_itemprop_image ? &s->itemprop_image
                                : s->best_area > 0    ? &s->best_img
                                : s->have_first_img   ? &s->first_img
                                : s->have_icon        ? &s->icon
                                                      : NULL;
        if (img)
            set_value(og, "og:image", 8, &dec, *img);
    }
    json_t *desc = json_object_get(og, "og:description");
    if (desc) {
        const char *node = json_string_value(desc);
        size_t n = json_string_length(desc);
        json_t *sum = summarize(&node, &n, 1);
        if (sum)
            json_object_set_new(og, "og:description", sum);
        else
            json_object_del(og, "og:description");
    } else if (s->have_description) {
        set_value(og, "og:description", 14, &dec, s->description);
    } else {
        json_t *sum = summarize_raw(&dec, s->nodes, s->n_nodes);
        if (sum)
            json_object_set_new(og, "og:description", sum);
    }
    decoder_fini(&dec);
    free(s);
    return og;
}
