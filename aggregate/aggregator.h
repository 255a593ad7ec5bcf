/*
 * aggregator.h - the aggregator thread: merges the workers' panes into the
 * pane history each tick, derives the rolling windows, and publishes an
 * immutable snapshot (with its JSON rendered once) to the snapshot store.
 *
 * Owns: the pane history (aggregate/tiers.h), the rules' sketches, the
 * snapshot store it publishes to, and the recent unmatched records. Touches
 * the pipeline only through the pane rings, the counters (read-only), what
 * the other stages published (pipeline/published.h, read-only) and the
 * reload and shutdown flags.
 */
#ifndef WEIR_AGGREGATOR_H
#define WEIR_AGGREGATOR_H

#include "core/strbuf.h"

#include <stdint.h>

struct pipeline;
struct aggregator;
struct snapshot;
struct strbuf;
struct snap_store;

int agg_new(struct pipeline *p, struct aggregator **out);
/* The snapshots it publishes: any thread may acquire them (snapshot.h). */
struct snap_store *agg_store(struct aggregator *a);

struct ruleset;
/* Make the aggregator's tables for rs ready before a reload switches to
 * them (rs->agg). 0 or -ENOMEM. agg_unprepare frees what rs->agg holds
 * (after the switch: the old tables). */
int agg_prepare(struct pipeline *p, struct ruleset *rs);
void agg_unprepare(struct ruleset *rs);
void agg_free(struct aggregator *a);
/* Thread body; arg is the struct aggregator. Returns after the workers are
 * gone and a final snapshot is published. */
void *agg_main(void *arg);

/*
 * A question for the aggregator's thread, the only one that reads the pane
 * history, so no other thread holds a lock the aggregator needs (an HTTP
 * thread running at a lower priority could otherwise stall it).
 *
 * A series: rule's counts over the last range_s seconds in buckets of
 * step_s (see tiers_series), as JSON
 * {"rule","range_s","step_s","points":[[unix_second, count], ...]}
 * appended to out.
 */
struct agg_query {
	const char *rule; /* in; the caller's until done */
	uint32_t range_s, step_s;
	/* out: 0, -ENOENT (no such rule), -ERANGE (longer than the history),
	 * -E2BIG (too many points), -ENOMEM, or -ESHUTDOWN (the aggregator
	 * stopped before answering) */
	int rc;
	struct strbuf out; /* out: the JSON, when rc is 0 */
	/* Called once with the answer, on the aggregator's thread; q is the
	 * caller's again from then on. */
	void (*done)(struct agg_query *q);
	struct agg_query *next; /* the aggregator's */
};
/*
 * Hand q to the aggregator from any thread: it answers at its next pass
 * (woken now; within the tick). 0: done will be called; -ESHUTDOWN: the
 * aggregator has stopped, done will not be called.
 */
int agg_query_post(struct aggregator *a, struct agg_query *q);

/* Render the per-rule totals of a snapshot as the JSON `weir scan` prints. */
void agg_render_totals(const struct pipeline *p, const struct snapshot *s, struct strbuf *out);

#endif
