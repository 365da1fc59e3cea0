/* thumbnail.c: thumbnails made with libvips on the media thread, cached as
 * content-addressed files with a database row per (media, width, height,
 * method). Only JPEG, PNG, GIF and WebP sources are read (other libvips
 * loaders, such as SVG or PDF, are never used), the source's pixel count is
 * bounded before decoding, only the first frame of an animation is used, and
 * images are only ever shrunk: a thumbnail is never larger than the request
 * nor than the original. */
#define LOG_MODULE "media"
#include "media/internal.h"

#include "base/dl.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "db/media.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

/* libvips (and the hundred libraries it pulls in) is loaded with dlopen on
 * the first thumbnail, not linked: linked, it took the idle server from 7 MB
 * to 37 MB of RSS and added ~50 ms to start-up. Only its headers are used at
 * build time; these are the functions we call. */
static struct {
    int (*init)(const char *argv0);
    void (*block_untrusted_set)(gboolean state);
    void (*concurrency_set)(int concurrency);
    void (*cache_set_max)(int max);
    const char *(*foreign_find_load)(const char *filename);
    void (*error_clear)(void);
    const char *(*error_buffer)(void);
    VipsImage *(*image_new_from_file)(const char *name, ...);
    int (*image_get_width)(const VipsImage *image);
    int (*image_get_height)(const VipsImage *image);
    int (*thumbnail)(const char *filename, VipsImage **out, int width, ...);
    int (*image_write_to_buffer)(VipsImage *in, const char *suffix, void **buf, size_t *size,
                                 ...);
    void (*free)(gpointer mem);
    void (*object_unref)(gpointer object);
    void (*shutdown)(void);
} vips;

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static bool vips_ready;

static void vips_setup(void)
{
    void *h = dlopen("libvips.so.42", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        log_error("libvips not found (%s): thumbnails disabled", dlerror());
        return;
    }
    bool ok = dl_symbol(h, "vips_init", &vips.init) &&
              dl_symbol(h, "vips_block_untrusted_set", &vips.block_untrusted_set) &&
              dl_symbol(h, "vips_concurrency_set", &vips.concurrency_set) &&
              dl_symbol(h, "vips_cache_set_max", &vips.cache_set_max) &&
              dl_symbol(h, "vips_foreign_find_load", &vips.foreign_find_load) &&
              dl_symbol(h, "vips_error_clear", &vips.error_clear) &&
              dl_symbol(h, "vips_error_buffer", &vips.error_buffer) &&
              dl_symbol(h, "vips_image_new_from_file", &vips.image_new_from_file) &&
              dl_symbol(h, "vips_image_get_width", &vips.image_get_width) &&
              dl_symbol(h, "vips_image_get_height", &vips.image_get_height) &&
              dl_symbol(h, "vips_thumbnail", &vips.thumbnail) &&
              dl_symbol(h, "vips_image_write_to_buffer", &vips.image_write_to_buffer) &&
              dl_symbol(h, "g_free", &vips.free) &&
              dl_symbol(h, "g_object_unref", &vips.object_unref) &&
              dl_symbol(h, "vips_shutdown", &vips.shutdown);
    if (!ok || vips.init("relais")) {
        log_error("libvips failed to initialise: thumbnails disabled");
        return;
    }
    vips.block_untrusted_set(TRUE);
    vips.concurrency_set(1); /* the media thread is one core's worth of work */
    vips.cache_set_max(0);   /* thumbnails are cached on disk; keep no decoded images */
    vips_ready = true;
}


/* Thumbnails are made at these sides only (each requested side is rounded
 * down to one), so the cache holds a bounded number per media item however
 * many sizes clients ask for. */
static const int thumbnail_sides[] = {8,   16,  24,  32,  48,  64,  96,  128, 160,
                                      240, 320, 480, 640, 800, 960, 1280, 1600};

int media_thumbnail_side(const struct media *m, int64_t requested)
{
    int side = thumbnail_sides[0];
    for (size_t i = 0; i < sizeof thumbnail_sides / sizeof thumbnail_sides[0]; i++)
        if (thumbnail_sides[i] <= requested && thumbnail_sides[i] <= m->max_side)
            side = thumbnail_sides[i];
    return side;
}

static const char *method_name(bool crop)
{
    return crop ? "crop" : "scale";
}

int media_thumbnail_open(struct media *m, const char *server, const char *media_id, int width,
                         int height, bool crop, struct media_file *out)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    struct db_media_thumb t;
    int rc = db_media_thumb_get(m->db, server, media_id, width, height, method_name(crop), &t);
    if (rc)
        return rc;
    rc = media__store_open(m, t.sha256, &out->fd, &out->size);
    if (!rc) {
        out->content_type = t.content_type;
        t.content_type = NULL;
    }
    db_media_thumb_fini(&t);
    return rc;
}

struct media_job *media_thumbnail_start(struct media *m, const char *server, const char *media_id,
                                        int width, int height, bool crop,
                                        void (*done)(void *ctx), void *ctx)
{
    struct media_job *job = media__job_new(m, MEDIA_JOB_THUMBNAIL, server, media_id, done, ctx);
    job->width = media_thumbnail_side(m, width);
    job->height = media_thumbnail_side(m, height);
    job->crop = crop;
    media__job_queue(job);
    return job;
}

/* Whether libvips would read the file with a loader we accept; *jpeg says
 * which output format suits it. */
static bool loader_allowed(const char *path, bool *jpeg)
{
    static const char *const allowed[] = {"VipsForeignLoadJpeg", "VipsForeignLoadPng",
                                          "VipsForeignLoadNsgif", "VipsForeignLoadGif",
                                          "VipsForeignLoadWebp"};
    const char *loader = vips.foreign_find_load(path);
    if (!loader) {
        vips.error_clear();
        return false;
    }
    *jpeg = strncmp(loader, "VipsForeignLoadJpeg", 19) == 0;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strncmp(loader, allowed[i], strlen(allowed[i])) == 0)
            return true;
    return false;
}

void media__thumbnail_shutdown(void)
{
    /* libvips' own threads must be gone before exit (LeakSanitizer's exit
     * scan crashes on threads of a dlopened library that still run). */
    if (vips_ready)
        vips.shutdown();
    vips_ready = false;
}

int media__thumbnail_make(struct media *m, const struct media_job *job)
{
    pthread_once(&vips_once, vips_setup); /* libvips is loaded by the first thumbnail */
    if (!vips_ready)
        return ERR_UNSUPPORTED;
    struct db_media row;
    int rc = db_media_get(m->db, job->server, job->media_id, &row);
    if (rc)
        return rc;
    char *path = NULL;
    VipsImage *header = NULL, *thumb = NULL;
    void *out_buf = NULL;
    size_t out_len = 0;
    bool jpeg = false;
    if (!row.sha256 || row.quarantined) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    path = media__store_path(m, row.sha256);
    if (!loader_allowed(path, &jpeg)) {
        rc = ERR_UNSUPPORTED;
        goto out;
    }
    header = vips.image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!header) {
        rc = ERR_UNSUPPORTED;
        goto out;
    }
    int64_t pixels = (int64_t)vips.image_get_width(header) * vips.image_get_height(header);
    if (pixels > m->max_source_pixels) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if (job->crop)
        rc = vips.thumbnail(path, &thumb, job->width, "height", job->height, "size",
                            VIPS_SIZE_DOWN, "crop", VIPS_INTERESTING_CENTRE, NULL);
    else
        rc = vips.thumbnail(path, &thumb, job->width, "height", job->height, "size",
                            VIPS_SIZE_DOWN, NULL);
    if (rc || vips.image_write_to_buffer(thumb, jpeg ? ".jpg[Q=80,strip]" : ".png[strip]",
                                         &out_buf, &out_len, NULL)) {
        log_warn("thumbnail failed media_id=%s: %s", job->media_id, vips.error_buffer());
        rc = ERR_UNSUPPORTED;
        goto out;
    }
    struct db_media_thumb t = {.content_type = jpeg ? "image/jpeg" : "image/png",
                               .size = (int64_t)out_len};
    char sha[65];
    struct media_content c = {.data = out_buf, .fd = -1, .len = out_len};
    rc = media__store_put(m, &c, sha);
    if (!rc) {
        t.sha256 = sha;
        rc = db_media_thumb_put(m->db, job->server, job->media_id, job->width, job->height,
                                method_name(job->crop), &t);
    }
    if (!rc)
        log_info("thumbnail media_id=%s %dx%d %s -> %dx%d %zu bytes", job->media_id, job->width,
                 job->height, method_name(job->crop), vips.image_get_width(thumb),
                 vips.image_get_height(thumb), out_len);
out:
    vips.error_clear();
    if (out_buf)
        vips.free(out_buf);
    if (thumb)
        vips.object_unref(thumb);
    if (header)
        vips.object_unref(header);
    free(path);
    db_media_fini(&row);
    return rc;
}
