/*
 * aggcore.h - what the aggregator knows, apart from its thread: per-rule
 * totals and since-start sketches, the tiered pane history, and the event
 * time bookkeeping; and its checkpoint form (aggregate/persist.c).
 *
 * Owned by the aggregator thread (and, for a reload, built beforehand by
 * the reloading thread and handed over at the cut). No locking inside.
 */
#ifndef WEIR_AGGCORE_H
#define WEIR_AGGCORE_H

#include "aggregate/observed.h"
#include "aggregate/tiers.h"

#include <stddef.h>
#include <stdint.h>

struct cfg;
struct dds;
struct hll;
struct topk;
struct strbuf;

/* One rule: its count and, since start, what it observed. */
struct agg_rule {
	uint64_t sig;	  /* of what its sketches mean (value, unit, top, k, distinct) */
	uint64_t total;	  /* matches since start, wherever they were placed */
	uint64_t late;	  /* of those, behind the watermark (still placed) */
	uint64_t too_old; /* older than every tier holds (not placed) */
	uint64_t future;  /* stamped beyond max_future (not placed) */
	uint64_t vn;	  /* value: records with a value */
	double vsum, vmin, vmax;
	struct dds *dds;  /* value: quantiles since start */
	struct topk *top; /* top: since start */
	struct hll *hll;  /* distinct: since start */
	uint64_t extract_n, extract_ns;
	uint64_t match_limit_hits; /* extractions stopped at PCRE2's limits (not persisted) */
	uint64_t fields_missing;   /* matches without their value:/top:/distinct: field */
};

struct agg_core {
	uint32_t nrules;
	struct agg_rule *rules; /* [nrules] */
	struct tiers tiers;
	uint64_t records;		   /* records in every pane merged */
	int64_t max_sec;		   /* newest second placed; INT64_MIN before any */
	uint64_t late, too_old, future;	   /* all rules */
	uint64_t sketch_oom;		   /* observations a pane sketch had no memory for */
	uint32_t lateness_s, max_future_s; /* from the config (see config/config.h) */
	uint32_t pcre2_interpreted;	   /* rules whose captures run without JIT */
	/* The seconds watched (observed.h): the spans a restored checkpoint
	 * covered, and this run's, folded in by agg_core_observe. The run's
	 * span starts at run_from: the second weir started (set by the
	 * aggregator), or an older one that data was placed at (event time);
	 * INT64_MAX until either happens. */
	struct observed seen;
	int64_t run_from;
};

/* Tables for rules' rules; lateness and max_future from top (the config
 * weir started with: a reload changes rules only). 0 or -ENOMEM (c is then
 * empty). */
int agg_core_init(struct agg_core *c, const struct cfg *rules, const struct cfg *top);

struct pane;
/*
 * Take one pane a worker shipped, at wall-clock second now: its counts at
 * its second, its observations at theirs (pane second + dsec). Each match
 * is classified against now and the newest second placed: future (beyond
 * max_future) and too old (older than every tier) are counted, not placed;
 * late (behind newest - lateness) are counted and placed; every match is in
 * its rule's total. The aggregator's per-pane work, all of it.
 */
void agg_core_take(struct agg_core *c, const struct pane *pn, int64_t now);
void agg_core_destroy(struct agg_core *c);

/* Fold this run's span, run_from .. now, into c->seen (and forget what is
 * older than every tier); if the clock went back before run_from, the
 * current second alone. Called before reading c->seen: each tick, and
 * before a checkpoint. */
void agg_core_observe(struct agg_core *c, int64_t now);

/* The signature of a rule's sketches: equal when a checkpointed sketch
 * still means the same thing. */
uint64_t agg_rule_sig(const struct cfg *cfg, uint32_t rule);

/*
 * Checkpoint form: everything above, appended to out (see persist.c).
 * agg_persist_decode restores into c (from agg_core_init, nothing counted
 * yet) by rule name: counts and history for every rule still configured,
 * sketches only where the rule's signature is unchanged. names: the
 * current rules' names. 0, or -EBADMSG with why filled in (c may then hold
 * part of the state: the caller destroys and re-inits it).
 */
void agg_persist_encode(const struct agg_core *c, const char *const *names, struct strbuf *out);
int agg_persist_decode(struct agg_core *c, const char *const *names, const void *buf, size_t len,
		       char *why, size_t whylen);

#endif
