/*
 * static.h - GET / and /assets/...: the browser dashboard, compiled into
 * the binary (assets.h), served without the token (it holds no data; the
 * API calls it makes need whatever reads need).
 */
#ifndef WEIR_HTTP_STATIC_H
#define WEIR_HTTP_STATIC_H

#include <microhttpd.h>

struct http_req;

/* The asset whose path is the request's URL ("/" or "/assets/" + tail):
 * gzip when taken, 304 on a matching ETag, 404 for a path not in the
 * table. rq->arg: 0 for "/", 1 for the /assets/ prefix. */
enum MHD_Result http_serve_static(const struct http_req *rq);

#endif
