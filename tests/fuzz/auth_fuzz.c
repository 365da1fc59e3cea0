/* auth_fuzz.c: fuzz harness for src/matrix/auth.c, power.c and state_res.c.
 *
 * Input: a JSON array of PDUs (anything else is ignored; at most
 * AUTH_FUZZ_MAX_EVENTS objects, the first with a given event_id wins).
 * Invariants, in every room version of the table:
 *   - matrix_auth_check of each event against the others answers 0 or
 *     ERR_FORBIDDEN, and denials carry a reason;
 *   - matrix_auth_events_for, matrix_auth_check_auth_events and
 *     matrix_auth_check_size answer with their documented codes only;
 * and for the state resolution versions (v2, v2.1): two state sets built from
 * the events (alternate events, plus every third in both) resolve to the same
 * state whichever order the sets are given in.
 *
 * libFuzzer build (from the source root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Isrc -Itests tests/fuzz/auth_fuzz.c src/matrix/auth.c src/matrix/power.c \
 *     src/matrix/state_res.c src/matrix/versions.c src/matrix/ids.c src/base/map.c \
 *     src/base/buf.c src/base/str.c src/base/mem.c src/base/err.c -ljansson -lm -o auth_fuzz
 *   ./auth_fuzz tests/fuzz/corpus/auth
 * The unit test matrix/auth_fuzz_corpus_replays (tests/unit/matrix/auth_test.c)
 * includes this file with AUTH_FUZZ_NO_MAIN defined and replays the corpus.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "matrix/auth.h"
#include "matrix/state_res.h"
#include "matrix/versions.h"

#define AUTH_FUZZ_MAX_EVENTS 48

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static bool fuzz_server_signed(void *ctx, const json_t *event, const char *server_name)
{
    (void)ctx;
    (void)event;
    return server_name[0] != 'x'; /* some servers sign, some do not */
}

static bool fuzz_tpi_signed(void *ctx, const json_t *signed_obj, const char *public_key)
{
    (void)ctx;
    (void)signed_obj;
    return strcmp(public_key, "good") == 0;
}

static int fuzz_fetch(void *ctx, const char *event_id, const json_t **event, bool *rejected)
{
    *event = json_object_get(ctx, event_id);
    *rejected = json_is_true(json_object_get(json_object_get(*event, "unsigned"), "rejected"));
    return *event ? 0 : ERR_NOT_FOUND;
}

struct fuzz_cmp {
    const struct matrix_state_map *other; /* the map to compare against */
    bool same;                            /* out: every entry matched */
};

static void fuzz_cmp_one(const json_t *event, void *ctx)
{
    struct fuzz_cmp *c = ctx;
    const json_t *o = matrix_state_map_get(c->other, json_string_value(json_object_get(event, "type")),
                                           json_string_value(json_object_get(event, "state_key")));
    const char *a = json_string_value(json_object_get(event, "event_id"));
    const char *b = o ? json_string_value(json_object_get(o, "event_id")) : NULL;
    if (!a || !b || strcmp(a, b) != 0)
        c->same = false;
}

static void fuzz_resolve(const struct matrix_room_version *ver, json_t *by_id, const json_t *s1,
                         const json_t *s2)
{
    static const struct matrix_auth_verify verify = {fuzz_server_signed, fuzz_tpi_signed, NULL};
    const json_t *ab[2] = {s1, s2};
    const json_t *ba[2] = {s2, s1};
    struct matrix_state_map r1, r2;
    int rc1 = matrix_state_resolve_v2(ver, ab, 2, fuzz_fetch, by_id, &verify, &r1);
    int rc2 = matrix_state_resolve_v2(ver, ba, 2, fuzz_fetch, by_id, &verify, &r2);
    FUZZ_CHECK(rc1 == 0 || rc1 == ERR_NOT_FOUND || rc1 == ERR_INVALID || rc1 == ERR_TOO_LARGE);
    FUZZ_CHECK(rc1 == rc2);
    if (rc1 == 0) {
        FUZZ_CHECK(matrix_state_map_len(&r1) == matrix_state_map_len(&r2));
        struct fuzz_cmp c = {&r2, true};
        matrix_state_map_each(&r1, fuzz_cmp_one, &c);
        FUZZ_CHECK(c.same);
    }
    matrix_state_map_fini(&r1);
    matrix_state_map_fini(&r2);
}

static int auth_fuzz_one(const uint8_t *data, size_t size)
{
    json_t *input = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_array(input)) {
        json_decref(input);
        return 0;
    }
    /* The events, deduplicated by event_id (first wins). */
    json_t *events = json_array();
    json_t *by_id = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(input, i, ev) {
        if (!json_is_object(ev) || json_array_size(events) >= AUTH_FUZZ_MAX_EVENTS)
            continue;
        const char *id = json_string_value(json_object_get(ev, "event_id"));
        if (id) {
            if (json_object_get(by_id, id))
                continue;
            json_object_set(by_id, id, ev);
        }
        json_array_append(events, ev);
    }

    static const struct matrix_auth_verify verify = {fuzz_server_signed, fuzz_tpi_signed, NULL};
    size_t n_versions;
    const struct matrix_room_version *versions = matrix_room_versions(&n_versions);
    for (size_t v = 0; v < n_versions; v++) {
        const struct matrix_room_version *ver = &versions[v];
        struct matrix_auth_state st;
        matrix_auth_state_from_array(&st, events, &verify);
        json_array_foreach(events, i, ev) {
            char reason[128];
            int rc = matrix_auth_check(ver, ev, &st, reason, sizeof reason);
            FUZZ_CHECK(rc == 0 || rc == ERR_FORBIDDEN);
            FUZZ_CHECK(rc == 0 || reason[0] != '\0');
            json_t *ids = NULL;
            rc = matrix_auth_events_for(ver, ev, &st, &ids);
            FUZZ_CHECK(rc == 0 || rc == ERR_INVALID);
            FUZZ_CHECK((rc == 0) == (ids != NULL));
            json_decref(ids);
            rc = matrix_auth_check_auth_events(ver, ev, events, NULL, 0);
            FUZZ_CHECK(rc == 0 || rc == ERR_FORBIDDEN);
            rc = matrix_auth_check_size(ev, size, NULL, 0);
            FUZZ_CHECK(rc == 0 || rc == ERR_TOO_LARGE);
        }
        if (ver->state_res == MATRIX_STATE_RES_V1)
            continue;
        /* Two state sets from the state events with IDs. */
        json_t *s1 = json_array(), *s2 = json_array();
        size_t k = 0;
        json_array_foreach(events, i, ev) {
            if (!json_is_string(json_object_get(ev, "event_id")) ||
                !json_is_string(json_object_get(ev, "type")) ||
                !json_is_string(json_object_get(ev, "state_key")))
                continue;
            if (k % 3 == 0 || k % 2 == 0)
                json_array_append(s1, ev);
            if (k % 3 == 0 || k % 2 == 1)
                json_array_append(s2, ev);
            k++;
        }
        fuzz_resolve(ver, by_id, s1, s2);
        json_decref(s1);
        json_decref(s2);
    }
    json_decref(by_id);
    json_decref(events);
    json_decref(input);
    return 0;
}

#ifndef AUTH_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return auth_fuzz_one(data, size);
}
#endif
