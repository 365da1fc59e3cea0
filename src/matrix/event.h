/* event.h: event hashes, event IDs, redaction, and event signatures.
 *
 * Spec: server-server API "Signing Events" (content hash, reference hash,
 * adding and validating hashes and signatures), room version pages
 * ("Redactions", "Event IDs"), appendices "Signing JSON".
 *
 *   content hash    sha256(canonical(event - unsigned - signatures - hashes)),
 *                   stored as hashes.sha256 (unpadded base64)
 *   redacted form   the event with only the version's protected keys (redact())
 *   signature       ed25519 over canonical(redacted form - signatures - unsigned)
 *   reference hash  sha256(canonical(redacted form - signatures - unsigned))
 *   event ID        v3: "$" + base64(ref hash); v4+: "$" + URL-safe base64(ref hash);
 *                   v1-2: chosen by the origin server and carried in the PDU
 *
 * Events are jansson objects in the federation (PDU) format. From v3 on a PDU
 * carries no "event_id"; hashes and signatures here ignore a top-level
 * "event_id" in v3+ events, so callers may insert the computed ID (as the
 * auth code expects) without breaking them. matrix_event_redact() itself
 * keeps "event_id" as the spec's keep-lists say. None of this does I/O; key
 * lookup is a callback. Thread-safe for events no other thread modifies. */
#ifndef RELAIS_MATRIX_EVENT_H
#define RELAIS_MATRIX_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "crypto/hash.h"
#include "crypto/keyring.h"
#include "matrix/versions.h"

#define MATRIX_EVENT_MAX_BYTES 65536 /* a PDU's canonical JSON may not be larger */
#define MATRIX_EVENT_ID_HASH_LEN 45  /* "$" + 43 base64 characters + NUL */

/* Returns in *out (owned: json_decref) a new object, the redacted form of
 * event (borrowed) under v's redaction rules: only the protected top-level
 * keys, and "content" reduced to the protected keys of the event's type
 * ("content" is always present, {} when the event had none). Shares no
 * mutable structure with event (values are deep-copied). Returns 0 or
 * ERR_INVALID when event is not an object. */
int matrix_event_redact(const json_t *event, const struct matrix_room_version *v, json_t **out);

/* Computes the content hash of event (borrowed) into out. Returns 0,
 * ERR_INVALID (not an object, or not encodable: floats, huge integers) or
 * ERR_TOO_LARGE (canonical form above MATRIX_EVENT_MAX_BYTES * 4; the size rule
 * itself is checked by the caller). */
int matrix_event_content_hash(const json_t *event, const struct matrix_room_version *v,
                              unsigned char out[CRYPTO_SHA256_BYTES]);

/* Computes the content hash and stores it as event.hashes.sha256 (replacing
 * the "hashes" object). Same errors as matrix_event_content_hash. */
int matrix_event_add_content_hash(json_t *event, const struct matrix_room_version *v);

/* Checks event.hashes.sha256 against the content hash. Returns 0 when they
 * match, ERR_FORBIDDEN when they differ (the caller must then use the redacted
 * form), ERR_INVALID when hashes.sha256 is missing or not base64 of 32 bytes. */
int matrix_event_check_content_hash(const json_t *event, const struct matrix_room_version *v);

/* Computes the reference hash of event under v. Same errors as
 * matrix_event_content_hash. */
int matrix_event_reference_hash(const json_t *event, const struct matrix_room_version *v,
                                unsigned char out[CRYPTO_SHA256_BYTES]);

/* Writes the event ID of event ("$" + 43 characters, NUL-terminated) into
 * out for room versions whose IDs are hashes (v3+). Returns 0,
 * ERR_UNSUPPORTED for v1-2 (the ID is in the PDU's "event_id"), or the errors
 * of matrix_event_reference_hash. */
int matrix_event_compute_id(const json_t *event, const struct matrix_room_version *v,
                            char out[MATRIX_EVENT_ID_HASH_LEN]);

/* Signs an outgoing event in place: adds the content hash, signs the redacted
 * form with key as server_name, and copies the signature into
 * event.signatures (keeping others). Do this after every other key is final
 * ("unsigned" excepted). Returns 0, ERR_INVALID, ERR_TOO_LARGE. */
int matrix_event_sign(json_t *event, const struct matrix_room_version *v, const char *server_name,
                      const struct signing_key *key);
/* matrix_event_sign that also writes the event's ID (as
 * matrix_event_compute_id on the signed event) into id when not NULL, from
 * the same redaction and encoding. ERR_UNSUPPORTED for an ID in v1-2. */
int matrix_event_sign_id(json_t *event, const struct matrix_room_version *v,
                         const char *server_name, const struct signing_key *key,
                         char id[MATRIX_EVENT_ID_HASH_LEN]);
/* matrix_event_sign_id for v3+ (ERR_UNSUPPORTED before) that also appends the signed
 * event's canonical JSON (json_canonical_encode of it) to encoded, made from the
 * content hash's encoding with the hashes and signatures spliced in rather than by
 * encoding the event again. */
int matrix_event_sign_encode(json_t *event, const struct matrix_room_version *v,
                             const char *server_name, const struct signing_key *key,
                             char id[MATRIX_EVENT_ID_HASH_LEN], struct buf *encoded);

/* Checks one signature signatures.<server_name>.<key_id> on the redacted form
 * of event. Returns as matrix_json_verify: 0, ERR_NOT_FOUND, ERR_INVALID,
 * ERR_FORBIDDEN. */
int matrix_event_verify_signature(const json_t *event, const struct matrix_room_version *v,
                                  const char *server_name, const char *key_id,
                                  const unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES]);

/* Finds the verify key server_name/key_id valid at ts_ms (ts_ms < 0: any
 * time) and writes it to public_key. Returns 0, or ERR_NOT_FOUND when the key
 * is unknown or expired at ts_ms (the signature is then skipped). Any other
 * error aborts the check. Called on the checking thread; ctx is the caller's. */
typedef int (*matrix_key_lookup_fn)(void *ctx, const char *server_name, const char *key_id,
                                    int64_t ts_ms, unsigned char public_key[CRYPTO_KEY_PUBLIC_BYTES]);

/* True when event is validly signed by server_name: its "signatures" entry
 * for server_name has at least one ed25519 signature by a key lookup() knows,
 * and every such known-key signature verifies (spec appendices, "Checking for
 * a Signature"; unknown or expired keys are skipped). For room versions with
 * enforce_key_validity the lookup gets the event's origin_server_ts. Returns
 * 0 when signed, ERR_FORBIDDEN when not (or a bad signature), ERR_INVALID for
 * an event that cannot be redacted or encoded, or the lookup's own error. */
int matrix_event_check_signed_by(const json_t *event, const struct matrix_room_version *v,
                                 const char *server_name, matrix_key_lookup_fn lookup, void *ctx);

/* What matrix_event_check_pdu concluded about a received PDU. */
enum matrix_pdu_verdict {
    MATRIX_PDU_OK,     /* signatures and content hash are good: use the event as received */
    MATRIX_PDU_REDACT, /* signatures good, content hash wrong: use the redacted form */
};

/* Steps 2 and 3 of "Checks performed on receipt of a PDU": requires valid
 * signatures from the sender's server (v1-2: also from the event_id's server
 * when it differs; 3rd-party invites: sender's server not required), then
 * checks the content hash. On success *verdict says which copy to use and,
 * for MATRIX_PDU_REDACT, *redacted (owned, may be NULL when not wanted) gets
 * the redacted form. Returns 0; ERR_FORBIDDEN when a required signature is
 * missing or bad (drop the event); ERR_INVALID for a malformed event
 * (no string "sender", unparsable IDs, unencodable JSON); lookup errors. */
int matrix_event_check_pdu(const json_t *event, const struct matrix_room_version *v,
                           matrix_key_lookup_fn lookup, void *ctx,
                           enum matrix_pdu_verdict *verdict, json_t **redacted);

/* True when value contains no reals and only integers within the canonical
 * range [-(2^53)+1, 2^53-1], at any depth: what room versions with
 * strict_canonical_json (v6+) require of events. */
bool matrix_event_json_is_strict(const json_t *value);

#endif
