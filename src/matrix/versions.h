/* versions.h: the room version table and the properties other code branches on.
 *
 * Spec: "Room Versions" (content/rooms/v1.md .. v12.md). Room versions are opaque
 * strings; code never compares version numbers, it asks the table
 * (`v->knocking`, `v->redaction == MATRIX_REDACTION_V11`, ...). Each property
 * names the spec version that introduced it. The table is static and
 * read-only: safe from any thread.
 *
 *   ver  event IDs        redaction  state res  notable
 *   1    $opaque:domain   V1         V1
 *   2    $opaque:domain   V1         V2
 *   3    $ + base64       V1         V2         redactions no longer an auth rule
 *   4    $ + url base64   V1         V2
 *   5    ..               V1         V2         signing key validity enforced
 *   6    ..               V6         V2         strict canonical JSON, no aliases rule,
 *                                               "notifications" in power levels
 *   7    ..               V6         V2         knocking
 *   8    ..               V8         V2         restricted joins
 *   9    ..               V9         V2         (redaction fix for v8)
 *   10   ..               V9         V2         integer power levels, knock_restricted
 *   11   ..               V11        V2         no "creator", "redacts" in content
 *   12   ..               V11        V2.1       room ID = create event hash, creators
 *                                               have infinite power (not implemented yet:
 *                                               `implemented` is false)
 */
#ifndef RELAIS_MATRIX_VERSIONS_H
#define RELAIS_MATRIX_VERSIONS_H

#include <stdbool.h>
#include <stddef.h>

/* The version used for new rooms when the client names none. The spec
 * recommends 12; we stay on 10 until v12's room IDs, creators and state
 * resolution 2.1 are implemented. */
#define MATRIX_ROOM_VERSION_DEFAULT "10"

enum matrix_event_id_format {
    MATRIX_EVENT_ID_V1, /* v1-2: "$opaque:domain", chosen by the sending server, carried in "event_id" */
    MATRIX_EVENT_ID_V3, /* v3: "$" + unpadded standard base64 of the reference hash */
    MATRIX_EVENT_ID_V4, /* v4+: "$" + unpadded URL-safe base64 of the reference hash */
};

enum matrix_room_id_format {
    MATRIX_ROOM_ID_DOMAIN,      /* v1-11: "!opaque:domain" */
    MATRIX_ROOM_ID_CREATE_HASH, /* v12: "!" + the create event's ID without its "$" */
};

/* Which redaction algorithm (keep-lists) applies; see event.h. */
enum matrix_redaction_rules {
    MATRIX_REDACTION_V1,  /* v1-5: keeps m.room.aliases "aliases" */
    MATRIX_REDACTION_V6,  /* v6-7: aliases no longer special */
    MATRIX_REDACTION_V8,  /* v8: join_rules keeps "allow" */
    MATRIX_REDACTION_V9,  /* v9-10: member keeps "join_authorised_via_users_server" */
    MATRIX_REDACTION_V11, /* v11+: top-level origin/membership/prev_state dropped; create keeps
                             all content; power_levels keeps "invite"; redaction keeps
                             "redacts"; member keeps third_party_invite.signed */
};

enum matrix_state_res {
    MATRIX_STATE_RES_V1,   /* v1 */
    MATRIX_STATE_RES_V2,   /* v2-11 */
    MATRIX_STATE_RES_V2_1, /* v12 */
};

struct matrix_room_version {
    const char *id;                              /* "1".."12" */
    bool stable;                                 /* listed as stable by the spec */
    bool implemented;                            /* we can create and join such rooms */
    enum matrix_event_id_format event_id_format; /* how event IDs are made */
    enum matrix_room_id_format room_id_format;   /* how room IDs are made */
    enum matrix_redaction_rules redaction;       /* redaction keep-lists */
    enum matrix_state_res state_res;             /* state resolution algorithm */
    bool event_id_in_pdu;         /* v1-2: PDUs carry "event_id"; prev/auth_events are
                                     [event_id, {hashes}] pairs. v3+: plain ID lists */
    bool redaction_auth_rule;     /* v1-2: auth rule for m.room.redaction (domain/redact level) */
    bool aliases_auth_rule;       /* v1-5: special auth rule for m.room.aliases */
    bool enforce_key_validity;    /* v5+: signing key valid_until_ts checked for events */
    bool strict_canonical_json;   /* v6+: floats and integers beyond 2^53 reject the event */
    bool notifications_pl;        /* v6+: power_levels "notifications" checked like "events" */
    bool knocking;                /* v7+: join rule "knock", membership "knock" */
    bool restricted_join;         /* v8+: join rule "restricted", join_authorised_via_users_server */
    bool knock_restricted;        /* v10+: join rule "knock_restricted" */
    bool integer_power_levels;    /* v10+: power level values must be JSON integers, not strings */
    bool create_requires_creator; /* v1-10: m.room.create content must have "creator";
                                     v11+: the creator is the create event's sender */
    bool redacts_in_content;      /* v11+: m.room.redaction has content.redacts (not top-level) */
    bool creators_privileged;     /* v12: sender + content.additional_creators have infinite
                                     power and cannot appear in power_levels.users */
    bool create_in_auth_events;   /* v1-11: auth_events include m.room.create; v12: never */
};

/* Returns the entry for a room version string (e.g. "10"), or NULL when the
 * version is unknown. The pointer is static. */
const struct matrix_room_version *matrix_room_version_find(const char *id);

/* Same as matrix_room_version_find for a slice id[0..len). */
const struct matrix_room_version *matrix_room_version_findn(const char *id, size_t len);

/* Returns the entry for MATRIX_ROOM_VERSION_DEFAULT (never NULL). */
const struct matrix_room_version *matrix_room_version_default(void);

/* Returns the whole table (static) in ascending order; *count gets its length.
 * Use it for the "m.room_versions" capability (only entries with implemented
 * set should be offered as available). */
const struct matrix_room_version *matrix_room_versions(size_t *count);

/* True when s[0..len) obeys the room version grammar: 1..32 of [a-z0-9.-]. */
bool matrix_room_version_valid(const char *s, size_t len);

#endif
