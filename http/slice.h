/*
 * slice.h - the routes answered from slices of the latest snapshot, by a
 * rule's name (struct http_req's tail).
 */
#ifndef WEIR_HTTP_SLICE_H
#define WEIR_HTTP_SLICE_H

#include <microhttpd.h>

struct http_req;
struct snapshot;

/* The index of the rule named name in s, or -1. */
int http_rule_index(const struct snapshot *s, const char *name);

/* GET /api/v1/rules/{name}[?window=W] */
enum MHD_Result http_serve_rule(const struct http_req *rq);
/* GET /api/v1/top/{name}[?window=W][&k=N] */
enum MHD_Result http_serve_top(const struct http_req *rq);

#endif
