/*
 * internal.h - what the HTTP server's files share (not a public interface):
 * the JSON reply helpers of server.c, the routes of routes.c and the
 * snapshot bodies of cached.c.
 */
#ifndef WEIR_HTTP_INTERNAL_H
#define WEIR_HTTP_INTERNAL_H

#include "http/server.h"

#include "aggregate/snapshot.h"

#include <microhttpd.h>
#include <stdint.h>

/* The configured windows (fixed for the server's life). */
struct http_windows {
	uint32_t n;
	uint32_t secs[16];
};
const struct http_windows *http_windows(const struct http_server *h);
/* A random number drawn at start, in the ETags. */
uint32_t http_nonce(const struct http_server *h);
/* The latest snapshot with a reference for the caller (snap_release), or NULL. */
struct snapshot *http_snapshot(struct http_server *h);

/* Queue r (JSON) with status; r NULL: MHD_NO. */
enum MHD_Result http_send_body(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);
/* {"error":{"status":N,"message":msg}}; allow: an Allow header (405). */
enum MHD_Result http_send_error(struct MHD_Connection *c, unsigned status, const char *msg,
				const char *allow);

/* A body the snapshot carries whole (GET /api/v1/snapshot, /api/v1/sources,
 * /metrics, /api/v1/stats), gzip when taken, 304 on a matching ETag. */
enum MHD_Result http_serve_cached(struct http_server *h, struct MHD_Connection *c,
				  enum snap_body which);

/* GET /api/v1/rules/{name}[?window=W] */
enum MHD_Result http_serve_rule(struct http_server *h, struct MHD_Connection *c, const char *name);
/* GET /api/v1/top/{name}[?window=W][&k=N] */
enum MHD_Result http_serve_top(struct http_server *h, struct MHD_Connection *c, const char *name);

#endif
