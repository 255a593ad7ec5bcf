/*
 * ruleset.h - a rule set a reload switches to, and how it travels.
 *
 * app/run.c builds it (config, database, one scanner and pane set per
 * worker, the aggregator's tables) before the switch, so the switch itself
 * allocates nothing and cannot fail. It then travels with a checkpoint
 * barrier: ingest takes it from pipeline.reload_req and sends it through
 * the rings; each worker swaps in its scanner and panes when the barrier
 * passes (counting itself in `switched`) and leaves its old ones in their
 * place; the aggregator swaps its tables at the cut and counts the reload
 * in pipeline.reloads_applied. app/run.c frees what the threads left in it.
 */
#ifndef WEIR_RULESET_H
#define WEIR_RULESET_H

#include <stdatomic.h>
#include <stdint.h>

struct cfg;
struct pat_db;
struct pat_scanner;
struct pane;

struct ruleset {
	struct cfg *cfg;   /* owned: where the rules come from */
	struct pat_db *db; /* owned */
	uint32_t nrules;
	uint64_t gen;		       /* 1, 2, ... in the order reloads were asked */
	_Atomic uint32_t switched;     /* workers that have taken theirs */
	struct pat_scanner **scanners; /* [nworkers]: each worker takes its own */
	struct pane ***panes;	       /* [nworkers][WORKER_PANES] */
	void *agg;		       /* the aggregator's new tables (aggregator.c) */
	struct ruleset *prev;	       /* the one it replaced (freed by the next reload) */
};

#endif
