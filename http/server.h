/*
 * server.h - the embedded HTTP server (libmicrohttpd): the JSON API.
 *
 * Owns: the MHD daemon and its threads, and the static /api/v1/rules body.
 * Borrows the pipeline's snapshot store, which must outlive the server.
 * Handlers never touch ingest or worker state: they serve the JSON the
 * aggregator rendered for the latest snapshot, holding a reference to it
 * until the response is sent.
 */
#ifndef WEIR_HTTP_SERVER_H
#define WEIR_HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

struct cfg;
struct snap_store;
struct http_server;

/* Bind cfg->listen_host:listen_port and start serving. 0 or -errno (logged). */
int http_start(const struct cfg *cfg, struct snap_store *store, struct http_server **out);
/* The port actually bound (useful with port 0). */
uint16_t http_port(const struct http_server *h);
/*
 * POST /api/v1/reload calls fn(arg, &msg) on the HTTP thread: 0 answers
 * 200, anything else 422 (a config with errors) or 500, with msg (malloc'd,
 * freed here) as the message. Until set, the route answers 503.
 */
void http_set_reload(struct http_server *h, int (*fn)(void *arg, char **msg), void *arg);
/* Serve GET /api/v1/rules from cfg's rules from now on (after a reload). */
int http_set_rules(struct http_server *h, const struct cfg *cfg);

/* GET /api/v1/series/{rule}: fn hands q to the aggregator (agg_query_post:
 * 0, or -ESHUTDOWN). The request waits suspended, off the HTTP threads,
 * until q->done. */
struct agg_query;
typedef int (*http_series_fn)(void *arg, struct agg_query *q);
void http_set_series(struct http_server *h, http_series_fn fn, void *arg);

/* GET /readyz answers 200 once set (the pipeline runs), 503 before. */
void http_set_ready(struct http_server *h, bool ready);

/* Stop accepting, finish, free. NULL is a no-op. */
void http_stop(struct http_server *h);

#endif
