/* ipset_test.c: the one parser of IP range lists (src/http/ipset.c) under both readings:
 * trusted_proxies (IPv4 and IPv6 kept apart) and the URL preview blacklist (an IPv4 range
 * also covers its IPv4-compatible and 6to4 spellings, RFC 4291 2.5.5.1 and RFC 3056). */
#include "harness.h"

#include "base/err.h"
#include "http/ipset.h"

#include <string.h>

TEST_CASE(http, ipset_readings_table)
{
    static const struct {
        const char *list;
        unsigned flags;
        const char *addr; /* NULL: the list must be refused */
        bool has;
    } rows[] = {
        /* IPv4 ranges match an IPv4 address however it is written. */
        {"10.0.0.0/8", 0, "10.1.2.3", true},
        {"10.0.0.0/8", 0, "::ffff:10.1.2.3", true},
        {"10.0.0.0/8", HTTP_IPSET_FAMILIES, "::ffff:10.1.2.3", true},
        {"10.0.0.0/8", 0, "11.0.0.1", false},
        {"::ffff:10.0.0.0/104", HTTP_IPSET_FAMILIES, "10.200.0.1", true},
        {"::ffff:10.0.0.0/104", HTTP_IPSET_FAMILIES, "11.0.0.1", false},
        /* Kept apart, an IPv6 range does not cover IPv4; otherwise ::/0 is everything. */
        {"::/0", HTTP_IPSET_FAMILIES, "10.0.0.1", false},
        {"::/0", HTTP_IPSET_FAMILIES, "2001:db8::1", true},
        {"::/0", 0, "10.0.0.1", true},
        {"::ffff:10.0.0.0/95", HTTP_IPSET_FAMILIES, NULL, false},
        {"::ffff:10.0.0.0/95", 0, "10.0.0.1", true},
        /* The other spellings of an IPv4 range, only when asked for. */
        {"10.0.0.0/8", HTTP_IPSET_V4_SPELLINGS, "::10.1.2.3", true},
        {"10.0.0.0/8", HTTP_IPSET_V4_SPELLINGS, "2002:a01:203::1", true},
        {"10.0.0.0/8", HTTP_IPSET_V4_SPELLINGS, "2002:b01:203::1", false},
        {"10.0.0.0/8", 0, "::10.1.2.3", false},
        {"10.0.0.0/8", 0, "2002:a01:203::1", false},
        {"10.0.0.0/8", HTTP_IPSET_FAMILIES, "::10.1.2.3", false},
        /* Bad entries. */
        {"default", 0, NULL, false},
        {"10.0.0.0/33", 0, NULL, false},
        {"10.0.0.0/", 0, NULL, false},
        {"fe80::/129", 0, NULL, false},
        {"10.0.0.1 host.example", 0, NULL, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct http_ipset set = {0};
        char err[160] = "";
        int rc = http_ipset_parse(&set, rows[i].list, rows[i].flags, NULL, 100, err, sizeof err);
        if (!rows[i].addr) {
            if (rc != ERR_INVALID || strstr(err, "is not an IP address") == NULL)
                harness_fail(__FILE__, __LINE__, "row %zu \"%s\": rc %d (%s), want refused", i,
                             rows[i].list, rc, err);
        } else {
            uint8_t a[16];
            ASSERT_TRUE(http_ip_parse(rows[i].addr, strlen(rows[i].addr), a));
            if (rc != 0 || http_ipset_has(&set, a) != rows[i].has)
                harness_fail(__FILE__, __LINE__, "row %zu \"%s\" flags %u, %s: rc %d, has %d", i,
                             rows[i].list, rows[i].flags, rows[i].addr, rc,
                             rc ? -1 : http_ipset_has(&set, a));
        }
        http_ipset_fini(&set);
    }
}

TEST_CASE(http, ipset_default_word_and_limit)
{
    struct http_ipset set = {0};
    char err[160];
    ASSERT_INT_EQ(http_ipset_parse(&set, "default, 192.0.2.1", 0, "10.0.0.0/8 ::1", 100, err,
                                   sizeof err),
                  0);
    ASSERT_INT_EQ(set.n, 3);
    http_ipset_fini(&set);
    ASSERT_INT_EQ(http_ipset_parse(&set, "10.0.0.1 10.0.0.2 10.0.0.3", 0, NULL, 2, err,
                                   sizeof err),
                  ERR_TOO_LARGE);
    ASSERT_INT_EQ(set.n, 2); /* what came before the entry over the limit stays */
    http_ipset_fini(&set);
    /* Canonical text: IPv4 (also when written IPv4-mapped) as a.b.c.d. */
    uint8_t a[16];
    char text[64];
    ASSERT_TRUE(http_ip_parse("::FFFF:192.0.2.1", 16, a));
    ASSERT_TRUE(http_ip_format(a, text, sizeof text));
    ASSERT_STR_EQ(text, "192.0.2.1");
    ASSERT_TRUE(http_ip_parse("2001:DB8:0::1", 13, a));
    ASSERT_TRUE(http_ip_format(a, text, sizeof text));
    ASSERT_STR_EQ(text, "2001:db8::1");
    ASSERT_TRUE(!http_ip_parse("10.0.0", 6, a));
    ASSERT_TRUE(!http_ip_parse("", 0, a));
}
