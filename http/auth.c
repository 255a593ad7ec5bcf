/*
 * auth.c - see auth.h. A token is needed for writes whenever one is set,
 * for reads with auth_reads, never for the probes (routes.c marks them).
 * It is compared in constant time; a missing one is 401 with
 * WWW-Authenticate, a wrong one 403.
 */
#include "http/auth.h"

#include "http/internal.h"
#include "http/query.h"
#include "http/reply.h"

#include <errno.h>
#include <stdbool.h>

/* Equal in time independent of where they differ (length leaks, content
 * does not). */
static bool token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = alen != blen;

	for (size_t i = 0; i < blen; i++)
		d |= (unsigned char)(a[i % (alen ? alen : 1)] ^ b[i]);
	return !d && alen;
}

/* 0 if the request may go on, else the status to refuse it with. */
static unsigned auth_status(const struct http_server *h, struct MHD_Connection *c,
			    enum http_access access)
{
	const char *v;
	size_t n;

	if (!h->token || access == HTTP_ACCESS_OPEN ||
	    (access == HTTP_ACCESS_READ && !h->auth_reads))
		return 0;
	v = http_bearer_parse(
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &n);
	if (!v)
		return MHD_HTTP_UNAUTHORIZED;
	return token_equal(v, n, h->token, h->token_len) ? 0 : MHD_HTTP_FORBIDDEN;
}

int http_auth_check(const struct http_server *h, struct MHD_Connection *c, enum http_access access,
		    enum MHD_Result *ret)
{
	unsigned status = auth_status(h, c, access);

	if (!status)
		return 0;
	if (status == MHD_HTTP_UNAUTHORIZED)
		*ret = http_send_error_with(
		    c, status, "a bearer token is required (Authorization: Bearer TOKEN)",
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"weir\"");
	else
		*ret = http_send_error(c, status, "the bearer token is not valid");
	return -EACCES;
}
