/*
 * series.c - see series.h. A series request is counted in
 * h->series_pending from before it is posted until its answer has resumed
 * the connection: http_stop waits for none to be pending before it stops
 * the daemon (MHD must not stop with a connection suspended).
 */
#include "http/series.h"

#include "http/internal.h"
#include "http/query.h"
#include "http/reply.h"

#include "aggregate/aggregator.h"
#include "config/config.h"
#include "core/strbuf.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct series_req {
	struct agg_query q; /* first: the aggregator hands back &q */
	struct http_server *h;
	struct MHD_Connection *c;
	char rule[];
};

#define SERIES_TAG ((uintptr_t)1)
#define SERIES_OF(v) ((struct series_req *)((uintptr_t)(v) & ~SERIES_TAG))

bool http_series_is(const void *req_cls)
{
	return ((uintptr_t)req_cls & 3) == SERIES_TAG; /* 3: server.c's kept body */
}

/* The bounds of a series request: what the aggregator does for one is
 * proportional to its points, and it answers on its own thread, between
 * drains of the pipeline. */
#define SERIES_RANGE_MAX (30u * 86400u) /* the pane history's length */
#define SERIES_POINTS_MAX 10000u	/* range / step */

static enum MHD_Result bad_arg(struct MHD_Connection *c, const char *msg)
{
	return http_send_error(c, MHD_HTTP_BAD_REQUEST, msg);
}

/* A duration query parameter ("15m", "10s") from 1s to max_s (what_max
 * says what that is, for the message), the whole value a duration; def
 * when absent. 0, or -1 after sending a 400 naming the parameter. */
static int duration_arg(struct MHD_Connection *c, const char *name, uint32_t def, uint32_t max_s,
			const char *what_max, uint32_t *out, enum MHD_Result *ret)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char msg[200], max[16];

	*out = def;
	if (!v)
		return 0;
	if (http_duration_parse(v, out) || *out > max_s) {
		cfg_format_duration(max_s, max, sizeof(max));
		snprintf(msg, sizeof(msg),
			 "bad %s: %.40s (a duration from 1s to %s%s, such as 10s, 5m, 1h)", name, v,
			 what_max, max);
		*ret = bad_arg(c, msg);
		return -1;
	}
	return 0;
}

/* ?range= and ?step= into *range and *step (0: none given). 0, or -1
 * after sending a 400 naming the parameter. */
static int series_args(struct MHD_Connection *c, uint32_t *range, uint32_t *step,
		       enum MHD_Result *ret)
{
	char msg[200], r[16], s[16];

	if (duration_arg(c, "range", 900, SERIES_RANGE_MAX, "", range, ret) ||
	    duration_arg(c, "step", 0, *range, "the range, ", step, ret))
		return -1;
	if (*step && *range / *step > SERIES_POINTS_MAX) {
		cfg_format_duration(*range, r, sizeof(r));
		cfg_format_duration(*step, s, sizeof(s));
		snprintf(msg, sizeof(msg),
			 "bad step: %s gives %u points over %s (at most %u; take a longer step)", s,
			 *range / *step, r, SERIES_POINTS_MAX);
		*ret = bad_arg(c, msg);
		return -1;
	}
	return 0;
}

/* On the aggregator's thread (or the poster's when refused). */
static void series_done(struct agg_query *q)
{
	struct series_req *sr = (struct series_req *)q;
	struct http_server *h = sr->h;

	MHD_resume_connection(sr->c);
	/* last: http_stop waits for this before it stops the daemon */
	atomic_fetch_sub_explicit(&h->series_pending, 1, memory_order_release);
}

enum MHD_Result http_series_start(const struct http_req *rq)
{
	struct http_server *h = rq->h;
	struct MHD_Connection *c = rq->c;
	enum MHD_Result ret = MHD_NO;
	struct series_req *sr;
	int (*fn)(void *, struct agg_query *);
	uint32_t range, step;
	void *arg;
	size_t n = strlen(rq->tail);

	if (series_args(c, &range, &step, &ret))
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
		return http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no series yet");
	}
	sr = calloc(1, sizeof(*sr) + n + 1);
	if (!sr) {
		atomic_fetch_sub_explicit(&h->series_pending, 1, memory_order_release);
		return http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	memcpy(sr->rule, rq->tail, n + 1);
	sr->q.rule = sr->rule;
	sr->q.range_s = range;
	sr->q.step_s = step;
	sr->q.done = series_done;
	sr->h = h;
	sr->c = c;
	*rq->req_cls = (void *)((uintptr_t)sr | SERIES_TAG);
	/* Suspend before posting: the answer may come at once. */
	MHD_suspend_connection(c);
	if (fn(arg, &sr->q)) {
		sr->q.rc = -ESHUTDOWN;
		series_done(&sr->q);
	}
	return MHD_YES;
}

/* sr stays in the per-request pointer, freed by http_series_free. */
enum MHD_Result http_series_finish(struct MHD_Connection *c, void *req_cls)
{
	struct series_req *sr = SERIES_OF(req_cls);
	int rc = sr->q.rc;

	if (rc == -ENOENT)
		return http_send_no_rule(c, sr->rule);
	if (rc == -ERANGE || rc == -E2BIG)
		return http_send_error(c, MHD_HTTP_BAD_REQUEST,
				       rc == -ERANGE ? "bad range: longer than the history (30d)"
						     : "bad step: too many points for the range");
	if (rc == -ESHUTDOWN)
		return http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down");
	if (rc)
		return http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return http_send_built(c, &sr->q.out);
}

void http_series_free(void **req_cls)
{
	struct series_req *sr;

	if (!http_series_is(*req_cls))
		return;
	sr = SERIES_OF(*req_cls);
	strbuf_free(&sr->q.out);
	free(sr);
	*req_cls = NULL;
}
