/* aggregator.c - see aggregator.h. */
#include "aggregate/aggregator.h"

#include "aggregate/history.h"
#include "aggregate/pane.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "pattern/worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_MS 50 /* how often panes are drained between ticks */

struct aggregator {
	struct pipeline *p; /* borrowed */
	struct agg_history hist;
	uint64_t seq;
	uint64_t records; /* records in every pane merged so far */
};

static void drain(struct aggregator *a)
{
	struct pipeline *p = a->p;
	struct pane *pn;
	uint32_t w;

	for (w = 0; w < p->nworkers; w++)
		while ((pn = ring_pop(&p->pane_rings[w]))) {
			agg_history_add(&a->hist, pn->sec, pn->counts);
			a->records += pn->records;
			/* The return ring holds every pane of the worker. */
			ring_push(&p->pane_returns[w], pn);
		}
}

/* A source's cuts: the ingest framer's plus every worker's. */
static void source_cuts(const struct pipeline *p, uint32_t i, uint64_t *lines, uint64_t *bytes)
{
	uint32_t w;

	*lines = stat_get(&p->source_stats[i].lines_truncated);
	*bytes = stat_get(&p->source_stats[i].bytes_discarded);
	for (w = 0; w < p->nworkers; w++) {
		*lines += stat_get(&p->worker_stats[w].src_lines_truncated[i]);
		*bytes += stat_get(&p->worker_stats[w].src_bytes_discarded[i]);
	}
}

static void render_source(struct strbuf *sb, const struct pipeline *p, uint32_t i)
{
	const struct pipe_source *src = &p->sources[i];
	struct source_stats *st = &p->source_stats[i];
	uint64_t last = stat_get(&st->last_read_ms), cut_lines, cut_bytes, lines = 0;
	uint64_t size = stat_get(&st->size), offset = stat_get(&st->offset);
	uint32_t w;

	source_cuts(p, i, &cut_lines, &cut_bytes);
	for (w = 0; w < p->nworkers; w++)
		lines += stat_get(&p->worker_stats[w].src_records[i]);
	strbuf_putc(sb, '{');
	json_key(sb, "name");
	json_cstr(sb, src->name);
	strbuf_putc(sb, ',');
	json_key(sb, "path");
	json_cstr(sb, src->path);
	strbuf_puts(sb, ",\"inode\":");
	json_u64(sb, stat_get(&st->inode));
	strbuf_puts(sb, ",\"offset\":");
	json_u64(sb, offset);
	strbuf_puts(sb, ",\"size\":");
	json_u64(sb, size);
	strbuf_puts(sb, ",\"lag\":");
	json_u64(sb, size > offset ? size - offset : 0);
	strbuf_puts(sb, ",\"lines\":");
	json_u64(sb, lines);
	strbuf_puts(sb, ",\"bytes\":");
	json_u64(sb, stat_get(&st->bytes));
	strbuf_puts(sb, ",\"lines_truncated\":");
	json_u64(sb, cut_lines);
	strbuf_puts(sb, ",\"bytes_discarded\":");
	json_u64(sb, cut_bytes);
	strbuf_puts(sb, ",\"partial_flushes\":");
	json_u64(sb, stat_get(&st->partial_flushes));
	strbuf_puts(sb, ",\"rotations\":");
	json_u64(sb, stat_get(&st->rotations));
	strbuf_puts(sb, ",\"truncations\":");
	json_u64(sb, stat_get(&st->truncations));
	strbuf_puts(sb, ",\"errors\":");
	json_u64(sb, stat_get(&st->errors));
	strbuf_puts(sb, ",\"last_read\":");
	if (last)
		json_time_ms(sb, (int64_t)last);
	else
		strbuf_puts(sb, "null");
	strbuf_putc(sb, '}');
}

static void render(struct aggregator *a, struct snapshot *s)
{
	struct pipeline *p = a->p;
	const struct cfg *cfg = p->cfg;
	struct strbuf sb = {0}, srcs = {0};
	char dur[16];
	uint32_t r, w;
	uint64_t batches = 0;

	for (w = 0; w < p->nworkers; w++)
		batches += stat_get(&p->worker_stats[w].batches);
	strbuf_putc(&srcs, '[');
	for (r = 0; r < p->nsources; r++) {
		if (r)
			strbuf_putc(&srcs, ',');
		render_source(&srcs, p, r);
	}
	strbuf_putc(&srcs, ']');
	strbuf_puts(&sb, "{\"seq\":");
	json_u64(&sb, s->seq);
	strbuf_puts(&sb, ",\"time\":");
	json_time_ms(&sb, s->time_ms);
	strbuf_puts(&sb, ",\"time_ms\":");
	json_i64(&sb, s->time_ms);
	strbuf_puts(&sb, ",\"uptime_s\":");
	json_double(&sb, (double)(s->time_ms - p->start_ms) / 1000.0);
	strbuf_puts(&sb, ",\"tick_ms\":");
	json_u64(&sb, cfg->tick_ms);
	strbuf_puts(&sb, ",\"windows\":[");
	for (w = 0; w < s->nwindows; w++) {
		cfg_format_duration(cfg->windows[w], dur, sizeof(dur));
		if (w)
			strbuf_putc(&sb, ',');
		json_cstr(&sb, dur);
	}
	strbuf_puts(&sb, "],\"ingest\":{\"records\":");
	json_u64(&sb, s->records);
	strbuf_puts(&sb, ",\"bytes\":");
	json_u64(&sb, s->bytes);
	strbuf_puts(&sb, ",\"batches\":");
	json_u64(&sb, batches);
	strbuf_puts(&sb, ",\"lines_truncated\":");
	json_u64(&sb, s->lines_truncated);
	strbuf_puts(&sb, ",\"backpressure\":");
	json_u64(&sb, stat_get(&p->ingest_stats.backpressure));
	strbuf_puts(&sb, ",\"expired\":");
	json_u64(&sb, a->hist.expired);
	strbuf_puts(&sb, ",\"workers\":");
	json_u64(&sb, p->nworkers);
	strbuf_puts(&sb, ",\"sources\":");
	strbuf_append(&sb, srcs.buf ? srcs.buf : "[]", srcs.buf ? srcs.len : 2);
	strbuf_puts(&sb, "},\"rules\":[");
	for (r = 0; r < s->nrules; r++) {
		if (r)
			strbuf_putc(&sb, ',');
		strbuf_puts(&sb, "{\"name\":");
		json_cstr(&sb, cfg->rules[r].name);
		strbuf_puts(&sb, ",\"total\":");
		json_u64(&sb, s->totals[r]);
		strbuf_puts(&sb, ",\"windows\":{");
		for (w = 0; w < s->nwindows; w++) {
			uint64_t c = s->windows[(size_t)w * s->nrules + r];

			cfg_format_duration(cfg->windows[w], dur, sizeof(dur));
			if (w)
				strbuf_putc(&sb, ',');
			json_key(&sb, dur);
			strbuf_puts(&sb, "{\"count\":");
			json_u64(&sb, c);
			strbuf_puts(&sb, ",\"rate\":");
			json_double(&sb, (double)c / (double)cfg->windows[w]);
			strbuf_putc(&sb, '}');
		}
		strbuf_puts(&sb, "}}");
	}
	strbuf_puts(&sb, "]}\n");
	s->json_len = sb.len;
	s->json = strbuf_take(&sb);
	/* GET /api/v1/sources: the same array, with the snapshot's time. */
	strbuf_puts(&sb, "{\"time\":");
	json_time_ms(&sb, s->time_ms);
	strbuf_puts(&sb, ",\"sources\":");
	strbuf_append(&sb, srcs.buf ? srcs.buf : "[]", srcs.buf ? srcs.len : 2);
	strbuf_puts(&sb, "}\n");
	if (srcs.oom)
		sb.oom = true;
	strbuf_free(&srcs);
	s->sources_len = sb.len;
	s->sources_json = strbuf_take(&sb);
	if (!s->json || !s->sources_json) {
		free(s->json);
		free(s->sources_json);
		s->json = s->sources_json = NULL;
		s->json_len = s->sources_len = 0;
	}
}

static void publish(struct aggregator *a, int64_t t)
{
	struct pipeline *p = a->p;
	struct snapshot *s = snap_new(p->nrules, (uint32_t)p->cfg->nwindows);
	uint32_t w;

	if (!s) {
		log_error("aggregator: out of memory building a snapshot");
		return;
	}
	s->seq = ++a->seq;
	s->time_ms = t;
	memcpy(s->totals, a->hist.totals, sizeof(*s->totals) * p->nrules);
	s->records = a->records;
	agg_history_windows(&a->hist, t / 1000, p->cfg->windows, p->cfg->nwindows, s->windows);
	for (w = 0; w < p->nsources; w++) {
		uint64_t lines, bytes;

		source_cuts(p, w, &lines, &bytes);
		s->bytes += stat_get(&p->source_stats[w].bytes);
		s->lines_truncated += lines;
	}
	render(a, s);
	if (!s->json) {
		log_error("aggregator: out of memory rendering a snapshot");
		snap_release(s);
		return;
	}
	snap_store_publish(&p->store, s);
}

void *agg_main(void *arg)
{
	struct aggregator *a = arg;
	struct pipeline *p = a->p;
	int64_t tick = p->cfg->tick_ms, next;

	next = (now_ms() / tick + 1) * tick;
	for (;;) {
		/* Read the flag before draining: a worker ships its last pane
		 * before it leaves, so after this drain nothing is left. */
		uint32_t seq = wake_seq(&p->agg_wake);
		bool done = atomic_load_explicit(&p->workers_running, memory_order_acquire) == 0;
		int64_t t, d;

		drain(a);
		if (done)
			break;
		t = now_ms();
		if (t >= next) {
			publish(a, t);
			next += tick;
			if (next <= t)
				next = (t / tick + 1) * tick;
		}
		t = now_ms();
		d = next - t < DRAIN_MS ? next - t : DRAIN_MS;
		if (d > 0)
			wake_wait(&p->agg_wake, seq, (int)d);
	}
	publish(a, now_ms());
	return NULL;
}

void agg_render_totals(const struct pipeline *p, const struct snapshot *s, struct strbuf *sb)
{
	uint32_t r;

	strbuf_puts(sb, "{\n  \"rules\": [");
	for (r = 0; r < s->nrules; r++) {
		strbuf_puts(sb, r ? ",\n    " : "\n    ");
		strbuf_puts(sb, "{\"name\": ");
		json_cstr(sb, p->cfg->rules[r].name);
		strbuf_puts(sb, ", \"total\": ");
		json_u64(sb, s->totals[r]);
		strbuf_putc(sb, '}');
	}
	strbuf_puts(sb, s->nrules ? "\n  ],\n" : "],\n");
	strbuf_puts(sb, "  \"records\": ");
	json_u64(sb, s->records);
	strbuf_puts(sb, ",\n  \"bytes\": ");
	json_u64(sb, s->bytes);
	strbuf_puts(sb, ",\n  \"lines_truncated\": ");
	json_u64(sb, s->lines_truncated);
	strbuf_puts(sb, "\n}\n");
}

int agg_new(struct pipeline *p, struct aggregator **out)
{
	struct aggregator *a;
	uint32_t longest = p->cfg->nwindows ? p->cfg->windows[p->cfg->nwindows - 1] : 1;
	int rc;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->p = p;
	rc = agg_history_init(&a->hist, p->nrules, longest + 2);
	if (rc) {
		free(a);
		return rc;
	}
	/* An empty first snapshot, so readers have one before the first tick. */
	publish(a, now_ms());
	*out = a;
	return 0;
}

void agg_free(struct aggregator *a)
{
	if (!a)
		return;
	agg_history_destroy(&a->hist);
	free(a);
}
