/*
 * auth.h - the bearer token on each request: whether the request may go
 * on, and the 401 or 403 that refuses it. The token is read once at start
 * (credentials.c) and held in struct http_server; with none configured
 * every request goes on.
 */
#ifndef WEIR_HTTP_AUTH_H
#define WEIR_HTTP_AUTH_H

#include "http/routes.h"

#include <microhttpd.h>

struct http_server;

/* 0 if a request with this access may go on; else -EACCES after queuing
 * the refusal, with MHD's result in *ret. */
int http_auth_check(const struct http_server *h, struct MHD_Connection *c, enum http_access access,
		    enum MHD_Result *ret);

#endif
