/*
 * service.h - the routes answered from the server's own state rather than
 * a snapshot: GET /healthz, /readyz, /api/v1/rules (the configured rules,
 * rendered at start and on reload), /api/v1/stream (handed to sse.c) and
 * POST /api/v1/reload.
 */
#ifndef WEIR_HTTP_SERVICE_H
#define WEIR_HTTP_SERVICE_H

#include <microhttpd.h>
#include <stddef.h>

struct cfg;
struct http_req;

enum MHD_Result http_serve_health(const struct http_req *rq);
enum MHD_Result http_serve_ready(const struct http_req *rq);
enum MHD_Result http_serve_rules(const struct http_req *rq);
enum MHD_Result http_serve_stream(const struct http_req *rq);
enum MHD_Result http_serve_reload(const struct http_req *rq);

/* The body of GET /api/v1/rules for cfg's rules (malloc'd, the caller's),
 * its length in *len (OUT); NULL when out of memory. */
char *http_rules_render(const struct cfg *cfg, size_t *len);

#endif
