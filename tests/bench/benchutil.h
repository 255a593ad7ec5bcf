/*
 * benchutil.h - what the C micro-benchmarks share: a seeded splitmix64
 * stream, the thread's CPU clock, and an allocation that exits on failure.
 * Header-only: each benchmark is one .c file linked with libweir.a.
 * Define BENCH_NAME (the program's name, for messages) before including.
 */
#ifndef WEIR_BENCHUTIL_H
#define WEIR_BENCHUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink; /* results stored here are not optimised away */

static uint64_t rng_s; /* the stream's state: set it to seed */

/* splitmix64 */
static inline uint64_t rnd(void)
{
	uint64_t z = (rng_s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static inline double unif(void)
{
	return ((double)(rnd() >> 11) + 0.5) * 0x1p-53;
}

/* The calling thread's CPU time in ns: other processes' load stays out. */
static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fputs(BENCH_NAME ": out of memory\n", stderr);
		exit(1);
	}
	return p;
}

#endif
