/*
 * tribuf.h - a triple buffer: one thread publishes whole values, another
 * reads the newest, neither waits and nothing is allocated after init.
 *
 * Three slots of the same size: the writer's back slot, the reader's front
 * slot, and the middle one they swap with (an atomic exchange, acq_rel, so
 * a value is complete before the reader can see it). The writer fills
 * tribuf_back() completely and calls tribuf_publish(); the reader calls
 * tribuf_read() and may use what it returns until its next call. A value
 * published twice before a read replaces the first (only the newest
 * counts). Exactly one writer thread and one reader thread, for life.
 *
 * Owns the three slots; what they point to (if anything) is the caller's.
 */
#ifndef WEIR_TRIBUF_H
#define WEIR_TRIBUF_H

#include <stdatomic.h>
#include <stddef.h>

#define TRIBUF_FRESH 4u /* in mid: the middle slot holds a value not read yet */

struct tribuf {
	void *slot[3];
	unsigned back;	      /* writer's slot index */
	unsigned front;	      /* reader's slot index */
	_Atomic unsigned mid; /* middle slot index | TRIBUF_FRESH */
};

/* Three zeroed slots of size bytes each. 0 or -ENOMEM. */
int tribuf_init(struct tribuf *t, size_t size);
void tribuf_destroy(struct tribuf *t);

/* Writer: the slot to fill (it holds an older value, or zeroes). */
static inline void *tribuf_back(struct tribuf *t)
{
	return t->slot[t->back];
}

/* Writer: make the back slot the newest value. */
static inline void tribuf_publish(struct tribuf *t)
{
	unsigned old =
	    atomic_exchange_explicit(&t->mid, t->back | TRIBUF_FRESH, memory_order_acq_rel);

	t->back = old & 3u;
}

/* Reader: the newest value published (the zeroed front slot before any). */
static inline const void *tribuf_read(struct tribuf *t)
{
	if (atomic_load_explicit(&t->mid, memory_order_relaxed) & TRIBUF_FRESH) {
		unsigned old = atomic_exchange_explicit(&t->mid, t->front, memory_order_acq_rel);

		t->front = old & 3u;
	}
	return t->slot[t->front];
}

#endif
