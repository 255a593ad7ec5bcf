/* test_history.c - pane history and rolling-window arithmetic. */
#include "aggregate/history.h"

#include <criterion/criterion.h>
#include <stdint.h>

static const uint32_t wins[] = {10, 60, 300};

static void add1(struct agg_history *h, int64_t sec, uint64_t a, uint64_t b)
{
	uint64_t c[2] = {a, b};

	agg_history_add(h, sec, c);
}

Test(history, windows_sum_their_seconds_inclusive_of_now)
{
	struct agg_history h;
	uint64_t out[3 * 2];
	int64_t now = 1000000;

	cr_assert_eq(agg_history_init(&h, 2, 302), 0);
	add1(&h, now, 1, 0);	   /* in all windows */
	add1(&h, now - 9, 2, 0);   /* last second of 10s */
	add1(&h, now - 10, 4, 0);  /* first second outside 10s */
	add1(&h, now - 59, 8, 0);  /* inside 1m */
	add1(&h, now - 60, 16, 1); /* outside 1m, inside 5m */
	add1(&h, now - 299, 32, 0);
	agg_history_windows(&h, now, wins, 3, out);
	cr_assert_eq(out[0 * 2 + 0], 1 + 2);
	cr_assert_eq(out[1 * 2 + 0], 1 + 2 + 4 + 8);
	cr_assert_eq(out[2 * 2 + 0], 1 + 2 + 4 + 8 + 16 + 32);
	cr_assert_eq(out[0 * 2 + 1], 0);
	cr_assert_eq(out[2 * 2 + 1], 1);
	cr_assert_eq(h.totals[0], 63);
	agg_history_destroy(&h);
}

Test(history, panes_from_workers_merge_into_one_second)
{
	struct agg_history h;
	uint64_t out[2];
	const uint32_t w[] = {10};

	cr_assert_eq(agg_history_init(&h, 2, 12), 0);
	add1(&h, 500, 3, 1);
	add1(&h, 500, 4, 2);
	agg_history_windows(&h, 500, w, 1, out);
	cr_assert_eq(out[0], 7);
	cr_assert_eq(out[1], 3);
	agg_history_destroy(&h);
}

Test(history, window_slides_over_empty_time)
{
	struct agg_history h;
	uint64_t out[3 * 2];

	cr_assert_eq(agg_history_init(&h, 2, 302), 0);
	add1(&h, 100, 5, 0);
	agg_history_windows(&h, 109, wins, 3, out);
	cr_assert_eq(out[0], 5, "still inside 10s at +9");
	agg_history_windows(&h, 110, wins, 3, out);
	cr_assert_eq(out[0], 0, "gone from 10s at +10");
	cr_assert_eq(out[2], 5);
	agg_history_windows(&h, 100 + 300, wins, 3, out);
	cr_assert_eq(out[2], 0, "gone from 5m at +300");
	/* A slot reused for a newer second does not resurrect the old one. */
	add1(&h, 100 + 302, 1, 0);
	agg_history_windows(&h, 100 + 302, wins, 3, out);
	cr_assert_eq(out[2], 1);
	cr_assert_eq(h.totals[0], 6);
	agg_history_destroy(&h);
}

Test(history, too_old_counts_in_totals_not_windows)
{
	struct agg_history h;
	uint64_t out[2];
	const uint32_t w[] = {10};

	cr_assert_eq(agg_history_init(&h, 2, 12), 0);
	add1(&h, 1000, 1, 0);
	add1(&h, 1000 - 12, 5, 0); /* beyond the history */
	cr_assert_eq(h.expired, 5);
	cr_assert_eq(h.totals[0], 6);
	agg_history_windows(&h, 1000, w, 1, out);
	cr_assert_eq(out[0], 1);
	agg_history_destroy(&h);
}

Test(history, clock_jump_back_and_forward)
{
	struct agg_history h;
	uint64_t out[3 * 2];

	cr_assert_eq(agg_history_init(&h, 2, 302), 0);
	add1(&h, 2000, 1, 0);
	/* Wall clock jumps back 5 s: those panes are still in range. */
	add1(&h, 1995, 2, 0);
	agg_history_windows(&h, 2000, wins, 3, out);
	cr_assert_eq(out[0], 3);
	/* Forward an hour: the old panes fall out of every window. */
	add1(&h, 5600, 4, 0);
	agg_history_windows(&h, 5600, wins, 3, out);
	cr_assert_eq(out[0], 4);
	cr_assert_eq(out[2], 4);
	cr_assert_eq(h.totals[0], 7);
	agg_history_destroy(&h);
}
