/* hash.c: SHA-256 through libsodium. */
#include "crypto/hash.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/err.h"
#include "base/mem.h"

#include "crypto/internal.h"

_Static_assert(CRYPTO_SHA256_BYTES == crypto_hash_sha256_BYTES, "sha256 size");

void crypto_sha256(const void *data, size_t len, unsigned char out[CRYPTO_SHA256_BYTES])
{
    crypto__ensure_init();
    crypto_hash_sha256(out, (const unsigned char *)data, (unsigned long long)len);
}

int crypto_sha256_fd(int fd, uint64_t len, unsigned char out[CRYPTO_SHA256_BYTES])
{
    enum { CHUNK = 1 << 20 };
    crypto__ensure_init();
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char *buf = xmalloc(CHUNK);
    uint64_t off = 0;
    int rc = 0;
    while (off < len) {
        size_t want = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = ERR_IO;
            break;
        }
        crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
        off += (uint64_t)n;
    }
    free(buf);
    if (!rc)
        crypto_hash_sha256_final(&st, out);
    return rc;
}
