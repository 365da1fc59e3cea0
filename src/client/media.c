/* media.c: the content repository's endpoints (spec: Content repository,
 * authenticated media). Uploads arrive as raw bodies (ROUTE_RAW_BODY, bounded
 * by [media] max_upload_bytes); downloads are sent from the stored file.
 * Every download carries the headers that keep uploaded content inert in a
 * browser: a Content-Type from a safe list (else application/octet-stream),
 * Content-Disposition inline only for a safe list, a sandboxing CSP and nosniff.
 * Waiting (async uploads not yet sent, thumbnails being made) suspends the
 * request; the media thread resumes it. */
#define LOG_MODULE "client"
#include "client/media.h"
#include "client/client.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "media/media.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    WAIT_DEFAULT_MS = 20000, /* timeout_ms when absent (the spec's default) */
    WAIT_MAX_MS = 60000,     /* longest wait for an async upload */
};

/* Types a browser may show inline (Synapse's list). */
static const char *const inline_types[] = {
    "text/css", "text/plain", "text/csv", "application/json", "application/ld+json",
    "image/jpeg", "image/gif", "image/png", "image/apng", "image/webp", "image/avif",
    "video/mp4", "video/webm", "video/ogg", "video/quicktime", "audio/mp4", "audio/webm",
    "audio/aac", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav", "audio/x-wav",
    "audio/x-pn-wav", "audio/flac", "audio/x-flac",
};
/* Further types served as uploaded, always as attachments. */
static const char *const attachment_types[] = {
    "application/octet-stream", "application/pdf", "application/zip", "application/gzip",
    "application/x-tar", "application/x-7z-compressed", "application/vnd.oasis.opendocument.text",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "audio/ogg; codecs=opus",
};

struct media_state {
    struct media_job *job; /* running wait or thumbnail, owned (released) */
    bool waited;           /* the wait for an async upload has ended */
    bool thumb_started;    /* the job is (or was) the thumbnail's */
    bool thumbed;          /* the thumbnail job has ended */
    int thumb_result;      /* its result */
};

static void state_free(void *p)
{
    struct media_state *st = p;
    media_job_release(st->job);
    free(st);
}

static struct media_state *state_of(struct http_request *req)
{
    if (!req->handler_state) {
        req->handler_state = xcalloc(1, sizeof(struct media_state));
        req->handler_state_free = state_free;
    }
    return req->handler_state;
}

static void resume_request(void *ctx)
{
    http_request_resume(ctx);
}

static bool in_list(const char *const *list, size_t n, const char *type, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncasecmp(list[i], type, len) == 0)
            return true;
    return false;
}

/* The bare type of a content type (before any ';' and spaces). */
static size_t bare_len(const char *type)
{
    size_t n = strcspn(type, ";");
    while (n && type[n - 1] == ' ')
        n--;
    return n;
}

static bool header_safe(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
            return false;
    return n > 0 && n <= max;
}

/* Appends value as an RFC 6266 filename parameter. */
static const char *disposition(struct http_request *req, bool inline_ok, const char *name)
{
    const char *kind = inline_ok ? "inline" : "attachment";
    if (!name || !*name)
        return kind;
    bool plain = true;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("!#$&+-.^_`|~", *p)))
            plain = false;
    if (plain)
        return arena_printf(&req->arena, "%s; filename=%s", kind, name);
    struct buf b;
    buf_init(&b, 4096);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p))
            buf_append_char(&b, (char)*p);
        else
            buf_printf(&b, "%%%02X", *p);
    }
    const char *out = arena_printf(&req->arena, "%s; filename*=utf-8''%s", kind, buf_cstr(&b));
    buf_fini(&b);
    return out;
}

/* Sends f as the reply with the safety headers; takes f's descriptor. */
static void reply_file(struct http_request *req, struct http_reply *rep, struct media_file *f,
                       const char *file_name)
{
    const char *type = f->content_type;
    size_t blen = bare_len(type);
    bool inline_ok = in_list(inline_types, sizeof inline_types / sizeof inline_types[0], type, blen);
    bool known = inline_ok || in_list(attachment_types,
                                      sizeof attachment_types / sizeof attachment_types[0], type,
                                      blen);
    rep->content_type = known && header_safe(type, 255) ? arena_strdup(&req->arena, type)
                                                        : "application/octet-stream";
    const char *name = file_name ? file_name : f->upload_name;
    if (name && (!header_safe(name, 255) || !str_utf8_valid(name, strlen(name))))
        name = NULL;
    http_reply_header(rep, "Content-Disposition", disposition(req, inline_ok, name));
    http_reply_header(rep, "Content-Security-Policy",
                      "sandbox; default-src 'none'; script-src 'none'; plugin-types "
                      "application/pdf; style-src 'unsafe-inline'; media-src 'self'; "
                      "object-src 'self';");
    http_reply_header(rep, "X-Content-Type-Options", "nosniff");
    http_reply_header(rep, "Cross-Origin-Resource-Policy", "cross-origin");
    http_reply_header(rep, "Cache-Control", "public, max-age=86400, s-maxage=86400");
    rep->has_file = true;
    rep->file_fd = f->fd;
    rep->file_size = f->size;
    f->fd = -1;
}

static bool legacy_path(const struct http_request *req)
{
    return strncmp(req->route->pattern, "/_matrix/media/", 15) == 0;
}

/* Common start of downloads and thumbnails: the legacy freeze, then the
 * original's look-up with the wait for an async upload. Returns 0 with f open,
 * or 1 when the reply is set or the request suspended. */
static int open_original(struct http_request *req, struct http_reply *rep, struct media_file *f)
{
    struct server *srv = client_server(req);
    if (legacy_path(req) && !srv->cfg->media_legacy_unauthenticated) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Not found");
        return 1;
    }
    const char *server_name = req->params[0], *media_id = req->params[1];
    int rc = media_open(srv->media, server_name, media_id, f);
    if (rc == 0)
        return 0;
    if (rc == ERR_NOT_FOUND || rc == ERR_INVALID) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Media not found");
        return 1;
    }
    if (rc != ERR_TRUNCATED) {
        client_internal_error(rep, rc);
        return 1;
    }
    struct media_state *st = state_of(req);
    if (st->waited) {
        http_reply_error(rep, 504, "M_NOT_YET_UPLOADED", "The media has not been uploaded yet");
        return 1;
    }
    int64_t timeout_ms = WAIT_DEFAULT_MS;
    const char *t = http_query(req, "timeout_ms");
    if (t && (str_to_i64(t, strlen(t), 0, INT64_MAX, &timeout_ms))) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "timeout_ms must be a non-negative integer");
        return 1;
    }
    if (timeout_ms > WAIT_MAX_MS)
        timeout_ms = WAIT_MAX_MS;
    if (timeout_ms == 0) {
        http_reply_error(rep, 504, "M_NOT_YET_UPLOADED", "The media has not been uploaded yet");
        return 1;
    }
    st->job = media_wait_upload(srv->media, server_name, media_id, clock_now_ms() + timeout_ms,
                                resume_request, req);
    http_request_suspend(req);
    return 1;
}

/* On a resumed request: the job that resumed it has ended; notes what it was
 * and frees it. */
static void collect_job(struct http_request *req)
{
    struct media_state *st = req->handler_state;
    if (!req->resumed || !st || !st->job)
        return;
    int result = media_job_result(st->job);
    media_job_release(st->job);
    st->job = NULL;
    if (st->thumb_started) {
        st->thumbed = true;
        st->thumb_result = result;
    } else {
        st->waited = true;
    }
}

void client_media_download(struct http_request *req, struct http_reply *rep)
{
    struct media_file f;
    collect_job(req);
    if (open_original(req, rep, &f))
        return;
    reply_file(req, rep, &f, req->n_params > 2 ? req->params[2] : NULL);
    media_file_fini(&f);
}

static bool query_side(struct http_request *req, struct http_reply *rep, const char *name,
                       int64_t *out)
{
    const char *v = http_query(req, name);
    if (!v) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing %s", name);
        return false;
    }
    if (str_to_i64(v, strlen(v), 1, INT32_MAX, out)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "%s must be a positive integer", name);
        return false;
    }
    return true;
}

void client_media_thumbnail(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    int64_t w, h;
    if (!query_side(req, rep, "width", &w) || !query_side(req, rep, "height", &h))
        return;
    const char *method = http_query(req, "method");
    if (method && strcmp(method, "crop") != 0 && strcmp(method, "scale") != 0) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "method must be crop or scale");
        return;
    }
    bool crop = method && strcmp(method, "crop") == 0;
    int width = media_thumbnail_side(srv->media, w), height = media_thumbnail_side(srv->media, h);
    collect_job(req);
    struct media_file f;
    if (open_original(req, rep, &f))
        return;
    media_file_fini(&f);
    struct media_state *st = state_of(req);
    struct media_file t;
    int rc = media_thumbnail_open(srv->media, req->params[0], req->params[1], width, height, crop,
                                  &t);
    if (rc == 0) {
        reply_file(req, rep, &t, NULL);
        media_file_fini(&t);
        return;
    }
    if (rc != ERR_NOT_FOUND) {
        client_internal_error(rep, rc);
        return;
    }
    if (st->thumbed) {
        if (st->thumb_result == ERR_UNSUPPORTED || st->thumb_result == ERR_TOO_LARGE)
            http_reply_error(rep, 400, "M_UNKNOWN", "Cannot generate a thumbnail for this media");
        else if (st->thumb_result == ERR_NOT_FOUND)
            http_reply_error(rep, 404, "M_NOT_FOUND", "Media not found");
        else
            client_internal_error(rep, st->thumb_result ? st->thumb_result : ERR_INTERNAL);
        return;
    }
    st->thumb_started = true;
    st->job = media_thumbnail_start(srv->media, req->params[0], req->params[1], width, height,
                                    crop, resume_request, req);
    http_request_suspend(req);
}

/* The client's Content-Type and filename, checked; false with rep filled. */
static bool upload_meta(struct http_request *req, struct http_reply *rep, const char **type,
                        const char **name)
{
    *type = http_header(req, "Content-Type");
    if (!*type || !**type)
        *type = "application/octet-stream";
    if (!header_safe(*type, 255)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Bad Content-Type");
        return false;
    }
    *name = http_query(req, "filename");
    if (*name && (!header_safe(*name, 255) || !str_utf8_valid(*name, strlen(*name)))) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "Bad filename");
        return false;
    }
    return true;
}

/* The raw body: spooled to a file by the http layer, or in memory. */
static struct media_content upload_content(struct http_request *req)
{
    if (req->body_fd >= 0)
        return (struct media_content){.fd = req->body_fd, .len = req->body_fd_len};
    return (struct media_content){
        .data = req->body.data ? req->body.data : "", .fd = -1, .len = req->body.len};
}

void client_media_upload(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *type, *name;
    if (!upload_meta(req, rep, &type, &name))
        return;
    char *media_id;
    struct media_content c = upload_content(req);
    int rc = media_upload(srv->media, req->user_id, type, name, &c, &media_id);
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    char *uri = arena_printf(&req->arena, "mxc://%s/%s", srv->cfg->server_name, media_id);
    free(media_id);
    http_reply_json(rep, 200, json_pack("{s:s}", "content_uri", uri));
}

void client_media_create(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    char *media_id;
    int64_t expires;
    int rc = media_create_pending(srv->media, req->user_id, &media_id, &expires);
    if (rc == ERR_LIMIT) {
        http_reply_error(rep, 429, "M_LIMIT_EXCEEDED", "Too many pending uploads");
        return;
    }
    if (rc) {
        client_internal_error(rep, rc);
        return;
    }
    char *uri = arena_printf(&req->arena, "mxc://%s/%s", srv->cfg->server_name, media_id);
    free(media_id);
    http_reply_json(rep, 200,
                    json_pack("{s:s, s:I}", "content_uri", uri, "unused_expires_at",
                              (json_int_t)expires));
}

void client_media_upload_put(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    const char *type, *name;
    if (!upload_meta(req, rep, &type, &name))
        return;
    if (strcmp(req->params[0], srv->cfg->server_name) != 0) {
        http_reply_error(rep, 404, "M_NOT_FOUND", "Media not found");
        return;
    }
    struct media_content c = upload_content(req);
    int rc = media_upload_pending(srv->media, req->user_id, req->params[1], type, name, &c);
    if (rc == ERR_NOT_FOUND)
        http_reply_error(rep, 404, "M_NOT_FOUND", "Media not found");
    else if (rc == ERR_FORBIDDEN)
        http_reply_error(rep, 403, "M_FORBIDDEN", "This media ID was reserved by another user");
    else if (rc == ERR_EXISTS)
        http_reply_error(rep, 409, "M_CANNOT_OVERWRITE_MEDIA", "The media has already been uploaded");
    else if (rc)
        client_internal_error(rep, rc);
    else
        http_reply_json(rep, 200, json_object());
}

void client_media_config(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    http_reply_json(rep, 200, json_pack("{s:I}", "m.upload.size",
                                        (json_int_t)srv->cfg->media_max_upload_bytes));
}

/* GET /_matrix/client/v1/media/preview_url (and the legacy media path):
 * spec: Client-Server API, Content repository, "preview_url". Off unless
 * [media] url_preview_enabled (404 M_UNRECOGNIZED, as Synapse without it).
 * The legacy /_matrix/media/v3 path is served too, not frozen: it needs an
 * access token like the v1 one, Synapse serves it, and matrix-js-sdk (Element)
 * calls it for previews. The fetch
 * runs on a preview thread; the request is suspended until it ends. Errors
 * follow Synapse: 403 for a refused address, 502 for an unreachable site, an
 * HTTP error, a type that cannot be previewed or a body over the size limit
 * (M_TOO_LARGE), 504 when no answer came in time; 429 when the user already
 * has MEDIA_PREVIEW_PER_USER previews in progress. */
void client_media_preview_url(struct http_request *req, struct http_reply *rep)
{
    struct server *srv = client_server(req);
    if (!media_preview_enabled(srv->media)) {
        http_reply_error(rep, 404, "M_UNRECOGNIZED", "URL previews are disabled on this server");
        return;
    }
    struct media_state *st = req->handler_state;
    if (req->resumed && st && st->job) {
        int rc = media_job_result(st->job);
        const char *text = media_preview_json(st->job);
        json_t *og = rc == 0 && text ? json_loads(text, 0, NULL) : NULL;
        if (og)
            http_reply_json(rep, 200, og);
        else if (rc == ERR_FORBIDDEN)
            http_reply_error(rep, 403, "M_UNKNOWN", "IP address blocked");
        else if (rc == ERR_TOO_LARGE)
            http_reply_error(rep, 502, "M_TOO_LARGE", "%s", media_preview_detail(st->job));
        else if (rc == ERR_LIMIT)
            http_reply_error(rep, 504, "M_UNKNOWN", "%s", media_preview_detail(st->job));
        else if (rc == ERR_IO)
            http_reply_error(rep, 502, "M_UNKNOWN", "%s", media_preview_detail(st->job));
        else if (rc == ERR_INVALID)
            http_reply_error(rep, 400, "M_INVALID_PARAM", "%s", media_preview_detail(st->job));
        else
            client_internal_error(rep, rc ? rc : ERR_INTERNAL);
        media_job_release(st->job);
        st->job = NULL;
        return;
    }
    const char *url = http_query(req, "url");
    if (!url || !*url) {
        http_reply_error(rep, 400, "M_MISSING_PARAM", "Missing url");
        return;
    }
    const char *ts = http_query(req, "ts");
    int64_t ts_ms;
    if (ts && str_to_i64(ts, strlen(ts), 0, INT64_MAX, &ts_ms)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "ts must be a non-negative integer");
        return;
    }
    if (media_preview_check_url(url)) {
        http_reply_error(rep, 400, "M_INVALID_PARAM", "url must be an absolute http or https URL");
        return;
    }
    char *cached;
    int rc = media_preview_cached(srv->media, url, &cached);
    if (rc == 0) {
        json_t *og = json_loads(cached, 0, NULL);
        free(cached);
        if (og) {
            http_reply_json(rep, 200, og);
            return;
        }
    } else if (rc != ERR_NOT_FOUND) {
        client_internal_error(rep, rc);
        return;
    }
    st = state_of(req);
    if (media_preview_start(srv->media, url, req->user_id, resume_request, req, &st->job)) {
        http_reply_error(rep, 429, "M_LIMIT_EXCEEDED", "Too many URL previews in progress");
        return;
    }
    http_request_suspend(req);
}
