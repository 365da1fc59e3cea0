/* gguf.c: parses GGUF v2/v3 headers from a byte range (mapped file or memory), checking
 * every count, length and offset against the bytes present. The format is described in
 * gguf.h. Metadata values and tensor data stay in the borrowed bytes; the handle owns
 * only its index arrays (entries, NUL-terminated names, string-array offsets, hashes).
 *
 * Design notes:
 * 1. A cursor (struct rd) never reads past `end`; every read returns ERR_TRUNCATED
 *    instead, so a cut file at any offset fails cleanly.
 * 2. Counts read from the file are checked against fixed limits (ERR_TOO_LARGE) and then
 *    against the bytes left (ERR_TRUNCATED) before anything is allocated from them (each
 *    kv takes >= 12 bytes, each tensor info >= 24, each array element >= 1), so
 *    allocation is bounded by the file size.
 * 3. Keys and tensor names are hashed (open addressing) to reject duplicates in linear
 *    time and to make lookups O(1). */
#include "llm/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/mem.h"

#define GGUF_MAX_NAME_BYTES 65535u
#define GGUF_MAX_KV ((uint64_t)1 << 20)
#define GGUF_MAX_TENSORS ((uint64_t)1 << 20)
#define GGUF_MAX_ARRAY ((uint64_t)1 << 28)

struct kv_entry {
    char *key;                 /* owned, NUL-terminated */
    enum llm_gguf_vtype type;  /* value type */
    enum llm_gguf_vtype atype; /* array element type (arrays only) */
    uint64_t alen;             /* array length (arrays only) */
    const uint8_t *val;        /* value bytes in the file (for arrays: first element) */
    uint64_t slen;             /* string length (strings only) */
    uint64_t *str_offs;        /* owned; string arrays: offset of each element's length
                                  prefix from val (NULL otherwise) */
    const uint8_t *raw;        /* the value as stored (after the type field) */
    size_t raw_len;            /* its size in bytes */
};

struct llm_gguf {
    const uint8_t *bytes;           /* whole file; borrowed or mapped */
    size_t len;                     /* bytes */
    bool mapped;                    /* true when bytes came from mmap (unmap on close) */
    uint32_t version;               /* 2 or 3 */
    size_t alignment;               /* data alignment in bytes */
    size_t data_offset;             /* start of the data section */
    int64_t n_kv;                   /* entries in kv */
    struct kv_entry *kv;            /* owned array [n_kv] */
    int64_t n_tensors;              /* entries in tensors */
    struct llm_gguf_tensor *tensors; /* owned array [n_tensors]; names owned */
    uint32_t kv_hash_cap;           /* power of two slots in kv_hash */
    int64_t *kv_hash;               /* owned; slot -> kv index or -1 */
    uint32_t t_hash_cap;            /* power of two slots in t_hash */
    int64_t *t_hash;                /* owned; slot -> tensor index or -1 */
};

/* ---- reading primitives --------------------------------------------------------------- */

struct rd {
    const uint8_t *base; /* file start */
    size_t pos;          /* current offset */
    size_t len;          /* file length */
    char *err;           /* message buffer (may be NULL) */
    size_t err_len;      /* its size */
};

__attribute__((format(printf, 3, 4))) static int fail(struct rd *r, int code, const char *fmt,
                                                      ...)
{
    if (r->err && r->err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->err_len, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int need(struct rd *r, uint64_t n, const char *what)
{
    if (n > r->len - r->pos)
        return fail(r, ERR_TRUNCATED, "gguf: file ends inside %s at offset %zu (%" PRIu64
                    " bytes needed, %zu left)", what, r->pos, n, r->len - r->pos);
    return 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int rd_u32(struct rd *r, uint32_t *out, const char *what)
{
    int rc = need(r, 4, what);
    if (rc)
        return rc;
    *out = le32(r->base + r->pos);
    r->pos += 4;
    return 0;
}

static int rd_u64(struct rd *r, uint64_t *out, const char *what)
{
    int rc = need(r, 8, what);
    if (rc)
        return rc;
    *out = le64(r->base + r->pos);
    r->pos += 8;
    return 0;
}

/* Reads a length-prefixed string; *s points into the file. */
static int rd_str(struct rd *r, const uint8_t **s, uint64_t *n, const char *what)
{
    int rc = rd_u64(r, n, what);
    if (rc)
        return rc;
    rc = need(r, *n, what);
    if (rc)
        return rc;
    *s = r->base + r->pos;
    r->pos += (size_t)*n;
    return 0;
}

static size_t vtype_size(enum llm_gguf_vtype t)
{
    switch (t) {
    case LLM_GGUF_U8:
    case LLM_GGUF_I8:
    case LLM_GGUF_BOOL:
        return 1;
    case LLM_GGUF_U16:
    case LLM_GGUF_I16:
        return 2;
    case LLM_GGUF_U32:
    case LLM_GGUF_I32:
    case LLM_GGUF_F32:
        return 4;
    case LLM_GGUF_U64:
    case LLM_GGUF_I64:
    case LLM_GGUF_F64:
        return 8;
    default:
        return 0;
    }
}

static const char *const vtype_names[LLM_GGUF_VTYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
};

const char *llm_gguf_vtype_name(enum llm_gguf_vtype t)
{
    return (unsigned)t < LLM_GGUF_VTYPE_COUNT ? vtype_names[t] : "?";
}

/* ---- hashing --------------------------------------------------------------------------- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static uint32_t hash_cap_for(int64_t n)
{
    uint32_t cap = 8;
    while ((int64_t)cap < 2 * n)
        cap <<= 1;
    return cap;
}

/* Inserts index i with name `name`; returns false when the name is already present. */
static bool hash_insert(int64_t *slots, uint32_t cap, const char *name, int64_t i,
                        const char *(*name_of)(const void *, int64_t), const void *ctx)
{
    uint32_t s = (uint32_t)hash_name(name) & (cap - 1);
    while (slots[s] >= 0) {
        if (strcmp(name_of(ctx, slots[s]), name) == 0)
            return false;
        s = (s + 1) & (cap - 1);
    }
    slots[s] = i;
    return true;
}

static int64_t hash_find(const int64_t *slots, uint32_t cap, const char *name,
                         const char *(*name_of)(const void *, int64_t), const void *ctx)
{
    if (!slots)
        return -1;
    uint32_t s = (uint32_t)hash_name(name) & (cap - 1);
    while (slots[s] >= 0) {
        if (strcmp(name_of(ctx, slots[s]), name) == 0)
            return slots[s];
        s = (s + 1) & (cap - 1);
    }
    return -1;
}

static const char *kv_name_of(const void *ctx, int64_t i)
{
    return ((const struct llm_gguf *)ctx)->kv[i].key;
}

static const char *t_name_of(const void *ctx, int64_t i)
{
    return ((const struct llm_gguf *)ctx)->tensors[i].name;
}

/* ---- parsing --------------------------------------------------------------------------- */

static int parse_name(struct rd *r, char **out, const char *what)
{
    const uint8_t *s;
    uint64_t n;
    int rc = rd_str(r, &s, &n, what);
    if (rc)
        return rc;
    if (n > GGUF_MAX_NAME_BYTES)
        return fail(r, ERR_TOO_LARGE, "gguf: %s of %" PRIu64 " bytes at offset %zu", what, n,
                    r->pos - (size_t)n);
    if (memchr(s, 0, (size_t)n))
        return fail(r, ERR_INVALID, "gguf: %s contains a NUL byte", what);
    *out = xstrndup((const char *)s, (size_t)n);
    return 0;
}

static int parse_value(struct rd *r, struct kv_entry *e)
{
    int rc;
    e->val = r->base + r->pos;
    if (e->type == LLM_GGUF_STRING) {
        const uint8_t *s;
        rc = rd_str(r, &s, &e->slen, "a string value");
        if (rc)
            return rc;
        e->val = s;
        return 0;
    }
    if (e->type != LLM_GGUF_ARRAY) {
        size_t sz = vtype_size(e->type);
        if (sz == 0)
            return fail(r, ERR_INVALID, "gguf: key '%s' has unknown value type %u", e->key,
                        (unsigned)e->type);
        rc = need(r, sz, "a metadata value");
        if (rc)
            return rc;
        r->pos += sz;
        return 0;
    }
    uint32_t at;
    rc = rd_u32(r, &at, "an array type");
    if (rc)
        return rc;
    rc = rd_u64(r, &e->alen, "an array length");
    if (rc)
        return rc;
    if (at >= LLM_GGUF_VTYPE_COUNT || at == LLM_GGUF_ARRAY)
        return fail(r, ERR_INVALID, "gguf: key '%s': array of unsupported type %u", e->key, at);
    e->atype = (enum llm_gguf_vtype)at;
    e->val = r->base + r->pos;
    size_t left = r->len - r->pos;
    if (e->alen > GGUF_MAX_ARRAY)
        return fail(r, ERR_TOO_LARGE, "gguf: key '%s': array of %" PRIu64 " elements (limit %"
                    PRIu64 ")", e->key, e->alen, GGUF_MAX_ARRAY);
    if (e->atype == LLM_GGUF_STRING) {
        if (e->alen > left / 8)
            return fail(r, ERR_TRUNCATED, "gguf: key '%s': %" PRIu64
                        " strings cannot fit in the %zu bytes left", e->key, e->alen, left);
        e->str_offs = xmalloc((size_t)(e->alen ? e->alen : 1) * sizeof(uint64_t));
        size_t start = r->pos;
        for (uint64_t i = 0; i < e->alen; i++) {
            const uint8_t *s;
            uint64_t n;
            e->str_offs[i] = r->pos - start;
            rc = rd_str(r, &s, &n, "a string array element");
            if (rc)
                return rc;
        }
        return 0;
    }
    size_t sz = vtype_size(e->atype);
    if (e->alen > left / sz)
        return fail(r, ERR_TRUNCATED, "gguf: key '%s': array of %" PRIu64
                    " x %zu bytes but only %zu bytes left", e->key, e->alen, sz, left);
    r->pos += (size_t)e->alen * sz;
    return 0;
}

/* ggml type ids that are valid in GGUF files but not implemented here (for a clear error). */
static const char *ggml_type_name_unsupported(uint32_t id)
{
    static const char *const names[] = {
        [4] = "q4_2 (removed)", [5] = "q4_3 (removed)", [16] = "iq2_xxs", [17] = "iq2_xs",
        [18] = "iq3_xxs",       [19] = "iq1_s",         [20] = "iq4_nl",  [21] = "iq3_s",
        [22] = "iq2_s",         [23] = "iq4_xs",        [24] = "i8",      [25] = "i16",
        [26] = "i32",           [27] = "i64",           [28] = "f64",     [29] = "iq1_m",
        [34] = "tq1_0",         [35] = "tq2_0",         [39] = "mxfp4",
    };
    return id < sizeof names / sizeof names[0] ? names[id] : NULL;
}

static int parse_tensor_info(struct rd *r, struct llm_gguf_tensor *t)
{
    char *name = NULL;
    int rc = parse_name(r, &name, "a tensor name");
    if (rc)
        return rc;
    t->name = name;
    uint32_t nd;
    rc = rd_u32(r, &nd, "a tensor's dimension count");
    if (rc)
        return rc;
    if (nd < 1 || nd > LLM_GGUF_MAX_DIMS)
        return fail(r, ERR_INVALID, "gguf: tensor '%s' has %u dimensions (1..4 allowed)", name,
                    nd);
    t->n_dims = (int)nd;
    for (int d = 0; d < LLM_GGUF_MAX_DIMS; d++)
        t->ne[d] = 1;
    for (uint32_t d = 0; d < nd; d++) {
        uint64_t v;
        rc = rd_u64(r, &v, "a tensor dimension");
        if (rc)
            return rc;
        if (v > (uint64_t)INT64_MAX)
            return fail(r, ERR_TOO_LARGE, "gguf: tensor '%s' dimension %u is %" PRIu64, name, d,
                        v);
        t->ne[d] = (int64_t)v;
    }
    uint32_t type;
    rc = rd_u32(r, &type, "a tensor type");
    if (rc)
        return rc;
    if (!llm_type_known(type)) {
        const char *other = ggml_type_name_unsupported(type);
        if (other)
            return fail(r, ERR_UNSUPPORTED, "gguf: tensor '%s' has type %s (%u), which relais "
                        "does not support", name, other, type);
        return fail(r, ERR_INVALID, "gguf: tensor '%s' has unknown type %u", name, type);
    }
    t->type = (enum llm_type)type;
    rc = rd_u64(r, &t->offset, "a tensor offset");
    if (rc)
        return rc;
    /* element count and size, overflow-checked (bounded by the file size later) */
    uint64_t nel = 1;
    for (int d = 0; d < LLM_GGUF_MAX_DIMS; d++) {
        uint64_t v = (uint64_t)t->ne[d];
        if (v != 0 && nel > (uint64_t)INT64_MAX / v)
            return fail(r, ERR_TOO_LARGE, "gguf: tensor '%s' has too many elements", name);
        nel *= v;
    }
    t->n_elements = (int64_t)nel;
    int64_t bs = llm_type_block_size(t->type);
    if (t->ne[0] % bs != 0)
        return fail(r, ERR_INVALID, "gguf: tensor '%s' (%s): row length %" PRId64
                    " is not a multiple of the block size %" PRId64, name,
                    llm_type_name(t->type), t->ne[0], bs);
    size_t row;
    rc = llm_type_row_size(t->type, t->ne[0], &row);
    if (rc)
        return fail(r, rc, "gguf: tensor '%s': row too large", name);
    uint64_t rows = nel == 0 ? 0 : nel / (uint64_t)t->ne[0];
    if (row != 0 && rows > SIZE_MAX / row)
        return fail(r, ERR_TOO_LARGE, "gguf: tensor '%s' is too large", name);
    t->size_bytes = (size_t)rows * row;
    return 0;
}

static void free_contents(struct llm_gguf *g)
{
    for (int64_t i = 0; g->kv && i < g->n_kv; i++) {
        free(g->kv[i].key);
        free(g->kv[i].str_offs);
    }
    free(g->kv);
    for (int64_t i = 0; g->tensors && i < g->n_tensors; i++)
        free((char *)g->tensors[i].name);
    free(g->tensors);
    free(g->kv_hash);
    free(g->t_hash);
}

static int parse(struct llm_gguf *g, struct rd *r)
{
    int rc = need(r, 4, "the magic");
    if (rc)
        return rc;
    if (memcmp(r->base, "GGUF", 4) != 0)
        return fail(r, ERR_INVALID, "gguf: bad magic (not a GGUF file)");
    r->pos = 4;
    rc = rd_u32(r, &g->version, "the version");
    if (rc)
        return rc;
    if (g->version == 1)
        return fail(r, ERR_UNSUPPORTED, "gguf: version 1 files are not supported (convert "
                    "to v3 with a current llama.cpp)");
    if (g->version == 0x02000000u || g->version == 0x03000000u)
        return fail(r, ERR_UNSUPPORTED, "gguf: big-endian GGUF files are not supported");
    if (g->version != 2 && g->version != 3)
        return fail(r, ERR_UNSUPPORTED, "gguf: unsupported version %u", g->version);
    uint64_t nt, nkv;
    rc = rd_u64(r, &nt, "the tensor count");
    if (!rc)
        rc = rd_u64(r, &nkv, "the metadata count");
    if (rc)
        return rc;
    if (nkv > GGUF_MAX_KV)
        return fail(r, ERR_TOO_LARGE, "gguf: %" PRIu64 " metadata entries (limit %" PRIu64 ")",
                    nkv, GGUF_MAX_KV);
    if (nt > GGUF_MAX_TENSORS)
        return fail(r, ERR_TOO_LARGE, "gguf: %" PRIu64 " tensors (limit %" PRIu64 ")", nt,
                    GGUF_MAX_TENSORS);
    size_t left = r->len - r->pos;
    if (nkv > left / 12)
        return fail(r, ERR_TRUNCATED, "gguf: %" PRIu64 " metadata entries cannot fit in the %zu "
                    "bytes left", nkv, left);
    if (nt > left / 24)
        return fail(r, ERR_TRUNCATED, "gguf: %" PRIu64 " tensors cannot fit in the %zu bytes left",
                    nt, left);

    g->kv = xcalloc(nkv ? (size_t)nkv : 1, sizeof *g->kv);
    g->kv_hash_cap = hash_cap_for((int64_t)nkv);
    g->kv_hash = xmalloc(g->kv_hash_cap * sizeof(int64_t));
    memset(g->kv_hash, 0xff, g->kv_hash_cap * sizeof(int64_t));
    g->alignment = LLM_GGUF_DEFAULT_ALIGNMENT;
    for (uint64_t i = 0; i < nkv; i++) {
        struct kv_entry *e = &g->kv[i];
        g->n_kv = (int64_t)i + 1; /* so cleanup sees this entry */
        rc = parse_name(r, &e->key, "a metadata key");
        if (rc)
            return rc;
        uint32_t vt;
        rc = rd_u32(r, &vt, "a value type");
        if (rc)
            return rc;
        if (vt >= LLM_GGUF_VTYPE_COUNT)
            return fail(r, ERR_INVALID, "gguf: key '%s' has unknown value type %u", e->key, vt);
        e->type = (enum llm_gguf_vtype)vt;
        e->raw = r->base + r->pos;
        rc = parse_value(r, e);
        if (rc)
            return rc;
        e->raw_len = (size_t)(r->base + r->pos - e->raw);
        if (!hash_insert(g->kv_hash, g->kv_hash_cap, e->key, (int64_t)i, kv_name_of, g))
            return fail(r, ERR_INVALID, "gguf: duplicate metadata key '%s'", e->key);
    }
    int64_t ai = llm_gguf_find_key(g, "general.alignment");
    if (ai >= 0) {
        int64_t a;
        if (llm_gguf_kv_i64(g, ai, &a) != 0 || a <= 0 || a > (1 << 30) || (a & (a - 1)) != 0)
            return fail(r, ERR_INVALID, "gguf: general.alignment must be a power of two");
        g->alignment = (size_t)a;
    }

    g->tensors = xcalloc(nt ? (size_t)nt : 1, sizeof *g->tensors);
    g->t_hash_cap = hash_cap_for((int64_t)nt);
    g->t_hash = xmalloc(g->t_hash_cap * sizeof(int64_t));
    memset(g->t_hash, 0xff, g->t_hash_cap * sizeof(int64_t));
    for (uint64_t i = 0; i < nt; i++) {
        g->n_tensors = (int64_t)i + 1;
        rc = parse_tensor_info(r, &g->tensors[i]);
        if (rc)
            return rc;
        if (!hash_insert(g->t_hash, g->t_hash_cap, g->tensors[i].name, (int64_t)i, t_name_of, g))
            return fail(r, ERR_INVALID, "gguf: duplicate tensor name '%s'",
                        g->tensors[i].name);
    }

    size_t pad = (g->alignment - r->pos % g->alignment) % g->alignment;
    if (nt > 0) {
        rc = need(r, pad, "the padding before the tensor data");
        if (rc)
            return rc;
    }
    g->data_offset = r->pos + pad;
    if (g->data_offset > r->len)
        g->data_offset = r->len; /* metadata-only file without trailing padding */
    size_t data_len = r->len - g->data_offset;
    for (int64_t i = 0; i < g->n_tensors; i++) {
        struct llm_gguf_tensor *t = &g->tensors[i];
        if (t->offset % g->alignment != 0)
            return fail(r, ERR_INVALID, "gguf: tensor '%s' offset %" PRIu64
                        " is not a multiple of the alignment %zu", t->name, t->offset,
                        g->alignment);
        if (t->offset > data_len || t->size_bytes > data_len - t->offset)
            return fail(r, ERR_TRUNCATED, "gguf: tensor '%s' data [%" PRIu64 ", +%zu) lies "
                        "outside the %zu-byte data section", t->name, t->offset, t->size_bytes,
                        data_len);
        t->data = r->base + g->data_offset + t->offset;
    }
    return 0;
}

int llm_gguf_parse(const void *bytes, size_t len, struct llm_gguf **out, char *err,
                   size_t err_len)
{
    struct rd r = {bytes, 0, len, err, err_len};
    if (err && err_len)
        err[0] = '\0';
    *out = NULL;
    struct llm_gguf *g = xcalloc(1, sizeof *g);
    g->bytes = bytes;
    g->len = len;
    int rc = parse(g, &r);
    if (rc) {
        free_contents(g);
        free(g);
        return rc;
    }
    *out = g;
    return 0;
}

int llm_gguf_open(const char *path, struct llm_gguf **out, char *err, size_t err_len)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (err && err_len)
            snprintf(err, err_len, "gguf: cannot open %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    struct stat st;
    int rc = 0;
    void *map = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (err && err_len)
            snprintf(err, err_len, "gguf: %s is not a regular file", path);
        rc = ERR_IO;
        goto out;
    }
    if (st.st_size == 0) {
        if (err && err_len)
            snprintf(err, err_len, "gguf: %s is empty", path);
        rc = ERR_TRUNCATED;
        goto out;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        map = NULL;
        if (err && err_len)
            snprintf(err, err_len, "gguf: cannot map %s: %s", path, strerror(errno));
        rc = ERR_IO;
        goto out;
    }
    /* start reading the weights in now (async readahead): the first forward pass then does
     * not fault every page in one at a time. Only advice, so its result is ignored. */
    (void)madvise(map, (size_t)st.st_size, MADV_WILLNEED);
    rc = llm_gguf_parse(map, (size_t)st.st_size, out, err, err_len);
    if (rc == 0) {
        (*out)->mapped = true;
        map = NULL;
    }
out:
    if (map)
        munmap(map, (size_t)st.st_size);
    close(fd);
    return rc;
}

void llm_gguf_close(struct llm_gguf *g)
{
    if (!g)
        return;
    free_contents(g);
    if (g->mapped)
        munmap((void *)g->bytes, g->len);
    free(g);
}

/* ---- accessors ------------------------------------------------------------------------- */

uint32_t llm_gguf_version(const struct llm_gguf *g) { return g->version; }
size_t llm_gguf_alignment(const struct llm_gguf *g) { return g->alignment; }
size_t llm_gguf_data_offset(const struct llm_gguf *g) { return g->data_offset; }
size_t llm_gguf_file_size(const struct llm_gguf *g) { return g->len; }
const void *llm_gguf_bytes(const struct llm_gguf *g) { return g->bytes; }
int64_t llm_gguf_kv_count(const struct llm_gguf *g) { return g->n_kv; }
int64_t llm_gguf_tensor_count(const struct llm_gguf *g) { return g->n_tensors; }

const char *llm_gguf_kv_key(const struct llm_gguf *g, int64_t i)
{
    ASSERT(i >= 0 && i < g->n_kv);
    return g->kv[i].key;
}

enum llm_gguf_vtype llm_gguf_kv_type(const struct llm_gguf *g, int64_t i)
{
    ASSERT(i >= 0 && i < g->n_kv);
    return g->kv[i].type;
}

int64_t llm_gguf_find_key(const struct llm_gguf *g, const char *key)
{
    return hash_find(g->kv_hash, g->kv_hash_cap, key, kv_name_of, g);
}

const struct llm_gguf_tensor *llm_gguf_tensor_at(const struct llm_gguf *g, int64_t i)
{
    ASSERT(i >= 0 && i < g->n_tensors);
    return &g->tensors[i];
}

const struct llm_gguf_tensor *llm_gguf_find_tensor(const struct llm_gguf *g, const char *name)
{
    int64_t i = hash_find(g->t_hash, g->t_hash_cap, name, t_name_of, g);
    return i < 0 ? NULL : &g->tensors[i];
}

/* Reads a scalar integer of type t at p. Returns ERR_INVALID for non-integers,
 * ERR_TOO_LARGE for a u64 above INT64_MAX. */
static int read_int(enum llm_gguf_vtype t, const uint8_t *p, int64_t *out)
{
    switch (t) {
    case LLM_GGUF_U8:
    case LLM_GGUF_BOOL:
        *out = p[0];
        return 0;
    case LLM_GGUF_I8:
        *out = (int8_t)p[0];
        return 0;
    case LLM_GGUF_U16:
        *out = (uint16_t)(p[0] | p[1] << 8);
        return 0;
    case LLM_GGUF_I16:
        *out = (int16_t)(uint16_t)(p[0] | p[1] << 8);
        return 0;
    case LLM_GGUF_U32:
        *out = le32(p);
        return 0;
    case LLM_GGUF_I32:
        *out = (int32_t)le32(p);
        return 0;
    case LLM_GGUF_U64: {
        uint64_t v = le64(p);
        if (v > (uint64_t)INT64_MAX)
            return ERR_TOO_LARGE;
        *out = (int64_t)v;
        return 0;
    }
    case LLM_GGUF_I64:
        *out = (int64_t)le64(p);
        return 0;
    default:
        return ERR_INVALID;
    }
}

static int read_num(enum llm_gguf_vtype t, const uint8_t *p, double *out)
{
    if (t == LLM_GGUF_F32) {
        uint32_t b = le32(p);
        float f;
        memcpy(&f, &b, sizeof f);
        *out = f;
        return 0;
    }
    if (t == LLM_GGUF_F64) {
        uint64_t b = le64(p);
        memcpy(out, &b, sizeof *out);
        return 0;
    }
    if (t == LLM_GGUF_U64) {
        *out = (double)le64(p);
        return 0;
    }
    int64_t v;
    int rc = read_int(t, p, &v);
    if (rc)
        return rc;
    *out = (double)v;
    return 0;
}

const void *llm_gguf_kv_raw(const struct llm_gguf *g, int64_t i, size_t *len)
{
    ASSERT(i >= 0 && i < g->n_kv);
    *len = g->kv[i].raw_len;
    return g->kv[i].raw;
}

int llm_gguf_kv_i64(const struct llm_gguf *g, int64_t i, int64_t *out)
{
    ASSERT(i >= 0 && i < g->n_kv);
    return read_int(g->kv[i].type, g->kv[i].val, out);
}

int llm_gguf_kv_f64(const struct llm_gguf *g, int64_t i, double *out)
{
    ASSERT(i >= 0 && i < g->n_kv);
    return read_num(g->kv[i].type, g->kv[i].val, out);
}

int llm_gguf_kv_str(const struct llm_gguf *g, int64_t i, struct str *out)
{
    ASSERT(i >= 0 && i < g->n_kv);
    if (g->kv[i].type != LLM_GGUF_STRING)
        return ERR_INVALID;
    out->ptr = (const char *)g->kv[i].val;
    out->len = (size_t)g->kv[i].slen;
    return 0;
}

int llm_gguf_get_i64(const struct llm_gguf *g, const char *key, int64_t def, int64_t *out)
{
    *out = def;
    int64_t i = llm_gguf_find_key(g, key);
    if (i < 0)
        return 0;
    int64_t v;
    int rc = llm_gguf_kv_i64(g, i, &v);
    if (rc == 0)
        *out = v;
    return rc;
}

int llm_gguf_get_u32(const struct llm_gguf *g, const char *key, uint32_t def, uint32_t *out)
{
    *out = def;
    int64_t v;
    int rc = llm_gguf_get_i64(g, key, def, &v);
    if (rc)
        return rc;
    if (v < 0 || v > (int64_t)UINT32_MAX)
        return ERR_TOO_LARGE;
    *out = (uint32_t)v;
    return 0;
}

int llm_gguf_get_f32(const struct llm_gguf *g, const char *key, float def, float *out)
{
    *out = def;
    int64_t i = llm_gguf_find_key(g, key);
    if (i < 0)
        return 0;
    double v;
    int rc = llm_gguf_kv_f64(g, i, &v);
    if (rc == 0)
        *out = (float)v;
    return rc;
}

int llm_gguf_get_bool(const struct llm_gguf *g, const char *key, bool def, bool *out)
{
    *out = def;
    int64_t v;
    int rc = llm_gguf_get_i64(g, key, def, &v);
    if (rc == ERR_TOO_LARGE) { /* a huge u64 is still non-zero */
        *out = true;
        return 0;
    }
    if (rc == 0)
        *out = v != 0;
    return rc;
}

int llm_gguf_get_str(const struct llm_gguf *g, const char *key, struct str def,
                     struct str *out)
{
    *out = def;
    int64_t i = llm_gguf_find_key(g, key);
    if (i < 0)
        return 0;
    struct str v;
    int rc = llm_gguf_kv_str(g, i, &v);
    if (rc == 0)
        *out = v;
    return rc;
}

int llm_gguf_kv_arr(const struct llm_gguf *g, int64_t i, struct llm_gguf_arr *out)
{
    ASSERT(i >= 0 && i < g->n_kv);
    const struct kv_entry *e = &g->kv[i];
    if (e->type != LLM_GGUF_ARRAY)
        return ERR_INVALID;
    out->g = g;
    out->kv_index = i;
    out->type = e->atype;
    out->len = e->alen;
    out->data = e->val;
    return 0;
}

int llm_gguf_get_arr(const struct llm_gguf *g, const char *key, struct llm_gguf_arr *out)
{
    int64_t i = llm_gguf_find_key(g, key);
    if (i < 0)
        return ERR_NOT_FOUND;
    return llm_gguf_kv_arr(g, i, out);
}

int llm_gguf_arr_i64(const struct llm_gguf_arr *a, uint64_t i, int64_t *out)
{
    ASSERT(i < a->len);
    size_t sz = vtype_size(a->type);
    if (sz == 0)
        return ERR_INVALID;
    return read_int(a->type, a->data + (size_t)i * sz, out);
}

int llm_gguf_arr_f32(const struct llm_gguf_arr *a, uint64_t i, float *out)
{
    ASSERT(i < a->len);
    size_t sz = vtype_size(a->type);
    if (sz == 0)
        return ERR_INVALID;
    double v;
    int rc = read_num(a->type, a->data + (size_t)i * sz, &v);
    if (rc == 0)
        *out = (float)v;
    return rc;
}

int llm_gguf_arr_str(const struct llm_gguf_arr *a, uint64_t i, struct str *out)
{
    ASSERT(i < a->len);
    if (a->type != LLM_GGUF_STRING)
        return ERR_INVALID;
    const uint8_t *p = a->data + a->g->kv[a->kv_index].str_offs[i];
    out->len = (size_t)le64(p);
    out->ptr = (const char *)p + 8;
    return 0;
}
