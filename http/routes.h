/*
 * routes.h - the route table: which path answers which methods with which
 * handler, and who may ask without the token. The one place that answers
 * an unknown path (404) or a method a path does not take (405, with Allow).
 */
#ifndef WEIR_HTTP_ROUTES_H
#define WEIR_HTTP_ROUTES_H

#include <microhttpd.h>

struct http_server;

/* What a request asks for, as the bearer token sees it (auth.c). */
enum http_access {
	HTTP_ACCESS_OPEN,  /* a probe (/healthz, /readyz): never needs the token */
	HTTP_ACCESS_READ,  /* GET or HEAD: needs it with auth_reads */
	HTTP_ACCESS_WRITE, /* any other method: needs it whenever one is set */
};

/* The access of method on url; an unknown url is a read or a write too. */
enum http_access http_route_access(const char *url, const char *method);

/* Answer a request whose headers and body are in: its route's handler,
 * or 404 / 405. req_cls is MHD's per-request pointer, for the handler. */
enum MHD_Result http_route(struct http_server *h, struct MHD_Connection *c, const char *url,
			   const char *method, void **req_cls);

#endif
