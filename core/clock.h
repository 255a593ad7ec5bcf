/*
 * clock.h - the wall clock and short sleeps.
 *
 * now_ms is CLOCK_REALTIME (the time records are stamped and windows are
 * cut by); mono_ms is CLOCK_MONOTONIC (for deadlines and intervals, which
 * must not jump with the wall clock). sleep_ms sleeps at least ms
 * milliseconds unless a signal ends it early; the callers that poll in a
 * loop (a full ring, a pool that is empty) re-check their condition anyway.
 */
#ifndef WEIR_CLOCK_H
#define WEIR_CLOCK_H

#include <stdint.h>

/* Wall clock in ms since the epoch. */
int64_t now_ms(void);
/* Monotonic clock in ms (arbitrary origin). */
int64_t mono_ms(void);
/* Sleep for ms milliseconds (0: yield the rest of the time slice). */
void sleep_ms(uint32_t ms);

#endif
