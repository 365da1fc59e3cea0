/* str.h: borrowed byte slices and checked string-to-number conversion.
 *
 * struct str points into memory someone else owns and need not end in NUL. */
#ifndef RELAIS_BASE_STR_H
#define RELAIS_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct str {
    const char *ptr; /* borrowed */
    size_t len;      /* bytes */
};

static inline struct str str_from_cstr(const char *s)
{
    struct str r = {s, s ? strlen(s) : 0};
    return r;
}

static inline bool str_eq_cstr(struct str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && memcmp(a.ptr, b, n) == 0;
}

static inline bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Parses a whole decimal integer (optional leading '-') within [min, max].
 * Returns 0, ERR_INVALID for non-digits or empty input, ERR_TOO_LARGE out of range. */
int str_to_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

/* Returns true when s[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool str_utf8_valid(const char *s, size_t len);

#endif
