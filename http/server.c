/*
 * server.c - see server.h. Owns the daemon's life and the gate every
 * request passes before its route:
 *   - http_start in steps: the server's state (server_new), the token and
 *     TLS files (credentials.c), the listen address, the connection table
 *     (conns.c), the MHD daemon with its options as one table;
 *   - on_request: on a request's first call (headers only) the gate in
 *     auth.c (Host, cross-site writes, the bearer token, writes without
 *     one), a full server (conns.c: only probes are answered then) and a
 *     declared body over MAX_BODY are refused; a body is kept (at most
 *     HTTP_BODY_KEEP bytes) for a route that reads one (the login), any
 *     other is counted and discarded; then the route table (routes.c)
 *     answers, or series.c once a suspended series request resumes;
 *   - MHD's own log lines, rate-limited (a client or the system can make
 *     MHD say the same thing thousands of times a second);
 *   - the setters of what the routes serve (struct http_server, under mu).
 *
 * The files in reading order: server.c, conns.c (every connection's
 * place), routes.c (the table and its 404 and 405), auth.c and origin.c,
 * then the handlers: cached.c and slice.c (the snapshot), series.c (the
 * aggregator), service.c (the server's own state, with sse.c for the
 * stream); reply.c writes every JSON reply.
 */
#include "http/server.h"

#include "http/auth.h"
#include "http/conns.h"
#include "http/credentials.h"
#include "http/internal.h"
#include "http/origin.h"
#include "http/reply.h"
#include "http/routes.h"
#include "http/series.h"
#include "http/service.h"
#include "http/sse.h"

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (64u * 1024u) /* request bodies: larger is 413 */
#define THREADS 2	       /* MHD's polling threads */

void http_set_reload(struct http_server *h, int (*fn)(void *arg, char **msg), void *arg)
{
	pthread_mutex_lock(&h->mu);
	h->reload = fn;
	h->reload_arg = arg;
	pthread_mutex_unlock(&h->mu);
}

int http_set_rules(struct http_server *h, const struct cfg *cfg)
{
	size_t len;
	char *json = http_rules_render(cfg, &len), *old;

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

void http_set_series(struct http_server *h, http_series_fn fn, void *arg)
{
	pthread_mutex_lock(&h->mu);
	h->series = fn;
	h->series_arg = arg;
	pthread_mutex_unlock(&h->mu);
}

void http_set_ready(struct http_server *h, bool ready)
{
	atomic_store(&h->ready, ready);
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

/* The request's state between calls, in MHD's per-request pointer: an even
 * number, REQ_STATE(the body bytes seen so far, capped) or REQ_REFUSED; a
 * series request, tagged 01 (series.h); or a kept body, tagged 11. */
#define REQ_STATE(seen) ((void *)(2 * (1 + (uintptr_t)(seen))))
#define REQ_SEEN(v) ((uintptr_t)(v) / 2 - 1)
#define REQ_REFUSED ((uintptr_t)-2)
#define BODY_TAG ((uintptr_t)3)

/* The body of a route that reads one (routes.h), owned by the request:
 * freed in on_completed. */
struct req_body {
	size_t len;
	bool over; /* more than HTTP_BODY_KEEP came: 413 */
	char data[HTTP_BODY_KEEP + 1];
};

static struct req_body *body_of(void *req_cls)
{
	return ((uintptr_t)req_cls & 3) == BODY_TAG
		   ? (struct req_body *)((uintptr_t)req_cls & ~BODY_TAG)
		   : NULL;
}

static enum MHD_Result refuse_too_large(struct MHD_Connection *c)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "request body too large (at most %u bytes)", MAX_BODY);
	return http_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg);
}

/* A request's first call: headers only. Refuse here what needs no body to
 * refuse; the rest is answered once the body is in. */
static enum MHD_Result on_headers(struct http_server *h, struct MHD_Connection *c, const char *url,
				  const char *method, void **req_cls)
{
	const char *cl =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	enum http_access access = http_route_access(url, method);
	bool full;
	enum MHD_Result ret;

	lower_priority(h->nice);
	*req_cls = REQ_STATE(0);
	full = http_conns_busy(h->conns, c);
	if (http_auth_check(h, c, access, &ret)) {
		*req_cls = (void *)REQ_REFUSED;
		return ret;
	}
	if (full && access != HTTP_ACCESS_OPEN) {
		/* A reserve place (conns.h): kept for the probes. */
		*req_cls = (void *)REQ_REFUSED;
		return http_send_error_with(c, MHD_HTTP_SERVICE_UNAVAILABLE,
					    "too many connections: every place is busy (http: "
					    "max_connections); try again",
					    MHD_HTTP_HEADER_CONNECTION, "close");
	}
	if (cl && strtoull(cl, NULL, 10) > MAX_BODY) {
		*req_cls = (void *)REQ_REFUSED;
		return refuse_too_large(c);
	}
	if (http_route_reads_body(url, method)) {
		struct req_body *b = malloc(sizeof(*b));

		if (!b) {
			*req_cls = (void *)REQ_REFUSED;
			return http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
		}
		b->len = 0;
		b->over = false;
		*req_cls = (void *)((uintptr_t)b | BODY_TAG);
	}
	return MHD_YES;
}

/* A route that reads its body: keep it, then answer with it. */
static enum MHD_Result on_body(struct http_server *h, struct MHD_Connection *c, const char *url,
			       const char *method, const char *data, size_t *size, void **req_cls)
{
	struct req_body *b = body_of(*req_cls);
	char msg[160];

	if (*size) {
		if (*size > HTTP_BODY_KEEP - b->len)
			b->over = true;
		else
			memcpy(b->data + b->len, data, *size);
		if (!b->over)
			b->len += *size;
		*size = 0;
		return MHD_YES;
	}
	if (b->over) {
		snprintf(msg, sizeof(msg), "request body too large (at most %u bytes here)",
			 HTTP_BODY_KEEP);
		return http_send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg);
	}
	b->data[b->len] = '\0';
	return http_route(h, c, url, method, req_cls, b->len ? b->data : NULL, b->len);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct http_server *h = cls;

	(void)version;
	if (!*req_cls)
		return on_headers(h, c, url, method, req_cls);
	if (http_series_is(*req_cls)) /* resumed: the aggregator has answered */
		return http_series_finish(c, *req_cls);
	if (body_of(*req_cls))
		return on_body(h, c, url, method, upload_data, upload_data_size, req_cls);
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
	if (REQ_SEEN(*req_cls) > MAX_BODY)
		return refuse_too_large(c);
	return http_route(h, c, url, method, req_cls, NULL, 0);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct http_server *h = cls;

	(void)why;
	http_conns_idle(h->conns, c);
	http_series_free(req_cls);
	if (body_of(*req_cls)) {
		free(body_of(*req_cls));
		*req_cls = NULL;
	}
}

#define MHD_LOG_KEYS 32		 /* rate limits for MHD's lines, by format string */
#define MHD_LOG_INTERVAL_MS 1000 /* at most one line a second from each */

/*
 * MHD's log lines. Each of its messages (its format string) may be
 * written once a second, the next saying how many were dropped: a client
 * or the system can make MHD repeat one thousands of times a second (out
 * of descriptors, accept() fails at once every time MHD tries, and it
 * tries in a loop).
 */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static struct log_limit limits[MHD_LOG_KEYS];
	struct log_limit *ll =
	    &limits[((uint64_t)(uintptr_t)fmt * 0x9E3779B97F4A7C15u) >> 59 & (MHD_LOG_KEYS - 1)];
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
		log_limited(ll, MHD_LOG_INTERVAL_MS, LOG_DEBUG, "http: %s", msg);
	else
		log_limited(ll, MHD_LOG_INTERVAL_MS, LOG_WARN, "http: %s", msg);
}

static void hosts_free(struct http_hosts *hh)
{
	if (!hh)
		return;
	for (size_t i = 0; i < hh->nnames; i++)
		free(hh->names[i]);
	free(hh->names);
	free(hh);
}

/* The names cfg lets Host give (http: hosts:), copied. NULL on ENOMEM. */
static struct http_hosts *hosts_new(const struct cfg *cfg)
{
	struct http_hosts *hh = calloc(1, sizeof(*hh));

	if (!hh)
		return NULL;
	hh->names = calloc(cfg->http_nhosts ? cfg->http_nhosts : 1, sizeof(*hh->names));
	if (!hh->names) {
		free(hh);
		return NULL;
	}
	for (; hh->nnames < cfg->http_nhosts; hh->nnames++)
		if (!(hh->names[hh->nnames] = strdup(cfg->http_hosts[hh->nnames]))) {
			hosts_free(hh);
			return NULL;
		}
	return hh;
}

static void server_free(struct http_server *h)
{
	http_conns_free(h->conns);
	hosts_free(h->hosts);
	sse_free(h->sse);
	free(h->rules_json);
	free(h->token);
	free(h->tls_cert);
	free(h->tls_key);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* A server holding what cfg fixes for its life, not yet listening. 0,
 * -ENOMEM, or -EIO (no random key for sessions). */
static int server_new(const struct cfg *cfg, struct snap_store *store, struct http_server **out)
{
	struct http_server *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->store = store;
	pthread_mutex_init(&h->mu, NULL);
	if (getrandom(&h->nonce, sizeof(h->nonce), GRND_NONBLOCK) != sizeof(h->nonce))
		h->nonce = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	/* The session cookies' key (session.h): never guessable, so wait for
	 * the kernel's pool if it must (only just after boot). */
	if (getrandom(h->session_key, sizeof(h->session_key), 0) != sizeof(h->session_key)) {
		log_error("http: cannot draw a random key for login sessions: %s", strerror(errno));
		server_free(h);
		return -EIO;
	}
	h->rules_json = http_rules_render(cfg, &h->rules_len);
	h->hosts = hosts_new(cfg);
	if (!h->rules_json || !h->hosts) {
		server_free(h);
		return -ENOMEM;
	}
	h->windows.n = (uint32_t)(cfg->nwindows < 16 ? cfg->nwindows : 16);
	memcpy(h->windows.secs, cfg->windows, h->windows.n * sizeof(uint32_t));
	h->auth_reads = cfg->http_auth_reads;
	h->unauthenticated_writes = cfg->http_unauthenticated_writes;
	h->nice = (int)cfg->http_nice;
	*out = h;
	return 0;
}

/* The token and TLS files cfg names, into h. 0 or -EINVAL (logged). */
static int server_read_credentials(struct http_server *h, const struct cfg *cfg)
{
	if (cfg->http_token_file && http_token_read(cfg->http_token_file, &h->token, &h->token_len))
		return -EINVAL;
	if (cfg->http_tls_cert &&
	    http_tls_read(cfg->http_tls_cert, cfg->http_tls_key, &h->tls_cert, &h->tls_key))
		return -EINVAL;
	return 0;
}

/* The address the config resolved when it loaded `listen:` into ss, and
 * into hh (the address a Host header may give); MHD_USE_IPv6 into *flags
 * for an IPv6 one. */
static void listen_addr(const struct cfg *cfg, struct sockaddr_storage *ss, unsigned *flags,
			struct http_hosts *hh)
{
	static const unsigned char any[16];

	memcpy(ss, &cfg->listen_addr, sizeof(*ss));
	if (ss->ss_family == AF_INET6) {
		*flags |= MHD_USE_IPv6;
		hh->family = AF_INET6;
		memcpy(hh->addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else {
		hh->family = AF_INET;
		memcpy(hh->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
	hh->wildcard = !memcmp(hh->addr, any, hh->family == AF_INET ? 4 : 16);
}

/* MHD names its threads "MHD-worker" (or "MHD-listen", ...) as each
 * starts: rename those that have, weir-http, so top -H, perf and gdb show
 * them with the other weir-* threads. Only MHD's threads in this process
 * carry an "MHD-" name. Returns how many it renamed. */
static unsigned rename_mhd_threads(void)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	unsigned renamed = 0;

	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		char path[300], comm[32] = {0};
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		if (n > 4 && !memcmp(comm, "MHD-", 4) && lseek(fd, 0, SEEK_SET) == 0) {
			if (write(fd, "weir-http", 9) == 9)
				renamed++;
			else
				log_debug("http: cannot name thread %s", e->d_name);
		}
		close(fd);
	}
	closedir(dir);
	return renamed;
}

/* Each of MHD's THREADS threads, once it has named itself (within 1 s;
 * one that has not by then keeps MHD's name). */
static void name_threads(void)
{
	unsigned done = 0;

	for (int i = 0; i < 1000 && done < THREADS; i++) {
		done += rename_mhd_threads();
		if (done < THREADS)
			sleep_ms(1);
	}
}

/* Start MHD for h on ss. 0 or -EADDRINUSE (logged). */
static int daemon_start(struct http_server *h, const struct cfg *cfg,
			const struct sockaddr_storage *ss, unsigned flags)
{
	/* MHD shares the connection limit out among its polling threads (a
	 * thread with none left stops accepting, the other goes on): the
	 * total is the configured one, plus the reserve conns.c keeps free
	 * for newcomers. The logger first, so that MHD's own checks of the
	 * rest log through it; the last two slots are TLS's, or the end. */
	struct MHD_OptionItem opts[] = {
	    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
	    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)http_conns_notify, h->conns},
	    {MHD_OPTION_SOCK_ADDR, 0, (void *)ss},
	    {MHD_OPTION_CONNECTION_LIMIT,
	     (intptr_t)(cfg->http_max_connections + HTTP_CONNS_RESERVE), NULL},
	    {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->http_max_per_client, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->http_timeout_s, NULL},
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32768, NULL},
	    {MHD_OPTION_THREAD_POOL_SIZE, THREADS, NULL},
	    {MHD_OPTION_END, 0, NULL},
	    {MHD_OPTION_END, 0, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	size_t tls = sizeof(opts) / sizeof(opts[0]) - 3;

	if (h->tls_cert) {
		flags |= MHD_USE_TLS;
		opts[tls] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert};
		opts[tls + 1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key};
	}
	h->d = MHD_start_daemon(flags, cfg->listen_port, NULL, NULL, on_request, h,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (h->d)
		name_threads();
	if (h->d)
		return 0;
	log_error("http: cannot listen on %s:%u (in use, not permitted, or a bad "
		  "certificate or key?)",
		  cfg->listen_host, cfg->listen_port);
	return -EADDRINUSE;
}

int http_start(const struct cfg *cfg, struct snap_store *store, struct http_server **out)
{
	/* event streams and series requests wait suspended */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	struct http_server *h;
	bool v6 = strchr(cfg->listen_host, ':');
	int rc;

	*out = NULL;
	rc = server_new(cfg, store, &h);
	if (rc)
		return rc;
	if ((rc = server_read_credentials(h, cfg)))
		goto err;
	listen_addr(cfg, &ss, &flags, h->hosts);
	if ((rc = sse_new(store, cfg->http_max_streams, &h->sse)) ||
	    (rc = http_conns_new(cfg->http_max_connections, cfg->http_header_timeout_s, &h->conns)))
		goto err;
	if ((rc = daemon_start(h, cfg, &ss, flags)))
		goto err;
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : cfg->listen_port;
	log_info("http: listening on %s://%s%s%s:%u/%s", h->tls_cert ? "https" : "http",
		 v6 ? "[" : "", cfg->listen_host, v6 ? "]" : "", h->port,
		 h->token ? (h->auth_reads ? " (token required)" : " (token required for writes)")
		 : h->unauthenticated_writes ? " (writes open to anyone: unauthenticated_writes)"
					     : " (writes refused: no token_file)");
	*out = h;
	return 0;
err:
	server_free(h);
	return rc;
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
