/* router.c: matching request paths against route patterns, and URL decoding.
 *
 * Patterns are literal segments and {name} parameters, one per segment. The
 * path is matched segment by segment while still percent-encoded, so an
 * encoded '/' inside a parameter (a state key, an old-style event ID) stays in
 * that parameter; each parameter is decoded afterwards. */
#include "http/http.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *http_percent_decode(struct arena *a, const char *src, size_t len, bool plus_is_space)
{
    char *out = arena_alloc(a, len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= len)
                return NULL;
            int hi = hex_value(src[i + 1]), lo = hex_value(src[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return NULL;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

bool http_route_match(const char *pattern, const char *path, struct arena *a,
                      const char **params, size_t *n_params)
{
    *n_params = 0;
    const char *p = pattern, *s = path;
    bool client_api = strncmp(pattern, "/_matrix/client/", 16) == 0;
    int segment = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        segment++;
        const char *pe = strchr(p, '/');
        const char *se = strchr(s, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || *n_params == HTTP_MAX_PARAMS)
                return false;
            char *v = http_percent_decode(a, s, slen, false);
            if (!v)
                return false;
            params[(*n_params)++] = v;
        } else if (!(plen == slen && memcmp(p, s, plen) == 0)) {
            /* /_matrix/client/r0/... is the pre-1.0 name of v3 (matrix-nio still uses it). */
            bool r0 = client_api && segment == 3 && plen == 2 && memcmp(p, "v3", 2) == 0 &&
                      slen == 2 && memcmp(s, "r0", 2) == 0;
            if (!r0)
                return false;
        }
        p += plen;
        s += slen;
    }
    /* A single trailing slash on the path is tolerated. */
    if (*s == '/' && s[1] == '\0')
        s++;
    return *p == '\0' && *s == '\0';
}
