/*
 * stats.h - counters that threads publish for the API.
 *
 * Each counter has exactly one writer thread (named on its struct); any
 * thread may read it. Relaxed atomics: a reader sees each counter whole,
 * not a consistent cut across counters, which is all stats need.
 */
#ifndef WEIR_STATS_H
#define WEIR_STATS_H

#include <stdatomic.h>
#include <stdint.h>

/* Single-writer increment: no locked instruction needed. */
static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void stat_set(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t stat_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* Written by the ingest thread. */
struct source_stats {
	_Atomic uint64_t bytes;		  /* bytes read */
	_Atomic uint64_t offset;	  /* next byte to read */
	_Atomic uint64_t size;		  /* file size last seen */
	_Atomic uint64_t lines_truncated; /* records cut at max_line */
	_Atomic uint64_t bytes_discarded; /* the cut-off rest of those lines */
	_Atomic uint64_t truncations;	  /* file shrank below offset; reread from 0 */
	_Atomic uint64_t rotations;	  /* the path moved on to another file */
	_Atomic uint64_t partial_flushes; /* partial last lines made records after flush_after */
	_Atomic uint64_t errors;	  /* failed opens/reads */
	_Atomic uint64_t last_read_ms;	  /* wall clock of the last read with data */
	_Atomic uint64_t inode;		  /* of the file open now (0: none yet) */
};

/* Written by one worker thread each. */
struct worker_stats {
	_Atomic uint64_t records;
	_Atomic uint64_t bytes;
	_Atomic uint64_t batches;
	/* Records longer than max_line that arrived whole and were cut while
	 * scanning, per source ([nsources] each; ingest counts its own cuts). */
	_Atomic uint64_t *src_records; /* records scanned, per source */
	_Atomic uint64_t *src_lines_truncated;
	_Atomic uint64_t *src_bytes_discarded;
};

/* Written by the ingest thread. */
struct ingest_stats {
	_Atomic uint64_t batches;      /* batches handed to workers */
	_Atomic uint64_t backpressure; /* times a full ring or empty pool paused reading */
};

#endif
