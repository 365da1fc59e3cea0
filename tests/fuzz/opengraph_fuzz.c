/* opengraph_fuzz.c: fuzz harness for the URL preview's parsers of fetched
 * bytes: src/media/opengraph.c (HTML) and src/media/imagesize.c (image headers).
 *
 * Input: any bytes. The first byte picks the Content-Type offered with the
 * rest (none, UTF-8, ISO-8859-1, KOI8-R, Shift_JIS). Invariants: the result
 * is a JSON object whose values are all strings that jansson accepts (valid
 * UTF-8), and not more of them than the tag limits allow; image sizes, when
 * found, are positive.
 *
 * libFuzzer build (from the source root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc -Itests \
 *     tests/fuzz/opengraph_fuzz.c src/media/opengraph.c src/media/imagesize.c \
 *     src/base/buf.c src/base/str.c src/base/mem.c src/base/err.c -ljansson -o og_fuzz
 *   ./og_fuzz tests/fuzz/corpus/opengraph
 * The unit test media/preview_fuzz_corpus_replays (tests/unit/media/preview_test.c)
 * includes this file with OPENGRAPH_FUZZ_NO_MAIN defined and replays the corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "media/internal.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static int opengraph_fuzz_one(const uint8_t *data, size_t size)
{
    static const char *const types[] = {NULL, "text/html; charset=utf-8",
                                        "text/html; charset=ISO-8859-1",
                                        "text/html; charset=koi8-r",
                                        "text/html; charset=Shift_JIS"};
    const char *type = size ? types[data[0] % 5] : NULL;
    const char *html = size ? (const char *)data + 1 : (const char *)data;
    size_t len = size ? size - 1 : 0;
    json_t *og = media__og_parse(html, len, type);
    FUZZ_CHECK(json_is_object(og));
    const char *key;
    json_t *v;
    json_object_foreach(og, key, v)
    {
        FUZZ_CHECK(json_is_string(v));
        /* jansson only makes strings of valid UTF-8; check it again independently. */
        FUZZ_CHECK(str_utf8_valid(json_string_value(v), json_string_length(v)));
    }
    /* og:, article:, profile: and twitter: at most 50 each, plus the fallbacks. */
    FUZZ_CHECK(json_object_size(og) <= 4 * 50 + 3);
    json_decref(og);
    int64_t w, h;
    if (media__image_size(data, size, &w, &h))
        FUZZ_CHECK(w > 0 && h > 0);
    return 0;
}

#ifndef OPENGRAPH_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return opengraph_fuzz_one(data, size);
}
#endif
