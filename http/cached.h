/*
 * cached.h - the routes whose body the aggregator rendered whole into each
 * snapshot: GET /api/v1/snapshot, /api/v1/sources, /metrics, /api/v1/stats.
 */
#ifndef WEIR_HTTP_CACHED_H
#define WEIR_HTTP_CACHED_H

#include <microhttpd.h>

struct http_req;

/* The body rq->arg (an enum snap_body) of the latest snapshot: gzip when
 * taken, 304 on a matching ETag, 503 before the first snapshot. */
enum MHD_Result http_serve_cached(const struct http_req *rq);

#endif
