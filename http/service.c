/*
 * service.c - see service.h. The handlers read what server.c's setters
 * wrote: the rules body, the reload function (both under h->mu) and the
 * ready flag.
 */
#include "http/service.h"

#include "http/internal.h"
#include "http/reply.h"
#include "http/sse.h"

#include "aggregate/snapshot.h"
#include "config/config.h"
#include "core/json.h"
#include "core/strbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum MHD_Result http_serve_health(const struct http_req *rq)
{
	static const char health[] = "{\"status\":\"ok\"}\n";

	return http_send_static(rq->c, health, sizeof(health) - 1);
}

/* Ready: the pipeline runs (http_set_ready) and the last attempt to
 * checkpoint the durable state, as of the latest snapshot, succeeded -
 * else a restart would lose what weir counted since the last one that
 * did, and re-read its files. */
enum MHD_Result http_serve_ready(const struct http_req *rq)
{
	static const char ready[] = "{\"status\":\"ready\"}\n";
	struct snapshot *s;
	struct strbuf msg = {0};
	enum MHD_Result ret;
	struct tm tm;
	time_t t;

	if (!atomic_load(&rq->h->ready))
		return http_send_error(rq->c, MHD_HTTP_SERVICE_UNAVAILABLE, "starting");
	s = snap_store_acquire(rq->h->store);
	if (!s || !s->checkpoint_rc) {
		snap_release(s);
		return http_send_static(rq->c, ready, sizeof(ready) - 1);
	}
	t = (time_t)(s->checkpoint_ms / 1000);
	gmtime_r(&t, &tm);
	strbuf_printf(&msg,
		      "the last checkpoint failed (%s, at %04d-%02d-%02dT%02d:%02d:%02dZ): weir's "
		      "state is not being saved; see the log",
		      strerror(-s->checkpoint_rc), tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		      tm.tm_hour, tm.tm_min, tm.tm_sec);
	snap_release(s);
	ret = http_send_error(rq->c, MHD_HTTP_SERVICE_UNAVAILABLE,
			      msg.buf && !msg.oom ? msg.buf : "the last checkpoint failed");
	strbuf_free(&msg);
	return ret;
}

enum MHD_Result http_serve_rules(const struct http_req *rq)
{
	struct http_server *h = rq->h;
	struct MHD_Response *r;

	pthread_mutex_lock(&h->mu);
	r = MHD_create_response_from_buffer(h->rules_len, h->rules_json, MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&h->mu);
	return http_send_body(rq->c, MHD_HTTP_OK, r);
}

/* The response streams until the client or shutdown ends it. */
enum MHD_Result http_serve_stream(const struct http_req *rq)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *why;
	int rc = sse_open(rq->h->sse, rq->c, &r, &why);

	if (rc)
		return http_send_error(rq->c,
				       rc == -ENOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR
						     : MHD_HTTP_SERVICE_UNAVAILABLE,
				       why);
	ret = MHD_queue_response(rq->c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_serve_reload(const struct http_req *rq)
{
	struct http_server *h = rq->h;
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
		return http_send_error(rq->c, MHD_HTTP_SERVICE_UNAVAILABLE,
				       "not ready to reload yet");
	rc = fn(arg, &msg);
	if (rc) {
		enum MHD_Result ret = http_send_error(
		    rq->c,
		    rc == -EINVAL ? MHD_HTTP_UNPROCESSABLE_CONTENT : MHD_HTTP_INTERNAL_SERVER_ERROR,
		    msg ? msg : "reload failed");

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
	return http_send_body(
	    rq->c, MHD_HTTP_OK,
	    MHD_create_response_from_buffer(sb.len, sb.buf, MHD_RESPMEM_MUST_FREE));
}

/* A rule's flags, in the order GET /api/v1/rules lists them. */
static const struct {
	unsigned bit;
	const char *name;
} rule_flags[] = {
    {CFG_RULE_CASELESS, "caseless"},
    {CFG_RULE_DOTALL, "dotall"},
    {CFG_RULE_UTF8, "utf8"},
};

/* A string or null. */
static void json_cstr_or_null(struct strbuf *sb, const char *s)
{
	if (s)
		json_cstr(sb, s);
	else
		strbuf_puts(sb, "null");
}

static const char *const cmp_names[] = {
    [CFG_CMP_EQ] = "=",	 [CFG_CMP_NE] = "!=", [CFG_CMP_LT] = "<",
    [CFG_CMP_LE] = "<=", [CFG_CMP_GT] = ">",  [CFG_CMP_GE] = ">=",
};

/* What a rule extracts and its where: conditions, after its position. */
static void put_rule_fields(struct strbuf *sb, const struct cfg_rule *r)
{
	strbuf_puts(sb, ",\"value\":");
	json_cstr_or_null(sb, r->value);
	strbuf_puts(sb, ",\"unit\":");
	json_cstr_or_null(sb, r->value ? r->value_unit : NULL);
	strbuf_puts(sb, ",\"top\":");
	json_cstr_or_null(sb, r->top);
	strbuf_puts(sb, ",\"top_k\":");
	if (r->top)
		json_u64(sb, r->top_k);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ",\"distinct\":");
	json_cstr_or_null(sb, r->distinct);
	strbuf_puts(sb, ",\"time\":");
	json_cstr_or_null(sb, r->time == CFG_TIME_ARRIVAL ? "arrival"
			      : r->time == CFG_TIME_EVENT ? "event"
							  : NULL);
	strbuf_puts(sb, ",\"where\":[");
	for (size_t w = 0; w < r->nwhere; w++) {
		const struct cfg_where *c = &r->where[w];

		strbuf_puts(sb, w ? ",{\"field\":" : "{\"field\":");
		json_cstr(sb, c->name ? c->name : cfg_field_name(c->field));
		strbuf_puts(sb, ",\"op\":");
		json_cstr(sb, cmp_names[c->cmp]);
		strbuf_puts(sb, ",\"values\":[");
		if (c->nvalues)
			for (size_t v = 0; v < c->nvalues; v++) {
				if (v)
					strbuf_putc(sb, ',');
				json_cstr(sb, c->values[v]);
			}
		else {
			char num[32];

			snprintf(num, sizeof(num), "%g", c->num);
			json_cstr(sb, num);
		}
		strbuf_puts(sb, "]}");
	}
	strbuf_putc(sb, ']');
}

char *http_rules_render(const struct cfg *cfg, size_t *len)
{
	struct strbuf sb = {0}, pos = {0}; /* pos: a rule's FILE:LINE:COL */
	const char *sep;
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
		sep = "";
		for (size_t f = 0; f < sizeof(rule_flags) / sizeof(rule_flags[0]); f++)
			if (r->flags & rule_flags[f].bit) {
				strbuf_printf(&sb, "%s\"%s\"", sep, rule_flags[f].name);
				sep = ",";
			}
		strbuf_puts(&sb, "],\"source\":");
		pos.len = 0;
		strbuf_printf(&pos, "%s:%d:%d", r->pos.file ? r->pos.file : "", r->pos.line,
			      r->pos.col);
		json_str(&sb, pos.buf ? pos.buf : "", pos.len);
		put_rule_fields(&sb, r);
		strbuf_putc(&sb, '}');
	}
	strbuf_puts(&sb, "]}\n");
	if (pos.oom)
		sb.oom = true;
	strbuf_free(&pos);
	*len = sb.len;
	return strbuf_take(&sb);
}
