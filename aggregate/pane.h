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

struct pane {
	int64_t sec; /* the second (epoch) these counts belong to */
	uint32_t nrules;
	uint64_t records; /* records scanned into this pane, so snapshots agree with counts */
	void *barrier;	  /* non-NULL: a checkpoint barrier (no counts), its payload */
	uint8_t *obs;	  /* PANE_OBS_CAP bytes, or NULL when the rules observe nothing */
	uint32_t obs_len;
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

#endif
