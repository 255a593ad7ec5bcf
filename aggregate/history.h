/*
 * history.h - per-second pane history and the rolling windows derived from it.
 *
 * Pure data structure, owned by the aggregator thread. nslots seconds are
 * kept in a circular array indexed by sec % nslots; a slot remembers which
 * second it holds, so stale slots are recognised without clearing the array
 * every tick. totals count everything ever added, including panes too old
 * for the history (those are also counted in `expired`).
 */
#ifndef WEIR_HISTORY_H
#define WEIR_HISTORY_H

#include <stddef.h>
#include <stdint.h>

struct agg_history {
	uint32_t nrules;
	uint32_t nslots;
	int64_t *slot_sec; /* [nslots]; INT64_MIN = empty */
	uint64_t *counts;  /* [nslots * nrules] */
	uint64_t *totals;  /* [nrules] */
	int64_t newest;	   /* newest second added; INT64_MIN before any */
	uint64_t expired;  /* records that arrived for seconds no longer held */
};

/* nslots: the longest window in seconds (plus slack). 0 or -ENOMEM. */
int agg_history_init(struct agg_history *h, uint32_t nrules, uint32_t nslots);
void agg_history_destroy(struct agg_history *h);

/* Add one pane's counts for second sec. */
void agg_history_add(struct agg_history *h, int64_t sec, const uint64_t *counts);

/*
 * Sum the panes of each window ending at second now (inclusive): window w
 * covers seconds (now - secs[w], now]. secs ascending, each <= nslots.
 * out: [nwin * nrules], window-major.
 */
void agg_history_windows(const struct agg_history *h, int64_t now, const uint32_t *secs,
			 size_t nwin, uint64_t *out);

#endif
