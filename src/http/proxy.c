/* proxy.c: trusted proxy ranges and the client address behind them (see proxy.h). */
#include "http/proxy.h"

#include "base/err.h"
#include "base/mem.h"
#include "base/str.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { PROXIES_MAX = 1024, ADDR_TEXT_MAX = 64 };

/* One address: IPv4 in the first 4 bytes (an IPv4-mapped IPv6 address is stored so). */
struct ip {
    int family;        /* AF_INET or AF_INET6 */
    uint8_t bytes[16]; /* network order; 4 used for AF_INET */
};

struct proxy_range {
    struct ip net;   /* the range's address */
    unsigned bits;   /* prefix length: 0-32 for IPv4, 0-128 for IPv6 */
};

struct http_proxies {
    struct proxy_range *ranges; /* owned array */
    size_t n;                   /* ranges used */
};

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Parses an address literal text[0..len) (no brackets, no port) into *ip. */
static bool ip_parse(const char *text, size_t len, struct ip *ip)
{
    char tmp[ADDR_TEXT_MAX];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, text, len);
    tmp[len] = '\0';
    memset(ip, 0, sizeof *ip);
    if (inet_pton(AF_INET, tmp, ip->bytes) == 1) {
        ip->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, tmp, ip->bytes) != 1)
        return false;
    ip->family = AF_INET6;
    if (memcmp(ip->bytes, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
        memmove(ip->bytes, ip->bytes + 12, 4);
        memset(ip->bytes + 4, 0, 12);
        ip->family = AF_INET;
    }
    return true;
}

/* Parses one X-Forwarded-For entry: an address, "[v6]", "[v6]:port" or "v4:port". */
static bool entry_parse(const char *s, size_t len, struct ip *ip)
{
    if (len >= 2 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return false;
        size_t rest = len - (size_t)(close - s) - 1;
        if (rest > 0 && close[1] != ':')
            return false;
        return ip_parse(s + 1, (size_t)(close - s) - 1, ip);
    }
    const char *colon = memchr(s, ':', len);
    if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1)) /* v4:port */
        return ip_parse(s, (size_t)(colon - s), ip) && ip->family == AF_INET;
    return ip_parse(s, len, ip);
}

static bool range_has(const struct proxy_range *r, const struct ip *ip)
{
    if (r->net.family != ip->family)
        return false;
    unsigned full = r->bits / 8, rest = r->bits % 8;
    if (memcmp(r->net.bytes, ip->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t keep = (uint8_t)(0xff00 >> rest);
    return (r->net.bytes[full] & keep) == (ip->bytes[full] & keep);
}

static bool set_has(const struct http_proxies *p, const struct ip *ip)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (range_has(&p->ranges[i], ip))
            return true;
    return false;
}

static bool is_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

int http_proxies_parse(const char *list, struct http_proxies **out, char *err, size_t err_len)
{
    struct http_proxies *p = xcalloc(1, sizeof *p);
    int rc = 0;
    const char *s = list ? list : "";
    while (*s) {
        while (*s && is_separator(*s))
            s++;
        size_t len = 0;
        while (s[len] && !is_separator(s[len]))
            len++;
        if (len == 0)
            break;
        const char *slash = memchr(s, '/', len);
        size_t addr_len = slash ? (size_t)(slash - s) : len;
        struct proxy_range r;
        if (!ip_parse(s, addr_len, &r.net)) {
            rc = ERR_INVALID;
            goto bad;
        }
        int64_t max_bits = r.net.family == AF_INET ? 32 : 128, bits = max_bits;
        /* An IPv4-mapped range (::ffff:10.0.0.0/104) counts its prefix over 128 bits. */
        bool mapped = r.net.family == AF_INET && memchr(s, ':', addr_len);
        if (slash && str_to_i64(slash + 1, len - addr_len - 1, 0, mapped ? 128 : max_bits,
                                &bits) != 0) {
            rc = ERR_INVALID;
            goto bad;
        }
        if (mapped && slash) {
            if (bits < 96) {
                rc = ERR_INVALID;
                goto bad;
            }
            bits -= 96;
        }
        if (p->n == PROXIES_MAX) {
            snprintf(err, err_len, "trusted_proxies: more than %d entries", PROXIES_MAX);
            rc = ERR_TOO_LARGE;
            goto out;
        }
        r.bits = (unsigned)bits;
        p->ranges = xrealloc(p->ranges, (p->n + 1) * sizeof *p->ranges);
        p->ranges[p->n++] = r;
        s += len;
    }
    goto out;
bad:
    snprintf(err, err_len, "trusted_proxies: not an address or CIDR range: %.*s",
             (int)(strcspn(s, ", \t") < 80 ? strcspn(s, ", \t") : 80), s);
out:
    if (rc) {
        http_proxies_free(p);
        p = NULL;
    }
    *out = p;
    return rc;
}

void http_proxies_free(struct http_proxies *p)
{
    if (!p)
        return;
    free(p->ranges);
    free(p);
}

size_t http_proxies_count(const struct http_proxies *p)
{
    return p ? p->n : 0;
}

bool http_proxies_trusts(const struct http_proxies *p, const char *addr)
{
    struct ip ip;
    return addr && ip_parse(addr, strlen(addr), &ip) && set_has(p, &ip);
}

void http_client_address(const struct http_proxies *p, const char *peer,
                         const char *forwarded_for, char *out, size_t out_len)
{
    if (!out_len)
        return;
    snprintf(out, out_len, "%s", peer ? peer : "");
    struct ip ip;
    if (!forwarded_for || !peer || !ip_parse(peer, strlen(peer), &ip) || !set_has(p, &ip))
        return;
    /* Right to left over the entries; each step is one hop further from us. */
    size_t end = strlen(forwarded_for);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && forwarded_for[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (forwarded_for[a] == ' ' || forwarded_for[a] == '\t'))
            a++;
        while (b > a && (forwarded_for[b - 1] == ' ' || forwarded_for[b - 1] == '\t'))
            b--;
        if (!entry_parse(forwarded_for + a, b - a, &ip))
            return; /* not an address: trust stops here */
        char text[INET6_ADDRSTRLEN];
        if (!inet_ntop(ip.family, ip.bytes, text, sizeof text))
            return;
        snprintf(out, out_len, "%s", text);
        if (!set_has(p, &ip))
            return; /* the first untrusted hop is the client */
        end = start > 0 ? start - 1 : 0;
    }
}
