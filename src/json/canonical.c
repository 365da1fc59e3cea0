/* canonical.c: the canonical JSON emitter (spec appendices, "Canonical JSON").
 *
 * Separate from any pretty or compact printer on purpose: these bytes are what
 * hashes and signatures cover, so every choice here is fixed by the spec and
 * pinned by tests/unit/json/canonical_test.c. Parsing is not done here.
 *
 * Numbers: jansson keeps integers and reals apart. An integer is written in
 * decimal if it lies within [-(2^53)+1, 2^53-1]. A real is accepted only when
 * its value is such an integer (the spec's example turns 1e10 into
 * 10000000000 and -0 into 0); any real with a fraction, NaN or infinity is
 * refused. Callers that must refuse every real (room versions 6+, where
 * floats make an event invalid) check for reals themselves. */
#include "json/canonical.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"

struct member {
    const char *key;   /* borrowed from the jansson object */
    size_t key_len;    /* bytes */
    json_t *value;     /* borrowed */
};

static int emit(const json_t *v, struct buf *out, int depth);

static int compare_members(const void *a, const void *b)
{
    const struct member *x = a;
    const struct member *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

static int emit_string(const char *s, size_t len, struct buf *out)
{
    static const char hex[] = "0123456789abcdef";
    if (!str_utf8_valid(s, len))
        return ERR_INVALID;
    int rc = buf_append_char(out, '"');
    size_t run = 0; /* start of the pending run of literal bytes */
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = buf_append(out, s + run, i - run);
        run = i + 1;
        if (rc != 0)
            break;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t esc_len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc_len = 6;
            break;
        }
        rc = buf_append(out, esc, esc_len);
    }
    if (rc == 0)
        rc = buf_append(out, s + run, len - run);
    if (rc == 0)
        rc = buf_append_char(out, '"');
    return rc;
}

static int emit_integer(long long v, struct buf *out)
{
    if (v > JSON_CANONICAL_INT_MAX || v < -JSON_CANONICAL_INT_MAX)
        return ERR_INVALID;
    return buf_printf(out, "%lld", v);
}

static int emit_real(double d, struct buf *out)
{
    /* 2^53 - 1 is exactly representable, so these comparisons are exact. */
    if (!isfinite(d) || d != floor(d) || d > (double)JSON_CANONICAL_INT_MAX ||
        d < -(double)JSON_CANONICAL_INT_MAX)
        return ERR_INVALID;
    long long v = (long long)d; /* -0.0 becomes 0 */
    return buf_printf(out, "%lld", v);
}

/* Byte order of a member's key against a NUL-terminated name (compare_members). */
static int compare_key(const struct member *m, const char *name)
{
    struct member other = {name, strlen(name), NULL};
    return compare_members(m, &other);
}

/* marks: NULL, or for each skip[i] the offset (from the opening brace) where a member
 * with that key belongs: the first written member whose key sorts after it, or the
 * closing brace. */
static int emit_object(const json_t *obj, const char *const *skip, size_t *marks,
                       struct buf *out, int depth)
{
    size_t start = out->len;
    size_t n = json_object_size(obj);
    struct member small[16];
    struct member *m = small;
    int rc = 0;

    if (n > sizeof(small) / sizeof(small[0]))
        m = xcalloc(n, sizeof(*m));
    size_t count = 0;
    /* json_object_iter takes a non-const object but does not modify it. */
    json_t *o = (json_t *)obj;
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
        const char *key = json_object_iter_key(it);
        size_t key_len = json_object_iter_key_len(it);
        bool skipped = false;
        for (size_t s = 0; skip && skip[s]; s++) {
            if (strlen(skip[s]) == key_len && memcmp(skip[s], key, key_len) == 0) {
                skipped = true;
                break;
            }
        }
        if (skipped)
            continue;
        ASSERT(count < n);
        m[count].key = key;
        m[count].key_len = key_len;
        m[count].value = json_object_iter_value(it);
        count++;
    }
    qsort(m, count, sizeof(*m), compare_members);

    size_t next_mark = 0; /* skip[] entries whose mark is set, when marking */
    if (marks) /* skip sorted: the marks are found in one pass over the members */
        for (size_t s = 0; skip[s]; s++)
            ASSERT(s == 0 || strcmp(skip[s - 1], skip[s]) < 0);
    rc = buf_append_char(out, '{');
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (i > 0)
            rc = buf_append_char(out, ',');
        while (marks && skip[next_mark] && compare_key(&m[i], skip[next_mark]) > 0)
            marks[next_mark++] = out->len - start;
        if (rc == 0)
            rc = emit_string(m[i].key, m[i].key_len, out);
        if (rc == 0)
            rc = buf_append_char(out, ':');
        if (rc == 0)
            rc = emit(m[i].value, out, depth + 1);
    }
    while (rc == 0 && marks && skip[next_mark])
        marks[next_mark++] = out->len - start;
    if (rc == 0)
        rc = buf_append_char(out, '}');
    if (m != small)
        free(m);
    return rc;
}

static int emit(const json_t *v, struct buf *out, int depth)
{
    if (!v)
        return ERR_INVALID;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if (depth >= JSON_CANONICAL_MAX_DEPTH)
            return ERR_TOO_LARGE;
        return emit_object(v, NULL, NULL, out, depth);
    case JSON_ARRAY: {
        if (depth >= JSON_CANONICAL_MAX_DEPTH)
            return ERR_TOO_LARGE;
        int rc = buf_append_char(out, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (i > 0)
                rc = buf_append_char(out, ',');
            if (rc == 0)
                rc = emit(json_array_get(v, i), out, depth + 1);
        }
        if (rc == 0)
            rc = buf_append_char(out, ']');
        return rc;
    }
    case JSON_STRING:
        return emit_string(json_string_value(v), json_string_length(v), out);
    case JSON_INTEGER:
        return emit_integer(json_integer_value(v), out);
    case JSON_REAL:
        return emit_real(json_real_value(v), out);
    case JSON_TRUE:
        return buf_append(out, "true", 4);
    case JSON_FALSE:
        return buf_append(out, "false", 5);
    case JSON_NULL:
        return buf_append(out, "null", 4);
    }
    return ERR_INVALID;
}

int json_canonical_encode(const json_t *value, struct buf *out)
{
    return emit(value, out, 0);
}

int json_canonical_encode_without(const json_t *value, const char *const *skip, struct buf *out)
{
    if (!json_is_object(value))
        return ERR_INVALID;
    return emit_object(value, skip, NULL, out, 0);
}

int json_canonical_encode_marked(const json_t *value, const char *const *skip, size_t *marks,
                                 struct buf *out)
{
    if (!json_is_object(value))
        return ERR_INVALID;
    return emit_object(value, skip, marks, out, 0);
}

int json_canonical_insert(const char *enc, size_t enc_len, const char *const *keys,
                          const size_t *marks, json_t *const *values, size_t n, struct buf *out)
{
    size_t pos = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        ASSERT(marks[i] >= pos && marks[i] < enc_len);
        rc = buf_append(out, enc + pos, marks[i] - pos);
        pos = marks[i];
        /* After '{' or ',' the member needs no comma before it; after another
         * member (a mark at the closing brace) it does. */
        char last = out->len ? out->data[out->len - 1] : '{';
        if (rc == 0 && last != '{' && last != ',')
            rc = buf_append_char(out, ',');
        if (rc == 0)
            rc = emit_string(keys[i], strlen(keys[i]), out);
        if (rc == 0)
            rc = buf_append_char(out, ':');
        if (rc == 0)
            rc = emit(values[i], out, 1);
        if (rc == 0 && enc[pos] != '}') /* a member follows */
            rc = buf_append_char(out, ',');
    }
    if (rc == 0)
        rc = buf_append(out, enc + pos, enc_len - pos);
    return rc;
}
