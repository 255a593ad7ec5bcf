/*
 * ckpt.c - checkpoint barriers from the ingest side. ckpt_begin notes,
 * per file, the offset up to which every record has been shipped and owes
 * each worker a barrier carrying those offsets; ckpt_push pushes the owed
 * barriers (a worker takes nothing else before its own); ckpt_final sends
 * the last one, after the last record. The aggregator writes the offsets
 * with the aggregates once every barrier is through.
 */
#include "core/clock.h"
#include "core/log.h"
#include "ingest/internal.h"
#include "pipeline/state.h"

void ckpt_begin(struct ingest *ing, bool final, struct ruleset *rules)
{
	struct ckpt_files *c = files_checkpoint(ing);
	uint32_t w;

	if (!c) {
		log_error("checkpoint skipped: out of memory");
		if (rules) /* put it back: the next round tries again */
			atomic_store_explicit(&ing->p->reload_req, rules, memory_order_release);
		return;
	}
	c->final = final;
	c->write = ing->p->durable;
	c->rules = rules;
	ing->ckpt_payload = c;
	for (w = 0; w < ing->p->nworkers; w++)
		ing->barrier_pending[w] = true;
	ing->npending = ing->p->nworkers;
	stat_add(&ing->p->ingest_stats.checkpoints, 1);
}

/* Push the barriers owed; each worker takes nothing else until its own. */
void ckpt_push(struct ingest *ing)
{
	uint32_t w;

	for (w = 0; w < ing->p->nworkers && ing->npending; w++) {
		struct ring *r = &ing->p->batch_rings[w];
		struct batch *b = &ing->barriers[w];

		if (!ing->barrier_pending[w] || ring_count(r) >= ring_capacity(r))
			continue;
		b->kind = BATCH_BARRIER;
		b->payload = ing->ckpt_payload;
		b->arrival_ms = now_ms();
		ring_push(r, b);
		wake_signal(&ing->p->worker_wakes[w]);
		ing->barrier_pending[w] = false;
		ing->npending--;
		ing->barriers_out++;
	}
}

/* At the end: one last checkpoint, after the last record shipped. */
void ckpt_final(struct ingest *ing)
{
	while (ing->npending || ing->barriers_out) {
		ing_take_returns(ing);
		ckpt_push(ing);
		if (ing->npending || ing->barriers_out)
			sleep_ms(1);
	}
	ckpt_begin(ing, true, NULL);
	while (ing->npending) {
		ckpt_push(ing);
		if (ing->npending)
			sleep_ms(1);
	}
}
