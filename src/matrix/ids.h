/* ids.h: parsing and validating Matrix identifiers (spec appendices, "Identifier Grammar").
 *
 *   server name  hostname [":" port]; hostname = IPv4 / "[" IPv6 "]" / dns-name
 *   user ID      "@" localpart ":" server_name, at most 255 bytes
 *   room ID      "!" opaque ":" server_name (v1-11), or "!" + 43 URL-safe base64 (v12)
 *   event ID     "$" opaque ":" server_name (v1-2), "$" + 43 base64 (v3), "$" + 43
 *                URL-safe base64 (v4+); at most 255 bytes
 *   room alias   "#" localpart ":" server_name, at most 255 bytes
 *   device ID    opaque; we accept 1..255 bytes of UTF-8 without control characters
 *
 * Every function takes (bytes, length): no NUL terminator is needed and an
 * embedded NUL is simply invalid. Parsed parts are slices into the input
 * (borrowed for as long as the input lives). Pure and thread-safe. */
#ifndef RELAIS_MATRIX_IDS_H
#define RELAIS_MATRIX_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/str.h"
#include "matrix/versions.h"

#define MATRIX_ID_MAX_BYTES 255

enum matrix_host_kind {
    MATRIX_HOST_DNS,  /* dns-name: [A-Za-z0-9.-]{1,255} */
    MATRIX_HOST_IPV4, /* dotted quad, each 0..255 */
    MATRIX_HOST_IPV6, /* bracketed literal; host is the part inside the brackets */
};

struct matrix_server_name {
    enum matrix_host_kind kind; /* which form the hostname has */
    struct str host;            /* borrowed; without brackets for IPv6 */
    uint32_t port;              /* 0 when absent, else 0..99999 as written (1*5DIGIT);
                                   callers that connect must check 1..65535 */
    bool has_port;              /* a ":port" was present */
};

/* Parses a server name. Returns 0 or ERR_INVALID. out may be NULL. */
int matrix_server_name_parse(const char *s, size_t len, struct matrix_server_name *out);
bool matrix_server_name_valid(const char *s, size_t len);

/* How a user ID localpart relates to the spec's rules. */
enum matrix_localpart_class {
    MATRIX_LOCALPART_STRICT,        /* [a-z0-9._=\-/+]+: what new IDs must use */
    MATRIX_LOCALPART_HISTORICAL,    /* non-empty, only U+0021..U+007E: compliant, legacy */
    MATRIX_LOCALPART_NONCOMPLIANT,  /* empty, or other code points: accepted in events only */
};

struct matrix_user_id {
    struct str localpart;                 /* borrowed, without "@" */
    struct str server_name;               /* borrowed */
    enum matrix_localpart_class lp_class; /* strict, historical or non-compliant */
};

/* Parses a user ID, accepting historical localparts (any UTF-8 code points
 * except ":" and NUL, even empty: spec "Historical User IDs"). Callers that
 * create users or take IDs from clients check lp_class. Returns 0 or
 * ERR_INVALID. out may be NULL. */
int matrix_user_id_parse(const char *s, size_t len, struct matrix_user_id *out);

/* True when s[0..len) is a valid localpart for a new user: non-empty, only
 * [a-z0-9._=-/+]. (Length is checked with the server name by _build.) */
bool matrix_user_localpart_valid(const char *s, size_t len);

/* Appends "@localpart:server_name" to out after checking that the localpart
 * is strict, the server name valid and the whole ID at most 255 bytes.
 * Returns 0, ERR_INVALID, or ERR_TOO_LARGE (ID too long or buffer full). */
int matrix_user_id_build(const char *localpart, const char *server_name, struct buf *out);

struct matrix_room_id {
    struct str opaque;      /* borrowed, without "!" */
    struct str server_name; /* borrowed; empty for the v12 hash form */
    bool has_domain;        /* "!opaque:domain" form */
};

/* Parses a room ID of either form. Returns 0 or ERR_INVALID. out may be NULL. */
int matrix_room_id_parse(const char *s, size_t len, struct matrix_room_id *out);

struct matrix_event_id {
    struct str opaque;      /* borrowed, without "$" */
    struct str server_name; /* borrowed; empty for hash forms */
    enum matrix_event_id_format format; /* V1 (with domain), V3 (standard b64), V4 (URL-safe) */
};

/* Parses an event ID of any room version. A 43-character hash that uses only
 * the characters both alphabets share is reported as V4. Returns 0 or
 * ERR_INVALID. out may be NULL. */
int matrix_event_id_parse(const char *s, size_t len, struct matrix_event_id *out);

/* True when s[0..len) is a valid event ID for a room using format fmt. */
bool matrix_event_id_valid_for(const char *s, size_t len, enum matrix_event_id_format fmt);

struct matrix_room_alias {
    struct str localpart;   /* borrowed, without "#" */
    struct str server_name; /* borrowed */
};

/* Parses a room alias. Returns 0 or ERR_INVALID. out may be NULL. */
int matrix_room_alias_parse(const char *s, size_t len, struct matrix_room_alias *out);

/* True for an acceptable device ID: 1..255 bytes of valid UTF-8 without
 * C0 controls or DEL. */
bool matrix_device_id_valid(const char *s, size_t len);

#endif
