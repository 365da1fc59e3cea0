/* gguf_test.c: the GGUF reader against the real files in shared/models (tensor tables
 * checked against llama.cpp's reference.json), cut and hostile files (each must fail
 * with the right error and a message, never crash), the typed getters, and a replay of
 * the fuzz corpus through the fuzz harness's own entry point. */
#include "harness.h"

#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "base/buf.h"
#include "base/err.h"
#include "llm/gguf.h"

#define GGUF_FUZZ_NO_MAIN
#include "fuzz/gguf_fuzz.c"


TEST_CASE(llm, gguf_reference_tensor_types)
{
    harness_require_models();
    json_t *ref = harness_model_json("reference.json");
    json_t *models = json_object_get(ref, "models");
    ASSERT_TRUE(json_array_size(models) >= 20);
    size_t mi;
    json_t *m;
    json_array_foreach(models, mi, m) {
        const char *file = json_string_value(json_object_get(m, "file"));
        json_t *types = json_object_get(m, "tensor_types");
        struct llm_gguf *g = NULL;
        char err[256];
        int rc = llm_gguf_open(harness_model_path(file), &g, err, sizeof err);
        if (rc)
            harness_fail(__FILE__, __LINE__, "%s: %s", file, err);
        ASSERT_INT_EQ(llm_gguf_tensor_count(g), json_object_size(types));
        const char *name;
        json_t *tv;
        json_object_foreach(types, name, tv) {
            const struct llm_gguf_tensor *t = llm_gguf_find_tensor(g, name);
            if (!t)
                harness_fail(__FILE__, __LINE__, "%s: tensor %s missing", file, name);
            enum llm_type want;
            ASSERT_INT_EQ(llm_type_from_name(json_string_value(tv), &want), 0);
            if (t->type != want)
                harness_fail(__FILE__, __LINE__, "%s: %s is %s, want %s", file, name,
                             llm_type_name(t->type), json_string_value(tv));
            ASSERT_TRUE((const char *)t->data >= (const char *)llm_gguf_bytes(g));
            ASSERT_TRUE((uintptr_t)t->data % 32 == 0); /* mmap is page aligned, align 32 */
        }
        struct str arch;
        ASSERT_INT_EQ(llm_gguf_get_str(g, "general.architecture", str_from_cstr(""), &arch), 0);
        const char *want_arch = json_string_value(json_object_get(m, "architecture"));
        ASSERT_TRUE(str_eq_cstr(arch, want_arch));
        llm_gguf_close(g);
    }
    json_decref(ref);
}

/* stories260K metadata as SOURCES.md and llama.cpp describe it. */
TEST_CASE(llm, gguf_stories260k_metadata)
{
    harness_require_models();
    struct llm_gguf *g = NULL;
    char err[256];
    int rc = llm_gguf_open(harness_model_path("stories260K/stories260K.gguf"), &g, err, sizeof err);
    if (rc)
        harness_fail(__FILE__, __LINE__, "%s", err);
    ASSERT_INT_EQ(llm_gguf_version(g), 3);
    ASSERT_INT_EQ(llm_gguf_alignment(g), 32);
    ASSERT_INT_EQ(llm_gguf_tensor_count(g), 48);
    uint32_t u;
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "llama.embedding_length", 0, &u), 0);
    ASSERT_INT_EQ(u, 64);
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "llama.feed_forward_length", 0, &u), 0);
    ASSERT_INT_EQ(u, 172);
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "llama.attention.head_count_kv", 0, &u), 0);
    ASSERT_INT_EQ(u, 4);
    float f;
    ASSERT_INT_EQ(llm_gguf_get_f32(g, "llama.rope.freq_base", 10000.0f, &f), 0); /* absent */
    ASSERT_NEAR(f, 10000.0, 0);
    ASSERT_INT_EQ(llm_gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", 0, &f), 0);
    ASSERT_NEAR(f, 1e-5, 1e-12);
    /* type mismatch: a string read as a number */
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "general.architecture", 7, &u), ERR_INVALID);
    ASSERT_INT_EQ(u, 7);

    struct llm_gguf_arr tokens, scores, types;
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "tokenizer.ggml.tokens", &tokens), 0);
    ASSERT_INT_EQ(tokens.type, LLM_GGUF_STRING);
    ASSERT_INT_EQ(tokens.len, 512);
    struct str s;
    ASSERT_INT_EQ(llm_gguf_arr_str(&tokens, 3, &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "<0x00>"));
    ASSERT_INT_EQ(llm_gguf_arr_str(&tokens, 258, &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "<0xFF>"));
    ASSERT_INT_EQ(llm_gguf_arr_str(&tokens, 1, &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "<s>"));
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "tokenizer.ggml.scores", &scores), 0);
    ASSERT_INT_EQ(llm_gguf_arr_f32(&scores, 259, &f), 0);
    ASSERT_NEAR(f, 0, 0);
    ASSERT_INT_EQ(llm_gguf_arr_f32(&scores, 511, &f), 0);
    ASSERT_NEAR(f, -252, 0);
    ASSERT_INT_EQ(llm_gguf_arr_str(&scores, 0, &s), ERR_INVALID);
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "tokenizer.ggml.token_type", &types), 0);
    int64_t v;
    ASSERT_INT_EQ(llm_gguf_arr_i64(&types, 3, &v), 0);
    ASSERT_INT_EQ(v, 6);
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "no.such.key", &types), ERR_NOT_FOUND);
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "general.architecture", &types), ERR_INVALID);

    const struct llm_gguf_tensor *t = llm_gguf_find_tensor(g, "blk.0.ffn_down.weight");
    ASSERT_TRUE(t != NULL);
    ASSERT_INT_EQ(t->n_dims, 2);
    ASSERT_INT_EQ(t->ne[0], 172);
    ASSERT_INT_EQ(t->ne[1], 64);
    ASSERT_INT_EQ(t->size_bytes, 172 * 64 * 4);
    ASSERT_TRUE(llm_gguf_find_tensor(g, "blk.9.ffn_down.weight") == NULL);
    llm_gguf_close(g);
}

/* Every .gguf file in vocab/ opens; those listed also have their vocabulary size checked. */
TEST_CASE(llm, gguf_vocab_files_open)
{
    harness_require_models();
    static const struct {
        const char *name; /* file name in vocab/ */
        uint64_t n_vocab; /* from SOURCES.md */
    } known[] = {
        {"ggml-vocab-llama-spm.gguf", 32000}, {"ggml-vocab-llama-bpe.gguf", 128256},
        {"ggml-vocab-qwen2.gguf", 151936},     {"ggml-vocab-gpt-2.gguf", 50257},
        {"ggml-vocab-bert-bge.gguf", 30522},   {"ggml-vocab-gemma-4.gguf", 262144},
        {"ggml-vocab-command-r.gguf", 256000}, {"ggml-vocab-phi-3.gguf", 32064},
        {"ggml-vocab-qwen35.gguf", 151936},    {"ggml-vocab-falcon.gguf", 65024},
    };
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", harness_model_path("vocab"));
    DIR *d = opendir(dir);
    if (!d)
        harness_skip("shared/models/vocab not readable");
    int files = 0, checked = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".gguf") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct llm_gguf *g = NULL;
        char err[256];
        if (llm_gguf_open(path, &g, err, sizeof err) != 0)
            harness_fail(__FILE__, __LINE__, "%s: %s", e->d_name, err);
        ASSERT_INT_EQ(llm_gguf_tensor_count(g), 0);
        struct llm_gguf_arr a;
        ASSERT_INT_EQ(llm_gguf_get_arr(g, "tokenizer.ggml.tokens", &a), 0);
        struct str s;
        ASSERT_INT_EQ(llm_gguf_arr_str(&a, a.len - 1, &s), 0);
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
            if (strcmp(known[k].name, e->d_name) == 0) {
                if (a.len != known[k].n_vocab)
                    harness_fail(__FILE__, __LINE__, "%s: %" PRIu64 " tokens, want %" PRIu64,
                                 e->d_name, a.len, known[k].n_vocab);
                checked++;
            }
        }
        llm_gguf_close(g);
        files++;
    }
    closedir(d);
    ASSERT_TRUE(files >= 15);
    ASSERT_INT_EQ(checked, (int)(sizeof known / sizeof known[0]));
}

/* Every prefix of a real file is a truncated file: each must fail with ERR_TRUNCATED and
 * say why. In memory for many cut points (every byte of the first 256, every third of the
 * rest of the header, then strided through the data), and through llm_gguf_open for a few
 * dozen real files in a temp dir. */
TEST_CASE(llm, gguf_truncated_files_fail_cleanly)
{
    harness_require_models();
    size_t len;
    char *bytes = harness_read_file(harness_model_path("stories260K/stories260K.gguf"), &len);
    ASSERT_TRUE(bytes != NULL);
    struct llm_gguf *g = NULL;
    char err[256];
    ASSERT_INT_EQ(llm_gguf_parse(bytes, len, &g, err, sizeof err), 0);
    size_t header = llm_gguf_data_offset(g);
    llm_gguf_close(g);
    ASSERT_TRUE(header > 4000 && header < len);
    for (size_t cut = 0; cut < len; cut += cut < 256 ? 1 : cut < header + 64 ? 3 : 997) {
        char *copy = malloc(cut ? cut : 1); /* exact size, so ASan sees any over-read */
        memcpy(copy, bytes, cut);
        err[0] = '\0';
        int rc = llm_gguf_parse(copy, cut, &g, err, sizeof err);
        if (rc != ERR_TRUNCATED)
            harness_fail(__FILE__, __LINE__, "cut at %zu: rc %d (%s)", cut, rc, err);
        ASSERT_TRUE(g == NULL);
        ASSERT_TRUE(err[0] != '\0');
        free(copy);
    }
    char dir[] = "/tmp/llm_gguf_cut_XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    for (int k = 0; k <= 40; k++) {
        size_t cut = k < 20 ? (size_t)k * 211 : header + (len - header) / 20 * (size_t)(k - 20);
        if (cut >= len)
            cut = len - 1;
        char path[256];
        snprintf(path, sizeof path, "%s/cut%d.gguf", dir, k);
        FILE *f = fopen(path, "wb");
        ASSERT_TRUE(f != NULL);
        ASSERT_TRUE(fwrite(bytes, 1, cut, f) == cut);
        fclose(f);
        int rc = llm_gguf_open(path, &g, err, sizeof err);
        if (rc != ERR_TRUNCATED)
            harness_fail(__FILE__, __LINE__, "%s (%zu bytes): rc %d (%s)", path, cut, rc, err);
        unlink(path);
    }
    rmdir(dir);
    ASSERT_INT_EQ(llm_gguf_open("/nonexistent/x.gguf", &g, err, sizeof err), ERR_IO);
    free(bytes);
}

/* ---- a tiny GGUF builder for hand-made headers ---------------------------------------- */

static void put_u32(struct buf *b, uint32_t v)
{
    uint8_t p[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_append(b, p, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(struct buf *b, const char *s)
{
    put_u64(b, strlen(s));
    buf_append(b, s, strlen(s));
}

static void put_header(struct buf *b, uint32_t version, uint64_t nt, uint64_t nkv)
{
    buf_append(b, "GGUF", 4);
    put_u32(b, version);
    put_u64(b, nt);
    put_u64(b, nkv);
}

static void put_tensor(struct buf *b, const char *name, uint32_t nd, const uint64_t *ne,
                       uint32_t type, uint64_t off)
{
    put_str(b, name);
    put_u32(b, nd);
    for (uint32_t i = 0; i < nd; i++)
        put_u64(b, ne[i]);
    put_u32(b, type);
    put_u64(b, off);
}

static void pad_to(struct buf *b, size_t align)
{
    while (b->len % align)
        buf_append_char(b, 0);
}

/* The data section: zeros up to the default 32-byte alignment, then n zero bytes of tensor
 * data. */
static void put_data(struct buf *b, int n)
{
    pad_to(b, 32);
    for (int i = 0; i < n; i++)
        buf_append_char(b, 0);
}

enum hostile_case {
    H_BAD_MAGIC, H_V1, H_V4, H_HUGE_NKV, H_HUGE_NT, H_HUGE_KEYLEN, H_HUGE_ARRAY,
    H_HUGE_STR_ARRAY, H_BAD_VTYPE, H_NESTED_ARRAY, H_FIVE_DIMS, H_BAD_TTYPE, H_NE_OVERFLOW,
    H_MISALIGNED, H_DUP_KEY, H_DUP_TENSOR, H_DATA_OUTSIDE, H_ROW_NOT_BLOCKS, H_BAD_ALIGN,
    H_NUL_IN_KEY, H_IQ_TYPE, H_BIG_ENDIAN, H_COUNT
};

static void build_hostile(struct buf *b, int c)
{
    uint64_t ne2[2] = {32, 2};
    switch (c) {
    case H_BAD_MAGIC:
        buf_append(b, "GGML", 4);
        put_u32(b, 3);
        put_u64(b, 0);
        put_u64(b, 0);
        return;
    case H_V1:
        put_header(b, 1, 0, 0);
        return;
    case H_V4:
        put_header(b, 4, 0, 0);
        return;
    case H_HUGE_NKV:
        put_header(b, 3, 0, UINT64_MAX / 2);
        return;
    case H_HUGE_NT:
        put_header(b, 3, (uint64_t)1 << 60, 0);
        return;
    case H_HUGE_KEYLEN:
        put_header(b, 3, 0, 1);
        put_u64(b, UINT64_MAX);
        buf_append(b, "abcdefgh", 8);
        return;
    case H_HUGE_ARRAY:
        put_header(b, 3, 0, 1);
        put_str(b, "a");
        put_u32(b, LLM_GGUF_ARRAY);
        put_u32(b, LLM_GGUF_U64);
        put_u64(b, UINT64_MAX / 4);
        put_u64(b, 1);
        return;
    case H_HUGE_STR_ARRAY:
        put_header(b, 3, 0, 1);
        put_str(b, "a");
        put_u32(b, LLM_GGUF_ARRAY);
        put_u32(b, LLM_GGUF_STRING);
        put_u64(b, UINT64_MAX);
        put_str(b, "x");
        return;
    case H_BAD_VTYPE:
        put_header(b, 3, 0, 1);
        put_str(b, "a");
        put_u32(b, 13);
        put_u64(b, 0);
        return;
    case H_NESTED_ARRAY:
        put_header(b, 3, 0, 1);
        put_str(b, "a");
        put_u32(b, LLM_GGUF_ARRAY);
        put_u32(b, LLM_GGUF_ARRAY);
        put_u64(b, 1);
        put_u64(b, 0);
        return;
    case H_FIVE_DIMS: {
        uint64_t ne[5] = {32, 1, 1, 1, 1};
        put_header(b, 3, 1, 0);
        put_tensor(b, "t", 5, ne, 0, 0);
        put_data(b, 128);
        return;
    }
    case H_BAD_TTYPE:
        put_header(b, 3, 1, 0);
        put_tensor(b, "t", 2, ne2, 99, 0);
        return;
    case H_NE_OVERFLOW: {
        uint64_t ne[4] = {1u << 31, 1u << 31, 1u << 31, 4};
        put_header(b, 3, 1, 0);
        put_tensor(b, "t", 4, ne, 0, 0);
        return;
    }
    case H_MISALIGNED:
        put_header(b, 3, 1, 0);
        put_tensor(b, "t", 2, ne2, 0, 4);
        put_data(b, 512);
        return;
    case H_DUP_KEY:
        put_header(b, 3, 0, 2);
        put_str(b, "k");
        put_u32(b, LLM_GGUF_U8);
        buf_append_char(b, 1);
        put_str(b, "k");
        put_u32(b, LLM_GGUF_U8);
        buf_append_char(b, 2);
        return;
    case H_DUP_TENSOR:
        put_header(b, 3, 2, 0);
        put_tensor(b, "t", 2, ne2, 0, 0);
        put_tensor(b, "t", 2, ne2, 0, 256);
        put_data(b, 512);
        return;
    case H_DATA_OUTSIDE:
        put_header(b, 3, 1, 0);
        put_tensor(b, "t", 2, ne2, 0, 0);
        put_data(b, 255); /* one byte short of 32*2*4 */
        return;
    case H_ROW_NOT_BLOCKS: {
        uint64_t ne[2] = {33, 1};
        put_header(b, 3, 1, 0);
        put_tensor(b, "t", 2, ne, 8 /* q8_0 */, 0);
        put_data(b, 64);
        return;
    }
    case H_BAD_ALIGN:
        put_header(b, 3, 0, 1);
        put_str(b, "general.alignment");
        put_u32(b, LLM_GGUF_U32);
        put_u32(b, 48);
        return;
    case H_IQ_TYPE: /* iq4_nl: a real ggml type this engine does not implement */
        put_header(b, 3, 1, 0);
        put_tensor(b, "t", 2, ne2, 20, 0);
        return;
    case H_BIG_ENDIAN:
        buf_append(b, "GGUF\0\0\0\3", 8);
        put_u64(b, 0);
        put_u64(b, 0);
        return;
    case H_NUL_IN_KEY:
        put_header(b, 3, 0, 1);
        put_u64(b, 3);
        buf_append(b, "a\0b", 3);
        put_u32(b, LLM_GGUF_U8);
        buf_append_char(b, 0);
        return;
    }
}

TEST_CASE(llm, gguf_hostile_headers_fail_cleanly)
{
    static const int want[H_COUNT] = {
        [H_BAD_MAGIC] = ERR_INVALID,      [H_V1] = ERR_UNSUPPORTED,
        [H_V4] = ERR_UNSUPPORTED,         [H_HUGE_NKV] = ERR_TOO_LARGE,
        [H_HUGE_NT] = ERR_TOO_LARGE,      [H_HUGE_KEYLEN] = ERR_TRUNCATED,
        [H_HUGE_ARRAY] = ERR_TOO_LARGE,    [H_HUGE_STR_ARRAY] = ERR_TOO_LARGE,
        [H_BAD_VTYPE] = ERR_INVALID,      [H_NESTED_ARRAY] = ERR_INVALID,
        [H_FIVE_DIMS] = ERR_INVALID,      [H_BAD_TTYPE] = ERR_INVALID,
        [H_NE_OVERFLOW] = ERR_TOO_LARGE,  [H_MISALIGNED] = ERR_INVALID,
        [H_DUP_KEY] = ERR_INVALID,        [H_DUP_TENSOR] = ERR_INVALID,
        [H_DATA_OUTSIDE] = ERR_TRUNCATED, [H_ROW_NOT_BLOCKS] = ERR_INVALID,
        [H_BAD_ALIGN] = ERR_INVALID,      [H_NUL_IN_KEY] = ERR_INVALID,
        [H_IQ_TYPE] = ERR_UNSUPPORTED,    [H_BIG_ENDIAN] = ERR_UNSUPPORTED,
    };
    for (int c = 0; c < H_COUNT; c++) {
        struct buf b;
        buf_init(&b, 1 << 20);
        build_hostile(&b, c);
        struct llm_gguf *g = (struct llm_gguf *)1;
        char err[256] = "";
        int rc = llm_gguf_parse(b.data, b.len, &g, err, sizeof err);
        if (rc != want[c])
            harness_fail(__FILE__, __LINE__, "case %d: rc %d (%s), want %d", c, rc, err,
                         want[c]);
        ASSERT_TRUE(g == NULL);
        ASSERT_TRUE(strncmp(err, "gguf: ", 6) == 0);
        buf_fini(&b);
    }
}

/* A hand-built v2 file with every value type, read back through the getters. */
TEST_CASE(llm, gguf_getters_convert_types)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    put_header(&b, 2, 1, 9);
    put_str(&b, "u8");
    put_u32(&b, LLM_GGUF_U8);
    buf_append_char(&b, (char)200);
    put_str(&b, "i32neg");
    put_u32(&b, LLM_GGUF_I32);
    put_u32(&b, (uint32_t)-5);
    put_str(&b, "u64big");
    put_u32(&b, LLM_GGUF_U64);
    put_u64(&b, (uint64_t)1 << 40);
    put_str(&b, "f64");
    put_u32(&b, LLM_GGUF_F64);
    double d = 0.25;
    uint64_t db;
    memcpy(&db, &d, 8);
    put_u64(&b, db);
    put_str(&b, "flag");
    put_u32(&b, LLM_GGUF_BOOL);
    buf_append_char(&b, 1);
    put_str(&b, "name");
    put_u32(&b, LLM_GGUF_STRING);
    put_str(&b, "tiny");
    put_str(&b, "i16s");
    put_u32(&b, LLM_GGUF_ARRAY);
    put_u32(&b, LLM_GGUF_I16);
    put_u64(&b, 3);
    put_u32(&b, 0xfffe0001u); /* 1, -2 */
    buf_append(&b, "\x07\x00", 2);
    put_str(&b, "strs");
    put_u32(&b, LLM_GGUF_ARRAY);
    put_u32(&b, LLM_GGUF_STRING);
    put_u64(&b, 2);
    put_str(&b, "");
    put_str(&b, "two");
    put_str(&b, "general.alignment");
    put_u32(&b, LLM_GGUF_U32);
    put_u32(&b, 64);
    uint64_t ne[2] = {4, 2};
    put_tensor(&b, "w", 2, ne, LLM_TYPE_F32, 0);
    pad_to(&b, 64);
    size_t data_at = b.len;
    for (int i = 0; i < 8; i++) {
        float f = (float)i;
        buf_append(&b, &f, 4);
    }
    struct llm_gguf *g = NULL;
    char err[256];
    int rc = llm_gguf_parse(b.data, b.len, &g, err, sizeof err);
    if (rc)
        harness_fail(__FILE__, __LINE__, "%s", err);
    ASSERT_INT_EQ(llm_gguf_version(g), 2);
    ASSERT_INT_EQ(llm_gguf_alignment(g), 64);
    ASSERT_INT_EQ(llm_gguf_data_offset(g), data_at);
    uint32_t u;
    int64_t i64;
    float f;
    bool flag;
    struct str s;
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "u8", 0, &u), 0);
    ASSERT_INT_EQ(u, 200);
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "i32neg", 0, &u), ERR_TOO_LARGE);
    ASSERT_INT_EQ(llm_gguf_get_i64(g, "i32neg", 0, &i64), 0);
    ASSERT_INT_EQ(i64, -5);
    ASSERT_INT_EQ(llm_gguf_get_u32(g, "u64big", 0, &u), ERR_TOO_LARGE);
    ASSERT_INT_EQ(llm_gguf_get_i64(g, "u64big", 0, &i64), 0);
    ASSERT_INT_EQ(i64, (int64_t)1 << 40);
    ASSERT_INT_EQ(llm_gguf_get_f32(g, "f64", 0, &f), 0);
    ASSERT_NEAR(f, 0.25, 0);
    ASSERT_INT_EQ(llm_gguf_get_f32(g, "u8", 0, &f), 0);
    ASSERT_NEAR(f, 200, 0);
    ASSERT_INT_EQ(llm_gguf_get_i64(g, "f64", 3, &i64), ERR_INVALID);
    ASSERT_INT_EQ(i64, 3);
    ASSERT_INT_EQ(llm_gguf_get_bool(g, "flag", false, &flag), 0);
    ASSERT_TRUE(flag);
    ASSERT_INT_EQ(llm_gguf_get_bool(g, "absent", true, &flag), 0);
    ASSERT_TRUE(flag);
    ASSERT_INT_EQ(llm_gguf_get_str(g, "name", str_from_cstr("x"), &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "tiny"));
    ASSERT_INT_EQ(llm_gguf_get_str(g, "u8", str_from_cstr("x"), &s), ERR_INVALID);
    ASSERT_TRUE(str_eq_cstr(s, "x"));
    struct llm_gguf_arr a;
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "i16s", &a), 0);
    ASSERT_INT_EQ(a.len, 3);
    ASSERT_INT_EQ(llm_gguf_arr_i64(&a, 1, &i64), 0);
    ASSERT_INT_EQ(i64, -2);
    ASSERT_INT_EQ(llm_gguf_arr_i64(&a, 2, &i64), 0);
    ASSERT_INT_EQ(i64, 7);
    ASSERT_INT_EQ(llm_gguf_get_arr(g, "strs", &a), 0);
    ASSERT_INT_EQ(llm_gguf_arr_str(&a, 0, &s), 0);
    ASSERT_INT_EQ(s.len, 0);
    ASSERT_INT_EQ(llm_gguf_arr_str(&a, 1, &s), 0);
    ASSERT_TRUE(str_eq_cstr(s, "two"));
    ASSERT_INT_EQ(llm_gguf_arr_i64(&a, 0, &i64), ERR_INVALID);
    ASSERT_INT_EQ(llm_gguf_kv_count(g), 9);
    ASSERT_STR_EQ(llm_gguf_kv_key(g, 5), "name");
    ASSERT_INT_EQ(llm_gguf_kv_type(g, 6), LLM_GGUF_ARRAY);
    ASSERT_INT_EQ(llm_gguf_find_key(g, "strs"), 7);
    ASSERT_INT_EQ(llm_gguf_find_key(g, "str"), -1);
    const struct llm_gguf_tensor *t = llm_gguf_tensor_at(g, 0);
    ASSERT_STR_EQ(t->name, "w");
    ASSERT_INT_EQ(t->n_elements, 8);
    ASSERT_INT_EQ(t->ne[2], 1);
    ASSERT_TRUE((const char *)t->data == b.data + data_at);
    llm_gguf_close(g);
    buf_fini(&b);
}

/* Replays tests/fuzz/corpus/gguf/ through the fuzz harness (no libFuzzer needed). */
TEST_CASE(llm, gguf_fuzz_corpus_replays)
{
    ASSERT_TRUE(harness_replay_corpus(harness_path("tests/fuzz/corpus/gguf"), gguf_fuzz_one) >= 10);
}
