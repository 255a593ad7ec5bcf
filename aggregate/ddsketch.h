/*
 * ddsketch.h - quantiles of a stream of doubles with relative accuracy, in
 * bounded memory, mergeable: DDSketch (Masson, Rim, Lee, VLDB 2019).
 *
 * A value v > 0 is counted in bin key(v) = ceil(log_gamma(v)), gamma =
 * (1 + DDS_ALPHA) / (1 - DDS_ALPHA); the bin stands for 2 gamma^key /
 * (gamma + 1), which is within DDS_ALPHA = 0.5% of every value in it. A
 * negative value is counted by its magnitude in a second store; 0 (and
 * -0.0) in a zero count. NaN and infinities are refused and counted.
 *
 * Quantiles: dds_quantile(d, q) answers for the value of rank
 * floor(q * (count - 1)) (0-based, ascending), the "lower" rank convention:
 * q = 0 is the minimum, q = 1 the maximum. The answer is within DDS_ALPHA
 * relative error of that value, clamped to [min, max]; the ranks of the
 * minimum and the maximum answer them exactly.
 *
 * count, min and max are exact. sum is compensated (Neumaier): within about
 * one rounding of the true sum however many values and merges went in
 * (integers whose plain double sum would round come out exact); a sum
 * beyond DBL_MAX is an infinity (or NaN), and that is kept.
 *
 * Bounded bins: each store holds the DDS_BINS consecutive keys ending at its
 * highest, which covers a ratio of gamma^2048 = 7.8e8 between the smallest
 * and the largest magnitude (e.g. 1 us .. 780 s). A value below that window
 * is counted in the window's lowest bin instead ("collapsed", counted per
 * store): its rank stays right, but a quantile that lands on it reads as
 * the lowest bin's value, an overestimate of its magnitude. So the upper
 * quantiles (the large magnitudes) keep the 0.5% guarantee and only the
 * smallest magnitudes lose it: low quantiles of positive values, and the
 * negative values closest to zero. Nothing is collapsed while the data's
 * magnitude range stays within 7.8e8.
 *
 * Memory: sizeof(struct dds) = 32872 bytes, all inside the struct (two stores
 * of DDS_BINS 8-byte counts); nothing is ever allocated. A zeroed struct is
 * a valid empty sketch. One thread owns an instance; there is no locking.
 */
#ifndef WEIR_DDSKETCH_H
#define WEIR_DDSKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DDS_ALPHA 0.005
#define DDS_BINS 2048 /* per store; a power of two */

/* Counts by magnitude: the bin of key k is bins[k & (DDS_BINS - 1)]. */
struct dds_store {
	uint64_t count;	    /* values in the bins */
	uint64_t collapsed; /* of those, counted in a bin above their own (all in bin lo) */
	int32_t lo, hi;	    /* lowest and highest non-empty key (if count) */
	uint64_t bins[DDS_BINS];
};

struct dds {
	uint64_t count;	   /* values counted: neg.count + zero + pos.count */
	uint64_t zero;	   /* values == 0 */
	uint64_t rejected; /* NaN and infinities refused by dds_add() */
	double min, max;   /* exact, if count */
	double sum, sum_c; /* Neumaier sum and its compensation: see dds_sum() */
	struct dds_store pos, neg;
};

/* An empty sketch. Same as dds_reset(); a zeroed struct is also empty. */
void dds_init(struct dds *d);
void dds_reset(struct dds *d);

/* Count v. 0, or -EDOM for NaN or an infinity (counted in rejected). */
int dds_add(struct dds *d, double v);

/* Add src's values into dst (the same as adding them one by one, collapse
 * included). dst may not be src. */
void dds_merge(struct dds *dst, const struct dds *src);

/* The value of rank floor(q * (count - 1)), see above. NaN if the sketch is
 * empty or q is not in [0, 1]. Walks the bins: at most 2 x DDS_BINS steps. */
double dds_quantile(const struct dds *d, double q);

/* The sum of the values counted. 0 if none. */
double dds_sum(const struct dds *d);

/*
 * The pieces of dds_add() and dds_merge(), for the compact pane form
 * (psketch.c), so that it counts exactly as this one does.
 */
/* The bin key of a magnitude m (finite, > 0): ceil(log_gamma(m)). */
int32_t dds_key(double m);
/* Count n values of key k in store s, as dds_add() does for each (the
 * window moves, lower keys collapse). Only s changes, not the sketch's
 * count, min, max or sum. Returns true if they were collapsed. */
bool dds_store_add(struct dds_store *s, int32_t k, uint64_t n);
/* dst's bins += src's, as dds_merge() does (collapsed values included). */
void dds_store_merge(struct dds_store *dst, const struct dds_store *src);
/* The compensated (Neumaier) sum step of dds_add(): *sum + *sum_c += v. */
void dds_sum_add(double *sum, double *sum_c, double v);

/*
 * Checkpoint form, little-endian:
 *   "WDD" u8 version(1) u32 DDS_BINS f64 DDS_ALPHA
 *   u64 count u64 zero u64 rejected f64 min f64 max f64 sum f64 sum_c
 *   per store (neg, then pos): u64 count u64 collapsed, and if count:
 *     i32 lo i32 hi, then hi - lo + 1 bin counts as LEB128 varints
 *   u32 crc32c of everything before it
 * DDS_ENCODED_MAX bytes are always enough.
 */
#define DDS_ENCODED_MAX (72u + 2u * (24u + 10u * DDS_BINS) + 4u)

/* Write d into buf (cap bytes). 0 and *len set, or -ENOSPC. */
int dds_encode(const struct dds *d, void *buf, size_t cap, size_t *len /* OUT */);
/* Read a buffer dds_encode() wrote. 0, or -EBADMSG if it is short,
 * corrupt, inconsistent or of another version, alpha or bin count; d is
 * unchanged on error. */
int dds_decode(struct dds *d /* OUT */, const void *buf, size_t len);

#endif
