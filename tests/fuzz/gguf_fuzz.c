/* gguf_fuzz.c: libFuzzer harness for the GGUF reader (src/llm/gguf.c).
 *
 * Build with clang: clang -fsanitize=fuzzer,address -Isrc -Itests tests/fuzz/gguf_fuzz.c
 *   src/llm/gguf.c src/llm/tensor.c src/base/mem.c src/base/err.c -o gguf_fuzz
 * and run: ./gguf_fuzz tests/fuzz/corpus/gguf/
 * The unit test llm/gguf_fuzz_corpus_replays includes this file with GGUF_FUZZ_NO_MAIN
 * and replays the corpus through gguf_fuzz_one, so every past finding is rechecked. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llm/gguf.h"

/* Parses the bytes and, when they parse, touches every key, value and tensor through
 * the public accessors (so out-of-bounds reads in any of them show up). */
static int gguf_fuzz_one(const uint8_t *data, size_t size)
{
    struct llm_gguf *g = NULL;
    char err[128];
    if (llm_gguf_parse(data, size, &g, err, sizeof err) != 0)
        return 0;
    volatile size_t sink = 0;
    for (int64_t i = 0; i < llm_gguf_kv_count(g); i++) {
        sink += strlen(llm_gguf_kv_key(g, i));
        int64_t v;
        double f;
        struct str s;
        struct llm_gguf_arr a;
        if (llm_gguf_kv_i64(g, i, &v) == 0)
            sink += (size_t)v;
        if (llm_gguf_kv_f64(g, i, &f) == 0)
            sink += f > 0;
        if (llm_gguf_kv_str(g, i, &s) == 0 && s.len)
            sink += (unsigned char)s.ptr[s.len - 1];
        if (llm_gguf_kv_arr(g, i, &a) == 0) {
            for (uint64_t k = 0; k < a.len; k++) {
                float x;
                if (llm_gguf_arr_i64(&a, k, &v) == 0)
                    sink += (size_t)v;
                if (llm_gguf_arr_f32(&a, k, &x) == 0)
                    sink += x > 0;
                if (llm_gguf_arr_str(&a, k, &s) == 0 && s.len)
                    sink += (unsigned char)s.ptr[s.len - 1];
            }
        }
    }
    for (int64_t i = 0; i < llm_gguf_tensor_count(g); i++) {
        const struct llm_gguf_tensor *t = llm_gguf_tensor_at(g, i);
        if (llm_gguf_find_tensor(g, t->name) != t)
            __builtin_trap();
        if (t->size_bytes)
            sink += ((const uint8_t *)t->data)[t->size_bytes - 1];
    }
    (void)sink;
    llm_gguf_close(g);
    return 0;
}

#ifndef GGUF_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gguf_fuzz_one(data, size);
}
#endif
