/* canonical_json_fuzz.c: fuzz harness for src/json/canonical.c.
 *
 * Input: any bytes. If jansson parses them, the canonical encoding must
 * either fail cleanly or produce JSON that (1) parses again, (2) re-encodes
 * to the very same bytes, (3) contains no raw control characters and (4) is
 * encoded the same by json_canonical_encode_without with an empty skip list.
 *
 * libFuzzer build (from the source root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Isrc -Itests tests/fuzz/canonical_json_fuzz.c src/json/canonical.c \
 *     src/base/buf.c src/base/str.c src/base/mem.c src/base/err.c -ljansson -lm \
 *     -o canonical_json_fuzz
 *   ./canonical_json_fuzz tests/fuzz/corpus/canonical_json
 * The unit test json/canonical_fuzz_corpus_replays (tests/unit/json/canonical_test.c) includes this file with
 * CANONICAL_JSON_FUZZ_NO_MAIN defined and replays tests/fuzz/corpus/ through it.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "json/canonical.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static int canonical_json_fuzz_one(const uint8_t *data, size_t size)
{
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!v)
        return 0;
    struct buf a;
    struct buf b;
    buf_init(&a, 1 << 20);
    buf_init(&b, 1 << 20);
    int rc = json_canonical_encode(v, &a);
    FUZZ_CHECK(rc == 0 || rc == ERR_INVALID || rc == ERR_TOO_LARGE);
    if (rc == 0) {
        for (size_t i = 0; i < a.len; i++)
            FUZZ_CHECK((unsigned char)a.data[i] >= 0x20);
        json_t *again = json_loadb(a.data, a.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(json_canonical_encode(again, &b) == 0);
        FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        json_decref(again);
        if (json_is_object(v)) {
            static const char *const none[] = {NULL};
            buf_reset(&b);
            FUZZ_CHECK(json_canonical_encode_without(v, none, &b) == 0);
            FUZZ_CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        }
    }
    buf_fini(&a);
    buf_fini(&b);
    json_decref(v);
    return 0;
}

#ifndef CANONICAL_JSON_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return canonical_json_fuzz_one(data, size);
}
#endif
