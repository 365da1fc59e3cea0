/* store.c: the media bytes on disk, content-addressed: a file is named by the
 * sha256 of its content, <media dir>/<aa>/<bb>/<hex>, so identical uploads
 * share one file. A file is written to tmp/ under a unique name, fsynced,
 * renamed into place and its folder fsynced: a crash leaves either no file
 * or a whole one. The repository object's lifecycle is here too. */
#define LOG_MODULE "media"
#include "media/internal.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "crypto/hash.h"
#include "crypto/random.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    log_error("cannot create %s: %s", path, strerror(errno));
    return ERR_IO;
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ERR_IO;
    int rc = fsync(fd) ? ERR_IO : 0;
    close(fd);
    return rc;
}

static bool valid_hex(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == 64;
}

char *media__store_path(const struct media *m, const char *sha256_hex)
{
    size_t n = strlen(m->dir) + 80;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%.2s/%.2s/%s", m->dir, sha256_hex, sha256_hex + 2, sha256_hex);
    return p;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ERR_IO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Copies the first len bytes of src into dst. */
static int copy_fd(int src, int dst, uint64_t len)
{
    enum { CHUNK = 1 << 20 };
    char *buf = xmalloc(CHUNK);
    int rc = 0;
    for (uint64_t off = 0; off < len && !rc;) {
        size_t want = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
        ssize_t n = pread(src, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write_all(dst, buf, (size_t)n))
            rc = ERR_IO;
        else
            off += (uint64_t)n;
    }
    free(buf);
    return rc;
}

/* Gives an unlinked O_TMPFILE file the name final; EEXIST means the same
 * content is stored already. */
static int link_tmpfile(int fd, const char *final)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, final, AT_SYMLINK_FOLLOW) == 0 || errno == EEXIST)
        return 0;
    return ERR_IO;
}

int media__store_put(struct media *m, const struct media_content *c, char sha256_hex[65])
{
    unsigned char digest[CRYPTO_SHA256_BYTES];
    if (c->fd >= 0) {
        if (crypto_sha256_fd(c->fd, c->len, digest)) {
            log_error("cannot read an upload: %s", strerror(errno));
            return ERR_IO;
        }
    } else {
        crypto_sha256(c->data, (size_t)c->len, digest);
    }
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(sha256_hex + 2 * i, 3, "%02x", digest[i]);
    size_t n = strlen(m->dir) + 100;
    char *tmp = xmalloc(n), *d1 = xmalloc(n), *d2 = xmalloc(n);
    char *final = media__store_path(m, sha256_hex);
    snprintf(d1, n, "%s/%.2s", m->dir, sha256_hex);
    snprintf(d2, n, "%s/%.2s/%.2s", m->dir, sha256_hex, sha256_hex + 2);
    int rc = ERR_IO, fd = -1;
    if (make_dir(d1) || make_dir(d2))
        goto out;
    /* A spooled body whose length is the whole file: fsync it and link it in place. */
    struct stat st;
    if (c->fd >= 0 && fstat(c->fd, &st) == 0 && (uint64_t)st.st_size == c->len &&
        st.st_nlink == 0) {
        if (fsync(c->fd) == 0 && link_tmpfile(c->fd, final) == 0) {
            rc = fsync_path(d2);
            goto out;
        }
        log_warn("cannot link an upload into %s: %s (copying)", d2, strerror(errno));
    }
    char rnd[17];
    crypto_random_token(rnd, sizeof rnd);
    snprintf(tmp, n, "%s/%s.%s", m->spool_dir, sha256_hex, rnd);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    int wrc = c->fd >= 0 ? copy_fd(c->fd, fd, c->len) : write_all(fd, c->data, (size_t)c->len);
    if (wrc || fsync(fd)) {
        log_error("cannot write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, final)) {
        log_error("cannot store %s: %s", final, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = fsync_path(d2);
out:
    if (fd >= 0)
        close(fd);
    free(tmp);
    free(d1);
    free(d2);
    free(final);
    return rc;
}

int media__store_open(struct media *m, const char *sha256_hex, int *fd, uint64_t *size)
{
    if (!valid_hex(sha256_hex))
        return ERR_INVALID;
    char *path = media__store_path(m, sha256_hex);
    int rc = 0;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (*fd < 0 || fstat(*fd, &st)) {
        log_error("cannot open %s: %s", path, strerror(errno));
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        rc = ERR_IO;
    } else {
        *size = (uint64_t)st.st_size;
    }
    free(path);
    return rc;
}

void media__store_remove(struct media *m, const char *sha256_hex)
{
    if (!valid_hex(sha256_hex))
        return;
    char *path = media__store_path(m, sha256_hex);
    if (unlink(path) && errno != ENOENT)
        log_warn("cannot remove %s: %s", path, strerror(errno));
    free(path);
}

const char *media_spool_dir(const struct media *m)
{
    return m->spool_dir;
}

struct media *media_new(const struct config *cfg, struct db *db)
{
    struct media *m = xcalloc(1, sizeof *m);
    m->db = db;
    size_t n = strlen(cfg->data_dir) + 16;
    m->dir = xmalloc(n);
    snprintf(m->dir, n, "%s/media", cfg->data_dir);
    m->server_name = xstrdup(cfg->server_name);
    m->max_source_pixels = cfg->media_max_thumbnail_source_pixels;
    m->max_side = (int)cfg->media_max_thumbnail_side;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    pthread_cond_init(&m->preview_cond, NULL);
    m->spool_dir = xmalloc(n + 8);
    snprintf(m->spool_dir, n + 8, "%s/tmp", m->dir);
    int rc = media__preview_init(m, cfg);
    if (!rc)
        rc = make_dir(m->dir);
    if (!rc)
        rc = make_dir(m->spool_dir);
    if (!rc)
        rc = media__worker_start(m);
    if (rc) {
        media_free(m);
        return NULL;
    }
    return m;
}

void media_free(struct media *m)
{
    if (!m)
        return;
    media__worker_stop(m);
    media__thumbnail_shutdown();
    media__preview_fini(m);
    pthread_cond_destroy(&m->preview_cond);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->lock);
    free(m->dir);
    free(m->spool_dir);
    free(m->server_name);
    free(m);
}
