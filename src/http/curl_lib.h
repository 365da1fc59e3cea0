/* curl_lib.h: libcurl, loaded with dlopen by its first user instead of linked.
 *
 * Linked, libcurl and what it pulls in (OpenSSL's libcrypto and libssl, Kerberos, LDAP,
 * libssh2, nghttp2, zstd, brotli, ...) cost the idle server ~3.2 MB of RSS and several
 * milliseconds of start-up in relocations, though only some deployments make outbound
 * requests (upstream AI models, push gateways, URL previews, `relais llm pull`). Only the
 * headers are used at build time; every outbound caller goes through this one loader.
 *
 * Use (any thread):
 *
 *     char err[160];
 *     const struct http_curl *c = http_curl_get(err, sizeof err);
 *     if (!c) {                       // libcurl missing: err says which package to install
 *         log_error("%s", err);       // answer 502/503, keep the job queued, ...
 *         return ERR_UNSUPPORTED;
 *     }
 *     CURL *h = c->easy_init();
 *     c->easy_setopt(h, CURLOPT_URL, url);
 *     CURLcode cr = c->easy_perform(h);
 *     c->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
 *     c->easy_cleanup(h);
 *
 * The members are libcurl's functions of the same name without the curl_ prefix
 * (c->easy_setopt is curl_easy_setopt, c->slist_append is curl_slist_append, c->url_set is
 * curl_url_set, c->free is curl_free); they take the same arguments, options and codes from
 * <curl/curl.h>, which a caller includes itself. Do not call curl_* directly: the binary does
 * not link libcurl, so a direct call fails to link. Need a function that is not here? Add a
 * member (and its dlsym line in curl_lib.c); keep one loader.
 *
 * The first successful http_curl_get loads the library (libcurl.so.4, or Debian's GnuTLS
 * flavour libcurl-gnutls.so.4) and runs curl_global_init(CURL_GLOBAL_DEFAULT) once, under a
 * pthread_once, so no caller calls curl_global_init. The table is never unloaded. */
#ifndef RELAIS_HTTP_CURL_LIB_H
#define RELAIS_HTTP_CURL_LIB_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct http_curl {
    CURL *(*easy_init)(void);                                   /* curl_easy_init */
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...); /* curl_easy_setopt */
    CURLcode (*easy_perform)(CURL *curl);                       /* curl_easy_perform */
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);   /* curl_easy_getinfo */
    void (*easy_reset)(CURL *curl);                             /* curl_easy_reset */
    void (*easy_cleanup)(CURL *curl);                           /* curl_easy_cleanup */
    const char *(*easy_strerror)(CURLcode code);                /* curl_easy_strerror */
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s); /* curl_slist_append */
    void (*slist_free_all)(struct curl_slist *list);            /* curl_slist_free_all */
    CURLU *(*url)(void);                                        /* curl_url */
    CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *content,
                         unsigned int flags);                   /* curl_url_set */
    CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **content,
                         unsigned int flags);                   /* curl_url_get */
    void (*url_cleanup)(CURLU *u);                              /* curl_url_cleanup */
    void (*free)(void *p);                                      /* curl_free (url_get's text) */
};

/* Returns libcurl's function table, loading and initialising the library on the first call
 * (thread-safe; later calls only read a flag). The table is static and valid until exit.
 * Returns NULL when libcurl is not installed or failed to initialise; every call then
 * fails the same way, and err (may be NULL) receives a message naming the Debian package
 * to install, safe to log (not meant for clients). */
const struct http_curl *http_curl_get(char *err, size_t err_len);

/* True once libcurl has been loaded (for tests and the idle-RSS measurements). */
bool http_curl_loaded(void);

#endif
