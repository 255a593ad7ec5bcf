/*
 * auth.c - see auth.h. In order, each refusing on its own:
 *
 *   1. Host must name this server (origin.c): a page that rebinds its own
 *      name to this address gets 421 for everything, probes included.
 *   2. A write or a login/logout (route rows marked so, routes.c) must
 *      not come from another site's page: an Origin other than the server's own, or
 *      Sec-Fetch-Site cross-site or same-site, is 403.
 *   3. The token: for writes and other unsafe methods whenever one is
 *      set, for reads with auth_reads, never for the probes, the
 *      dashboard's files (they hold no data) or the login routes
 *      (session.c: login checks the token it is given). Compared in
 *      constant time; a missing one is 401 with WWW-Authenticate, a wrong
 *      one 403. A read without the header may show a login's session
 *      cookie instead; a write may not: a browser attaches cookies to
 *      requests other pages make it send (cross-site request forgery), so
 *      only a header, which no other page can add, authorises a change.
 *   4. Without a token, a write is 403 unless unauthenticated_writes says
 *      otherwise.
 *
 * Why a token makes writes safe from web pages: a browser sends an
 * Authorization header to another origin only after a CORS preflight
 * (OPTIONS) that the server allows with Access-Control-Allow-* headers,
 * and weir never sends one (OPTIONS is 405 like any method a route does
 * not take). A page can still send a "simple" POST without the header -
 * that is what 2. and 4. are for when there is no token.
 */
#include "http/auth.h"

#include "http/internal.h"
#include "http/origin.h"
#include "http/query.h"
#include "http/reply.h"
#include "http/session.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* 0 if the token lets the request go on, else the status to refuse it with. */
static unsigned auth_status(const struct http_server *h, struct MHD_Connection *c,
			    enum http_access access)
{
	const char *v;
	size_t n;

	if (!h->token || access == HTTP_ACCESS_OPEN || access == HTTP_ACCESS_PAGE ||
	    access == HTTP_ACCESS_SESSION || (access == HTTP_ACCESS_READ && !h->auth_reads))
		return 0;
	v = http_bearer_parse(
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &n);
	if (!v)
		/* a read may show a login's cookie instead (never a write) */
		return access == HTTP_ACCESS_READ && http_session_valid(h, c)
			   ? 0
			   : MHD_HTTP_UNAUTHORIZED;
	return http_secret_equal(v, n, h->token, h->token_len) ? 0 : MHD_HTTP_FORBIDDEN;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static int refuse(struct MHD_Connection *c, unsigned status, const char *msg, enum MHD_Result *ret)
{
	*ret = http_send_error(c, status, msg);
	return -EACCES;
}

int http_auth_check(const struct http_server *h, struct MHD_Connection *c, enum http_access access,
		    enum MHD_Result *ret)
{
	const char *host = header(c, MHD_HTTP_HEADER_HOST), *origin;
	unsigned status;
	char msg[320];

	if (!http_host_ok(h->hosts, host)) {
		snprintf(
		    msg, sizeof(msg),
		    "this server does not answer to Host '%.100s'; to serve that name, list it "
		    "in weir's config: http: {hosts: [NAME]}",
		    host);
		return refuse(c, MHD_HTTP_MISDIRECTED_REQUEST, msg, ret);
	}
	origin = header(c, MHD_HTTP_HEADER_ORIGIN);
	if ((access == HTTP_ACCESS_WRITE || access == HTTP_ACCESS_SESSION) &&
	    http_cross_site(origin, header(c, "Sec-Fetch-Site"), host, h->tls_cert != NULL)) {
		snprintf(msg, sizeof(msg),
			 "cross-origin %s refused: a page of another site (Origin: %.100s) may "
			 "not %s",
			 access == HTTP_ACCESS_WRITE ? "write" : "login",
			 origin ? origin : "(none; Sec-Fetch-Site says another site)",
			 access == HTTP_ACCESS_WRITE ? "change weir" : "log in to weir");
		return refuse(c, MHD_HTTP_FORBIDDEN, msg, ret);
	}
	status = auth_status(h, c, access);
	if (status == MHD_HTTP_UNAUTHORIZED) {
		*ret = http_send_error_with(
		    c, status,
		    access == HTTP_ACCESS_READ
			? "a bearer token is required (Authorization: Bearer TOKEN), or a "
			  "login's session cookie (POST /api/v1/login)"
			: "a bearer token is required (Authorization: Bearer TOKEN); a login's "
			  "session cookie opens reads only",
		    MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"weir\"");
		return -EACCES;
	}
	if (status)
		return refuse(c, status, "the bearer token is not valid", ret);
	if (access == HTTP_ACCESS_WRITE && !h->token && !h->unauthenticated_writes)
		return refuse(c, MHD_HTTP_FORBIDDEN,
			      "writes are refused: no token is configured. Configure http: "
			      "{token_file: FILE} in weir's config and send Authorization: Bearer "
			      "TOKEN (or, to let anyone who can reach the server write, http: "
			      "{unauthenticated_writes: true})",
			      ret);
	return 0;
}
