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

#include <stdint.h>

struct cfg;
struct snap_store;
struct http_server;

/* Bind cfg->listen_host:listen_port and start serving. 0 or -errno (logged). */
int http_start(const struct cfg *cfg, struct snap_store *store, struct http_server **out);
/* The port actually bound (useful with port 0). */
uint16_t http_port(const struct http_server *h);
/* Stop accepting, finish, free. NULL is a no-op. */
void http_stop(struct http_server *h);

#endif
