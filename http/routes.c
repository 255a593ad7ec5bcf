/*
 * routes.c - the routes answered from slices of the tick's snapshot:
 * GET /api/v1/rules/{name}[?window=W] and /api/v1/top/{name}?window=W&k=N.
 * Nothing is rendered per request beyond a few bytes around the slices.
 */
#include "http/internal.h"

#include "aggregate/snapshot.h"
#include "config/config.h"
#include "core/json.h"
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
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
static int find_rule(const struct snapshot *s, const char *name)
{
	struct strbuf key = {0};
	int found = -1;

	strbuf_puts(&key, "{\"name\":");
	json_cstr(&key, name);
	for (uint32_t r = 0; !key.oom && r < s->nrules; r++) {
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
static int window_arg(struct http_server *h, struct MHD_Connection *c, int def,
		      enum MHD_Result *ret)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "window");
	const struct http_windows *hw = http_windows(h);
	struct strbuf msg = {0};
	uint32_t secs;
	char dur[16];

	if (!v)
		return def;
	if (!cfg_parse_duration(v, &secs))
		for (uint32_t w = 0; w < hw->n; w++)
			if (hw->secs[w] == secs)
				return (int)w;
	strbuf_printf(&msg, "bad window: %.40s (configured:", v);
	for (uint32_t w = 0; w < hw->n; w++) {
		cfg_format_duration(hw->secs[w], dur, sizeof(dur));
		strbuf_printf(&msg, " %s", dur);
	}
	strbuf_puts(&msg, ")");
	*ret = http_send_error(c, MHD_HTTP_BAD_REQUEST, msg.buf ? msg.buf : "bad window", NULL);
	strbuf_free(&msg);
	return -2;
}

static enum MHD_Result no_rule(struct MHD_Connection *c, const char *name)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "no such rule: %.120s", name);
	return http_send_error(c, MHD_HTTP_NOT_FOUND, msg, NULL);
}

static enum MHD_Result send_built(struct MHD_Connection *c, struct strbuf *sb)
{
	if (sb->oom) {
		strbuf_free(sb);
		return http_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
	}
	return http_send_body(
	    c, MHD_HTTP_OK,
	    MHD_create_response_from_buffer(sb->len, sb->buf, MHD_RESPMEM_MUST_FREE));
}

enum MHD_Result http_serve_rule(struct http_server *h, struct MHD_Connection *c, const char *name)
{
	struct snapshot *s = http_snapshot(h);
	enum MHD_Result ret = MHD_NO;
	struct strbuf sb = {0};
	const char *p;
	size_t len;
	int r, w;

	if (!s)
		return http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet", NULL);
	if ((w = window_arg(h, c, -1, &ret)) == -2)
		goto out;
	if ((r = find_rule(s, name)) < 0 || !s->rule_off || !s->win_off) {
		ret = no_rule(c, name);
		goto out;
	}
	if (w < 0) { /* the rule's whole object, every window */
		rule_slice(s, (uint32_t)r, &p, &len);
		strbuf_append(&sb, p, len);
		strbuf_putc(&sb, '\n');
	} else {
		size_t i = 2 * ((size_t)r * s->nwindows + (size_t)w);
		char dur[16];

		cfg_format_duration(http_windows(h)->secs[w], dur, sizeof(dur));
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
	ret = send_built(c, &sb);
out:
	snap_release(s);
	return ret;
}

enum MHD_Result http_serve_top(struct http_server *h, struct MHD_Connection *c, const char *name)
{
	struct snapshot *s = http_snapshot(h);
	const char *kv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "k");
	enum MHD_Result ret = MHD_NO;
	struct strbuf sb = {0};
	const struct snap_top *t;
	unsigned long k;
	char msg[200], dur[16], *end;
	int r, w;

	if (!s)
		return http_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet", NULL);
	/* default: the longest window */
	if ((w = window_arg(h, c, (int)http_windows(h)->n - 1, &ret)) == -2)
		goto out;
	if ((r = find_rule(s, name)) < 0 || !s->tops) {
		ret = no_rule(c, name);
		goto out;
	}
	t = &s->tops[(size_t)r * s->nwindows + (size_t)w];
	if (!t->item_off) {
		snprintf(msg, sizeof(msg), "rule %.120s has no top: field", name);
		ret = http_send_error(c, MHD_HTTP_NOT_FOUND, msg, NULL);
		goto out;
	}
	k = t->n;
	if (kv) {
		k = strtoul(kv, &end, 10);
		if (!*kv || *end || k < 1 || k > 1000 || kv[0] == '-') {
			snprintf(msg, sizeof(msg),
				 "bad k: %.40s (a number from 1 to the rule's top_k)", kv);
			ret = http_send_error(c, MHD_HTTP_BAD_REQUEST, msg, NULL);
			goto out;
		}
	}
	if (k > t->n)
		k = t->n; /* fewer keys seen than asked for */
	cfg_format_duration(http_windows(h)->secs[w], dur, sizeof(dur));
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
	ret = send_built(c, &sb);
out:
	snap_release(s);
	return ret;
}
