/* negotiate.c - see negotiate.h. */
#include "http/negotiate.h"

#include <string.h>
#include <strings.h>

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The q of one Accept-Encoding member's parameters [p, end): 1000 times
 * the qvalue (0..1000); a q that is not a qvalue counts as 0 (refused). */
static int qvalue(const char *p, const char *end)
{
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi ? semi : end;

		p = skip_ows(p);
		if (stop - p >= 2 && (*p == 'q' || *p == 'Q') && p[1] == '=') {
			int q = 0, scale = 1000;

			p += 2;
			if (p < stop && (*p == '0' || *p == '1')) {
				q = (*p++ - '0') * 1000;
				if (p < stop && *p == '.')
					for (p++; p < stop && *p >= '0' && *p <= '9' && scale > 1;)
						q += (*p++ - '0') * (scale /= 10);
				p = skip_ows(p);
				if (p != stop || q > 1000)
					return 0;
				return q;
			}
			return 0;
		}
		p = semi ? semi + 1 : end;
	}
	return 1000;
}

bool http_accepts_gzip(const char *ae)
{
	int gzip = -1, star = -1;

	if (!ae)
		return false;
	while (*ae) {
		const char *end = strchr(ae, ','), *tok, *tend, *semi;
		size_t n;

		if (!end)
			end = ae + strlen(ae);
		tok = skip_ows(ae);
		semi = memchr(tok, ';', (size_t)(end - tok));
		tend = semi ? semi : end;
		while (tend > tok && (tend[-1] == ' ' || tend[-1] == '\t'))
			tend--;
		n = (size_t)(tend - tok);
		if ((n == 4 && !strncasecmp(tok, "gzip", 4)) ||
		    (n == 6 && !strncasecmp(tok, "x-gzip", 6))) {
			int q = semi ? qvalue(semi + 1, end) : 1000;

			gzip = q > gzip ? q : gzip;
		} else if (n == 1 && *tok == '*') {
			star = semi ? qvalue(semi + 1, end) : 1000;
		}
		ae = *end ? end + 1 : end;
	}
	return gzip >= 0 ? gzip > 0 : star > 0;
}

bool http_etag_matches(const char *inm, const char *etag)
{
	size_t elen;

	if (!inm || !etag)
		return false;
	if (!strncmp(etag, "W/", 2))
		etag += 2;
	elen = strlen(etag);
	for (const char *p = inm; *p;) {
		const char *q;

		p = skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (*p != '"')
			return false; /* not a list of entity tags */
		q = strchr(p + 1, '"');
		if (!q)
			return false;
		if ((size_t)(q + 1 - p) == elen && !memcmp(p, etag, elen))
			return true;
		p = q + 1;
	}
	return false;
}
