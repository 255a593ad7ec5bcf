/* aggregator.c - see aggregator.h. */
#include "aggregate/aggregator.h"

#include "aggregate/aggcore.h"
#include "aggregate/ddsketch.h"
#include "aggregate/delta_json.h"
#include "aggregate/hll.h"
#include "aggregate/metrics_text.h"
#include "aggregate/pane.h"
#include "aggregate/samples.h"
#include "aggregate/snapshot.h"
#include "core/clock.h"
#include "aggregate/sources_json.h"
#include "aggregate/tiers.h"
#include "aggregate/topk.h"
#include "config/config.h"
#include "core/json.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "pipeline/state.h"
#include "pattern/pattern.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAIN_MS 50	   /* how often panes are drained between ticks */
#define QUERIES_PER_PASS 8 /* series answered between two drains of the rings */

static const double quantiles[] = {0.5, 0.9, 0.99, 0.999};
static const char *const quantile_names[] = {"p50", "p90", "p99", "p999"};
#define NQUANTILES (sizeof(quantiles) / sizeof(quantiles[0]))

struct aggregator {
	struct pipeline *p;	 /* borrowed */
	struct snap_store store; /* what this thread publishes; HTTP reads it */
	struct agg_core c;
	struct unmatched_recent *recent; /* [nsources], from the workers' mailboxes */
	struct smp_store smp;		 /* matched records, from the workers' panes */
	const char **src_names;		 /* [nsources], for the samples' JSON */
	/* Series queries posted by other threads (agg_query_post), newest
	 * first; QUERIES_CLOSED once the aggregator has stopped answering.
	 * Only this thread reads the tiers, so it needs no lock. */
	_Atomic(struct agg_query *) queries;
	/* Queries taken from the stack, not yet answered, oldest first: at
	 * most QUERIES_PER_PASS are answered per pass, so a burst of them
	 * cannot hold up the draining of the rings. */
	struct agg_query *pending, *pending_tail;
	struct tiers_scratch scratch;
	struct topk_entry *entries; /* [TOPK_ENTRIES] for rendering top lists */
	uint64_t seq;
	/* Checkpoint barrier: a worker whose barrier arrived is held (its ring
	 * is not drained) until every worker's has, so the state written holds
	 * exactly what came before the cut. */
	bool *held; /* [nworkers] */
	uint32_t nheld;
	struct ckpt_files *cut; /* the barrier's payload */
	uint64_t checkpoints;	/* written */
	uint64_t checkpoint_errors;
	int64_t checkpoint_ms;	/* the last attempt to write one (unix ms), 0: none yet */
	int checkpoint_rc;	/* its result: 0 or -errno */
	int64_t last_ok_ms;	/* wall clock of the last checkpoint written, 0: none */
	uint64_t failed_since;	/* checkpoints failed since the last one written */
	uint64_t sketch_oom;	/* observations a pane sketch had no memory for */
	uint64_t last_bytes;	/* tiers_bytes(), refreshed every 10 ticks */
	const struct cfg *rcfg; /* where the rules come from (changes on reload) */
	/* The last published counts, for the next snapshot's delta. */
	struct delta_prev delta;
	/* The last ticks, for the throughput in /api/v1/stats. */
	struct metrics_hist mhist;
};

#define TOPK_ENTRIES 1000 /* the largest top_k */

static void checkpoint(struct aggregator *a);
static void answer_queries(struct aggregator *a, bool close);

/* The tables a reload switches to (struct ruleset.agg). */
struct agg_next {
	struct agg_core c;
	struct smp_store smp;
	uint32_t *from; /* [new rules]: the old rule each carries on, or UINT32_MAX */
};

int agg_prepare(struct pipeline *p, struct ruleset *rs)
{
	struct agg_next *nx = calloc(1, sizeof(*nx));

	if (!nx)
		return -ENOMEM;
	nx->from = calloc(rs->cfg->nrules + 1, sizeof(*nx->from));
	if (!nx->from || smp_store_init(&nx->smp, p->cfg, rs->cfg) ||
	    agg_core_init(&nx->c, rs->cfg, p->cfg)) {
		smp_store_free(&nx->smp);
		free(nx->from);
		free(nx);
		return -ENOMEM;
	}
	nx->c.pcre2_interpreted = pat_db_interpreted(rs->db);
	rs->agg = nx;
	return 0;
}

void agg_unprepare(struct ruleset *rs)
{
	struct agg_next *nx = rs->agg;

	if (!nx)
		return;
	agg_core_destroy(&nx->c);
	smp_store_free(&nx->smp);
	free(nx->from);
	free(nx);
	rs->agg = NULL;
}

/* At a reload's cut: carry each unchanged rule's history and sketches
 * into the new tables, and take them. The old ones go to rs->agg. */
static void switch_rules(struct aggregator *a, struct ruleset *rs)
{
	struct agg_next *nx = rs->agg;
	struct agg_core *oc = &a->c, *ncore = &nx->c, tmp;
	struct smp_store stmp;
	struct tiers_scratch sc;
	uint32_t r, o;

	tiers_copy_slots(&ncore->tiers, &oc->tiers);
	ncore->records = oc->records;
	ncore->max_sec = oc->max_sec;
	ncore->late = oc->late;
	ncore->too_old = oc->too_old;
	ncore->future = oc->future;
	ncore->sketch_oom = oc->sketch_oom;
	ncore->seen = oc->seen;
	ncore->run_from = oc->run_from;
	for (r = 0; r < ncore->nrules; r++) {
		struct agg_rule t;

		for (o = 0; o < oc->nrules; o++)
			if (cfg_rule_same(&rs->cfg->rules[r], &a->rcfg->rules[o]))
				break;
		nx->from[r] = o == oc->nrules ? UINT32_MAX : o;
		if (o == oc->nrules)
			continue; /* new or changed: starts from zero */
		tiers_take_rule(&ncore->tiers, r, &oc->tiers, o);
		t = ncore->rules[r];
		ncore->rules[r] = oc->rules[o];
		oc->rules[o] = t;
	}
	if (tiers_scratch_init(&sc, &ncore->tiers)) {
		/* keep the old scratch: top lists of new rules then go unmerged */
		log_error("reload: out of memory for the window scratch");
	} else {
		tiers_scratch_free(&a->scratch);
		a->scratch = sc;
	}
	tmp = *oc;
	*oc = *ncore;
	*ncore = tmp; /* freed with rs->agg */
	/* samples go on with their rule, as its counts do */
	smp_store_carry(&nx->smp, &a->smp, nx->from);
	stmp = a->smp;
	a->smp = nx->smp;
	nx->smp = stmp;
	a->rcfg = rs->cfg;
	atomic_store_explicit(&a->p->reloads_applied, rs->gen, memory_order_release);
	log_info("reload: %u rules now", a->c.nrules);
}

/* Merge what the workers have shipped; true if anything was taken. */
static bool drain_once(struct aggregator *a)
{
	struct pipeline *p = a->p;
	int64_t now = now_ms() / 1000;
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
				agg_core_take(&a->c, pn, now);
				smp_take_pane(&a->smp, pn);
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

/* Drain until the rings are empty, answering queries between passes (a
 * busy pipeline may keep this going for a while). */
/* The workers' unmatched samples (their mailboxes hold UNMATCHED_MAILBOX
 * between two drains, every DRAIN_MS at most). */
static void take_unmatched(struct aggregator *a)
{
	struct pipeline *p = a->p;
	const struct unmatched_sample *u;

	for (uint32_t w = 0; w < p->nworkers; w++)
		while ((u = mailbox_peek(&p->unmatched[w]))) {
			if (u->source < p->nsources)
				unmatched_keep(&a->recent[u->source], u);
			mailbox_done(&p->unmatched[w]);
		}
}

static void drain(struct aggregator *a)
{
	take_unmatched(a);
	while (drain_once(a))
		answer_queries(a, false);
}

/* The current rules' names, for the checkpoint. NULL on ENOMEM. */
static const char **rule_names(const struct aggregator *a)
{
	const char **names = calloc(a->c.nrules + 1, sizeof(*names));

	for (uint32_t r = 0; names && r < a->c.nrules; r++)
		names[r] = a->rcfg->rules[r].name;
	return names;
}

/* Write the aggregates and the cut's file offsets as one state file. */
static void checkpoint(struct aggregator *a)
{
	struct pipeline *p = a->p;
	struct ckpt_files *cut = a->cut;
	struct state st = {0};
	struct strbuf blob = {0};
	const char **names;
	char *buf = NULL;
	size_t len = 0;
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
	agg_core_observe(&a->c, st.written_ms / 1000);
	names = rule_names(a);
	if (names) {
		agg_persist_encode(&a->c, names, &blob);
		if (!blob.oom) {
			st.agg.blob = blob.buf;
			st.agg.blob_len = blob.len;
			st.files = cut->files;
			st.nfiles = cut->n;
			rc = state_encode(&st, &buf, &len);
		}
	}
	free(names);
	strbuf_free(&blob);
	if (!rc)
		rc = state_save(p->cfg->state_dir, buf, len);
	a->checkpoint_ms = st.written_ms;
	a->checkpoint_rc = rc;
	if (rc) {
		/* Counted every time, logged once until one is written again. */
		a->checkpoint_errors++;
		if (!a->failed_since++)
			log_error("checkpoint failed: cannot write %s/%s: %s (the previous one "
				  "stays; retried at every checkpoint, logged again once one is "
				  "written)",
				  p->cfg->state_dir, STATE_FILE, strerror(-rc));
	} else {
		if (a->failed_since)
			log_info("checkpoint written again, after %llu that failed",
				 (unsigned long long)a->failed_since);
		a->failed_since = 0;
		a->last_ok_ms = st.written_ms;
		a->checkpoints++;
		log_msg(cut->final ? LOG_INFO : LOG_DEBUG,
			"checkpoint: %u files, %llu records, %zu bytes written to %s/%s", cut->n,
			(unsigned long long)a->c.records, len, p->cfg->state_dir, STATE_FILE);
	}
	free(buf);
	if (cut->rules)
		switch_rules(a, cut->rules);
	state_files_free(cut->files, cut->n);
	free(cut);
}

/* A version 1 state (weir before tiers): totals and per-second counts. */
static void restore_v1(struct aggregator *a, const struct state_agg *sa)
{
	int64_t now = now_ms() / 1000;
	uint32_t *map, i, r;
	uint64_t *row;

	map = calloc(sa->nrules + 1, sizeof(*map));
	row = calloc(a->c.nrules + 1, sizeof(*row));
	if (!map || !row) {
		free(map);
		free(row);
		log_error("state: out of memory restoring the aggregates");
		return;
	}
	for (i = 0; i < sa->nrules; i++) {
		map[i] = UINT32_MAX;
		for (r = 0; r < a->c.nrules; r++)
			if (!strcmp(sa->rule_names[i], a->rcfg->rules[r].name))
				map[i] = r;
	}
	for (i = 0; i < sa->nsecs; i++) {
		memset(row, 0, sizeof(*row) * a->c.nrules);
		for (r = 0; r < sa->nrules; r++)
			if (map[r] != UINT32_MAX)
				row[map[r]] = sa->counts[(size_t)i * sa->nrules + r];
		tiers_add_counts(&a->c.tiers, sa->secs[i], now, row);
		if (a->c.max_sec == INT64_MIN || sa->secs[i] > a->c.max_sec)
			a->c.max_sec = sa->secs[i];
	}
	for (r = 0; r < sa->nrules; r++)
		if (map[r] != UINT32_MAX)
			a->c.rules[map[r]].total = sa->totals[r];
	a->c.too_old = sa->expired;
	a->c.records = sa->records;
	free(map);
	free(row);
}

/* A state without the seconds it watched (aggregates of version 1): its
 * history counts as watched from its oldest pane to when it was written. */
static void restore_seen(struct aggregator *a, const struct state *st)
{
	int64_t now = now_ms() / 1000, from = tiers_oldest(&a->c.tiers, now);
	int64_t to = st->written_ms / 1000;

	if (a->c.seen.n || from == INT64_MAX)
		return;
	if (a->c.max_sec != INT64_MIN && a->c.max_sec > to)
		to = a->c.max_sec;
	observed_add(&a->c.seen, from, to < now ? to : now);
}

/* Take back the aggregates of the last run, by rule name. */
static void restore(struct aggregator *a, const struct state *st)
{
	const char **names;
	char why[128];

	if (!st->agg.blob) {
		restore_v1(a, &st->agg);
		restore_seen(a, st);
		return;
	}
	names = rule_names(a);
	if (names &&
	    !agg_persist_decode(&a->c, names, st->agg.blob, st->agg.blob_len, why, sizeof(why))) {
		free(names);
		restore_seen(a, st);
		return;
	}
	free(names);
	/* The file's CRC held, so this is a bug or an edited file: say so and
	 * start the aggregates fresh (the file offsets are still used). */
	log_error("state: cannot restore the aggregates (%s); they start from zero",
		  names ? why : "out of memory");
	agg_core_destroy(&a->c);
	if (agg_core_init(&a->c, a->rcfg, a->p->cfg))
		log_error("state: out of memory");
}

/* --- rendering --- */

/* A measured number: enough digits to round-trip what a user compares. */
static void put_num(struct strbuf *sb, double v)
{
	json_number(sb, v, 15);
}

static void put_num_field(struct strbuf *sb, const char *key, double v, bool have)
{
	strbuf_putc(sb, ',');
	json_key(sb, key);
	if (have)
		put_num(sb, v);
	else
		strbuf_puts(sb, "null");
}

/* ,"value":{...}: count, sum, min, max, mean and (with d) quantiles. */
static void render_value(struct strbuf *sb, const struct cfg_rule *cr, uint64_t n, double sum,
			 double min, double max, const struct dds *d)
{
	strbuf_puts(sb, ",\"value\":{\"field\":");
	json_cstr(sb, cr->value);
	strbuf_puts(sb, ",\"unit\":");
	json_cstr(sb, cr->value_unit ? cr->value_unit : "");
	put_u64_field(sb, "count", n);
	put_num_field(sb, "sum", sum, true);
	put_num_field(sb, "min", min, n);
	put_num_field(sb, "max", max, n);
	put_num_field(sb, "mean", n ? sum / (double)n : 0, n);
	for (size_t q = 0; d && q < NQUANTILES; q++)
		put_num_field(sb, quantile_names[q], dds_quantile(d, quantiles[q]), d->count);
	strbuf_putc(sb, '}');
}

/* slot: where to record the items' offsets in sb (a window's top), or NULL. */
static void render_top(struct aggregator *a, struct strbuf *sb, const struct cfg_rule *cr,
		       const struct topk *t, struct snap_top *slot)
{
	uint32_t n = topk_sorted(t, a->entries, cr->top_k), i;

	if (slot) {
		slot->total = t->total;
		slot->bound = topk_bound(t);
		slot->item_off = calloc(n + 1, sizeof(*slot->item_off));
		slot->n = slot->item_off ? n : 0;
	}

	strbuf_puts(sb, ",\"top\":{\"field\":");
	json_cstr(sb, cr->top);
	put_u64_field(sb, "k", cr->top_k);
	put_u64_field(sb, "total", t->total);
	put_u64_field(sb, "bound", topk_bound(t));
	strbuf_puts(sb, ",\"items\":[");
	for (i = 0; i < n; i++) {
		const struct topk_entry *e = &a->entries[i];

		if (i)
			strbuf_putc(sb, ',');
		if (slot && slot->item_off)
			slot->item_off[i] = sb->len;
		strbuf_puts(sb, "{\"value\":");
		json_str(sb, e->key, e->len);
		put_u64_field(sb, "count", e->count);
		put_u64_field(sb, "error", e->err);
		if (e->truncated)
			strbuf_puts(sb, ",\"truncated\":true");
		strbuf_putc(sb, '}');
	}
	if (slot && slot->item_off)
		slot->item_off[n] = sb->len;
	strbuf_puts(sb, "]}");
}

static void render_distinct(struct strbuf *sb, const struct cfg_rule *cr, const struct hll *h)
{
	strbuf_puts(sb, ",\"distinct\":{\"field\":");
	json_cstr(sb, cr->distinct);
	put_u64_field(sb, "estimate", (uint64_t)(hll_estimate(h) + 0.5));
	strbuf_putc(sb, '}');
}

/* Each rule's since-start observations as JSON members, into s->rule_extra
 * (shown in the snapshot and in weir scan's output). */
static void render_rule_extra(struct aggregator *a, struct snapshot *s)
{
	const struct cfg *cfg = a->rcfg;
	struct strbuf sb = {0};

	s->rule_extra_off = calloc(s->nrules + 1, sizeof(size_t));
	if (!s->rule_extra_off)
		return;
	for (uint32_t r = 0; r < s->nrules; r++) {
		const struct cfg_rule *cr = &cfg->rules[r];
		const struct agg_rule *o = &a->c.rules[r];

		s->rule_extra_off[r] = sb.len;
		if (cr->value)
			render_value(&sb, cr, o->vn, o->vsum, o->vmin, o->vmax, o->dds);
		if (cr->top && o->top)
			render_top(a, &sb, cr, o->top, NULL);
		if (cr->distinct && o->hll)
			render_distinct(&sb, cr, o->hll);
		/* matches whose captures PCRE2 gave up on (PAT_MATCH_LIMIT), and
		 * matches that lacked an output field: counted, values not kept */
		if (o->match_limit_hits)
			put_u64_field(&sb, "match_limit_hits", o->match_limit_hits);
		if (o->fields_missing)
			put_u64_field(&sb, "fields_missing", o->fields_missing);
	}
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

/* Rendering one rule's windows: what the extras callback needs. */
struct win_ctx {
	struct aggregator *a;
	struct snapshot *s;
	struct strbuf *sb;
	uint32_t rule;
	int64_t now;
};

/* "10s":{"count":..,"rate":..,"span_s":..,"observed_s":.. then extras (open: no '}');
 * window_tail closes it. */
static void window_head(struct win_ctx *x, uint32_t w)
{
	const struct cfg *cfg = x->a->p->cfg;
	struct tiers_span sp = tiers_window_span(&x->a->c.tiers, cfg->windows[w], x->now);
	uint64_t c = x->s->windows[(size_t)w * x->s->nrules + x->rule];
	uint32_t seen = x->s->observed[w];
	char dur[16];

	cfg_format_duration(cfg->windows[w], dur, sizeof(dur));
	if (w)
		strbuf_putc(x->sb, ',');
	json_key(x->sb, dur);
	if (x->s->win_off)
		x->s->win_off[2 * ((size_t)x->rule * x->s->nwindows + w)] = x->sb->len;
	strbuf_puts(x->sb, "{\"count\":");
	json_u64(x->sb, c);
	strbuf_puts(x->sb, ",\"rate\":");
	json_double(x->sb, seen ? (double)c / (double)seen : 0);
	put_u64_field(x->sb, "span_s", sp.span_s);
	put_u64_field(x->sb, "observed_s", seen);
}

static void window_tail(struct win_ctx *x, uint32_t w)
{
	strbuf_putc(x->sb, '}');
	if (x->s->win_off)
		x->s->win_off[2 * ((size_t)x->rule * x->s->nwindows + w) + 1] = x->sb->len;
}

static void window_extras(void *arg, uint32_t w, const struct tiers_acc *acc)
{
	struct win_ctx *x = arg;
	const struct cfg_rule *cr = &x->a->rcfg->rules[x->rule];

	window_head(x, w);
	if (cr->value || cr->distinct)
		metrics_record_window(x->s, x->rule, w, acc, cr->value, cr->distinct);
	if (cr->value)
		render_value(x->sb, cr, acc->vn, acc->vsum, acc->vmin, acc->vmax, acc->dds);
	if (cr->top && acc->top)
		render_top(x->a, x->sb, cr, acc->top,
			   x->s->tops ? &x->s->tops[(size_t)x->rule * x->s->nwindows + w] : NULL);
	if (cr->distinct && acc->hll)
		render_distinct(x->sb, cr, acc->hll);
	window_tail(x, w);
}

static void render_rule(struct aggregator *a, struct snapshot *s, struct strbuf *sb, uint32_t r)
{
	const struct agg_rule *ar = &a->c.rules[r];
	const struct cfg *cfg = a->p->cfg;
	struct win_ctx x = {a, s, sb, r, s->time_ms / 1000};

	strbuf_puts(sb, "{\"name\":");
	json_cstr(sb, a->rcfg->rules[r].name);
	strbuf_puts(sb, ",\"total\":");
	json_u64(sb, s->totals[r]);
	put_rule_extra(sb, s, r);
	put_u64_field(sb, "late", ar->late);
	put_u64_field(sb, "too_old", ar->too_old);
	put_u64_field(sb, "future", ar->future);
	/* what its field extraction costs (not in scan's output: it differs
	 * from run to run) */
	if (ar->extract_n) {
		put_u64_field(sb, "extractions", ar->extract_n);
		put_u64_field(sb, "extract_ns", ar->extract_ns);
	}

	strbuf_puts(sb, ",\"windows\":{");
	if (a->c.tiers.want[r])
		tiers_window_extras(&a->c.tiers, &a->scratch, x.now, cfg->windows, cfg->nwindows, r,
				    window_extras, &x);
	else
		for (uint32_t w = 0; w < s->nwindows; w++) {
			window_head(&x, w);
			window_tail(&x, w);
		}
	strbuf_puts(sb, "}}");
}

/* The newest tables ingest published (triple buffers), and the unmatched
 * records kept from the workers' samples. */
static struct sources_view read_published(struct aggregator *a)
{
	struct pipeline *p = a->p;

	return (struct sources_view){.files = tribuf_read(&p->files_pub),
				     .tops = tribuf_read(&p->peers_pub),
				     .recent = a->recent};
}

/* The snapshot's "windows" and "event_time" members. */
static void render_time(struct aggregator *a, struct strbuf *sb, const struct snapshot *s)
{
	const struct cfg *cfg = a->p->cfg;
	char dur[16];

	strbuf_puts(sb, ",\"windows\":[");
	for (uint32_t w = 0; w < s->nwindows; w++) {
		cfg_format_duration(cfg->windows[w], dur, sizeof(dur));
		if (w)
			strbuf_putc(sb, ',');
		json_cstr(sb, dur);
	}
	strbuf_puts(sb, "],\"observed_s\":{");
	for (uint32_t w = 0; w < s->nwindows; w++) {
		cfg_format_duration(cfg->windows[w], dur, sizeof(dur));
		if (w)
			strbuf_putc(sb, ',');
		json_key(sb, dur);
		json_u64(sb, s->observed[w]);
	}
	strbuf_puts(sb, "},\"event_time\":{\"watermark\":");
	if (a->c.max_sec == INT64_MIN)
		strbuf_puts(sb, "null");
	else
		json_time_ms(sb, (a->c.max_sec - (int64_t)cfg->lateness_s) * 1000);
	put_u64_field(sb, "lateness_s", cfg->lateness_s);
	put_u64_field(sb, "max_future_s", cfg->max_future_s);
	put_u64_field(sb, "late", a->c.late);
	put_u64_field(sb, "too_old", a->c.too_old);
	put_u64_field(sb, "future", a->c.future);
	strbuf_putc(sb, '}');
}

/* The snapshot's "ingest" member; srcs is the sources array. */
static void render_ingest(struct aggregator *a, struct strbuf *sb, const struct snapshot *s,
			  const struct strbuf *srcs)
{
	struct pipeline *p = a->p;
	uint64_t batches = 0;

	for (uint32_t w = 0; w < p->nworkers; w++)
		batches += stat_get(&p->worker_stats[w].batches);
	strbuf_puts(sb, ",\"ingest\":{\"records\":");
	json_u64(sb, s->records);
	strbuf_puts(sb, ",\"bytes\":");
	json_u64(sb, s->bytes);
	strbuf_puts(sb, ",\"batches\":");
	json_u64(sb, batches);
	strbuf_puts(sb, ",\"lines_truncated\":");
	json_u64(sb, s->lines_truncated);
	strbuf_puts(sb, ",\"backpressure\":");
	json_u64(sb, stat_get(&p->ingest_stats.backpressure));
	/* records too old for any pane (event time); kept for readers of v1 */
	put_u64_field(sb, "expired", a->c.too_old);
	put_u64_field(sb, "files_refused", stat_get(&p->ingest_stats.files_refused));
	put_u64_field(sb, "checkpoints", a->checkpoints);
	put_u64_field(sb, "checkpoint_errors", a->checkpoint_errors);
	/* the last attempt (null before the first; GET /readyz reads it),
	 * and when the last one was written */
	strbuf_puts(sb, ",\"last_checkpoint_ok\":");
	strbuf_puts(sb, !s->checkpoint_ms ? "null" : s->checkpoint_rc ? "false" : "true");
	strbuf_puts(sb, ",\"last_checkpoint_ms\":");
	if (a->last_ok_ms)
		json_i64(sb, a->last_ok_ms);
	else
		strbuf_puts(sb, "null");
	put_u64_field(sb, "sketch_oom", a->c.sketch_oom);
	put_u64_field(sb, "aggregate_bytes", s->aggregate_bytes);
	strbuf_puts(sb, ",\"workers\":");
	json_u64(sb, p->nworkers);
	strbuf_puts(sb, ",\"sources\":");
	strbuf_append(sb, srcs->buf ? srcs->buf : "[]", srcs->buf ? srcs->len : 2);
	strbuf_putc(sb, '}');
}

/* The snapshot's "rules" array, noting where each rule's object starts. */
static void render_rules(struct aggregator *a, struct strbuf *sb, struct snapshot *s)
{
	uint32_t r;

	strbuf_puts(sb, ",\"rules\":[");
	s->rule_off = calloc(s->nrules + 1, sizeof(*s->rule_off));
	s->win_off = calloc(2 * (size_t)s->nrules * s->nwindows + 1, sizeof(*s->win_off));
	s->tops = calloc((size_t)s->nrules * s->nwindows + 1, sizeof(*s->tops));
	for (r = 0; r < s->nrules; r++) {
		if (r)
			strbuf_putc(sb, ',');
		if (s->rule_off)
			s->rule_off[r] = sb->len;
		render_rule(a, s, sb, r);
	}
	if (s->rule_off)
		s->rule_off[s->nrules] = sb->len;
	strbuf_putc(sb, ']');
}

/* Every body the snapshot carries as JSON, rendered once per tick: the
 * snapshot itself (s->json) and GET /api/v1/sources (s->sources_json). */
static void render(struct aggregator *a, struct snapshot *s)
{
	struct pipeline *p = a->p;
	struct strbuf sb = {0}, srcs = {0}, files = {0};
	struct sources_view v = read_published(a);
	uint32_t r;

	strbuf_putc(&srcs, '[');
	strbuf_putc(&files, '[');
	for (r = 0; r < p->nsources; r++) {
		if (r) {
			strbuf_putc(&srcs, ',');
			strbuf_putc(&files, ',');
		}
		render_source(&srcs, p, &v, r, false);
		render_source(&files, p, &v, r, true);
	}
	strbuf_putc(&srcs, ']');
	strbuf_putc(&files, ']');
	snap_json_open(&sb, s, true);
	strbuf_puts(&sb, ",\"uptime_s\":");
	json_seconds_ms(&sb, s->time_ms - p->start_ms);
	strbuf_puts(&sb, ",\"tick_ms\":");
	json_u64(&sb, p->cfg->tick_ms);
	render_time(a, &sb, s);
	render_ingest(a, &sb, s, &srcs);
	render_rules(a, &sb, s);
	strbuf_puts(&sb, "}\n");
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

/* Each window's observed_s at the snapshot's second (observed.h): of the
 * seconds its panes cover (tiers_window_span), those weir watched. */
static void window_observed(struct aggregator *a, struct snapshot *s)
{
	const struct cfg *cfg = a->p->cfg;
	int64_t now = s->time_ms / 1000;

	agg_core_observe(&a->c, now);
	for (uint32_t w = 0; w < s->nwindows; w++) {
		struct tiers_span sp = tiers_window_span(&a->c.tiers, cfg->windows[w], now);

		s->observed[w] = (uint32_t)observed_in(&a->c.seen, now - sp.span_s + 1, now);
	}
}

static void publish(struct aggregator *a, int64_t t)
{
	struct pipeline *p = a->p;
	struct snapshot *s = snap_new(a->c.nrules, (uint32_t)p->cfg->nwindows);
	uint32_t w;

	if (!s) {
		log_error("aggregator: out of memory building a snapshot");
		return;
	}
	s->seq = ++a->seq;
	s->time_ms = t;
	s->checkpoint_ms = a->checkpoint_ms;
	s->checkpoint_rc = a->checkpoint_rc;
	for (w = 0; w < a->c.nrules; w++)
		s->totals[w] = a->c.rules[w].total;
	s->records = a->c.records;
	tiers_window_counts(&a->c.tiers, t / 1000, p->cfg->windows, p->cfg->nwindows, s->windows);
	window_observed(a, s);
	for (w = 0; w < p->nsources; w++) {
		struct src_totals st = source_totals(p, w);

		s->bytes += stat_get(&p->source_stats[w].bytes);
		s->lines_truncated += st.cut_lines;
		s->unmatched += st.unmatched;
		s->parse_errors += st.parse_errors;
	}
	if (a->seq % 10 == 1 || p->scan) /* walking every sketch: not every tick */
		a->last_bytes = tiers_bytes(&a->c.tiers);
	s->aggregate_bytes = a->last_bytes;
	render_rule_extra(a, s);
	s->samples = smp_publish(&a->smp, a->src_names, p->nsources);
	render(a, s);
	if (!s->json) {
		log_error("aggregator: out of memory rendering a snapshot");
		snap_release(s);
		return;
	}
	metrics_render(&a->mhist, p, a->rcfg, &a->c, a->checkpoints, a->checkpoint_errors, s);
	delta_render(&a->delta, s, a->rcfg, p->cfg,
		     atomic_load_explicit(&p->reloads_applied, memory_order_relaxed));
	snap_store_publish(&a->store, s);
}

void *agg_main(void *arg)
{
	struct aggregator *a = arg;
	struct pipeline *p = a->p;
	int64_t tick = p->cfg->tick_ms, next;

	pthread_setname_np(pthread_self(), "weir-agg");
	next = (now_ms() / tick + 1) * tick;
	for (;;) {
		/* Read the flag before draining: a worker ships its last pane
		 * before it leaves, so after this drain nothing is left. */
		uint32_t seq = wake_seq(&p->agg_wake);
		bool done = atomic_load_explicit(&p->workers_running, memory_order_acquire) == 0;
		int64_t t, d;

		drain(a);
		answer_queries(a, false);
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
		if (d > 0 && !a->pending) /* queries left over: another pass at once */
			wake_wait(&p->agg_wake, seq, (int)d);
	}
	publish(a, now_ms());
	answer_queries(a, true);
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

/* Never a real query: the stack's value once the aggregator answers no more. */
static struct agg_query closed_marker;
#define QUERIES_CLOSED (&closed_marker)

/* q's series into q->out (see agg_query_post); q->rc. */
static void answer_series(struct aggregator *a, struct agg_query *q)
{
	uint32_t r, n, cap, used = 0;
	int64_t *t, now = now_ms() / 1000;
	uint64_t *c;
	struct strbuf *out = &q->out;

	cap = q->range_s / (q->step_s ? q->step_s : 1) + 2;
	if (cap > 100000) {
		q->rc = -E2BIG;
		return;
	}
	for (r = 0; r < a->c.nrules; r++)
		if (!strcmp(a->rcfg->rules[r].name, q->rule))
			break;
	if (r == a->c.nrules) {
		q->rc = -ENOENT;
		return;
	}
	t = malloc(sizeof(*t) * cap);
	c = malloc(sizeof(*c) * cap);
	if (!t || !c) {
		free(t);
		free(c);
		q->rc = -ENOMEM;
		return;
	}
	n = tiers_series(&a->c.tiers, r, now, q->range_s, q->step_s, t, c, cap, &used);
	q->rc = used ? 0 : -ERANGE;
	if (!q->rc) {
		strbuf_puts(out, "{\"rule\":");
		json_cstr(out, q->rule);
		put_u64_field(out, "range_s", q->range_s);
		put_u64_field(out, "step_s", used);
		strbuf_puts(out, ",\"points\":[");
		for (uint32_t i = 0; i < n; i++) {
			strbuf_puts(out, i ? ",[" : "[");
			json_i64(out, t[i]);
			strbuf_putc(out, ',');
			json_u64(out, c[i]);
			strbuf_putc(out, ']');
		}
		strbuf_puts(out, "]}\n");
		if (out->oom)
			q->rc = -ENOMEM;
	}
	free(t);
	free(c);
}

/* Take the queries posted since the last call onto a->pending, oldest
 * first; with close, also mark the stack closed so that later posts are
 * refused. */
static void take_queries(struct aggregator *a, bool close)
{
	struct agg_query *q, *rev = NULL, *last = NULL, *next;

	if (!close && !atomic_load_explicit(&a->queries, memory_order_relaxed))
		return;
	q = atomic_exchange_explicit(&a->queries, close ? QUERIES_CLOSED : NULL,
				     memory_order_acq_rel);
	if (q == QUERIES_CLOSED)
		return;
	for (; q; q = next) { /* the stack is newest first */
		next = q->next;
		q->next = rev;
		rev = q;
		if (!last)
			last = q;
	}
	if (!rev)
		return;
	if (a->pending_tail)
		a->pending_tail->next = rev;
	else
		a->pending = rev;
	a->pending_tail = last;
}

/* Answer the oldest QUERIES_PER_PASS queries posted so far (the rest wait
 * for the next pass); with close, refuse every one, and later posts. The
 * cost of one answer is bounded by its points (tiers_series). */
static void answer_queries(struct aggregator *a, bool close)
{
	struct agg_query *q;

	take_queries(a, close);
	for (unsigned n = 0; (q = a->pending) && (close || n < QUERIES_PER_PASS); n++) {
		a->pending = q->next;
		if (!a->pending)
			a->pending_tail = NULL;
		if (close)
			q->rc = -ESHUTDOWN;
		else
			answer_series(a, q);
		q->done(q); /* q may be gone after this */
	}
}

int agg_query_post(struct aggregator *a, struct agg_query *q)
{
	struct agg_query *head = atomic_load_explicit(&a->queries, memory_order_acquire);

	do {
		if (head == QUERIES_CLOSED)
			return -ESHUTDOWN;
		q->next = head;
	} while (!atomic_compare_exchange_weak_explicit(&a->queries, &head, q, memory_order_release,
							memory_order_acquire));
	wake_signal(&a->p->agg_wake);
	return 0;
}

struct snap_store *agg_store(struct aggregator *a)
{
	return &a->store;
}

int agg_new(struct pipeline *p, struct aggregator **out)
{
	struct aggregator *a;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->p = p;
	a->rcfg = p->cfg;
	snap_store_init(&a->store);
	a->recent = calloc(p->nsources ? p->nsources : 1, sizeof(*a->recent));
	a->held = calloc(p->nworkers, sizeof(*a->held));
	a->src_names = calloc(p->nsources + 1, sizeof(*a->src_names));
	for (uint32_t i = 0; a->src_names && i < p->nsources; i++)
		a->src_names[i] = p->sources[i].name;
	a->entries = calloc(TOPK_ENTRIES, sizeof(*a->entries));
	if (!a->held || !a->entries || !a->recent || !a->src_names ||
	    smp_store_init(&a->smp, p->cfg, p->cfg) || agg_core_init(&a->c, p->cfg, p->cfg) ||
	    tiers_scratch_init(&a->scratch, &a->c.tiers)) {
		agg_free(a);
		return -ENOMEM;
	}
	if (p->restored)
		restore(a, p->restored);
	/* this run is watched from its start (or from older data placed already) */
	if (p->start_ms / 1000 < a->c.run_from)
		a->c.run_from = p->start_ms / 1000;
	a->c.pcre2_interpreted = pat_db_interpreted(p->db);
	/* An empty first snapshot, so readers have one before the first tick. */
	publish(a, now_ms());
	*out = a;
	return 0;
}

void agg_free(struct aggregator *a)
{
	if (!a)
		return;
	agg_core_destroy(&a->c);
	smp_store_free(&a->smp);
	free(a->src_names);
	tiers_scratch_free(&a->scratch);
	if (a->cut) {
		state_files_free(a->cut->files, a->cut->n);
		free(a->cut);
	}
	delta_prev_free(&a->delta);
	snap_store_destroy(&a->store);
	free(a->recent);
	free(a->entries);
	free(a->held);
	free(a);
}
