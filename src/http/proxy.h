/* proxy.h: trusted reverse proxies ([http] trusted_proxies) and the client address.
 *
 * Behind a reverse proxy every request comes from the proxy's address, so rate limits per
 * address would treat all users as one and the access log would name only the proxy. A
 * proxy says whom it forwards for in X-Forwarded-For ("client, proxy1, proxy2", each hop
 * appending the address it received the request from). Anyone can send that header, so it
 * is believed only from a configured proxy, and only as far as the chain of configured
 * proxies goes:
 *
 *   peer not trusted (or no trusted_proxies)  → the client is the peer; the header is ignored
 *   peer trusted                              → walk X-Forwarded-For right to left, skipping
 *                                               trusted addresses; the first untrusted one is
 *                                               the client (addresses left of it may be forged)
 *   every listed address trusted              → the leftmost one
 *   an entry that is not an address           → the walk stops; the last address accepted
 *                                               (the peer, or a trusted hop) is the client
 *
 * Entries may be IPv4 or IPv6 literals, optionally bracketed and with a port
 * ("[2001:db8::1]:443", "192.0.2.1:80"). The result is in canonical text form, an
 * IPv4-mapped IPv6 address as plain IPv4, so one client has one rate-limit key. Pure
 * functions, no I/O; the set is immutable once parsed and may be read by any thread. */
#ifndef RELAIS_HTTP_PROXY_H
#define RELAIS_HTTP_PROXY_H

#include <stdbool.h>
#include <stddef.h>

struct http_proxies;

/* Parses a comma- or space-separated list of addresses and CIDR ranges ("10.0.0.0/8,
 * ::1, 192.0.2.7") into *out (owned: http_proxies_free). An empty list gives an empty set.
 * Returns 0, ERR_INVALID (err names the bad entry) or ERR_TOO_LARGE (over 1024 entries). */
int http_proxies_parse(const char *list, struct http_proxies **out, char *err, size_t err_len);
void http_proxies_free(struct http_proxies *p);
/* Number of ranges in the set (0 for NULL). */
size_t http_proxies_count(const struct http_proxies *p);
/* True when the address text (as the peer address is written) lies in one of the ranges. */
bool http_proxies_trusts(const struct http_proxies *p, const char *addr);

/* Writes the client address (NUL-terminated, truncated to out_len) chosen as described at
 * the top from the peer address and the X-Forwarded-For value (NULL when absent; several
 * headers joined with commas in arrival order). p may be NULL (no proxy trusted). */
void http_client_address(const struct http_proxies *p, const char *peer,
                         const char *forwarded_for, char *out, size_t out_len);

#endif
