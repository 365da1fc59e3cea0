/* mem.c: aborting allocators and the assertion failure path. */
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void out_of_memory(size_t size)
{
    fprintf(stderr, "relais: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    size_t total;
    if (!mem_mul_ok(n, size, &total))
        out_of_memory((size_t)-1);
    void *p = calloc(total ? n : 1, total ? size : 1);
    if (!p)
        out_of_memory(total);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

char *xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

void mem__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "relais: assertion failed: %s at %s:%d\n", expr, file, line);
    abort();
}
