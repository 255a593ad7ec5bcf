/* aggregator.c - see aggregator.h. */
#include "aggregate/aggregator.h"

#include "aggregate/history.h"
#include "aggregate/pane.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "core/state.h"
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
	/* Checkpoint barrier: a worker whose barrier arrived is held (its ring
	 * is not drained) until every worker's has, so the state written holds
	 * exactly what came before the cut. */
	bool *held; /* [nworkers] */
	uint32_t nheld;
	struct ckpt_files *cut; /* the barrier's payload */
	uint64_t checkpoints;	/* written */
	uint64_t checkpoint_errors;
};

static void checkpoint(struct aggregator *a);

/* Merge what the workers have shipped; true if anything was taken. */
static bool drain_once(struct aggregator *a)
{
	struct pipeline *p = a->p;
	struct pane *pn;
	bool any = false;
	uint32_t w;

	for (w = 0; w < p->nworkers; w++) {
		while (!a->held[w] && (pn = ring_pop(&p->pane_rings[w]))) {
			any = true;
			if (pn->barrier) {
				a->held[w] = true;
				a->nheld++;
				a->cut = pn->barrier;
			} else {
				agg_history_add(&a->hist, pn->sec, pn->counts);
				a->records += pn->records;
			}
			/* The return ring holds every pane of the worker. */
			ring_push(&p->pane_returns[w], pn);
		}
		if (a->nheld == p->nworkers) {
			checkpoint(a);
			memset(a->held, 0, sizeof(*a->held) * p->nworkers);
			a->nheld = 0;
		}
	}
	return any;
}

static void drain(struct aggregator *a)
{
	while (drain_once(a))
		;
}

/* Write the aggregates and the cut's file offsets as one state file. */
static void checkpoint(struct aggregator *a)
{
	struct pipeline *p = a->p;
	struct ckpt_files *cut = a->cut;
	struct state st = {0};
	struct state_agg *sa = &st.agg;
	char *buf = NULL;
	size_t len = 0;
	uint32_t i, n = 0;
	int rc = -ENOMEM;

	a->cut = NULL;
	if (!cut)
		return;
	st.written_ms = now_ms();
	sa->nrules = p->nrules;
	sa->rule_names = calloc(p->nrules + 1, sizeof(char *));
	sa->totals = a->hist.totals;
	sa->records = a->records;
	sa->expired = a->hist.expired;
	sa->secs = calloc(a->hist.nslots, sizeof(int64_t));
	sa->counts = calloc((size_t)a->hist.nslots * p->nrules + 1, sizeof(uint64_t));
	if (sa->rule_names && sa->secs && sa->counts) {
		for (i = 0; i < p->nrules; i++)
			sa->rule_names[i] = p->cfg->rules[i].name;
		for (i = 0; i < a->hist.nslots; i++) {
			int64_t sec = a->hist.slot_sec[i];

			if (sec == INT64_MIN || sec <= a->hist.newest - (int64_t)a->hist.nslots)
				continue;
			sa->secs[n] = sec;
			memcpy(sa->counts + (size_t)n * p->nrules,
			       a->hist.counts + (size_t)i * p->nrules,
			       sizeof(uint64_t) * p->nrules);
			n++;
		}
		sa->nsecs = n;
		st.files = cut->files;
		st.nfiles = cut->n;
		rc = state_encode(&st, &buf, &len);
	}
	if (!rc)
		rc = state_save(p->cfg->state_dir, buf, len);
	if (rc) {
		a->checkpoint_errors++;
		log_error("checkpoint failed: %s (the previous one stays)", strerror(-rc));
	} else {
		a->checkpoints++;
		log_msg(cut->final ? LOG_INFO : LOG_DEBUG,
			"checkpoint: %u files, %llu records, %zu bytes written to %s/%s", cut->n,
			(unsigned long long)a->records, len, p->cfg->state_dir, STATE_FILE);
	}
	free(buf);
	free(sa->rule_names);
	free(sa->secs);
	free(sa->counts);
	state_files_free(cut->files, cut->n);
	free(cut);
}

/* Take back the aggregates of the last run: totals and history by rule name. */
static void restore(struct aggregator *a, const struct state *st)
{
	const struct state_agg *sa = &st->agg;
	struct pipeline *p = a->p;
	uint32_t *map, i, r;
	uint64_t *row;

	map = calloc(sa->nrules + 1, sizeof(*map));
	row = calloc(p->nrules + 1, sizeof(*row));
	if (!map || !row) {
		free(map);
		free(row);
		log_error("state: out of memory restoring the aggregates");
		return;
	}
	for (i = 0; i < sa->nrules; i++) {
		map[i] = UINT32_MAX;
		for (r = 0; r < p->nrules; r++)
			if (!strcmp(sa->rule_names[i], p->cfg->rules[r].name))
				map[i] = r;
	}
	for (i = 0; i < sa->nsecs; i++) {
		memset(row, 0, sizeof(*row) * p->nrules);
		for (r = 0; r < sa->nrules; r++)
			if (map[r] != UINT32_MAX)
				row[map[r]] = sa->counts[(size_t)i * sa->nrules + r];
		agg_history_add(&a->hist, sa->secs[i], row);
	}
	memset(a->hist.totals, 0, sizeof(*a->hist.totals) * p->nrules);
	for (r = 0; r < sa->nrules; r++)
		if (map[r] != UINT32_MAX)
			a->hist.totals[map[r]] = sa->totals[r];
	a->hist.expired = sa->expired;
	a->records = sa->records;
	free(map);
	free(row);
}

static void put_u64_field(struct strbuf *sb, const char *key, uint64_t v)
{
	strbuf_putc(sb, ',');
	json_key(sb, key);
	json_u64(sb, v);
}

static void put_time_field(struct strbuf *sb, const char *key, uint64_t ms)
{
	strbuf_putc(sb, ',');
	json_key(sb, key);
	if (ms)
		json_time_ms(sb, (int64_t)ms);
	else
		strbuf_puts(sb, "null");
}

/* A source's totals over every file it had (workers' counts included). */
struct src_totals {
	uint64_t lines, cut_lines, cut_bytes, parse_errors;
};

static struct src_totals source_totals(const struct pipeline *p, uint32_t i)
{
	struct src_totals t = {0, 0, 0, 0};
	uint32_t w;

	t.cut_lines = stat_get(&p->source_stats[i].lines_truncated);
	t.cut_bytes = stat_get(&p->source_stats[i].bytes_discarded);
	for (w = 0; w < p->nworkers; w++) {
		t.lines += stat_get(&p->worker_stats[w].src_records[i]);
		t.cut_lines += stat_get(&p->worker_stats[w].src_lines_truncated[i]);
		t.cut_bytes += stat_get(&p->worker_stats[w].src_bytes_discarded[i]);
		t.parse_errors += stat_get(&p->worker_stats[w].src_parse_errors[i]);
	}
	return t;
}

static const char *const file_states[] = {"free", "open", "draining", "error"};

/* One file slot; called under files_lock. */
static void render_file(struct strbuf *sb, const struct pipeline *p, uint32_t f)
{
	const struct file_info *fi = &p->files[f];
	struct file_stats *st = &p->file_stats[f];
	uint64_t size = stat_get(&st->size), offset = stat_get(&st->offset);
	uint64_t lines = 0, cut_lines = stat_get(&st->lines_truncated);
	uint64_t cut_bytes = stat_get(&st->bytes_discarded);
	uint32_t w;

	for (w = 0; w < p->nworkers; w++) {
		lines += stat_get(&p->worker_stats[w].file_records[f]);
		cut_lines += stat_get(&p->worker_stats[w].file_lines_truncated[f]);
		cut_bytes += stat_get(&p->worker_stats[w].file_bytes_discarded[f]);
	}
	strbuf_puts(sb, "{\"path\":");
	json_cstr(sb, fi->path ? fi->path : "");
	strbuf_puts(sb, ",\"state\":");
	json_cstr(sb, file_states[fi->state]);
	put_u64_field(sb, "inode", stat_get(&st->inode));
	put_u64_field(sb, "offset", offset);
	put_u64_field(sb, "size", size);
	put_u64_field(sb, "lag", size > offset ? size - offset : 0);
	put_u64_field(sb, "lines", lines - fi->base_lines);
	put_u64_field(sb, "bytes", stat_get(&st->bytes));
	put_u64_field(sb, "lines_truncated", cut_lines - fi->base_cut_lines);
	put_u64_field(sb, "bytes_discarded", cut_bytes - fi->base_cut_bytes);
	put_u64_field(sb, "truncations", stat_get(&st->truncations));
	put_u64_field(sb, "errors", stat_get(&st->errors));
	strbuf_puts(sb, ",\"error\":");
	if (fi->err)
		json_cstr(sb, strerror(fi->err));
	else
		strbuf_puts(sb, "null");
	put_time_field(sb, "last_read", stat_get(&st->last_read_ms));
	strbuf_putc(sb, '}');
}

/* One syslog listener: its counters and, in full, its top senders. */
static void render_listener(struct strbuf *sb, struct pipeline *p, uint32_t li, const char *url,
			    bool full)
{
	struct listener_stats *st = &p->listener_stats[li];
	struct cfg_listen a;
	char why[8], peer[PEER_TEXT_MAX];
	struct listener_top top;
	uint32_t k;

	strbuf_puts(sb, "{\"url\":");
	json_cstr(sb, url);
	put_u64_field(sb, "received", stat_get(&st->received));
	put_u64_field(sb, "bytes", stat_get(&st->bytes));
	put_u64_field(sb, "truncated", stat_get(&st->truncated));
	put_u64_field(sb, "dropped_full", stat_get(&st->dropped_full));
	put_u64_field(sb, "dropped_kernel", stat_get(&st->dropped_kernel));
	put_u64_field(sb, "buffers_exhausted", stat_get(&st->buffers_exhausted));
	if (!cfg_parse_listen(url, &a, why, sizeof(why)) && a.kind == CFG_LISTEN_TCP) {
		put_u64_field(sb, "connections", stat_get(&st->connections));
		put_u64_field(sb, "accepted", stat_get(&st->accepted));
		put_u64_field(sb, "refused", stat_get(&st->refused));
		put_u64_field(sb, "idle_closed", stat_get(&st->idle_closed));
		put_u64_field(sb, "resets", stat_get(&st->resets));
		put_u64_field(sb, "framing_errors", stat_get(&st->framing_errors));
	}
	if (full) {
		pthread_mutex_lock(&p->listeners_lock);
		top = p->listener_top[li];
		pthread_mutex_unlock(&p->listeners_lock);
		/* Space-Saving: a sender with more than total / K messages is
		 * listed; each count may be high by its error. */
		put_u64_field(sb, "top_peers_bound", top.total / PEER_TOP_K);
		strbuf_puts(sb, ",\"top_peers\":[");
		for (k = 0; k < top.n; k++) {
			if (k)
				strbuf_putc(sb, ',');
			peer_format(&top.e[k].host, false, peer, sizeof(peer));
			strbuf_puts(sb, "{\"peer\":");
			json_cstr(sb, peer);
			put_u64_field(sb, "messages", top.e[k].messages);
			put_u64_field(sb, "bytes", top.e[k].bytes);
			put_u64_field(sb, "dropped", top.e[k].dropped);
			put_u64_field(sb, "error", top.e[k].err);
			strbuf_putc(sb, '}');
		}
		strbuf_putc(sb, ']');
	}
	strbuf_putc(sb, '}');
}

/* A source; with_files adds its files (GET /api/v1/sources). */
static void render_source(struct strbuf *sb, struct pipeline *p, uint32_t i, bool with_files)
{
	const struct pipe_source *src = &p->sources[i];
	struct source_stats *st = &p->source_stats[i];
	struct src_totals t = source_totals(p, i);
	uint32_t k, f, n = 0;

	strbuf_puts(sb, "{\"name\":");
	json_cstr(sb, src->name);
	strbuf_puts(sb, src->syslog ? ",\"type\":\"syslog\",\"listen\":["
				    : ",\"type\":\"file\",\"paths\":[");
	for (k = 0; k < src->npatterns; k++) {
		if (k)
			strbuf_putc(sb, ',');
		json_cstr(sb, src->patterns[k]);
	}
	strbuf_putc(sb, ']');
	put_u64_field(sb, "files_open", stat_get(&st->files_open));
	put_u64_field(sb, "lines", t.lines);
	put_u64_field(sb, "bytes", stat_get(&st->bytes));
	put_u64_field(sb, "lines_truncated", t.cut_lines);
	put_u64_field(sb, "bytes_discarded", t.cut_bytes);
	put_u64_field(sb, "partial_flushes", stat_get(&st->partial_flushes));
	put_u64_field(sb, "rotations", stat_get(&st->rotations));
	put_u64_field(sb, "truncations", stat_get(&st->truncations));
	put_u64_field(sb, "files_closed", stat_get(&st->files_closed));
	put_u64_field(sb, "errors", stat_get(&st->errors));
	put_time_field(sb, "last_read", stat_get(&st->last_read_ms));
	if (src->syslog) {
		put_u64_field(sb, "received", stat_get(&st->received));
		put_u64_field(sb, "dropped_full", stat_get(&st->dropped_full));
		put_u64_field(sb, "dropped_kernel", stat_get(&st->dropped_kernel));
		put_u64_field(sb, "buffers_exhausted", stat_get(&st->buffers_exhausted));
	}
	if (src->parse_syslog)
		put_u64_field(sb, "parse_errors", t.parse_errors);
	if (src->syslog) {
		strbuf_puts(sb, ",\"listeners\":[");
		for (k = 0; k < src->npatterns; k++) {
			if (k)
				strbuf_putc(sb, ',');
			render_listener(sb, p, src->first_listener + k, src->patterns[k],
					with_files);
		}
		strbuf_putc(sb, ']');
	}
	if (with_files) {
		strbuf_puts(sb, ",\"files\":[");
		pthread_mutex_lock(&p->files_lock);
		for (f = 0; f < p->max_files; f++) {
			if (p->files[f].state == FILE_FREE || p->files[f].source != i)
				continue;
			if (n++)
				strbuf_putc(sb, ',');
			render_file(sb, p, f);
		}
		pthread_mutex_unlock(&p->files_lock);
		strbuf_putc(sb, ']');
	}
	strbuf_putc(sb, '}');
}

static void render(struct aggregator *a, struct snapshot *s)
{
	struct pipeline *p = a->p;
	const struct cfg *cfg = p->cfg;
	struct strbuf sb = {0}, srcs = {0}, files = {0};
	char dur[16];
	uint32_t r, w;
	uint64_t batches = 0;

	for (w = 0; w < p->nworkers; w++)
		batches += stat_get(&p->worker_stats[w].batches);
	strbuf_putc(&srcs, '[');
	strbuf_putc(&files, '[');
	for (r = 0; r < p->nsources; r++) {
		if (r) {
			strbuf_putc(&srcs, ',');
			strbuf_putc(&files, ',');
		}
		render_source(&srcs, p, r, false);
		render_source(&files, p, r, true);
	}
	strbuf_putc(&srcs, ']');
	strbuf_putc(&files, ']');
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
	put_u64_field(&sb, "files_refused", stat_get(&p->ingest_stats.files_refused));
	put_u64_field(&sb, "checkpoints", a->checkpoints);
	put_u64_field(&sb, "checkpoint_errors", a->checkpoint_errors);
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
	strbuf_append(&sb, files.buf ? files.buf : "[]", files.buf ? files.len : 2);
	strbuf_puts(&sb, "}\n");
	if (srcs.oom || files.oom)
		sb.oom = true;
	strbuf_free(&srcs);
	strbuf_free(&files);
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
		s->bytes += stat_get(&p->source_stats[w].bytes);
		s->lines_truncated += source_totals(p, w).cut_lines;
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
	a->held = calloc(p->nworkers, sizeof(*a->held));
	rc = a->held ? agg_history_init(&a->hist, p->nrules, longest + 2) : -ENOMEM;
	if (rc) {
		free(a->held);
		free(a);
		return rc;
	}
	if (p->restored)
		restore(a, p->restored);
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
	if (a->cut) {
		state_files_free(a->cut->files, a->cut->n);
		free(a->cut);
	}
	free(a->held);
	free(a);
}
