/*
 * worker.c - see worker.h.
 *
 * Panes are keyed by the batch's arrival second. A pane is shipped when the
 * second changes, or when it holds data and SHIP_MS have passed since the
 * last shipment (so counts show up within a tick even at low rates).
 * Records longer than max_line arrive whole when a single read held them;
 * they are scanned over their first max_line bytes only (see frame.h).
 */
#include "pattern/worker.h"

#include "aggregate/pane.h"
#include "core/batch.h"
#include "core/config.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "pattern/pattern.h"

#include <errno.h>
#include <stdlib.h>
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
	struct pane *cur;   /* pane being filled, or NULL */
	bool dirty;	    /* cur holds counts not yet shipped */
	int64_t shipped_ms; /* when cur was last shipped */
	struct pat_cut cut; /* scratch for one batch */
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
		struct timespec ts = {0, 1000000L};

		nanosleep(&ts, NULL);
		panes_reclaim(w);
	}
	pn = w->free[--w->nfree];
	pn->sec = sec;
	pn->records = 0;
	pn->barrier = NULL;
	memset(pn->counts, 0, sizeof(pn->counts[0]) * pn->nrules);
	return pn;
}

static void pane_ship(struct worker *w, int64_t t)
{
	if (!w->cur || !w->dirty)
		return;
	while (!ring_push(&w->p->pane_rings[w->id], w->cur)) {
		struct timespec ts = {0, 1000000L};

		nanosleep(&ts, NULL);
	}
	w->cur = NULL;
	w->dirty = false;
	w->shipped_ms = t;
}

/* A checkpoint barrier: everything before it goes to the aggregator first,
 * then the barrier itself, so the aggregator knows where the cut is. */
static void pass_barrier(struct worker *w, struct batch *b)
{
	struct pane *pn;

	pane_ship(w, b->arrival_ms);
	pn = pane_take(w, w->cur ? w->cur->sec : 0);
	pn->barrier = b->payload;
	while (!ring_push(&w->p->pane_rings[w->id], pn)) {
		struct timespec ts = {0, 1000000L};

		nanosleep(&ts, NULL);
	}
	wake_signal(&w->p->agg_wake);
}

static void process(struct worker *w, struct batch *b)
{
	struct worker_stats *st = &w->p->worker_stats[w->id];
	const struct pipe_source *src = &w->p->sources[b->source];
	int64_t sec = b->arrival_ms / 1000;
	uint64_t parse_errors = 0;
	struct pat_batch pb;
	int64_t n;

	if (b->kind == BATCH_BARRIER) {
		pass_barrier(w, b);
		return;
	}
	if (w->cur && w->cur->sec != sec)
		pane_ship(w, b->arrival_ms);
	if (!w->cur)
		w->cur = pane_take(w, sec);
	w->cut = (struct pat_cut){0, 0};
	pb.buf = b->buf;
	pb.len = b->len;
	pb.meta = b->nmeta ? b->meta : NULL;
	pb.nmeta = b->nmeta;
	pb.source_name = src->name;
	pb.parse_syslog = src->parse_syslog;
	pb.now_ms = b->arrival_ms;
	pb.tz_offset_s = 0;
	n = pat_scan_batch(w->scanner, &pb, w->p->cfg->max_line, w->cur->counts, &w->cut,
			   &parse_errors);
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
	if (parse_errors)
		stat_add(&st->src_parse_errors[b->source], parse_errors);
	stat_add(&st->file_records[b->file], (uint64_t)n);
	if (w->cut.lines) {
		stat_add(&st->src_lines_truncated[b->source], w->cut.lines);
		stat_add(&st->src_bytes_discarded[b->source], w->cut.bytes);
		stat_add(&st->file_lines_truncated[b->file], w->cut.lines);
		stat_add(&st->file_bytes_discarded[b->file], w->cut.bytes);
	}
	if (b->arrival_ms - w->shipped_ms >= SHIP_MS)
		pane_ship(w, b->arrival_ms);
}

void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pipeline *p = w->p;
	struct batch *b;

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
	rc = pat_scanner_new(p->db, &w->scanner);
	if (rc)
		goto err;
	for (i = 0; i < WORKER_PANES; i++) {
		w->all[i] = calloc(1, sizeof(struct pane) + sizeof(uint64_t) * (p->nrules + 1));
		if (!w->all[i]) {
			rc = -ENOMEM;
			goto err;
		}
		w->all[i]->nrules = p->nrules;
		w->free[w->nfree++] = w->all[i];
	}
	*out = w;
	return 0;
err:
	worker_free(w);
	return rc;
}

void worker_free(struct worker *w)
{
	uint32_t i;

	if (!w)
		return;
	pat_scanner_free(w->scanner);
	for (i = 0; i < WORKER_PANES; i++)
		free(w->all[i]);
	free(w);
}
