/* map.h: a string-keyed hash map (open addressing, linear probing).
 *
 * The map owns copies of its keys and owns its values through the destructor
 * given at creation (NULL: values are not freed). Not thread-safe: the owner
 * of a map says which lock guards it. */
#ifndef RELAIS_BASE_MAP_H
#define RELAIS_BASE_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef void (*map_value_free_fn)(void *value);

struct map_slot;

struct map {
    struct map_slot *slots;      /* owned, cap entries */
    size_t cap;                  /* power of two, or 0 before the first insert */
    size_t len;                  /* live entries */
    size_t tombstones;           /* deleted entries still occupying slots */
    map_value_free_fn value_free; /* destructor for values, may be NULL */
};

void map_init(struct map *m, map_value_free_fn value_free);
void map_fini(struct map *m);
/* Returns the value for key (borrowed), or NULL. */
void *map_get(const struct map *m, const char *key, size_t key_len);
/* Inserts or replaces (the old value is destroyed). The map takes the value. */
void map_put(struct map *m, const char *key, size_t key_len, void *value);
/* Removes and destroys the entry; returns 1 if it existed. */
int map_del(struct map *m, const char *key, size_t key_len);
/* Removes every entry. */
void map_clear(struct map *m);
/* Calls fn for each entry; fn must not change the map. */
void map_each(const struct map *m, void (*fn)(const char *key, size_t key_len, void *value, void *ctx),
              void *ctx);
/* FNV-1a, exposed for callers that shard by key. */
uint64_t map_hash(const char *key, size_t len);

#endif
