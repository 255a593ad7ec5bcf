/*
 * static.c - see static.h. Every answer carries the headers a page needs
 * to be safe to open: a Content-Security-Policy that lets the page run
 * only its own script and styles and talk only to this server (no inline
 * script, no frames, no other origin), nosniff, and no Referer. index.html
 * ("/") is revalidated on each load (no-cache: its ETag answers 304); the
 * hashed assets it names never change under their name, so they are
 * cached for a year. Nothing is computed per request: both
 * representations and their tags were made at build time.
 */
#include "http/static.h"

#include "http/assets.h"
#include "http/internal.h"
#include "http/negotiate.h"
#include "http/reply.h"

#include <stdio.h>
#include <string.h>

/* The weir program links build/web/assets.o, whose strong definition wins;
 * any other program that links libweir.a gets this one and no page. */
__attribute__((weak)) const struct http_asset_table http_web_assets = {NULL, 0};

#define CSP                                                                                        \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "                \
	"form-action 'self'; frame-ancestors 'none'"

static const struct http_asset *asset_find(const char *path)
{
	for (size_t i = 0; i < http_web_assets.n; i++)
		if (!strcmp(http_web_assets.items[i].path, path))
			return &http_web_assets.items[i];
	return NULL;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
			     const struct http_asset *a, const char *etag)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				a->immutable ? "public, max-age=31536000, immutable" : "no-cache");
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_serve_static(const struct http_req *rq)
{
	struct MHD_Connection *c = rq->c;
	const struct http_asset *a;
	struct MHD_Response *r;
	char path[256], msg[200];
	bool gz;
	const char *etag;

	if (rq->arg == 0)
		snprintf(path, sizeof(path), "/");
	else if ((size_t)snprintf(path, sizeof(path), "/assets/%s", rq->tail) >= sizeof(path))
		path[0] = '\0';
	a = path[0] ? asset_find(path) : NULL;
	if (!a) {
		snprintf(msg, sizeof(msg), "no such file: %.120s%s", rq->arg ? "/assets/" : "/",
			 rq->arg ? rq->tail : "");
		return http_send_error(c, MHD_HTTP_NOT_FOUND,
				       http_web_assets.n ? msg
							 : "this build of weir has no dashboard");
	}
	gz = a->gz && http_accepts_gzip(MHD_lookup_connection_value(
			  c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
	etag = gz ? a->etag_gz : a->etag;
	if (http_etag_matches(
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
		etag))
		return queue(c, MHD_HTTP_NOT_MODIFIED,
			     MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT), a,
			     etag);
	r = MHD_create_response_from_buffer(gz ? a->gz_len : a->len, (void *)(gz ? a->gz : a->body),
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return queue(c, MHD_HTTP_OK, r, a, etag);
}
