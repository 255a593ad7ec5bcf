/*
 * ring.h - a bounded single-producer single-consumer ring of pointers.
 *
 * Lock-free with C11 atomics: the producer publishes a slot with a release
 * store of tail, the consumer takes it after an acquire load of tail, and
 * hands the slot back with a release store of head that the producer reads
 * with acquire. Indices run free (they only ever grow; wrap-around of
 * size_t is harmless because only differences are used) and the capacity is
 * a power of two, so a slot is index & mask.
 *
 * Exactly one thread may push and exactly one thread may pop, for the life
 * of the ring. The ring owns only its slot array, never the pointers in it:
 * whoever pops a pointer owns what it points to.
 */
#ifndef WEIR_RING_H
#define WEIR_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct ring {
	alignas(64) _Atomic size_t tail; /* next slot to fill; written by the producer */
	size_t head_cache;		 /* producer's last view of head */
	alignas(64) _Atomic size_t head; /* next slot to take; written by the consumer */
	size_t tail_cache;		 /* consumer's last view of tail */
	alignas(64) size_t mask;	 /* capacity - 1 */
	void **slots;
};

/* capacity: rounded up to a power of two, at least 2. Returns 0 or -ENOMEM. */
int ring_init(struct ring *r, size_t capacity);
void ring_destroy(struct ring *r);

static inline size_t ring_capacity(const struct ring *r)
{
	return r->mask + 1;
}

/* Producer: append p (non-NULL). false when the ring is full. */
static inline bool ring_push(struct ring *r, void *p)
{
	size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (t - r->head_cache > r->mask) {
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (t - r->head_cache > r->mask)
			return false;
	}
	r->slots[t & r->mask] = p;
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return true;
}

/* Producer: append p, sleeping 1 ms at a time while the ring is full
 * (for the few pushes whose consumer is known to make room soon). */
void ring_push_wait(struct ring *r, void *p);

/* Consumer: take the oldest pointer, or NULL when the ring is empty. */
static inline void *ring_pop(struct ring *r)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	void *p;

	if (h == r->tail_cache) {
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h == r->tail_cache)
			return NULL;
	}
	p = r->slots[h & r->mask];
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return p;
}

/* Any thread: how many items are in the ring (a snapshot; for stats). */
static inline size_t ring_count(struct ring *r)
{
	size_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t t = atomic_load_explicit(&r->tail, memory_order_acquire);

	return t - h;
}

#endif
