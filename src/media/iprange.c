/* iprange.c: sets of IP ranges for the URL previewer's address check
 * (`[media] url_preview_ip_range_blacklist` / `_whitelist`).
 *
 * Every address and range is held in IPv6 form (16 bytes and a prefix length
 * over 128 bits): an IPv4 address a.b.c.d is ::ffff:a.b.c.d (RFC 4291 2.5.5.2),
 * so an IPv4 socket address and an IPv4-mapped IPv6 one match the same IPv4
 * range. For a blacklist (media__ipset_parse with v4_in_v6), an IPv4 range also
 * covers its IPv4-compatible form ::a.b.c.d (RFC 4291 2.5.5.1) and its 6to4 form
 * 2002:AABB:CCDD::/(16+len) (RFC 3056), as Synapse's generate_ip_set does, so a
 * host cannot be reached through those spellings either. Parsing does no I/O. */
#include "media/internal.h"

#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IPSET_MAX = 4096 }; /* ranges in one set (each IPv4 entry takes up to 3) */

/* "default": Synapse's DEFAULT_IP_RANGE_BLOCKLIST (loopback, private, CGNAT,
 * IETF protocol assignments, link-local, the old 6to4 relay, benchmarking and
 * documentation networks, multicast; ::1, link-local, unique-local,
 * documentation, multicast and site-local IPv6) plus 0.0.0.0/8 ("this
 * network") and 240.0.0.0/4 (reserved, with the broadcast address). */
static const char default_list[] =
    "127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 192.0.0.0/24, "
    "169.254.0.0/16, 192.88.99.0/24, 198.18.0.0/15, 192.0.2.0/24, 198.51.100.0/24, "
    "203.0.113.0/24, 224.0.0.0/4, 0.0.0.0/8, 240.0.0.0/4, ::1/128, fe80::/10, fc00::/7, "
    "2001:db8::/32, ff00::/8, fec0::/10";

static void mask(uint8_t addr[16], int prefix)
{
    for (int i = 0; i < 16; i++) {
        int keep = prefix - i * 8;
        if (keep >= 8)
            continue;
        addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

static int add(struct media_ipset *set, const uint8_t addr[16], int prefix)
{
    if (set->n == IPSET_MAX)
        return ERR_TOO_LARGE;
    set->ranges = xrealloc(set->ranges, (set->n + 1) * sizeof *set->ranges);
    struct media_iprange *r = &set->ranges[set->n++];
    memcpy(r->addr, addr, 16);
    r->prefix = (uint8_t)prefix;
    mask(r->addr, prefix);
    return 0;
}

void media__ip_from_v4(const uint8_t v4[4], uint8_t out[16])
{
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, v4, 4);
}

/* One entry: ADDRESS or ADDRESS/PREFIX. */
static int add_entry(struct media_ipset *set, const char *text, size_t len, bool v4_in_v6)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = memchr(text, '/', len);
    size_t hlen = slash ? (size_t)(slash - text) : len;
    if (hlen == 0 || hlen >= sizeof host)
        return ERR_INVALID;
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    uint8_t v4[4], v6[16];
    bool is_v4 = inet_pton(AF_INET, host, v4) == 1;
    if (!is_v4 && inet_pton(AF_INET6, host, v6) != 1)
        return ERR_INVALID;
    int64_t prefix = is_v4 ? 32 : 128;
    if (slash) {
        size_t plen = len - hlen - 1;
        if (str_to_i64(slash + 1, plen, 0, prefix, &prefix))
            return ERR_INVALID;
    }
    if (!is_v4)
        return add(set, v6, (int)prefix);
    media__ip_from_v4(v4, v6);
    int rc = add(set, v6, 96 + (int)prefix);
    if (rc || !v4_in_v6)
        return rc;
    uint8_t compat[16] = {0};
    memcpy(compat + 12, v4, 4);
    rc = add(set, compat, 96 + (int)prefix);
    uint8_t six_to_four[16] = {0x20, 0x02};
    memcpy(six_to_four + 2, v4, 4);
    if (!rc)
        rc = add(set, six_to_four, 16 + (int)prefix);
    return rc;
}

int media__ipset_parse(struct media_ipset *set, const char *list, bool v4_in_v6, char *err,
                       size_t err_len)
{
    const char *p = list ? list : "";
    while (*p) {
        size_t skip = strspn(p, ", \t");
        p += skip;
        size_t n = strcspn(p, ", \t");
        if (n == 0)
            break;
        int rc = n == 7 && memcmp(p, "default", 7) == 0
                     ? media__ipset_parse(set, default_list, v4_in_v6, err, err_len)
                     : add_entry(set, p, n, v4_in_v6);
        if (rc) {
            snprintf(err, err_len, "'%.*s' is not an IP address or CIDR range",
                     (int)(n > 64 ? 64 : n), p);
            return rc;
        }
        p += n;
    }
    return 0;
}

void media__ipset_fini(struct media_ipset *set)
{
    free(set->ranges);
    set->ranges = NULL;
    set->n = 0;
}

bool media__ipset_has(const struct media_ipset *set, const uint8_t addr[16])
{
    for (size_t i = 0; i < set->n; i++) {
        uint8_t a[16];
        memcpy(a, addr, 16);
        mask(a, set->ranges[i].prefix);
        if (memcmp(a, set->ranges[i].addr, 16) == 0)
            return true;
    }
    return false;
}

bool media__ip_from_sockaddr(const void *sa, size_t len, uint8_t out[16])
{
    sa_family_t family;
    if (len < sizeof family)
        return false;
    memcpy(&family, (const char *)sa + offsetof(struct sockaddr, sa_family), sizeof family);
    if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        media__ip_from_v4((const uint8_t *)&in.sin_addr, out);
        return true;
    }
    if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        memcpy(out, &in6.sin6_addr, 16);
        return true;
    }
    return false;
}

bool media__ip_blocked(const struct media_ipset *block, const struct media_ipset *allow,
                       const uint8_t addr[16])
{
    return media__ipset_has(block, addr) && !media__ipset_has(allow, addr);
}
