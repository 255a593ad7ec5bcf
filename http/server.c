/*
 * server.c - see server.h.
 *
 * Routes: GET /api/v1/snapshot, /api/v1/sources, /api/v1/rules,
 * /api/v1/series/{rule}?range=&step=, /healthz;
 * POST /api/v1/reload.
 * Anything else is a JSON error: 404 for an unknown path, 405 for a known
 * path with another method. Every error body has the same shape:
 *   {"error":{"status":404,"message":"..."}}
 */
#include "http/server.h"

#include "aggregate/snapshot.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONNECTIONS 256
#define CONNECTION_TIMEOUT_S 30

struct http_server {
	struct MHD_Daemon *d;
	struct snap_store *store; /* borrowed */
	char *rules_json;	  /* owned, under mu */
	size_t rules_len;
	pthread_mutex_t mu;
	int (*reload)(void *arg, char **msg);
	void *reload_arg;
	http_series_fn series;
	void *series_arg;
	uint16_t port;
};

static enum MHD_Result send_body(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg,
				  const char *allow)
{
	struct strbuf sb = {0};
	struct MHD_Response *r;
	char *body;
	size_t len;

	strbuf_puts(&sb, "{\"error\":{\"status\":");
	json_u64(&sb, status);
	strbuf_puts(&sb, ",\"message\":");
	json_cstr(&sb, msg);
	strbuf_puts(&sb, "}}\n");
	len = sb.len;
	body = strbuf_take(&sb);
	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	return send_body(c, status, r);
}

static void snap_free_cb(void *cls)
{
	snap_release(cls);
}

/* Serve the latest snapshot's /api/v1/snapshot (sources false) or
 * /api/v1/sources body. */
static enum MHD_Result serve_snapshot(struct http_server *h, struct MHD_Connection *c, bool sources)
{
	struct snapshot *s = snap_store_acquire(h->store);
	struct MHD_Response *r;

	if (!s)
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet", NULL);
	/* The body is the snapshot's own JSON; the reference is dropped when
	 * MHD is done with the response. */
	r = MHD_create_response_from_buffer_with_free_callback_cls(
	    sources ? s->sources_len : s->json_len, sources ? s->sources_json : s->json,
	    snap_free_cb, s);
	if (!r) {
		snap_release(s);
		return MHD_NO;
	}
	return send_body(c, MHD_HTTP_OK, r);
}

static enum MHD_Result serve_static(struct MHD_Connection *c, const char *body, size_t len)
{
	return send_body(
	    c, MHD_HTTP_OK,
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT));
}

void http_set_reload(struct http_server *h, int (*fn)(void *arg, char **msg), void *arg)
{
	pthread_mutex_lock(&h->mu);
	h->reload = fn;
	h->reload_arg = arg;
	pthread_mutex_unlock(&h->mu);
}

static char *render_rules(const struct cfg *cfg, size_t *len);

int http_set_rules(struct http_server *h, const struct cfg *cfg)
{
	size_t len;
	char *json = render_rules(cfg, &len), *old;

	if (!json)
		return -ENOMEM;
	pthread_mutex_lock(&h->mu);
	old = h->rules_json;
	h->rules_json = json;
	h->rules_len = len;
	pthread_mutex_unlock(&h->mu);
	free(old);
	return 0;
}

static enum MHD_Result serve_rules(struct http_server *h, struct MHD_Connection *c)
{
	struct MHD_Response *r;

	pthread_mutex_lock(&h->mu);
	r = MHD_create_response_from_buffer(h->rules_len, h->rules_json, MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&h->mu);
	return send_body(c, MHD_HTTP_OK, r);
}

/* A duration query parameter ("15m", "10s"); def when absent. 0, or -1
 * after sending a 400 naming the parameter. */
static int duration_arg(struct MHD_Connection *c, const char *name, uint32_t def, uint32_t *out,
			enum MHD_Result *ret)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char msg[160];

	*out = def;
	if (!v)
		return 0;
	if (cfg_parse_duration(v, out) || !*out) {
		snprintf(msg, sizeof(msg), "bad %s: %.40s (a duration such as 10s, 5m, 1h)", name,
			 v);
		*ret = send_error(c, MHD_HTTP_BAD_REQUEST, msg, NULL);
		return -1;
	}
	return 0;
}

/* GET /api/v1/series/{rule}?range=15m&step=10s */
static enum MHD_Result serve_series(struct http_server *h, struct MHD_Connection *c,
				    const char *rule)
{
	struct strbuf sb = {0};
	enum MHD_Result ret = MHD_NO;
	uint32_t range, step;
	http_series_fn fn;
	void *arg;
	char msg[200];
	int rc;

	if (duration_arg(c, "range", 900, &range, &ret) || duration_arg(c, "step", 0, &step, &ret))
		return ret;
	if (!step)
		step = range / 300 ? range / 300 : 1; /* about 300 points */
	pthread_mutex_lock(&h->mu);
	fn = h->series;
	arg = h->series_arg;
	pthread_mutex_unlock(&h->mu);
	if (!fn)
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no series yet", NULL);
	rc = fn(arg, rule, range, step, &sb);
	if (rc) {
		strbuf_free(&sb);
		if (rc == -ENOENT) {
			snprintf(msg, sizeof(msg), "no such rule: %.120s", rule);
			return send_error(c, MHD_HTTP_NOT_FOUND, msg, NULL);
		}
		if (rc == -ERANGE || rc == -E2BIG) {
			snprintf(msg, sizeof(msg),
				 rc == -ERANGE ? "bad range: longer than the history (30d)"
					       : "bad step: too many points for the range");
			return send_error(c, MHD_HTTP_BAD_REQUEST, msg, NULL);
		}
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
	}
	if (sb.oom) {
		strbuf_free(&sb);
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
	}
	return send_body(c, MHD_HTTP_OK,
			 MHD_create_response_from_buffer(sb.len, sb.buf, MHD_RESPMEM_MUST_FREE));
}

void http_set_series(struct http_server *h, http_series_fn fn, void *arg)
{
	pthread_mutex_lock(&h->mu);
	h->series = fn;
	h->series_arg = arg;
	pthread_mutex_unlock(&h->mu);
}

static enum MHD_Result serve_reload(struct http_server *h, struct MHD_Connection *c)
{
	int (*fn)(void *, char **);
	struct strbuf sb = {0};
	char *msg = NULL;
	void *arg;
	int rc;

	pthread_mutex_lock(&h->mu);
	fn = h->reload;
	arg = h->reload_arg;
	pthread_mutex_unlock(&h->mu);
	if (!fn)
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready to reload yet", NULL);
	rc = fn(arg, &msg);
	if (rc) {
		enum MHD_Result ret = send_error(c,
						 rc == -EINVAL ? MHD_HTTP_UNPROCESSABLE_CONTENT
							       : MHD_HTTP_INTERNAL_SERVER_ERROR,
						 msg ? msg : "reload failed", NULL);

		free(msg);
		return ret;
	}
	strbuf_puts(&sb, "{\"status\":\"ok\",\"message\":");
	json_cstr(&sb, msg ? msg : "reloaded");
	strbuf_puts(&sb, "}\n");
	free(msg);
	if (sb.oom) {
		strbuf_free(&sb);
		return MHD_NO;
	}
	return send_body(c, MHD_HTTP_OK,
			 MHD_create_response_from_buffer(sb.len, sb.buf, MHD_RESPMEM_MUST_FREE));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	static const char health[] = "{\"status\":\"ok\"}\n";
	struct http_server *h = cls;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool known;
	char msg[160];

	(void)version;
	(void)upload_data;
	if (!*req_cls) {
		/* First call for this request: headers only. Answer on the next. */
		*req_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* no route takes a body yet: discard it */
		return MHD_YES;
	}
	if (!strcmp(url, "/api/v1/reload")) {
		if (strcmp(method, MHD_HTTP_METHOD_POST)) {
			snprintf(msg, sizeof(msg), "method %.20s not allowed on %.100s", method,
				 url);
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg, "POST");
		}
		return serve_reload(h, c);
	}
	if (!strncmp(url, "/api/v1/series/", 15) && url[15]) {
		if (!get) {
			snprintf(msg, sizeof(msg), "method %.20s not allowed on %.100s", method,
				 url);
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg, "GET, HEAD");
		}
		return serve_series(h, c, url + 15);
	}
	known = !strcmp(url, "/api/v1/snapshot") || !strcmp(url, "/api/v1/sources") ||
		!strcmp(url, "/api/v1/rules") || !strcmp(url, "/healthz");
	if (!known) {
		snprintf(msg, sizeof(msg), "no such endpoint: %.120s", url);
		return send_error(c, MHD_HTTP_NOT_FOUND, msg, NULL);
	}
	if (!get) {
		snprintf(msg, sizeof(msg), "method %.20s not allowed on %.100s", method, url);
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg, "GET, HEAD");
	}
	if (!strcmp(url, "/api/v1/snapshot"))
		return serve_snapshot(h, c, false);
	if (!strcmp(url, "/api/v1/sources"))
		return serve_snapshot(h, c, true);
	if (!strcmp(url, "/api/v1/rules"))
		return serve_rules(h, c);
	return serve_static(c, health, sizeof(health) - 1);
}

static char *render_rules(const struct cfg *cfg, size_t *len)
{
	struct strbuf sb = {0};
	size_t i;

	strbuf_puts(&sb, "{\"rules\":[");
	for (i = 0; i < cfg->nrules; i++) {
		const struct cfg_rule *r = &cfg->rules[i];

		if (i)
			strbuf_putc(&sb, ',');
		strbuf_puts(&sb, "{\"name\":");
		json_cstr(&sb, r->name);
		strbuf_puts(&sb, ",\"match\":");
		json_cstr(&sb, r->match);
		strbuf_puts(&sb, ",\"flags\":[");
		bool first = true;
		if (r->flags & CFG_RULE_CASELESS) {
			strbuf_puts(&sb, "\"caseless\"");
			first = false;
		}
		if (r->flags & CFG_RULE_DOTALL) {
			strbuf_puts(&sb, first ? "\"dotall\"" : ",\"dotall\"");
			first = false;
		}
		if (r->flags & CFG_RULE_UTF8)
			strbuf_puts(&sb, first ? "\"utf8\"" : ",\"utf8\"");
		strbuf_puts(&sb, "],\"source\":");
		strbuf_putc(&sb, '"');
		strbuf_printf(&sb, "%s:%d:%d", r->pos.file ? r->pos.file : "", r->pos.line,
			      r->pos.col);
		strbuf_puts(&sb, "\"}");
	}
	strbuf_puts(&sb, "]}\n");
	*len = sb.len;
	return strbuf_take(&sb);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("http: %s", msg);
}

int http_start(const struct cfg *cfg, struct snap_store *store, struct http_server **out)
{
	struct http_server *h;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	memset(&ss, 0, sizeof(ss));

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->store = store;
	pthread_mutex_init(&h->mu, NULL);
	h->rules_json = render_rules(cfg, &h->rules_len);
	if (!h->rules_json) {
		free(h);
		return -ENOMEM;
	}
	if (strchr(cfg->listen_host, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(cfg->listen_port);
		if (inet_pton(AF_INET6, cfg->listen_host, &a6->sin6_addr) != 1)
			goto bad_addr;
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(cfg->listen_port);
		if (inet_pton(AF_INET, cfg->listen_host, &a4->sin_addr) != 1)
			goto bad_addr;
	}
	h->d = MHD_start_daemon(flags, cfg->listen_port, NULL, NULL, on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)32768, MHD_OPTION_END);
	if (!h->d) {
		log_error("http: cannot listen on %s:%u (in use, or not permitted?)",
			  cfg->listen_host, cfg->listen_port);
		free(h->rules_json);
		free(h);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : cfg->listen_port;
	log_info("http: listening on http://%s%s%s:%u/", strchr(cfg->listen_host, ':') ? "[" : "",
		 cfg->listen_host, strchr(cfg->listen_host, ':') ? "]" : "", h->port);
	*out = h;
	return 0;
bad_addr:
	log_error("http: bad listen address '%s' (want an IPv4 or IPv6 address)", cfg->listen_host);
	free(h->rules_json);
	free(h);
	return -EINVAL;
}

uint16_t http_port(const struct http_server *h)
{
	return h->port;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h->rules_json);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
