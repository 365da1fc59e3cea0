/* gguf_write.c: the GGUF v3 writer (see gguf_write.h). Metadata is serialised into one
 * buffer as it is set; tensor infos are kept in an array until the file is written. */
#include "llm/gguf_write.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

#define WRITER_MAX_META ((size_t)1 << 30)

struct wtensor {
    char *name;           /* owned */
    enum llm_type type;   /* element type */
    int n_dims;           /* 1..4 */
    int64_t ne[4];        /* elements per dim */
    size_t size_bytes;    /* data size */
    uint64_t offset;      /* from the start of the data section */
    const void *data;     /* borrowed, or NULL for the fill callback */
};

struct llm_gguf_writer {
    struct buf meta;         /* serialised kv entries */
    int64_t n_kv;            /* entries in meta */
    char **keys;             /* owned copies, for duplicate checks */
    size_t alignment;        /* data alignment */
    struct wtensor *tensors; /* owned array */
    int64_t n_tensors;       /* used entries */
    int64_t cap_tensors;     /* allocated entries */
    uint64_t data_size;      /* bytes of the data section so far (aligned) */
};

struct llm_gguf_writer *llm_gguf_writer_new(void)
{
    struct llm_gguf_writer *w = xcalloc(1, sizeof *w);
    buf_init(&w->meta, WRITER_MAX_META);
    w->alignment = LLM_GGUF_DEFAULT_ALIGNMENT;
    return w;
}

void llm_gguf_writer_free(struct llm_gguf_writer *w)
{
    if (!w)
        return;
    buf_fini(&w->meta);
    for (int64_t i = 0; i < w->n_kv; i++)
        free(w->keys[i]);
    free(w->keys);
    for (int64_t i = 0; i < w->n_tensors; i++)
        free(w->tensors[i].name);
    free(w->tensors);
    free(w);
}

static int put(struct buf *b, const void *p, size_t n)
{
    return buf_append(b, p, n);
}

static int put_u32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return put(b, x, 4);
}

static int put_u64(struct buf *b, uint64_t v)
{
    int rc = put_u32(b, (uint32_t)v);
    return rc ? rc : put_u32(b, (uint32_t)(v >> 32));
}

static int put_str(struct buf *b, const char *s, size_t n)
{
    int rc = put_u64(b, n);
    return rc ? rc : put(b, s, n);
}

/* Starts an entry: checks for a duplicate, writes key and type. On failure the buffer
 * is restored by the caller through `mark`. */
static int begin_kv(struct llm_gguf_writer *w, const char *key, enum llm_gguf_vtype t)
{
    for (int64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->keys[i], key) == 0)
            return ERR_EXISTS;
    int rc = put_str(&w->meta, key, strlen(key));
    return rc ? rc : put_u32(&w->meta, (uint32_t)t);
}

static int end_kv(struct llm_gguf_writer *w, const char *key, size_t mark, int rc)
{
    if (rc) {
        w->meta.len = mark;
        return rc;
    }
    w->keys = xrealloc(w->keys, (size_t)(w->n_kv + 1) * sizeof *w->keys);
    w->keys[w->n_kv++] = xstrdup(key);
    return 0;
}

int llm_gguf_writer_set_u32(struct llm_gguf_writer *w, const char *key, uint32_t v)
{
    if (strcmp(key, "general.alignment") == 0) {
        if (v == 0 || (v & (v - 1)) != 0)
            return ERR_INVALID;
    }
    size_t mark = w->meta.len;
    int rc = begin_kv(w, key, LLM_GGUF_U32);
    if (!rc)
        rc = put_u32(&w->meta, v);
    rc = end_kv(w, key, mark, rc);
    if (!rc && strcmp(key, "general.alignment") == 0)
        w->alignment = v;
    return rc;
}

int llm_gguf_writer_set_i32(struct llm_gguf_writer *w, const char *key, int32_t v)
{
    size_t mark = w->meta.len;
    int rc = begin_kv(w, key, LLM_GGUF_I32);
    if (!rc)
        rc = put_u32(&w->meta, (uint32_t)v);
    return end_kv(w, key, mark, rc);
}

int llm_gguf_writer_set_f32(struct llm_gguf_writer *w, const char *key, float v)
{
    size_t mark = w->meta.len;
    uint32_t bits;
    memcpy(&bits, &v, 4);
    int rc = begin_kv(w, key, LLM_GGUF_F32);
    if (!rc)
        rc = put_u32(&w->meta, bits);
    return end_kv(w, key, mark, rc);
}

int llm_gguf_writer_set_bool(struct llm_gguf_writer *w, const char *key, bool v)
{
    size_t mark = w->meta.len;
    uint8_t b = v ? 1 : 0;
    int rc = begin_kv(w, key, LLM_GGUF_BOOL);
    if (!rc)
        rc = put(&w->meta, &b, 1);
    return end_kv(w, key, mark, rc);
}

int llm_gguf_writer_set_str(struct llm_gguf_writer *w, const char *key, struct str v)
{
    size_t mark = w->meta.len;
    int rc = begin_kv(w, key, LLM_GGUF_STRING);
    if (!rc)
        rc = put_str(&w->meta, v.ptr, v.len);
    return end_kv(w, key, mark, rc);
}

static int begin_arr(struct llm_gguf_writer *w, const char *key, enum llm_gguf_vtype et,
                     size_t n)
{
    int rc = begin_kv(w, key, LLM_GGUF_ARRAY);
    if (!rc)
        rc = put_u32(&w->meta, (uint32_t)et);
    if (!rc)
        rc = put_u64(&w->meta, n);
    return rc;
}

int llm_gguf_writer_set_arr_str(struct llm_gguf_writer *w, const char *key,
                                const struct str *items, size_t n)
{
    size_t mark = w->meta.len;
    int rc = begin_arr(w, key, LLM_GGUF_STRING, n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = put_str(&w->meta, items[i].ptr, items[i].len);
    return end_kv(w, key, mark, rc);
}

int llm_gguf_writer_set_arr_f32(struct llm_gguf_writer *w, const char *key, const float *v,
                                size_t n)
{
    size_t mark = w->meta.len;
    int rc = begin_arr(w, key, LLM_GGUF_F32, n);
    for (size_t i = 0; !rc && i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        rc = put_u32(&w->meta, bits);
    }
    return end_kv(w, key, mark, rc);
}

int llm_gguf_writer_set_arr_i32(struct llm_gguf_writer *w, const char *key, const int32_t *v,
                                size_t n)
{
    size_t mark = w->meta.len;
    int rc = begin_arr(w, key, LLM_GGUF_I32, n);
    for (size_t i = 0; !rc && i < n; i++)
        rc = put_u32(&w->meta, (uint32_t)v[i]);
    return end_kv(w, key, mark, rc);
}

int llm_gguf_writer_copy_kv(struct llm_gguf_writer *w, const struct llm_gguf *g, int64_t i)
{
    const char *key = llm_gguf_kv_key(g, i);
    enum llm_gguf_vtype t = llm_gguf_kv_type(g, i);
    size_t mark = w->meta.len;
    size_t n;
    const void *raw = llm_gguf_kv_raw(g, i, &n);
    int rc = begin_kv(w, key, t);
    if (!rc)
        rc = put(&w->meta, raw, n);
    rc = end_kv(w, key, mark, rc);
    if (!rc && strcmp(key, "general.alignment") == 0)
        w->alignment = llm_gguf_alignment(g);
    return rc;
}

int llm_gguf_writer_add_tensor(struct llm_gguf_writer *w, const char *name, enum llm_type type,
                               int n_dims, const int64_t *ne, const void *data)
{
    if (n_dims < 1 || n_dims > 4 || !llm_type_known((uint32_t)type))
        return ERR_INVALID;
    for (int64_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return ERR_EXISTS;
    struct wtensor t = {.type = type, .n_dims = n_dims, .data = data};
    uint64_t rows = 1;
    for (int d = 0; d < 4; d++) {
        t.ne[d] = d < n_dims ? ne[d] : 1;
        if (t.ne[d] < 0)
            return ERR_INVALID;
        if (d > 0)
            rows *= (uint64_t)t.ne[d];
    }
    size_t row;
    int rc = llm_type_row_size(type, t.ne[0], &row);
    if (rc)
        return rc;
    t.size_bytes = (size_t)rows * row;
    t.offset = w->data_size;
    w->data_size += (t.size_bytes + w->alignment - 1) / w->alignment * w->alignment;
    t.name = xstrdup(name);
    if (w->n_tensors == w->cap_tensors) {
        w->cap_tensors = w->cap_tensors ? 2 * w->cap_tensors : 16;
        w->tensors = xrealloc(w->tensors, (size_t)w->cap_tensors * sizeof *w->tensors);
    }
    w->tensors[w->n_tensors++] = t;
    return 0;
}

static int write_all(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n ? 0 : ERR_IO;
}

static int write_pad(FILE *f, uint64_t pos, size_t align)
{
    static const uint8_t zeros[64];
    size_t pad = (size_t)((align - pos % align) % align);
    while (pad > 0) {
        size_t k = pad < sizeof zeros ? pad : sizeof zeros;
        if (write_all(f, zeros, k))
            return ERR_IO;
        pad -= k;
    }
    return 0;
}

int llm_gguf_writer_write(struct llm_gguf_writer *w, const char *path, llm_gguf_fill_fn fill,
                          void *ctx)
{
    int rc = 0;
    void *scratch = NULL;
    struct buf head;
    buf_init(&head, WRITER_MAX_META + ((size_t)1 << 28));
    FILE *f = fopen(path, "wb");
    if (!f)
        return ERR_IO;
    /* the offsets were computed with the alignment current at add time; recompute now */
    uint64_t off = 0;
    for (int64_t i = 0; i < w->n_tensors; i++) {
        w->tensors[i].offset = off;
        off += (w->tensors[i].size_bytes + w->alignment - 1) / w->alignment * w->alignment;
    }
    rc = put(&head, "GGUF", 4);
    if (!rc)
        rc = put_u32(&head, 3);
    if (!rc)
        rc = put_u64(&head, (uint64_t)w->n_tensors);
    if (!rc)
        rc = put_u64(&head, (uint64_t)w->n_kv);
    if (!rc)
        rc = put(&head, w->meta.data ? w->meta.data : "", w->meta.len);
    for (int64_t i = 0; !rc && i < w->n_tensors; i++) {
        const struct wtensor *t = &w->tensors[i];
        rc = put_str(&head, t->name, strlen(t->name));
        if (!rc)
            rc = put_u32(&head, (uint32_t)t->n_dims);
        for (int d = 0; !rc && d < t->n_dims; d++)
            rc = put_u64(&head, (uint64_t)t->ne[d]);
        if (!rc)
            rc = put_u32(&head, (uint32_t)t->type);
        if (!rc)
            rc = put_u64(&head, t->offset);
    }
    if (rc)
        goto out;
    rc = write_all(f, head.data, head.len);
    if (!rc && w->n_tensors > 0)
        rc = write_pad(f, head.len, w->alignment);
    size_t scratch_size = 0;
    for (int64_t i = 0; !rc && i < w->n_tensors; i++) {
        const struct wtensor *t = &w->tensors[i];
        const void *data = t->data;
        if (!data) {
            if (!fill) {
                rc = ERR_INVALID;
                break;
            }
            if (t->size_bytes > scratch_size) {
                free(scratch);
                scratch_size = t->size_bytes;
                scratch = xmalloc(scratch_size);
            }
            rc = fill(ctx, i, scratch, t->size_bytes);
            data = scratch;
        }
        if (!rc)
            rc = write_all(f, data, t->size_bytes);
        if (!rc) /* every tensor, the last included, is padded (as ggml writes them) */
            rc = write_pad(f, t->size_bytes, w->alignment);
    }
out:
    free(scratch);
    buf_fini(&head);
    if (fclose(f) != 0 && !rc)
        rc = ERR_IO;
    return rc;
}
