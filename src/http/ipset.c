/* ipset.c: IP address ranges from configuration lists, and address literals (see ipset.h). */
#include "http/ipset.h"

#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void http_ip_from_v4(const uint8_t v4[4], uint8_t out[16])
{
    memcpy(out, v4_mapped_prefix, sizeof v4_mapped_prefix);
    memcpy(out + 12, v4, 4);
}

bool http_ip_is_v4(const uint8_t addr[16])
{
    return memcmp(addr, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0;
}

/* Parses the literal text[0..len) into IPv6 form; *v4_text says it was written as IPv4. */
static bool parse_literal(const char *text, size_t len, uint8_t out[16], bool *v4_text)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, text, len);
    tmp[len] = '\0';
    uint8_t v4[4];
    *v4_text = inet_pton(AF_INET, tmp, v4) == 1;
    if (*v4_text) {
        http_ip_from_v4(v4, out);
        return true;
    }
    return inet_pton(AF_INET6, tmp, out) == 1;
}

bool http_ip_parse(const char *text, size_t len, uint8_t out[16])
{
    bool v4_text;
    return parse_literal(text, len, out, &v4_text);
}

bool http_ip_format(const uint8_t addr[16], char *out, size_t out_len)
{
    if (http_ip_is_v4(addr))
        return inet_ntop(AF_INET, addr + 12, out, (socklen_t)out_len) != NULL;
    return inet_ntop(AF_INET6, addr, out, (socklen_t)out_len) != NULL;
}

/* Clears the bits of addr after the first prefix ones. */
static void mask(uint8_t addr[16], int prefix)
{
    for (int i = 0; i < 16; i++) {
        int keep = prefix - i * 8;
        if (keep >= 8)
            continue;
        addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

static int add(struct http_ipset *set, const uint8_t addr[16], int prefix, size_t max_ranges)
{
    if (set->n >= max_ranges)
        return ERR_TOO_LARGE;
    set->ranges = xrealloc(set->ranges, (set->n + 1) * sizeof *set->ranges);
    struct http_iprange *r = &set->ranges[set->n++];
    memcpy(r->addr, addr, 16);
    r->prefix = (uint8_t)prefix;
    mask(r->addr, prefix);
    return 0;
}

/* One entry: ADDRESS or ADDRESS/PREFIX. */
static int add_entry(struct http_ipset *set, const char *text, size_t len, size_t max_ranges)
{
    const char *slash = memchr(text, '/', len);
    size_t addr_len = slash ? (size_t)(slash - text) : len;
    uint8_t addr[16];
    bool v4_text;
    if (!parse_literal(text, addr_len, addr, &v4_text))
        return ERR_INVALID;
    int64_t prefix = v4_text ? 32 : 128;
    if (slash && str_to_i64(slash + 1, len - addr_len - 1, 0, prefix, &prefix) != 0)
        return ERR_INVALID;
    if (!v4_text)
        return (set->flags & HTTP_IPSET_FAMILIES) && http_ip_is_v4(addr) && prefix < 96
                   ? ERR_INVALID /* an IPv4-mapped range reaching into IPv6 */
                   : add(set, addr, (int)prefix, max_ranges);
    int rc = add(set, addr, 96 + (int)prefix, max_ranges);
    if (rc || !(set->flags & HTTP_IPSET_V4_SPELLINGS))
        return rc;
    uint8_t compat[16] = {0};
    memcpy(compat + 12, addr + 12, 4);
    rc = add(set, compat, 96 + (int)prefix, max_ranges);
    uint8_t six_to_four[16] = {0x20, 0x02};
    memcpy(six_to_four + 2, addr + 12, 4);
    if (!rc)
        rc = add(set, six_to_four, 16 + (int)prefix, max_ranges);
    return rc;
}

int http_ipset_parse(struct http_ipset *set, const char *list, unsigned flags,
                     const char *default_list, size_t max_ranges, char *err, size_t err_len)
{
    set->flags = flags;
    const char *p = list ? list : "";
    while (*p) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        int rc = default_list && n == 7 && memcmp(p, "default", 7) == 0
                     ? http_ipset_parse(set, default_list, flags, NULL, max_ranges, err, err_len)
                     : add_entry(set, p, n, max_ranges);
        if (rc) {
            if (err && err_len && rc == ERR_TOO_LARGE)
                snprintf(err, err_len, "more than %zu ranges", max_ranges);
            else if (err && err_len)
                snprintf(err, err_len, "'%.*s' is not an IP address or CIDR range",
                         (int)(n > 64 ? 64 : n), p);
            return rc;
        }
        p += n;
    }
    return 0;
}

void http_ipset_fini(struct http_ipset *set)
{
    free(set->ranges);
    set->ranges = NULL;
    set->n = 0;
}

bool http_ipset_has(const struct http_ipset *set, const uint8_t addr[16])
{
    /* Kept apart, an IPv4 address only lies in IPv4 ranges (mapped, /96 or longer). */
    bool v4_only = (set->flags & HTTP_IPSET_FAMILIES) && http_ip_is_v4(addr);
    for (size_t i = 0; i < set->n; i++) {
        const struct http_iprange *r = &set->ranges[i];
        if (v4_only && r->prefix < 96)
            continue;
        uint8_t a[16];
        memcpy(a, addr, 16);
        mask(a, r->prefix);
        if (memcmp(a, r->addr, 16) == 0)
            return true;
    }
    return false;
}
