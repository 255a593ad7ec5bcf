/*
 * internal.h - the types the HTTP server's files share (not a public
 * interface): the server's state, struct http_server, and a request as a
 * route's handler sees it, struct http_req. Types only: nothing here is
 * implemented anywhere, and no other http/ header is included, so any file
 * of the server may include it without closing a circle.
 */
#ifndef WEIR_HTTP_INTERNAL_H
#define WEIR_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agg_query;
struct http_conns;
struct http_hosts;
struct snap_store;
struct sse;

/* The configured windows (fixed for the server's life). */
struct http_windows {
	uint32_t n;
	uint32_t secs[16];
};

/*
 * The server. Owned by server.c: http_start allocates and fills it,
 * http_stop frees it. Fields set at start are read-only afterwards and read
 * from any MHD thread; the others say who writes and who reads them.
 */
struct http_server {
	struct MHD_Daemon *d;
	struct snap_store *store;    /* borrowed; read by cached.c, slice.c */
	struct sse *sse;	     /* GET /api/v1/stream (service.c) */
	struct http_conns *conns;    /* every open connection (conns.c) */
	struct http_hosts *hosts;    /* the names Host may give (auth.c, origin.c) */
	struct http_windows windows; /* read by slice.c */
	char *token;		     /* NULL: no token configured (auth.c) */
	size_t token_len;
	bool auth_reads;	       /* reads need the token too (auth.c) */
	unsigned char session_key[32]; /* random per process: session cookies (session.c) */
	bool unauthenticated_writes;   /* no token, yet writes are served (auth.c) */
	uint32_t nonce;		       /* this process's, in ETags (cached.c) */
	char *tls_cert, *tls_key;      /* PEM, held while the daemon runs */
	int nice;		       /* the MHD threads' (cfg http_nice) */
	uint16_t port;

	pthread_mutex_t mu;
	/* Under mu, written by the setters in server.c: */
	char *rules_json; /* owned; GET /api/v1/rules (service.c) */
	size_t rules_len;
	int (*reload)(void *arg, char **msg); /* POST /api/v1/reload (service.c) */
	void *reload_arg;
	int (*series)(void *arg, struct agg_query *q); /* an http_series_fn (series.c) */
	void *series_arg;

	_Atomic bool ready;		 /* http_set_ready; read by service.c */
	_Atomic bool stopping;		 /* http_stop has begun (read by series.c) */
	_Atomic uint32_t series_pending; /* series requests the aggregator holds */
};

/* One request as a route's handler sees it; routes.c fills it in. */
struct http_req {
	struct http_server *h;
	struct MHD_Connection *c;
	const char *tail; /* a prefix route's rest of the path (never empty); else "" */
	int arg;	  /* the route's own argument, from the table */
	void **req_cls;	  /* MHD's per-request pointer (series.c keeps a request there) */
	const char *body; /* a route that reads its body (routes.c): the body, else NULL */
	size_t body_len;
};

/* A route's handler: queues the answer (or suspends), returns MHD's result. */
typedef enum MHD_Result (*http_handler)(const struct http_req *rq);

#endif
