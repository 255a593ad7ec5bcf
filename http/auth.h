/*
 * auth.h - the gate each request passes once its headers are in: whether
 * it addresses this server (Host; 421), whether a write comes from another
 * site's page (403), the bearer token (401, 403), and whether writes are
 * served at all without one (403). The token is read once at start
 * (credentials.c) and held in struct http_server.
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
