/*
 * worker.c - see worker.h.
 *
 * Panes are keyed by the batch's arrival second; an observation carries the
 * scan's dsec (event time: the record's own second minus the pane's, see
 * struct pat_sink), and the source's `time:` and `timezone:` go to the scan
 * with each batch (struct pat_time). A pane is shipped when the
 * second changes, or when it holds data and SHIP_MS have passed since the
 * last shipment (so counts show up within a tick even at low rates).
 * Records longer than max_line arrive whole when a single read held them;
 * they are scanned over their first max_line bytes only (see frame.h).
 *
 * Samples: the scan offers a rule's matched records while the current
 * pane's budget for that rule (smp_left, min(samples.keep, 255) per pane)
 * lasts; each is copied (cut at samples.line_bytes) into the pane's sample
 * area. So a rule costs at most that many copies per pane, however often
 * it matches; the aggregator keeps the newest (aggregate/samples.h).
 */
#include "aggregate/worker.h"

#include "aggregate/pane.h"
#include "core/clock.h"
#include "core/batch.h"
#include "config/config.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "pipeline/state.h"
#include "pattern/pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SHIP_MS 100
#define IDLE_WAIT_MS 50

struct worker {
	struct pipeline *p; /* borrowed */
	uint32_t id;
	struct pat_scanner *scanner;
	struct pane *all[WORKER_PANES]; /* owned */
	struct pane *free[WORKER_PANES];
	uint32_t nfree;
	struct pane *cur;	   /* pane being filled, or NULL */
	int64_t cur_sec;	   /* the second of the batch being scanned */
	bool dirty;		   /* cur holds counts not yet shipped */
	int64_t shipped_ms;	   /* when cur was last shipped */
	struct pat_sink sink;	   /* scratch for one batch */
	const struct batch *batch; /* being scanned (for its samples) */
	uint8_t smp_budget;	   /* per rule per pane; 0: samples off */
	uint32_t line_bytes;	   /* samples.line_bytes */
};

static void panes_reclaim(struct worker *w)
{
	struct pane *pn;

	while ((pn = ring_pop(&w->p->pane_returns[w->id])))
		w->free[w->nfree++] = pn;
}

/* A zeroed pane for second sec; waits for the aggregator if all are out. */
static struct pane *pane_take(struct worker *w, int64_t sec)
{
	struct pane *pn;

	panes_reclaim(w);
	while (!w->nfree) {
		sleep_ms(1);
		panes_reclaim(w);
	}
	pn = w->free[--w->nfree];
	pn->sec = sec;
	pn->records = 0;
	pn->barrier = NULL;
	pn->obs_len = 0;
	memset(pn->counts, 0, sizeof(pn->counts[0]) * pn->nrules);
	pn->smp_len = 0;
	if (pn->smp_left)
		memset(pn->smp_left, w->smp_budget, pn->nrules);
	return pn;
}

/* The sink follows the current pane: its counts and sample budget. */
static void sink_follow(struct worker *w)
{
	w->sink.counts = w->cur->counts;
	w->sink.sample_left = w->cur->smp_left;
}

static void pane_ship(struct worker *w, int64_t t)
{
	if (!w->cur || !w->dirty)
		return;
	ring_push_wait(&w->p->pane_rings[w->id], w->cur);
	w->cur = NULL;
	w->dirty = false;
	w->shipped_ms = t;
}

static int on_obs(struct pat_sink *sk, uint32_t rule, enum pat_obs kind, const char *key,
		  uint32_t len, double v);

static void panes_free(struct pane **panes)
{
	for (uint32_t i = 0; panes && i < WORKER_PANES; i++)
		if (panes[i]) {
			free(panes[i]->obs);
			free(panes[i]->smp_left); /* one block with smp */
			free(panes[i]);
		}
}

/* A pane's sample area for cfg (0: samples off): room for the budget of
 * several rules' longest samples, and at least 64 KiB. */
static uint32_t sample_cap(const struct cfg *cfg)
{
	uint32_t one = pane_sample_size(cfg->samples_line_bytes, PANE_KEY_MAX);

	if (!cfg->samples_keep)
		return 0;
	return 4 * one > 64 * 1024 ? 4 * one : 64 * 1024;
}

/* WORKER_PANES panes for db's rules into panes[]. 0 or -ENOMEM. */
static int panes_alloc(const struct cfg *cfg, const struct pat_db *db, struct pane **panes)
{
	uint32_t n = pat_db_nrules(db), i, cap = sample_cap(cfg);

	for (i = 0; i < WORKER_PANES; i++) {
		panes[i] = calloc(1, sizeof(struct pane) + sizeof(uint64_t) * (n + 1));
		if (!panes[i] || (pat_db_observes(db) && !(panes[i]->obs = malloc(PANE_OBS_CAP))))
			return -ENOMEM;
		panes[i]->nrules = n;
		if (cap && n) {
			/* the budget, then the area (8-aligned) */
			uint32_t head = (n + 7u) & ~7u;

			if (!(panes[i]->smp_left = malloc((size_t)head + cap)))
				return -ENOMEM;
			memset(panes[i]->smp_left, 0, n);
			panes[i]->smp = panes[i]->smp_left + head;
			panes[i]->smp_cap = cap;
		}
	}
	return 0;
}

int worker_prepare(const struct cfg *cfg, const struct pat_db *db, struct pat_scanner **sc,
		   struct pane **panes)
{
	int rc = pat_scanner_new(db, sc);

	if (!rc && (rc = panes_alloc(cfg, db, panes))) {
		panes_free(panes);
		memset(panes, 0, sizeof(*panes) * WORKER_PANES);
		pat_scanner_free(*sc);
		*sc = NULL;
	}
	return rc;
}

void worker_unprepare(struct pat_scanner *sc, struct pane **panes)
{
	pat_scanner_free(sc);
	panes_free(panes);
}

/* After a reload barrier: once every pane of the old size is back, take
 * the scanner and panes made ready for the new rules. */
static void switch_rules(struct worker *w, struct ruleset *rs)
{
	struct pat_scanner *old = w->scanner;
	uint32_t i;

	if (w->cur) { /* a pane with nothing in it (a dirty one was shipped) */
		w->free[w->nfree++] = w->cur;
		w->cur = NULL;
		w->dirty = false;
	}
	panes_reclaim(w);
	while (w->nfree < WORKER_PANES) {
		sleep_ms(1);
		panes_reclaim(w);
	}
	/* the old ones go where the new ones were, for run_reload to free */
	for (i = 0; i < WORKER_PANES; i++) {
		struct pane *pn = rs->panes[w->id][i];

		rs->panes[w->id][i] = w->all[i];
		w->all[i] = w->free[i] = pn;
	}
	w->scanner = rs->scanners[w->id];
	rs->scanners[w->id] = old;
	w->sink.obs = pat_db_observes(rs->db) ? on_obs : NULL;
	w->sink.sample_left = NULL; /* the next pane's */
	atomic_fetch_add_explicit(&rs->switched, 1, memory_order_release);
}

/* A checkpoint barrier: everything before it goes to the aggregator first,
 * then the barrier itself, so the aggregator knows where the cut is. */
static void pass_barrier(struct worker *w, struct batch *b)
{
	/* read before the barrier goes on: the aggregator frees the cut once
	 * every worker's barrier is in */
	struct ruleset *rules = ((const struct ckpt_files *)b->payload)->rules;
	struct pane *pn;

	pane_ship(w, b->arrival_ms);
	pn = pane_take(w, w->cur ? w->cur->sec : 0);
	pn->barrier = b->payload;
	ring_push_wait(&w->p->pane_rings[w->id], pn);
	wake_signal(&w->p->agg_wake);
	if (rules)
		switch_rules(w, rules);
}

/* A rule's observation: into the current pane; a full pane is shipped and
 * the batch goes on in a fresh one for the same second. */
static int on_obs(struct pat_sink *sk, uint32_t rule, enum pat_obs kind, const char *key,
		  uint32_t len, double v)
{
	struct worker *w = sk->arg;
	struct pane_obs o = {rule, (uint16_t)kind, 0, 0, sk->dsec, v};

	if (kind == PAT_OBS_EXTRACT || kind == PAT_OBS_COUNT || kind == PAT_OBS_LIMIT ||
	    kind == PAT_OBS_MISSING)
		o.n = len;
	else
		o.len = (uint16_t)(len > PANE_KEY_MAX ? PANE_KEY_MAX : len);
	if (!pane_obs_put(w->cur, &o, key))
		return 0;
	w->dirty = true;
	pane_ship(w, w->shipped_ms);
	w->cur = pane_take(w, w->cur_sec);
	sink_follow(w);
	return pane_obs_put(w->cur, &o, key) ? -EOVERFLOW : 0;
}

/* A matched record the scan offers: copied into the current pane's sample
 * area, cut at line_bytes; dropped when the area is full. */
static void on_sample(struct pat_sink *sk, uint32_t rule, const struct pat_sample *s)
{
	struct worker *w = sk->arg;
	const struct batch *b = w->batch;
	struct pane_sample h = {0};

	h.seq = b->seq << 24 | (s->index & 0xffffffu);
	h.t_ms = b->meta && s->index < b->nmeta ? b->meta[s->index].arrival_ms : b->arrival_ms;
	h.rule = rule;
	h.source = b->source;
	h.full_len = s->full_len > UINT32_MAX ? UINT32_MAX : (uint32_t)s->full_len;
	h.len = s->len < w->line_bytes ? (uint32_t)s->len : w->line_bytes;
	if (s->key) {
		h.has_key = 1;
		h.key_len = (uint16_t)(s->key_len < PANE_KEY_MAX ? s->key_len : PANE_KEY_MAX);
	}
	pane_sample_put(w->cur, &h, s->rec, s->key);
}

/* Post the batch's last record no rule counted to the aggregator (for the
 * API); a full mailbox drops it (only a sample). */
static void keep_unmatched(struct worker *w, uint32_t source)
{
	struct unmatched_sample *u = mailbox_slot(&w->p->unmatched[w->id]);
	uint32_t len = w->sink.last_unmatched_len;

	if (!u)
		return;
	u->source = source;
	u->full_len = len;
	u->len = len < UNMATCHED_TEXT ? len : UNMATCHED_TEXT;
	memcpy(u->text, w->sink.last_unmatched, u->len);
	mailbox_post(&w->p->unmatched[w->id]);
}

static void process(struct worker *w, struct batch *b)
{
	struct worker_stats *st = &w->p->worker_stats[w->id];
	const struct pipe_source *src = &w->p->sources[b->source];
	int64_t sec = b->arrival_ms / 1000;
	struct pat_sink *sk = &w->sink;
	struct pat_batch pb;
	struct pat_time pt;
	int64_t n;

	if (b->kind == BATCH_BARRIER) {
		pass_barrier(w, b);
		return;
	}
	if (w->cur && w->cur->sec != sec)
		pane_ship(w, b->arrival_ms);
	if (!w->cur)
		w->cur = pane_take(w, sec);
	w->cur_sec = sec;
	w->batch = b;
	sink_follow(w);
	sk->cut = (struct pat_cut){0, 0};
	sk->parse_errors = sk->unmatched = sk->no_timestamp = 0;
	sk->last_unmatched = NULL;
	pb.buf = b->buf;
	pb.len = b->len;
	pb.meta = b->nmeta ? b->meta : NULL;
	pb.nmeta = b->nmeta;
	pb.source_name = src->name;
	pb.format = src->format;
	pb.now_ms = b->arrival_ms;
	pb.tz_offset_s = 0;
	pt.event = src->time == CFG_TIME_EVENT;
	pt.zone = src->zone;
	n = pat_scan_time(w->scanner, &pb, &pt, w->p->cfg->max_line, sk);
	if (n < 0) {
		log_error("worker %u: scan failed: %s", w->id, strerror((int)-n));
		n = 0;
	}
	w->cur->records += (uint64_t)n;
	w->dirty = true;
	stat_add(&st->records, (uint64_t)n);
	stat_add(&st->bytes, b->len);
	stat_add(&st->batches, 1);
	stat_add(&st->src_records[b->source], (uint64_t)n);
	if (sk->parse_errors)
		stat_add(&st->src_parse_errors[b->source], sk->parse_errors);
	if (sk->no_timestamp)
		stat_add(&st->src_no_timestamp[b->source], sk->no_timestamp);
	if (sk->unmatched) {
		stat_add(&st->src_unmatched[b->source], sk->unmatched);
		keep_unmatched(w, b->source);
	}
	stat_add(&st->file_records[b->file], (uint64_t)n);
	if (sk->cut.lines) {
		stat_add(&st->src_lines_truncated[b->source], sk->cut.lines);
		stat_add(&st->src_bytes_discarded[b->source], sk->cut.bytes);
		stat_add(&st->file_lines_truncated[b->file], sk->cut.lines);
		stat_add(&st->file_bytes_discarded[b->file], sk->cut.bytes);
	}
	if (b->arrival_ms - w->shipped_ms >= SHIP_MS)
		pane_ship(w, b->arrival_ms);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pipeline *p = w->p;
	struct batch *b;
	char name[16];

	snprintf(name, sizeof(name), "weir-worker-%u", w->id);
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		uint32_t seq = wake_seq(&p->worker_wakes[w->id]);

		b = ring_pop(&p->batch_rings[w->id]);
		if (b) {
			process(w, b);
			/* The return ring holds every batch, so this never fails. */
			ring_push(&p->return_rings[w->id], b);
			continue;
		}
		if (atomic_load_explicit(&p->ingest_done, memory_order_acquire)) {
			/* ingest pushed everything before setting the flag */
			if ((b = ring_pop(&p->batch_rings[w->id]))) {
				process(w, b);
				ring_push(&p->return_rings[w->id], b);
				continue;
			}
			break;
		}
		if (w->dirty && now_ms() - w->shipped_ms >= SHIP_MS)
			pane_ship(w, now_ms());
		wake_wait(&p->worker_wakes[w->id], seq, IDLE_WAIT_MS);
	}
	pane_ship(w, now_ms());
	atomic_fetch_sub_explicit(&p->workers_running, 1, memory_order_release);
	wake_signal(&p->agg_wake);
	return NULL;
}

int worker_new(struct pipeline *p, uint32_t id, struct worker **out)
{
	struct worker *w;
	uint32_t i;
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->p = p;
	w->id = id;
	rc = worker_prepare(p->cfg, p->db, &w->scanner, w->all);
	if (rc)
		goto err;
	w->sink.obs = pat_db_observes(p->db) ? on_obs : NULL;
	w->sink.arg = w;
	/* weir scan prints totals only: no samples there */
	w->smp_budget = p->scan			     ? 0
			: p->cfg->samples_keep < 255 ? (uint8_t)p->cfg->samples_keep
						     : 255;
	w->line_bytes = p->cfg->samples_line_bytes;
	w->sink.sample = on_sample;
	for (i = 0; i < WORKER_PANES; i++)
		w->free[w->nfree++] = w->all[i];
	*out = w;
	return 0;
err:
	worker_free(w);
	return rc;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	worker_unprepare(w->scanner, w->all);
	free(w);
}
