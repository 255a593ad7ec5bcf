/*
 * wake.h - let a consumer sleep until a producer has pushed something.
 *
 * A futex on a sequence number. The producer calls wake_signal() after
 * pushing; the consumer calls wake_wait() after finding its rings empty,
 * passing the sequence it read with wake_seq() before looking, so a push
 * that lands between the look and the sleep is never missed. Waits are
 * bounded by a timeout, so callers also do their periodic work.
 * The data itself is synchronised by the rings; this only carries wake-ups.
 */
#ifndef WEIR_WAKE_H
#define WEIR_WAKE_H

#include <stdatomic.h>
#include <stdint.h>

struct wake {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
};

static inline uint32_t wake_seq(struct wake *w)
{
	return atomic_load_explicit(&w->seq, memory_order_acquire);
}

/* Wake the consumer if it sleeps. Cheap when nobody waits. */
void wake_signal(struct wake *w);

/* Sleep until wake_signal() or timeout_ms, unless seq has moved already. */
void wake_wait(struct wake *w, uint32_t seq, int timeout_ms);

#endif
