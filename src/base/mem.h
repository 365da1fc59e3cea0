/* mem.h: allocation helpers that abort on exhaustion, and the ASSERT macro.
 *
 * Small allocations use xmalloc/xcalloc/xrealloc: running out of memory for a
 * few hundred bytes is not something a request can recover from. Sizes that
 * come from input must be checked against a limit before they get here. */
#ifndef RELAIS_BASE_MEM_H
#define RELAIS_BASE_MEM_H

#include <stddef.h>
#include <stdlib.h>

/* Each returns owned memory (free with free()); aborts with a message if the
 * system has none left. xcalloc checks n * size for overflow. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);

/* Aborts with file:line and the expression. Stays on in release builds: a
 * broken invariant is a bug, never a way to handle bad input. */
#define ASSERT(expr)                                                       \
    do {                                                                   \
        if (!(expr))                                                       \
            mem__assert_fail(#expr, __FILE__, __LINE__);                   \
    } while (0)

_Noreturn void mem__assert_fail(const char *expr, const char *file, int line);

/* Returns 1 and stores a * b in *out when it fits in size_t, else 0. */
static inline int mem_mul_ok(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > (size_t)-1 / b)
        return 0;
    *out = a * b;
    return 1;
}

#endif
