/*
 * server.c - see server.h.
 *
 * Routes: GET /api/v1/snapshot, /api/v1/sources, /api/v1/rules,
 * /api/v1/series/{rule}?range=&step=, /healthz;
 * GET /metrics (Prometheus text 0.0.4), /api/v1/stats (the snapshot's bodies,
 * gzip and ETag included, are sent by http/cached.c);
 * GET /api/v1/stream (server-sent events, http/sse.c);
 * POST /api/v1/reload.
 * Anything else is a JSON error: 404 for an unknown path, 405 for a known
 * path with another method. Every error body has the same shape:
 *   {"error":{"status":404,"message":"..."}}
 */
#include "http/server.h"
#include "http/sse.h"

#include "http/internal.h"

#include "aggregate/aggregator.h"
#include "aggregate/snapshot.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (64u * 1024u) /* request bodies: larger is 413 */
#define THREADS 2	       /* MHD's polling threads */

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
	struct sse *sse; /* GET /api/v1/stream */
	struct http_windows windows;
	char *token; /* NULL: no token configured */
	size_t token_len;
	bool auth_reads;
	uint32_t nonce;		  /* this process's, in ETags (http/cached.c) */
	char *tls_cert, *tls_key; /* PEM, held while the daemon runs */
	int nice;		  /* the MHD threads' (cfg http_nice) */
	_Atomic bool ready;
	_Atomic bool stopping;		 /* http_stop has begun */
	_Atomic uint32_t series_pending; /* series requests the aggregator holds */
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

/* The request's state between calls, in the pointer itself: an even number,
 * REQ_STATE(the body bytes seen so far, capped) or REQ_REFUSED; or a
 * series_req pointer tagged with SERIES_TAG (below). */
#define REQ_STATE(seen) ((void *)(2 * (1 + (uintptr_t)(seen))))
#define REQ_SEEN(v) ((uintptr_t)(v) / 2 - 1)
#define REQ_REFUSED ((uintptr_t)-2)

/*
 * GET /api/v1/series/{rule}?range=15m&step=10s is answered by the
 * aggregator's thread (agg_query_post): the connection is suspended
 * meanwhile, and the request's state is a series_req in *req_cls, tagged
 * by its low bit (the other states are even numbers, see REQ_STATE).
 */
struct series_req {
	struct agg_query q;
	struct http_server *h;
	struct MHD_Connection *c;
	char rule[];
};

#define SERIES_TAG ((uintptr_t)1)
#define IS_SERIES(v) ((uintptr_t)(v)&SERIES_TAG)
#define SERIES_OF(v) ((struct series_req *)((uintptr_t)(v) & ~SERIES_TAG))

/* On the aggregator's thread (or the poster's when refused). */
static void series_done(struct agg_query *q)
{
	struct series_req *sr = (struct series_req *)q;
	struct http_server *h = sr->h;

	MHD_resume_connection(sr->c);
	/* last: http_stop waits for this before it stops the daemon */
	atomic_fetch_sub_explicit(&h->series_pending, 1, memory_order_release);
}

static enum MHD_Result start_series(struct http_server *h, struct MHD_Connection *c,
				    const char *rule, void **req_cls)
{
	enum MHD_Result ret = MHD_NO;
	struct series_req *sr;
	http_series_fn fn;
	uint32_t range, step;
	void *arg;
	size_t n = strlen(rule);

	if (duration_arg(c, "range", 900, &range, &ret) || duration_arg(c, "step", 0, &step, &ret))
		return ret;
	if (!step)
		step = range / 300 ? range / 300 : 1; /* about 300 points */
	pthread_mutex_lock(&h->mu);
	fn = h->series;
	arg = h->series_arg;
	pthread_mutex_unlock(&h->mu);
	/* seq_cst, with http_stop's store and load: either it sees this
	 * request pending, or this request sees it stopping */
	atomic_fetch_add(&h->series_pending, 1);
	if (!fn || atomic_load(&h->stopping)) {
		atomic_fetch_sub_explicit(&h->series_pending, 1, memory_order_release);
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no series yet", NULL);
	}
	sr = calloc(1, sizeof(*sr) + n + 1);
	if (!sr) {
		atomic_fetch_sub_explicit(&h->series_pending, 1, memory_order_release);
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
	}
	memcpy(sr->rule, rule, n + 1);
	sr->q.rule = sr->rule;
	sr->q.range_s = range;
	sr->q.step_s = step;
	sr->q.done = series_done;
	sr->h = h;
	sr->c = c;
	*req_cls = (void *)((uintptr_t)sr | SERIES_TAG);
	/* Suspend before posting: the answer may come at once. */
	MHD_suspend_connection(c);
	if (fn(arg, &sr->q)) {
		sr->q.rc = -ESHUTDOWN;
		series_done(&sr->q);
	}
	return MHD_YES;
}

/* The aggregator has answered: send it. sr stays in *req_cls, freed when
 * MHD is done with the request (on_completed). */
static enum MHD_Result finish_series(struct MHD_Connection *c, struct series_req *sr)
{
	char msg[200];
	int rc = sr->q.rc;
	size_t len;
	char *body;

	if (rc == -ENOENT) {
		snprintf(msg, sizeof(msg), "no such rule: %.120s", sr->rule);
		return send_error(c, MHD_HTTP_NOT_FOUND, msg, NULL);
	}
	if (rc == -ERANGE || rc == -E2BIG)
		return send_error(c, MHD_HTTP_BAD_REQUEST,
				  rc == -ERANGE ? "bad range: longer than the history (30d)"
						: "bad step: too many points for the range",
				  NULL);
	if (rc == -ESHUTDOWN)
		return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down", NULL);
	if (rc)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
	len = sr->q.out.len;
	body = strbuf_take(&sr->q.out);
	if (!body)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
	return send_body(c, MHD_HTTP_OK,
			 MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE));
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	if (IS_SERIES(*req_cls)) {
		struct series_req *sr = SERIES_OF(*req_cls);

		strbuf_free(&sr->q.out);
		free(sr);
		*req_cls = NULL;
	}
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

/* Equal in time independent of where they differ (length leaks, content
 * does not). */
static bool token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = alen != blen;

	for (size_t i = 0; i < blen; i++)
		d |= (unsigned char)(a[i % (alen ? alen : 1)] ^ b[i]);
	return !d && alen;
}

/* 0 if the request may go on, else the status to refuse it with. */
static unsigned check_auth(struct http_server *h, struct MHD_Connection *c, const char *url,
			   bool write)
{
	const char *v;
	size_t n;

	if (!h->token || (!write && !h->auth_reads) || !strcmp(url, "/healthz") ||
	    !strcmp(url, "/readyz"))
		return 0;
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!v || strncasecmp(v, "Bearer ", 7))
		return MHD_HTTP_UNAUTHORIZED;
	v += 7;
	while (*v == ' ')
		v++;
	n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return token_equal(v, n, h->token, h->token_len) ? 0 : MHD_HTTP_FORBIDDEN;
}

static enum MHD_Result refuse_auth(struct MHD_Connection *c, unsigned status)
{
	struct strbuf sb = {0};
	struct MHD_Response *r;
	const char *msg = status == MHD_HTTP_UNAUTHORIZED
			      ? "a bearer token is required (Authorization: Bearer TOKEN)"
			      : "the bearer token is not valid";

	strbuf_puts(&sb, "{\"error\":{\"status\":");
	json_u64(&sb, status);
	strbuf_puts(&sb, ",\"message\":");
	json_cstr(&sb, msg);
	strbuf_puts(&sb, "}}\n");
	if (sb.oom) {
		strbuf_free(&sb);
		return MHD_NO;
	}
	r = MHD_create_response_from_buffer(sb.len, sb.buf, MHD_RESPMEM_MUST_FREE);
	if (r && status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"weir\"");
	return send_body(c, status, r);
}

/* GET /api/v1/stream: the response streams until the client or shutdown ends it. */
static enum MHD_Result serve_stream(struct http_server *h, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *why;
	int rc = sse_open(h->sse, c, &r, &why);

	if (rc)
		return send_error(c,
				  rc == -ENOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR
						: MHD_HTTP_SERVICE_UNAVAILABLE,
				  why, NULL);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * Run this MHD thread at the configured nice value, once per thread (MHD
 * starts its threads itself; the first request on each is the first time
 * weir's code runs there). Only ever lowers the priority; a process
 * started nicer than that keeps its own. The HTTP threads hold no lock
 * that ingest or the aggregator wait for (snap_store_acquire is lock-free,
 * series are asked of the aggregator), so a low priority cannot stall them.
 */
static void lower_priority(int nice)
{
	static _Thread_local bool done;
	pid_t tid;
	int cur;

	if (done)
		return;
	done = true;
	tid = gettid();
	errno = 0;
	cur = getpriority(PRIO_PROCESS, (id_t)tid);
	if (!errno && cur < nice && setpriority(PRIO_PROCESS, (id_t)tid, nice))
		log_warn("http: cannot lower the HTTP thread's priority to nice %d: %s", nice,
			 strerror(errno));
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
		/* First call for this request: headers only. Refuse here what
		 * needs no body to refuse; answer the rest on the next call. */
		lower_priority(h->nice);
		const char *cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		unsigned st = check_auth(h, c, url, !get);

		*req_cls = REQ_STATE(0);
		if (st) {
			*req_cls = (void *)REQ_REFUSED;
			return refuse_auth(c, st);
		}
		if (cl && strtoull(cl, NULL, 10) > MAX_BODY) {
			*req_cls = (void *)REQ_REFUSED;
			snprintf(msg, sizeof(msg), "request body too large (at most %u bytes)",
				 MAX_BODY);
			return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL);
		}
		return MHD_YES;
	}
	if (IS_SERIES(*req_cls)) /* resumed: the aggregator has answered */
		return finish_series(c, SERIES_OF(*req_cls));
	if ((uintptr_t)*req_cls == REQ_REFUSED) {
		*upload_data_size = 0; /* answered already: discard the rest */
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* no route takes a body yet: count it and discard it */
		uintptr_t seen = REQ_SEEN(*req_cls) + *upload_data_size;

		*req_cls = REQ_STATE(seen > MAX_BODY + 1 ? MAX_BODY + 1 : seen);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (REQ_SEEN(*req_cls) > MAX_BODY) {
		snprintf(msg, sizeof(msg), "request body too large (at most %u bytes)", MAX_BODY);
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL);
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
		return start_series(h, c, url + 15, req_cls);
	}
	if ((!strncmp(url, "/api/v1/rules/", 14) && url[14]) ||
	    (!strncmp(url, "/api/v1/top/", 12) && url[12])) {
		if (!get) {
			snprintf(msg, sizeof(msg), "method %.20s not allowed on %.100s", method,
				 url);
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg, "GET, HEAD");
		}
		return url[8] == 'r' ? http_serve_rule(h, c, url + 14)
				     : http_serve_top(h, c, url + 12);
	}
	if (!strcmp(url, "/readyz")) {
		static const char ready[] = "{\"status\":\"ready\"}\n";

		if (!get) {
			snprintf(msg, sizeof(msg), "method %.20s not allowed on %.100s", method,
				 url);
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg, "GET, HEAD");
		}
		if (!atomic_load(&h->ready))
			return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "starting", NULL);
		return serve_static(c, ready, sizeof(ready) - 1);
	}
	if (!strcmp(url, "/metrics") || !strcmp(url, "/api/v1/stats")) {
		if (!get) {
			snprintf(msg, sizeof(msg), "method %.20s not allowed on %.100s", method,
				 url);
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg, "GET, HEAD");
		}
		return http_serve_cached(h, c, url[1] == 'm' ? SNAP_BODY_METRICS : SNAP_BODY_STATS);
	}
	if (!strcmp(url, "/api/v1/stream")) {
		if (!get) {
			snprintf(msg, sizeof(msg), "method %.20s not allowed on %.100s", method,
				 url);
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, msg, "GET, HEAD");
		}
		return serve_stream(h, c);
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
		return http_serve_cached(h, c, SNAP_BODY_SNAPSHOT);
	if (!strcmp(url, "/api/v1/sources"))
		return http_serve_cached(h, c, SNAP_BODY_SOURCES);
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
	/* A client that goes away mid-response is routine (a closed browser
	 * tab, an SSE client reconnecting): not worth a warning. */
	if (strstr(msg, "Failed to send") || strstr(msg, "reset by peer") ||
	    strstr(msg, "closed by remote"))
		log_debug("http: %s", msg);
	else
		log_warn("http: %s", msg);
}

/* A whole small file into a NUL-terminated buffer. NULL (and errno) on error. */
static char *read_small(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? 2 * cap : 8192;
			if (cap > (1u << 20) || !(nb = realloc(buf, cap))) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got < 4096)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* The token file: its content less surrounding whitespace. 0 or -errno. */
static int load_token(struct http_server *h, const char *path)
{
	size_t n;
	char *t = read_small(path, &n), *p;

	if (!t) {
		log_error("http: cannot read the token file %s: %s", path, strerror(errno));
		return -errno;
	}
	p = t;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (n < 16) {
		log_error("http: the token in %s is %s; use at least 16 characters", path,
			  n ? "too short" : "empty");
		free(t);
		return -EINVAL;
	}
	memmove(t, p, n);
	t[n] = '\0';
	h->token = t;
	h->token_len = n;
	return 0;
}

static void server_free(struct http_server *h)
{
	sse_free(h->sse);
	free(h->rules_json);
	free(h->token);
	free(h->tls_cert);
	free(h->tls_key);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

int http_start(const struct cfg *cfg, struct snap_store *store, struct http_server **out)
{
	struct http_server *h;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned per_thread;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	memset(&ss, 0, sizeof(ss));

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->store = store;
	pthread_mutex_init(&h->mu, NULL);
	if (getrandom(&h->nonce, sizeof(h->nonce), GRND_NONBLOCK) != sizeof(h->nonce))
		h->nonce = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	h->rules_json = render_rules(cfg, &h->rules_len);
	if (!h->rules_json) {
		server_free(h);
		return -ENOMEM;
	}
	h->windows.n = (uint32_t)(cfg->nwindows < 16 ? cfg->nwindows : 16);
	memcpy(h->windows.secs, cfg->windows, h->windows.n * sizeof(uint32_t));
	h->auth_reads = cfg->http_auth_reads;
	h->nice = (int)cfg->http_nice;
	if (cfg->http_token_file && load_token(h, cfg->http_token_file)) {
		server_free(h);
		return -EINVAL;
	}
	if (cfg->http_tls_cert) {
		h->tls_cert = read_small(cfg->http_tls_cert, NULL);
		if (h->tls_cert)
			h->tls_key = read_small(cfg->http_tls_key, NULL);
		if (!h->tls_cert || !h->tls_key) {
			log_error("http: cannot read %s: %s",
				  h->tls_cert ? cfg->http_tls_key : cfg->http_tls_cert,
				  strerror(errno));
			server_free(h);
			return -EINVAL;
		}
		flags |= MHD_USE_TLS;
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
	/* MHD applies the connection limit to each polling thread. */
	per_thread = cfg->http_max_connections / THREADS ? cfg->http_max_connections / THREADS : 1;
	flags |= MHD_ALLOW_SUSPEND_RESUME; /* event streams wait suspended */
	if (sse_new(store, &h->sse)) {
		server_free(h);
		return -ENOMEM;
	}
	if (h->tls_cert)
		h->d = MHD_start_daemon(
		    flags, cfg->listen_port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
		    on_mhd_log, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
		    per_thread, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_timeout_s,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_THREAD_POOL_SIZE,
		    (unsigned)THREADS, MHD_OPTION_HTTPS_MEM_CERT, h->tls_cert,
		    MHD_OPTION_HTTPS_MEM_KEY, h->tls_key, MHD_OPTION_END);
	else
		h->d = MHD_start_daemon(
		    flags, cfg->listen_port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
		    on_mhd_log, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
		    per_thread, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_timeout_s,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_THREAD_POOL_SIZE,
		    (unsigned)THREADS, MHD_OPTION_END);
	if (!h->d) {
		log_error("http: cannot listen on %s:%u (in use, not permitted, or a bad "
			  "certificate or key?)",
			  cfg->listen_host, cfg->listen_port);
		server_free(h);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : cfg->listen_port;
	log_info("http: listening on %s://%s%s%s:%u/%s", h->tls_cert ? "https" : "http",
		 strchr(cfg->listen_host, ':') ? "[" : "", cfg->listen_host,
		 strchr(cfg->listen_host, ':') ? "]" : "", h->port,
		 h->token ? (h->auth_reads ? " (token required)" : " (token required for writes)")
			  : "");
	*out = h;
	return 0;
bad_addr:
	log_error("http: bad listen address '%s' (want an IPv4 or IPv6 address)", cfg->listen_host);
	server_free(h);
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
	sse_shutdown(h->sse); /* MHD must not stop with a stream suspended */
	/* Nor with a series request suspended: the aggregator answers within
	 * its pass (or refuses once stopped), then they are resumed. */
	atomic_store(&h->stopping, true);
	while (atomic_load(&h->series_pending))
		sleep_ms(1);
	MHD_stop_daemon(h->d);
	server_free(h);
}

void http_set_ready(struct http_server *h, bool ready)
{
	atomic_store(&h->ready, ready);
}

const struct http_windows *http_windows(const struct http_server *h)
{
	return &h->windows;
}

uint32_t http_nonce(const struct http_server *h)
{
	return h->nonce;
}

struct snapshot *http_snapshot(struct http_server *h)
{
	return snap_store_acquire(h->store);
}

enum MHD_Result http_send_body(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
	return send_body(c, status, r);
}

enum MHD_Result http_send_error(struct MHD_Connection *c, unsigned status, const char *msg,
				const char *allow)
{
	return send_error(c, status, msg, allow);
}
