/*
 * metrics_text.h - the bodies of GET /metrics (Prometheus text exposition
 * format 0.0.4) and GET /api/v1/stats (JSON), rendered once per tick by the
 * aggregator into the snapshot it is about to publish.
 *
 * Runs on the aggregator thread only. Reads the aggregator's core, the
 * snapshot's own numbers, the pipeline's stats and rings (relaxed, see
 * pipeline/stats.h), jemalloc's statistics (when jemalloc is the allocator)
 * and /proc/self. Owns nothing but its throughput history; the bodies it
 * makes belong to the snapshot (freed in snap_release).
 */
#ifndef WEIR_METRICS_TEXT_H
#define WEIR_METRICS_TEXT_H

#include <stdbool.h>
#include <stdint.h>

struct agg_core;
struct cfg;
struct pipeline;
struct snapshot;
struct tiers_acc;

/* What metrics_render keeps between ticks: the last ticks' (time, records,
 * bytes), for throughput over the last tick and the last 10 s (tick_ms is
 * at least 100, so 128 samples hold 12.8 s), and the boot time. A zeroed
 * struct is empty. */
#define METRICS_HIST 128
struct metrics_hist {
	struct metrics_sample {
		int64_t ms;
		uint64_t records, bytes;
	} h[METRICS_HIST];
	uint32_t n, next;
	uint64_t boot_s; /* btime of /proc/stat, read once; 0 until then */
};

/*
 * Render s->metrics and s->stats_json, and add s's (time, records, bytes)
 * to hist. s: the snapshot being built (its totals, windows, ingest
 * counters and wextra are read). On ENOMEM a body is left NULL (its route
 * then answers 503). Does nothing for `weir scan`, which serves no HTTP.
 */
void metrics_render(struct metrics_hist *hist, /* the aggregator's, between ticks */
		    struct pipeline *p,	       /* stats, sources, rings, start time */
		    const struct cfg *rcfg,    /* the rules' config (changes on reload) */
		    const struct agg_core *c,  /* per-rule totals, late/too_old/future */
		    uint64_t checkpoints,      /* written by the aggregator */
		    uint64_t checkpoint_errors, struct snapshot *s);

/*
 * From the window extras callback: record rule r's window w (its value
 * count, sum and quantiles when value, its distinct estimate when
 * distinct) into s->wextra, so /metrics shows the numbers the JSON shows.
 */
void metrics_record_window(struct snapshot *s, uint32_t r, uint32_t w, const struct tiers_acc *acc,
			   bool value, bool distinct);

#endif
