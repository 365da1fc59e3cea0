/* glob.c: the glob matching of push rules (event_match, content rules,
 * contains_display_name) and dot-separated property paths. */
#include "push/push.h"

#include "base/mem.h"

#include <string.h>

enum { GLOB_MAX_STEPS = 200000 };

static bool word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c >= 0x80;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* Length of the UTF-8 character starting at s (1 for a stray byte). */
static size_t char_len(const unsigned char *s)
{
    if (*s < 0x80)
        return 1;
    size_t n = *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc0 ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return i;
    return n;
}

struct glob {
    const unsigned char *v; /* the value */
    size_t len;             /* its length */
    bool whole;             /* the match must end at len (else at a word boundary) */
    long steps;             /* work left */
};

static bool end_ok(const struct glob *g, size_t at)
{
    if (g->whole)
        return at == g->len;
    return at == g->len || !word_char(g->v[at]);
}

static bool match_at(struct glob *g, const unsigned char *p, size_t at)
{
    for (;;) {
        if (--g->steps < 0)
            return false;
        if (!*p)
            return end_ok(g, at);
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p && g->whole)
                return true;
            for (size_t k = at;; k += char_len(g->v + k)) {
                if (match_at(g, p, k))
                    return true;
                if (k >= g->len || g->steps < 0)
                    return false;
            }
        }
        if (at >= g->len)
            return false;
        if (*p == '?') {
            p++;
            at += char_len(g->v + at);
            continue;
        }
        if (lower(*p) != lower(g->v[at]))
            return false;
        p++;
        at++;
    }
}

bool push_glob_match(const char *pattern, const char *value, bool whole)
{
    struct glob g = {(const unsigned char *)value, strlen(value), whole, GLOB_MAX_STEPS};
    const unsigned char *p = (const unsigned char *)pattern;
    if (whole)
        return match_at(&g, p, 0);
    for (size_t i = 0; i <= g.len; i++) {
        if (i > 0 && word_char(g.v[i - 1]))
            continue;
        if (match_at(&g, p, i))
            return true;
        if (g.steps < 0)
            return false;
    }
    return false;
}

json_t *push_path_get(const json_t *obj, const char *path)
{
    const json_t *cur = obj;
    size_t len = strlen(path);
    char small[128];
    char *key = len < sizeof small ? small : xmalloc(len + 1);
    size_t k = 0;
    for (size_t i = 0;; i++) {
        if (path[i] == '\\' && (path[i + 1] == '.' || path[i + 1] == '\\')) {
            key[k++] = path[++i];
            continue;
        }
        if (path[i] == '.' || !path[i]) {
            key[k] = '\0';
            cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
            k = 0;
            if (!cur || !path[i])
                break;
            continue;
        }
        key[k++] = path[i];
    }
    if (key != small)
        free(key);
    return (json_t *)cur;
}
