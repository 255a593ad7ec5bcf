/* take.c - agg_core_take: placing what the workers counted (see aggcore.h). */
#include "aggregate/aggcore.h"

#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"
#include "aggregate/pane.h"
#include "aggregate/topk.h"
#include "pattern/pattern.h"

#include <string.h>

enum place { PLACE_ON_TIME, PLACE_LATE, PLACE_TOO_OLD, PLACE_FUTURE };

/* Where a match at second sec goes, judged at now: future ones beyond
 * max_future and those older than every tier are not placed; those behind
 * the watermark (newest second placed - lateness) are late but placed. */
static enum place classify(struct agg_core *c, int64_t sec, int64_t now)
{
	if (sec > now + (int64_t)c->max_future_s)
		return PLACE_FUTURE;
	if (!tiers_retained(&c->tiers, sec, now))
		return PLACE_TOO_OLD;
	/* data placed before the run began: the windows hold it, so they
	 * count as watched from there (observed.h) */
	if (sec < c->run_from)
		c->run_from = sec;
	if (c->max_sec == INT64_MIN || sec > c->max_sec) {
		c->max_sec = sec;
		return PLACE_ON_TIME;
	}
	return sec < c->max_sec - (int64_t)c->lateness_s ? PLACE_LATE : PLACE_ON_TIME;
}

/* n matches of rule r at sec: counted, and placed unless too old or future. */
static void count_at(struct agg_core *c, uint32_t r, int64_t sec, int64_t now, uint64_t n,
		     enum place pl)
{
	struct agg_rule *ar = &c->rules[r];

	ar->total += n;
	switch (pl) {
	case PLACE_FUTURE:
		ar->future += n;
		c->future += n;
		return;
	case PLACE_TOO_OLD:
		ar->too_old += n;
		c->too_old += n;
		return;
	case PLACE_LATE:
		ar->late += n;
		c->late += n;
		break;
	case PLACE_ON_TIME:
		break;
	}
	tiers_add_count(&c->tiers, sec, now, r, n);
}

static void take_counts(struct agg_core *c, const struct pane *pn, int64_t now)
{
	enum place pl = classify(c, pn->sec, now);
	uint32_t r, n = c->nrules < pn->nrules ? c->nrules : pn->nrules;

	/* The whole row at once (panes are sized for the rules they count:
	 * a reload switches both at one cut, so the sizes agree). */
	if (pl == PLACE_ON_TIME && pn->nrules == c->nrules) {
		for (r = 0; r < n; r++)
			c->rules[r].total += pn->counts[r];
		tiers_add_counts(&c->tiers, pn->sec, now, pn->counts);
		return;
	}
	for (r = 0; r < n; r++)
		if (pn->counts[r])
			count_at(c, r, pn->sec, now, pn->counts[r], pl);
}

/* Feed one pane's observations into the rules' tiers and sketches. */
static void take_obs(struct agg_core *c, const struct pane *pn, int64_t now)
{
	uint32_t off = 0;

	while (off + sizeof(struct pane_obs) <= pn->obs_len) {
		struct pane_obs o;
		const char *key = (const char *)pn->obs + off + sizeof(o);
		int64_t sec;
		struct agg_rule *ar;
		enum place pl;
		int rc = 0;

		memcpy(&o, pn->obs + off, sizeof(o));
		off += pane_obs_size(o.len);
		if (o.rule >= c->nrules)
			continue;
		ar = &c->rules[o.rule];
		sec = pn->sec + o.dsec;
		if (o.kind == PAT_OBS_EXTRACT) {
			ar->extract_n += o.n;
			ar->extract_ns += (uint64_t)o.v;
			continue;
		}
		if (o.kind == PAT_OBS_LIMIT || o.kind == PAT_OBS_MISSING) {
			*(o.kind == PAT_OBS_LIMIT ? &ar->match_limit_hits : &ar->fields_missing) +=
			    o.n;
			continue;
		}
		pl = classify(c, sec, now);
		switch (o.kind) {
		case PAT_OBS_COUNT:
			count_at(c, o.rule, sec, now, o.n ? o.n : 1, pl);
			continue;
		case PAT_OBS_VALUE:
			if (ar->dds)
				dds_add(ar->dds, o.v);
			if (o.v != o.v || o.v - o.v != 0)
				continue;
			if (!ar->vn || o.v < ar->vmin)
				ar->vmin = o.v;
			if (!ar->vn || o.v > ar->vmax)
				ar->vmax = o.v;
			ar->vn++;
			ar->vsum += o.v;
			if (pl <= PLACE_LATE)
				rc = tiers_add_value(&c->tiers, sec, now, o.rule, o.v);
			break;
		case PAT_OBS_TOP:
			if (ar->top)
				topk_add(ar->top, key, o.len, 1);
			if (pl <= PLACE_LATE)
				rc = tiers_add_top(&c->tiers, sec, now, o.rule, key, o.len);
			break;
		case PAT_OBS_DISTINCT: {
			uint64_t h = hll_hash(key, o.len);

			if (ar->hll)
				hll_add_hash(ar->hll, h);
			if (pl <= PLACE_LATE)
				rc = tiers_add_distinct(&c->tiers, sec, now, o.rule, h);
			break;
		}
		}
		if (rc)
			c->sketch_oom++;
	}
}

void agg_core_take(struct agg_core *c, const struct pane *pn, int64_t now)
{
	take_counts(c, pn, now);
	c->records += pn->records;
	if (pn->obs_len)
		take_obs(c, pn, now);
}
