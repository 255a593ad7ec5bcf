/* aggregator.c - see aggregator.h. */
#include "aggregate/aggregator.h"

#include "aggregate/history.h"
#include "aggregate/hll.h"
#include "aggregate/pane.h"
#include "aggregate/topk.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "core/state.h"
#include "pattern/pattern.h"
#include "pattern/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_MS 50 /* how often panes are drained between ticks */

/* What one rule observed since start, beyond its count. */
struct rule_out {
	uint64_t vn; /* value: records with a numeric value */
	double vsum, vmin, vmax;
	struct topk *top; /* top: (NULL: none) */
	struct hll *hll;  /* distinct: (NULL: none) */
	uint64_t extract_n, extract_ns;
};

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
	struct rule_out *outs;	/* [nrules] */
	const struct cfg *rcfg; /* where the rules come from (changes on reload) */
	uint32_t nrules;
};

/* Feed one pane's observations into the rules' sketches. */
static void take_obs(struct aggregator *a, const struct pane *pn)
{
	uint32_t off = 0;

	while (off + sizeof(struct pane_obs) <= pn->obs_len) {
		struct pane_obs o;
		const char *key = (const char *)pn->obs + off + sizeof(o);
		struct rule_out *ro;

		memcpy(&o, pn->obs + off, sizeof(o));
		off += pane_obs_size(o.len);
		if (o.rule >= a->nrules)
			continue;
		ro = &a->outs[o.rule];
		switch (o.kind) {
		case PAT_OBS_VALUE:
			if (!ro->vn || o.v < ro->vmin)
				ro->vmin = o.v;
			if (!ro->vn || o.v > ro->vmax)
				ro->vmax = o.v;
			ro->vn++;
			ro->vsum += o.v;
			break;
		case PAT_OBS_TOP:
			if (ro->top)
				topk_add(ro->top, key, o.len, 1);
			break;
		case PAT_OBS_DISTINCT:
			if (ro->hll)
				hll_add(ro->hll, key, o.len);
			break;
		case PAT_OBS_EXTRACT:
			ro->extract_n += o.n;
			ro->extract_ns += (uint64_t)o.v;
			break;
		}
	}
}

static void checkpoint(struct aggregator *a);
static void outs_free(struct rule_out *outs, uint32_t n);
static struct rule_out *outs_new(const struct cfg *cfg);

/* The tables a reload switches to (struct ruleset.agg). */
struct agg_next {
	struct agg_history hist;
	struct rule_out *outs;
	uint32_t nrules;
};

int agg_prepare(struct pipeline *p, struct ruleset *rs)
{
	uint32_t longest = p->cfg->nwindows ? p->cfg->windows[p->cfg->nwindows - 1] : 1;
	struct agg_next *nx = calloc(1, sizeof(*nx));

	if (!nx)
		return -ENOMEM;
	nx->nrules = rs->nrules;
	nx->outs = outs_new(rs->cfg);
	if (!nx->outs || agg_history_init(&nx->hist, rs->nrules, longest + 2)) {
		outs_free(nx->outs, rs->nrules);
		free(nx);
		return -ENOMEM;
	}
	rs->agg = nx;
	return 0;
}

void agg_unprepare(struct ruleset *rs)
{
	struct agg_next *nx = rs->agg;

	if (!nx)
		return;
	agg_history_destroy(&nx->hist);
	outs_free(nx->outs, nx->nrules);
	free(nx);
	rs->agg = NULL;
}

/* At a reload's cut: carry each unchanged rule's history and sketches
 * into the new tables, and take them. The old ones go to rs->agg. */
static void switch_rules(struct aggregator *a, struct ruleset *rs)
{
	struct agg_next *nx = rs->agg;
	struct agg_history *h = &a->hist, *nh = &nx->hist;
	struct rule_out tmp;
	uint32_t r, o, s;

	for (s = 0; s < nh->nslots; s++)
		nh->slot_sec[s] = h->slot_sec[s];
	nh->newest = h->newest;
	nh->expired = h->expired;
	for (r = 0; r < nx->nrules; r++) {
		for (o = 0; o < a->nrules; o++)
			if (cfg_rule_same(&rs->cfg->rules[r], &a->rcfg->rules[o]))
				break;
		if (o == a->nrules)
			continue; /* new or changed: starts from zero */
		for (s = 0; s < nh->nslots; s++)
			nh->counts[(size_t)s * nx->nrules + r] =
			    h->counts[(size_t)s * a->nrules + o];
		nh->totals[r] = h->totals[o];
		tmp = nx->outs[r];
		nx->outs[r] = a->outs[o];
		a->outs[o] = tmp;
	}
	/* swap the tables: the old ones are freed with rs->agg */
	{
		struct agg_history t = *h;
		struct rule_out *to = a->outs;

		*h = *nh;
		*nh = t;
		a->outs = nx->outs;
		nx->outs = to;
		nx->nrules = a->nrules;
	}
	a->rcfg = rs->cfg;
	a->nrules = rs->nrules;
	atomic_store_explicit(&a->p->reloads_applied, rs->gen, memory_order_release);
	log_info("reload: %u rules now", a->nrules);
}

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
				if (pn->obs_len)
					take_obs(a, pn);
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
	if (!cut->write) {
		if (cut->rules)
			switch_rules(a, cut->rules);
		state_files_free(cut->files, cut->n);
		free(cut);
		return;
	}
	st.written_ms = now_ms();
	sa->nrules = a->nrules;
	sa->rule_names = calloc(a->nrules + 1, sizeof(char *));
	sa->totals = a->hist.totals;
	sa->records = a->records;
	sa->expired = a->hist.expired;
	sa->secs = calloc(a->hist.nslots, sizeof(int64_t));
	sa->counts = calloc((size_t)a->hist.nslots * a->nrules + 1, sizeof(uint64_t));
	if (sa->rule_names && sa->secs && sa->counts) {
		for (i = 0; i < a->nrules; i++)
			sa->rule_names[i] = a->rcfg->rules[i].name;
		for (i = 0; i < a->hist.nslots; i++) {
			int64_t sec = a->hist.slot_sec[i];

			if (sec == INT64_MIN || sec <= a->hist.newest - (int64_t)a->hist.nslots)
				continue;
			sa->secs[n] = sec;
			memcpy(sa->counts + (size_t)n * a->nrules,
			       a->hist.counts + (size_t)i * a->nrules,
			       sizeof(uint64_t) * a->nrules);
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
	if (cut->rules)
		switch_rules(a, cut->rules);
	state_files_free(cut->files, cut->n);
	free(cut);
}

/* Take back the aggregates of the last run: totals and history by rule name. */
static void restore(struct aggregator *a, const struct state *st)
{
	const struct state_agg *sa = &st->agg;
	uint32_t *map, i, r;
	uint64_t *row;

	map = calloc(sa->nrules + 1, sizeof(*map));
	row = calloc(a->nrules + 1, sizeof(*row));
	if (!map || !row) {
		free(map);
		free(row);
		log_error("state: out of memory restoring the aggregates");
		return;
	}
	for (i = 0; i < sa->nrules; i++) {
		map[i] = UINT32_MAX;
		for (r = 0; r < a->nrules; r++)
			if (!strcmp(sa->rule_names[i], a->rcfg->rules[r].name))
				map[i] = r;
	}
	for (i = 0; i < sa->nsecs; i++) {
		memset(row, 0, sizeof(*row) * a->nrules);
		for (r = 0; r < sa->nrules; r++)
			if (map[r] != UINT32_MAX)
				row[map[r]] = sa->counts[(size_t)i * sa->nrules + r];
		agg_history_add(&a->hist, sa->secs[i], row);
	}
	memset(a->hist.totals, 0, sizeof(*a->hist.totals) * a->nrules);
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
	uint64_t lines, cut_lines, cut_bytes, parse_errors, unmatched;
};

static struct src_totals source_totals(const struct pipeline *p, uint32_t i)
{
	struct src_totals t = {0, 0, 0, 0, 0};
	uint32_t w;

	t.cut_lines = stat_get(&p->source_stats[i].lines_truncated);
	t.cut_bytes = stat_get(&p->source_stats[i].bytes_discarded);
	for (w = 0; w < p->nworkers; w++) {
		t.lines += stat_get(&p->worker_stats[w].src_records[i]);
		t.cut_lines += stat_get(&p->worker_stats[w].src_lines_truncated[i]);
		t.cut_bytes += stat_get(&p->worker_stats[w].src_bytes_discarded[i]);
		t.parse_errors += stat_get(&p->worker_stats[w].src_parse_errors[i]);
		t.unmatched += stat_get(&p->worker_stats[w].src_unmatched[i]);
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

/* The last records of source i that no rule counted, oldest first. */
static void render_unmatched(struct strbuf *sb, struct pipeline *p, uint32_t i)
{
	struct unmatched_recent *u = &p->unmatched[i];
	uint32_t k;

	strbuf_puts(sb, ",\"unmatched_recent\":[");
	pthread_mutex_lock(&p->unmatched_lock);
	for (k = 0; k < u->n; k++) {
		uint32_t j = (u->next + UNMATCHED_KEEP - u->n + k) % UNMATCHED_KEEP;

		if (k)
			strbuf_putc(sb, ',');
		strbuf_puts(sb, "{\"text\":");
		json_str(sb, u->text[j], u->len[j]);
		put_u64_field(sb, "length", u->full_len[j]);
		strbuf_putc(sb, '}');
	}
	pthread_mutex_unlock(&p->unmatched_lock);
	strbuf_putc(sb, ']');
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
	strbuf_puts(sb, ",\"format\":");
	json_cstr(sb, cfg_format_name((enum cfg_format)src->format));
	if (src->format != CFG_FORMAT_RAW)
		put_u64_field(sb, "parse_errors", t.parse_errors);
	put_u64_field(sb, "unmatched", t.unmatched);
	if (with_files)
		render_unmatched(sb, p, i);
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

static void outs_free(struct rule_out *outs, uint32_t n)
{
	for (uint32_t r = 0; outs && r < n; r++) {
		if (outs[r].top) {
			topk_free(outs[r].top);
			free(outs[r].top);
		}
		free(outs[r].hll);
	}
	free(outs);
}

/* Sketches for the rules that ask for them. NULL on ENOMEM. */
static struct rule_out *outs_new(const struct cfg *cfg)
{
	struct rule_out *outs = calloc(cfg->nrules + 1, sizeof(*outs));

	for (size_t r = 0; outs && r < cfg->nrules; r++) {
		const struct cfg_rule *cr = &cfg->rules[r];
		struct rule_out *o = &outs[r];

		/* more counters than shown: the top_k shown are then exact
		 * unless their counts are within total / counters */
		if (cr->top && (!(o->top = calloc(1, sizeof(*o->top))) ||
				topk_init(o->top, cr->top_k * 8 < 64 ? 64 : cr->top_k * 8))) {
			free(o->top);
			o->top = NULL;
			goto oom;
		}
		if (cr->distinct) {
			if (!(o->hll = malloc(sizeof(*o->hll))))
				goto oom;
			hll_init(o->hll);
		}
	}
	return outs;
oom:
	outs_free(outs, (uint32_t)cfg->nrules);
	return NULL;
}

/* A measured number: enough digits to round-trip what a user compares. */
static void put_num(struct strbuf *sb, double v)
{
	char buf[40];

	if (v != v || v - v != 0) {
		strbuf_puts(sb, "null");
		return;
	}
	snprintf(buf, sizeof(buf), "%.15g", v);
	strbuf_puts(sb, buf);
}

/* Each rule's observations as JSON members, into s->rule_extra. */
static void render_rule_extra(struct aggregator *a, struct snapshot *s)
{
	const struct cfg *cfg = a->rcfg;
	struct strbuf sb = {0};
	struct topk_entry *e = NULL;
	uint32_t r, i, n;

	s->rule_extra_off = calloc(s->nrules + 1, sizeof(size_t));
	if (!s->rule_extra_off)
		return;
	for (r = 0; r < s->nrules; r++) {
		const struct cfg_rule *cr = &cfg->rules[r];
		const struct rule_out *o = &a->outs[r];

		s->rule_extra_off[r] = sb.len;
		if (cr->value) {
			strbuf_puts(&sb, ",\"value\":{\"field\":");
			json_cstr(&sb, cr->value);
			strbuf_puts(&sb, ",\"unit\":");
			json_cstr(&sb, cr->value_unit ? cr->value_unit : "");
			put_u64_field(&sb, "count", o->vn);
			strbuf_puts(&sb, ",\"sum\":");
			put_num(&sb, o->vsum);
			strbuf_puts(&sb, ",\"min\":");
			o->vn ? put_num(&sb, o->vmin) : strbuf_puts(&sb, "null");
			strbuf_puts(&sb, ",\"max\":");
			o->vn ? put_num(&sb, o->vmax) : strbuf_puts(&sb, "null");
			strbuf_puts(&sb, ",\"mean\":");
			o->vn ? put_num(&sb, o->vsum / (double)o->vn) : strbuf_puts(&sb, "null");
			strbuf_putc(&sb, '}');
		}
		if (cr->top && o->top) {
			if (!e && !(e = calloc(1000, sizeof(*e)))) {
				sb.oom = true;
				break;
			}
			n = topk_sorted(o->top, e, cr->top_k);
			strbuf_puts(&sb, ",\"top\":{\"field\":");
			json_cstr(&sb, cr->top);
			put_u64_field(&sb, "k", cr->top_k);
			put_u64_field(&sb, "total", o->top->total);
			put_u64_field(&sb, "bound", topk_bound(o->top));
			strbuf_puts(&sb, ",\"items\":[");
			for (i = 0; i < n; i++) {
				strbuf_puts(&sb, i ? ",{\"value\":" : "{\"value\":");
				json_str(&sb, e[i].key, e[i].len);
				put_u64_field(&sb, "count", e[i].count);
				put_u64_field(&sb, "error", e[i].err);
				if (e[i].truncated)
					strbuf_puts(&sb, ",\"truncated\":true");
				strbuf_putc(&sb, '}');
			}
			strbuf_puts(&sb, "]}");
		}
		if (cr->distinct && o->hll) {
			strbuf_puts(&sb, ",\"distinct\":{\"field\":");
			json_cstr(&sb, cr->distinct);
			put_u64_field(&sb, "estimate", (uint64_t)(hll_estimate(o->hll) + 0.5));
			strbuf_putc(&sb, '}');
		}
	}
	free(e);
	s->rule_extra_off[s->nrules] = sb.len;
	if (sb.oom) {
		strbuf_free(&sb);
		memset(s->rule_extra_off, 0, (s->nrules + 1) * sizeof(size_t));
		return;
	}
	s->rule_extra = strbuf_take(&sb);
}

static void put_rule_extra(struct strbuf *sb, const struct snapshot *s, uint32_t r)
{
	if (s->rule_extra && s->rule_extra_off)
		strbuf_append(sb, s->rule_extra + s->rule_extra_off[r],
			      s->rule_extra_off[r + 1] - s->rule_extra_off[r]);
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
		json_cstr(&sb, a->rcfg->rules[r].name);
		strbuf_puts(&sb, ",\"total\":");
		json_u64(&sb, s->totals[r]);
		put_rule_extra(&sb, s, r);
		/* what its field extraction costs (not in scan's output: it
		 * differs from run to run) */
		if (r < a->nrules && a->outs[r].extract_n) {
			put_u64_field(&sb, "extractions", a->outs[r].extract_n);
			put_u64_field(&sb, "extract_ns", a->outs[r].extract_ns);
		}
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
	struct snapshot *s = snap_new(a->nrules, (uint32_t)p->cfg->nwindows);
	uint32_t w;

	if (!s) {
		log_error("aggregator: out of memory building a snapshot");
		return;
	}
	s->seq = ++a->seq;
	s->time_ms = t;
	memcpy(s->totals, a->hist.totals, sizeof(*s->totals) * a->nrules);
	s->records = a->records;
	agg_history_windows(&a->hist, t / 1000, p->cfg->windows, p->cfg->nwindows, s->windows);
	for (w = 0; w < p->nsources; w++) {
		struct src_totals st = source_totals(p, w);

		s->bytes += stat_get(&p->source_stats[w].bytes);
		s->lines_truncated += st.cut_lines;
		s->unmatched += st.unmatched;
		s->parse_errors += st.parse_errors;
	}
	render_rule_extra(a, s);
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
		put_rule_extra(sb, s, r);
		strbuf_putc(sb, '}');
	}
	strbuf_puts(sb, s->nrules ? "\n  ],\n" : "],\n");
	strbuf_puts(sb, "  \"records\": ");
	json_u64(sb, s->records);
	strbuf_puts(sb, ",\n  \"bytes\": ");
	json_u64(sb, s->bytes);
	strbuf_puts(sb, ",\n  \"lines_truncated\": ");
	json_u64(sb, s->lines_truncated);
	strbuf_puts(sb, ",\n  \"unmatched\": ");
	json_u64(sb, s->unmatched);
	strbuf_puts(sb, ",\n  \"parse_errors\": ");
	json_u64(sb, s->parse_errors);
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
	a->rcfg = p->cfg;
	a->nrules = p->nrules;
	a->held = calloc(p->nworkers, sizeof(*a->held));
	a->outs = outs_new(p->cfg);
	rc = a->held && a->outs ? agg_history_init(&a->hist, p->nrules, longest + 2) : -ENOMEM;
	if (rc) {
		outs_free(a->outs, p->nrules);
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
	outs_free(a->outs, a->nrules);
	agg_history_destroy(&a->hist);
	if (a->cut) {
		state_files_free(a->cut->files, a->cut->n);
		free(a->cut);
	}
	free(a->held);
	free(a);
}
