/*
 * pane.h - one worker's counts for one second.
 *
 * A worker fills its current pane, then hands it to the aggregator through
 * its pane ring; the aggregator merges it and gives it back through the
 * pane return ring. Panes are allocated once per worker at start-up
 * (struct pane_pool), so steady state allocates nothing. One owner at a time.
 */
#ifndef WEIR_PANE_H
#define WEIR_PANE_H

#include <stdint.h>

struct pane {
	int64_t sec; /* the second (epoch) these counts belong to */
	uint32_t nrules;
	uint64_t records;  /* records scanned into this pane, so snapshots agree with counts */
	void *barrier;	   /* non-NULL: a checkpoint barrier (no counts), its payload */
	uint64_t counts[]; /* per rule: records matched */
};

#endif
