/* ipset.h: sets of IP address ranges (CIDR) read from configuration lists, and IP address
 * literals. One parser for every list of addresses in the configuration: [http]
 * trusted_proxies (proxy.c) and [media] url_preview_ip_range_blacklist / _whitelist
 * (src/media/iprange.c).
 *
 * Every address is held in IPv6 form (16 bytes, network order): an IPv4 address a.b.c.d is
 * the IPv4-mapped ::ffff:a.b.c.d (RFC 4291 2.5.5.2), and an IPv4 range a.b.c.d/n is
 * ::ffff:a.b.c.d/(96+n). So an IPv4 peer and its IPv4-mapped IPv6 spelling are one address
 * and match the same ranges. Two options change what a list means:
 *   HTTP_IPSET_FAMILIES     IPv4 and IPv6 stay apart: an IPv6 range shorter than /96 never
 *                           covers an IPv4 address (::/0 is "every IPv6 address"), and an
 *                           IPv4-mapped range needs a prefix of at least 96
 *                           (::ffff:10.0.0.0/104 is 10.0.0.0/8; ::ffff:10.0.0.0/95 is an
 *                           error). trusted_proxies reads its list so.
 *   HTTP_IPSET_V4_SPELLINGS an IPv4 range also covers its IPv4-compatible form ::a.b.c.d
 *                           (RFC 4291 2.5.5.1) and its 6to4 form 2002:AABB:CCDD::/(16+n)
 *                           (RFC 3056), as Synapse's generate_ip_set does: for a blacklist,
 *                           so a host cannot be reached through those spellings either.
 * Pure functions, no I/O; a parsed set is immutable and may be read by any thread. */
#ifndef RELAIS_HTTP_IPSET_H
#define RELAIS_HTTP_IPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { HTTP_IPSET_FAMILIES = 1, HTTP_IPSET_V4_SPELLINGS = 2 };

struct http_iprange {
    uint8_t addr[16]; /* network address in IPv6 form, host bits zero */
    uint8_t prefix;   /* bits of addr that must match (0..128) */
};

struct http_ipset {
    struct http_iprange *ranges; /* owned array */
    size_t n;                    /* ranges used */
    unsigned flags;              /* HTTP_IPSET_* the ranges were parsed with */
};

/* Adds the ADDRESS[/PREFIX] entries of list (separated by commas, spaces or tabs; IPv4 or
 * IPv6 literals; an empty list adds nothing) to set, read with flags (HTTP_IPSET_*; every
 * call on one set must use the same). The word "default" stands for default_list (NULL:
 * the word is an error). At most max_ranges ranges in the set. Returns 0, ERR_INVALID or
 * ERR_TOO_LARGE with a message in err (which may be NULL); the set keeps what was added
 * before the bad entry. Release with http_ipset_fini. */
int http_ipset_parse(struct http_ipset *set, const char *list, unsigned flags,
                     const char *default_list, size_t max_ranges, char *err, size_t err_len);
void http_ipset_fini(struct http_ipset *set);
/* True when addr (IPv6 form) lies in one of the set's ranges. */
bool http_ipset_has(const struct http_ipset *set, const uint8_t addr[16]);

/* Parses the address literal text[0..len) (no brackets, no port, no prefix) into IPv6 form;
 * false when it is not one. */
bool http_ip_parse(const char *text, size_t len, uint8_t out[16]);
/* An IPv4 address (4 bytes, network order) in IPv6 form. */
void http_ip_from_v4(const uint8_t v4[4], uint8_t out[16]);
/* True for an IPv4 address (IPv4-mapped in IPv6 form). */
bool http_ip_is_v4(const uint8_t addr[16]);
/* Writes addr's canonical text (an IPv4 address as a.b.c.d) into out (at least
 * INET6_ADDRSTRLEN bytes); false when it does not fit. */
bool http_ip_format(const uint8_t addr[16], char *out, size_t out_len);

#endif
