/* cli_info.c: `relais llm info FILE.gguf`: prints a GGUF file's header facts, every
 * metadata entry (arrays summarised by type, length and first elements), every tensor
 * (name, type, shape, bytes) and totals per type. Reads nothing but the header. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "llm/cli.h"
#include "llm/gguf.h"

#define MAX_SHOWN_CHARS 60
#define MAX_SHOWN_ELEMS 5

/* Prints a string with control characters and quotes escaped, cut at MAX_SHOWN_CHARS. */
static void print_str(struct str s)
{
    putchar('"');
    size_t n = s.len < MAX_SHOWN_CHARS ? s.len : MAX_SHOWN_CHARS;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
    if (s.len > n)
        printf("...(%zu bytes)", s.len);
}

static void print_scalar_kv(const struct llm_gguf *g, int64_t i)
{
    enum llm_gguf_vtype t = llm_gguf_kv_type(g, i);
    int64_t v;
    double d;
    struct str s;
    if (t == LLM_GGUF_STRING && llm_gguf_kv_str(g, i, &s) == 0)
        print_str(s);
    else if (t == LLM_GGUF_BOOL && llm_gguf_kv_i64(g, i, &v) == 0)
        fputs(v ? "true" : "false", stdout);
    else if ((t == LLM_GGUF_F32 || t == LLM_GGUF_F64) && llm_gguf_kv_f64(g, i, &d) == 0)
        printf("%.9g", d);
    else if (llm_gguf_kv_i64(g, i, &v) == 0)
        printf("%" PRId64, v);
    else if (llm_gguf_kv_f64(g, i, &d) == 0) /* u64 above INT64_MAX */
        printf("%.0f", d);
}

/* llama.cpp's enum llama_ftype names for general.file_type (NULL when not known here). */
static const char *ftype_name(int64_t v)
{
    static const struct {
        int64_t id;       /* enum value */
        const char *name; /* as llama-quantize spells the type */
    } names[] = {{0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},
                 {8, "Q5_0"},    {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"},
                 {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"},
                 {18, "Q6_K"},   {32, "BF16"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].id == v)
            return names[i].name;
    return NULL;
}

static void print_arr(const struct llm_gguf_arr *a)
{
    printf("%s[%" PRIu64 "]", llm_gguf_vtype_name(a->type), a->len);
    uint64_t n = a->len < MAX_SHOWN_ELEMS ? a->len : MAX_SHOWN_ELEMS;
    if (n)
        fputs(" ", stdout);
    for (uint64_t k = 0; k < n; k++) {
        struct str s;
        int64_t v;
        float f;
        if (k)
            fputs(", ", stdout);
        if (llm_gguf_arr_str(a, k, &s) == 0)
            print_str(s);
        else if ((a->type == LLM_GGUF_F32 || a->type == LLM_GGUF_F64) &&
                 llm_gguf_arr_f32(a, k, &f) == 0)
            printf("%g", (double)f);
        else if (llm_gguf_arr_i64(a, k, &v) == 0)
            printf("%" PRId64, v);
    }
    if (a->len > n)
        fputs(", ...", stdout);
}

static void print_bytes(uint64_t b)
{
    if (b >= (1u << 20))
        printf("%.2f MiB", (double)b / (1 << 20));
    else if (b >= 1024)
        printf("%.2f KiB", (double)b / 1024);
    else
        printf("%" PRIu64 " B", b);
}

int llm_cli_info(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: relais llm info FILE.gguf\n");
        return 2;
    }
    struct llm_gguf *g = NULL;
    char err[512];
    int rc = llm_gguf_open(argv[1], &g, err, sizeof err);
    if (rc) {
        fprintf(stderr, "relais llm info: %s (%s)\n", err, err_str(rc));
        return 1;
    }
    printf("file: %s\n", argv[1]);
    printf("size: %zu bytes, GGUF v%u, alignment %zu, data at offset %zu\n",
           llm_gguf_file_size(g), llm_gguf_version(g), llm_gguf_alignment(g),
           llm_gguf_data_offset(g));

    int64_t nkv = llm_gguf_kv_count(g);
    printf("\nmetadata: %" PRId64 " entries\n", nkv);
    for (int64_t i = 0; i < nkv; i++) {
        struct llm_gguf_arr a;
        printf("  %-44s %-7s ", llm_gguf_kv_key(g, i), llm_gguf_vtype_name(llm_gguf_kv_type(g, i)));
        int64_t v;
        if (llm_gguf_kv_arr(g, i, &a) == 0) {
            print_arr(&a);
        } else {
            print_scalar_kv(g, i);
            if (strcmp(llm_gguf_kv_key(g, i), "general.file_type") == 0 &&
                llm_gguf_kv_i64(g, i, &v) == 0 && ftype_name(v))
                printf(" (%s)", ftype_name(v));
        }
        putchar('\n');
    }

    int64_t nt = llm_gguf_tensor_count(g);
    int64_t count_by_type[LLM_TYPE_COUNT] = {0};
    uint64_t bytes_by_type[LLM_TYPE_COUNT] = {0};
    uint64_t total_bytes = 0, total_elems = 0;
    printf("\ntensors: %" PRId64 "\n", nt);
    if (nt)
        printf("  %-36s %-6s %-24s %12s\n", "name", "type", "shape", "bytes");
    for (int64_t i = 0; i < nt; i++) {
        const struct llm_gguf_tensor *t = llm_gguf_tensor_at(g, i);
        char shape[64];
        int off = 0;
        for (int d = 0; d < t->n_dims && off < (int)sizeof shape; d++)
            off += snprintf(shape + off, sizeof shape - (size_t)off, "%s%" PRId64,
                            d ? " x " : "", t->ne[d]);
        printf("  %-36s %-6s %-24s %12zu\n", t->name, llm_type_name(t->type), shape,
               t->size_bytes);
        count_by_type[t->type]++;
        bytes_by_type[t->type] += t->size_bytes;
        total_bytes += t->size_bytes;
        total_elems += (uint64_t)t->n_elements;
    }
    printf("\ntotals: %" PRId64 " tensors, %" PRIu64 " elements, %" PRIu64 " bytes (", nt,
           total_elems, total_bytes);
    print_bytes(total_bytes);
    printf(")");
    if (total_elems)
        printf(", %.2f bits per weight", 8.0 * (double)total_bytes / (double)total_elems);
    putchar('\n');
    for (int t = 0; t < LLM_TYPE_COUNT; t++) {
        if (!count_by_type[t])
            continue;
        printf("  %-6s %4" PRId64 " tensors  ", llm_type_name((enum llm_type)t), count_by_type[t]);
        print_bytes(bytes_by_type[t]);
        putchar('\n');
    }
    llm_gguf_close(g);
    return 0;
}
