/* base64.h: unpadded base64, standard (RFC 4648 section 4) and URL-safe (section 5).
 *
 * Matrix writes base64 without '=' padding everywhere (appendices, "Unpadded
 * Base64"): keys, signatures, hashes; event IDs of room versions 4+ use the
 * URL-safe alphabet. Encoding never pads. Decoding accepts input with or
 * without correct padding, rejects characters outside the chosen alphabet and
 * a length of 4n+1; unused low bits of the last character are ignored.
 * Pure functions, thread-safe. */
#ifndef RELAIS_CRYPTO_BASE64_H
#define RELAIS_CRYPTO_BASE64_H

#include <stddef.h>

enum crypto_base64_variant {
    CRYPTO_BASE64_STANDARD, /* A-Z a-z 0-9 + / */
    CRYPTO_BASE64_URLSAFE,  /* A-Z a-z 0-9 - _ */
};

/* Length of the unpadded encoding of n bytes, without a NUL: ceil(4n/3). */
size_t crypto_base64_encoded_len(size_t n);

/* Largest number of bytes that text of len characters can decode to. */
size_t crypto_base64_decoded_max(size_t len);

/* Encodes in[0..len) into out, which the caller sizes to
 * crypto_base64_encoded_len(len) + 1; out is NUL-terminated. */
void crypto_base64_encode(enum crypto_base64_variant v, const void *in, size_t len, char *out);

/* Appends the unpadded encoding of in[0..len) to out. Returns 0 or ERR_TOO_LARGE. */
struct buf;
int crypto_base64_append(struct buf *out, enum crypto_base64_variant v, const void *in,
                         size_t len);

/* Decodes text[0..len) into out[0..out_cap); *out_len gets the byte count.
 * Returns 0, ERR_INVALID for malformed text, ERR_TOO_LARGE when out_cap is too
 * small (nothing useful is left in out then). */
int crypto_base64_decode(enum crypto_base64_variant v, const char *text, size_t len,
                         unsigned char *out, size_t out_cap, size_t *out_len);

#endif
