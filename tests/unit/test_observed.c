/* test_observed.c - the seconds weir watched (aggregate/observed.h): spans
 * that merge when they touch, how many of a window's seconds they hold, the
 * bound on their number, forgetting old ones; and their place in the
 * aggregates' checkpoint (aggregate/persist.c), version 1 still read. */
#include "aggregate/aggcore.h"
#include "aggregate/observed.h"
#include "config/config.h"
#include "core/strbuf.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

static void check_shape(const struct observed *o)
{
	for (uint32_t i = 0; i < o->n; i++) {
		cr_assert_leq(o->s[i].from, o->s[i].to, "span %u reversed", i);
		if (i)
			cr_assert_gt(o->s[i].from, o->s[i - 1].to + 1, "spans %u, %u touch", i - 1,
				     i);
	}
}

Test(observed, empty_set_holds_nothing)
{
	struct observed o = {0};

	cr_assert_eq(observed_in(&o, 0, 100), 0);
	observed_add(&o, 10, 5); /* reversed: nothing */
	cr_assert_eq(o.n, 0);
}

/* A window's observed seconds: the part of it the spans cover, ends
 * included. */
Test(observed, seconds_in_a_window)
{
	static const struct {
		int64_t from, to, want;
	} cases[] = {
	    {100, 199, 100},			 /* the whole first span */
	    {150, 160, 11},			 /* inside it */
	    {0, 99, 0},				 /* before it */
	    {190, 310, 10 + 11},		 /* its tail, the gap, the second's head */
	    {0, 1000, 100 + 101}, {250, 299, 0}, /* in the gap */
	    {300, 300, 1},
	};
	struct observed o = {0};

	observed_add(&o, 100, 199);
	observed_add(&o, 300, 400);
	check_shape(&o);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(observed_in(&o, cases[i].from, cases[i].to), cases[i].want,
			     "case %zu: [%lld, %lld]", i, (long long)cases[i].from,
			     (long long)cases[i].to);
}

/* A run's span grows tick by tick: adding from .. now again and again is
 * one span, and spans that touch or overlap become one. */
Test(observed, growing_and_touching_spans_merge)
{
	struct observed o = {0};

	for (int64_t now = 1000; now < 1100; now++)
		observed_add(&o, 1000, now);
	cr_assert_eq(o.n, 1);
	cr_assert_eq(observed_in(&o, 0, 5000), 100);
	observed_add(&o, 1100, 1200); /* touches */
	cr_assert_eq(o.n, 1);
	observed_add(&o, 500, 600);
	observed_add(&o, 700, 800);
	cr_assert_eq(o.n, 3);
	observed_add(&o, 550, 1050); /* spans the two gaps */
	cr_assert_eq(o.n, 1);
	cr_assert_eq(o.s[0].from, 500);
	cr_assert_eq(o.s[0].to, 1200);
	/* event time: data placed before the run began widens it */
	observed_add(&o, 400, 1200);
	cr_assert_eq(observed_in(&o, 0, 5000), 801);
	check_shape(&o);
}

/* More disjoint spans than the set holds: the two closest merge (their gap
 * counts as watched), so a rate can only read low, never high. */
Test(observed, a_full_set_merges_the_closest_spans)
{
	struct observed o = {0};
	int64_t total = 0;

	for (int i = 0; i < OBSERVED_MAX; i++) {
		/* gaps of 100 s, but 5 s between spans 3 and 4 */
		int64_t from = i * 200 + (i >= 4 ? -95 : 0);

		observed_add(&o, from, from + 99);
		total += 100;
	}
	cr_assert_eq(o.n, OBSERVED_MAX);
	cr_assert_eq(observed_in(&o, -1000000, 1000000), total);
	observed_add(&o, 10000, 10009);
	check_shape(&o);
	cr_assert_eq(o.n, OBSERVED_MAX);
	cr_assert_eq(observed_in(&o, -1000000, 1000000), total + 10 + 5, "the 5 s gap merged");
	cr_assert_eq(observed_in(&o, 10000, 10009), 10);
	cr_assert_eq(observed_in(&o, 600, 799), 200, "spans 3 and 4 are one now");
}

Test(observed, forgetting_cuts_old_spans)
{
	struct observed o = {0};

	observed_add(&o, 0, 9);
	observed_add(&o, 20, 29);
	observed_add(&o, 40, 49);
	observed_forget(&o, 25);
	cr_assert_eq(o.n, 2);
	cr_assert_eq(o.s[0].from, 25);
	cr_assert_eq(observed_in(&o, 0, 100), 5 + 10);
	observed_forget(&o, 1000);
	cr_assert_eq(o.n, 0);
}

/* --- in the aggregates' checkpoint --- */

static struct cfg_rule rules[] = {{.name = "n"}};
static const char *const names[] = {"n"};
static const struct cfg cfg = {.rules = rules, .nrules = 1, .lateness_s = 60};

/* The run's span folds into the spans at a checkpoint; a restore gets them
 * all back, the gap while weir was down left out. */
Test(observed, spans_survive_a_checkpoint)
{
	struct agg_core c, d;
	struct strbuf sb = {0};
	char why[128] = "";

	cr_assert_eq(agg_core_init(&c, &cfg, &cfg), 0);
	cr_assert_eq(c.run_from, INT64_MAX);
	agg_core_observe(&c, 5000); /* no run yet: nothing */
	cr_assert_eq(c.seen.n, 0);
	observed_add(&c.seen, 1000, 1999); /* restored from an older run */
	c.run_from = 3000;
	agg_core_observe(&c, 3599);
	cr_assert_eq(observed_in(&c.seen, 0, 5000), 1000 + 600);
	agg_persist_encode(&c, names, &sb);
	cr_assert(!sb.oom);
	cr_assert_eq(agg_core_init(&d, &cfg, &cfg), 0);
	cr_assert_eq(agg_persist_decode(&d, names, sb.buf, sb.len, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(d.seen.n, 2);
	cr_assert_eq(memcmp(d.seen.s, c.seen.s, sizeof(c.seen.s[0]) * 2), 0);
	cr_assert_eq(d.run_from, INT64_MAX, "the next run sets its own start");
	agg_core_destroy(&d);

	/* a clock that went back before the run's start: the current second */
	c.run_from = 9000;
	agg_core_observe(&c, 8000);
	cr_assert_eq(observed_in(&c.seen, 8000, 8000), 1);
	agg_core_destroy(&c);
	strbuf_free(&sb);
}

/* Spans out of order, overlapping or too many are refused; a version 1
 * block (weir before observed_s) has none and still decodes. */
Test(observed, bad_spans_are_refused_and_version_1_is_read)
{
	struct agg_core c, d;
	struct strbuf sb = {0};
	char why[128] = "";
	size_t at;

	cr_assert_eq(agg_core_init(&c, &cfg, &cfg), 0);
	observed_add(&c.seen, 100, 199);
	observed_add(&c.seen, 300, 399);
	agg_persist_encode(&c, names, &sb);
	cr_assert(!sb.oom);
	/* the spans are the last 1 + 2 * 16 bytes: swap their order */
	at = sb.len - 32;
	{
		unsigned char tmp[16];

		memcpy(tmp, sb.buf + at, 16);
		memmove(sb.buf + at, sb.buf + at + 16, 16);
		memcpy(sb.buf + at + 16, tmp, 16);
	}
	cr_assert_eq(agg_core_init(&d, &cfg, &cfg), 0);
	cr_assert_eq(agg_persist_decode(&d, names, sb.buf, sb.len, why, sizeof(why)), -EBADMSG);
	cr_assert_str_eq(why, "aggregates: a watched span out of range or order");
	agg_core_destroy(&d);

	/* version 1: the same block less the spans */
	sb.buf[4] = 1;
	sb.len -= 1 + 32;
	cr_assert_eq(agg_core_init(&d, &cfg, &cfg), 0);
	cr_assert_eq(agg_persist_decode(&d, names, sb.buf, sb.len, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(d.seen.n, 0);
	agg_core_destroy(&d);

	/* version 2 cut before its spans: malformed */
	sb.buf[4] = 2;
	cr_assert_eq(agg_core_init(&d, &cfg, &cfg), 0);
	cr_assert_eq(agg_persist_decode(&d, names, sb.buf, sb.len, why, sizeof(why)), -EBADMSG);
	agg_core_destroy(&d);
	agg_core_destroy(&c);
	strbuf_free(&sb);
}
