/*
 * slice.c - see slice.h: GET /api/v1/rules/{name}[?window=W] and
 * /api/v1/top/{name}?window=W&k=N, cut from the tick's snapshot. Nothing
 * is rendered per request beyond a few bytes around the slices.
 */
#include "http/slice.h"

#include "http/internal.h"
#include "http/query.h"
#include "http/reply.h"

#include "aggregate/snapshot.h"
#include "config/config.h"
#include "core/json.h"
#include "core/strbuf.h"

#include <stdio.h>
#include <string.h>

/* Rule r's object in s->json, less its trailing comma. */
static void rule_slice(const struct snapshot *s, uint32_t r, const char **p, size_t *len)
{
	size_t a = s->rule_off[r], b = s->rule_off[r + 1];

	while (b > a && s->json[b - 1] != '}')
		b--; /* the comma before the next rule */
	*p = s->json + a;
	*len = b - a;
}

/* The index of the rule named name, or -1: its object starts with
 * {"name":<name as JSON>, so the JSON text is compared. */
int http_rule_index(const struct snapshot *s, const char *name)
{
	struct strbuf key = {0};
	int found = -1;

	strbuf_puts(&key, "{\"name\":");
	json_cstr(&key, name);
	for (uint32_t r = 0; !key.oom && s->rule_off && r < s->nrules; r++) {
		const char *p;
		size_t len;

		rule_slice(s, r, &p, &len);
		if (len > key.len && !memcmp(p, key.buf, key.len) && p[key.len] == ',') {
			found = (int)r;
			break;
		}
	}
	strbuf_free(&key);
	return found;
}

/* The window index of ?window=, or the default (-1: none given and def is
 * -1). -2 after sending a 400 naming the parameter. */
static int window_arg(const struct http_windows *hw, struct MHD_Connection *c, int def,
		      enum MHD_Result *ret)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "window");
	struct strbuf msg = {0};
	char dur[16];
	int found;

	if (!v)
		return def;
	if ((found = http_window_parse(hw->secs, hw->n, v)) >= 0)
		return found;
	strbuf_printf(&msg, "bad window: %.40s (configured:", v);
	for (uint32_t w = 0; w < hw->n; w++) {
		cfg_format_duration(hw->secs[w], dur, sizeof(dur));
		strbuf_printf(&msg, " %s", dur);
	}
	strbuf_puts(&msg, ")");
	*ret = http_send_error(c, MHD_HTTP_BAD_REQUEST, msg.buf ? msg.buf : "bad window");
	strbuf_free(&msg);
	return -2;
}

/* What both routes start with: the latest snapshot (*s, a reference for
 * the caller) and the window index of ?window= (*w; def when absent). 0, or
 * -1 after answering (503: no snapshot yet, 400: a bad window) in *ret. */
static int slice_begin(const struct http_req *rq, int def, struct snapshot **s, int *w,
		       enum MHD_Result *ret)
{
	*s = snap_store_acquire(rq->h->store);
	if (!*s) {
		*ret = http_send_error(rq->c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet");
		return -1;
	}
	*w = window_arg(&rq->h->windows, rq->c, def, ret);
	if (*w == -2) {
		snap_release(*s);
		return -1;
	}
	return 0;
}

enum MHD_Result http_serve_rule(const struct http_req *rq)
{
	struct MHD_Connection *c = rq->c;
	const char *name = rq->tail;
	enum MHD_Result ret = MHD_NO;
	struct snapshot *s;
	struct strbuf sb = {0};
	const char *p;
	size_t len;
	int r, w;

	if (slice_begin(rq, -1, &s, &w, &ret))
		return ret;
	if ((r = http_rule_index(s, name)) < 0 || !s->rule_off || !s->win_off) {
		ret = http_send_no_rule(c, name);
		goto out;
	}
	if (w < 0) { /* the rule's whole object, every window */
		rule_slice(s, (uint32_t)r, &p, &len);
		strbuf_append(&sb, p, len);
		strbuf_putc(&sb, '\n');
	} else {
		size_t i = 2 * ((size_t)r * s->nwindows + (size_t)w);
		char dur[16];

		cfg_format_duration(rq->h->windows.secs[w], dur, sizeof(dur));
		strbuf_puts(&sb, "{\"name\":");
		json_cstr(&sb, name);
		strbuf_puts(&sb, ",\"total\":");
		json_u64(&sb, s->totals[r]);
		strbuf_puts(&sb, ",\"window\":");
		json_cstr(&sb, dur);
		strbuf_puts(&sb, ",\"aggregates\":");
		strbuf_append(&sb, s->json + s->win_off[i], s->win_off[i + 1] - s->win_off[i]);
		strbuf_puts(&sb, "}\n");
	}
	ret = http_send_built(c, &sb);
out:
	snap_release(s);
	return ret;
}

/* ?k= (1 to 1000), def when absent. 0, or -1 after sending a 400 naming
 * the parameter. */
static int k_arg(struct MHD_Connection *c, unsigned long def, unsigned long *k,
		 enum MHD_Result *ret)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "k");
	char msg[200];

	*k = def;
	if (!v)
		return 0;
	if (http_k_parse(v, k)) {
		snprintf(msg, sizeof(msg), "bad k: %.40s (a number from 1 to the rule's top_k)", v);
		*ret = http_send_error(c, MHD_HTTP_BAD_REQUEST, msg);
		return -1;
	}
	return 0;
}

enum MHD_Result http_serve_top(const struct http_req *rq)
{
	const struct http_windows *hw = &rq->h->windows;
	struct MHD_Connection *c = rq->c;
	const char *name = rq->tail;
	enum MHD_Result ret = MHD_NO;
	struct snapshot *s;
	struct strbuf sb = {0};
	const struct snap_top *t;
	unsigned long k;
	char msg[200], dur[16];
	int r, w;

	/* default: the longest window */
	if (slice_begin(rq, (int)hw->n - 1, &s, &w, &ret))
		return ret;
	if ((r = http_rule_index(s, name)) < 0 || !s->tops) {
		ret = http_send_no_rule(c, name);
		goto out;
	}
	t = &s->tops[(size_t)r * s->nwindows + (size_t)w];
	if (!t->item_off) {
		snprintf(msg, sizeof(msg), "rule %.120s has no top: field", name);
		ret = http_send_error(c, MHD_HTTP_NOT_FOUND, msg);
		goto out;
	}
	if (k_arg(c, t->n, &k, &ret))
		goto out;
	if (k > t->n)
		k = t->n; /* fewer keys seen than asked for */
	cfg_format_duration(hw->secs[w], dur, sizeof(dur));
	strbuf_puts(&sb, "{\"name\":");
	json_cstr(&sb, name);
	strbuf_puts(&sb, ",\"window\":");
	json_cstr(&sb, dur);
	strbuf_puts(&sb, ",\"total\":");
	json_u64(&sb, t->total);
	strbuf_puts(&sb, ",\"bound\":");
	json_u64(&sb, t->bound);
	strbuf_puts(&sb, ",\"items\":[");
	if (k) {
		size_t a = t->item_off[0], b = t->item_off[k];

		while (b > a && s->json[b - 1] != '}')
			b--;
		strbuf_append(&sb, s->json + a, b - a);
	}
	strbuf_puts(&sb, "]}\n");
	ret = http_send_built(c, &sb);
out:
	snap_release(s);
	return ret;
}
