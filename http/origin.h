/*
 * origin.h - whom a request addresses and where it comes from, from its
 * headers alone:
 *   - Host against the names this server answers to. A page that rebinds
 *     its own name to 127.0.0.1 (DNS rebinding) can make the operator's
 *     browser reach weir, but the request still carries the page's name
 *     in Host: serving only known names keeps such a page from reading
 *     the API.
 *   - Origin and Sec-Fetch-Site against the server's own origin: what a
 *     browser says about a request another site's page made.
 * Pure functions over the header text, so tests can feed them anything.
 */
#ifndef WEIR_HTTP_ORIGIN_H
#define WEIR_HTTP_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

/* The names a server answers to. Owned by struct http_server (server.c
 * fills it at start); read-only afterwards. */
struct http_hosts {
	int family;		/* of the listen address: AF_INET or AF_INET6 */
	unsigned char addr[16]; /* the listen address (the first 4 bytes for AF_INET) */
	bool wildcard;		/* 0.0.0.0 or [::]: every IP literal may be ours */
	char **names;		/* `http: hosts:`, compared without case; borrowed */
	size_t nnames;
};

/*
 * Whether a request with Host value host (NULL: none was sent, as in
 * HTTP/1.0) addresses this server: no Host; or, its port ignored, the
 * listen address, any IP literal when listening on a wildcard address, a
 * loopback name (localhost, 127.0.0.0/8, [::1]), or a configured name.
 * An IP literal cannot be rebound; a name can, unless it is one of these.
 */
bool http_host_ok(const struct http_hosts *hh, const char *host);

/*
 * Whether a browser made this request from another site's page: an
 * Origin that is not this server's own (scheme://Host, the default port
 * left out or not), or Sec-Fetch-Site cross-site or same-site (another
 * port or subdomain is another origin). origin, fetch_site and host are
 * the header values, NULL when absent; tls: the request came over HTTPS.
 */
bool http_cross_site(const char *origin, const char *fetch_site, const char *host, bool tls);

#endif
