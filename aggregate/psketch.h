/*
 * psketch.h - the compact forms of the quantile and distinct-count sketches
 * kept in every pane of a rule's history (aggregate/tiers.h).
 *
 * A rule keeps one sketch per pane: 900 one-second panes and 1,440 one-minute
 * panes. The dense sketches are 32 KiB (struct dds) and 16 KiB (struct hll),
 * far too much for a pane that mostly holds a handful of values, so a pane
 * holds these instead: they start small (nothing is allocated until the
 * first value), grow with the number of distinct bins or registers touched,
 * and never exceed the dense sketch's size plus a small header. A window is
 * answered by merging its panes into one dense sketch (pdds_merge_into,
 * phll_merge_into), which gives exactly what adding every value to that
 * dense sketch would have given: the same registers; the same bins
 * (collapse included), count, zero, rejected, min and max. The sum is
 * exactly what dds_merge() of a dense sketch of the pane's values gives,
 * so within a rounding of adding them one by one (see dds_sum()).
 *
 * Memory (pdds_bytes, phll_bytes; one allocation each): a pdds is 96 bytes
 * plus 12 per slot of a table kept at most 3/4 full, 4 slots to start (144
 * bytes for up to 3 distinct bins), at most 24,672 bytes sparse, then
 * 32,912 dense (struct dds: 32,872); a phll is 12 bytes plus 4 per slot,
 * 28 to start, at most 8,204 sparse, then 16,396 dense. Once a pane has
 * grown to hold its bins or registers, adding allocates nothing. A pane
 * restored from a sketch that collapsed values stays sparse if its bins
 * fit (it remembers which bin holds the collapsed values).
 *
 * NULL is a valid empty pane sketch for every read function. The sketch
 * belongs to the caller's pointer (*pp): an add may replace it by a larger
 * one, so keep no other copy of it. One thread owns an instance; there is
 * no locking.
 */
#ifndef WEIR_PSKETCH_H
#define WEIR_PSKETCH_H

#include <stddef.h>
#include <stdint.h>

struct dds;
struct hll;

/* --- quantiles: DDSketch bins, sparse --- */

struct pdds; /* opaque: count, zero, min, max, sum and the bins touched */

/* Count v into *pp (allocated on first use). 0; -EDOM for NaN or an
 * infinity (counted as rejected, like dds_add); -ENOMEM (*pp unchanged). */
int pdds_add(struct pdds **pp, double v);
/* dst += p's values: the same as dds_add() of each of them. p may be NULL. */
void pdds_merge_into(struct dds *dst, const struct pdds *p);
/* Replace *pp by a compact copy of d (restoring a checkpoint): NULL if d
 * is empty. 0, or -ENOMEM (*pp unchanged). */
int pdds_from_dds(struct pdds **pp, const struct dds *d);
uint64_t pdds_count(const struct pdds *p); /* values counted (0 for NULL) */
size_t pdds_bytes(const struct pdds *p);   /* heap bytes held (0 for NULL) */
void pdds_free(struct pdds *p);		   /* NULL is a no-op */

/* --- distinct count: HyperLogLog registers, sparse until dense is smaller --- */

struct phll; /* opaque */

/* Count a key by its hll_hash() into *pp (allocated on first use). 0 or
 * -ENOMEM (*pp unchanged). */
int phll_add_hash(struct phll **pp, uint64_t hash);
/* dst becomes the union of dst and p (register-wise max). p may be NULL. */
void phll_merge_into(struct hll *dst, const struct phll *p);
/* Replace *pp by a compact copy of h: NULL if h is empty. 0, or -ENOMEM
 * (*pp unchanged). */
int phll_from_hll(struct phll **pp, const struct hll *h);
size_t phll_bytes(const struct phll *p); /* heap bytes held (0 for NULL) */
void phll_free(struct phll *p);		 /* NULL is a no-op */

#endif
