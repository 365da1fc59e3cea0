/* canonical.h: Matrix canonical JSON, the byte form that hashes and signatures cover.
 *
 * Spec: appendices, "Canonical JSON". The encoding of a jansson value is:
 *   - no insignificant whitespace;
 *   - object keys sorted by Unicode code point (= UTF-8 byte order);
 *   - integers only, within [-(2^53)+1, 2^53-1]; reals (floats) are refused;
 *   - strings: '"' and '\' escaped, control characters U+0000..U+001F written as
 *     \b \f \n \r \t where such a short form exists, else \u00XX (lowercase hex);
 *     every other character, U+007F and U+2028 included, as literal UTF-8;
 *   - true, false, null as themselves.
 * Strings and keys must be valid UTF-8 (jansson guarantees this unless built
 * with *_nocheck). Nesting is limited to JSON_CANONICAL_MAX_DEPTH.
 * Pure, thread-safe for values no other thread modifies. */
#ifndef RELAIS_JSON_CANONICAL_H
#define RELAIS_JSON_CANONICAL_H

#include <jansson.h>

#include "base/buf.h"

#define JSON_CANONICAL_MAX_DEPTH 256 /* nested arrays/objects */
#define JSON_CANONICAL_INT_MAX 9007199254740991LL /* 2^53 - 1 */

/* Appends the canonical encoding of value (borrowed) to out. Returns 0;
 * ERR_INVALID for a real, an integer out of range, invalid UTF-8 or a NULL
 * value; ERR_TOO_LARGE when out's ceiling is reached or nesting is deeper than
 * JSON_CANONICAL_MAX_DEPTH. On error out may hold a partial encoding. */
int json_canonical_encode(const json_t *value, struct buf *out);

/* Like json_canonical_encode for an object, leaving out the top-level keys
 * named in skip (a NULL-terminated array of NUL-terminated names; borrowed).
 * ERR_INVALID when value is not an object. Used to hash or sign an object
 * without "signatures", "unsigned" or "hashes" without copying it. */
int json_canonical_encode_without(const json_t *value, const char *const *skip,
                                  struct buf *out);

/* json_canonical_encode_without (skip sorted in byte order) that also sets marks[i]
 * to the offset, from the start of this encoding, at which a member named skip[i]
 * belongs: json_canonical_insert then adds such members without encoding the rest
 * again (an event encoded for its content hash, then with its hashes and
 * signatures). */
int json_canonical_encode_marked(const json_t *value, const char *const *skip, size_t *marks,
                                 struct buf *out);
/* Appends to out the object encoding enc (enc_len bytes, from
 * json_canonical_encode_marked) with the n members keys[i]: values[i] inserted at
 * marks[i]; keys in byte order, each absent from enc, with their marks from the same
 * call. Errors as json_canonical_encode (for the values). */
int json_canonical_insert(const char *enc, size_t enc_len, const char *const *keys,
                          const size_t *marks, json_t *const *values, size_t n, struct buf *out);

#endif
