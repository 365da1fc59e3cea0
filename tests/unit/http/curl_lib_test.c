/* curl_lib_test.c: the libcurl loader (src/http/curl_lib.c): nothing is loaded before the
 * first http_curl_get, then every function in the table is resolved and works. The URL
 * resolution expected is RFC 3986 section 5.4.1's ("../g" against "http://a/b/c/d;p?q"). */
#include "harness.h"

#include "http/curl_lib.h"

TEST_CASE(http, curl_loaded_on_first_use)
{
    ASSERT_TRUE(!http_curl_loaded());
    char err[200] = "";
    const struct http_curl *c = http_curl_get(err, sizeof err);
    if (!c)
        harness_skip(err); /* libcurl4 not installed on this machine */
    ASSERT_TRUE(http_curl_loaded());
    ASSERT_TRUE(http_curl_get(NULL, 0) == c);
    ASSERT_STR_EQ(c->easy_strerror(CURLE_OK), "No error");
    CURL *h = c->easy_init();
    ASSERT_TRUE(h != NULL);
    ASSERT_INT_EQ(c->easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
    c->easy_reset(h);
    c->easy_cleanup(h);
    struct curl_slist *list = c->slist_append(NULL, "Content-Type: application/json");
    ASSERT_TRUE(list != NULL);
    c->slist_free_all(list);
    CURLU *u = c->url();
    ASSERT_TRUE(u != NULL);
    ASSERT_INT_EQ(c->url_set(u, CURLUPART_URL, "http://a/b/c/d;p?q", 0), CURLUE_OK);
    ASSERT_INT_EQ(c->url_set(u, CURLUPART_URL, "../g", 0), CURLUE_OK);
    char *text = NULL;
    ASSERT_INT_EQ(c->url_get(u, CURLUPART_URL, &text, 0), CURLUE_OK);
    ASSERT_STR_EQ(text, "http://a/b/g");
    c->free(text);
    c->url_cleanup(u);
}
