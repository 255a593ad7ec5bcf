/*
 * aggregator.h - the aggregator thread: merges the workers' panes into the
 * pane history each tick, derives the rolling windows, and publishes an
 * immutable snapshot (with its JSON rendered once) to the snapshot store.
 *
 * Owns: the pane history. Touches the pipeline only through the pane rings,
 * the stats (read-only) and the snapshot store.
 */
#ifndef WEIR_AGGREGATOR_H
#define WEIR_AGGREGATOR_H

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

/* Render the per-rule totals of a snapshot as the JSON `weir scan` prints. */
void agg_render_totals(const struct pipeline *p, const struct snapshot *s, struct strbuf *out);

#endif
