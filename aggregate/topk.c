/*
 * topk.c - see topk.h.
 *
 * Four arrays in one allocation (ctr points at it), sized for cap <= k
 * counters: topk_init() allocates room for min(k, CAP_MIN), and a table
 * whose n counters fill cap doubles it (up to k) before taking another:
 *   ctr[cap]  counters: the key, its hash and its error. Counter i keeps its
 *             number, also across growth; a counter is reused when its key
 *             is evicted.
 *   heap[cap] a 4-ary min-heap of (count, counter) pairs: heap[0] is the
 *             smallest count, the one Space-Saving replaces. The count lives
 *             here, beside the heap's comparisons.
 *   pos[cap]  pos[c] == p exactly when heap[p].ctr == c.
 *   index[]   open addressing with linear probing over mask + 1 >= 2 cap slots:
 *             0 is empty, else (hash >> 32) << 32 | (counter + 1); the tag
 *             (hash >> 32) also picks the home slot. Removal shifts the
 *             following run back (no tombstones), so a lookup stops at the
 *             first empty slot. Growing rebuilds it from the counters.
 * Growth moves the counters, heap and positions unchanged, so it is
 * invisible but for the bytes held. If it fails, k is lowered to cap: the
 * table is then full, a Space-Saving table of that smaller k, and every
 * bound holds (topk_add() has no error to report).
 *
 * Invariants: every counter in use is in the index exactly once and in the
 * heap exactly once; no two counters hold the same (key, len, truncated);
 * every count >= floor, so while the table is not full floor bounds the
 * keys it does not hold, and once it is full heap[0] does.
 */
#include "aggregate/topk.h"

#include "aggregate/hll.h"
#include "core/le.h"
#include "core/crc32c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct topk_counter {
	uint64_t hash; /* of (key, truncated) */
	uint64_t err;
	uint8_t len;
	uint8_t truncated;
	char key[TOPK_KEY_MAX];
};

struct topk_heap {
	uint64_t count;
	uint32_t ctr;
};

#define NONE UINT32_MAX
/* A cut key hashes apart from the whole key that equals its kept bytes. */
#define CUT_SALT 0x9e3779b97f4a7c15ull

static uint64_t key_hash(const char *key, uint8_t len, bool truncated)
{
	uint64_t h = hll_hash(key, len);

	return truncated ? h ^ CUT_SALT : h;
}

/* ---- index ---- */

/* A key's index slot holds the top half of its hash (its tag), which also
 * picks its home slot: a lookup and a removal need no counter but the one
 * whose tag matches. */
static uint32_t home_of(const struct topk *t, uint32_t tag)
{
	return tag & t->mask;
}

/* The counter holding (key, len, truncated) with hash h, or NONE; *slot is
 * then the empty slot where it would go. */
static uint32_t index_find(const struct topk *t, uint64_t h, const char *key, uint8_t len,
			   bool truncated, uint32_t *slot)
{
	uint32_t tag = (uint32_t)(h >> 32), i = home_of(t, tag);

	for (;;) {
		uint64_t s = t->index[i];
		const struct topk_counter *c;

		if (!s) {
			*slot = i;
			return NONE;
		}
		c = &t->ctr[(uint32_t)s - 1];
		if ((uint32_t)(s >> 32) == tag && c->hash == h && c->len == len &&
		    c->truncated == truncated && !memcmp(c->key, key, len))
			return (uint32_t)s - 1;
		i = (i + 1) & t->mask;
	}
}

static void index_put(struct topk *t, uint32_t slot, uint32_t ci)
{
	t->index[slot] = (t->ctr[ci].hash >> 32) << 32 | (uint64_t)(ci + 1);
}

/* Remove counter ci's slot, shifting back the slots after it that would
 * otherwise become unreachable. */
static void index_del(struct topk *t, uint32_t ci)
{
	uint32_t i = home_of(t, (uint32_t)(t->ctr[ci].hash >> 32)), j, home;

	while ((uint32_t)t->index[i] != ci + 1)
		i = (i + 1) & t->mask;
	for (j = i;;) {
		j = (j + 1) & t->mask;
		if (!t->index[j])
			break;
		home = home_of(t, (uint32_t)(t->index[j] >> 32));
		/* j's entry may move to i only if its home is not in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->index[i] = t->index[j];
		i = j;
	}
	t->index[i] = 0;
}

/* ---- heap ---- */

/* A 4-ary heap: half the depth of a binary one, and a node's children
 * are 64 contiguous bytes. */
#define ARITY 4

static void heap_set(struct topk *t, uint32_t p, struct topk_heap e)
{
	t->heap[p] = e;
	t->pos[e.ctr] = p;
}

static void sift_up(struct topk *t, uint32_t p)
{
	struct topk_heap e = t->heap[p];

	while (p) {
		uint32_t up = (p - 1) / ARITY;

		if (t->heap[up].count <= e.count)
			break;
		heap_set(t, p, t->heap[up]);
		p = up;
	}
	heap_set(t, p, e);
}

static void sift_down(struct topk *t, uint32_t p)
{
	struct topk_heap e = t->heap[p];

	for (;;) {
		uint32_t c = ARITY * p + 1, end = c + ARITY, i;

		if (c >= t->n)
			break;
		if (end > t->n)
			end = t->n;
		for (i = c + 1; i < end; i++)
			if (t->heap[i].count < t->heap[c].count)
				c = i;
		if (e.count <= t->heap[c].count)
			break;
		heap_set(t, p, t->heap[c]);
		p = c;
	}
	heap_set(t, p, e);
}

/* ---- table ---- */

#define CAP_MIN 4 /* counters allocated by topk_init() (fewer if k is smaller) */

/* Index slots for cap counters: a power of two >= 2 cap, at least 4. */
static uint32_t slots_for(uint32_t cap)
{
	uint32_t slots = 4;

	while (slots < 2 * cap)
		slots *= 2;
	return slots;
}

/* The one allocation holding the arrays for cap counters, in this order
 * (each size a multiple of 8, so each array is aligned). */
static size_t block_bytes(uint32_t cap)
{
	return (size_t)cap * (sizeof(struct topk_counter) + sizeof(struct topk_heap)) +
	       (size_t)slots_for(cap) * sizeof(uint64_t) + (size_t)cap * sizeof(uint32_t);
}

/* Move t's counters into arrays for cap (>= n) counters and rebuild the
 * index. 0, or -ENOMEM with t unchanged. */
static int resize(struct topk *t, uint32_t cap)
{
	uint32_t slots = slots_for(cap), i, j;
	char *b = malloc(block_bytes(cap));
	struct topk_counter *ctr = (struct topk_counter *)(void *)b;
	struct topk_heap *heap = (struct topk_heap *)(void *)(ctr + cap);
	uint64_t *index = (uint64_t *)(void *)(heap + cap);
	uint32_t *pos = (uint32_t *)(index + slots);

	if (!b)
		return -ENOMEM;
	memset(index, 0, (size_t)slots * sizeof(*index));
	if (t->n) {
		memcpy(ctr, t->ctr, (size_t)t->n * sizeof(*ctr));
		memcpy(heap, t->heap, (size_t)t->n * sizeof(*heap));
		memcpy(pos, t->pos, (size_t)t->n * sizeof(*pos));
	}
	free(t->ctr);
	t->ctr = ctr;
	t->heap = heap;
	t->pos = pos;
	t->index = index;
	t->mask = slots - 1;
	t->cap = cap;
	/* counters 0..n-1 are in use, each key once: probe to the first
	 * empty slot, as index_find() would for a key not there */
	for (i = 0; i < t->n; i++) {
		for (j = home_of(t, (uint32_t)(t->ctr[i].hash >> 32)); t->index[j];)
			j = (j + 1) & t->mask;
		index_put(t, j, i);
	}
	return 0;
}

/* Before a key may take a free counter: make sure one exists if k allows,
 * doubling cap (up to k); if that fails, lower k to cap (see above). */
static void reserve(struct topk *t)
{
	uint32_t cap;

	if (t->n < t->cap || t->cap == t->k)
		return;
	cap = t->cap > t->k / 2 ? t->k : 2 * t->cap;
	if (resize(t, cap))
		t->k = t->cap;
}

int topk_init(struct topk *t, uint32_t k)
{
	memset(t, 0, sizeof(*t));
	if (k < 1 || k > TOPK_K_MAX)
		return -EINVAL;
	if (resize(t, k < CAP_MIN ? k : CAP_MIN))
		return -ENOMEM;
	t->k = k;
	return 0;
}

void topk_free(struct topk *t)
{
	if (!t)
		return;
	free(t->ctr); /* the block: heap, pos and index are inside it */
	memset(t, 0, sizeof(*t));
}

void topk_reset(struct topk *t)
{
	if (t->index)
		memset(t->index, 0, ((size_t)t->mask + 1) * sizeof(*t->index));
	t->n = 0;
	t->total = 0;
	t->floor = 0;
}

size_t topk_bytes(const struct topk *t)
{
	return t->cap ? block_bytes(t->cap) : 0;
}

uint64_t topk_bound(const struct topk *t)
{
	return t->n && t->n == t->k ? t->heap[0].count : t->floor;
}

/* Give the key a counter with this count and error: a free one, or, when
 * the table is full, the smallest one (which the caller checked may go). */
static void place(struct topk *t, uint64_t h, const char *key, uint8_t len, bool truncated,
		  uint64_t count, uint64_t err)
{
	struct topk_counter *c;
	uint32_t ci, p, slot;

	if (t->n < t->k) {
		/* the caller's reserve() made room: n < cap */
		ci = p = t->n++;
	} else {
		ci = t->heap[0].ctr;
		p = 0;
		index_del(t, ci);
	}
	c = &t->ctr[ci];
	c->hash = h;
	c->err = err;
	c->len = len;
	c->truncated = truncated;
	memcpy(c->key, key, len);
	/* the key is not in the index: this finds its empty slot */
	index_find(t, h, key, len, truncated, &slot);
	index_put(t, slot, ci);
	heap_set(t, p, (struct topk_heap){.count = count, .ctr = ci});
	if (p)
		sift_up(t, p);
	else
		sift_down(t, p);
}

void topk_add(struct topk *t, const char *key, size_t len, uint64_t n)
{
	bool truncated = len > TOPK_KEY_MAX;
	uint8_t klen = truncated ? TOPK_KEY_MAX : (uint8_t)len;
	uint64_t h, min;
	uint32_t ci, slot;

	if (!n)
		return;
	t->total += n;
	h = key_hash(key, klen, truncated);
	ci = index_find(t, h, key, klen, truncated, &slot);
	if (ci != NONE) {
		t->heap[t->pos[ci]].count += n;
		sift_down(t, t->pos[ci]);
		return;
	}
	/* Space-Saving: a new key takes the smallest counter (or a free one,
	 * at floor) and inherits its count as its possible error. */
	reserve(t);
	min = topk_bound(t);
	place(t, h, key, klen, truncated, min + n, min);
}

void topk_merge(struct topk *dst, const struct topk *src)
{
	uint64_t ud = topk_bound(dst), us = topk_bound(src);
	uint32_t i, ci, slot;

	/* A key src lacks may have had up to us there. Adding the same amount
	 * everywhere keeps the heap in order. */
	for (i = 0; i < dst->n; i++) {
		dst->heap[i].count += us;
		dst->ctr[dst->heap[i].ctr].err += us;
	}
	/* Keys in both: src's count and error instead of us. Counts only grow
	 * here, so nothing is evicted before all of these are summed. */
	for (i = 0; i < src->n; i++) {
		const struct topk_counter *s = &src->ctr[i];

		ci = index_find(dst, s->hash, s->key, s->len, s->truncated, &slot);
		if (ci == NONE)
			continue;
		dst->heap[dst->pos[ci]].count += src->heap[src->pos[i]].count - us;
		dst->ctr[ci].err = dst->ctr[ci].err - us + s->err;
		sift_down(dst, dst->pos[ci]);
	}
	/* Keys only in src: their count plus ud, kept if among the k largest.
	 * A summed key evicted here never comes back as "only in src": its
	 * src count plus ud is at most its sum, which was the minimum then,
	 * and the minimum only grows. */
	for (i = 0; i < src->n; i++) {
		const struct topk_counter *s = &src->ctr[i];
		uint64_t count = src->heap[src->pos[i]].count + ud;

		ci = index_find(dst, s->hash, s->key, s->len, s->truncated, &slot);
		if (ci != NONE)
			continue;
		reserve(dst);
		if (dst->n < dst->k || count > dst->heap[0].count)
			place(dst, s->hash, s->key, s->len, s->truncated, count, s->err + ud);
	}
	dst->floor = ud + us;
	dst->total += src->total;
}

static void entry_from(const struct topk *t, uint32_t ci, struct topk_entry *e)
{
	const struct topk_counter *c = &t->ctr[ci];

	e->count = t->heap[t->pos[ci]].count;
	e->err = c->err;
	e->len = c->len;
	e->truncated = c->truncated;
	memcpy(e->key, c->key, c->len);
	e->key[c->len] = '\0';
}

bool topk_get(const struct topk *t, const char *key, size_t len, struct topk_entry *out)
{
	bool truncated = len > TOPK_KEY_MAX;
	uint8_t klen = truncated ? TOPK_KEY_MAX : (uint8_t)len;
	uint32_t ci, slot;

	ci = index_find(t, key_hash(key, klen, truncated), key, klen, truncated, &slot);
	if (ci == NONE)
		return false;
	entry_from(t, ci, out);
	return true;
}

/* <0: a comes first in topk_sorted()'s order. */
static int entry_cmp(const struct topk_entry *a, const struct topk_entry *b)
{
	int r;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	r = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
	if (r)
		return r;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (int)a->truncated - (int)b->truncated;
}

/* out[0..n) as a heap whose root is the entry that sorts last. */
static void worst_down(struct topk_entry *out, uint32_t n, uint32_t p)
{
	struct topk_entry tmp;

	for (;;) {
		uint32_t c = 2 * p + 1;

		if (c >= n)
			break;
		if (c + 1 < n && entry_cmp(&out[c + 1], &out[c]) > 0)
			c++;
		if (entry_cmp(&out[p], &out[c]) >= 0)
			break;
		tmp = out[p];
		out[p] = out[c];
		out[c] = tmp;
		p = c;
	}
}

/* Select into a heap whose root sorts last, then heapsort it: no qsort,
 * which may allocate. */
uint32_t topk_sorted(const struct topk *t, struct topk_entry *out, uint32_t cap)
{
	struct topk_entry tmp;
	uint32_t i, m = cap < t->n ? cap : t->n;

	if (!m)
		return 0;
	for (i = 0; i < m; i++)
		entry_from(t, i, &out[i]);
	for (i = m / 2; i-- > 0;)
		worst_down(out, m, i);
	for (i = m; i < t->n; i++) {
		entry_from(t, i, &tmp);
		if (entry_cmp(&tmp, &out[0]) < 0) {
			out[0] = tmp;
			worst_down(out, m, 0);
		}
	}
	for (i = m; i-- > 1;) {
		tmp = out[0];
		out[0] = out[i];
		out[i] = tmp;
		worst_down(out, i, 0);
	}
	return m;
}

/* ---- checkpoint form ---- */

#define TOPK_VERSION 1
#define HDR_LEN 28
#define ENTRY_FIXED 18

size_t topk_encoded_max(const struct topk *t)
{
	return HDR_LEN + (size_t)t->n * (ENTRY_FIXED + TOPK_KEY_MAX) + 4;
}

int topk_encode(const struct topk *t, void *buf, size_t cap, size_t *len)
{
	uint8_t *out = buf;
	size_t off = HDR_LEN, need = HDR_LEN + 4;
	uint32_t i;

	for (i = 0; i < t->n; i++)
		need += ENTRY_FIXED + t->ctr[i].len;
	if (cap < need)
		return -ENOSPC;
	memcpy(out, "WTK", 3);
	out[3] = TOPK_VERSION;
	le_put32(out + 4, t->k);
	le_put32(out + 8, t->n);
	le_put64(out + 12, t->total);
	le_put64(out + 20, topk_bound(t));
	for (i = 0; i < t->n; i++) {
		const struct topk_counter *c = &t->ctr[t->heap[i].ctr];

		le_put64(out + off, t->heap[i].count);
		le_put64(out + off + 8, c->err);
		out[off + 16] = c->truncated;
		out[off + 17] = c->len;
		memcpy(out + off + ENTRY_FIXED, c->key, c->len);
		off += ENTRY_FIXED + c->len;
	}
	le_put32(out + off, crc32c(0, out, off));
	*len = off + 4;
	return 0;
}

/* Everything topk_decode() can check without touching t. */
static int decode_check(const uint8_t *in, size_t len)
{
	uint64_t total, bound, count, err, min = UINT64_MAX;
	uint32_t k, n, i;
	size_t off = HDR_LEN, body;

	if (len < HDR_LEN + 4 || memcmp(in, "WTK", 3) || in[3] != TOPK_VERSION)
		return -EBADMSG;
	body = len - 4;
	if (le_get32(in + body) != crc32c(0, in, body))
		return -EBADMSG;
	k = le_get32(in + 4);
	n = le_get32(in + 8);
	total = le_get64(in + 12);
	bound = le_get64(in + 20);
	/* the bound is at most total / k (see topk.h), empty table or not */
	if (k < 1 || k > TOPK_K_MAX || n > k || bound > total)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		if (body - off < ENTRY_FIXED)
			return -EBADMSG;
		count = le_get64(in + off);
		err = le_get64(in + off + 8);
		if (in[off + 16] > 1 || in[off + 17] > TOPK_KEY_MAX ||
		    (in[off + 16] && in[off + 17] != TOPK_KEY_MAX))
			return -EBADMSG;
		if (err > count || count < bound || count - err > total)
			return -EBADMSG;
		if (count < min)
			min = count;
		off += ENTRY_FIXED + in[off + 17];
		if (off > body)
			return -EBADMSG;
	}
	/* a full table's bound is its smallest count */
	if (n && n == k && min != bound)
		return -EBADMSG;
	return off == body ? 0 : -EBADMSG;
}

int topk_decode(struct topk *t, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	size_t off = HDR_LEN;
	uint32_t i, n, slot;
	int rc;

	rc = decode_check(in, len);
	if (rc)
		goto err;
	topk_reset(t);
	n = le_get32(in + 8);
	for (i = 0; i < n; i++) {
		uint64_t count = le_get64(in + off), h;
		bool truncated = in[off + 16];
		uint8_t klen = in[off + 17];
		const char *key = (const char *)in + off + ENTRY_FIXED;

		h = key_hash(key, klen, truncated);
		if (index_find(t, h, key, klen, truncated, &slot) != NONE) {
			rc = -EBADMSG; /* the same key twice */
			goto err;
		}
		/* in heap order, so with room for all the layout is the same */
		reserve(t);
		if (t->n < t->k || count > t->heap[0].count)
			place(t, h, key, klen, truncated, count, le_get64(in + off + 8));
		off += ENTRY_FIXED + klen;
	}
	t->total = le_get64(in + 12);
	t->floor = le_get64(in + 20);
	return 0;
err:
	topk_reset(t);
	return rc;
}
