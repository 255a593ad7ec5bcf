/* test_tiers.c - the tiered pane history: window edges, windows sliding over
 * empty time, clock jumps, long windows from minute panes, series, sketches
 * per window against exact answers, and moving a rule on reload. */
#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"
#include "aggregate/tiers.h"
#include "aggregate/topk.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1795244400 /* a whole hour (2026-11-21T03:00:00Z) */

static const uint32_t wins[] = {10, 60, 300, 900, 3600, 86400};
#define NW (sizeof(wins) / sizeof(wins[0]))

static void init(struct tiers *ts, uint32_t nrules, uint8_t want)
{
	uint8_t w[8];
	uint32_t cap[8];

	for (uint32_t r = 0; r < 8; r++) {
		w[r] = r == 0 ? 0 : want;
		cap[r] = 64;
	}
	cr_assert_eq(tiers_init(ts, nrules, w, cap), 0);
}

static uint64_t win(const struct tiers *ts, int64_t now, size_t w, uint32_t r)
{
	uint64_t out[NW * 8];

	tiers_window_counts(ts, now, wins, NW, out);
	return out[w * ts->nrules + r];
}

Test(tiers, a_record_on_a_window_edge)
{
	struct tiers ts;
	int64_t now = T0 + 1000;

	init(&ts, 1, 0);
	tiers_add_count(&ts, now - 10, now, 0, 1); /* just outside (now - 10, now] */
	tiers_add_count(&ts, now - 9, now, 0, 2);  /* the oldest second inside */
	tiers_add_count(&ts, now, now, 0, 4);	   /* the newest */
	cr_assert_eq(win(&ts, now, 0, 0), 6);
	cr_assert_eq(win(&ts, now, 1, 0), 7);
	/* one second later the oldest slides out */
	cr_assert_eq(win(&ts, now + 1, 0, 0), 4);
	tiers_destroy(&ts);
}

Test(tiers, windows_slide_over_empty_time)
{
	struct tiers ts;
	int64_t t = T0 + 5;

	init(&ts, 1, 0);
	tiers_add_count(&ts, t, t, 0, 3);
	cr_assert_eq(win(&ts, t + 9, 0, 0), 3);
	cr_assert_eq(win(&ts, t + 10, 0, 0), 0);
	cr_assert_eq(win(&ts, t + 299, 2, 0), 3);
	cr_assert_eq(win(&ts, t + 300, 2, 0), 0);
	cr_assert_eq(win(&ts, t + 899, 3, 0), 3);
	/* the 1 s panes are gone after 15 min; the minute and hour panes keep it */
	cr_assert_eq(win(&ts, t + 3000, 4, 0), 3);
	cr_assert_eq(win(&ts, t + 80000, 5, 0), 3);
	cr_assert_eq(win(&ts, t + 90000, 5, 0), 0);
	/* after a long silence new counts are not mixed with stale slots */
	tiers_add_count(&ts, t + 900, t + 900, 0, 1); /* slot of t in tier 0 */
	cr_assert_eq(win(&ts, t + 900, 0, 0), 1);
	cr_assert_eq(win(&ts, t + 900, 3, 0), 1);
	tiers_destroy(&ts);
}

Test(tiers, clock_jumps_back_and_forward)
{
	struct tiers ts;
	int64_t t = T0 + 7200;

	init(&ts, 1, 0);
	tiers_add_count(&ts, t, t, 0, 5);
	/* the clock goes back an hour: counting goes on in the present */
	tiers_add_count(&ts, t - 3600, t - 3600, 0, 2);
	cr_assert_eq(win(&ts, t - 3600, 0, 0), 2);
	cr_assert_eq(win(&ts, t - 3600, 5, 0), 2, "panes ahead of the clock are not counted");
	/* back to the former time: both are there */
	cr_assert_eq(win(&ts, t, 5, 0), 7);
	/* and a jump of two days forward leaves nothing from before */
	tiers_add_count(&ts, t + 172800, t + 172800, 0, 1);
	cr_assert_eq(win(&ts, t + 172800, 5, 0), 1);
	cr_assert(!tiers_retained(&ts, t - 3600 * 24 * 31, t));
	cr_assert(tiers_retained(&ts, t - 3600 * 24 * 29, t));
	tiers_destroy(&ts);
}

Test(tiers, long_windows_come_from_minute_panes_and_say_their_span)
{
	struct tiers ts;
	int64_t start = T0, t;
	struct tiers_span sp;

	init(&ts, 1, 0);
	for (t = start; t < start + 3 * 3600; t++)
		tiers_add_count(&ts, t, t, 0, 1);
	t--;
	for (size_t w = 0; w < NW; w++) {
		sp = tiers_window_span(&ts, wins[w], t);
		if (wins[w] <= 900) {
			cr_assert_eq(sp.tier, 0);
			cr_assert_eq(sp.span_s, wins[w]);
		} else {
			cr_assert_eq(sp.tier, 1);
			cr_assert(sp.span_s > wins[w] - 60 && sp.span_s <= wins[w]);
		}
		/* one per second: the count is the span covered (24h: all 3 h) */
		cr_assert_eq(win(&ts, t, w, 0), wins[w] < 86400 ? sp.span_s : 3 * 3600, "w=%zu", w);
	}
	/* 30 days comes from hour panes */
	sp = tiers_window_span(&ts, 30 * 86400, t);
	cr_assert_eq(sp.tier, 2);
	tiers_destroy(&ts);
}

Test(tiers, series_in_buckets)
{
	struct tiers ts;
	int64_t t = T0 + 600, tt[100];
	uint64_t c[100];
	uint32_t step, n;

	init(&ts, 2, 0);
	for (int i = 0; i < 60; i++)
		tiers_add_count(&ts, t - i, t, 1, (uint64_t)i);
	n = tiers_series(&ts, 1, t, 60, 10, tt, c, 100, &step);
	cr_assert_eq(step, 10);
	/* T0 + 600 is a multiple of 10: buckets [t-60, t-50) .. [t, t+10) */
	cr_assert_eq(n, 7);
	cr_assert_eq(tt[6], t);
	cr_assert_eq(c[6], 0);
	cr_assert_eq(c[5], 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10);
	cr_assert_eq(tt[0], t - 60 + 1 - 1);
	cr_assert_eq(c[0], 59 + 58 + 57 + 56 + 55 + 54 + 53 + 52 + 51);
	/* a day in hours comes from minute panes */
	n = tiers_series(&ts, 1, t, 86400, 3600, tt, c, 100, &step);
	cr_assert_eq(step, 3600);
	cr_assert(n >= 24 && n <= 25);
	{
		uint64_t sum = 0;

		for (uint32_t i = 0; i < n; i++)
			sum += c[i];
		cr_assert_eq(sum, 59 * 60 / 2);
	}
	/* a step finer than the tier is rounded up; a range beyond 30 days is refused */
	n = tiers_series(&ts, 1, t, 7200, 1, tt, c, 100, &step);
	cr_assert_eq(step, 60);
	cr_assert_eq(tiers_series(&ts, 1, t, 40 * 86400, 3600, tt, c, 100, &step), 0);
	tiers_destroy(&ts);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct got {
	uint64_t vn[NW];
	double p99[NW], sum[NW], distinct[NW];
	uint64_t top_count[NW];
	char top_key[NW][32];
};

static void emit(void *arg, uint32_t w, const struct tiers_acc *acc)
{
	struct got *g = arg;
	struct topk_entry e;

	g->vn[w] = acc->vn;
	g->sum[w] = acc->vsum;
	g->p99[w] = acc->dds ? dds_quantile(acc->dds, 0.99) : NAN;
	g->distinct[w] = acc->hll ? hll_estimate(acc->hll) : NAN;
	if (acc->top && topk_sorted(acc->top, &e, 1) == 1) {
		g->top_count[w] = e.count;
		snprintf(g->top_key[w], sizeof(g->top_key[w]), "%.*s", e.len, e.key);
	}
}

/* Values, keys and distinct users spread over 20 minutes: each window's
 * quantile within 1% of the exact one, distinct within 2%, the heaviest key
 * right, all from merged pane sketches. */
Test(tiers, window_sketches_match_exact_answers)
{
	struct tiers ts;
	struct tiers_scratch sc;
	struct got g;
	int64_t now = T0 + 1200;
	uint32_t nvals = 0;
	double *vals = malloc(sizeof(double) * 200000), *sorted;
	uint32_t *secs = malloc(sizeof(uint32_t) * 200000);

	init(&ts, 2, TIERS_VALUE | TIERS_TOP | TIERS_DISTINCT);
	cr_assert_eq(tiers_scratch_init(&sc, &ts), 0);
	srand(7);
	for (int64_t t = now - 1199; t <= now; t++)
		for (int i = 0; i < 100; i++) {
			double v = exp((double)rand() / RAND_MAX * 10.0); /* 1 .. 22026 */
			char key[32], user[32];
			int kn = snprintf(key, sizeof(key), "ip%d", rand() % 7 ? rand() % 50 : 999);
			int un = snprintf(user, sizeof(user), "u%lld-%d", (long long)t, i % 37);

			cr_assert_eq(tiers_add_value(&ts, t, now, 1, v), 0);
			cr_assert_eq(tiers_add_top(&ts, t, now, 1, key, (size_t)kn), 0);
			cr_assert_eq(tiers_add_distinct(&ts, t, now, 1, hll_hash(user, (size_t)un)),
				     0);
			vals[nvals] = v;
			secs[nvals++] = (uint32_t)(now - t);
		}
	memset(&g, 0, sizeof(g));
	tiers_window_extras(&ts, &sc, now, wins, NW, 1, emit, &g);
	sorted = malloc(sizeof(double) * nvals);
	for (size_t w = 0; w < 4; w++) { /* the 1 s windows: exact sets */
		uint32_t n = 0;

		for (uint32_t i = 0; i < nvals; i++)
			if (secs[i] < wins[w])
				sorted[n++] = vals[i];
		qsort(sorted, n, sizeof(double), cmp_double);
		cr_assert_eq(g.vn[w], n, "w=%zu", w);
		{
			double exact = sorted[(size_t)floor(0.99 * (n - 1))];

			cr_assert(fabs(g.p99[w] - exact) <= 0.01 * exact, "w=%zu p99 %g exact %g",
				  w, g.p99[w], exact);
		}
		{
			double d = (double)wins[w] * 37;

			cr_assert(fabs(g.distinct[w] - d) <= 0.02 * d, "w=%zu distinct %g vs %g", w,
				  g.distinct[w], d);
		}
		cr_assert_str_eq(g.top_key[w], "ip999", "w=%zu", w);
	}
	/* 1h and 24h: from minute panes, the whole 20 minutes */
	cr_assert_eq(g.vn[4], nvals);
	cr_assert_eq(g.vn[5], nvals);
	cr_assert(fabs(g.distinct[5] - 1200.0 * 37) <= 0.02 * 1200 * 37);
	tiers_scratch_free(&sc);
	tiers_destroy(&ts);
	free(vals);
	free(sorted);
	free(secs);
}

Test(tiers, a_late_record_lands_in_every_tier_that_holds_it)
{
	struct tiers ts;
	int64_t now = T0 + 5000;

	init(&ts, 1, 0);
	tiers_add_count(&ts, now - 1000, now, 0, 1); /* older than 15 min */
	cr_assert(!tiers_holds(&ts, 0, now - 1000, now));
	cr_assert(tiers_holds(&ts, 1, now - 1000, now));
	cr_assert_eq(win(&ts, now, 3, 0), 0);
	cr_assert_eq(win(&ts, now, 4, 0), 1);
	tiers_destroy(&ts);
}

Test(tiers, take_rule_moves_counts_and_sketches)
{
	struct tiers a, b;
	int64_t now = T0;

	init(&a, 2, TIERS_VALUE);
	init(&b, 3, TIERS_VALUE);
	tiers_add_count(&a, now, now, 1, 9);
	tiers_add_value(&a, now, now, 1, 2.5);
	tiers_copy_slots(&b, &a);
	tiers_take_rule(&b, 2, &a, 1);
	cr_assert_eq(win(&b, now, 0, 2), 9);
	cr_assert_eq(b.t[0].cells[2][now % 900].vn, 1);
	cr_assert(tiers_bytes(&b) > 0);
	tiers_destroy(&a);
	tiers_destroy(&b);
}
