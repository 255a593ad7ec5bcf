/*
 * run.h - build, start, stop and reload the threads of weir.
 *
 * Owns: the shared tables (struct pipeline, pipeline/pipeline.h), the
 * per-thread objects (ingest, workers, aggregator, demo writer) and their
 * thread handles, and the rule sets reloads replaced. Borrows the config
 * and the pattern database it was built with, which must outlive it.
 */
#ifndef WEIR_RUN_H
#define WEIR_RUN_H

#include "pipeline/pipeline.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct pat_db;
struct snap_store;
struct aggregator;
struct tz_zone;

struct run_opts {
	bool scan;		  /* read the given files once and finish */
	const char *const *files; /* scan: the files */
	size_t nfiles;
	uint32_t workers;		 /* 0: from cfg, else one per core */
	uint8_t scan_format;		 /* scan: enum cfg_format of the files */
	uint8_t scan_time;		 /* scan: enum cfg_time of the files (0: arrival) */
	const struct tz_zone *scan_zone; /* scan: their timezone (borrowed; NULL: UTC) */
};

struct run {
	struct pipeline p; /* what the threads share */
	struct ingest *ingest;
	struct worker **workers; /* [p.nworkers] */
	struct aggregator *agg;
	struct demo *demo;
	pthread_t ingest_thread, agg_thread;
	pthread_t *worker_threads; /* [p.nworkers] */
	bool started;
	/* Reloads, asked by run_reload (the HTTP or signal thread). */
	pthread_mutex_t reload_lock;
	uint64_t reloads_asked;	   /* under reload_lock */
	struct ruleset *rules_cur; /* the last reload's (NULL: the original cfg and db) */
};

/* Build every part; nothing runs yet. 0 or -errno (message logged). */
int run_new(const struct cfg *cfg, const struct pat_db *db, const struct run_opts *opts,
	    struct run **out);
/* Start the threads (named weir-ingest, weir-worker-N, weir-agg). 0 or -errno. */
int run_start(struct run *r);
/* Ask ingest to stop reading (async-signal-unsafe; call from a thread). */
void run_stop(struct run *r);
/* Wait for every thread to finish (scan: until all files are read). */
void run_join(struct run *r);
void run_free(struct run *r);

/* The snapshots the aggregator publishes (for the HTTP server). */
struct snap_store *run_store(struct run *r);

/*
 * Switch to the rules of cfg and db (both taken over, also on failure)
 * at one cut in the input: every record before it is counted by the old
 * rules, every record after by the new, none twice. Rules whose name and
 * definition are unchanged keep their history. Waits for the switch (at
 * most timeout_ms). 0, or -errno (message logged).
 */
int run_reload(struct run *r, struct cfg *cfg, struct pat_db *db, int timeout_ms);

#endif
