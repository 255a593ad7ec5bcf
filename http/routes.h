/*
 * routes.h - the route table: which path answers which methods with which
 * handler, and what it gives access to (a probe, a read, a write). The one
 * place that answers an unknown path (404) or a method a path does not
 * take (405, with Allow).
 */
#ifndef WEIR_HTTP_ROUTES_H
#define WEIR_HTTP_ROUTES_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct http_server;

/* What a request asks for, as the gate sees it (auth.c): a route's row
 * says, for the methods it takes; any other request is answered 404 or 405
 * and changes nothing. */
enum http_access {
	HTTP_ACCESS_OPEN,    /* a probe (/healthz, /readyz): never needs the token */
	HTTP_ACCESS_PAGE,    /* the dashboard's files (GET /, /assets/...): they hold no
				data, so never need the token; not a probe (no reserve place) */
	HTTP_ACCESS_READ,    /* GET or HEAD: needs the token with auth_reads */
	HTTP_ACCESS_UNSAFE,  /* another method no route takes (404, 405): needs the token
				whenever one is set, as a write would */
	HTTP_ACCESS_WRITE,   /* a route that changes weir (POST /api/v1/reload): needs the
				token, or unauthenticated_writes; never from another site */
	HTTP_ACCESS_SESSION, /* the browser's login (session.h): no token asked by the gate
				(login checks the one it is given), never from another site */
};

/* The access of method on url. */
enum http_access http_route_access(const char *url, const char *method);

/* Whether method on url reads its request body (at most HTTP_BODY_KEEP
 * bytes; server.c keeps it for the handler). Other bodies are discarded. */
#define HTTP_BODY_KEEP 4096u
bool http_route_reads_body(const char *url, const char *method);

/* Answer a request whose headers and body are in: its route's handler,
 * or 404 / 405. req_cls is MHD's per-request pointer, for the handler;
 * body (body_len bytes; NULL: none kept) what http_route_reads_body kept. */
enum MHD_Result http_route(struct http_server *h, struct MHD_Connection *c, const char *url,
			   const char *method, void **req_cls, const char *body, size_t body_len);

#endif
