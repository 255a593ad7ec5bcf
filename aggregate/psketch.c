/*
 * psketch.c - see psketch.h.
 *
 * struct pdds keeps the summary (count, zero, rejected, min, max and the
 * Neumaier sum) exactly as struct dds does, and its bins in one of two forms:
 *   sparse: an open-addressing table (linear probing, load <= 3/4) of
 *           (tag, count) pairs, tag = (key + KEY_BIAS) << 1 | negative, so
 *           that 0 marks an empty slot. The keys are the values' own keys,
 *           but for a pane restored from a sketch with collapsed values:
 *           coll[sign] of the count of key coll_key[sign] (that store's
 *           lowest key then, its highest key - (DDS_BINS - 1)) lie below
 *           it. The table doubles from PDDS_SLOTS_MIN slots; one that would
 *           need more than PDDS_SLOTS_MAX becomes dense instead.
 *   dense:  two struct dds_store (positive, negative), counted by
 *           dds_store_add() exactly as in struct dds, collapse included.
 * A store's state depends only on the keys counted, not on their order (see
 * dds_store_add()), so adding a sparse pane's bins in table order, or
 * merging its dense stores, gives dst the bins that dds_add() of every
 * value would have given it. Collapsed values are the exception: their own
 * keys are lost, so their bin is added last, when dst's window reaches the
 * highest key, which puts them below it, as dds_store_merge() does.
 *
 * struct phll is a table of (register index << 8 | rho) words, 0 empty,
 * keeping the largest rho per register (the same max that hll_add_hash()
 * keeps), until the table would be as large as the 16 KiB of registers; it
 * then holds a struct hll.
 *
 * Each is one allocation (a header and its table or dense part), owned
 * through the caller's pointer: growing replaces the allocation and that
 * pointer, so no other pointer to it may be kept.
 */
#include "aggregate/psketch.h"

#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- quantiles ---- */

#define PDDS_SLOTS_MIN 4
/* 24 KiB of table: the next doubling (48 KiB) would pass the dense 32 KiB */
#define PDDS_SLOTS_MAX 2048
/* keys of finite doubles lie within +-75000, so a biased key is positive */
#define KEY_BIAS (1 << 20)

struct pdds_head {
	uint64_t count, zero, rejected;
	double min, max, sum, sum_c;
};

struct pdds {
	struct pdds_head h;
	uint64_t coll[2];    /* sparse: collapsed values (positive, negative) ... */
	int32_t coll_key[2]; /* ... counted in this key's bin, if coll */
	uint32_t mask;	     /* sparse: slots - 1 */
	uint32_t used;	     /* sparse: slots in use */
	uint8_t shift;	     /* sparse: 32 - log2(slots), for home() */
	bool dense;	     /* mem holds struct dds_store pos, neg */
	uint64_t mem[];	     /* sparse: uint64_t count[slots], then uint32_t tag[slots] */
};

/* the sizes psketch.h's Memory paragraph gives */
_Static_assert(sizeof(struct pdds) == 96, "see psketch.h");

static uint32_t *tags_of(struct pdds *p)
{
	return (uint32_t *)(p->mem + p->mask + 1);
}

static const uint32_t *ctags_of(const struct pdds *p)
{
	return (const uint32_t *)(p->mem + p->mask + 1);
}

/* [0] positive values, [1] negative ones */
static struct dds_store *stores_of(struct pdds *p)
{
	return (struct dds_store *)(void *)p->mem;
}

static const struct dds_store *cstores_of(const struct pdds *p)
{
	return (const struct dds_store *)(const void *)p->mem;
}

/* Fibonacci hashing: consecutive keys, the common case, spread evenly. */
static uint32_t home(const struct pdds *p, uint32_t tag)
{
	return (tag * 0x9e3779b1u) >> p->shift;
}

static uint32_t tag_of(bool neg, int32_t k)
{
	return (uint32_t)(k + KEY_BIAS) << 1 | (uint32_t)neg;
}

static int32_t key_of_tag(uint32_t tag)
{
	return (int32_t)(tag >> 1) - KEY_BIAS;
}

static size_t sparse_bytes(uint32_t slots)
{
	return sizeof(struct pdds) + (size_t)slots * (sizeof(uint64_t) + sizeof(uint32_t));
}

static size_t dense_bytes(void)
{
	return sizeof(struct pdds) + 2 * sizeof(struct dds_store);
}

/* An empty sparse table of slots (a power of two >= 4) slots, or NULL. */
static struct pdds *sparse_new(uint32_t slots)
{
	struct pdds *p = calloc(1, sparse_bytes(slots));

	if (!p)
		return NULL;
	p->mask = slots - 1;
	p->shift = (uint8_t)(32 - __builtin_ctz(slots));
	return p;
}

/* Count n of tag in a sparse table known to have room for it. */
static void sparse_put(struct pdds *p, uint32_t tag, uint64_t n)
{
	uint32_t *tags = tags_of(p), i;

	for (i = home(p, tag); tags[i]; i = (i + 1) & p->mask)
		if (tags[i] == tag) {
			p->mem[i] += n;
			return;
		}
	tags[i] = tag;
	p->mem[i] = n;
	p->used++;
}

/* The count of tag in a sparse table, or NULL. */
static const uint64_t *sparse_find(const struct pdds *p, uint32_t tag)
{
	const uint32_t *tags = ctags_of(p);
	uint32_t i;

	for (i = home(p, tag); tags[i]; i = (i + 1) & p->mask)
		if (tags[i] == tag)
			return &p->mem[i];
	return NULL;
}

/* Add sparse p's bins to the stores pos and neg, collapsed ones last. */
static void sparse_into(const struct pdds *p, struct dds_store *pos, struct dds_store *neg)
{
	const uint32_t *tags = ctags_of(p);
	uint32_t i, tag, n;

	for (i = 0; i <= p->mask; i++) {
		if (!(tag = tags[i]))
			continue;
		n = tag & 1;
		if (p->coll[n] && key_of_tag(tag) == p->coll_key[n])
			continue;
		dds_store_add(n ? neg : pos, key_of_tag(tag), p->mem[i]);
	}
	for (n = 0; n < 2; n++) {
		struct dds_store *s = n ? neg : pos;

		/* the store's highest key is in: coll_key is below its window
		 * or its lowest key, as in dds_store_merge() */
		if (p->coll[n] &&
		    !dds_store_add(s, p->coll_key[n], *sparse_find(p, tag_of(n, p->coll_key[n]))))
			s->collapsed += p->coll[n];
	}
}

/* Replace sparse *pp by a table of twice the slots, or by the dense form
 * past PDDS_SLOTS_MAX. 0, or -ENOMEM with *pp unchanged. */
static int pdds_grow(struct pdds **pp)
{
	struct pdds *p = *pp, *q;
	const uint32_t *tags = tags_of(p);
	uint32_t slots = p->mask + 1, i;

	if (slots < PDDS_SLOTS_MAX) {
		q = sparse_new(2 * slots);
		if (!q)
			return -ENOMEM;
		for (i = 0; i < slots; i++)
			if (tags[i])
				sparse_put(q, tags[i], p->mem[i]);
		memcpy(q->coll, p->coll, sizeof(q->coll));
		memcpy(q->coll_key, p->coll_key, sizeof(q->coll_key));
	} else {
		q = calloc(1, dense_bytes());
		if (!q)
			return -ENOMEM;
		q->dense = true;
		sparse_into(p, &stores_of(q)[0], &stores_of(q)[1]);
	}
	q->h = p->h;
	free(p);
	*pp = q;
	return 0;
}

/* Count n values of key k (negative ones if neg) in *pp's bins. 0, or
 * -ENOMEM with nothing counted. */
static int bin_add(struct pdds **pp, bool neg, int32_t k, uint64_t n)
{
	struct pdds *p = *pp;
	uint32_t tag, *tags, i;
	int rc;

	if (p->dense) {
		dds_store_add(&stores_of(p)[neg], k, n);
		return 0;
	}
	tag = tag_of(neg, k);
	tags = tags_of(p);
	for (i = home(p, tag); tags[i]; i = (i + 1) & p->mask)
		if (tags[i] == tag) {
			p->mem[i] += n;
			return 0;
		}
	if (p->used + 1 > (p->mask + 1) / 4 * 3) {
		rc = pdds_grow(pp);
		if (rc)
			return rc;
		return bin_add(pp, neg, k, n);
	}
	tags[i] = tag;
	p->mem[i] = n;
	p->used++;
	return 0;
}

int pdds_add(struct pdds **pp, double v)
{
	struct pdds *p = *pp;
	int rc;

	if (!p) {
		p = sparse_new(PDDS_SLOTS_MIN);
		if (!p)
			return -ENOMEM;
		*pp = p;
	}
	if (!isfinite(v)) {
		p->h.rejected++;
		return -EDOM;
	}
	if (v != 0) {
		rc = bin_add(pp, v < 0, dds_key(fabs(v)), 1);
		if (rc)
			return rc;
		p = *pp;
	} else {
		p->h.zero++; /* and -0.0, as dds_add() */
	}
	if (!p->h.count || v < p->h.min)
		p->h.min = v;
	if (!p->h.count || v > p->h.max)
		p->h.max = v;
	p->h.count++;
	dds_sum_add(&p->h.sum, &p->h.sum_c, v);
	return 0;
}

/* The summary part of dds_merge(), then the bins. */
void pdds_merge_into(struct dds *dst, const struct pdds *p)
{
	if (!p)
		return;
	if (!p->h.count) {
		dst->rejected += p->h.rejected;
		return;
	}
	if (!dst->count || p->h.min < dst->min)
		dst->min = p->h.min;
	if (!dst->count || p->h.max > dst->max)
		dst->max = p->h.max;
	dst->count += p->h.count;
	dst->zero += p->h.zero;
	dst->rejected += p->h.rejected;
	dds_sum_add(&dst->sum, &dst->sum_c, p->h.sum);
	dds_sum_add(&dst->sum, &dst->sum_c, p->h.sum_c);
	if (p->dense) {
		dds_store_merge(&dst->pos, &cstores_of(p)[0]);
		dds_store_merge(&dst->neg, &cstores_of(p)[1]);
		return;
	}
	sparse_into(p, &dst->pos, &dst->neg);
}

static uint32_t store_bins(const struct dds_store *s)
{
	uint32_t n = 0;

	if (s->count)
		for (int32_t k = s->lo; k <= s->hi; k++)
			n += s->bins[(uint32_t)k & (DDS_BINS - 1)] != 0;
	return n;
}

static void store_put(struct pdds *p, bool neg, const struct dds_store *s)
{
	if (s->count)
		for (int32_t k = s->lo; k <= s->hi; k++)
			if (s->bins[(uint32_t)k & (DDS_BINS - 1)])
				sparse_put(p, tag_of(neg, k),
					   s->bins[(uint32_t)k & (DDS_BINS - 1)]);
}

/* Sparse unless d's bins do not fit PDDS_SLOTS_MAX. */
int pdds_from_dds(struct pdds **pp, const struct dds *d)
{
	struct pdds *p;
	uint32_t n, slots = PDDS_SLOTS_MIN;

	if (!d->count && !d->rejected) {
		pdds_free(*pp);
		*pp = NULL;
		return 0;
	}
	n = store_bins(&d->pos) + store_bins(&d->neg);
	if (n > PDDS_SLOTS_MAX / 4 * 3) {
		p = malloc(dense_bytes());
		if (!p)
			return -ENOMEM;
		memset(p, 0, sizeof(*p));
		p->dense = true;
		memcpy(&stores_of(p)[0], &d->pos, sizeof(d->pos));
		memcpy(&stores_of(p)[1], &d->neg, sizeof(d->neg));
	} else {
		while (n > slots / 4 * 3)
			slots *= 2;
		p = sparse_new(slots);
		if (!p)
			return -ENOMEM;
		store_put(p, false, &d->pos);
		store_put(p, true, &d->neg);
		/* the collapsed are in bin lo (see ddsketch.c) */
		p->coll[0] = d->pos.collapsed;
		p->coll_key[0] = d->pos.lo;
		p->coll[1] = d->neg.collapsed;
		p->coll_key[1] = d->neg.lo;
	}
	p->h = (struct pdds_head){.count = d->count,
				  .zero = d->zero,
				  .rejected = d->rejected,
				  .min = d->min,
				  .max = d->max,
				  .sum = d->sum,
				  .sum_c = d->sum_c};
	pdds_free(*pp);
	*pp = p;
	return 0;
}

uint64_t pdds_count(const struct pdds *p)
{
	return p ? p->h.count : 0;
}

size_t pdds_bytes(const struct pdds *p)
{
	if (!p)
		return 0;
	return p->dense ? dense_bytes() : sparse_bytes(p->mask + 1);
}

void pdds_free(struct pdds *p)
{
	free(p);
}

/* ---- distinct count ---- */

#define PHLL_SLOTS_MIN 4
/* 8 KiB of table: the next doubling would be as large as the registers */
#define PHLL_SLOTS_MAX 2048

struct phll {
	uint32_t mask;	 /* sparse: slots - 1 */
	uint32_t used;	 /* sparse: slots in use */
	bool dense;	 /* slot holds a struct hll */
	uint32_t slot[]; /* sparse: index << 8 | rho (rho >= 1), 0 empty */
};

_Static_assert(sizeof(struct phll) == 12, "see psketch.h");

static struct hll *regs_of(struct phll *p)
{
	return (struct hll *)(void *)p->slot;
}

static size_t phll_sparse_bytes(uint32_t slots)
{
	return sizeof(struct phll) + (size_t)slots * sizeof(uint32_t);
}

static size_t phll_dense_bytes(void)
{
	return sizeof(struct phll) + sizeof(struct hll);
}

static struct phll *phll_sparse_new(uint32_t slots)
{
	struct phll *p = calloc(1, phll_sparse_bytes(slots));

	if (p)
		p->mask = slots - 1;
	return p;
}

/* The register index is uniform (the hash is well mixed), so its low bits
 * pick the home slot. Keeps the larger rho. The table has room. */
static void phll_put(struct phll *p, uint32_t idx, uint8_t rho)
{
	uint32_t i, e;

	for (i = idx & p->mask; (e = p->slot[i]); i = (i + 1) & p->mask)
		if (e >> 8 == idx) {
			if ((e & 0xff) < rho)
				p->slot[i] = idx << 8 | rho;
			return;
		}
	p->slot[i] = idx << 8 | rho;
	p->used++;
}

static int phll_grow(struct phll **pp)
{
	struct phll *p = *pp, *q;
	uint32_t slots = p->mask + 1, i;

	if (slots < PHLL_SLOTS_MAX) {
		q = phll_sparse_new(2 * slots);
		if (!q)
			return -ENOMEM;
		for (i = 0; i < slots; i++)
			if (p->slot[i])
				phll_put(q, p->slot[i] >> 8, (uint8_t)p->slot[i]);
	} else {
		q = calloc(1, phll_dense_bytes());
		if (!q)
			return -ENOMEM;
		q->dense = true;
		for (i = 0; i < slots; i++)
			if (p->slot[i])
				regs_of(q)->reg[p->slot[i] >> 8] = (uint8_t)p->slot[i];
	}
	free(p);
	*pp = q;
	return 0;
}

int phll_add_hash(struct phll **pp, uint64_t hash)
{
	struct phll *p = *pp;
	uint32_t idx = hll_index(hash), i, e;
	uint8_t rho = hll_rho(hash);
	int rc;

	if (!p) {
		p = phll_sparse_new(PHLL_SLOTS_MIN);
		if (!p)
			return -ENOMEM;
		*pp = p;
	}
	if (p->dense) {
		hll_add_hash(regs_of(p), hash);
		return 0;
	}
	for (i = idx & p->mask; (e = p->slot[i]); i = (i + 1) & p->mask)
		if (e >> 8 == idx) {
			if ((e & 0xff) < rho)
				p->slot[i] = idx << 8 | rho;
			return 0;
		}
	if (p->used + 1 > (p->mask + 1) / 4 * 3) {
		rc = phll_grow(pp);
		if (rc)
			return rc;
		return phll_add_hash(pp, hash);
	}
	p->slot[i] = idx << 8 | rho;
	p->used++;
	return 0;
}

void phll_merge_into(struct hll *dst, const struct phll *p)
{
	uint32_t i, e;

	if (!p)
		return;
	if (p->dense) {
		hll_merge(dst, (const struct hll *)(const void *)p->slot);
		return;
	}
	for (i = 0; i <= p->mask; i++) {
		e = p->slot[i];
		if (e && dst->reg[e >> 8] < (uint8_t)e)
			dst->reg[e >> 8] = (uint8_t)e;
	}
}

int phll_from_hll(struct phll **pp, const struct hll *h)
{
	struct phll *p;
	uint32_t i, n = 0, slots = PHLL_SLOTS_MIN;

	for (i = 0; i < HLL_M; i++)
		n += h->reg[i] != 0;
	if (!n) {
		phll_free(*pp);
		*pp = NULL;
		return 0;
	}
	if (n > PHLL_SLOTS_MAX / 4 * 3) {
		p = malloc(phll_dense_bytes());
		if (!p)
			return -ENOMEM;
		memset(p, 0, sizeof(*p));
		p->dense = true;
		memcpy(regs_of(p), h, sizeof(*h));
	} else {
		while (n > slots / 4 * 3)
			slots *= 2;
		p = phll_sparse_new(slots);
		if (!p)
			return -ENOMEM;
		for (i = 0; i < HLL_M; i++)
			if (h->reg[i])
				phll_put(p, i, h->reg[i]);
	}
	phll_free(*pp);
	*pp = p;
	return 0;
}

size_t phll_bytes(const struct phll *p)
{
	if (!p)
		return 0;
	return p->dense ? phll_dense_bytes() : phll_sparse_bytes(p->mask + 1);
}

void phll_free(struct phll *p)
{
	free(p);
}
