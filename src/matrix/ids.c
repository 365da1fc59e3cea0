/* ids.c: Matrix identifier grammar (spec appendices, "Identifier Grammar",
 * "Server Name", "Historical User IDs", room version pages for event IDs).
 *
 * Parsing is deliberately as tolerant as the spec says servers must be
 * (historical localparts, any opaque part), while building new IDs is strict.
 * No I/O; the fuzz harness tests/fuzz/ids_fuzz.c calls every parser. */
#include "matrix/ids.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/err.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each 0..255. */
static bool ipv4_valid(const char *s, size_t len)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        unsigned value = 0;
        while (i < len && is_digit(s[i]) && i - start < 3) {
            value = value * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == start || value > 255)
            return false;
    }
    return i == len;
}

/* IPv6address = 2*45IPv6char (0-9 A-F a-f : .), and a real RFC 3513 address. */
static bool ipv6_valid(const char *s, size_t len)
{
    if (len < 2 || len > 45)
        return false;
    char tmp[46];
    for (size_t i = 0; i < len; i++) {
        if (!is_hex(s[i]) && s[i] != ':' && s[i] != '.')
            return false;
        tmp[i] = s[i];
    }
    tmp[len] = '\0';
    unsigned char addr[16];
    return inet_pton(AF_INET6, tmp, addr) == 1;
}

/* dns-name = 1*255dns-char; dns-char = DIGIT / ALPHA / "-" / "." */
static bool dns_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]) && !is_alpha(s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    }
    return true;
}

int matrix_server_name_parse(const char *s, size_t len, struct matrix_server_name *out)
{
    struct matrix_server_name r = {0};
    size_t host_end = 0; /* index just past the hostname */
    if (!s || len == 0)
        return ERR_INVALID;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return ERR_INVALID;
        host_end = (size_t)(close - s) + 1;
        r.kind = MATRIX_HOST_IPV6;
        r.host.ptr = s + 1;
        r.host.len = host_end - 2;
        if (!ipv6_valid(r.host.ptr, r.host.len))
            return ERR_INVALID;
    } else {
        const char *colon = memchr(s, ':', len);
        host_end = colon ? (size_t)(colon - s) : len;
        r.host.ptr = s;
        r.host.len = host_end;
        if (ipv4_valid(s, host_end))
            r.kind = MATRIX_HOST_IPV4;
        else if (dns_name_valid(s, host_end))
            r.kind = MATRIX_HOST_DNS;
        else
            return ERR_INVALID;
    }
    if (host_end < len) {
        /* ":" port, port = 1*5DIGIT */
        if (s[host_end] != ':')
            return ERR_INVALID;
        size_t digits = len - host_end - 1;
        if (digits == 0 || digits > 5)
            return ERR_INVALID;
        uint32_t port = 0;
        for (size_t i = host_end + 1; i < len; i++) {
            if (!is_digit(s[i]))
                return ERR_INVALID;
            port = port * 10 + (uint32_t)(s[i] - '0');
        }
        r.port = port;
        r.has_port = true;
    }
    if (out)
        *out = r;
    return 0;
}

bool matrix_server_name_valid(const char *s, size_t len)
{
    return matrix_server_name_parse(s, len, NULL) == 0;
}

/* Splits sigil + opaque ":" server_name at the first ':'; checks the sigil,
 * the 255-byte limit, UTF-8 and NUL in the opaque part, and the server name. */
static int split_sigil_id(const char *s, size_t len, char sigil, struct str *opaque,
                          struct str *server)
{
    if (!s || len < 3 || len > MATRIX_ID_MAX_BYTES || s[0] != sigil)
        return ERR_INVALID;
    const char *colon = memchr(s + 1, ':', len - 1);
    if (!colon)
        return ERR_INVALID;
    opaque->ptr = s + 1;
    opaque->len = (size_t)(colon - s) - 1;
    server->ptr = colon + 1;
    server->len = len - (size_t)(colon - s) - 1;
    if (memchr(opaque->ptr, '\0', opaque->len) || !str_utf8_valid(opaque->ptr, opaque->len))
        return ERR_INVALID;
    if (!matrix_server_name_valid(server->ptr, server->len))
        return ERR_INVALID;
    return 0;
}

static bool strict_localpart_char(char c)
{
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' || c == '=' ||
           c == '-' || c == '/' || c == '+';
}

bool matrix_user_localpart_valid(const char *s, size_t len)
{
    if (!s || len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!strict_localpart_char(s[i]))
            return false;
    }
    return true;
}

int matrix_user_id_parse(const char *s, size_t len, struct matrix_user_id *out)
{
    struct matrix_user_id r;
    /* "@:x" (empty localpart) is a legal historical ID: allow len 3. */
    int rc = split_sigil_id(s, len, '@', &r.localpart, &r.server_name);
    if (rc != 0)
        return rc;
    if (matrix_user_localpart_valid(r.localpart.ptr, r.localpart.len)) {
        r.lp_class = MATRIX_LOCALPART_STRICT;
    } else {
        r.lp_class = r.localpart.len > 0 ? MATRIX_LOCALPART_HISTORICAL
                                         : MATRIX_LOCALPART_NONCOMPLIANT;
        for (size_t i = 0; i < r.localpart.len; i++) {
            unsigned char c = (unsigned char)r.localpart.ptr[i];
            if (c < 0x21 || c > 0x7e) {
                r.lp_class = MATRIX_LOCALPART_NONCOMPLIANT;
                break;
            }
        }
    }
    if (out)
        *out = r;
    return 0;
}

int matrix_user_id_build(const char *localpart, const char *server_name, struct buf *out)
{
    if (!localpart || !server_name)
        return ERR_INVALID;
    size_t lp = strlen(localpart);
    size_t sn = strlen(server_name);
    if (!matrix_user_localpart_valid(localpart, lp) ||
        !matrix_server_name_valid(server_name, sn))
        return ERR_INVALID;
    if (lp + sn + 2 > MATRIX_ID_MAX_BYTES)
        return ERR_TOO_LARGE;
    return buf_printf(out, "@%s:%s", localpart, server_name);
}

/* 0: not a hash; 1: characters shared by both alphabets only; 3: standard
 * alphabet ('+' or '/'); 4: URL-safe alphabet ('-' or '_'). Mixed: 0. */
static int hash_alphabet(const char *s, size_t len)
{
    bool std = false;
    bool url = false;
    if (len != 43)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (is_alpha(c) || is_digit(c))
            continue;
        if (c == '+' || c == '/')
            std = true;
        else if (c == '-' || c == '_')
            url = true;
        else
            return 0;
    }
    if (std && url)
        return 0;
    return std ? 3 : url ? 4 : 1;
}

int matrix_room_id_parse(const char *s, size_t len, struct matrix_room_id *out)
{
    struct matrix_room_id r = {0};
    if (!s || len < 2 || s[0] != '!')
        return ERR_INVALID;
    if (!memchr(s, ':', len)) {
        /* v12: "!" + the create event's ID (URL-safe unpadded base64 of a sha256). */
        int a = hash_alphabet(s + 1, len - 1);
        if (a != 1 && a != 4)
            return ERR_INVALID;
        r.opaque.ptr = s + 1;
        r.opaque.len = len - 1;
        r.server_name.ptr = s + len;
    } else {
        int rc = split_sigil_id(s, len, '!', &r.opaque, &r.server_name);
        if (rc != 0)
            return rc;
        r.has_domain = true;
    }
    if (out)
        *out = r;
    return 0;
}

int matrix_event_id_parse(const char *s, size_t len, struct matrix_event_id *out)
{
    struct matrix_event_id r = {0};
    if (!s || len < 2 || len > MATRIX_ID_MAX_BYTES || s[0] != '$')
        return ERR_INVALID;
    if (memchr(s, ':', len)) {
        int rc = split_sigil_id(s, len, '$', &r.opaque, &r.server_name);
        if (rc != 0)
            return rc;
        if (r.opaque.len == 0)
            return ERR_INVALID;
        r.format = MATRIX_EVENT_ID_V1;
    } else {
        int a = hash_alphabet(s + 1, len - 1);
        if (a == 0)
            return ERR_INVALID;
        r.opaque.ptr = s + 1;
        r.opaque.len = len - 1;
        r.server_name.ptr = s + len;
        r.format = a == 3 ? MATRIX_EVENT_ID_V3 : MATRIX_EVENT_ID_V4;
    }
    if (out)
        *out = r;
    return 0;
}

bool matrix_event_id_valid_for(const char *s, size_t len, enum matrix_event_id_format fmt)
{
    struct matrix_event_id id;
    if (matrix_event_id_parse(s, len, &id) != 0)
        return false;
    if (fmt == MATRIX_EVENT_ID_V1)
        return id.format == MATRIX_EVENT_ID_V1;
    if (id.format == MATRIX_EVENT_ID_V1)
        return false;
    int a = hash_alphabet(id.opaque.ptr, id.opaque.len);
    return a == 1 || (fmt == MATRIX_EVENT_ID_V3 ? a == 3 : a == 4);
}

int matrix_room_alias_parse(const char *s, size_t len, struct matrix_room_alias *out)
{
    struct matrix_room_alias r;
    int rc = split_sigil_id(s, len, '#', &r.localpart, &r.server_name);
    if (rc != 0)
        return rc;
    if (out)
        *out = r;
    return 0;
}

bool matrix_device_id_valid(const char *s, size_t len)
{
    if (!s || len == 0 || len > MATRIX_ID_MAX_BYTES || !str_utf8_valid(s, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}
