/* versions.c: the room version table (see versions.h for the summary).
 *
 * One row per version of the spec's "Room Versions" pages; a property is true
 * from the version that introduced it onwards unless the row says otherwise. */
#include "matrix/versions.h"

#include <string.h>

#include "base/mem.h"

#define ROW(id_, impl, eid, rid, red, sr)                                       \
    .id = id_, .stable = true, .implemented = impl, .event_id_format = eid,     \
    .room_id_format = rid, .redaction = red, .state_res = sr

static const struct matrix_room_version table[] = {
    {ROW("1", true, MATRIX_EVENT_ID_V1, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V1,
         MATRIX_STATE_RES_V1),
     .event_id_in_pdu = true, .redaction_auth_rule = true, .aliases_auth_rule = true,
     .create_requires_creator = true, .create_in_auth_events = true},
    {ROW("2", true, MATRIX_EVENT_ID_V1, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V1,
         MATRIX_STATE_RES_V2),
     .event_id_in_pdu = true, .redaction_auth_rule = true, .aliases_auth_rule = true,
     .create_requires_creator = true, .create_in_auth_events = true},
    {ROW("3", true, MATRIX_EVENT_ID_V3, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V1,
         MATRIX_STATE_RES_V2),
     .aliases_auth_rule = true, .create_requires_creator = true, .create_in_auth_events = true},
    {ROW("4", true, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V1,
         MATRIX_STATE_RES_V2),
     .aliases_auth_rule = true, .create_requires_creator = true, .create_in_auth_events = true},
    {ROW("5", true, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V1,
         MATRIX_STATE_RES_V2),
     .aliases_auth_rule = true, .enforce_key_validity = true, .create_requires_creator = true,
     .create_in_auth_events = true},
    {ROW("6", true, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V6,
         MATRIX_STATE_RES_V2),
     .enforce_key_validity = true, .strict_canonical_json = true, .notifications_pl = true,
     .create_requires_creator = true, .create_in_auth_events = true},
    {ROW("7", true, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V6,
         MATRIX_STATE_RES_V2),
     .enforce_key_validity = true, .strict_canonical_json = true, .notifications_pl = true,
     .knocking = true, .create_requires_creator = true, .create_in_auth_events = true},
    {ROW("8", true, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V8,
         MATRIX_STATE_RES_V2),
     .enforce_key_validity = true, .strict_canonical_json = true, .notifications_pl = true,
     .knocking = true, .restricted_join = true, .create_requires_creator = true,
     .create_in_auth_events = true},
    {ROW("9", true, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V9,
         MATRIX_STATE_RES_V2),
     .enforce_key_validity = true, .strict_canonical_json = true, .notifications_pl = true,
     .knocking = true, .restricted_join = true, .create_requires_creator = true,
     .create_in_auth_events = true},
    {ROW("10", true, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V9,
         MATRIX_STATE_RES_V2),
     .enforce_key_validity = true, .strict_canonical_json = true, .notifications_pl = true,
     .knocking = true, .restricted_join = true, .knock_restricted = true,
     .integer_power_levels = true, .create_requires_creator = true,
     .create_in_auth_events = true},
    {ROW("11", true, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_DOMAIN, MATRIX_REDACTION_V11,
         MATRIX_STATE_RES_V2),
     .enforce_key_validity = true, .strict_canonical_json = true, .notifications_pl = true,
     .knocking = true, .restricted_join = true, .knock_restricted = true,
     .integer_power_levels = true, .redacts_in_content = true, .create_in_auth_events = true},
    {ROW("12", false, MATRIX_EVENT_ID_V4, MATRIX_ROOM_ID_CREATE_HASH, MATRIX_REDACTION_V11,
         MATRIX_STATE_RES_V2_1),
     .enforce_key_validity = true, .strict_canonical_json = true, .notifications_pl = true,
     .knocking = true, .restricted_join = true, .knock_restricted = true,
     .integer_power_levels = true, .redacts_in_content = true, .creators_privileged = true},
};

const struct matrix_room_version *matrix_room_versions(size_t *count)
{
    *count = sizeof(table) / sizeof(table[0]);
    return table;
}

const struct matrix_room_version *matrix_room_version_findn(const char *id, size_t len)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strlen(table[i].id) == len && memcmp(table[i].id, id, len) == 0)
            return &table[i];
    }
    return NULL;
}

const struct matrix_room_version *matrix_room_version_find(const char *id)
{
    return id ? matrix_room_version_findn(id, strlen(id)) : NULL;
}

const struct matrix_room_version *matrix_room_version_default(void)
{
    const struct matrix_room_version *v = matrix_room_version_find(MATRIX_ROOM_VERSION_DEFAULT);
    ASSERT(v != NULL && v->implemented);
    return v;
}

bool matrix_room_version_valid(const char *s, size_t len)
{
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return false;
    }
    return true;
}
