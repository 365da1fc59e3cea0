/* pull.c: downloading a GGUF model into the models folder with libcurl (`relais llm pull`).
 *
 * The download goes to NAME.gguf.part (never served: only *.gguf files are models), resumes
 * an existing .part with a Range request, follows redirects, checks the size against the
 * server's Content-Length, the GGUF magic and optionally a sha256, then renames the file into
 * place. A Hugging Face reference owner/repo/path.gguf becomes
 * $HF_ENDPOINT/owner/repo/resolve/main/path.gguf (HF_ENDPOINT defaults to
 * https://huggingface.co). */
#define LOG_MODULE "ai"
#include "ai/ai.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "crypto/hash.h"
#include "http/curl_lib.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct pull_state {
    FILE *out;          /* the .part file, appended to */
    bool progress;      /* draw a progress bar on stderr */
    int64_t offset;     /* bytes already there when this transfer started */
    int64_t last_ns;    /* last progress line */
    int64_t start_ns;   /* transfer start */
    bool restarted;     /* the server ignored the Range: the .part was truncated */
    long status;        /* HTTP status once headers arrived */
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct pull_state *st = user;
    return fwrite(ptr, size, nmemb, st->out) * size;
}

/* A 200 answer to a Range request: the server sends the whole file, so start over. */
static size_t on_header(char *buf, size_t size, size_t n, void *user)
{
    struct pull_state *st = user;
    size_t len = size * n;
    if (len > 9 && memcmp(buf, "HTTP/", 5) == 0) {
        const char *sp = memchr(buf, ' ', len);
        st->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        if (st->status == 200 && st->offset > 0 && !st->restarted) {
            if (ftruncate(fileno(st->out), 0) == 0) {
                fseek(st->out, 0, SEEK_SET);
                st->offset = 0;
                st->restarted = true;
            }
        }
    }
    return len;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    struct pull_state *st = user;
    int64_t now = clock_mono_ns();
    if (!st->progress || now - st->last_ns < 200000000 || st->status >= 300)
        return 0;
    st->last_ns = now;
    double have = (double)(st->offset + dlnow) / 1048576.0;
    double total = dltotal > 0 ? (double)(st->offset + dltotal) / 1048576.0 : 0;
    double secs = (double)(now - st->start_ns) / 1e9;
    double rate = secs > 0 ? (double)dlnow / 1048576.0 / secs : 0;
    char bar[31];
    int fill = total > 0 ? (int)(30 * have / total) : 0;
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    if (total > 0)
        fprintf(stderr, "\r[%s] %5.1f%% %.1f/%.1f MiB %.1f MiB/s ", bar, 100 * have / total, have,
                total, rate);
    else
        fprintf(stderr, "\r%.1f MiB %.1f MiB/s ", have, rate);
    return 0;
}

/* Resolves spec into a URL (owned) and the file name (owned). */
static int resolve_spec(const char *spec, char **url, char **name, char *err, size_t err_len)
{
    if (strncmp(spec, "https://", 8) == 0 || strncmp(spec, "http://", 7) == 0) {
        *url = xstrdup(spec);
    } else {
        const char *s1 = strchr(spec, '/');
        const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (!s1 || !s2 || s1 == spec || s2 == s1 + 1 || !s2[1]) {
            snprintf(err, err_len, "'%s' is neither a URL nor owner/repo/file.gguf", spec);
            return ERR_INVALID;
        }
        const char *base = getenv("HF_ENDPOINT");
        if (!base || !base[0])
            base = "https://huggingface.co";
        size_t len = strlen(base) + strlen(spec) + 32;
        *url = xmalloc(len);
        snprintf(*url, len, "%s/%.*s/resolve/main/%s", base, (int)(s2 - spec), spec, s2 + 1);
    }
    const char *path_end = strpbrk(*url + 8, "?#");
    size_t path_len = path_end ? (size_t)(path_end - *url) : strlen(*url);
    const char *slash = *url + path_len;
    while (slash > *url && slash[-1] != '/')
        slash--;
    size_t name_len = (size_t)(*url + path_len - slash);
    if (name_len <= 5 || memcmp(slash + name_len - 5, ".gguf", 5) != 0 || slash[0] == '.') {
        snprintf(err, err_len, "the URL must name a .gguf file");
        free(*url);
        *url = NULL;
        return ERR_INVALID;
    }
    *name = xmalloc(name_len + 1);
    memcpy(*name, slash, name_len);
    (*name)[name_len] = '\0';
    return 0;
}

static int hex_digest(const char *path, char out[65])
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return ERR_IO;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return ERR_IO;
    }
    unsigned char h[CRYPTO_SHA256_BYTES];
    if (sb.st_size == 0) {
        crypto_sha256("", 0, h);
    } else {
        void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return ERR_IO;
        }
        crypto_sha256(p, (size_t)sb.st_size, h);
        munmap(p, (size_t)sb.st_size);
    }
    close(fd);
    for (int i = 0; i < CRYPTO_SHA256_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
    return 0;
}

int ai_pull(const char *spec, const char *dir, const char *sha256_hex, bool progress,
            char **out_path, char *err, size_t err_len)
{
    char *url = NULL, *name = NULL, *final = NULL, *part = NULL;
    FILE *out = NULL;
    CURL *curl = NULL;
    const struct http_curl *c = NULL;
    int rc = resolve_spec(spec, &url, &name, err, err_len);
    if (rc)
        return rc;
    size_t len = strlen(dir) + strlen(name) + 8;
    final = xmalloc(len);
    part = xmalloc(len);
    snprintf(final, len, "%s/%s", dir, name);
    snprintf(part, len, "%s/%s.part", dir, name);
    struct stat sb;
    if (stat(final, &sb) == 0) {
        snprintf(err, err_len, "%s exists already", final);
        rc = ERR_EXISTS;
        goto out;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "cannot create %s: %s", dir, strerror(errno));
        rc = ERR_IO;
        goto out;
    }
    out = fopen(part, "ab");
    if (!out) {
        snprintf(err, err_len, "cannot write %s: %s", part, strerror(errno));
        rc = ERR_IO;
        goto out;
    }
    struct pull_state st = {.out = out, .progress = progress, .start_ns = clock_mono_ns()};
    st.offset = ftell(out);
    c = http_curl_get(err, err_len);
    if (!c) {
        rc = ERR_UNSUPPORTED;
        goto out;
    }
    curl = c->easy_init();
    if (!curl) {
        snprintf(err, err_len, "libcurl failed to start");
        rc = ERR_INTERNAL;
        goto out;
    }
    c->easy_setopt(curl, CURLOPT_URL, url);
    c->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    c->easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    c->easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    c->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    c->easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c->easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    c->easy_setopt(curl, CURLOPT_USERAGENT, "relais/" RELAIS_VERSION);
    c->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    c->easy_setopt(curl, CURLOPT_WRITEDATA, &st);
    c->easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    c->easy_setopt(curl, CURLOPT_HEADERDATA, &st);
    c->easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    c->easy_setopt(curl, CURLOPT_XFERINFODATA, &st);
    c->easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    if (st.offset > 0) {
        c->easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)st.offset);
        if (progress)
            fprintf(stderr, "resuming %s at %lld bytes\n", name, (long long)st.offset);
    }
    CURLcode cr = c->easy_perform(curl);
    long status = 0;
    c->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t expect = -1;
    c->easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expect);
    if (progress)
        fprintf(stderr, "\n");
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, err_len, "writing %s failed", part);
        rc = ERR_IO;
        goto out;
    }
    if (cr == CURLE_HTTP_RETURNED_ERROR && status == 416 && st.offset > 0) {
        /* nothing left to fetch: the .part is complete (checked below) */
    } else if (cr != CURLE_OK) {
        snprintf(err, err_len,
                 "download failed: %s (HTTP %ld); run the same command again to resume",
                 c->easy_strerror(cr), status);
        rc = ERR_IO;
        goto out;
    } else if (expect >= 0) {
        long have = ftell(out);
        if (have != st.offset + (long)expect) {
            snprintf(err, err_len, "size mismatch: %ld bytes instead of %lld", have,
                     (long long)(st.offset + expect));
            rc = ERR_IO;
            goto out;
        }
    }
    fclose(out);
    out = NULL;
    char magic[4] = {0};
    FILE *f = fopen(part, "rb");
    size_t got = f ? fread(magic, 1, 4, f) : 0;
    if (f)
        fclose(f);
    if (got != 4 || memcmp(magic, "GGUF", 4) != 0) {
        snprintf(err, err_len, "the download is not a GGUF file (removed)");
        unlink(part);
        rc = ERR_INVALID;
        goto out;
    }
    if (sha256_hex && sha256_hex[0]) {
        char hex[65];
        if (hex_digest(part, hex) != 0) {
            snprintf(err, err_len, "cannot read %s", part);
            rc = ERR_IO;
            goto out;
        }
        if (strcasecmp(hex, sha256_hex) != 0) {
            snprintf(err, err_len, "sha256 mismatch: got %s (the download was removed)", hex);
            unlink(part);
            rc = ERR_INVALID;
            goto out;
        }
    }
    if (rename(part, final) != 0) {
        snprintf(err, err_len, "cannot rename %s: %s", part, strerror(errno));
        rc = ERR_IO;
        goto out;
    }
    *out_path = final;
    final = NULL;
out:
    if (out)
        fclose(out);
    if (curl)
        c->easy_cleanup(curl);
    free(url);
    free(name);
    free(final);
    free(part);
    return rc;
}
