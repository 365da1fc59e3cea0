/* iprange.c: sets of IP ranges for the URL previewer's address check
 * (`[media] url_preview_ip_range_blacklist` / `_whitelist`): the built-in "default" list
 * and the policy (a blacklist also covers an IPv4 range's IPv4-compatible and 6to4
 * spellings, as Synapse's generate_ip_set does); the lists are read by http/ipset.h's
 * parser, which holds every address in IPv6 form (IPv4 as ::ffff:a.b.c.d, so an IPv4
 * socket address and an IPv4-mapped IPv6 one match the same IPv4 range). */
#include "media/internal.h"

#include <netinet/in.h>
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

int media__ipset_parse(struct media_ipset *set, const char *list, bool v4_in_v6, char *err,
                       size_t err_len)
{
    return http_ipset_parse(&set->set, list, v4_in_v6 ? HTTP_IPSET_V4_SPELLINGS : 0,
                            default_list, IPSET_MAX, err, err_len);
}

void media__ipset_fini(struct media_ipset *set)
{
    http_ipset_fini(&set->set);
}

bool media__ipset_has(const struct media_ipset *set, const uint8_t addr[16])
{
    return http_ipset_has(&set->set, addr);
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
        http_ip_from_v4((const uint8_t *)&in.sin_addr, out);
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
