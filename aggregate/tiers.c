/* tiers.c - see tiers.h. */
#include "aggregate/tiers.h"

#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"
#include "aggregate/psketch.h"
#include "aggregate/topk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t tier_step[TIERS_N] = {1, 60, 3600};
static const uint32_t tier_slots[TIERS_N] = {900, 1440, 720};

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static uint32_t slot_of(const struct tier *t, int64_t idx)
{
	int64_t m = idx % (int64_t)t->nslots;

	return (uint32_t)(m < 0 ? m + t->nslots : m);
}

static void cell_clear(struct tier_cell *c)
{
	pdds_free(c->dds);
	phll_free(c->hll);
	if (c->top) {
		topk_free(c->top);
		free(c->top);
	}
	memset(c, 0, sizeof(*c));
}

void tiers_destroy(struct tiers *ts)
{
	for (int i = 0; i < TIERS_N; i++) {
		struct tier *t = &ts->t[i];

		for (uint32_t r = 0; t->cells && r < ts->nrules; r++) {
			if (!t->cells[r])
				continue;
			for (uint32_t s = 0; s < t->nslots; s++)
				cell_clear(&t->cells[r][s]);
			free(t->cells[r]);
		}
		free(t->cells);
		free(t->slot_idx);
		free(t->counts);
	}
	free(ts->want);
	free(ts->top_cap);
	memset(ts, 0, sizeof(*ts));
}

int tiers_init(struct tiers *ts, uint32_t nrules, const uint8_t *want, const uint32_t *top_cap)
{
	memset(ts, 0, sizeof(*ts));
	ts->nrules = nrules;
	ts->want = calloc(nrules + 1, 1);
	ts->top_cap = calloc(nrules + 1, sizeof(*ts->top_cap));
	if (!ts->want || !ts->top_cap)
		goto oom;
	if (nrules) {
		memcpy(ts->want, want, nrules);
		memcpy(ts->top_cap, top_cap, nrules * sizeof(*top_cap));
	}
	for (int i = 0; i < TIERS_N; i++) {
		struct tier *t = &ts->t[i];

		t->step = tier_step[i];
		t->nslots = tier_slots[i];
		t->slot_idx = malloc(sizeof(*t->slot_idx) * t->nslots);
		t->counts = calloc((size_t)t->nslots * (nrules ? nrules : 1), sizeof(*t->counts));
		t->cells = calloc(nrules + 1, sizeof(*t->cells));
		if (!t->slot_idx || !t->counts || !t->cells)
			goto oom;
		for (uint32_t s = 0; s < t->nslots; s++)
			t->slot_idx[s] = INT64_MIN;
		for (uint32_t r = 0; r < nrules; r++) {
			if (!ts->want[r])
				continue;
			/* the coarsest tier keeps value summaries only */
			if (i >= TIERS_SKETCHED && !(ts->want[r] & TIERS_VALUE))
				continue;
			t->cells[r] = calloc(t->nslots, sizeof(**t->cells));
			if (!t->cells[r])
				goto oom;
		}
	}
	return 0;
oom:
	tiers_destroy(ts);
	return -ENOMEM;
}

bool tiers_holds(const struct tiers *ts, int i, int64_t sec, int64_t now)
{
	const struct tier *t = &ts->t[i];

	return floordiv(sec, t->step) > floordiv(now, t->step) - (int64_t)t->nslots;
}

bool tiers_retained(const struct tiers *ts, int64_t sec, int64_t now)
{
	for (int i = 0; i < TIERS_N; i++)
		if (tiers_holds(ts, i, sec, now))
			return true;
	return false;
}

/* The slot of tier i ready for second sec (emptied if it held another
 * pane), or -1 if the tier no longer holds sec. */
static int64_t pane_slot(struct tiers *ts, int i, int64_t sec, int64_t now)
{
	struct tier *t = &ts->t[i];
	int64_t idx = floordiv(sec, t->step);
	uint32_t s, r;

	if (idx <= floordiv(now, t->step) - (int64_t)t->nslots)
		return -1;
	s = slot_of(t, idx);
	if (t->slot_idx[s] != idx) {
		memset(t->counts + (size_t)s * ts->nrules, 0, sizeof(*t->counts) * ts->nrules);
		for (r = 0; r < ts->nrules; r++)
			if (t->cells[r])
				cell_clear(&t->cells[r][s]);
		t->slot_idx[s] = idx;
	}
	return s;
}

void tiers_add_counts(struct tiers *ts, int64_t sec, int64_t now, const uint64_t *counts)
{
	for (int i = 0; i < TIERS_N; i++) {
		int64_t s = pane_slot(ts, i, sec, now);
		uint64_t *row;

		if (s < 0)
			continue;
		row = ts->t[i].counts + (size_t)s * ts->nrules;
		for (uint32_t r = 0; r < ts->nrules; r++)
			row[r] += counts[r];
	}
}

void tiers_add_count(struct tiers *ts, int64_t sec, int64_t now, uint32_t rule, uint64_t n)
{
	for (int i = 0; i < TIERS_N; i++) {
		int64_t s = pane_slot(ts, i, sec, now);

		if (s >= 0)
			ts->t[i].counts[(size_t)s * ts->nrules + rule] += n;
	}
}

int tiers_add_value(struct tiers *ts, int64_t sec, int64_t now, uint32_t rule, double v)
{
	int rc = 0;

	for (int i = 0; i < TIERS_N; i++) {
		struct tier_cell *c;
		int64_t s;

		if (!ts->t[i].cells[rule] || (s = pane_slot(ts, i, sec, now)) < 0)
			continue;
		c = &ts->t[i].cells[rule][s];
		if (v != v || v - v != 0)
			continue; /* NaN, infinities: not a value */
		if (!c->vn || v < c->vmin)
			c->vmin = v;
		if (!c->vn || v > c->vmax)
			c->vmax = v;
		c->vn++;
		c->vsum += v;
		if (i < TIERS_SKETCHED && pdds_add(&c->dds, v) == -ENOMEM)
			rc = -ENOMEM;
	}
	return rc;
}

int tiers_add_top(struct tiers *ts, int64_t sec, int64_t now, uint32_t rule, const char *key,
		  size_t len)
{
	int rc = 0;

	for (int i = 0; i < TIERS_SKETCHED; i++) {
		struct tier_cell *c;
		int64_t s;

		if (!ts->t[i].cells[rule] || (s = pane_slot(ts, i, sec, now)) < 0)
			continue;
		c = &ts->t[i].cells[rule][s];
		if (!c->top) {
			c->top = calloc(1, sizeof(*c->top));
			if (!c->top || topk_init(c->top, ts->top_cap[rule])) {
				free(c->top);
				c->top = NULL;
				rc = -ENOMEM;
				continue;
			}
		}
		topk_add(c->top, key, len, 1);
	}
	return rc;
}

int tiers_add_distinct(struct tiers *ts, int64_t sec, int64_t now, uint32_t rule, uint64_t hash)
{
	int rc = 0;

	for (int i = 0; i < TIERS_SKETCHED; i++) {
		int64_t s;

		if (!ts->t[i].cells[rule] || (s = pane_slot(ts, i, sec, now)) < 0)
			continue;
		if (phll_add_hash(&ts->t[i].cells[rule][s].hll, hash))
			rc = -ENOMEM;
	}
	return rc;
}

struct tiers_span tiers_window_span(const struct tiers *ts, uint32_t secs, int64_t now)
{
	struct tiers_span sp = {TIERS_N - 1, 1, 0};
	int i;

	for (i = 0; i < TIERS_N; i++)
		if ((uint64_t)secs <= (uint64_t)ts->t[i].step * ts->t[i].nslots)
			break;
	if (i == TIERS_N)
		i = TIERS_N - 1;
	sp.tier = i;
	sp.panes = secs / ts->t[i].step;
	if (!sp.panes)
		sp.panes = 1;
	if (sp.panes > ts->t[i].nslots)
		sp.panes = ts->t[i].nslots;
	/* whole panes before the current one, and the current one so far */
	sp.span_s = (sp.panes - 1) * ts->t[i].step +
		    (uint32_t)(now - floordiv(now, ts->t[i].step) * ts->t[i].step) + 1;
	return sp;
}

int64_t tiers_oldest(const struct tiers *ts, int64_t now)
{
	int64_t oldest = INT64_MAX;

	for (int i = 0; i < TIERS_N; i++) {
		const struct tier *t = &ts->t[i];

		for (uint32_t s = 0; s < t->nslots; s++) {
			int64_t sec;

			if (t->slot_idx[s] == INT64_MIN)
				continue;
			sec = t->slot_idx[s] * (int64_t)t->step;
			if (sec < oldest && tiers_holds(ts, i, sec, now))
				oldest = sec;
		}
	}
	return oldest;
}

/* The slot holding pane idx of tier t, or -1. */
static int64_t find_slot(const struct tier *t, int64_t idx)
{
	uint32_t s = slot_of(t, idx);

	return t->slot_idx[s] == idx ? (int64_t)s : -1;
}

void tiers_window_counts(const struct tiers *ts, int64_t now, const uint32_t *secs, size_t nwin,
			 uint64_t *out)
{
	size_t w = 0;
	uint32_t nr = ts->nrules;

	memset(out, 0, sizeof(*out) * nwin * nr);
	if (!nr)
		return;
	/* Windows ascend; those answered by one tier are nested: sum its panes
	 * newest first, copying the running sum forward at each window's edge. */
	while (w < nwin) {
		struct tiers_span sp = tiers_window_span(ts, secs[w], now);
		const struct tier *t = &ts->t[sp.tier];
		int64_t top = floordiv(now, t->step);
		uint64_t *run = out + w * nr;
		uint32_t age = 0;

		for (;;) {
			struct tiers_span cur = tiers_window_span(ts, secs[w], now);

			if (cur.tier != sp.tier)
				break;
			for (; age < cur.panes; age++) {
				int64_t s = find_slot(t, top - age);

				if (s < 0)
					continue;
				for (uint32_t r = 0; r < nr; r++)
					run[r] += t->counts[(size_t)s * nr + r];
			}
			if (++w >= nwin)
				break;
			memcpy(out + w * nr, run, sizeof(*run) * nr);
			run = out + w * nr;
		}
		if (w < nwin) {
			/* the next window starts a new tier: from zero */
			memset(out + w * nr, 0, sizeof(*out) * nr);
		}
	}
}

int tiers_scratch_init(struct tiers_scratch *sc, const struct tiers *ts)
{
	uint32_t cap = 0;

	memset(sc, 0, sizeof(*sc));
	for (uint32_t r = 0; r < ts->nrules; r++)
		if ((ts->want[r] & TIERS_TOP) && ts->top_cap[r] > cap)
			cap = ts->top_cap[r];
	sc->dds = malloc(sizeof(*sc->dds));
	sc->hll = malloc(sizeof(*sc->hll));
	sc->top = calloc(1, sizeof(*sc->top));
	if (!sc->dds || !sc->hll || !sc->top || (cap && topk_init(sc->top, cap))) {
		tiers_scratch_free(sc);
		return -ENOMEM;
	}
	sc->top_cap = cap;
	return 0;
}

void tiers_scratch_free(struct tiers_scratch *sc)
{
	free(sc->dds);
	free(sc->hll);
	if (sc->top) {
		topk_free(sc->top);
		free(sc->top);
	}
	memset(sc, 0, sizeof(*sc));
}

static void acc_reset(struct tiers_acc *acc, const struct tiers *ts, struct tiers_scratch *sc,
		      uint32_t rule, int tier)
{
	uint8_t want = ts->want[rule];

	memset(acc, 0, sizeof(*acc));
	if (tier >= TIERS_SKETCHED)
		return;
	if (want & TIERS_VALUE) {
		dds_reset(sc->dds);
		acc->dds = sc->dds;
	}
	if (want & TIERS_DISTINCT) {
		hll_reset(sc->hll);
		acc->hll = sc->hll;
	}
	if ((want & TIERS_TOP) && sc->top_cap) {
		/* a table with this rule's k, so its bound is the rule's own */
		if (sc->top->k != ts->top_cap[rule]) {
			topk_free(sc->top);
			if (topk_init(sc->top, ts->top_cap[rule]))
				return;
		}
		topk_reset(sc->top);
		acc->top = sc->top;
	}
}

static void acc_add(struct tiers_acc *acc, const struct tier_cell *c)
{
	if (c->vn) {
		if (!acc->vn || c->vmin < acc->vmin)
			acc->vmin = c->vmin;
		if (!acc->vn || c->vmax > acc->vmax)
			acc->vmax = c->vmax;
		acc->vn += c->vn;
		acc->vsum += c->vsum;
	}
	if (acc->dds && c->dds)
		pdds_merge_into(acc->dds, c->dds);
	if (acc->hll && c->hll)
		phll_merge_into(acc->hll, c->hll);
	if (acc->top && c->top)
		topk_merge(acc->top, c->top);
}

void tiers_window_extras(const struct tiers *ts, struct tiers_scratch *sc, int64_t now,
			 const uint32_t *secs, size_t nwin, uint32_t rule, tiers_emit_fn fn,
			 void *arg)
{
	struct tiers_acc acc;
	size_t w = 0;

	while (w < nwin) {
		struct tiers_span sp = tiers_window_span(ts, secs[w], now);
		const struct tier *t = &ts->t[sp.tier];
		const struct tier_cell *cells = t->cells[rule];
		int64_t top = floordiv(now, t->step);
		uint32_t age = 0;

		acc_reset(&acc, ts, sc, rule, sp.tier);
		for (; w < nwin; w++) {
			struct tiers_span cur = tiers_window_span(ts, secs[w], now);

			if (cur.tier != sp.tier)
				break;
			for (; cells && age < cur.panes; age++) {
				int64_t s = find_slot(t, top - age);

				if (s >= 0)
					acc_add(&acc, &cells[s]);
			}
			fn(arg, (uint32_t)w, &acc);
		}
	}
}

uint32_t tiers_series(const struct tiers *ts, uint32_t rule, int64_t now, uint32_t range_s,
		      uint32_t step_s, int64_t *t_out, uint64_t *c_out, uint32_t cap,
		      uint32_t *step_used)
{
	const struct tier *t = NULL;
	int64_t first, last, b, lo, hi;
	uint32_t n = 0;
	int i;

	*step_used = 0;
	if (!range_s || rule >= ts->nrules)
		return 0;
	if (!step_s)
		step_s = 1;
	for (i = 0; i < TIERS_N; i++) {
		const struct tier *c = &ts->t[i];

		if ((uint64_t)range_s > (uint64_t)c->step * c->nslots)
			continue;
		if (step_s < c->step)
			step_s = c->step;
		if (step_s % c->step == 0) {
			t = c;
			break;
		}
	}
	if (!t)
		return 0;
	*step_used = step_s;
	last = floordiv(now, step_s) * step_s;
	first = floordiv(now - (int64_t)range_s + 1, step_s) * step_s;
	/* stay inside what the tier holds */
	while (first <= now && !tiers_holds(ts, (int)(t - ts->t), first, now) && first < last)
		first += step_s;
	/* The panes a slot can hold: from the oldest held to the furthest a
	 * record from the future may have placed. Visiting only those bounds
	 * a bucket's cost by the tier's slots, however long the step. */
	lo = floordiv(now, t->step) - (int64_t)t->nslots + 1;
	hi = floordiv(now, t->step) + (int64_t)t->nslots;
	for (b = first; b <= last && n < cap; b += step_s, n++) {
		int64_t from = floordiv(b, t->step), to = floordiv(b + step_s, t->step);
		uint64_t sum = 0;

		for (int64_t idx = from < lo ? lo : from; idx < (to > hi ? hi : to); idx++) {
			int64_t s = find_slot(t, idx);

			if (s >= 0)
				sum += t->counts[(size_t)s * ts->nrules + rule];
		}
		t_out[n] = b;
		c_out[n] = sum;
	}
	return n;
}

void tiers_copy_slots(struct tiers *dst, const struct tiers *src)
{
	for (int i = 0; i < TIERS_N; i++)
		memcpy(dst->t[i].slot_idx, src->t[i].slot_idx,
		       sizeof(*dst->t[i].slot_idx) * dst->t[i].nslots);
}

void tiers_take_rule(struct tiers *dst, uint32_t to, struct tiers *src, uint32_t from)
{
	for (int i = 0; i < TIERS_N; i++) {
		struct tier *d = &dst->t[i], *s = &src->t[i];
		struct tier_cell *tmp;

		for (uint32_t k = 0; k < d->nslots; k++)
			d->counts[(size_t)k * dst->nrules + to] =
			    s->counts[(size_t)k * src->nrules + from];
		tmp = d->cells[to];
		d->cells[to] = s->cells[from];
		s->cells[from] = tmp;
	}
}

size_t tiers_bytes(const struct tiers *ts)
{
	size_t b = 0;

	for (int i = 0; i < TIERS_N; i++) {
		const struct tier *t = &ts->t[i];

		b += t->nslots * (sizeof(*t->slot_idx) + sizeof(*t->counts) * ts->nrules);
		for (uint32_t r = 0; r < ts->nrules; r++) {
			if (!t->cells[r])
				continue;
			b += t->nslots * sizeof(**t->cells);
			for (uint32_t s = 0; s < t->nslots; s++) {
				const struct tier_cell *c = &t->cells[r][s];

				b += pdds_bytes(c->dds) + phll_bytes(c->hll);
				if (c->top)
					b += sizeof(*c->top) + topk_bytes(c->top);
			}
		}
	}
	return b;
}
