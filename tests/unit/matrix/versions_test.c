/* versions_test.c: the room version table against the spec's per-version pages. */
#include "harness.h"

#include "matrix/versions.h"

TEST_CASE(matrix, room_versions_table)
{
    size_t n = 0;
    const struct matrix_room_version *all = matrix_room_versions(&n);
    ASSERT_INT_EQ(n, 12);
    static const struct {
        const char *id;
        enum matrix_event_id_format eid;
        enum matrix_redaction_rules red;
        bool knock, restricted, knock_restricted, int_pl, strict_json, creator, redacts_content;
    } rows[] = {
        /* id   event id            redaction            knock  restr  k_res  intpl  strict creator redacts */
        {"1", MATRIX_EVENT_ID_V1, MATRIX_REDACTION_V1, false, false, false, false, false, true, false},
        {"2", MATRIX_EVENT_ID_V1, MATRIX_REDACTION_V1, false, false, false, false, false, true, false},
        {"3", MATRIX_EVENT_ID_V3, MATRIX_REDACTION_V1, false, false, false, false, false, true, false},
        {"4", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V1, false, false, false, false, false, true, false},
        {"5", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V1, false, false, false, false, false, true, false},
        {"6", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V6, false, false, false, false, true, true, false},
        {"7", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V6, true, false, false, false, true, true, false},
        {"8", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V8, true, true, false, false, true, true, false},
        {"9", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V9, true, true, false, false, true, true, false},
        {"10", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V9, true, true, true, true, true, true, false},
        {"11", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V11, true, true, true, true, true, false, true},
        {"12", MATRIX_EVENT_ID_V4, MATRIX_REDACTION_V11, true, true, true, true, true, false, true},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct matrix_room_version *v = matrix_room_version_find(rows[i].id);
        ASSERT_TRUE(v != NULL);
        ASSERT_TRUE(v == &all[i]);
        ASSERT_STR_EQ(v->id, rows[i].id);
        ASSERT_INT_EQ(v->event_id_format, rows[i].eid);
        ASSERT_INT_EQ(v->redaction, rows[i].red);
        ASSERT_INT_EQ(v->knocking, rows[i].knock);
        ASSERT_INT_EQ(v->restricted_join, rows[i].restricted);
        ASSERT_INT_EQ(v->knock_restricted, rows[i].knock_restricted);
        ASSERT_INT_EQ(v->integer_power_levels, rows[i].int_pl);
        ASSERT_INT_EQ(v->strict_canonical_json, rows[i].strict_json);
        ASSERT_INT_EQ(v->create_requires_creator, rows[i].creator);
        ASSERT_INT_EQ(v->redacts_in_content, rows[i].redacts_content);
        ASSERT_TRUE(v->stable);
        ASSERT_INT_EQ(v->event_id_in_pdu, i < 2);
        ASSERT_INT_EQ(v->redaction_auth_rule, i < 2);
        ASSERT_INT_EQ(v->aliases_auth_rule, i < 5);
        ASSERT_INT_EQ(v->enforce_key_validity, i >= 4);
        ASSERT_INT_EQ(v->state_res, i == 0 ? MATRIX_STATE_RES_V1
                                           : (i == 11 ? MATRIX_STATE_RES_V2_1 : MATRIX_STATE_RES_V2));
        ASSERT_INT_EQ(v->room_id_format, i == 11 ? MATRIX_ROOM_ID_CREATE_HASH : MATRIX_ROOM_ID_DOMAIN);
        ASSERT_INT_EQ(v->creators_privileged, i == 11);
        ASSERT_INT_EQ(v->create_in_auth_events, i != 11);
    }
    ASSERT_TRUE(matrix_room_version_find("13") == NULL);
    ASSERT_TRUE(matrix_room_version_find("1.0") == NULL);
    ASSERT_TRUE(matrix_room_version_find("") == NULL);
    ASSERT_TRUE(matrix_room_version_find(NULL) == NULL);
    ASSERT_TRUE(matrix_room_version_findn("10x", 2) == matrix_room_version_find("10"));
    ASSERT_STR_EQ(matrix_room_version_default()->id, "10");
    ASSERT_TRUE(matrix_room_version_default()->implemented);
}

TEST_CASE(matrix, room_version_grammar)
{
    static const struct {
        const char *s;
        bool ok;
    } rows[] = {
        {"1", true},     {"1.2", true},   {"1.2-beta", true}, {"com.example.version", true},
        {"", false},     {"A", false},    {"1_2", false},     {"v 1", false},
        {"abcdefghijabcdefghijabcdefghij12", true}, {"abcdefghijabcdefghijabcdefghij123", false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        ASSERT_INT_EQ(matrix_room_version_valid(rows[i].s, strlen(rows[i].s)), rows[i].ok);
}
