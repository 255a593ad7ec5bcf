/*
 * delta_json.h - what changed from one snapshot to the next, as one line of
 * JSON: the data of a tick event of GET /api/v1/stream (http/sse.c).
 *
 *   {"seq":N,"time":"...Z","time_ms":T,
 *    "ingest":{"records":R,"bytes":B, ...},
 *    "observed_s":{"10s":10,"1m":41},
 *    "rules":[{"name":"x","total":7,"windows":{"10s":2,"1m":7}}, ...]}
 *
 * "ingest" always holds records and bytes, and each other counter the
 * snapshot struct carries (lines_truncated, unmatched, parse_errors,
 * aggregate_bytes) when it changed. "observed_s" is every window's, every
 * tick (a rate is count / observed_s; see aggregate/observed.h). "rules" holds, in rule order, the
 * rules whose total or any window count changed, each with all its window counts. "all_rules":true
 * says "rules" lists every rule: the first delta, and the first after a reload (the rule set may
 * have changed), so a client replaces its list instead of merging by name.
 *
 * Ownership: the aggregator owns its struct delta_prev and is the only
 * thread that touches it; the rendered text belongs to the snapshot.
 */
#ifndef WEIR_DELTA_JSON_H
#define WEIR_DELTA_JSON_H

#include <stdint.h>

struct cfg;
struct snapshot;

#define DELTA_NINGEST 6

/* The previous snapshot's counts. A zeroed struct is valid: no previous. */
struct delta_prev {
	uint64_t seq;	    /* the snapshot described; 0: none */
	uint64_t rules_gen; /* the rules generation the counts are of */
	uint32_t nrules, nwindows;
	uint64_t *totals;  /* [nrules] */
	uint64_t *windows; /* [nwindows * nrules], window-major as in the snapshot */
	uint64_t ingest[DELTA_NINGEST];
};

/*
 * Render s's delta against prev into s->delta_json / delta_len (left NULL on
 * ENOMEM), then make prev describe s.
 *   prev:      OUT: the aggregator's bookkeeping
 *   s:         the snapshot being built (seq, time, counts filled in)
 *   rules:     the config the rule names come from (s->nrules of them)
 *   cfg:       the config the window lengths come from (s->nwindows)
 *   rules_gen: changes when the rule set may have (the reloads applied)
 */
void delta_render(struct delta_prev *prev, struct snapshot *s, const struct cfg *rules,
		  const struct cfg *cfg, uint64_t rules_gen);
/* Free prev's arrays and zero it. */
void delta_prev_free(struct delta_prev *prev);

#endif
