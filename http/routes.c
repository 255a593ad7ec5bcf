/*
 * routes.c - see routes.h. The table, in the manner of nginx's command
 * tables: a path (exact, or a prefix when it ends in '/', which then needs
 * a non-empty rest), the methods it takes, the access it gives (a probe
 * open to all, a read, or a write: what changes weir is marked here, on
 * its row, and the gate in auth.c holds every such row to the same rules),
 * its handler and the handler's argument. "/" alone is exact. Paths do not overlap, so the
 * order is only for the reader. Every body is JSON except /metrics
 * (Prometheus text 0.0.4) and /api/v1/stream (server-sent events).
 */
#include "http/routes.h"

#include "http/cached.h"
#include "http/internal.h"
#include "http/reply.h"
#include "http/samples.h"
#include "http/series.h"
#include "http/service.h"
#include "http/session.h"
#include "http/slice.h"
#include "http/static.h"

#include "aggregate/snapshot.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum { M_READ = 1 /* GET, HEAD */, M_POST = 2, M_BODY = 4 /* reads its body (routes.h) */ };

/* The methods any route takes, in the order an Allow header lists them. */
static const struct {
	const char *name;
	unsigned bit;
} methods[] = {
    {MHD_HTTP_METHOD_GET, M_READ},
    {MHD_HTTP_METHOD_HEAD, M_READ},
    {MHD_HTTP_METHOD_POST, M_POST},
};

/* /api/v1/rules/{name}/samples, or else /api/v1/rules/{name} (a rule's
 * name has no '/', so the two cannot be mistaken for each other). */
static enum MHD_Result serve_rule_path(const struct http_req *rq)
{
	size_t n = strlen(rq->tail), k = strlen(HTTP_SAMPLES_SUFFIX);

	if (n > k && !strcmp(rq->tail + n - k, HTTP_SAMPLES_SUFFIX))
		return http_serve_samples(rq);
	return http_serve_rule(rq);
}

struct route {
	const char *path;
	unsigned methods;	 /* M_* */
	enum http_access access; /* OPEN, PAGE, READ or WRITE */
	http_handler serve;
	int arg; /* struct http_req's arg */
};

/* the table's shorthand */
#define A_OPEN HTTP_ACCESS_OPEN
#define A_READ HTTP_ACCESS_READ
#define A_WRITE HTTP_ACCESS_WRITE
#define A_PAGE HTTP_ACCESS_PAGE
#define A_SESSION HTTP_ACCESS_SESSION

static const struct route routes[] = {
    /* the snapshot's bodies, sent whole (cached.c) */
    {"/api/v1/snapshot", M_READ, A_READ, http_serve_cached, SNAP_BODY_SNAPSHOT},
    {"/api/v1/sources", M_READ, A_READ, http_serve_cached, SNAP_BODY_SOURCES},
    {"/api/v1/stats", M_READ, A_READ, http_serve_cached, SNAP_BODY_STATS},
    {"/metrics", M_READ, A_READ, http_serve_cached, SNAP_BODY_METRICS},
    /* slices of it: /api/v1/rules/{name}?window=, /api/v1/top/{name}?window=&k=;
       and /api/v1/rules/{name}/samples?key=&limit= (samples.c) */
    {"/api/v1/rules/", M_READ, A_READ, serve_rule_path, 0},
    {"/api/v1/top/", M_READ, A_READ, http_serve_top, 0},
    /* /api/v1/series/{name}?range=&step=, answered by the aggregator */
    {"/api/v1/series/", M_READ, A_READ, http_series_start, 0},
    /* the server's own state (service.c) */
    {"/api/v1/rules", M_READ, A_READ, http_serve_rules, 0},
    {"/api/v1/stream", M_READ, A_READ, http_serve_stream, 0},
    {"/api/v1/reload", M_POST, A_WRITE, http_serve_reload, 0},
    /* the browser's login: a cookie for reads (session.c) */
    {"/api/v1/login", M_POST | M_BODY, A_SESSION, http_serve_login, 0},
    {"/api/v1/logout", M_POST, A_SESSION, http_serve_logout, 0},
    {"/api/v1/session", M_READ, A_SESSION, http_serve_session, 0},
    {"/healthz", M_READ, A_OPEN, http_serve_health, 0},
    {"/readyz", M_READ, A_OPEN, http_serve_ready, 0},
    /* the dashboard compiled into the binary (static.c): no data, no token */
    {"/", M_READ, A_PAGE, http_serve_static, 0},
    {"/assets/", M_READ, A_PAGE, http_serve_static, 1},
};

/* url's route, or NULL; *tail is what follows a prefix route's path. */
static const struct route *route_find(const char *url, const char **tail)
{
	for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
		const char *p = routes[i].path;
		size_t n = strlen(p);

		if (n > 1 && p[n - 1] == '/' ? !strncmp(url, p, n) && url[n] : !strcmp(url, p)) {
			*tail = url + n;
			return &routes[i];
		}
	}
	return NULL;
}

static unsigned method_bit(const char *method)
{
	for (size_t i = 0; i < ARRAY_LEN(methods); i++)
		if (!strcmp(method, methods[i].name))
			return methods[i].bit;
	return 0;
}

/* The Allow header for a route's methods ("GET, HEAD"), in buf. */
static const char *allow_of(unsigned bits, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(methods) && len < size; i++)
		if (bits & methods[i].bit)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
						methods[i].name);
	return buf;
}

enum http_access http_route_access(const char *url, const char *method)
{
	const char *tail;
	const struct route *rt = route_find(url, &tail);
	unsigned bit = method_bit(method);

	if (rt && (rt->access == HTTP_ACCESS_OPEN || (rt->methods & bit)))
		return rt->access;
	return bit == M_READ ? HTTP_ACCESS_READ : HTTP_ACCESS_UNSAFE;
}

bool http_route_reads_body(const char *url, const char *method)
{
	const char *tail;
	const struct route *rt = route_find(url, &tail);

	return rt && (rt->methods & M_BODY) && (rt->methods & method_bit(method));
}

enum MHD_Result http_route(struct http_server *h, struct MHD_Connection *c, const char *url,
			   const char *method, void **req_cls, const char *body, size_t body_len)
{
	const char *tail;
	const struct route *rt = route_find(url, &tail);
	char msg[160], allow[32];

	if (!rt) {
		snprintf(msg, sizeof(msg), "no such endpoint: %.120s", url);
		return http_send_error(c, MHD_HTTP_NOT_FOUND, msg);
	}
	if (!(method_bit(method) & rt->methods)) {
		snprintf(msg, sizeof(msg), "method %.20s not allowed on %.100s", method, url);
		return http_send_error_with(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg,
					    MHD_HTTP_HEADER_ALLOW,
					    allow_of(rt->methods, allow, sizeof(allow)));
	}
	return rt->serve(&(struct http_req){h, c, tail, rt->arg, req_cls, body, body_len});
}
