/* proxy_test.c: [http] trusted_proxies parsing and the client address chosen from the
 * peer and X-Forwarded-For (src/http/proxy.c). The expected addresses follow the rule
 * that only the part of the chain added by trusted proxies is believed (the rightmost
 * untrusted entry is the client), as nginx's real_ip_recursive and MDN's
 * X-Forwarded-For page describe. */
#include "harness.h"

#include "base/err.h"
#include "http/proxy.h"

#include <string.h>

TEST_CASE(http, trusted_proxies_parse_table)
{
    static const struct {
        const char *list;
        int rc;       /* expected result */
        size_t count; /* ranges when rc == 0 */
    } rows[] = {
        {"", 0, 0},
        {"   ", 0, 0},
        {"127.0.0.1", 0, 1},
        {"10.0.0.0/8, 192.168.0.0/16 ,::1", 0, 3},
        {"10.0.0.0/8,,fd00::/8", 0, 2},
        {"0.0.0.0/0 ::/0", 0, 2},
        {"::ffff:10.0.0.0/104", 0, 1},
        {"10.0.0.0/33", ERR_INVALID, 0},
        {"::1/129", ERR_INVALID, 0},
        {"10.0.0.0/", ERR_INVALID, 0},
        {"10.0.0.0/-1", ERR_INVALID, 0},
        {"10.0.0.0/8x", ERR_INVALID, 0},
        {"10.0.0", ERR_INVALID, 0},
        {"localhost", ERR_INVALID, 0},
        {"10.0.0.1, garbage", ERR_INVALID, 0},
        {"::ffff:10.0.0.0/95", ERR_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct http_proxies *p = NULL;
        char err[160] = "";
        int rc = http_proxies_parse(rows[i].list, &p, err, sizeof err);
        if (rc != rows[i].rc)
            harness_fail(__FILE__, __LINE__, "row %zu \"%s\": rc %d, want %d", i, rows[i].list,
                         rc, rows[i].rc);
        if (rc == 0 && http_proxies_count(p) != rows[i].count)
            harness_fail(__FILE__, __LINE__, "row %zu \"%s\": %zu ranges, want %zu", i,
                         rows[i].list, http_proxies_count(p), rows[i].count);
        if (rc != 0 && (p != NULL || strstr(err, "trusted_proxies") == NULL))
            harness_fail(__FILE__, __LINE__, "row %zu: no clean error (%s)", i, err);
        http_proxies_free(p);
    }
}

TEST_CASE(http, trusted_proxies_membership)
{
    struct http_proxies *p = NULL;
    ASSERT_INT_EQ(http_proxies_parse("10.0.0.0/8, 192.168.1.128/25, 2001:db8::/32", &p, NULL,
                                     0),
                  0);
    ASSERT_TRUE(http_proxies_trusts(p, "10.255.0.1"));
    ASSERT_TRUE(!http_proxies_trusts(p, "11.0.0.1"));
    ASSERT_TRUE(http_proxies_trusts(p, "192.168.1.200"));
    ASSERT_TRUE(!http_proxies_trusts(p, "192.168.1.127")); /* /25: .128-.255 only */
    ASSERT_TRUE(http_proxies_trusts(p, "::ffff:10.1.2.3")); /* IPv4-mapped peer */
    ASSERT_TRUE(http_proxies_trusts(p, "2001:db8:ffff::1"));
    ASSERT_TRUE(!http_proxies_trusts(p, "2001:db9::1"));
    ASSERT_TRUE(!http_proxies_trusts(p, "::a00:1")); /* IPv4-compatible is not IPv4 */
    ASSERT_TRUE(!http_proxies_trusts(p, "not an address"));
    ASSERT_TRUE(!http_proxies_trusts(NULL, "10.0.0.1"));
    http_proxies_free(p);
}

TEST_CASE(http, client_address_table)
{
    static const struct {
        const char *trusted; /* NULL: no proxies */
        const char *peer;
        const char *xff;     /* NULL: no header */
        const char *client;
    } rows[] = {
        /* Nothing trusted, or an untrusted peer: the header is ignored. */
        {NULL, "198.51.100.7", "203.0.113.9", "198.51.100.7"},
        {"127.0.0.1", "198.51.100.7", "203.0.113.9", "198.51.100.7"},
        /* A trusted peer without the header. */
        {"127.0.0.1", "127.0.0.1", NULL, "127.0.0.1"},
        {"127.0.0.1", "127.0.0.1", "", "127.0.0.1"},
        /* One proxy. */
        {"127.0.0.1", "127.0.0.1", "203.0.113.9", "203.0.113.9"},
        {"127.0.0.1", "127.0.0.1", "  203.0.113.9  ", "203.0.113.9"},
        /* A forged entry left of the real client is not believed. */
        {"127.0.0.1", "127.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"},
        /* A chain of trusted proxies is walked through. */
        {"127.0.0.1, 10.0.0.0/8", "127.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.2, 10.9.9.9",
         "203.0.113.9"},
        /* Every entry trusted: the leftmost. */
        {"10.0.0.0/8, 127.0.0.1", "127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1"},
        /* Garbage stops the walk at the last address accepted. */
        {"127.0.0.1", "127.0.0.1", "203.0.113.9, unknown", "127.0.0.1"},
        {"127.0.0.1, 10.0.0.0/8", "127.0.0.1", "junk, 10.0.0.5", "10.0.0.5"},
        {"127.0.0.1", "127.0.0.1", "203.0.113.9,", "127.0.0.1"},
        /* Ports and brackets; IPv6; canonical forms. */
        {"127.0.0.1", "127.0.0.1", "203.0.113.9:4711", "203.0.113.9"},
        {"::1", "::1", "[2001:DB8:0::1]:443", "2001:db8::1"},
        {"::1", "::1", "2001:db8:0:0::7", "2001:db8::7"},
        {"::1", "::1", "::ffff:203.0.113.9", "203.0.113.9"},
        {"::1", "::1", "[2001:db8::1", "::1"},
        {"127.0.0.0/8", "::ffff:127.0.0.1", "203.0.113.9", "203.0.113.9"},
        /* Several headers joined in order: the last one's last entry is the nearest hop. */
        {"127.0.0.1", "127.0.0.1", "1.1.1.1, 2.2.2.2,3.3.3.3", "3.3.3.3"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct http_proxies *p = NULL;
        if (rows[i].trusted)
            ASSERT_INT_EQ(http_proxies_parse(rows[i].trusted, &p, NULL, 0), 0);
        char out[64];
        http_client_address(p, rows[i].peer, rows[i].xff, out, sizeof out);
        if (strcmp(out, rows[i].client) != 0)
            harness_fail(__FILE__, __LINE__, "row %zu (peer %s, X-Forwarded-For \"%s\"): %s, want %s",
                         i, rows[i].peer, rows[i].xff ? rows[i].xff : "(none)", out,
                         rows[i].client);
        http_proxies_free(p);
    }
}
