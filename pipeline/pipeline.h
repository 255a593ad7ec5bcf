/*
 * pipeline.h - what the threads of weir share, and who writes what.
 *
 *   ingest (1) --batch rings--> workers (N) --pane rings--> aggregator (1) --> snapshot
 *        ^------return rings------'   ^--------pane return rings------'
 *
 * app/run.c fills a struct pipeline before any thread starts and frees it
 * after every thread has left; the threads themselves (their handles and
 * objects) stay with app/run.c. Apart from the rings, the counters and the
 * published tables below, no thread touches another's mutable state, and
 * no lock is shared between threads.
 *
 * Each group below names its writer and readers:
 *  - set up:    app/run.c before start; read-only afterwards, read by all.
 *  - rings:     each ring has one producer and one consumer thread, fixed
 *               for its lifetime (core/ring.h), named on the field.
 *  - counters:  pipeline/stats.h; each struct names its one writer thread;
 *               the aggregator reads them for snapshots.
 *  - published: pipeline/published.h; one writer, the aggregator reads.
 *  - control:   flags and hand-offs, each written as its comment says.
 *
 * Shutdown order: ingest stops reading and sets ingest_done after its last
 * push; each worker drains its ring, ships its last pane and leaves; the
 * aggregator merges what is left, publishes a final snapshot and leaves.
 */
#ifndef WEIR_PIPELINE_H
#define WEIR_PIPELINE_H

#include "core/mailbox.h"
#include "core/ring.h"
#include "core/tribuf.h"
#include "core/wake.h"
#include "pipeline/published.h"
#include "pipeline/ruleset.h"
#include "pipeline/source.h"
#include "pipeline/stats.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct cfg;
struct pat_db;
struct state;

struct pipeline {
	/* --- set up --- */
	const struct cfg *cfg;	 /* borrowed; a reload's rules travel in a ruleset */
	const struct pat_db *db; /* borrowed */
	uint32_t nworkers;
	uint32_t nrules;
	uint32_t nbatches; /* batches in the pool */
	bool scan;	   /* `weir scan`: read the files once and finish */
	bool durable;	   /* checkpoints are written to cfg->state_dir */
	int64_t start_ms;
	struct pipe_source *sources; /* [nsources] */
	uint32_t nsources;
	uint32_t max_files;	/* file slots */
	uint32_t nlisteners;	/* syslog listeners, every source's in order */
	struct state *restored; /* what the last run saved (NULL: fresh); ingest takes the
				   files, the aggregator the aggregates, at start */

	/* --- rings (producer -> consumer) --- */
	struct ring *batch_rings;  /* [nworkers] ingest -> worker */
	struct ring *return_rings; /* [nworkers] worker -> ingest */
	struct ring *pane_rings;   /* [nworkers] worker -> aggregator */
	struct ring *pane_returns; /* [nworkers] aggregator -> worker */
	struct wake *worker_wakes; /* [nworkers]: ingest wakes a worker it gave work */
	struct wake agg_wake;	   /* workers wake the aggregator (a barrier, leaving) */

	/* --- counters (pipeline/stats.h) --- */
	struct ingest_stats ingest_stats;      /* ingest */
	struct source_stats *source_stats;     /* [nsources] ingest */
	struct listener_stats *listener_stats; /* [nlisteners] ingest */
	struct file_stats *file_stats;	       /* [max_files] ingest */
	struct worker_stats *worker_stats;     /* [nworkers] each its worker */

	/* --- published (pipeline/published.h) --- */
	struct tribuf files_pub;   /* ingest -> aggregator: struct files_table */
	struct tribuf peers_pub;   /* ingest -> aggregator: struct listener_top[nlisteners] */
	struct mailbox *unmatched; /* [nworkers] worker -> aggregator: unmatched_sample */

	/* --- control --- */
	_Atomic bool ingest_done;	  /* ingest, after its last push; workers read */
	_Atomic uint32_t workers_running; /* each worker decrements it on leaving */
	/* A reload: app/run.c stores it, ingest takes it (exchange) and sends it
	 * through the rings as a barrier, the aggregator counts it applied. */
	_Atomic(struct ruleset *) reload_req;
	_Atomic uint64_t reloads_applied;
};

/* Worker i's rings (batches, returns, panes, pane returns), mailbox and
 * counters; the arrays that hold them are allocated. 0 or -errno.
 * pipe_worker_destroy frees what was made (also after a failure). */
int pipe_worker_init(struct pipeline *p, uint32_t i, uint32_t ring_batches, uint32_t panes);
void pipe_worker_destroy(struct pipeline *p, uint32_t i);

/* The file table's slots: n views and paths of files in use (ingest). */
int pipe_files_pub_init(struct pipeline *p);
void pipe_files_pub_destroy(struct pipeline *p);

#endif
