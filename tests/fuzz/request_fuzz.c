/* request_fuzz.c: fuzz harness for the request path's parsers of untrusted bytes:
 * the bounded JSON body parse (src/json/parse.c: UTF-8 check, depth limit, jansson),
 * the URL decoder and router (src/http/router.c: http_percent_decode, http_route_match)
 * and the X-Forwarded-For reader (src/http/proxy.c).
 *
 * Input: any bytes. Every parser sees the whole input (the URL parsers and the
 * X-Forwarded-For reader up to its first NUL, as libmicrohttpd hands them C strings).
 * Checked: nothing crashes, reads out of bounds or leaks (ASan), and
 *  - json_parse_bounded answers 0, ERR_INVALID or ERR_TOO_LARGE with a message; on 0 the
 *    input was valid UTF-8, nested no deeper than the limit, and the tree re-encodes to
 *    JSON that parses to an equal tree; ERR_TOO_LARGE only past the depth limit;
 *  - a percent-decoded string is never longer than its input, and fails only on a '%';
 *  - a route match fills one non-empty parameter per {name} in the pattern;
 *  - the chosen client address is the peer or a well-formed IP address.
 *
 * libFuzzer build (from the source root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc -Itests \
 *     tests/fuzz/request_fuzz.c src/json/parse.c src/http/router.c src/http/proxy.c \
 *     src/base/arena.c src/base/buf.c src/base/str.c src/base/mem.c src/base/err.c \
 *     src/base/log.c src/base/clock.c -ljansson -lm -o request_fuzz
 *   ./request_fuzz -max_len=4096 tests/fuzz/corpus/request
 * The unit test http/request_fuzz_corpus_replays (tests/unit/http/fuzz_test.c) includes
 * this file with REQUEST_FUZZ_NO_MAIN defined and replays tests/fuzz/corpus/request. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/str.h"
#include "http/http.h"
#include "http/proxy.h"
#include "json/parse.h"

#define REQUEST_FUZZ_CHECK(cond)                                                                   \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void request_fuzz_body(const char *data, size_t size, size_t depth)
{
    json_t *v = NULL;
    char err[200] = "";
    int rc = json_parse_bounded(data, size, depth, &v, err, sizeof err);
    REQUEST_FUZZ_CHECK(rc == 0 || rc == ERR_INVALID || rc == ERR_TOO_LARGE);
    if (rc != 0) {
        REQUEST_FUZZ_CHECK(v == NULL && err[0] != '\0');
        if (rc == ERR_TOO_LARGE)
            REQUEST_FUZZ_CHECK(json_nesting_depth(data, size, depth) > depth);
        return;
    }
    REQUEST_FUZZ_CHECK(v != NULL);
    REQUEST_FUZZ_CHECK(str_utf8_valid(data, size));
    REQUEST_FUZZ_CHECK(json_nesting_depth(data, size, depth) <= depth);
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    REQUEST_FUZZ_CHECK(text != NULL);
    json_t *again = json_loads(text, JSON_DECODE_ANY, NULL);
    REQUEST_FUZZ_CHECK(again != NULL && json_equal(v, again));
    json_decref(again);
    free(text);
    json_decref(v);
}

static void request_fuzz_url(const char *s, size_t len)
{
    static const char *const patterns[] = {
        "/_matrix/client/v3/login",
        "/_matrix/client/v3/profile/{userId}/displayname",
        "/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}",
        "/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}",
        "/_matrix/media/v3/download/{serverName}/{mediaId}/{fileName}",
        "/v1/chat/completions",
    };
    struct arena a;
    arena_init(&a, 0);
    for (int plus = 0; plus < 2; plus++) {
        const char *out = http_percent_decode(&a, s, len, plus != 0);
        if (out)
            REQUEST_FUZZ_CHECK(strlen(out) <= len);
        else
            REQUEST_FUZZ_CHECK(memchr(s, '%', len) != NULL);
    }
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        const char *params[HTTP_MAX_PARAMS];
        size_t n = 0;
        if (!http_route_match(patterns[i], s, &a, params, &n))
            continue;
        size_t want = 0;
        for (const char *p = patterns[i]; *p; p++)
            want += *p == '{';
        REQUEST_FUZZ_CHECK(n == want);
        for (size_t k = 0; k < n; k++)
            REQUEST_FUZZ_CHECK(params[k] != NULL && params[k][0] != '\0');
    }
    arena_fini(&a);
}

static bool request_fuzz_is_ip(const char *s)
{
    unsigned char bytes[16];
    return inet_pton(AF_INET, s, bytes) == 1 || inet_pton(AF_INET6, s, bytes) == 1;
}

static void request_fuzz_forwarded_for(const char *s)
{
    static const char *const lists[] = {"127.0.0.1", "0.0.0.0/0, ::/0", "10.0.0.0/8, ::1"};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        struct http_proxies *p = NULL;
        REQUEST_FUZZ_CHECK(http_proxies_parse(lists[i], &p, NULL, 0) == 0);
        char out[64];
        http_client_address(p, "127.0.0.1", s, out, sizeof out);
        REQUEST_FUZZ_CHECK(strcmp(out, "127.0.0.1") == 0 || request_fuzz_is_ip(out));
        http_proxies_free(p);
    }
    /* The input as a trusted_proxies value: a set, or a clean error. */
    struct http_proxies *p = NULL;
    char err[160];
    int rc = http_proxies_parse(s, &p, err, sizeof err);
    REQUEST_FUZZ_CHECK(rc == 0 ? p != NULL : (p == NULL && (rc == ERR_INVALID || rc == ERR_TOO_LARGE)));
    http_proxies_free(p);
}

static int request_fuzz_one(const uint8_t *data, size_t size)
{
    const char *bytes = (const char *)data;
    request_fuzz_body(bytes, size, 64);
    request_fuzz_body(bytes, size, 3);
    size_t len = strnlen(bytes, size);
    char *cstr = malloc(len + 1); /* exact size: ASan sees reads past the end */
    REQUEST_FUZZ_CHECK(cstr != NULL);
    memcpy(cstr, bytes, len);
    cstr[len] = '\0';
    request_fuzz_url(cstr, len);
    request_fuzz_forwarded_for(cstr);
    free(cstr);
    return 0;
}

#ifndef REQUEST_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return request_fuzz_one(data, size);
}
#endif
