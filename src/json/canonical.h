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

#endif
