/*
 * value.c - the values a config is written in, parsed: integers, sizes
 * (64KiB), durations (10s, 5m, 1d), listen addresses (HOST:PORT and the
 * syslog listen URLs), source, rule and field names, formats and `time:`.
 *
 * Pure functions of their arguments (but cfg_resolve_hostport, which asks
 * the system's resolver), with no loader or YAML in sight, so the public
 * ones (config.h) serve the rest of weir too; the loader wraps them with
 * the messages (yaml.c, sources.c, rules.c, load.c).
 */
#include "config/internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------
 * Numbers, sizes and durations
 */

/* Decimal digits at s, no sign or space. Sets *v and *end. */
static int parse_u64(const char *s, uint64_t *v, char **end)
{
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, end, 10);
	if (errno)
		return -EINVAL;
	*v = x;
	return 0;
}

/* An integer: digits only. */
int cfg_parse_int(const char *s, uint64_t *v)
{
	char *end;

	if (parse_u64(s, v, &end) || *end)
		return -EINVAL;
	return 0;
}

/* A size: bytes, or a number with B, KiB, MiB or GiB. */
int cfg_parse_size(const char *s, uint64_t *v)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
	    {"", 1}, {"B", 1}, {"KiB", KIB}, {"MiB", MIB}, {"GiB", 1024ull * MIB},
	};
	uint64_t x;
	char *end;

	if (parse_u64(s, &x, &end))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (x > UINT64_MAX / units[i].mult)
			return -EINVAL;
		*v = x * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int cfg_parse_duration(const char *s, uint32_t *secs)
{
	uint64_t x, mult;
	char *end;

	if (!s || parse_u64(s, &x, &end))
		return -EINVAL;
	if (!end[0])
		mult = 1;
	else if (end[1])
		return -EINVAL;
	else if (end[0] == 's')
		mult = 1;
	else if (end[0] == 'm')
		mult = 60;
	else if (end[0] == 'h')
		mult = 3600;
	else if (end[0] == 'd')
		mult = 86400;
	else
		return -EINVAL;
	if (x == 0 || x > UINT32_MAX / mult)
		return -EINVAL;
	*secs = (uint32_t)(x * mult);
	return 0;
}

/* Days only beyond one day: 86400 is "24h", 172800 is "2d". */
void cfg_format_duration(uint32_t secs, char *buf, size_t cap)
{
	if (!buf || !cap)
		return;
	if (secs > 86400 && secs % 86400 == 0)
		snprintf(buf, cap, "%ud", secs / 86400);
	else if (secs && secs % 3600 == 0)
		snprintf(buf, cap, "%uh", secs / 3600);
	else if (secs && secs % 60 == 0)
		snprintf(buf, cap, "%um", secs / 60);
	else
		snprintf(buf, cap, "%us", secs);
}

/* "0", "0s", "0m", ...: well formed, but no duration cfg_parse_duration takes. */
bool cfg_duration_is_zero(const char *s)
{
	uint64_t x;
	char *end;

	return !parse_u64(s, &x, &end) && x == 0 &&
	       (!end[0] || (strchr("smhd", end[0]) && !end[1]));
}

/* ---------------------------------------------------------------------------
 * Addresses and names
 */

/* "HOST:PORT" or "[IPv6]:PORT". On success *host is malloc'd. On failure
 * *why says what is wrong; returns -EINVAL, or -ENOMEM. */
int cfg_parse_hostport(const char *s, char **host, uint16_t *port, const char **why)
{
	const char *h, *hend, *p;
	uint64_t v;

	*why = "expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080";
	if (s[0] == '[') {
		h = s + 1;
		hend = strchr(h, ']');
		if (!hend || hend[1] != ':')
			return -EINVAL;
		p = hend + 2;
	} else {
		h = s;
		hend = strrchr(s, ':');
		if (!hend)
			return -EINVAL;
		if (memchr(h, ':', (size_t)(hend - h))) {
			*why = "an IPv6 address must be in brackets, e.g. [::1]:8080";
			return -EINVAL;
		}
		p = hend + 1;
	}
	if (hend == h) {
		*why = "the host is empty; use 0.0.0.0 for all IPv4 addresses";
		return -EINVAL;
	}
	if (s[0] == '[' && !memchr(h, ':', (size_t)(hend - h))) {
		*why = "brackets are only for IPv6 addresses, e.g. [::1]:8080";
		return -EINVAL;
	}
	for (const char *c = h; c < hend; c++) {
		if ((unsigned char)*c <= ' ' || *c == '/' || *c == '[' || *c == ']') {
			*why = "the host must not contain spaces, '/', '[' or ']'";
			return -EINVAL;
		}
	}
	if (cfg_parse_int(p, &v) || v > 65535) {
		*why = "the port must be a number from 0 to 65535";
		return -EINVAL;
	}
	*host = strndup(h, (size_t)(hend - h));
	if (!*host)
		return -ENOMEM;
	*port = (uint16_t)v;
	return 0;
}

/* A host name as /etc/hosts and DNS hold them: letters, digits, '-', '_', '.'. */
static bool host_name_ok(const char *h)
{
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '_' && *h != '.')
			return false;
	return true;
}

/* host (as cfg_parse_hostport leaves it) into getaddrinfo flags: numeric
 * or a name. 0, or -EINVAL with why written. */
static int host_kind(const char *host, int *flags, char *why, size_t whylen)
{
	struct in_addr a4;

	*flags = AI_NUMERICHOST;
	if (strchr(host, ':')) {
		/* It was in brackets: an IPv6 address, with an optional %scope
		 * (an interface name or number). */
		const char *pct = strchr(host, '%');
		size_t n = pct ? (size_t)(pct - host) : strlen(host);
		char addr[INET6_ADDRSTRLEN];
		struct in6_addr a6;

		if (n >= sizeof(addr) ||
		    (memcpy(addr, host, n), addr[n] = '\0', inet_pton(AF_INET6, addr, &a6) != 1)) {
			snprintf(why, whylen, "'%s' is not an IPv6 address", host);
			return -EINVAL;
		}
		if (pct && strspn(pct + 1, "0123456789") != strlen(pct + 1) &&
		    !if_nametoindex(pct + 1)) {
			snprintf(why, whylen, "this host has no network interface '%s'", pct + 1);
			return -EINVAL;
		}
		return 0;
	}
	if (inet_pton(AF_INET, host, &a4) == 1)
		return 0;
	if (inet_aton(host, &a4)) {
		/* "0", "127.1", "0x7f.1": the resolver would take them, a reader
		 * would not expect what they mean. */
		snprintf(why, whylen,
			 "'%s' is not an IPv4 address in dotted-decimal form, as in "
			 "127.0.0.1",
			 host);
		return -EINVAL;
	}
	if (!host_name_ok(host)) {
		snprintf(why, whylen,
			 "'%s' is not a host name or an IP address; use 0.0.0.0 for all IPv4 "
			 "addresses, [::] for all IPv6 addresses",
			 host);
		return -EINVAL;
	}
	*flags = 0;
	return 0;
}

/* Can this host open a socket of family (is IPv6 there at all)? */
static bool family_usable(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int cfg_resolve_hostport(const char *host, uint16_t port, struct sockaddr_storage *out,
			 socklen_t *outlen, char *why, size_t whylen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL, *ai;
	int rc = host_kind(host, &hints.ai_flags, why, whylen);

	if (rc)
		return rc;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		snprintf(why, whylen, "cannot resolve '%s': %s", host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -EINVAL;
	}
	/* The first address of a family this host has (a name may resolve to
	 * ::1 on a kernel without IPv6). */
	for (ai = res; ai && !family_usable(ai->ai_family); ai = ai->ai_next)
		;
	if (!ai || ai->ai_addrlen > sizeof(*out) ||
	    (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)) {
		snprintf(why, whylen, "'%s' has no address this host can listen on", host);
		freeaddrinfo(res);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	*outlen = (socklen_t)ai->ai_addrlen;
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)out)->sin6_port = htons(port);
	freeaddrinfo(res);
	return 0;
}

int cfg_parse_listen(const char *url, struct cfg_listen *out, char *why, size_t whylen)
{
	const char *rest, *colon;
	char *end;
	unsigned long port;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (!strncmp(url, "unix://", 7)) {
		rest = url + 7;
		out->kind = CFG_LISTEN_UNIX;
		if (rest[0] != '/') {
			snprintf(why, whylen,
				 "a unix:// URL needs an absolute path, as in "
				 "unix:///run/weir/log.sock");
			return -EINVAL;
		}
		hl = strlen(rest);
		if (hl >= sizeof(out->path)) {
			snprintf(why, whylen, "the socket path is longer than %zu bytes",
				 sizeof(out->path) - 1);
			return -EINVAL;
		}
		memcpy(out->path, rest, hl + 1);
		return 0;
	}
	if (!strncmp(url, "udp://", 6)) {
		out->kind = CFG_LISTEN_UDP;
	} else if (!strncmp(url, "tcp://", 6)) {
		out->kind = CFG_LISTEN_TCP;
	} else {
		snprintf(why, whylen, "expected udp://HOST:PORT, tcp://HOST:PORT or unix:///PATH");
		return -EINVAL;
	}
	rest = url + 6;
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (!close || close[1] != ':') {
			snprintf(why, whylen, "an IPv6 address goes in brackets: %.3s://[::1]:5514",
				 url);
			return -EINVAL;
		}
		hl = (size_t)(close - rest - 1);
		rest++;
		colon = close + 1;
	} else {
		colon = strrchr(rest, ':');
		if (colon && memchr(rest, ':', (size_t)(colon - rest))) {
			snprintf(why, whylen, "an IPv6 address goes in brackets: %.3s://[::1]:5514",
				 url);
			return -EINVAL;
		}
		if (!colon) {
			snprintf(why, whylen, "missing ':PORT', as in %.3s://0.0.0.0:5514", url);
			return -EINVAL;
		}
		hl = (size_t)(colon - rest);
	}
	if (!hl || hl >= sizeof(out->host)) {
		snprintf(why, whylen, "missing or over-long host");
		return -EINVAL;
	}
	memcpy(out->host, rest, hl);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port > 65535 || port == 0) {
		snprintf(why, whylen, "the port must be a number from 1 to 65535");
		return -EINVAL;
	}
	out->port = (uint16_t)port;
	{
		unsigned char a[16];

		if (inet_pton(AF_INET, out->host, a) != 1 &&
		    inet_pton(AF_INET6, out->host, a) != 1) {
			snprintf(why, whylen, "'%s' is not a numeric IPv4 or IPv6 address",
				 out->host);
			return -EINVAL;
		}
	}
	return 0;
}

/* A field name: what JSON keys and logfmt keys usually are. */
bool cfg_field_name_ok(const char *s, size_t len)
{
	if (!len || len > 128)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '_' || c == '.' || c == '-' || c == '@'))
			return false;
	}
	return true;
}

/* A source or rule name. */
bool cfg_name_ok(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------------------
 * Formats and times
 */

/* `time:` values, in enum cfg_time order from CFG_TIME_ARRIVAL. */
const char *const cfg_time_names[2] = {"arrival", "event"};
const char *const cfg_format_names[CFG_FORMAT_N] = {"raw",  "syslog", "combined", "common",
						    "json", "logfmt"}; /* enum cfg_format order */

const char *cfg_format_name(enum cfg_format f)
{
	return (unsigned)f < CFG_FORMAT_N ? cfg_format_names[f] : "?";
}

int cfg_format_parse(const char *s, enum cfg_format *out)
{
	for (int i = 0; i < CFG_FORMAT_N; i++)
		if (!strcmp(s, cfg_format_names[i])) {
			*out = (enum cfg_format)i;
			return 0;
		}
	return -EINVAL;
}
