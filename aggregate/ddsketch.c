/*
 * ddsketch.c - see ddsketch.h.
 *
 * A store's bins are a ring indexed by key & (DDS_BINS - 1). Invariants,
 * while count > 0: hi - lo < DDS_BINS, bins[lo] and bins[hi] are non-zero,
 * every slot of a key outside [lo, hi] is zero, and the bins sum to count.
 * Raising hi past lo + DDS_BINS - 1 first folds the keys that fall out at
 * the bottom into the new lowest key. A fold walks at most as many keys as
 * hi rises, so all folds of a sketch's life cost O(key range), and nothing
 * is ever moved but the folded counts.
 */
#include "aggregate/ddsketch.h"

#include "core/le.h"
#include "core/crc32c.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#define MASK (DDS_BINS - 1)
#define GAMMA ((1 + DDS_ALPHA) / (1 - DDS_ALPHA))
/* keys of the finite doubles lie well inside this (about -74500..71300) */
#define KEY_LIMIT 100000

/* ceil(log_gamma(m)) for m > 0. gcc folds log() of constants, so this is one
 * log() and one multiply. */
static int32_t key_of(double m)
{
	return (int32_t)ceil(log(m) * (1.0 / log(GAMMA)));
}

int32_t dds_key(double m)
{
	return key_of(m);
}

/* The value a bin stands for: 2 gamma^k / (gamma + 1), within DDS_ALPHA of
 * everything in (gamma^(k-1), gamma^k]. Computed in log space so that the
 * top key does not overflow before the factor below 1 is applied. */
static double value_of(int32_t k)
{
	return exp(k * log(GAMMA) + log(2.0 / (GAMMA + 1)));
}

/* ---- a store ---- */

/* Count n values of key k. Returns true if they went into a bin above k
 * (below the window: collapsed). The store's final state depends only on
 * the keys counted, not on their order: hi is the highest key, every key
 * within DDS_BINS - 1 below it has its own bin, all lower ones are in bin
 * hi - (DDS_BINS - 1) and counted in collapsed. */
bool dds_store_add(struct dds_store *s, int32_t k, uint64_t n)
{
	bool moved = false;

	if (!s->count) {
		s->lo = s->hi = k;
	} else if (k > s->hi) {
		if ((int64_t)k - s->lo >= DDS_BINS) {
			/* the window moves up: fold [lo, new_lo) into new_lo. The
			 * values collapsed before sit in bin lo, so they are among
			 * the folded, which are now all the collapsed ones. */
			int32_t new_lo = k - (DDS_BINS - 1), i, end = new_lo - 1;
			uint64_t folded = 0;

			if (end > s->hi)
				end = s->hi;
			for (i = s->lo; i <= end; i++) {
				folded += s->bins[(uint32_t)i & MASK];
				s->bins[(uint32_t)i & MASK] = 0;
			}
			s->bins[(uint32_t)new_lo & MASK] += folded;
			s->collapsed = folded;
			s->lo = new_lo;
		}
		s->hi = k;
	} else if (k < s->lo) {
		if ((int64_t)s->hi - k >= DDS_BINS) {
			/* below the window: counted in its lowest key. If values
			 * were collapsed before, lo is that key already. */
			k = s->hi - (DDS_BINS - 1);
			s->collapsed += n;
			moved = true;
		}
		s->lo = k;
	}
	s->bins[(uint32_t)k & MASK] += n;
	s->count += n;
	return moved;
}

void dds_store_merge(struct dds_store *dst, const struct dds_store *src)
{
	int32_t k;

	if (!src->count)
		return;
	/* highest first: the window moves up at most once */
	for (k = src->hi; k > src->lo; k--)
		if (src->bins[(uint32_t)k & MASK])
			dds_store_add(dst, k, src->bins[(uint32_t)k & MASK]);
	/* src's collapsed values are in its bin lo. dst's window now reaches
	 * src->hi, so lo lands in dst's lowest bin: either as its own key,
	 * where the collapsed stay collapsed, or collapsed as a whole. */
	if (!dds_store_add(dst, src->lo, src->bins[(uint32_t)src->lo & MASK]))
		dst->collapsed += src->collapsed;
}

/* ---- the sketch ---- */

void dds_init(struct dds *d)
{
	memset(d, 0, sizeof(*d));
}

void dds_reset(struct dds *d)
{
	/* the bins outside [lo, hi] are zero already; clearing only the
	 * window would save little and this runs once per window */
	memset(d, 0, sizeof(*d));
}

/* Neumaier's compensated sum: the lost low-order part goes into *sum_c. */
void dds_sum_add(double *sum, double *sum_c, double v)
{
	double t = *sum + v;

	if (!isfinite(t)) {
		*sum = t; /* overflowed: nothing left to compensate */
		return;
	}
	if (fabs(*sum) >= fabs(v))
		*sum_c += (*sum - t) + v;
	else
		*sum_c += (v - t) + *sum;
	*sum = t;
}

static void sum_add(struct dds *d, double v)
{
	dds_sum_add(&d->sum, &d->sum_c, v);
}

int dds_add(struct dds *d, double v)
{
	if (!isfinite(v)) {
		d->rejected++;
		return -EDOM;
	}
	if (!d->count || v < d->min)
		d->min = v;
	if (!d->count || v > d->max)
		d->max = v;
	d->count++;
	sum_add(d, v);
	if (v > 0)
		dds_store_add(&d->pos, key_of(v), 1);
	else if (v < 0)
		dds_store_add(&d->neg, key_of(-v), 1);
	else
		d->zero++;
	return 0;
}

void dds_merge(struct dds *dst, const struct dds *src)
{
	if (!src->count) {
		dst->rejected += src->rejected;
		return;
	}
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (!dst->count || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->zero += src->zero;
	dst->rejected += src->rejected;
	sum_add(dst, src->sum);
	sum_add(dst, src->sum_c);
	dds_store_merge(&dst->pos, &src->pos);
	dds_store_merge(&dst->neg, &src->neg);
}

double dds_sum(const struct dds *d)
{
	return isfinite(d->sum) ? d->sum + d->sum_c : d->sum;
}

double dds_quantile(const struct dds *d, double q)
{
	uint64_t rank, seen = 0;
	double v = NAN;
	int32_t k;

	if (!d->count || !(q >= 0 && q <= 1))
		return NAN;
	rank = (uint64_t)(q * (double)(d->count - 1));
	if (rank == 0)
		return d->min;
	if (rank >= d->count - 1)
		return d->max;
	/* ascending: negatives by falling magnitude, zeros, positives */
	if (rank < d->neg.count) {
		for (k = d->neg.hi; k >= d->neg.lo; k--) {
			seen += d->neg.bins[(uint32_t)k & MASK];
			if (seen > rank) {
				v = -value_of(k);
				break;
			}
		}
	} else if (rank < d->neg.count + d->zero) {
		v = 0;
	} else {
		seen = d->neg.count + d->zero;
		for (k = d->pos.lo; k <= d->pos.hi; k++) {
			seen += d->pos.bins[(uint32_t)k & MASK];
			if (seen > rank) {
				v = value_of(k);
				break;
			}
		}
	}
	if (v < d->min)
		v = d->min;
	if (v > d->max)
		v = d->max;
	return v;
}

/* ---- checkpoint form ---- */

#define DDS_VERSION 1
#define HDR_LEN 72

struct wr {
	uint8_t *p;
	size_t off, cap;
	int err;
};

static void wr_bytes(struct wr *w, const void *src, size_t n)
{
	if (w->err || w->cap - w->off < n) {
		w->err = -ENOSPC;
		return;
	}
	memcpy(w->p + w->off, src, n);
	w->off += n;
}

static void wr_u64(struct wr *w, uint64_t v)
{
	uint8_t b[8];

	le_put64(b, v);
	wr_bytes(w, b, 8);
}

static void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4];

	le_put32(b, v);
	wr_bytes(w, b, 4);
}

static void wr_f64(struct wr *w, double v)
{
	uint64_t u;

	memcpy(&u, &v, 8);
	wr_u64(w, u);
}

static void wr_varint(struct wr *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	wr_bytes(w, b, n);
}

static void wr_store(struct wr *w, const struct dds_store *s)
{
	int32_t k;

	wr_u64(w, s->count);
	wr_u64(w, s->collapsed);
	if (!s->count)
		return;
	wr_u32(w, (uint32_t)s->lo);
	wr_u32(w, (uint32_t)s->hi);
	for (k = s->lo; k <= s->hi; k++)
		wr_varint(w, s->bins[(uint32_t)k & MASK]);
}

int dds_encode(const struct dds *d, void *buf, size_t cap, size_t *len)
{
	struct wr w = {.p = buf, .cap = cap};
	uint8_t magic[4] = {'W', 'D', 'D', DDS_VERSION};

	wr_bytes(&w, magic, 4);
	wr_u32(&w, DDS_BINS);
	wr_f64(&w, DDS_ALPHA);
	wr_u64(&w, d->count);
	wr_u64(&w, d->zero);
	wr_u64(&w, d->rejected);
	wr_f64(&w, d->min);
	wr_f64(&w, d->max);
	wr_f64(&w, d->sum);
	wr_f64(&w, d->sum_c);
	wr_store(&w, &d->neg);
	wr_store(&w, &d->pos);
	if (!w.err)
		wr_u32(&w, crc32c(0, w.p, w.off));
	if (w.err)
		return w.err;
	*len = w.off;
	return 0;
}

struct rd {
	const uint8_t *p;
	size_t off, len;
	int err;
};

static uint64_t rd_u64(struct rd *r)
{
	uint64_t v;

	if (r->err || r->len - r->off < 8) {
		r->err = -EBADMSG;
		return 0;
	}
	v = le_get64(r->p + r->off);
	r->off += 8;
	return v;
}

static uint32_t rd_u32(struct rd *r)
{
	uint32_t v;

	if (r->err || r->len - r->off < 4) {
		r->err = -EBADMSG;
		return 0;
	}
	v = le_get32(r->p + r->off);
	r->off += 4;
	return v;
}

static double rd_f64(struct rd *r)
{
	uint64_t u = rd_u64(r);
	double v;

	memcpy(&v, &u, 8);
	return v;
}

static uint64_t rd_varint(struct rd *r)
{
	uint64_t v = 0;
	int shift;

	for (shift = 0; shift < 64 && !r->err; shift += 7) {
		uint8_t b;

		if (r->off >= r->len)
			break;
		b = r->p[r->off++];
		if (shift == 63 && b > 1)
			break; /* more than 64 bits */
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->err = -EBADMSG;
	return 0;
}

/* Read and check a store; fill s only if it is not NULL. Returns its count. */
static uint64_t rd_store(struct rd *r, struct dds_store *s)
{
	uint64_t count, collapsed, sum = 0, n, first = 0;
	int32_t lo, hi, k;

	count = rd_u64(r);
	collapsed = rd_u64(r);
	if (r->err || collapsed > count)
		goto bad;
	if (s)
		memset(s, 0, sizeof(*s));
	if (!count)
		return 0;
	lo = (int32_t)rd_u32(r);
	hi = (int32_t)rd_u32(r);
	if (r->err || lo > hi || (int64_t)hi - lo >= DDS_BINS || lo < -KEY_LIMIT || hi > KEY_LIMIT)
		goto bad;
	for (k = lo; k <= hi; k++) {
		n = rd_varint(r);
		if (r->err || ((k == lo || k == hi) && !n) || sum + n < sum)
			goto bad;
		sum += n;
		if (k == lo)
			first = n;
		if (s)
			s->bins[(uint32_t)k & MASK] = n;
	}
	/* the collapsed all sit in bin lo, and only a full window collapses */
	if (sum != count || (collapsed && (hi - lo != DDS_BINS - 1 || collapsed > first)))
		goto bad;
	if (s) {
		s->count = count;
		s->collapsed = collapsed;
		s->lo = lo;
		s->hi = hi;
	}
	return count;
bad:
	r->err = -EBADMSG;
	return 0;
}

/* Read and check the body (between magic and CRC); fill d only if it is
 * not NULL, so a first pass with NULL leaves d untouched on error. */
static int rd_sketch(const uint8_t *in, size_t len, struct dds *d)
{
	struct rd r = {.p = in, .off = 4, .len = len - 4};
	uint64_t count, zero, rejected, negc, posc;
	double min, max, sum, sum_c;

	if (rd_u32(&r) != DDS_BINS || rd_f64(&r) != DDS_ALPHA)
		return -EBADMSG;
	count = rd_u64(&r);
	zero = rd_u64(&r);
	rejected = rd_u64(&r);
	min = rd_f64(&r);
	max = rd_f64(&r);
	sum = rd_f64(&r);
	sum_c = rd_f64(&r);
	/* sum may have overflowed (see dds_sum()); its compensation may not */
	if (r.err || !isfinite(sum_c))
		return -EBADMSG;
	if (count && (!isfinite(min) || !isfinite(max) || min > max))
		return -EBADMSG;
	negc = rd_store(&r, d ? &d->neg : NULL);
	posc = rd_store(&r, d ? &d->pos : NULL);
	if (r.err || r.off != r.len)
		return -EBADMSG;
	/* the parts add up to count, without wrapping */
	if (zero > count || negc > count - zero || posc != count - zero - negc)
		return -EBADMSG;
	if (d) {
		d->count = count;
		d->zero = zero;
		d->rejected = rejected;
		d->min = min;
		d->max = max;
		d->sum = sum;
		d->sum_c = sum_c;
	}
	return 0;
}

int dds_decode(struct dds *d, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	struct rd r;

	if (len < HDR_LEN + 2 * 16 + 4 || memcmp(in, "WDD", 3) || in[3] != DDS_VERSION)
		return -EBADMSG;
	r = (struct rd){.p = in, .off = len - 4, .len = len};
	if (rd_u32(&r) != crc32c(0, in, len - 4))
		return -EBADMSG;
	if (rd_sketch(in, len, NULL))
		return -EBADMSG;
	return rd_sketch(in, len, d);
}
