/* parse_test.c: bounded parsing of request bodies: depth limit (checked
 * before jansson recurses), UTF-8 validation, duplicate keys, errors. */
#include "harness.h"

#include "base/err.h"
#include "json/parse.h"

TEST_CASE(json, parse_bounded_rows)
{
    static const struct {
        const char *in;
        int rc;
    } rows[] = {
        {"{\"a\":1}", 0},
        {"[1,2,3]", 0},
        {"{\"s\":\"[[[[[[[[[[\"}", 0},             /* brackets inside strings do not count */
        {"{\"s\":\"\\\"[[[[[[[[[[\"}", 0},         /* nor after an escaped quote */
        {"[[[[[[[[[[[[]]]]]]]]]]]]", ERR_TOO_LARGE}, /* 12 levels > 8 */
        {"[[[[[[[[]]]]]]]]", 0},                   /* exactly 8 */
        {"{\"a\":1,\"a\":2}", ERR_INVALID},          /* duplicate keys */
        {"{\"a\":", ERR_INVALID},
        {"not json", ERR_INVALID},
        {"", ERR_INVALID},
        {"{\"a\":\"\xff\"}", ERR_INVALID},         /* invalid UTF-8 */
        {"{\"a\":\"\\u0000\"}", ERR_INVALID},      /* NUL inside a string */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        json_t *v = NULL;
        char err[200] = "";
        int rc = json_parse_bounded(rows[i].in, strlen(rows[i].in), 8, &v, err, sizeof err);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu '%s': rc %d want %d (%s)", i, rows[i].in, rc,
                         rows[i].rc, err);
        ASSERT_TRUE((rc == 0) == (v != NULL));
        if (rc)
            ASSERT_TRUE(err[0] != '\0');
        json_decref(v);
    }
}

TEST_CASE(json, nesting_depth_stops_early)
{
    /* A 1 MB run of '[' is measured only up to the limit. */
    size_t n = 1 << 20;
    char *s = malloc(n);
    memset(s, '[', n);
    ASSERT_INT_EQ(json_nesting_depth(s, n, 64), 65);
    free(s);
}
