/*
 * aggregator.h - the aggregator thread: merges the workers' panes into the
 * pane history each tick, derives the rolling windows, and publishes an
 * immutable snapshot (with its JSON rendered once) to the snapshot store.
 *
 * Owns: the pane history (aggregate/tiers.h) and the rules' sketches. Touches the pipeline only
 * through the pane rings, the stats (read-only) and the snapshot store.
 */
#ifndef WEIR_AGGREGATOR_H
#define WEIR_AGGREGATOR_H

#include <stdint.h>

struct pipeline;
struct aggregator;
struct snapshot;
struct strbuf;

int agg_new(struct pipeline *p, struct aggregator **out);

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
 * A rule's counts over the last range_s seconds in buckets of step_s, as
 * JSON {"rule","range_s","step_s","points":[[unix_second, count], ...]}
 * appended to out (see tiers_series). Safe from any thread: takes the
 * aggregator's lock for as long as reading the counts takes. 0, -ENOENT (no
 * such rule), -ERANGE (longer than the history), -E2BIG (too many points)
 * or -ENOMEM.
 */
int agg_series(struct aggregator *a, const char *rule, uint32_t range_s, uint32_t step_s,
	       struct strbuf *out);

/* Render the per-rule totals of a snapshot as the JSON `weir scan` prints. */
void agg_render_totals(const struct pipeline *p, const struct snapshot *s, struct strbuf *out);

#endif
