/*
 * snapshot.h - the immutable result of one aggregation tick, and the store
 * through which readers take the latest one.
 *
 * The aggregator builds a snapshot, renders its JSON once, and publishes it;
 * after that nobody writes to it. Readers (HTTP threads) take a reference
 * under a mutex held only for a pointer copy and a counter increment, so they
 * never block workers or the aggregator for longer than that; the last
 * reference frees the snapshot.
 */
#ifndef WEIR_SNAPSHOT_H
#define WEIR_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct snapshot {
	_Atomic uint32_t refs;
	uint64_t seq;	 /* 1, 2, ... per published snapshot */
	int64_t time_ms; /* the tick it describes */
	uint32_t nrules;
	uint32_t nwindows;
	uint64_t *totals;  /* [nrules] since start */
	uint64_t *windows; /* [nwindows * nrules], window-major */
	uint64_t records;  /* records since start, from the same panes as totals */
	uint64_t bytes;	   /* bytes read from sources since start */
	uint64_t lines_truncated;
	/* Per rule, what it observed beyond its count (value, top, distinct,
	 * extraction cost), as JSON members ",\"value\":{...}...": rule r's
	 * are rule_extra[rule_extra_off[r] .. rule_extra_off[r + 1]). */
	char *rule_extra;
	size_t *rule_extra_off;	  /* [nrules + 1] */
	uint64_t unmatched;	  /* records no rule counted, all sources */
	uint64_t parse_errors;	  /* records their source's format could not parse */
	uint64_t aggregate_bytes; /* heap held by the pane history and its sketches */
	char *json;		  /* GET /api/v1/snapshot body */
	size_t *rule_off;	  /* [nrules + 1]: rule r's object is json[rule_off[r] ..
				     rule_off[r + 1]) (less a comma); NULL on ENOMEM */
	size_t json_len;
	char *sources_json; /* GET /api/v1/sources body */
	size_t sources_len;
};

struct snap_store {
	pthread_mutex_t mu;
	struct snapshot *cur; /* one reference held by the store */
};

/* An empty snapshot with room for the counts; refs = 1. NULL on ENOMEM. */
struct snapshot *snap_new(uint32_t nrules, uint32_t nwindows);
/* Drop one reference; the last one frees. NULL is a no-op. */
void snap_release(struct snapshot *s);

void snap_store_init(struct snap_store *st);
/* Free the current snapshot (readers must be gone). */
void snap_store_destroy(struct snap_store *st);
/* Publish s (the store takes the caller's reference) and drop the old one. */
void snap_store_publish(struct snap_store *st, struct snapshot *s);
/* The latest snapshot with a reference for the caller, or NULL if none yet. */
struct snapshot *snap_store_acquire(struct snap_store *st);

#endif
