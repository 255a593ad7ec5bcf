/*
 * fuzz_http.c - libFuzzer target for what the HTTP server reads from a
 * request before any handler runs or while it parses: the query
 * parameters and headers (http/query.c: ?window=, ?k=, ?range=/?step=,
 * Last-Event-ID, Authorization), content negotiation (http/negotiate.c:
 * Accept-Encoding, If-None-Match) and the route table's access lookup
 * (http/routes.c: http_route_access, the path and method the bearer
 * token check sees).
 *
 * The input, up to its first NUL, is split at its first LF into a and b
 * (b empty without one); every parser reads a, and the two-argument ones
 * read (a, b). MHD hands handlers NUL-terminated, URL-decoded text, so
 * these are the strings a client controls.
 *
 * It aborts if a promise breaks: a window index names a configured window
 * equal to the duration parsed; k is 1..1000; a duration is > 0 and
 * prints back to the same seconds; an event id is the digits it was read
 * from; a bearer token lies inside the header, trimmed; "*" and an
 * entity tag equal to the current one always match; only the two probes
 * are open to all, and a method's access is the same on every path but
 * theirs.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 * Without libFuzzer (gcc, or to replay a crash file): `make replay`
 * builds $(B)/fuzz-replay/fuzz_http, which takes files as arguments.
 */
#include "config/config.h"
#include "http/negotiate.h"
#include "http/query.h"
#include "http/routes.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t windows[] = {1, 10, 60, 300, 900, 3600, 86400};
#define NWIN ((uint32_t)(sizeof(windows) / sizeof(windows[0])))

static void check_query(const char *a)
{
	unsigned long k;
	uint32_t secs, again;
	uint64_t id;
	size_t n;
	const char *tok;
	char buf[32];
	int w;

	w = http_window_parse(windows, NWIN, a);
	if (w >= 0 && (w >= (int)NWIN || cfg_parse_duration(a, &secs) || secs != windows[w]))
		abort();
	if (!http_k_parse(a, &k) && (k < 1 || k > 1000))
		abort();
	if (!http_duration_parse(a, &secs)) {
		if (!secs)
			abort();
		cfg_format_duration(secs, buf, sizeof(buf));
		if (cfg_parse_duration(buf, &again) || again != secs)
			abort(); /* prints back to other seconds */
	}
	if (http_event_id_parse(a, &id)) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id);
		n = strspn(a, "0"); /* leading zeros read as nothing */
		if (strspn(a, "0123456789") != strlen(a) || strcmp(a[n] ? a + n : "0", buf) != 0)
			abort();
	}
	tok = http_bearer_parse(a, &n);
	if (tok) {
		if (strncasecmp(a, "Bearer ", 7) || tok < a + 7 || tok + n > a + strlen(a) ||
		    *tok == ' ' || (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t')))
			abort();
	} else if (!strncasecmp(a, "Bearer ", 7)) {
		abort();
	}
}

static void check_negotiation(const char *a, const char *b)
{
	bool gz = http_accepts_gzip(a);

	/* gzip is chosen only by naming it or by "*" */
	if (gz && !strcasestr(a, "gzip") && !strchr(a, '*'))
		abort();
	(void)http_etag_matches(a, b);
	if (!http_etag_matches("*", b) && *b)
		abort();
	/* an entity tag (quoted, no quote inside) matches itself, weak or not */
	if (b[0] == '"' && strlen(b) >= 2 && b[strlen(b) - 1] == '"' &&
	    !memchr(b + 1, '"', strlen(b) - 2)) {
		char weak[256];

		if (!http_etag_matches(b, b))
			abort();
		if (strlen(b) + 3 <= sizeof(weak)) {
			snprintf(weak, sizeof(weak), "W/%s", b);
			if (!http_etag_matches(weak, b) || !http_etag_matches(b, weak))
				abort();
		}
	}
}

static void check_route(const char *url, const char *method)
{
	enum http_access acc = http_route_access(url, method);
	bool probe = !strcmp(url, "/healthz") || !strcmp(url, "/readyz");
	bool read = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	bool page = !strcmp(url, "/") || (!strncmp(url, "/assets/", 8) && url[8]);
	/* the login routes: POST /api/v1/login and /logout, GET /api/v1/session */
	bool session = !strcmp(url, "/api/v1/session")
			   ? read
			   : (!strcmp(url, "/api/v1/login") || !strcmp(url, "/api/v1/logout")) &&
				 !strcmp(method, "POST");

	/* probes are open; the login routes are the login's; reads of the
	 * dashboard's files need nothing; any other read needs what reads
	 * need; any other method is a write (a route that changes weir) or
	 * unsafe (nothing takes it): both need the token */
	if (session	   ? acc != HTTP_ACCESS_SESSION
	    : probe	   ? acc != HTTP_ACCESS_OPEN
	    : read && page ? acc != HTTP_ACCESS_PAGE
	    : read	   ? acc != HTTP_ACCESS_READ
			   : acc != HTTP_ACCESS_WRITE && acc != HTTP_ACCESS_UNSAFE)
		abort();
	if (acc == HTTP_ACCESS_WRITE && (read || strncmp(url, "/api/v1/", 8)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *a, *b, *lf;

	if (!s)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	a = s;
	lf = strchr(s, '\n');
	if (lf) {
		*lf = '\0';
		b = lf + 1;
	} else {
		b = s + strlen(s); /* "" */
	}
	check_query(a);
	check_negotiation(a, b);
	check_route(a, b);
	free(s);
	return 0;
}

#include "tests/fuzz/replay.h"
