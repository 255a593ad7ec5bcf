/*
 * samples.h - GET /api/v1/rules/{name}/samples[?key=K][&limit=N]: a rule's
 * most recent matching records, newest first, from the latest snapshot's
 * samples (aggregate/samples.h). Rendered per request from what the
 * aggregator published; no lock, nothing the pipeline owns is read.
 */
#ifndef WEIR_HTTP_SAMPLES_H
#define WEIR_HTTP_SAMPLES_H

#include <microhttpd.h>

struct http_req;

/* The suffix after a rule's name that asks for its samples. */
#define HTTP_SAMPLES_SUFFIX "/samples"

/* rq->tail is "{name}/samples". */
enum MHD_Result http_serve_samples(const struct http_req *rq);

#endif
