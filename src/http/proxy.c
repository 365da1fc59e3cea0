/* proxy.c: trusted proxy ranges and the client address behind them (see proxy.h). */
#include "http/proxy.h"

#include "http/ipset.h"

#include "base/err.h"
#include "base/mem.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

enum { PROXIES_MAX = 1024 };

struct http_proxies {
    struct http_ipset set; /* trusted ranges, IPv4 and IPv6 kept apart (HTTP_IPSET_FAMILIES) */
};

/* Parses one X-Forwarded-For entry: an address, "[v6]", "[v6]:port" or "v4:port". */
static bool entry_parse(const char *s, size_t len, uint8_t ip[16])
{
    if (len >= 2 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return false;
        size_t rest = len - (size_t)(close - s) - 1;
        if (rest > 0 && close[1] != ':')
            return false;
        return http_ip_parse(s + 1, (size_t)(close - s) - 1, ip);
    }
    const char *colon = memchr(s, ':', len);
    if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1)) /* v4:port */
        return http_ip_parse(s, (size_t)(colon - s), ip) && http_ip_is_v4(ip);
    return http_ip_parse(s, len, ip);
}

static bool set_has(const struct http_proxies *p, const uint8_t ip[16])
{
    return p && http_ipset_has(&p->set, ip);
}

int http_proxies_parse(const char *list, struct http_proxies **out, char *err, size_t err_len)
{
    struct http_proxies *p = xcalloc(1, sizeof *p);
    char why[120] = "";
    int rc = http_ipset_parse(&p->set, list, HTTP_IPSET_FAMILIES, NULL, PROXIES_MAX, why,
                              sizeof why);
    if (rc) {
        if (err && err_len)
            snprintf(err, err_len, "trusted_proxies: %s", why);
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
    http_ipset_fini(&p->set);
    free(p);
}

size_t http_proxies_count(const struct http_proxies *p)
{
    return p ? p->set.n : 0;
}

bool http_proxies_trusts(const struct http_proxies *p, const char *addr)
{
    uint8_t ip[16];
    return addr && http_ip_parse(addr, strlen(addr), ip) && set_has(p, ip);
}

void http_client_address(const struct http_proxies *p, const char *peer,
                         const char *forwarded_for, char *out, size_t out_len)
{
    if (!out_len)
        return;
    snprintf(out, out_len, "%s", peer ? peer : "");
    uint8_t ip[16];
    if (!forwarded_for || !peer || !http_ip_parse(peer, strlen(peer), ip) || !set_has(p, ip))
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
        if (!entry_parse(forwarded_for + a, b - a, ip))
            return; /* not an address: trust stops here */
        char text[INET6_ADDRSTRLEN];
        if (!http_ip_format(ip, text, sizeof text))
            return;
        snprintf(out, out_len, "%s", text);
        if (!set_has(p, ip))
            return; /* the first untrusted hop is the client */
        end = start > 0 ? start - 1 : 0;
    }
}
