/*
 * snapshot.h - the immutable result of one aggregation tick, and the store
 * through which readers take the latest one.
 *
 * The aggregator builds a snapshot, renders its JSON once, and publishes it;
 * after that nobody writes to it. Readers (HTTP threads) take a reference
 * without a lock (snap_store_acquire), so a reader descheduled at any point
 * never holds up the aggregator; the last reference frees the snapshot. A thread that follows every
 * tick (the event stream, http/sse.c) sleeps in snap_store_wait() until the next publish and takes
 * each new snapshot with snap_store_next(); the store keeps the few it has not taken yet, so a
 * follower that lags a few ticks misses none.
 */
#ifndef WEIR_SNAPSHOT_H
#define WEIR_SNAPSHOT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct smp_pub;

#define SNAP_NQUANTILES 4 /* p50, p90, p99, p999 (aggregator.c's quantiles[]) */

/* One window of a value: or distinct: rule, as the aggregator merged it for
 * the JSON; the metrics render from the same numbers. */
struct snap_wextra {
	uint64_t vn; /* values in the window */
	double vsum;
	double q[SNAP_NQUANTILES]; /* valid when have_q */
	uint64_t distinct;	   /* estimate; valid when have_distinct */
	bool have_q;		   /* the window's tier keeps quantiles and saw a value */
	bool have_distinct;	   /* the window's tier keeps distinct sketches */
};

/* A window's top list inside the snapshot's JSON, for GET /api/v1/top. */
struct snap_top {
	uint64_t total, bound;
	uint32_t n;	  /* items shown */
	size_t *item_off; /* [n + 1]: item i is json[item_off[i] .. item_off[i + 1]) less a
			     comma; item_off[n] ends the last (NULL: not a top rule) */
};

/* The bodies a snapshot carries whole, for the HTTP server's compressed
 * copies (gz below). */
enum snap_body {
	SNAP_BODY_SNAPSHOT,
	SNAP_BODY_SOURCES,
	SNAP_BODY_METRICS,
	SNAP_BODY_STATS,
	SNAP_NBODIES
};

/* A body's gzip-compressed copy. */
struct snap_blob {
	size_t len;
	unsigned char data[];
};

struct snapshot {
	_Atomic uint32_t refs;
	uint64_t seq;	 /* 1, 2, ... per published snapshot */
	int64_t time_ms; /* the tick it describes */
	uint32_t nrules;
	uint32_t nwindows;
	uint64_t *totals;  /* [nrules] since start */
	uint64_t *windows; /* [nwindows * nrules], window-major */
	/* [nwindows]: of the seconds each window covers (its span_s), how many
	 * weir watched (aggregate/observed.h); a window's rate is its count
	 * divided by this. */
	uint32_t *observed;
	uint64_t records; /* records since start, from the same panes as totals */
	uint64_t bytes;	  /* bytes read from sources since start */
	uint64_t lines_truncated;
	/* Per rule, what it observed beyond its count (value, top, distinct,
	 * extraction cost), as JSON members ",\"value\":{...}...": rule r's
	 * are rule_extra[rule_extra_off[r] .. rule_extra_off[r + 1]). */
	char *rule_extra;
	size_t *rule_extra_off;	  /* [nrules + 1] */
	uint64_t unmatched;	  /* records no rule counted, all sources */
	uint64_t parse_errors;	  /* records their source's format could not parse */
	uint64_t aggregate_bytes; /* heap held by the pane history and its sketches */
	/* The last checkpoint attempt of the durable state: when (unix ms; 0:
	 * none yet) and its result (0, or -errno). GET /readyz reads it. */
	int64_t checkpoint_ms;
	int checkpoint_rc;
	char *json;	  /* GET /api/v1/snapshot body */
	size_t *rule_off; /* [nrules + 1]: rule r's object is json[rule_off[r] ..
			     rule_off[r + 1]) (less a comma); NULL on ENOMEM */
	size_t
	    *win_off;	       /* [nrules * nwindows * 2]: rule r's window w object ({...}, after
				  its key) is json[win_off[2i] .. win_off[2i + 1]), i = r * nwindows + w */
	struct snap_top *tops; /* [nrules * nwindows], i as above */
	size_t json_len;
	char *sources_json; /* GET /api/v1/sources body */
	size_t sources_len;
	/* What changed since the previous snapshot, one line of JSON without
	 * a newline (aggregate/delta_json.h); NULL on ENOMEM. */
	char *delta_json;
	size_t delta_len;
	/* [nrules * nwindows], rule-major: rule r's window w is
	 * wextra[r * nwindows + w]; filled for rules with value: or distinct:
	 * only. NULL until snap_wextra() first asks (or on ENOMEM). */
	struct snap_wextra *wextra;
	char *metrics; /* GET /metrics body (Prometheus text 0.0.4); NULL on ENOMEM */
	size_t metrics_len;
	char *stats_json; /* GET /api/v1/stats body; NULL on ENOMEM */
	size_t stats_len;
	/* Each rule's recent matched records (aggregate/samples.h), a
	 * reference; NULL on ENOMEM. GET /api/v1/rules/{name}/samples. */
	struct smp_pub *samples;
	/* The one exception to "nobody writes after publish": the HTTP server
	 * compresses a body the first time a client that takes gzip asks for
	 * it (http/cached.c) and keeps it here, set once by compare-and-swap,
	 * freed with the snapshot. NULL until then. */
	_Atomic(struct snap_blob *) gz[SNAP_NBODIES];
};

#define SNAP_BACKLOG 16 /* snapshots kept for a lagging follower */
#define SNAP_RETIRED 64 /* replaced snapshots a stalled reader may still be taking */

struct snap_store {
	pthread_mutex_t mu;		/* publish and the follower; never snap_store_acquire */
	_Atomic(struct snapshot *) cur; /* one reference held by the store */
	_Atomic uint32_t readers;	/* in snap_store_acquire right now */
	struct snapshot *retired[SNAP_RETIRED]; /* replaced, the store's reference kept; under mu */
	unsigned nretired;
	pthread_cond_t cond; /* broadcast on publish and on snap_store_wake() */
	bool woken;	     /* a snap_store_wake() not yet seen by a wait, under mu */
	/* While a follower is registered (snap_store_next): the snapshots
	 * published after the last it took, oldest first, a reference each. */
	bool following;
	unsigned nbacklog;
	struct snapshot *backlog[SNAP_BACKLOG];
};

/* An empty snapshot with room for the counts; refs = 1. NULL on ENOMEM. */
struct snapshot *snap_new(uint32_t nrules, uint32_t nwindows);
/* Drop one reference; the last one frees. NULL is a no-op. */
void snap_release(struct snapshot *s);
/* While building s: rule r's window w in s->wextra, allocating the array
 * (zeroed) on first use. NULL on ENOMEM (the numbers are then left out). */
struct snap_wextra *snap_wextra(struct snapshot *s, uint32_t r, uint32_t w);

struct strbuf;
/* Open a JSON document about s: `{"seq":N,"time":"...","time_ms":N` (no
 * seq when with_seq is false). Every per-tick body starts this way. */
void snap_json_open(struct strbuf *sb, const struct snapshot *s, bool with_seq);

void snap_store_init(struct snap_store *st);
/* Free the current snapshot (readers must be gone). */
void snap_store_destroy(struct snap_store *st);
/* Publish s (the store takes the caller's reference) and drop the old one. */
void snap_store_publish(struct snap_store *st, struct snapshot *s);
/* The latest snapshot with a reference for the caller, or NULL if none yet. */
struct snapshot *snap_store_acquire(struct snap_store *st);
/*
 * Block until the latest snapshot's seq is not after_seq (0: none yet),
 * snap_store_wake() was called, or timeout_ms (CLOCK_MONOTONIC) passed.
 * Returns the latest seq, 0 if none. A wake made while nobody waits is
 * kept for the next wait, so it cannot be lost between a caller's check of
 * its own stop flag and its wait; meant for one waiting thread.
 */
uint64_t snap_store_wait(struct snap_store *st, uint64_t after_seq, int timeout_ms);
/* Make the current (or the next) snap_store_wait() return now. */
void snap_store_wake(struct snap_store *st);
/*
 * For the one follower: the snapshot published right after after_seq, with
 * a reference for the caller, or the oldest one still kept if that one
 * was dropped (more than SNAP_BACKLOG behind; the seq then jumps), or NULL
 * if none is newer than after_seq. The first call registers the follower:
 * from then on every published snapshot is kept until a call with an
 * after_seq at or past its seq (or snap_store_unfollow), SNAP_BACKLOG at most.
 */
struct snapshot *snap_store_next(struct snap_store *st, uint64_t after_seq);
/* The follower is gone: keep nothing more for it. */
void snap_store_unfollow(struct snap_store *st);

#endif
