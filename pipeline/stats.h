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

/* Per configured source, cumulative over every file it ever had.
 * Written by the ingest thread. */
struct source_stats {
	_Atomic uint64_t bytes;		  /* bytes read */
	_Atomic uint64_t lines_truncated; /* records cut at max_line by the framer */
	_Atomic uint64_t bytes_discarded; /* the cut-off rest of those lines */
	_Atomic uint64_t truncations;	  /* a file shrank below its offset; reread from 0 */
	_Atomic uint64_t rotations;	  /* a file was closed because its path moved on */
	_Atomic uint64_t partial_flushes; /* partial last lines made records after flush_after */
	_Atomic uint64_t files_closed;	  /* files read to their end and closed */
	_Atomic uint64_t files_open;	  /* files being tailed now */
	_Atomic uint64_t errors;	  /* failed opens/reads */
	_Atomic uint64_t last_read_ms;	  /* wall clock of the last read with data */
	/* syslog receivers */
	_Atomic uint64_t received;	    /* messages received */
	_Atomic uint64_t dropped_full;	    /* dropped: no worker ring room, batch full */
	_Atomic uint64_t dropped_kernel;    /* dropped by the kernel: socket queue full */
	_Atomic uint64_t buffers_exhausted; /* provided buffers ran out (the queue waited) */
};

/* Per syslog listener (one `listen:` URL). Written by the ingest thread.
 * The source's received/dropped_* counters are the sums over its listeners. */
struct listener_stats {
	_Atomic uint64_t received;	    /* messages received */
	_Atomic uint64_t bytes;		    /* their bytes, as framed */
	_Atomic uint64_t truncated;	    /* messages cut at max_line */
	_Atomic uint64_t dropped_full;	    /* dropped: no batch room (datagrams only) */
	_Atomic uint64_t dropped_kernel;    /* dropped by the kernel: socket queue full */
	_Atomic uint64_t buffers_exhausted; /* provided buffers ran out (the queue waited) */
	/* TCP */
	_Atomic uint64_t framing_errors; /* invalid octet-count headers (resynced as lines) */
	_Atomic uint64_t connections;	 /* open now */
	_Atomic uint64_t accepted;	 /* accepted in total */
	_Atomic uint64_t refused;	 /* closed at once: max_connections reached */
	_Atomic uint64_t idle_closed;	 /* closed after idle_timeout without data */
	_Atomic uint64_t resets;	 /* ended by an error (e.g. reset) instead of a close */
};

/* Per file slot (struct file_view, pipeline/published.h), reset when the slot is reused.
 * Written by the ingest thread. */
struct file_stats {
	_Atomic uint64_t bytes;
	_Atomic uint64_t offset; /* next byte to read */
	_Atomic uint64_t size;	 /* file size last seen */
	_Atomic uint64_t inode;
	_Atomic uint64_t truncations;
	_Atomic uint64_t errors;
	_Atomic uint64_t last_read_ms;
	_Atomic uint64_t lines_truncated; /* cut by the framer */
	_Atomic uint64_t bytes_discarded;
};

/* Written by one worker thread each. */
struct worker_stats {
	_Atomic uint64_t records;
	_Atomic uint64_t bytes;
	_Atomic uint64_t batches;
	/* Records scanned, and records longer than max_line that arrived whole
	 * and were cut while scanning (ingest counts its own cuts), per source
	 * ([nsources]) and per file slot ([max_files]). */
	_Atomic uint64_t *src_records;
	_Atomic uint64_t *src_lines_truncated;
	_Atomic uint64_t *src_bytes_discarded;
	/* format: syslog records whose header did not parse (pattern/syslog.h:
	 * parse_error), per source; they are still matched as raw text. */
	_Atomic uint64_t *src_parse_errors;
	/* Records no rule counted, per source. */
	_Atomic uint64_t *src_unmatched;
	/* Records an event-time rule counted that carried no timestamp weir
	 * could read (counted at their arrival instead), per source. */
	_Atomic uint64_t *src_no_timestamp;
	_Atomic uint64_t *file_records;
	_Atomic uint64_t *file_lines_truncated;
	_Atomic uint64_t *file_bytes_discarded;
};

/* Written by the ingest thread. */
struct ingest_stats {
	_Atomic uint64_t batches;	/* batches handed to workers */
	_Atomic uint64_t backpressure;	/* times a full ring or empty pool paused reading */
	_Atomic uint64_t files_refused; /* files found beyond tuning.max_files */
	_Atomic uint64_t checkpoints;	/* checkpoint barriers sent */
};

#endif
