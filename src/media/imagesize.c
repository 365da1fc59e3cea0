/* imagesize.c: the pixel size of a PNG, GIF, JPEG or WebP image read from its
 * header, without decoding it (for a URL preview's og:image:width/height).
 * Every read is bounds-checked against the given length; no I/O. */
#include "media/internal.h"

#include <string.h>

static uint32_t be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le24(const unsigned char *p)
{
    return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* JPEG: the first start-of-frame segment (SOF0..SOF15 but DHT, JPG, DAC). */
static bool jpeg_size(const unsigned char *d, size_t len, int64_t *w, int64_t *h)
{
    size_t i = 2;
    while (i + 4 <= len) {
        if (d[i] != 0xff)
            return false;
        unsigned char marker = d[i + 1];
        if (marker == 0xff) { /* fill byte */
            i++;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd9)) { /* no length */
            i += 2;
            continue;
        }
        uint32_t seg = be16(d + i + 2);
        if (seg < 2)
            return false;
        if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
            marker != 0xcc) {
            if (i + 9 > len || seg < 7)
                return false;
            *h = be16(d + i + 5);
            *w = be16(d + i + 7);
            return *w > 0 && *h > 0;
        }
        i += 2 + (size_t)seg;
    }
    return false;
}

static bool webp_size(const unsigned char *d, size_t len, int64_t *w, int64_t *h)
{
    if (len < 30)
        return false;
    if (memcmp(d + 12, "VP8X", 4) == 0) {
        *w = (int64_t)le24(d + 24) + 1;
        *h = (int64_t)le24(d + 27) + 1;
        return true;
    }
    if (memcmp(d + 12, "VP8 ", 4) == 0 && d[23] == 0x9d && d[24] == 0x01 && d[25] == 0x2a) {
        *w = le16(d + 26) & 0x3fff;
        *h = le16(d + 28) & 0x3fff;
        return *w > 0 && *h > 0;
    }
    if (memcmp(d + 12, "VP8L", 4) == 0 && d[20] == 0x2f) {
        uint32_t bits = (uint32_t)d[21] | (uint32_t)d[22] << 8 | (uint32_t)d[23] << 16 |
                        (uint32_t)d[24] << 24;
        *w = (int64_t)(bits & 0x3fff) + 1;
        *h = (int64_t)((bits >> 14) & 0x3fff) + 1;
        return true;
    }
    return false;
}

bool media__image_size(const unsigned char *d, size_t len, int64_t *w, int64_t *h)
{
    *w = *h = 0;
    if (len >= 24 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(d + 12, "IHDR", 4) == 0) {
        *w = be32(d + 16);
        *h = be32(d + 20);
        return *w > 0 && *h > 0;
    }
    if (len >= 10 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0)) {
        *w = le16(d + 6);
        *h = le16(d + 8);
        return *w > 0 && *h > 0;
    }
    if (len >= 4 && d[0] == 0xff && d[1] == 0xd8)
        return jpeg_size(d, len, w, h);
    if (len >= 16 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return webp_size(d, len, w, h);
    return false;
}
