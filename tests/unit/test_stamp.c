/* test_stamp.c - the time-stamp core (pattern/stamp.h) that the syslog and
 * the timestamp parser share: each dialect bit on the inputs where the two
 * parsers differ, the readers' bounds, and year inference (whole seconds
 * or milliseconds, the slack, Feb 29, extreme now). Values from
 * `date -u -d ... +%s`. */
#include "pattern/stamp.h"
#include "pattern/syslog.h"
#include "pattern/timestamp.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_2024_03_05_140211 1709647331000LL /* 2024-03-05T14:02:11Z */

struct rcase {
	const char *in;
	unsigned syntax;
	int end; /* bytes taken, or -1: no stamp */
	int32_t usec;
	bool zoned;
	int32_t off;
};

static const char *read_iso_or_bsd(const char *p, const char *end, unsigned syntax,
				   struct stamp *st)
{
	return stamp_is_digit(*p) ? stamp_iso(p, end, syntax, st) : stamp_bsd(p, end, syntax, st);
}

#define SYS5424 STAMP_SYSLOG_5424
#define LEGACY STAMP_SYSLOG_LEGACY
#define TIME STAMP_TIME
#define PREFIX STAMP_LINE_PREFIX

/* Where the dialects part ways: every row is a difference the two old
 * parsers had, kept (see the presets in stamp.h). */
Test(stamp, each_dialect_reads_its_own_forms)
{
	static const struct rcase c[] = {
	    /* a space for the 'T': not in RFC 5424 */
	    {"2024-03-05 14:02:11Z", SYS5424, -1, 0, false, 0},
	    {"2024-03-05 14:02:11Z", LEGACY, 20, 0, true, 0},
	    {"2024-03-05 14:02:11Z", TIME, 20, 0, true, 0},
	    /* fraction digits: RFC 5424 1-6; legacy syslog any, even none; time: 1+ */
	    {"2024-03-05T14:02:11.1234567Z", SYS5424, -1, 0, false, 0},
	    {"2024-03-05T14:02:11.1234567Z", LEGACY, 28, 123456, true, 0},
	    {"2024-03-05T14:02:11.1234567Z", TIME, 28, 123456, true, 0},
	    {"2024-03-05T14:02:11.Z", SYS5424, -1, 0, false, 0},
	    {"2024-03-05T14:02:11.Z", LEGACY, 21, 0, true, 0},
	    {"2024-03-05T14:02:11.Z", TIME, -1, 0, false, 0},
	    {"Mar  5 14:02:11. host", LEGACY, 16, 0, false, 0},
	    {"Mar  5 14:02:11. host", TIME, -1, 0, false, 0},
	    /* ',' starts a fraction only for time: (log4j, Python logging) */
	    {"2024-03-05 14:02:11,747", LEGACY, 19, 0, false, 0},
	    {"2024-03-05 14:02:11,747", TIME, 23, 747000, false, 0},
	    /* zone forms: RFC 5424 needs +hh:mm; legacy takes +hhmm too; time +hh too */
	    {"2024-03-05T15:02:11+0100", SYS5424, -1, 0, false, 0},
	    {"2024-03-05T15:02:11+0100", LEGACY, 24, 0, true, 3600},
	    {"2024-03-05T15:02:11+01", LEGACY, 19, 0, false, 0},
	    {"2024-03-05T15:02:11+01", TIME, 22, 0, true, 3600},
	    {"2024-03-05T14:02:11", SYS5424, -1, 0, false, 0},
	    {"2024-03-05T14:02:11", LEGACY, 19, 0, false, 0},
	    /* a zone after one space: time: only, and for a line prefix not into a word */
	    {"2024-03-05 15:02:11 +0100", LEGACY, 19, 0, false, 0},
	    {"2024-03-05 15:02:11 +0100", TIME, 25, 0, true, 3600},
	    {"2024-03-05 14:02:11 -12345 items", TIME, 25, 0, true, -(12 * 3600 + 34 * 60)},
	    {"2024-03-05 14:02:11 -12345 items", PREFIX, 19, 0, false, 0},
	    /* a leap second: time: reads it, syslog headers do not */
	    {"2016-12-31T23:59:60Z", SYS5424, -1, 0, false, 0},
	    {"2016-12-31T23:59:60Z", LEGACY, -1, 0, false, 0},
	    {"2016-12-31T23:59:60Z", TIME, 20, 0, true, 0},
	    {"Dec 31 23:59:60", LEGACY, -1, 0, false, 0},
	    {"Dec 31 23:59:60", TIME, 15, 0, false, 0},
	    /* a year inside a BSD stamp: syslog (Cisco, Juniper) only */
	    {"Oct 16 2009 23:47:31", LEGACY, 20, 0, false, 0},
	    {"Oct 16 2009 23:47:31", TIME, -1, 0, false, 0},
	    /* the same everywhere: day forms, month case, ranges */
	    {"Mar  5 14:02:11", LEGACY, 15, 0, false, 0},
	    {"mar 5 14:02:11", TIME, 14, 0, false, 0},
	    {"MAR 05 14:02:11.5", LEGACY, 17, 500000, false, 0},
	    {"Mar   5 14:02:11", LEGACY, -1, 0, false, 0},
	    {"Feb 29 14:02:11", TIME, 15, 0, false, 0},
	    {"Feb 30 14:02:11", TIME, -1, 0, false, 0},
	    {"Apr 31 14:02:11", LEGACY, -1, 0, false, 0},
	    {"Mar  0 14:02:11", LEGACY, -1, 0, false, 0},
	    {"2023-02-29T00:00:00Z", TIME, -1, 0, false, 0},
	    {"2024-02-29T00:00:00Z", SYS5424, 20, 0, true, 0},
	    {"2024-03-05T14:02:11+24:00", TIME, 19, 0, false, 0},
	    {"2024-03-05T14:02:11+01:60", LEGACY, 19, 0, false, 0},
	    {"2024-03-05T14:02:11-05:30", SYS5424, 25, 0, true, -19800},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct stamp st;
		size_t n = strlen(c[i].in);
		const char *q = read_iso_or_bsd(c[i].in, c[i].in + n, c[i].syntax, &st);
		int got = q ? (int)(q - c[i].in) : -1;

		cr_expect_eq(got, c[i].end, "\"%s\" (syntax %#x): end %d, want %d", c[i].in,
			     c[i].syntax, got, c[i].end);
		if (!q || got != c[i].end)
			continue;
		cr_expect_eq(st.usec, c[i].usec, "\"%s\": usec %d", c[i].in, st.usec);
		cr_expect_eq(st.zoned, c[i].zoned, "\"%s\": zoned %d", c[i].in, st.zoned);
		cr_expect_eq(st.off, c[i].off, "\"%s\": off %d", c[i].in, st.off);
	}
}

Test(stamp, readers_stop_at_end_and_read_nothing_past_it)
{
	static const char *const in[] = {"2024-03-05T14:02:11.123+01:00", "Mar  5 2024 14:02:11.25",
					 "2024-03-05 14:02:11 +0100"};
	static const unsigned syn[] = {SYS5424, LEGACY, TIME, PREFIX};

	/* Each prefix of each input, copied into a buffer of exactly that
	 * size (ASan catches a read past it). */
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		size_t n = strlen(in[i]);
		for (size_t k = 0; k <= n; k++) {
			char *b = malloc(k ? k : 1);
			memcpy(b, in[i], k);
			for (size_t s = 0; s < sizeof(syn) / sizeof(syn[0]); s++) {
				struct stamp st;
				const char *q = k ? read_iso_or_bsd(b, b + k, syn[s], &st) : NULL;
				cr_assert(!q || (q > b && q <= b + k));
			}
			free(b);
		}
	}
}

Test(stamp, offsets_in_every_form)
{
	static const struct {
		const char *in;
		unsigned syntax;
		int end;
		int32_t off;
	} c[] = {
	    {"+01:00", STAMP_ZONE_COLON, 6, 3600},
	    {"+0100", STAMP_ZONE_COLON, -1, 0},
	    {"+0100", 0, 5, 3600},
	    {"-0530x", 0, 5, -19800},
	    {"+01", 0, -1, 0},
	    {"+01", STAMP_ZONE_HOURS, 3, 3600},
	    {"+01:0", STAMP_ZONE_HOURS, -1, 0},
	    {"+013", STAMP_ZONE_HOURS, 3, 3600},
	    {"+23:59", 0, 6, 86340},
	    {"+24:00", 0, -1, 0},
	    {"-00:60", 0, -1, 0},
	    {"Z", STAMP_ZONE_HOURS, -1, 0}, /* 'Z' is the ISO reader's */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int32_t off = 7;
		const char *p = c[i].in, *q = stamp_offset(p, p + strlen(p), c[i].syntax, &off);
		int got = q ? (int)(q - p) : -1;

		cr_expect_eq(got, c[i].end, "\"%s\": end %d", p, got);
		if (q)
			cr_expect_eq(off, c[i].off, "\"%s\": off %d", p, off);
	}
}

static int64_t bsd_time(const char *s, int64_t now_ms, unsigned syntax)
{
	struct stamp st;
	int64_t ms = INT64_MIN;
	const char *q = stamp_bsd(s, s + strlen(s), syntax, &st);

	cr_assert(q, "%s", s);
	if (stamp_time(&st, now_ms, TS_FUTURE_SLACK_S, syntax, NULL, &ms, NULL))
		return INT64_MIN;
	return ms;
}

/*
 * The one difference in the year inference: syslog headers compare whole
 * seconds, time: compares milliseconds. A stamp in the last second the
 * slack allows, with a fraction beyond now's milliseconds, is this year's
 * for syslog and last year's for time:.
 */
Test(stamp, syslog_infers_the_year_in_whole_seconds_time_in_milliseconds)
{
	/* now 2024-03-05T14:02:11.130Z; the slack ends 2024-03-12T14:02:11.130Z */
	int64_t now = T_2024_03_05_140211 + 130;
	int64_t this_year = T_2024_03_05_140211 + 7 * 86400000LL + 999;
	int64_t last_year = this_year - 366 * 86400000LL; /* 2023-03-12 */
	const char *s = "Mar 12 14:02:11.999";

	cr_expect_eq(bsd_time(s, now, STAMP_SYSLOG_LEGACY), this_year);
	cr_expect_eq(bsd_time(s, now, STAMP_TIME), last_year);
	/* within now's milliseconds both agree */
	cr_expect_eq(bsd_time("Mar 12 14:02:11.100", now, STAMP_SYSLOG_LEGACY), this_year - 899);
	cr_expect_eq(bsd_time("Mar 12 14:02:11.100", now, STAMP_TIME), this_year - 899);
	/* a second later both go back a year */
	cr_expect_eq(bsd_time("Mar 12 14:02:12", now, STAMP_SYSLOG_LEGACY), last_year + 1000 - 999);
	cr_expect_eq(bsd_time("Mar 12 14:02:12", now, STAMP_TIME), last_year + 1000 - 999);

	/* ... and so do the two parsers that use them */
	struct syslog_msg m;
	int64_t ms;
	char line[64];

	snprintf(line, sizeof(line), "<13>%s h a: x", s);
	syslog_parse(line, strlen(line), now, 0, &m);
	cr_expect_eq(m.ts_ms, this_year);
	cr_expect_eq(m.ts_usec, 999000);
	cr_assert_eq(ts_parse(s, strlen(s), now, 0, &ms), 0);
	cr_expect_eq(ms, last_year);
}

Test(stamp, year_inference_slack_leap_day_and_extreme_now)
{
	/* Feb 29 read on 2025-06-15 goes back to 2024 (both dialects) */
	cr_expect_eq(bsd_time("Feb 29 14:02:11", 1749945600000LL, STAMP_TIME), 1709215331000LL);
	cr_expect_eq(bsd_time("Feb 29 14:02:11", 1749945600000LL, STAMP_SYSLOG_LEGACY),
		     1709215331000LL);
	/* the slack is the caller's: none, and a stamp a second ahead is last year's */
	struct stamp st;
	const char *s = "Mar  5 14:02:12";
	int64_t ms = 0;
	cr_assert(stamp_bsd(s, s + strlen(s), STAMP_TIME, &st));
	cr_assert_eq(stamp_time(&st, T_2024_03_05_140211, 0, STAMP_TIME, NULL, &ms, NULL), 0);
	cr_expect_eq(ms, T_2024_03_05_140211 + 1000 - 366 * 86400000LL); /* 2023-03-05 */
	cr_assert_eq(stamp_time(&st, T_2024_03_05_140211, 1, STAMP_TIME, NULL, &ms, NULL), 0);
	cr_expect_eq(ms, T_2024_03_05_140211 + 1000);
	/* now is clamped to years 1..9999: INT64_MIN is a time to the core (the
	 * syslog parser's), ts_parse's TS_NOW_NONE is refused by ts_parse */
	static const int64_t nows[] = {INT64_MIN, -1, 0, INT64_MAX};
	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		cr_expect_neq(bsd_time("Feb 29 23:59:59", nows[i], STAMP_SYSLOG_LEGACY), INT64_MIN);
		cr_expect_neq(bsd_time("Dec 31 23:59:59", nows[i], STAMP_TIME), INT64_MIN);
	}
	cr_expect_eq(ts_parse("Dec 31 23:59:59", 15, TS_NOW_NONE, 0, &ms), -1);
}

Test(stamp, a_given_year_must_have_the_day_and_the_offset_is_reported)
{
	struct stamp st;
	int64_t ms = 5;
	int32_t off = 5;
	const char *s = "Feb 29 2019 10:00:00";

	cr_assert(stamp_bsd(s, s + strlen(s), STAMP_SYSLOG_LEGACY, &st));
	cr_expect_eq(st.year, 2019);
	cr_expect_eq(stamp_time(&st, 0, 0, 0, NULL, &ms, &off), -1);
	cr_expect(ms == 5 && off == 5, "outputs untouched on -1");
	s = "2024-03-05T19:32:11.5+05:30";
	cr_assert(stamp_iso(s, s + strlen(s), STAMP_SYSLOG_5424, &st));
	cr_assert_eq(stamp_time(&st, 0, 0, 0, NULL, &ms, &off), 0);
	cr_expect_eq(ms, T_2024_03_05_140211 + 500);
	cr_expect_eq(off, 19800);
}
