/* arena.c: a chain of blocks; allocation bumps a pointer in the newest one. */
#include "base/arena.h"

#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct arena_block {
    struct arena_block *next; /* older block */
    size_t size;              /* usable bytes in data */
    size_t used;              /* bytes handed out from data */
    _Alignas(16) unsigned char data[];
};

/* The first block is small: most arenas (an HTTP request's path, parameters and
 * user) need less, and glibc serves a request under 1,024 bytes from its
 * per-thread cache, while a larger one first consolidates the freed small chunks
 * (malloc_consolidate: 1.3% of the server's CPU in wrk sends, one arena per
 * request). Later blocks are at least ARENA_BLOCK_MIN and double. */
enum { ARENA_BLOCK_FIRST = 960, ARENA_BLOCK_MIN = 4096 };

void arena_init(struct arena *a, size_t max_bytes)
{
    a->head = NULL;
    a->used_bytes = 0;
    a->max_bytes = max_bytes;
}

void arena_fini(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
    size_t rounded = (size + 15) & ~(size_t)15;
    if (rounded < size)
        return NULL;
    if (a->max_bytes && (rounded > a->max_bytes || a->used_bytes > a->max_bytes - rounded))
        return NULL;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < rounded) {
        size_t block = rounded > ARENA_BLOCK_MIN ? rounded : ARENA_BLOCK_MIN;
        if (!b && rounded <= ARENA_BLOCK_FIRST)
            block = ARENA_BLOCK_FIRST;
        if (b && b->size * 2 > block && b->size < (1u << 20))
            block = b->size * 2;
        b = xmalloc(sizeof *b + block);
        b->size = block;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += rounded;
    a->used_bytes += rounded;
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
