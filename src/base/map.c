/* map.c: open-addressing hash map with tombstones (see map.h). */
#include "base/map.h"

#include "base/mem.h"

#include <string.h>

struct map_slot {
    char *key;      /* owned; NULL = empty; TOMBSTONE = deleted */
    size_t key_len; /* bytes */
    uint64_t hash;  /* cached hash of key */
    void *value;    /* owned through value_free */
};

static char tombstone_marker;
#define TOMBSTONE (&tombstone_marker)

uint64_t map_hash(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void map_init(struct map *m, map_value_free_fn value_free)
{
    memset(m, 0, sizeof *m);
    m->value_free = value_free;
}

static void slot_clear(struct map *m, struct map_slot *s)
{
    if (s->key && s->key != TOMBSTONE) {
        free(s->key);
        if (m->value_free && s->value)
            m->value_free(s->value);
    }
    s->key = NULL;
    s->value = NULL;
}

void map_clear(struct map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        slot_clear(m, &m->slots[i]);
    m->len = 0;
    m->tombstones = 0;
}

void map_fini(struct map *m)
{
    map_clear(m);
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
}

static struct map_slot *find(const struct map *m, const char *key, size_t len, uint64_t h)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct map_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == h && s->key_len == len &&
            memcmp(s->key, key, len) == 0)
            return s;
    }
}

void *map_get(const struct map *m, const char *key, size_t key_len)
{
    struct map_slot *s = find(m, key, key_len, map_hash(key, key_len));
    return s ? s->value : NULL;
}

static void grow(struct map *m)
{
    size_t old_cap = m->cap;
    struct map_slot *old = m->slots;
    size_t cap = old_cap ? old_cap * 2 : 16;
    if ((m->len + 1) * 4 < old_cap) /* mostly tombstones: rehash at the same size */
        cap = old_cap;
    m->slots = xcalloc(cap, sizeof *m->slots);
    m->cap = cap;
    m->tombstones = 0;
    for (size_t i = 0; i < old_cap; i++) {
        struct map_slot *s = &old[i];
        if (!s->key || s->key == TOMBSTONE)
            continue;
        size_t j = s->hash & (cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (cap - 1);
        m->slots[j] = *s;
    }
    free(old);
}

void map_put(struct map *m, const char *key, size_t key_len, void *value)
{
    uint64_t h = map_hash(key, key_len);
    struct map_slot *s = find(m, key, key_len, h);
    if (s) {
        if (m->value_free && s->value && s->value != value)
            m->value_free(s->value);
        s->value = value;
        return;
    }
    if ((m->len + m->tombstones + 1) * 4 > m->cap * 3)
        grow(m);
    size_t mask = m->cap - 1;
    size_t i = h & mask;
    while (m->slots[i].key && m->slots[i].key != TOMBSTONE)
        i = (i + 1) & mask;
    s = &m->slots[i];
    if (s->key == TOMBSTONE)
        m->tombstones--;
    s->key = xstrndup(key, key_len);
    s->key_len = key_len;
    s->hash = h;
    s->value = value;
    m->len++;
}

int map_del(struct map *m, const char *key, size_t key_len)
{
    struct map_slot *s = find(m, key, key_len, map_hash(key, key_len));
    if (!s)
        return 0;
    slot_clear(m, s);
    s->key = TOMBSTONE;
    m->len--;
    m->tombstones++;
    return 1;
}

void map_each(const struct map *m, void (*fn)(const char *key, size_t key_len, void *value, void *ctx),
              void *ctx)
{
    for (size_t i = 0; i < m->cap; i++) {
        struct map_slot *s = &m->slots[i];
        if (s->key && s->key != TOMBSTONE)
            fn(s->key, s->key_len, s->value, ctx);
    }
}
