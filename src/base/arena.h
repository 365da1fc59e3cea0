/* arena.h: bump allocator freed all at once.
 *
 * Request handlers allocate from their request's arena and never free; the
 * http layer frees the arena when the response is sent. Blocks grow as needed,
 * bounded by max_bytes so a hostile request cannot take the heap. */
#ifndef RELAIS_BASE_ARENA_H
#define RELAIS_BASE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head; /* owned chain, newest first */
    size_t used_bytes;        /* total handed out so far */
    size_t max_bytes;         /* ceiling; 0 means unlimited */
};

void arena_init(struct arena *a, size_t max_bytes);
void arena_fini(struct arena *a);
/* Returns size bytes aligned to 16, owned by the arena, or NULL past max_bytes. */
void *arena_alloc(struct arena *a, size_t size);
/* Copies len bytes plus a NUL into the arena; NULL past max_bytes. */
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
/* printf into the arena; NULL past max_bytes. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
