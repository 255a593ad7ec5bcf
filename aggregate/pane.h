/*
 * pane.h - one worker's counts for one second, and what its rules observed.
 *
 * A worker fills its current pane, then hands it to the aggregator through
 * its pane ring; the aggregator merges it and gives it back through the
 * pane return ring. Panes are allocated once per worker at start-up, so
 * steady state allocates nothing. One owner at a time.
 *
 * Observations (a rule's value:, top: and distinct: fields, and PCRE2
 * extraction costs) travel as records in the pane's obs buffer; when it
 * fills, the worker ships the pane and carries on in a fresh one for the
 * same second. The aggregator feeds them into its sketches.
 *
 * Samples (matched records kept for GET /api/v1/rules/{name}/samples,
 * aggregate/samples.h) ride in the pane's smp area, copied there by the
 * worker: at most smp_left[rule] per rule per pane (set when the pane is
 * taken), and no more than the area holds; what does not fit is dropped
 * (a sample, not data), never shipped early for.
 */
#ifndef WEIR_PANE_H
#define WEIR_PANE_H

#include <stdint.h>
#include <string.h>

#define PANE_OBS_CAP (64u * 1024u) /* bytes of observations per pane */
#define PANE_KEY_MAX 256u	   /* longer top/distinct values are cut to this */

/* One observation; its key bytes (len) follow, padded to 8. */
struct pane_obs {
	uint32_t rule;
	uint16_t kind; /* enum pat_obs */
	uint16_t len;  /* key bytes; PAT_OBS_EXTRACT: 0 (count is in n) */
	uint32_t n;    /* PAT_OBS_EXTRACT: extractions; PAT_OBS_COUNT: matches */
	int32_t dsec;  /* the record's second (event time) minus the pane's sec */
	double v;      /* value, or nanoseconds */
};

/* One matched record in a pane's smp area; its line (len bytes) and then
 * its key (key_len bytes) follow, padded to 8. */
struct pane_sample {
	uint64_t seq;	   /* ingest's order (batch seq << 24 | record in the batch) */
	int64_t t_ms;	   /* when the record arrived (unix ms) */
	uint32_t rule;	   /* index in the pane's rules */
	uint32_t source;   /* index into the pipeline's sources */
	uint32_t full_len; /* the record's length as the worker saw it */
	uint32_t len;	   /* line bytes kept (at most samples.line_bytes) */
	uint16_t key_len;  /* the top: key's bytes (at most PANE_KEY_MAX) */
	uint8_t has_key;   /* the rule has top: and the record its field */
	uint8_t pad[5];
};

struct pane {
	int64_t sec; /* the second (epoch) these counts belong to */
	uint32_t nrules;
	uint64_t records; /* records scanned into this pane, so snapshots agree with counts */
	void *barrier;	  /* non-NULL: a checkpoint barrier (no counts), its payload */
	uint8_t *obs;	  /* PANE_OBS_CAP bytes, or NULL when the rules observe nothing */
	uint32_t obs_len;
	uint8_t *smp_left; /* [nrules] samples each rule may still add; NULL: samples off */
	uint8_t *smp;	   /* smp_cap bytes of struct pane_sample records */
	uint32_t smp_len, smp_cap;
	uint64_t counts[]; /* per rule: records matched */
};

static inline uint32_t pane_obs_size(uint32_t len)
{
	return (uint32_t)sizeof(struct pane_obs) + ((len + 7u) & ~7u);
}

/* Append one observation. 0, or -1 when the pane has no room for it. */
static inline int pane_obs_put(struct pane *pn, const struct pane_obs *o, const char *key)
{
	uint32_t need = pane_obs_size(o->len);

	if (!pn->obs || need > PANE_OBS_CAP - pn->obs_len)
		return -1;
	memcpy(pn->obs + pn->obs_len, o, sizeof(*o));
	if (o->len)
		memcpy(pn->obs + pn->obs_len + sizeof(*o), key, o->len);
	pn->obs_len += need;
	return 0;
}

static inline uint32_t pane_sample_size(uint32_t len, uint32_t key_len)
{
	return (uint32_t)sizeof(struct pane_sample) + ((len + key_len + 7u) & ~7u);
}

/* Append one sample (h, its line and key). 0, or -1 when it does not fit. */
static inline int pane_sample_put(struct pane *pn, const struct pane_sample *h, const char *line,
				  const char *key)
{
	uint32_t need = pane_sample_size(h->len, h->key_len);
	uint8_t *at;

	if (!pn->smp || need > pn->smp_cap - pn->smp_len)
		return -1;
	at = pn->smp + pn->smp_len;
	memcpy(at, h, sizeof(*h));
	memcpy(at + sizeof(*h), line, h->len);
	if (h->key_len && key)
		memcpy(at + sizeof(*h) + h->len, key, h->key_len);
	pn->smp_len += need;
	return 0;
}

#endif
