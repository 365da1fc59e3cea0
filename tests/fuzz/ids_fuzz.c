/* ids_fuzz.c: fuzz harness for src/matrix/ids.c.
 *
 * Input: any bytes, offered to every identifier parser. Invariants: parsed
 * slices lie inside the input and add up to it; a strict user ID rebuilds to
 * the same bytes; a parsed event ID is valid for its own format; nothing
 * accepted is longer than 255 bytes (server names excepted).
 *
 * libFuzzer build (from the source root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Isrc -Itests tests/fuzz/ids_fuzz.c src/matrix/ids.c src/matrix/versions.c \
 *     src/base/buf.c src/base/str.c src/base/mem.c src/base/err.c -o ids_fuzz
 *   ./ids_fuzz tests/fuzz/corpus/ids
 * The unit test matrix/ids_fuzz_corpus_replays (tests/unit/matrix/ids_test.c)
 * includes this file with
 * IDS_FUZZ_NO_MAIN defined and replays tests/fuzz/corpus/ through it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "matrix/ids.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_slice(struct str part, const char *s, size_t len)
{
    FUZZ_CHECK(part.ptr >= s && part.ptr + part.len <= s + len);
}

static int ids_fuzz_one(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;

    struct matrix_server_name sn;
    if (matrix_server_name_parse(s, size, &sn) == 0) {
        check_slice(sn.host, s, size);
        FUZZ_CHECK(sn.port <= 99999);
        FUZZ_CHECK(sn.has_port || sn.port == 0);
    }

    struct matrix_user_id u;
    if (matrix_user_id_parse(s, size, &u) == 0) {
        FUZZ_CHECK(size <= MATRIX_ID_MAX_BYTES);
        check_slice(u.localpart, s, size);
        check_slice(u.server_name, s, size);
        FUZZ_CHECK(u.localpart.len + u.server_name.len + 2 == size);
        FUZZ_CHECK(memchr(u.localpart.ptr, ':', u.localpart.len) == NULL);
        if (u.lp_class == MATRIX_LOCALPART_STRICT) {
            char local[MATRIX_ID_MAX_BYTES + 1];
            char server[MATRIX_ID_MAX_BYTES + 1];
            memcpy(local, u.localpart.ptr, u.localpart.len);
            local[u.localpart.len] = '\0';
            memcpy(server, u.server_name.ptr, u.server_name.len);
            server[u.server_name.len] = '\0';
            struct buf b;
            buf_init(&b, 1024);
            FUZZ_CHECK(matrix_user_id_build(local, server, &b) == 0);
            FUZZ_CHECK(b.len == size && memcmp(b.data, s, size) == 0);
            buf_fini(&b);
        }
    }

    struct matrix_room_id r;
    if (matrix_room_id_parse(s, size, &r) == 0) {
        FUZZ_CHECK(size <= MATRIX_ID_MAX_BYTES);
        check_slice(r.opaque, s, size);
        FUZZ_CHECK(r.has_domain ? r.opaque.len + r.server_name.len + 2 == size
                                : r.opaque.len + 1 == size);
    }

    struct matrix_event_id e;
    if (matrix_event_id_parse(s, size, &e) == 0) {
        FUZZ_CHECK(size <= MATRIX_ID_MAX_BYTES);
        check_slice(e.opaque, s, size);
        FUZZ_CHECK(matrix_event_id_valid_for(s, size, e.format));
    }

    struct matrix_room_alias a;
    if (matrix_room_alias_parse(s, size, &a) == 0) {
        FUZZ_CHECK(size <= MATRIX_ID_MAX_BYTES);
        check_slice(a.localpart, s, size);
        check_slice(a.server_name, s, size);
    }

    (void)matrix_device_id_valid(s, size);
    (void)matrix_user_localpart_valid(s, size);
    (void)matrix_room_version_valid(s, size);
    return 0;
}

#ifndef IDS_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ids_fuzz_one(data, size);
}
#endif
