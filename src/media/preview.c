/* preview.c: URL previews (spec: GET /_matrix/client/v1/media/preview_url),
 * made the way Synapse's url previewer makes them, with libcurl on the
 * preview threads (worker.c), never on a request thread.
 *
 * Safety, in order of importance:
 * 1. Every connection libcurl opens goes through open_socket, which refuses
 *    an address in url_preview_ip_range_blacklist (and not in the whitelist)
 *    after DNS resolution, so neither a name resolving to a private address
 *    (DNS rebinding included), an IP literal, nor a redirect to either is
 *    ever connected to. Proxies from the environment are not used.
 * 2. Only http and https, for the URL and every redirect (at most 10).
 * 3. The body is bounded (url_preview_max_spider_size: a larger
 *    Content-Length is refused, a longer body aborted) and so is the time
 *    (url_preview_timeout_ms); shutdown or a client gone aborts within a second.
 * 4. No cookies, no credentials, a User-Agent naming relais.
 *
 * A page's OpenGraph data comes from opengraph.c; its og:image (resolved
 * against the page's final URL) is fetched the same way and kept as a media
 * item, answered as mxc://; an image URL previews as that image. Answers are
 * cached in the database (db_url_preview_*) for url_preview_cache_lifetime_ms. */
#define LOG_MODULE "media"
#include "media/internal.h"

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "config/config.h"
#include "db/media.h"
#include "http/curl_lib.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

enum {
    PREVIEW_MAX_REDIRECTS = 10,
    PREVIEW_CONNECT_MAX_MS = 15000, /* Synapse's connect timeout */
    OG_KEY_MAX = 50,                /* longer keys are dropped (Synapse) */
    OG_VALUE_MAX = 1000,            /* longer values are dropped (Synapse) */
};

/* Characters (code points) of UTF-8 text. */
static size_t str_chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

static const char user_agent[] = "relais/" RELAIS_VERSION " (bot; URL preview)";

/* One download in progress. Lives on the preview thread's stack. */
struct fetch {
    struct media *m;          /* borrowed */
    struct media_job *job;    /* borrowed: cancelled -> abort */
    const struct http_curl *c; /* libcurl's functions */
    CURL *curl;               /* the transfer (borrowed by the callbacks) */
    bool checked;             /* the answer's status and type were looked at */
    long bad_status;          /* the answer was not 2xx (refused before its body), else 0 */
    bool bad_type;            /* its Content-Type cannot be previewed (refused before its body) */
    struct buf body;          /* the body, bounded by max_spider_size */
    int64_t max_bytes;        /* url_preview_max_spider_size */
    bool blocked;             /* open_socket refused an address */
    bool too_large;           /* the body passed max_bytes */
    bool aborted;             /* shutdown or the client went away */
};

bool media_preview_enabled(const struct media *m)
{
    return m->cfg && m->cfg->media_url_preview_enabled;
}

int media__preview_init(struct media *m, const struct config *cfg)
{
    m->cfg = cfg;
    m->preview_block = xcalloc(1, sizeof *m->preview_block);
    m->preview_allow = xcalloc(1, sizeof *m->preview_allow);
    char err[160];
    /* 0.0.0.0 and :: reach this host on Linux: always refused (as Synapse adds them). */
    int rc = media__ipset_parse(m->preview_block, "0.0.0.0, ::", true, err, sizeof err);
    if (!rc)
        rc = media__ipset_parse(m->preview_block, cfg->media_url_preview_ip_range_blacklist, true,
                                err, sizeof err);
    if (rc) {
        log_error("[media] url_preview_ip_range_blacklist: %s", err);
        return ERR_INVALID;
    }
    rc = media__ipset_parse(m->preview_allow, cfg->media_url_preview_ip_range_whitelist, false,
                            err, sizeof err);
    if (rc) {
        log_error("[media] url_preview_ip_range_whitelist: %s", err);
        return ERR_INVALID;
    }
    return 0;
}

void media__preview_fini(struct media *m)
{
    if (m->preview_block)
        media__ipset_fini(m->preview_block);
    if (m->preview_allow)
        media__ipset_fini(m->preview_allow);
    free(m->preview_block);
    free(m->preview_allow);
    m->preview_block = m->preview_allow = NULL;
}

/* ---- URLs ---- */

static bool http_scheme(const char *scheme)
{
    return strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0;
}

int media_preview_check_url(const char *url)
{
    size_t len = strlen(url);
    if (len == 0 || len > MEDIA_PREVIEW_URL_MAX)
        return ERR_INVALID;
    size_t skip = strncasecmp(url, "http://", 7) == 0    ? 7
                  : strncasecmp(url, "https://", 8) == 0 ? 8
                                                         : 0;
    if (skip == 0 || strcspn(url + skip, "/?#") == 0)
        return ERR_INVALID;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
            return ERR_INVALID;
    return 0; /* libcurl parses it fully on the preview thread (ERR_INVALID then) */
}

/* rel resolved against base (RFC 3986), if the result is http(s): owned (free()). */
static char *resolve_url(const struct http_curl *c, const char *base, const char *rel)
{
    CURLU *u = c->url();
    char *out = NULL, *scheme = NULL, *res = NULL;
    if (u && c->url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        c->url_set(u, CURLUPART_URL, rel, 0) == CURLUE_OK &&
        c->url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && http_scheme(scheme) &&
        c->url_get(u, CURLUPART_URL, &res, 0) == CURLUE_OK &&
        strlen(res) <= MEDIA_PREVIEW_URL_MAX)
        out = xstrdup(res);
    if (scheme)
        c->free(scheme);
    if (res)
        c->free(res);
    if (u)
        c->url_cleanup(u);
    return out;
}

/* ---- the download ---- */

static curl_socket_t open_socket(void *user, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct fetch *f = user;
    (void)purpose;
    uint8_t ip[16];
    if (!media__ip_from_sockaddr(&a->addr, a->addrlen, ip) ||
        media__ip_blocked(f->m->preview_block, f->m->preview_allow, ip)) {
        f->blocked = true;
        log_info("preview blocked a connection to a refused address");
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static bool previewable(const char *type, bool *html, bool *image)
{
    *html = strncasecmp(type, "text/html", 9) == 0 ||
            strncasecmp(type, "application/xhtml", 17) == 0;
    *image = strncasecmp(type, "image/", 6) == 0;
    return *html || *image || strncasecmp(type, "application/json", 16) == 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
    struct fetch *f = user;
    size_t n = size * nmemb;
    if (!f->checked) { /* the final answer's headers are in: refuse it before its body */
        f->checked = true;
        long status = 0;
        char *type = NULL;
        bool html, image;
        f->c->easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
        f->c->easy_getinfo(f->curl, CURLINFO_CONTENT_TYPE, &type);
        if (status < 200 || status > 299) {
            f->bad_status = status;
            return 0;
        }
        if (type && *type && !previewable(type, &html, &image)) {
            f->bad_type = true;
            return 0;
        }
    }
    if (f->body.len + n > (size_t)f->max_bytes) {
        f->too_large = true;
        return 0; /* aborts the transfer */
    }
    if (buf_append(&f->body, data, n))
        return 0;
    return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct fetch *f = user;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    pthread_mutex_lock(&f->m->lock);
    f->aborted = f->m->stopping || f->job->cancelled;
    pthread_mutex_unlock(&f->m->lock);
    return f->aborted ? 1 : 0;
}

/* The result of a download: the body in f->body, its type and final URL. */
struct fetched {
    char *content_type; /* owned, as sent (application/octet-stream when absent) */
    bool typed;         /* the answer had a Content-Type */
    char *final_url;    /* owned: the URL after redirects */
};

static void fetched_fini(struct fetched *r)
{
    free(r->content_type);
    free(r->final_url);
    r->content_type = r->final_url = NULL;
}

/* Downloads url into f->body. 0, or an ERR_* with a message in detail. */
static int download(const struct http_curl *c, struct media *m, struct fetch *f,
                    const char *url, struct fetched *out, char *detail, size_t detail_len)
{
    memset(out, 0, sizeof *out);
    CURL *curl = c->easy_init();
    f->c = c;
    f->curl = curl;
    f->checked = false;
    if (!curl) {
        snprintf(detail, detail_len, "Failed to download content");
        return ERR_INTERNAL;
    }
    int64_t timeout = m->cfg->media_url_preview_timeout_ms;
    struct curl_slist *headers = c->slist_append(NULL, "Accept-Language: en");
    c->easy_setopt(curl, CURLOPT_URL, url);
    c->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    c->easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    c->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    c->easy_setopt(curl, CURLOPT_MAXREDIRS, (long)PREVIEW_MAX_REDIRECTS);
    c->easy_setopt(curl, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    c->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    c->easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout);
    c->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   (long)(timeout < PREVIEW_CONNECT_MAX_MS ? timeout : PREVIEW_CONNECT_MAX_MS));
    c->easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);
    c->easy_setopt(curl, CURLOPT_USERAGENT, user_agent);
    c->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    c->easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    c->easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    c->easy_setopt(curl, CURLOPT_OPENSOCKETDATA, f);
    c->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    c->easy_setopt(curl, CURLOPT_WRITEDATA, f);
    c->easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    c->easy_setopt(curl, CURLOPT_XFERINFODATA, f);
    c->easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    CURLcode cr = c->easy_perform(curl);
    long status = 0;
    c->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    char *type = NULL, *final = NULL;
    c->easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    c->easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &final);
    int rc = 0;
    if ((cr == CURLE_OK && (status < 200 || status > 299)) || f->bad_status) {
        snprintf(detail, detail_len, "Got error %ld", status);
        rc = ERR_IO;
    } else if (f->bad_type) {
        snprintf(detail, detail_len,
                 "Requested file's content type not allowed for this operation");
        rc = ERR_IO;
    } else if (cr == CURLE_OK) {
        out->typed = type && *type;
        out->content_type = xstrdup(out->typed ? type : "application/octet-stream");
        out->final_url = xstrdup(final ? final : url);
    } else if (f->too_large || cr == CURLE_FILESIZE_EXCEEDED) {
        snprintf(detail, detail_len, "Requested file is too large > %lld bytes",
                 (long long)f->max_bytes);
        rc = ERR_TOO_LARGE;
    } else if (f->blocked && (cr == CURLE_COULDNT_CONNECT || cr == CURLE_COULDNT_RESOLVE_HOST)) {
        snprintf(detail, detail_len, "IP address blocked");
        rc = ERR_FORBIDDEN;
    } else if (cr == CURLE_URL_MALFORMAT) {
        snprintf(detail, detail_len, "url must be an absolute http or https URL");
        rc = ERR_INVALID;
    } else if (cr == CURLE_COULDNT_RESOLVE_HOST) {
        snprintf(detail, detail_len, "DNS resolution failure during URL preview generation");
        rc = ERR_IO;
    } else if (cr == CURLE_OPERATION_TIMEDOUT && status == 0) {
        snprintf(detail, detail_len, "Timed out waiting for response from remote server");
        rc = ERR_LIMIT;
    } else if (cr == CURLE_OPERATION_TIMEDOUT) {
        snprintf(detail, detail_len, "Requested file took too long to download");
        rc = ERR_TOO_LARGE;
    } else {
        snprintf(detail, detail_len, "Failed to download content: %s", c->easy_strerror(cr));
        rc = ERR_IO;
    }
    log_info("preview fetch status=%ld curl=%d bytes=%zu rc=%d", status, (int)cr, f->body.len,
             rc);
    c->slist_free_all(headers);
    c->easy_cleanup(curl);
    return rc;
}

/* The bare media type (before ';', trimmed), lower-cased; owned. */
static char *bare_type(const char *type)
{
    size_t n = strcspn(type, ";");
    while (n && (type[n - 1] == ' ' || type[n - 1] == '\t'))
        n--;
    char *out = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)((type[i] >= 'A' && type[i] <= 'Z') ? type[i] + 32 : type[i]);
    out[n] = '\0';
    return out;
}

/* Stores an image body as a media item and describes it in og (Synapse's keys). */
static int keep_image(struct media *m, struct media_job *job, struct fetch *f,
                      const struct fetched *r, json_t *og)
{
    char *type = bare_type(r->content_type);
    struct media_content c = {.data = f->body.data ? f->body.data : "", .fd = -1,
                              .len = f->body.len};
    char *media_id = NULL;
    int rc = media_upload(m, job->user_id, type, NULL, &c, &media_id);
    if (!rc) {
        char uri[300];
        snprintf(uri, sizeof uri, "mxc://%s/%s", m->server_name, media_id);
        json_object_set_new(og, "og:image", json_string(uri));
        json_object_set_new(og, "og:image:type", json_string(type));
        json_object_set_new(og, "matrix:image:size", json_integer((json_int_t)f->body.len));
        int64_t w, h;
        if (media__image_size((const unsigned char *)c.data, f->body.len, &w, &h)) {
            json_object_set_new(og, "og:image:width", json_integer((json_int_t)w));
            json_object_set_new(og, "og:image:height", json_integer((json_int_t)h));
        }
    }
    free(media_id);
    free(type);
    return rc;
}

static void fetch_init(struct fetch *f, struct media *m, struct media_job *job)
{
    memset(f, 0, sizeof *f);
    f->m = m;
    f->job = job;
    f->max_bytes = m->cfg->media_url_preview_max_spider_size;
    buf_init(&f->body, (size_t)f->max_bytes);
}

/* The page's og:image, fetched through the same checks and kept as media; on
 * any failure the image is left out and the preview goes on (as Synapse). */
static void precache_image(const struct http_curl *c, struct media *m, struct media_job *job,
                           const char *page_url, json_t *og)
{
    json_t *img = json_object_get(og, "og:image");
    char *url = json_is_string(img) ? resolve_url(c, page_url, json_string_value(img)) : NULL;
    json_object_del(og, "og:image");
    if (!url)
        return;
    struct fetch f;
    fetch_init(&f, m, job);
    struct fetched r;
    char detail[160];
    bool html, image;
    if (download(c, m, &f, url, &r, detail, sizeof detail) == 0 &&
        previewable(r.content_type, &html, &image) && image)
        keep_image(m, job, &f, &r, og);
    else
        log_info("preview image left out: %s", r.content_type ? "not an image" : detail);
    fetched_fini(&r);
    buf_fini(&f.body);
    free(url);
}

/* Drops keys and values longer than Synapse allows. */
static void prune(json_t *og)
{
    const char *key;
    json_t *v, *tmp;
    json_object_foreach_safe(og, tmp, key, v)
    {
        size_t vlen = json_is_string(v) ? json_string_length(v) : 0;
        if (strlen(key) > OG_KEY_MAX || vlen > OG_VALUE_MAX * 4 ||
            (json_is_string(v) && str_chars(json_string_value(v), vlen) > OG_VALUE_MAX))
            json_object_del(og, key);
    }
}

int media__preview_run(struct media *m, struct media_job *job)
{
    char lib_err[160];
    const struct http_curl *c = http_curl_get(lib_err, sizeof lib_err);
    if (!c) {
        log_error("%s", lib_err);
        snprintf(job->detail, sizeof job->detail, "URL previews are unavailable on this server");
        return ERR_IO;
    }
    /* Clients in one room ask for the same link at once: those queued behind the
     * first fetch find its answer here instead of fetching again (as Synapse's
     * previewer checks its database first). */
    if (media_preview_cached(m, job->url, &job->og_json) == 0)
        return 0;
    struct fetch f;
    fetch_init(&f, m, job);
    struct fetched r;
    int rc = download(c, m, &f, job->url, &r, job->detail, sizeof job->detail);
    json_t *og = NULL;
    bool html = false, image = false;
    /* Without a Content-Type Synapse lets the download through and finds nothing in it. */
    if (!rc && r.typed && !previewable(r.content_type, &html, &image)) {
        snprintf(job->detail, sizeof job->detail,
                 "Requested file's content type not allowed for this operation");
        rc = ERR_IO;
    }
    if (!rc && image) {
        og = json_object();
        rc = keep_image(m, job, &f, &r, og);
        if (rc)
            snprintf(job->detail, sizeof job->detail, "Failed to store the image");
    } else if (!rc && html) {
        og = media__og_parse(f.body.data, f.body.len, r.content_type);
        buf_fini(&f.body); /* before the image's download */
        precache_image(c, m, job, r.final_url, og);
    } else if (!rc) {
        og = json_object(); /* JSON (oEmbed is not followed), or untyped: nothing to show */
    }
    buf_fini(&f.body);
    if (!rc) {
        prune(og);
        job->og_json = json_dumps(og, JSON_COMPACT);
        int64_t now = clock_now_ms(), life = m->cfg->media_url_preview_cache_lifetime_ms;
        if (job->og_json && life > 0 &&
            db_url_preview_put(m->db, job->url, job->og_json, now, now + life))
            log_warn("cannot cache a URL preview");
        if (!job->og_json)
            rc = ERR_INTERNAL;
    }
    json_decref(og);
    fetched_fini(&r);
    return rc;
}

int media_preview_cached(struct media *m, const char *url, char **og_json)
{
    if (m->cfg->media_url_preview_cache_lifetime_ms == 0) {
        *og_json = NULL;
        return ERR_NOT_FOUND;
    }
    return db_url_preview_get(m->db, url, clock_now_ms(), og_json);
}

int media_preview_start(struct media *m, const char *url, const char *user_id,
                        void (*done)(void *ctx), void *ctx, struct media_job **out)
{
    struct media_job *job = media__job_new(m, MEDIA_JOB_PREVIEW, "", "", done, ctx);
    job->url = xstrdup(url);
    job->user_id = xstrdup(user_id);
    int rc = media__preview_queue(job);
    if (rc) {
        media_job_release(job); /* never queued: freed at once */
        job = NULL;
    }
    *out = job;
    return rc;
}

const char *media_preview_json(const struct media_job *job)
{
    return job->og_json;
}

const char *media_preview_detail(const struct media_job *job)
{
    return job->detail[0] ? job->detail : "Failed to download content";
}
