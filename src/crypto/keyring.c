/* keyring.c: the server signing key file (format in keyring.h).
 *
 * Generation writes the file once with O_EXCL so an existing key is never
 * overwritten (losing it would make every server that cached it distrust us
 * until it expired). Parsing is pure and takes (bytes, length). */
#define LOG_MODULE "crypto"
#include "crypto/keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "crypto/base64.h"
#include "crypto/internal.h"
#include "crypto/random.h"

#define KEYRING_FILE_MAX 4096

static bool version_valid(const char *s, size_t len)
{
    if (len == 0 || len > CRYPTO_KEY_VERSION_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
        if (!ok)
            return false;
    }
    return true;
}

static int key_from_seed(const unsigned char seed[CRYPTO_KEY_SEED_BYTES], const char *version,
                         size_t version_len, struct signing_key *out)
{
    if (!version_valid(version, version_len))
        return ERR_INVALID;
    crypto__ensure_init();
    memset(out, 0, sizeof(*out));
    memcpy(out->key_id, "ed25519:", 8);
    memcpy(out->key_id + 8, version, version_len);
    out->key_id[8 + version_len] = '\0';
    crypto_sign_ed25519_seed_keypair(out->public_key, out->secret_key, seed);
    return 0;
}

int crypto_signing_key_from_seed(const unsigned char seed[CRYPTO_KEY_SEED_BYTES],
                                 const char *version, struct signing_key *out)
{
    return key_from_seed(seed, version, strlen(version), out);
}

void crypto_signing_key_wipe(struct signing_key *key)
{
    sodium_memzero(key, sizeof(*key));
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

int crypto_keyring_parse(const char *text, size_t len, struct signing_key *out)
{
    if (len > KEYRING_FILE_MAX)
        return ERR_TOO_LARGE;
    /* Find the first non-empty line. */
    size_t pos = 0;
    size_t line_start = 0;
    size_t line_end = 0;
    for (;;) {
        if (pos >= len)
            return ERR_INVALID;
        line_start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        line_end = pos;
        if (line_end > line_start && text[line_end - 1] == '\r')
            line_end--;
        pos++; /* past '\n' */
        size_t k = line_start;
        while (k < line_end && is_space(text[k]))
            k++;
        if (k < line_end)
            break;
    }
    /* Split into exactly three space-separated fields. */
    struct {
        const char *p;
        size_t n;
    } f[3];
    size_t nf = 0;
    size_t i = line_start;
    while (i < line_end) {
        while (i < line_end && is_space(text[i]))
            i++;
        if (i >= line_end)
            break;
        if (nf == 3)
            return ERR_INVALID;
        f[nf].p = text + i;
        while (i < line_end && !is_space(text[i]))
            i++;
        f[nf].n = (size_t)(text + i - f[nf].p);
        nf++;
    }
    if (nf != 3 || f[0].n != 7 || memcmp(f[0].p, "ed25519", 7) != 0)
        return ERR_INVALID;
    unsigned char seed[CRYPTO_KEY_SEED_BYTES];
    size_t seed_len = 0;
    int rc = crypto_base64_decode(CRYPTO_BASE64_STANDARD, f[2].p, f[2].n, seed, sizeof(seed),
                                  &seed_len);
    if (rc == 0 && seed_len != sizeof(seed))
        rc = ERR_INVALID;
    if (rc == ERR_TOO_LARGE)
        rc = ERR_INVALID;
    if (rc == 0)
        rc = key_from_seed(seed, f[1].p, f[1].n, out);
    sodium_memzero(seed, sizeof(seed));
    return rc;
}

int crypto_keyring_format(const struct signing_key *key, struct buf *out)
{
    /* key_id is "ed25519:<version>"; the seed is the first half of secret_key. */
    const char *colon = strchr(key->key_id, ':');
    if (!colon)
        return ERR_INVALID;
    char seed_b64[64];
    crypto_base64_encode(CRYPTO_BASE64_STANDARD, key->secret_key, CRYPTO_KEY_SEED_BYTES,
                         seed_b64);
    int rc = buf_printf(out, "ed25519 %s %s\n", colon + 1, seed_b64);
    sodium_memzero(seed_b64, sizeof(seed_b64));
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int crypto_keyring_generate(const char *path)
{
    unsigned char seed[CRYPTO_KEY_SEED_BYTES];
    char version[7] = "a_";
    struct signing_key key;
    struct buf line;
    int rc = 0;
    int fd = -1;

    buf_init(&line, 256);
    crypto_random_bytes(seed, sizeof(seed));
    crypto_random_token(version + 2, 5); /* "a_" + 4 characters */
    rc = key_from_seed(seed, version, strlen(version), &key);
    if (rc == 0)
        rc = crypto_keyring_format(&key, &line);
    if (rc != 0)
        goto out;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = errno == EEXIST ? ERR_EXISTS : ERR_IO;
        log_error("cannot create signing key file path=%s errno=%d", path, errno);
        goto out;
    }
    rc = write_all(fd, line.data, line.len);
    if (rc == 0 && fsync(fd) != 0)
        rc = ERR_IO;
    if (close(fd) != 0 && rc == 0)
        rc = ERR_IO;
    fd = -1;
    if (rc != 0) {
        log_error("cannot write signing key file path=%s errno=%d", path, errno);
        unlink(path);
        goto out;
    }
    log_info("generated signing key path=%s key_id=%s", path, key.key_id);

out:
    sodium_memzero(seed, sizeof(seed));
    crypto_signing_key_wipe(&key);
    if (line.data)
        sodium_memzero(line.data, line.cap);
    buf_fini(&line);
    return rc;
}

int crypto_keyring_load(const char *path, struct signing_key *out)
{
    char text[KEYRING_FILE_MAX + 1];
    size_t len = 0;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;

    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = ERR_IO;
        goto out;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        log_warn("signing key file is accessible by group or others path=%s mode=%03o", path,
                 (unsigned)(st.st_mode & 0777));
    for (;;) {
        ssize_t r = read(fd, text + len, sizeof(text) - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = ERR_IO;
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > KEYRING_FILE_MAX) {
            rc = ERR_TOO_LARGE;
            goto out;
        }
    }
    rc = crypto_keyring_parse(text, len, out);
    if (rc != 0)
        log_error("malformed signing key file path=%s", path);

out:
    sodium_memzero(text, sizeof(text));
    close(fd);
    return rc;
}
