/*
 * series.h - GET /api/v1/series/{rule}?range=15m&step=10s, the one route
 * answered on another thread: the aggregator's (agg_query_post). The
 * connection waits suspended meanwhile, off the HTTP threads.
 *
 * The request's state is a series request held in MHD's per-request
 * pointer, tagged by its low two bits (01): server.c's other request states
 * are even numbers, or a kept body tagged 11. It lives until MHD is done with the request
 * (http_series_free).
 */
#ifndef WEIR_HTTP_SERIES_H
#define WEIR_HTTP_SERIES_H

#include <microhttpd.h>
#include <stdbool.h>

struct http_req;

/* The route's handler: parse range and step, post the query, suspend. */
enum MHD_Result http_series_start(const struct http_req *rq);
/* Whether MHD's per-request pointer holds a series request. */
bool http_series_is(const void *req_cls);
/* The request was resumed (the aggregator has answered): send the answer. */
enum MHD_Result http_series_finish(struct MHD_Connection *c, void *req_cls);
/* MHD is done with the request: free its series request, if it is one. */
void http_series_free(void **req_cls);

#endif
