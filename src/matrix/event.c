/* event.c: content hashes, reference hashes, event IDs, redaction and event
 * signatures (see event.h for the formulas and spec sections).
 *
 * Redaction keep-lists, per enum matrix_redaction_rules (room version pages,
 * "Redactions"):
 *
 *   top level  V1-V9: event_id type room_id sender state_key content hashes
 *                     signatures depth prev_events prev_state auth_events origin
 *                     origin_server_ts membership
 *              V11:   the same minus origin, prev_state and membership
 *   content    m.room.member             membership; V9+ join_authorised_via_users_server;
 *                                        V11 third_party_invite.signed
 *              m.room.create             V1-V9 creator; V11 everything
 *              m.room.join_rules         join_rule; V8+ allow
 *              m.room.power_levels       ban events events_default kick redact
 *                                        state_default users users_default; V11 invite
 *              m.room.history_visibility history_visibility
 *              m.room.aliases            V1 only: aliases
 *              m.room.redaction          V11 only: redacts
 */
#include "matrix/event.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/base64.h"
#include "crypto/sign.h"
#include "json/canonical.h"
#include "matrix/ids.h"
#include "matrix/sign.h"

/* Canonical forms of events are bounded by MATRIX_EVENT_MAX_BYTES on receipt;
 * the hashing buffer allows more so that a too-large event is reported by
 * the size check that owns that rule, not as a hashing failure. */
#define EVENT_ENCODE_MAX (MATRIX_EVENT_MAX_BYTES * 4)
/* Reserved up front for an encoding (a 1,024-byte allocation: a chat message's event is
 * 600-900 bytes, so it is not regrown from 64 bytes), and what a signed event adds to
 * its content hash's encoding (the hashes and one signature, ~190 bytes). */
enum { EVENT_ENCODE_TYPICAL = 1000, EVENT_SIGNED_EXTRA = 256 };

static const char *const top_keys_v1[] = {
    "event_id",    "type",     "room_id",     "sender", "state_key",        "content",
    "hashes",      "signatures", "depth",     "prev_events", "prev_state", "auth_events",
    "origin",      "origin_server_ts", "membership", NULL,
};
static const char *const top_keys_v11[] = {
    "event_id", "type",   "room_id",     "sender",      "state_key",        "content",
    "hashes",   "signatures", "depth",   "prev_events", "auth_events",      "origin_server_ts",
    NULL,
};

static const char *const pl_keys_v1[] = {"ban",   "events",        "events_default", "kick",
                                         "redact", "state_default", "users", "users_default",
                                         NULL};
static const char *const pl_keys_v11[] = {"ban",    "events",        "events_default", "invite",
                                          "kick",   "redact",        "state_default",  "users",
                                          "users_default", NULL};
static const char *const member_keys_v1[] = {"membership", NULL};
static const char *const member_keys_v9[] = {"membership", "join_authorised_via_users_server",
                                             NULL};
static const char *const create_keys_v1[] = {"creator", NULL};
static const char *const join_rules_keys_v1[] = {"join_rule", NULL};
static const char *const join_rules_keys_v8[] = {"join_rule", "allow", NULL};
static const char *const history_keys[] = {"history_visibility", NULL};
static const char *const aliases_keys[] = {"aliases", NULL};
static const char *const redaction_keys_v11[] = {"redacts", NULL};
static const char *const all_keys[] = {NULL}; /* marker: keep the whole content */

/* What the hashes and signatures leave out. From v3 on a PDU has no
 * "event_id" (the ID is derived from the hash); one that code elsewhere has
 * inserted for convenience is ignored rather than hashed (redact_for_signing
 * drops it from the redacted form for the same reason). */
static const char *const unsigned_keys[] = {"signatures", "unsigned", NULL};
static const char *const content_hash_skip[] = {"signatures", "unsigned", "hashes", NULL};
static const char *const content_hash_skip_v3[] = {"signatures", "unsigned", "hashes", "event_id",
                                                   NULL};

/* Returns the content keep-list for an event type under rules r, all_keys to
 * keep everything, or NULL to keep nothing. */
static const char *const *content_keys(const char *type, enum matrix_redaction_rules r)
{
    if (!type)
        return NULL;
    if (strcmp(type, "m.room.member") == 0)
        return r >= MATRIX_REDACTION_V9 ? member_keys_v9 : member_keys_v1;
    if (strcmp(type, "m.room.create") == 0)
        return r >= MATRIX_REDACTION_V11 ? all_keys : create_keys_v1;
    if (strcmp(type, "m.room.join_rules") == 0)
        return r >= MATRIX_REDACTION_V8 ? join_rules_keys_v8 : join_rules_keys_v1;
    if (strcmp(type, "m.room.power_levels") == 0)
        return r >= MATRIX_REDACTION_V11 ? pl_keys_v11 : pl_keys_v1;
    if (strcmp(type, "m.room.history_visibility") == 0)
        return history_keys;
    if (strcmp(type, "m.room.aliases") == 0)
        return r == MATRIX_REDACTION_V1 ? aliases_keys : NULL;
    if (strcmp(type, "m.room.redaction") == 0)
        return r >= MATRIX_REDACTION_V11 ? redaction_keys_v11 : NULL;
    return NULL;
}

/* A value of the redacted form: a copy, or (shared) the event's own value. */
static json_t *kept(const json_t *v, bool shared)
{
    return shared ? json_incref((json_t *)v) : json_deep_copy(v);
}

static void copy_keys(json_t *dst, const json_t *src, const char *const *keys, bool shared)
{
    for (size_t i = 0; keys[i]; i++) {
        const json_t *v = json_object_get(src, keys[i]);
        if (v)
            json_object_set_new(dst, keys[i], kept(v, shared));
    }
}

/* matrix_event_redact; shared: the result's values below its top level and its
 * content's are the event's own (for encoding it, not for changing them). */
static int redact(const json_t *event, const struct matrix_room_version *v, bool shared,
                  json_t **out)
{
    if (!json_is_object(event))
        return ERR_INVALID;
    enum matrix_redaction_rules r = v->redaction;
    json_t *red = json_object();
    copy_keys(red, event, r >= MATRIX_REDACTION_V11 ? top_keys_v11 : top_keys_v1, shared);

    const json_t *content = json_object_get(event, "content");
    json_t *new_content = json_object();
    const char *const *keep = content_keys(json_string_value(json_object_get(event, "type")), r);
    if (json_is_object(content) && keep) {
        if (keep == all_keys) {
            json_decref(new_content);
            new_content = shared ? json_copy((json_t *)content) : json_deep_copy(content);
        } else {
            copy_keys(new_content, content, keep, shared);
        }
        /* v11: m.room.member keeps third_party_invite.signed (and nothing else of it). */
        if (r >= MATRIX_REDACTION_V11 && keep == member_keys_v9) {
            const json_t *tpi = json_object_get(content, "third_party_invite");
            const json_t *signed_ = json_object_get(tpi, "signed");
            if (json_is_object(tpi) && signed_)
                json_object_set_new(new_content, "third_party_invite",
                                    json_pack("{s:o}", "signed", kept(signed_, shared)));
        }
    }
    json_object_set_new(red, "content", new_content);
    *out = red;
    return 0;
}

int matrix_event_redact(const json_t *event, const struct matrix_room_version *v, json_t **out)
{
    return redact(event, v, false, out);
}

/* The redacted form that signatures and the reference hash cover: v3+
 * without any "event_id" (see unsigned_keys_v3). Its values are shared with
 * the event (nothing below its top level is changed: matrix_json_sign_hash
 * adds a key to "signatures", which a signed event then takes over anyway). */
static int redact_for_signing(const json_t *event, const struct matrix_room_version *v,
                              json_t **out)
{
    int rc = redact(event, v, true, out);
    if (rc == 0 && !v->event_id_in_pdu)
        json_object_del(*out, "event_id");
    return rc;
}

/* sha256 over the canonical encoding of obj without the top-level skip keys. */
static int hash_without(const json_t *obj, const char *const *skip,
                        unsigned char out[CRYPTO_SHA256_BYTES])
{
    struct buf b;
    buf_init(&b, EVENT_ENCODE_MAX);
    int rc = json_canonical_encode_without(obj, skip, &b);
    if (rc == 0)
        crypto_sha256(b.data, b.len, out);
    buf_fini(&b);
    return rc;
}

int matrix_event_content_hash(const json_t *event, const struct matrix_room_version *v,
                              unsigned char out[CRYPTO_SHA256_BYTES])
{
    return hash_without(event, v->event_id_in_pdu ? content_hash_skip : content_hash_skip_v3, out);
}

int matrix_event_add_content_hash(json_t *event, const struct matrix_room_version *v)
{
    unsigned char h[CRYPTO_SHA256_BYTES];
    int rc = matrix_event_content_hash(event, v, h);
    if (rc != 0)
        return rc;
    char b64[64];
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, h, sizeof(h), b64);
    json_object_set_new(event, "hashes", json_pack("{s:s}", "sha256", b64));
    return 0;
}

int matrix_event_check_content_hash(const json_t *event, const struct matrix_room_version *v)
{
    const json_t *given = json_object_get(json_object_get(event, "hashes"), "sha256");
    if (!json_is_string(given))
        return ERR_INVALID;
    unsigned char want[CRYPTO_SHA256_BYTES];
    size_t n = 0;
    if (crypto_base64_decode(CRYPTO_BASE64_STANDARD, json_string_value(given),
                             json_string_length(given), want, sizeof(want), &n) != 0 ||
        n != sizeof(want))
        return ERR_INVALID;
    unsigned char got[CRYPTO_SHA256_BYTES];
    int rc = matrix_event_content_hash(event, v, got);
    if (rc != 0)
        return rc;
    return memcmp(got, want, sizeof(got)) == 0 ? 0 : ERR_FORBIDDEN;
}

int matrix_event_reference_hash(const json_t *event, const struct matrix_room_version *v,
                                unsigned char out[CRYPTO_SHA256_BYTES])
{
    json_t *red = NULL;
    int rc = redact_for_signing(event, v, &red);
    if (rc != 0)
        return rc;
    rc = hash_without(red, unsigned_keys, out);
    json_decref(red);
    return rc;
}

/* "$" and the reference hash in the version's base64 alphabet. */
static void id_from_hash(const struct matrix_room_version *v,
                         const unsigned char h[CRYPTO_SHA256_BYTES],
                         char out[MATRIX_EVENT_ID_HASH_LEN])
{
    out[0] = '$';
    crypto_base64_encode(v->event_id_format == MATRIX_EVENT_ID_V3 ? CRYPTO_BASE64_STANDARD
                                                                  : CRYPTO_BASE64_URLSAFE,
                         h, CRYPTO_SHA256_BYTES, out + 1);
}

int matrix_event_compute_id(const json_t *event, const struct matrix_room_version *v,
                            char out[MATRIX_EVENT_ID_HASH_LEN])
{
    if (v->event_id_format == MATRIX_EVENT_ID_V1)
        return ERR_UNSUPPORTED;
    unsigned char h[CRYPTO_SHA256_BYTES];
    int rc = matrix_event_reference_hash(event, v, h);
    if (rc != 0)
        return rc;
    id_from_hash(v, h, out);
    return 0;
}

int matrix_event_sign(json_t *event, const struct matrix_room_version *v, const char *server_name,
                      const struct signing_key *key)
{
    return matrix_event_sign_id(event, v, server_name, key, NULL);
}

/* The signed bytes (the redacted event without signatures and unsigned) are
 * exactly what the reference hash covers: one redaction and one encoding
 * give both the signature and the ID. */
/* matrix_event_sign_id once the content hash is in place. */
static int sign_hashed(json_t *event, const struct matrix_room_version *v,
                       const char *server_name, const struct signing_key *key,
                       char id[MATRIX_EVENT_ID_HASH_LEN])
{
    json_t *red = NULL;
    unsigned char h[CRYPTO_SHA256_BYTES];
    int rc = redact_for_signing(event, v, &red);
    if (rc == 0)
        rc = matrix_json_sign_hash(red, server_name, key, h);
    if (rc == 0)
        json_object_set(event, "signatures", json_object_get(red, "signatures"));
    if (rc == 0 && id)
        id_from_hash(v, h, id);
    json_decref(red);
    return rc;
}

int matrix_event_sign_id(json_t *event, const struct matrix_room_version *v,
                         const char *server_name, const struct signing_key *key,
                         char id[MATRIX_EVENT_ID_HASH_LEN])
{
    if (id && v->event_id_format == MATRIX_EVENT_ID_V1)
        return ERR_UNSUPPORTED;
    int rc = matrix_event_add_content_hash(event, v);
    return rc ? rc : sign_hashed(event, v, server_name, key, id);
}

/* content_hash_skip_v3 in byte order, for json_canonical_encode_marked. */
static const char *const content_hash_marks[] = {"event_id", "hashes", "signatures", "unsigned",
                                                 NULL};
enum { MARK_HASHES = 1, MARK_SIGNATURES = 2 };

int matrix_event_sign_encode(json_t *event, const struct matrix_room_version *v,
                             const char *server_name, const struct signing_key *key,
                             char id[MATRIX_EVENT_ID_HASH_LEN], struct buf *encoded)
{
    if (v->event_id_format == MATRIX_EVENT_ID_V1 || v->event_id_in_pdu)
        return ERR_UNSUPPORTED;
    size_t marks[4];
    struct buf b;
    buf_init(&b, EVENT_ENCODE_MAX);
    int rc = buf_reserve(&b, EVENT_ENCODE_TYPICAL); /* one allocation for most events */
    if (rc == 0)
        rc = json_canonical_encode_marked(event, content_hash_marks, marks, &b);
    if (rc == 0) {
        unsigned char h[CRYPTO_SHA256_BYTES];
        char b64[64];
        crypto_sha256(b.data, b.len, h);
        crypto_base64_encode(CRYPTO_BASE64_STANDARD, h, sizeof(h), b64);
        json_object_set_new(event, "hashes", json_pack("{s:s}", "sha256", b64));
        rc = sign_hashed(event, v, server_name, key, id);
    }
    if (rc == 0 && !json_object_get(event, "event_id") && !json_object_get(event, "unsigned")) {
        const char *const keys[] = {"hashes", "signatures"};
        const size_t at[] = {marks[MARK_HASHES], marks[MARK_SIGNATURES]};
        json_t *const values[] = {json_object_get(event, "hashes"),
                                  json_object_get(event, "signatures")};
        rc = buf_reserve(encoded, b.len + EVENT_SIGNED_EXTRA);
        if (rc == 0)
            rc = json_canonical_insert(b.data, b.len, keys, at, values, 2, encoded);
    } else if (rc == 0) { /* keys the content hash left out besides those two */
        rc = json_canonical_encode(event, encoded);
    }
    buf_fini(&b);
    return rc;
}

int matrix_event_verify_signature(const json_t *event, const struct matrix_room_version *v,
                                  const char *server_name, const char *key_id,
                                  const unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES])
{
    json_t *red = NULL;
    int rc = redact_for_signing(event, v, &red);
    if (rc != 0)
        return rc;
    rc = matrix_json_verify(red, server_name, key_id, public_key);
    json_decref(red);
    return rc;
}

int matrix_event_check_signed_by(const json_t *event, const struct matrix_room_version *v,
                                 const char *server_name, matrix_key_lookup_fn lookup, void *ctx)
{
    json_t *red = NULL;
    struct buf bytes;
    int verified = 0;
    int rc = redact_for_signing(event, v, &red);
    if (rc != 0)
        return rc;
    buf_init(&bytes, EVENT_ENCODE_MAX);
    rc = json_canonical_encode_without(red, unsigned_keys, &bytes);
    if (rc != 0)
        goto out;

    int64_t ts = -1;
    if (v->enforce_key_validity) {
        const json_t *t = json_object_get(event, "origin_server_ts");
        ts = json_is_integer(t) ? (int64_t)json_integer_value(t) : 0;
    }
    const json_t *mine = json_object_get(json_object_get(event, "signatures"), server_name);
    const char *key_id;
    const json_t *sig_json;
    /* json_object_foreach needs a non-const object; it does not modify it. */
    json_object_foreach((json_t *)mine, key_id, sig_json)
    {
        if (strncmp(key_id, "ed25519:", 8) != 0)
            continue; /* an algorithm we do not understand */
        unsigned char pk[CRYPTO_KEY_PUBLIC_BYTES];
        int lrc = lookup(ctx, server_name, key_id, ts, pk);
        if (lrc == ERR_NOT_FOUND)
            continue; /* unknown or expired key: skipped */
        if (lrc != 0) {
            rc = lrc;
            goto out;
        }
        unsigned char sig[CRYPTO_SIGNATURE_BYTES];
        size_t n = 0;
        if (!json_is_string(sig_json) ||
            crypto_base64_decode(CRYPTO_BASE64_STANDARD, json_string_value(sig_json),
                                 json_string_length(sig_json), sig, sizeof(sig), &n) != 0 ||
            n != sizeof(sig) || !crypto_ed25519_verify(pk, bytes.data, bytes.len, sig)) {
            rc = ERR_FORBIDDEN;
            goto out;
        }
        verified++;
    }
    rc = verified > 0 ? 0 : ERR_FORBIDDEN;

out:
    buf_fini(&bytes);
    json_decref(red);
    return rc;
}

/* Copies the server name of a sigil ID (user or v1 event ID) into out. */
static int server_of(const char *id, char *out, size_t out_size, bool user)
{
    struct str server;
    if (!id)
        return ERR_INVALID;
    if (user) {
        struct matrix_user_id u;
        if (matrix_user_id_parse(id, strlen(id), &u) != 0)
            return ERR_INVALID;
        server = u.server_name;
    } else {
        struct matrix_event_id e;
        if (matrix_event_id_parse(id, strlen(id), &e) != 0 || e.format != MATRIX_EVENT_ID_V1)
            return ERR_INVALID;
        server = e.server_name;
    }
    if (server.len >= out_size)
        return ERR_INVALID;
    memcpy(out, server.ptr, server.len);
    out[server.len] = '\0';
    return 0;
}

static bool is_third_party_invite(const json_t *event)
{
    const char *type = json_string_value(json_object_get(event, "type"));
    const json_t *content = json_object_get(event, "content");
    const char *membership = json_string_value(json_object_get(content, "membership"));
    return type && strcmp(type, "m.room.member") == 0 && membership &&
           strcmp(membership, "invite") == 0 &&
           json_object_get(content, "third_party_invite") != NULL;
}

int matrix_event_check_pdu(const json_t *event, const struct matrix_room_version *v,
                           matrix_key_lookup_fn lookup, void *ctx,
                           enum matrix_pdu_verdict *verdict, json_t **redacted)
{
    char sender_server[MATRIX_ID_MAX_BYTES + 1];
    if (!json_is_object(event))
        return ERR_INVALID;
    int rc = server_of(json_string_value(json_object_get(event, "sender")), sender_server,
                       sizeof(sender_server), true);
    if (rc != 0)
        return rc;
    char id_server[MATRIX_ID_MAX_BYTES + 1] = "";
    if (v->event_id_in_pdu) {
        rc = server_of(json_string_value(json_object_get(event, "event_id")), id_server,
                       sizeof(id_server), false);
        if (rc != 0)
            return rc;
    }
    if (!is_third_party_invite(event)) {
        rc = matrix_event_check_signed_by(event, v, sender_server, lookup, ctx);
        if (rc != 0)
            return rc;
    }
    if (id_server[0] && strcmp(id_server, sender_server) != 0) {
        rc = matrix_event_check_signed_by(event, v, id_server, lookup, ctx);
        if (rc != 0)
            return rc;
    }

    rc = matrix_event_check_content_hash(event, v);
    if (rc == 0) {
        *verdict = MATRIX_PDU_OK;
        if (redacted)
            *redacted = NULL;
        return 0;
    }
    if (rc != ERR_FORBIDDEN && rc != ERR_INVALID)
        return rc;
    /* Missing or wrong hash: assume we were given a redacted copy. */
    *verdict = MATRIX_PDU_REDACT;
    if (redacted) {
        rc = matrix_event_redact(event, v, redacted);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static bool strict_json(const json_t *value, int depth)
{
    if (depth > JSON_CANONICAL_MAX_DEPTH)
        return false;
    switch (json_typeof(value)) {
    case JSON_REAL:
        return false;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(value);
        return i <= JSON_CANONICAL_INT_MAX && i >= -JSON_CANONICAL_INT_MAX;
    }
    case JSON_ARRAY:
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (!strict_json(json_array_get(value, i), depth + 1))
                return false;
        }
        return true;
    case JSON_OBJECT: {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)value, key, member)
        {
            if (!strict_json(member, depth + 1))
                return false;
        }
        return true;
    }
    default:
        return true;
    }
}

bool matrix_event_json_is_strict(const json_t *value)
{
    return value != NULL && strict_json(value, 0);
}
