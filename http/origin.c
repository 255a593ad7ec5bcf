/*
 * origin.c - see origin.h.
 */
#include "http/origin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* "host", "host:port", "[v6]" or "[v6]:port" into the host part
 * ([*h, *h + *hlen), brackets kept) and the port (-1: none). 0, or -1
 * when it is none of these. */
static int split_hostport(const char *s, const char **h, size_t *hlen, long *port)
{
	const char *colon;

	*port = -1;
	*h = s;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end)
			return -1;
		*hlen = (size_t)(end + 1 - s);
		colon = end + 1;
		if (!*colon)
			return 0;
		if (*colon != ':')
			return -1;
	} else {
		colon = strchr(s, ':');
		*hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (!colon)
			return *hlen ? 0 : -1;
		if (strchr(colon + 1, ':'))
			return -1; /* an IPv6 address must be in brackets */
	}
	if (!*hlen)
		return -1;
	if (!colon[1])
		return 0; /* "host:" - an empty port is the default one */
	*port = 0;
	for (const char *p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || p - colon > 5)
			return -1;
		*port = *port * 10 + (*p - '0');
	}
	return *port <= 65535 ? 0 : -1;
}

/* The host part h (hlen bytes) as an IP literal: AF_INET or AF_INET6 with
 * its address in a, or 0 when it is a name. */
static int ip_literal(const char *h, size_t hlen, unsigned char a[16])
{
	char buf[64];

	if (hlen >= 2 && h[0] == '[') {
		if (hlen - 2 >= sizeof(buf))
			return 0;
		memcpy(buf, h + 1, hlen - 2);
		buf[hlen - 2] = '\0';
		return inet_pton(AF_INET6, buf, a) == 1 ? AF_INET6 : 0;
	}
	if (hlen >= 16)
		return 0;
	memcpy(buf, h, hlen);
	buf[hlen] = '\0';
	return inet_pton(AF_INET, buf, a) == 1 ? AF_INET : 0;
}

static bool is_loopback(int family, const unsigned char a[16])
{
	static const unsigned char v6_loop[16] = {[15] = 1};
	static const unsigned char v4_mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (family == AF_INET)
		return a[0] == 127;
	return !memcmp(a, v6_loop, 16) || (!memcmp(a, v4_mapped, 12) && a[12] == 127);
}

static bool name_is(const char *h, size_t hlen, const char *name)
{
	return strlen(name) == hlen && !strncasecmp(h, name, hlen);
}

bool http_host_ok(const struct http_hosts *hh, const char *host)
{
	unsigned char a[16];
	const char *h;
	size_t hlen;
	long port;
	int family;

	if (!host)
		return true;
	if (split_hostport(host, &h, &hlen, &port))
		return false;
	family = ip_literal(h, hlen, a);
	if (family && (hh->wildcard || is_loopback(family, a) ||
		       (family == hh->family && !memcmp(a, hh->addr, family == AF_INET ? 4 : 16))))
		return true;
	if (!family && name_is(h, hlen, "localhost"))
		return true;
	for (size_t i = 0; i < hh->nnames; i++)
		if (name_is(h, hlen, hh->names[i]))
			return true;
	return false;
}

/* Whether origin ("scheme://host[:port]") is scheme://Host of this request. */
static bool same_origin(const char *origin, const char *host, bool tls)
{
	const char *scheme = tls ? "https://" : "http://", *oh, *hh;
	size_t slen = strlen(scheme), ohlen, hhlen;
	long oport, hport, def = tls ? 443 : 80;

	if (!host || strncasecmp(origin, scheme, slen) ||
	    split_hostport(origin + slen, &oh, &ohlen, &oport) ||
	    split_hostport(host, &hh, &hhlen, &hport))
		return false;
	if (oport < 0)
		oport = def;
	if (hport < 0)
		hport = def;
	return ohlen == hhlen && !strncasecmp(oh, hh, ohlen) && oport == hport;
}

bool http_cross_site(const char *origin, const char *fetch_site, const char *host, bool tls)
{
	if (fetch_site &&
	    (!strcasecmp(fetch_site, "cross-site") || !strcasecmp(fetch_site, "same-site")))
		return true;
	return origin && !same_origin(origin, host, tls);
}
