/*
 * tiers.h - a rule set's pane history in three tiers, and the rolling
 * windows and series derived from it.
 *
 *   tier 0: 1-second panes for 15 minutes    (900 slots)
 *   tier 1: 1-minute panes for 24 hours      (1,440 slots)
 *   tier 2: 1-hour panes for 30 days         (720 slots)
 *
 * Every record is added to its pane in each tier at once (no roll-up at a
 * tier's edge, so a late record lands in every tier that still holds its
 * second). Each pane holds every rule's count; a rule with `value:` also
 * gets count, sum, min and max per pane in all tiers, and with `value:`,
 * `distinct:` or `top:` its compact sketches (psketch.h, topk.h) in tiers 0
 * and 1. Memory is therefore fixed per rule: about 24 KiB of counts, plus
 * for a sketching rule at most 2,340 panes of each sketch (bounded by the
 * sketches' own bounds, whatever the data).
 *
 * A slot is indexed by (second / step) % nslots and remembers which pane it
 * holds, so stale slots are recognised without clearing the array. Whether
 * a second is still held is decided against the caller's clock (`now`), not
 * the newest pane seen, so a clock that jumps back keeps counting into the
 * present and never wipes it; panes "from the future" are ignored by windows.
 *
 * A rolling window of W seconds is answered from the finest tier that spans
 * it: W <= 15 min from 1-second panes, exactly (now - W, now]; longer ones
 * from W / step whole panes of the next tier, the newest being the current
 * (partial) one, so they cover between W - step + 1 and W seconds; the span
 * actually covered is reported with each window.
 *
 * Owned by the aggregator thread; no locking inside.
 */
#ifndef WEIR_TIERS_H
#define WEIR_TIERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIERS_N 3
#define TIERS_SKETCHED 2 /* tiers 0 .. TIERS_SKETCHED-1 keep sketches */

/* What a rule keeps beyond its count (bits). */
enum {
	TIERS_VALUE = 1u << 0,
	TIERS_TOP = 1u << 1,
	TIERS_DISTINCT = 1u << 2,
};

struct pdds;
struct phll;
struct topk;
struct dds;
struct hll;

/* One rule's extras in one pane. */
struct tier_cell {
	uint64_t vn; /* values added */
	double vsum, vmin, vmax;
	struct pdds *dds; /* quantiles (tiers 0, 1) */
	struct phll *hll; /* distinct (tiers 0, 1) */
	struct topk *top; /* top (tiers 0, 1); allocated on first use */
};

struct tier {
	uint32_t step;		  /* seconds per pane */
	uint32_t nslots;	  /* panes held */
	int64_t *slot_idx;	  /* [nslots] second / step of the pane held; INT64_MIN: empty */
	uint64_t *counts;	  /* [nslots * nrules], slot-major */
	struct tier_cell **cells; /* [nrules]: [nslots] cells, or NULL (no extras) */
};

struct tiers {
	uint32_t nrules;
	uint8_t *want;	   /* [nrules] TIERS_* bits */
	uint32_t *top_cap; /* [nrules] Space-Saving counters per pane (top rules) */
	struct tier t[TIERS_N];
};

/* want/top_cap: per rule (copied). 0 or -ENOMEM (ts is then empty). */
int tiers_init(struct tiers *ts, uint32_t nrules, const uint8_t *want, const uint32_t *top_cap);
void tiers_destroy(struct tiers *ts);

/* Is second sec held by tier i at time now? */
bool tiers_holds(const struct tiers *ts, int i, int64_t sec, int64_t now);
/* Is sec held by any tier (i.e. newer than the oldest tier's retention)? */
bool tiers_retained(const struct tiers *ts, int64_t sec, int64_t now);

/* Add a pane's counts ([nrules]) at second sec. */
void tiers_add_counts(struct tiers *ts, int64_t sec, int64_t now, const uint64_t *counts);
/* Add n matches of one rule at second sec. */
void tiers_add_count(struct tiers *ts, int64_t sec, int64_t now, uint32_t rule, uint64_t n);
/* A rule's observations at second sec. -ENOMEM if a sketch could not grow
 * (the observation is then missing from that pane), else 0. */
int tiers_add_value(struct tiers *ts, int64_t sec, int64_t now, uint32_t rule, double v);
int tiers_add_top(struct tiers *ts, int64_t sec, int64_t now, uint32_t rule, const char *key,
		  size_t len);
int tiers_add_distinct(struct tiers *ts, int64_t sec, int64_t now, uint32_t rule, uint64_t hash);

/* Which tier answers a window of secs seconds, how many of its panes, and
 * the seconds they cover at time now. */
struct tiers_span {
	int tier;
	uint32_t panes;
	uint32_t span_s;
};
struct tiers_span tiers_window_span(const struct tiers *ts, uint32_t secs, int64_t now);

/* Counts of every window ending at now: out[w * nrules + r]. secs ascending. */
void tiers_window_counts(const struct tiers *ts, int64_t now, const uint32_t *secs, size_t nwin,
			 uint64_t *out);

/* A window's merged extras for one rule. dds/hll/top are the caller's
 * scratch sketches, filled when the rule keeps them and the tier holds them
 * (else NULL). */
struct tiers_acc {
	uint64_t vn;
	double vsum, vmin, vmax;
	struct dds *dds;
	struct hll *hll;
	struct topk *top;
};

/* Scratch for tiers_window_extras: allocated once, reused every tick. */
struct tiers_scratch {
	struct dds *dds;
	struct hll *hll;
	struct topk *top; /* capacity: the largest top_cap */
	uint32_t top_cap;
};
int tiers_scratch_init(struct tiers_scratch *sc, const struct tiers *ts);
void tiers_scratch_free(struct tiers_scratch *sc);

/* For rule `rule` (which has extras), merge each window's panes and call
 * fn(arg, w, acc) for w = 0 .. nwin-1 in order. */
typedef void (*tiers_emit_fn)(void *arg, uint32_t w, const struct tiers_acc *acc);
void tiers_window_extras(const struct tiers *ts, struct tiers_scratch *sc, int64_t now,
			 const uint32_t *secs, size_t nwin, uint32_t rule, tiers_emit_fn fn,
			 void *arg);

/*
 * A rule's counts over the last range_s seconds ending at now, in buckets of
 * step_s seconds aligned to multiples of step_s (the last bucket is the
 * current, partial one). The finest tier that holds the whole range and
 * whose step divides step_s is used; step_s is rounded up to that tier's
 * step if it is finer. Fills at most cap points (t_out: each bucket's first
 * second) and returns how many, with *step_used set; 0 if the range is
 * longer than any tier holds.
 */
uint32_t tiers_series(const struct tiers *ts, uint32_t rule, int64_t now, uint32_t range_s,
		      uint32_t step_s, int64_t *t_out, uint64_t *c_out, uint32_t cap,
		      uint32_t *step_used);

/* Move rule `from` of src into rule `to` of dst (both with the same tier
 * shapes and the same `want` for those rules): counts and cells. The
 * cells are swapped, so src keeps dst's old (empty) ones. Slot indices
 * must already be the same (tiers_copy_slots). */
void tiers_take_rule(struct tiers *dst, uint32_t to, struct tiers *src, uint32_t from);
void tiers_copy_slots(struct tiers *dst, const struct tiers *src);

/* The first second of the oldest pane any tier holds at now; INT64_MAX
 * when none holds one. */
int64_t tiers_oldest(const struct tiers *ts, int64_t now);

/* Heap bytes held (counts, cells and sketches). */
size_t tiers_bytes(const struct tiers *ts);

#endif
