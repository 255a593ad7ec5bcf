/*
 * observed.h - the seconds weir has watched: a small set of disjoint spans
 * of whole seconds, and how many of a window's seconds they cover.
 *
 * A window's rate divides its count by the seconds of the window weir
 * actually watched (observed_s), not by the window's length: an hour's
 * window one minute after start holds one minute of data. The aggregator
 * (aggcore.h) keeps one set: the run's span (from the first second it was
 * running or placed data at, to now), and the spans a restored checkpoint
 * covered. Pure data, no allocation: tests call it directly.
 *
 * Owned by whoever holds it (struct agg_core); no locking inside.
 */
#ifndef WEIR_OBSERVED_H
#define WEIR_OBSERVED_H

#include <stdint.h>

#define OBSERVED_MAX 16 /* spans kept; more merge the two closest (see .c) */

/* Seconds from .. to, both included (from <= to). */
struct observed_span {
	int64_t from, to;
};

/* A zeroed struct is the empty set. Spans ascend and neither overlap nor
 * touch (a gap of at least one second between two). */
struct observed {
	uint32_t n;
	struct observed_span s[OBSERVED_MAX];
};

/* Add the seconds from .. to (nothing if from > to). When the set is full,
 * the two spans with the smallest gap between them become one (the gap is
 * then counted as watched: a rate reads a little low rather than high). */
void observed_add(struct observed *o, int64_t from, int64_t to);

/* How many of the seconds from .. to (both included) the set holds. */
int64_t observed_in(const struct observed *o, int64_t from, int64_t to);

/* Forget the seconds before `before` (history older than any tier). */
void observed_forget(struct observed *o, int64_t before);

#endif
