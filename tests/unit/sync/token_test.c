/* token_test.c: sync tokens ("s<events>_<account_data>_..." with seven
 * streams) and pagination tokens ("t<pos>", or a sync token's event position). */
#include "harness.h"

#include "base/err.h"
#include "sync/sync.h"

#include <string.h>

TEST_CASE(sync, token_parse_table)
{
    static const struct {
        const char *in;
        int rc;
        int64_t ev, ad, presence; /* pos[0], pos[1], pos[6] */
    } rows[] = {
        {"s5_3_0_0_0_0_0", 0, 5, 3, 0},
        {"s1_2_3_4_5_6_7", 0, 1, 2, 7},
        {"s7", 0, 7, 0, 0},           /* older tokens with fewer streams: the rest are 0 */
        {"s12_4", 0, 12, 4, 0},
        {"s0_0_0_0_0_0_0", 0, 0, 0, 0},
        {"", ERR_INVALID, 0, 0, 0},
        {"s", ERR_INVALID, 0, 0, 0},
        {"t5", ERR_INVALID, 0, 0, 0},
        {"5_3", ERR_INVALID, 0, 0, 0},
        {"sx", ERR_INVALID, 0, 0, 0},
        {"s5_x", ERR_INVALID, 0, 0, 0},
        {"s-1_0", ERR_INVALID, 0, 0, 0},
        {"s5__3", ERR_INVALID, 0, 0, 0},
        {"s5_", ERR_INVALID, 0, 0, 0},
        {"s1_2_3_4_5_6_7_8", ERR_INVALID, 0, 0, 0}, /* more streams than exist */
        {"s99999999999999999999", ERR_INVALID, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sync_token t;
        int rc = sync_token_parse(rows[i].in, &t);
        if (rc != rows[i].rc)
            fprintf(stderr, "row %zu: %s\n", i, rows[i].in);
        ASSERT_INT_EQ(rc, rows[i].rc);
        if (rc)
            continue;
        ASSERT_INT_EQ(t.pos[NOTIFY_EVENTS], rows[i].ev);
        ASSERT_INT_EQ(t.pos[NOTIFY_ACCOUNT_DATA], rows[i].ad);
        ASSERT_INT_EQ(t.pos[NOTIFY_PRESENCE], rows[i].presence);
    }
    struct sync_token t;
    ASSERT_INT_EQ(sync_token_parse(NULL, &t), ERR_INVALID);
}

TEST_CASE(sync, token_format_round_trip)
{
    struct sync_token t = {{1, 22, 333, 4444, 55555, 0, 7}};
    char text[200];
    sync_token_format(&t, text, sizeof text);
    ASSERT_STR_EQ(text, "s1_22_333_4444_55555_0_7");
    struct sync_token back;
    ASSERT_INT_EQ(sync_token_parse(text, &back), 0);
    ASSERT_TRUE(memcmp(&back, &t, sizeof t) == 0);
    struct sync_token big = {{INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX,
                              INT64_MAX}};
    sync_token_format(&big, text, sizeof text);
    ASSERT_INT_EQ(sync_token_parse(text, &back), 0);
    ASSERT_INT_EQ(back.pos[NOTIFY_PRESENCE], INT64_MAX);
}

TEST_CASE(sync, pagination_tokens)
{
    static const struct {
        const char *in;
        int rc;
        int64_t pos;
    } rows[] = {
        {"t12", 0, 12},
        {"t0", 0, 0},
        {"s9_1_0_0_0_0_0", 0, 9}, /* a sync token (next_batch) pages from its event position */
        {"t", ERR_INVALID, 0},
        {"t-1", ERR_INVALID, 0},
        {"t12x", ERR_INVALID, 0},
        {"12", ERR_INVALID, 0},
        {"", ERR_INVALID, 0},
        {"s", ERR_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t pos = -5;
        int rc = sync_pagination_parse(rows[i].in, &pos);
        if (rc != rows[i].rc)
            fprintf(stderr, "row %zu: %s\n", i, rows[i].in);
        ASSERT_INT_EQ(rc, rows[i].rc);
        if (!rc)
            ASSERT_INT_EQ(pos, rows[i].pos);
    }
    int64_t pos;
    ASSERT_INT_EQ(sync_pagination_parse(NULL, &pos), ERR_INVALID);
}
