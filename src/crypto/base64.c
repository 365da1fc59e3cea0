/* base64.c: unpadded base64 in both alphabets (spec appendices, "Unpadded Base64").
 *
 * Written by hand rather than with sodium_bin2base64 because Matrix needs
 * decoding to accept both padded and unpadded input and to ignore non-zero
 * unused bits (the spec's own test seed "...XA1" has them), which libsodium's
 * decoder refuses. */
#include "crypto/base64.h"

#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

static const char alphabet_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char alphabet_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t crypto_base64_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t crypto_base64_decoded_max(size_t len)
{
    return len / 4 * 3 + (len % 4 > 1 ? len % 4 - 1 : 0);
}

void crypto_base64_encode(enum crypto_base64_variant v, const void *in, size_t len, char *out)
{
    const char *abc = v == CRYPTO_BASE64_URLSAFE ? alphabet_url : alphabet_std;
    const unsigned char *p = in;
    size_t o = 0;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = abc[w >> 18 & 63];
        out[o++] = abc[w >> 12 & 63];
        out[o++] = abc[w >> 6 & 63];
        out[o++] = abc[w & 63];
    }
    if (len - i == 1) {
        uint32_t w = (uint32_t)p[i] << 16;
        out[o++] = abc[w >> 18 & 63];
        out[o++] = abc[w >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = abc[w >> 18 & 63];
        out[o++] = abc[w >> 12 & 63];
        out[o++] = abc[w >> 6 & 63];
    }
    out[o] = '\0';
}

int crypto_base64_append(struct buf *out, enum crypto_base64_variant v, const void *in, size_t len)
{
    size_t n = crypto_base64_encoded_len(len);
    char small[128];
    char *tmp = n < sizeof(small) ? small : xmalloc(n + 1);
    crypto_base64_encode(v, in, len, tmp);
    int rc = buf_append(out, tmp, n);
    if (tmp != small)
        free(tmp);
    return rc;
}

/* Returns the 6-bit value of c in the variant's alphabet, or -1. */
static int decode_char(enum crypto_base64_variant v, unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (v == CRYPTO_BASE64_URLSAFE) {
        if (c == '-')
            return 62;
        if (c == '_')
            return 63;
    } else {
        if (c == '+')
            return 62;
        if (c == '/')
            return 63;
    }
    return -1;
}

int crypto_base64_decode(enum crypto_base64_variant v, const char *text, size_t len,
                         unsigned char *out, size_t out_cap, size_t *out_len)
{
    /* Strip padding: only allowed when it completes a 4-character group. */
    if (len > 0 && text[len - 1] == '=') {
        size_t pad = (len > 1 && text[len - 2] == '=') ? 2 : 1;
        if (len % 4 != 0)
            return ERR_INVALID;
        len -= pad;
        if (len % 4 == 1 || len % 4 == 0)
            return ERR_INVALID; /* "====", "A===" and "AAAA=" style garbage */
    }
    if (len % 4 == 1)
        return ERR_INVALID;
    if (crypto_base64_decoded_max(len) > out_cap)
        return ERR_TOO_LARGE;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int d = decode_char(v, (unsigned char)text[i]);
        if (d < 0)
            return ERR_INVALID;
        acc = (acc << 6 | (uint32_t)d) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *out_len = o;
    return 0;
}
