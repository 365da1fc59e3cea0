/* e2ee_test.c: the E2EE storage of src/db/ (keys.c, to_device.c, backup.c):
 * the key backup replacement rules (spec: "Server-side key backups", written
 * out by hand as a table), one-time keys handed out once then the fallback
 * key, to-device acknowledgement, and a deleted device taking its keys and
 * messages with it and showing up in the device-list stream. */
#include "harness.h"
#include "unit/db/dbtest.h"

#include "base/err.h"
#include "base/log.h"
#include "db/db.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Stored key (fmi, fc, verified) then a new one: which one stays. */
static const struct {
    int64_t old_fmi, old_fc;
    bool old_verified;
    int64_t new_fmi, new_fc;
    bool new_verified;
    bool replaced;
} replace_cases[] = {
    {5, 1, false, 9, 0, false, false}, /* higher first_message_index loses */
    {5, 1, false, 2, 9, false, true},  /* lower first_message_index wins */
    {5, 1, false, 5, 0, false, true},  /* equal index: fewer forwards win */
    {5, 1, false, 5, 1, false, false}, /* all equal: keep the stored one */
    {5, 1, false, 5, 2, false, false}, /* more forwards lose */
    {0, 0, false, 9, 9, true, true},   /* verified beats anything unverified */
    {9, 9, true, 0, 0, false, false},  /* unverified never replaces verified */
    {5, 0, true, 2, 0, true, true},    /* both verified: lower index wins */
};

TEST_CASE(db, e2ee_backup_replacement_rules)
{
    char dir[64];
    struct db *db = dbtest_open("e2ee", dir, sizeof dir);
    int64_t version, etag, count, etag_before;
    ASSERT_INT_EQ(db_backup_version_create(db, "@u:x", "m.megolm_backup.v1.curve25519-aes-sha2",
                                           "{}", &version),
                  0);
    for (size_t i = 0; i < sizeof replace_cases / sizeof replace_cases[0]; i++) {
        char session[16];
        snprintf(session, sizeof session, "s%zu", i);
        struct db_backup_key k = {"!r:x", session, replace_cases[i].old_fmi,
                                  replace_cases[i].old_fc, replace_cases[i].old_verified,
                                  "{\"v\":\"old\"}"};
        ASSERT_INT_EQ(db_backup_keys_put(db, "@u:x", version, &k, 1, &etag_before, &count), 0);
        ASSERT_INT_EQ(count, (int64_t)i + 1);
        k.first_message_index = replace_cases[i].new_fmi;
        k.forwarded_count = replace_cases[i].new_fc;
        k.is_verified = replace_cases[i].new_verified;
        k.session_data = "{\"v\":\"new\"}";
        ASSERT_INT_EQ(db_backup_keys_put(db, "@u:x", version, &k, 1, &etag, &count), 0);
        struct db_backup_key *got;
        size_t n;
        ASSERT_INT_EQ(db_backup_keys_get(db, "@u:x", version, "!r:x", session, &got, &n), 0);
        ASSERT_INT_EQ(n, 1);
        if (replace_cases[i].replaced)
            ASSERT_STR_EQ(got[0].session_data, "{\"v\":\"new\"}");
        else
            ASSERT_STR_EQ(got[0].session_data, "{\"v\":\"old\"}");
        ASSERT_TRUE((etag != etag_before) == replace_cases[i].replaced); /* etag moves on change only */
        db_backup_keys_free(got, n);
    }
    struct db_backup_key k = {"!r:x", "s", 0, 0, false, "{}"};
    ASSERT_INT_EQ(db_backup_keys_put(db, "@u:x", version + 1, &k, 1, &etag, &count),
                  ERR_NOT_FOUND);
    dbtest_close(db, dir);
}

TEST_CASE(db, e2ee_one_time_keys_once_then_fallback)
{
    char dir[64];
    struct db *db = dbtest_open("e2ee", dir, sizeof dir);
    struct db_key_item otks[] = {{"signed_curve25519", "B", "{\"key\":\"b\"}"},
                                 {"signed_curve25519", "A", "{\"key\":\"a\"}"}};
    struct db_key_item fb = {"signed_curve25519", "F", "{\"key\":\"f\",\"fallback\":true}"};
    int64_t pos;
    ASSERT_INT_EQ(db_keys_upload(db, "@u:x", "D", NULL, otks, 2, &fb, 1, &pos), 0);
    ASSERT_INT_EQ(pos, 0); /* no device keys: not a device-list change */
    struct db_key_item clash = {"signed_curve25519", "A", "{\"key\":\"other\"}"};
    ASSERT_TRUE(db_keys_upload(db, "@u:x", "D", NULL, &clash, 1, NULL, 0, &pos) != 0);
    const char *want[] = {"signed_curve25519:A", "signed_curve25519:B", "signed_curve25519:F",
                          "signed_curve25519:F"};
    for (size_t i = 0; i < 4; i++) {
        char *key_id, *json;
        ASSERT_INT_EQ(db_key_claim(db, "@u:x", "D", "signed_curve25519", &key_id, &json), 0);
        ASSERT_STR_EQ(key_id, want[i]);
        free(key_id);
        free(json);
        char **algs;
        size_t n;
        ASSERT_INT_EQ(db_fallback_unused(db, "@u:x", "D", &algs, &n), 0);
        ASSERT_INT_EQ(n, i < 2 ? 1 : 0); /* the fallback key is used once claimed */
        db_strings_free(algs, n);
    }
    char *key_id, *json;
    ASSERT_TRUE(db_key_claim(db, "@u:x", "D", "curve25519", &key_id, &json) != 0);
    dbtest_close(db, dir);
}

TEST_CASE(db, e2ee_to_device_ack_and_device_deletion)
{
    char dir[64];
    struct db *db = dbtest_open("e2ee", dir, sizeof dir);
    ASSERT_INT_EQ(db_user_create(db, "@u:x", NULL, false, NULL), 0);
    ASSERT_INT_EQ(db_device_ensure(db, "@u:x", "D1", NULL, NULL), 0);
    ASSERT_INT_EQ(db_device_ensure(db, "@u:x", "D2", NULL, NULL), 0);
    int64_t dl0, dl1, pos, p1;
    bool dup;
    ASSERT_INT_EQ(db_keys_upload(db, "@u:x", "D1", "{\"device_id\":\"D1\"}", NULL, 0, NULL, 0,
                                 &dl0),
                  0);
    ASSERT_TRUE(dl0 > 0);
    ASSERT_INT_EQ(db_keys_upload(db, "@u:x", "D1", "{\"device_id\":\"D1\"}", NULL, 0, NULL, 0,
                                 &pos),
                  0);
    ASSERT_INT_EQ(pos, 0); /* the same keys again: no change */
    struct db_to_device_write w[] = {{"@u:x", "D1", "{\"n\":1}"}, {"@u:x", "D2", "{\"n\":2}"}};
    ASSERT_INT_EQ(db_to_device_send(db, "@s:x", "S", "t1", "m.x", w, 2, &p1, &dup), 0);
    ASSERT_TRUE(!dup);
    ASSERT_INT_EQ(db_to_device_send(db, "@s:x", "S", "t1", "m.x", w, 2, &pos, &dup), 0);
    ASSERT_TRUE(dup);
    struct db_to_device_msg *m;
    size_t n;
    ASSERT_INT_EQ(db_to_device_fetch(db, "@u:x", "D2", 0, INT64_MAX, 10, &m, &n), 0);
    ASSERT_INT_EQ(n, 1);
    ASSERT_STR_EQ(m[0].content, "{\"n\":2}");
    db_to_device_msgs_free(m, n);
    ASSERT_INT_EQ(db_to_device_ack(db, "@u:x", "D2", p1), 0);
    ASSERT_INT_EQ(db_to_device_fetch(db, "@u:x", "D2", 0, INT64_MAX, 10, &m, &n), 0);
    ASSERT_INT_EQ(n, 0);
    free(m);
    /* Deleting D1 drops its keys and its message and notes a change. */
    ASSERT_INT_EQ(db_device_delete(db, "@u:x", "D1"), 0);
    struct db_device_keys *k;
    ASSERT_INT_EQ(db_device_keys_get(db, "@u:x", NULL, &k, &n), 0);
    ASSERT_INT_EQ(n, 0);
    free(k);
    ASSERT_INT_EQ(db_to_device_fetch(db, "@u:x", "D1", 0, INT64_MAX, 10, &m, &n), 0);
    ASSERT_INT_EQ(n, 0);
    free(m);
    ASSERT_INT_EQ(db_device_lists_max_pos(db, &dl1), 0);
    ASSERT_TRUE(dl1 > dl0);
    char **users;
    ASSERT_INT_EQ(db_device_list_changes(db, dl0, dl1, &users, &n), 0);
    ASSERT_INT_EQ(n, 1);
    ASSERT_STR_EQ(users[0], "@u:x");
    db_strings_free(users, n);
    dbtest_close(db, dir);
}
