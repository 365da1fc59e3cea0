/* curl_lib.c: loading libcurl on first use (see curl_lib.h): dlopen, dlsym of the few
 * functions relais calls, and curl_global_init once. Nothing else here knows about
 * transfers; the callers (src/ai, src/push, src/media, src/cli) own those. */
#define LOG_MODULE "http"
#include "http/curl_lib.h"

#include "base/dl.h"
#include "base/log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct http_curl curl_table;      /* filled once by curl_setup */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static _Atomic bool curl_ready;          /* the table is complete and curl is initialised */
static char curl_error[200];             /* why loading failed, written once by curl_setup */

static void curl_setup(void)
{
    /* Debian's libcurl4 (OpenSSL), else libcurl3-gnutls (same ABI, other TLS library). */
    static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
    void *h = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !h; i++)
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(curl_error, sizeof curl_error,
                 "libcurl not found (%s): install the libcurl4 package", dlerror());
        return;
    }
    struct http_curl *t = &curl_table;
    CURLcode (*global_init)(long flags);
    bool ok = dl_symbol(h, "curl_global_init", &global_init) &&
              dl_symbol(h, "curl_easy_init", &t->easy_init) &&
              dl_symbol(h, "curl_easy_setopt", &t->easy_setopt) &&
              dl_symbol(h, "curl_easy_perform", &t->easy_perform) &&
              dl_symbol(h, "curl_easy_getinfo", &t->easy_getinfo) &&
              dl_symbol(h, "curl_easy_reset", &t->easy_reset) &&
              dl_symbol(h, "curl_easy_cleanup", &t->easy_cleanup) &&
              dl_symbol(h, "curl_easy_strerror", &t->easy_strerror) &&
              dl_symbol(h, "curl_slist_append", &t->slist_append) &&
              dl_symbol(h, "curl_slist_free_all", &t->slist_free_all) &&
              dl_symbol(h, "curl_url", &t->url) && dl_symbol(h, "curl_url_set", &t->url_set) &&
              dl_symbol(h, "curl_url_get", &t->url_get) &&
              dl_symbol(h, "curl_url_cleanup", &t->url_cleanup) &&
              dl_symbol(h, "curl_free", &t->free);
    if (!ok) {
        snprintf(curl_error, sizeof curl_error,
                 "libcurl is too old (%s): install libcurl4 7.62 or later", dlerror());
        return;
    }
    CURLcode cr = global_init(CURL_GLOBAL_DEFAULT);
    if (cr != CURLE_OK) {
        snprintf(curl_error, sizeof curl_error, "libcurl failed to initialise: %s",
                 t->easy_strerror(cr));
        return;
    }
    log_debug("libcurl loaded");
    curl_ready = true;
}

const struct http_curl *http_curl_get(char *err, size_t err_len)
{
    if (!curl_ready)
        pthread_once(&curl_once, curl_setup);
    if (curl_ready)
        return &curl_table;
    if (err && err_len)
        snprintf(err, err_len, "%s", curl_error);
    return NULL;
}

bool http_curl_loaded(void)
{
    return curl_ready;
}
