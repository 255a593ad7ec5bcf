/*
 * pipeline.h - the threads of weir and the rings between them.
 *
 *   ingest (1) --batch rings--> workers (N) --pane rings--> aggregator (1) --> snapshot
 *        ^------return rings------'   ^--------pane return rings------'
 *
 * Owns: the rings, the wake-ups, the stats, the snapshot store, the threads
 * and the per-thread objects. Borrows the config and the pattern database,
 * which must outlive it. Every ring has one producer and one consumer
 * thread, fixed for its lifetime (see core/ring.h).
 *
 * Shutdown order: ingest stops reading and sets ingest_done after its last
 * push; each worker drains its ring, ships its last pane and leaves; the
 * aggregator merges what is left, publishes a final snapshot and leaves.
 */
#ifndef WEIR_PIPELINE_H
#define WEIR_PIPELINE_H

#include "aggregate/snapshot.h"
#include "core/clock.h"
#include "core/peer.h"
#include "core/ring.h"
#include "pipeline/stats.h"
#include "core/wake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct cfg;
struct pat_db;
struct ingest;
struct worker;
struct aggregator;
struct demo;
struct state;
struct tz_zone;

/* A configured source: what ingest looks for. Owned by the pipeline. */
struct pipe_source {
	char *name;
	char **patterns; /* paths and globs (scan: the files given) */
	uint32_t npatterns;
	char **excludes; /* fnmatch globs (borrowed from the cfg) */
	uint32_t nexcludes;
	bool start_at_end;	    /* files seen the first time: start at their end */
	bool follow;		    /* keep tailing at EOF (serve); false: read once (scan) */
	bool syslog;		    /* a syslog receiver: patterns are its listen URLs */
	uint8_t format;		    /* enum cfg_format: how workers parse each record */
	uint32_t first_listener;    /* syslog: its listeners are [first_listener, +npatterns) */
	uint32_t max_connections;   /* syslog, TCP: per listener */
	uint32_t idle_timeout_ms;   /* syslog, TCP: 0 = never */
	uint32_t flush_after_ms;    /* follow: flush a partial last line idle this long */
	uint8_t time;		    /* enum cfg_time, ARRIVAL or EVENT: the source's `time:` */
	const struct tz_zone *zone; /* `timezone:` for stamps without a zone (borrowed from
				       the cfg, pattern/tzone.h; NULL: UTC) */
};

enum file_state {
	FILE_FREE,     /* slot unused */
	FILE_OPEN,     /* being tailed */
	FILE_DRAINING, /* gone from its source's paths: read to the end, then closed */
	FILE_ERROR,    /* a path that cannot be opened; retried every second */
};

/*
 * One tailed file as other threads see it (the API). Ingest writes these
 * fields under files_lock when a file is opened, renamed, fails or closes
 * (never per record); readers copy what they need under the same lock.
 * The base_* values are the workers' per-slot counters when the slot was
 * last reused, so a file's own counts are the counters minus them.
 */
struct file_info {
	uint8_t state;	 /* enum file_state */
	uint32_t source; /* index into sources */
	char *path;	 /* owned; NULL when free */
	int err;	 /* errno of the last failure, 0 if none */
	uint64_t base_lines, base_cut_lines, base_cut_bytes;
};

/* The busiest senders of one listener, as other threads see them: ingest
 * copies its Space-Saving table here once a second, under listeners_lock. */
#define LISTENER_TOP_PUB 10
struct listener_top {
	struct peer_count e[LISTENER_TOP_PUB];
	uint32_t n;
	uint64_t total; /* messages counted, for the error bound total / PEER_TOP_K */
};

/*
 * A rule set a reload switches to (pipeline_reload). Everything the
 * threads need for it is made ready before the switch, so the switch
 * itself allocates nothing and cannot fail.
 */
struct ruleset {
	struct cfg *cfg;   /* owned: where the rules come from */
	struct pat_db *db; /* owned */
	uint32_t nrules;
	uint64_t gen;		       /* 1, 2, ... in the order reloads were asked */
	_Atomic uint32_t switched;     /* workers that have taken theirs */
	struct pat_scanner **scanners; /* [nworkers]: each worker takes its own */
	struct pane ***panes;	       /* [nworkers][WORKER_PANES] */
	void *agg;		       /* the aggregator's new tables (aggregator.c) */
	struct ruleset *prev;	       /* the one it replaced (freed by the next reload) */
};

struct pipe_opts {
	bool scan;		  /* read the given files once and finish */
	const char *const *files; /* scan: the files */
	size_t nfiles;
	uint32_t workers;		 /* 0: from cfg, else one per core */
	uint8_t scan_format;		 /* scan: enum cfg_format of the files */
	uint8_t scan_time;		 /* scan: enum cfg_time of the files (0: arrival) */
	const struct tz_zone *scan_zone; /* scan: their timezone (borrowed; NULL: UTC) */
};

/* The last records of a source that no rule counted (at most one per
 * batch is taken), for GET /api/v1/sources. Written by workers under
 * unmatched_lock once per batch that had one; read by the aggregator. */
#define UNMATCHED_KEEP 10
#define UNMATCHED_TEXT 512 /* bytes kept of each; longer ones are cut */
struct unmatched_recent {
	char text[UNMATCHED_KEEP][UNMATCHED_TEXT];
	uint32_t len[UNMATCHED_KEEP];
	uint32_t full_len[UNMATCHED_KEEP];
	uint32_t next, n;
};

struct pipeline {
	const struct cfg *cfg;	 /* borrowed */
	const struct pat_db *db; /* borrowed */
	uint32_t nworkers;
	uint32_t nrules;
	uint32_t nbatches; /* batches in the pool */
	bool scan;
	struct pipe_source *sources;
	uint32_t nsources;

	struct ring *batch_rings;  /* [nworkers] ingest -> worker */
	struct ring *return_rings; /* [nworkers] worker -> ingest */
	struct ring *pane_rings;   /* [nworkers] worker -> aggregator */
	struct ring *pane_returns; /* [nworkers] aggregator -> worker */
	struct wake *worker_wakes; /* [nworkers] */
	struct wake agg_wake;	   /* workers signal it when they leave */

	struct source_stats *source_stats; /* [nsources] */
	struct worker_stats *worker_stats; /* [nworkers] */
	uint32_t max_files;		   /* file slots */
	struct file_info *files;	   /* [max_files], under files_lock */
	struct file_stats *file_stats;	   /* [max_files] */
	pthread_mutex_t files_lock;
	bool files_lock_ok;
	/* Syslog listeners, every source's in order (see pipe_source). */
	uint32_t nlisteners;
	struct listener_stats *listener_stats; /* [nlisteners] */
	struct listener_top *listener_top;     /* [nlisteners], under listeners_lock */
	struct unmatched_recent *unmatched;    /* [nsources], under unmatched_lock */
	pthread_mutex_t unmatched_lock;
	bool unmatched_lock_ok;
	pthread_mutex_t listeners_lock;
	bool listeners_lock_ok;
	struct state
	    *restored; /* what state_load found (NULL: fresh); taken by ingest/aggregator */
	bool durable;  /* checkpoints are written to cfg->state_dir */
	struct ingest_stats ingest_stats;
	struct snap_store store;
	int64_t start_ms;

	_Atomic bool ingest_done; /* set by ingest after its last push */
	/* Reload: pipeline_reload() sets reload_req; ingest sends it through
	 * the rings as a barrier; the aggregator counts it applied. */
	_Atomic(struct ruleset *) reload_req;
	_Atomic uint64_t reloads_applied;
	uint64_t reloads_asked; /* by pipeline_reload, under reload_lock */
	pthread_mutex_t reload_lock;
	struct ruleset *rules_cur;	  /* the last reload's (NULL: the original cfg and db) */
	_Atomic uint32_t workers_running; /* decremented by each worker on exit */

	struct ingest *ingest;
	struct worker **workers;
	struct aggregator *agg;
	struct demo *demo;
	pthread_t ingest_thread, agg_thread;
	pthread_t *worker_threads;
	bool started;
};

/* Build every part; nothing runs yet. 0 or -errno (message logged). */
int pipeline_new(const struct cfg *cfg, const struct pat_db *db, const struct pipe_opts *opts,
		 struct pipeline **out);
/* Start the threads. 0 or -errno. */
int pipeline_start(struct pipeline *p);
/* Ask ingest to stop reading (async-signal-unsafe; call from a thread). */
void pipeline_stop(struct pipeline *p);
/* Wait for every thread to finish (scan: until all files are read). */
void pipeline_join(struct pipeline *p);
void pipeline_free(struct pipeline *p);

/*
 * Switch to the rules of cfg and db (both taken over, also on failure)
 * at one cut in the input: every record before it is counted by the old
 * rules, every record after by the new, none twice. Rules whose name and
 * definition are unchanged keep their history. Waits for the switch (at
 * most timeout_ms). 0, or -errno (message logged).
 */
int pipeline_reload(struct pipeline *p, struct cfg *cfg, struct pat_db *db, int timeout_ms);

#endif
