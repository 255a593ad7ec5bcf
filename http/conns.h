/*
 * conns.h - every open connection of the HTTP server, so that none holds
 * a place for long without a request, and a full server still answers its
 * probes.
 *
 * MHD is given max_connections + HTTP_CONNS_RESERVE places. A connection
 * is idle from when it opens, or from its last answer, until a request's
 * head is in (then busy, until the answer is done). Idle connections:
 *   - are closed header_timeout after they became idle: a client that
 *     sends its request a byte at a time (slowloris), or none at all,
 *     gives its place back (an idle keep-alive connection too);
 *   - are closed, oldest first, when more than max_connections are open:
 *     a new client takes the place of the longest-waiting idle one.
 * So the places beyond max_connections stay free for newcomers, and when
 * every place up to max_connections is busy, a newcomer is still taken in
 * (one of the reserve), its request answered only if it is a probe
 * (/healthz, /readyz), else 503.
 *
 * A connection is closed by shutting its socket down: MHD then sees the
 * end and closes it on its own thread. Its descriptor stays valid until
 * MHD's MHD_CONNECTION_NOTIFY_CLOSED, which comes before MHD closes it,
 * and both happen under the table's lock, so a descriptor shut here is
 * never one already reused.
 *
 * Owns: the table and its guard thread ("weir-http-guard"). Threads: MHD's
 * (the callbacks) and the guard; everything under one mutex, held for a
 * few list operations and shutdown(2) calls.
 */
#ifndef WEIR_HTTP_CONNS_H
#define WEIR_HTTP_CONNS_H

#include <microhttpd.h>
#include <stdbool.h>

#define HTTP_CONNS_RESERVE 16 /* places beyond max_connections, for newcomers */

struct http_conns;

/* A table for at most limit open connections (plus the reserve) whose
 * request heads must arrive within header_timeout_s; starts the guard.
 * 0 or -errno. */
int http_conns_new(unsigned limit, unsigned header_timeout_s, struct http_conns **out);
/* Stop the guard and free. Only once MHD has stopped. NULL is a no-op. */
void http_conns_free(struct http_conns *cs);

/* MHD_OPTION_NOTIFY_CONNECTION's callback; cls is the table. */
void http_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe);

/* c's request head is in: it is busy until http_conns_idle. Returns true
 * when more than `limit` connections are open with c (every other place
 * is busy): only a probe should be answered. */
bool http_conns_busy(struct http_conns *cs, struct MHD_Connection *c);
/* c's request is done (MHD_OPTION_NOTIFY_COMPLETED): idle again. */
void http_conns_idle(struct http_conns *cs, struct MHD_Connection *c);

#endif
