/* test_timestamp.c - ts_parse: every format with exact epoch values
 * (worked out with `date -u -d ... +%s`, not with the code under test),
 * zones, leap years and leap seconds, year inference for RFC 3164 stamps,
 * rejected inputs, and a sweep of every day from 1899 to 2101 in three
 * formats against the C library's timegm(). */
#include "pattern/timestamp.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NOW_2024_03_10 1710028800000LL /* 2024-03-10T00:00:00Z */
#define NONE INT64_MAX		       /* expected: -1 */

struct tcase {
	const char *in;
	int64_t now_ms;
	int32_t tz;
	int64_t want; /* ms, or NONE */
};

static void run(const struct tcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t got = 42;
		int rc = ts_parse(c[i].in, strlen(c[i].in), c[i].now_ms, c[i].tz, &got);
		if (c[i].want == NONE) {
			cr_expect(rc == -1, "\"%s\": want -1, got %d (%lld)", c[i].in, rc,
				  (long long)got);
			cr_expect(got == 42, "\"%s\": out written on failure", c[i].in);
		} else {
			cr_expect(rc == 0, "\"%s\": want %lld, got rc %d", c[i].in,
				  (long long)c[i].want, rc);
			cr_expect(got == c[i].want, "\"%s\": want %lld, got %lld", c[i].in,
				  (long long)c[i].want, (long long)got);
		}
	}
}

#define RUN(t) run(t, sizeof(t) / sizeof(t[0]))

Test(timestamp, iso8601_and_rfc3339_forms)
{
	static const struct tcase t[] = {
	    {"2024-03-05T14:02:11Z", 0, 0, 1709647331000},
	    {"2024-03-05T14:02:11.123Z", 0, 0, 1709647331123},
	    {"2024-03-05T14:02:11.1Z", 0, 0, 1709647331100},
	    {"2024-03-05T14:02:11.123456Z", 0, 0, 1709647331123},
	    {"2024-03-05T14:02:11.999999999999Z", 0, 0, 1709647331999},
	    {"2024-03-05T14:02:11,747Z", 0, 0, 1709647331747},
	    {"2024-03-05 14:02:11Z", 0, 0, 1709647331000},
	    {"2024-03-05t14:02:11z", 0, 0, 1709647331000},
	    {"2024-03-05T14:02:11+00:00", 0, 0, 1709647331000},
	    {"2024-03-05T15:02:11+01:00", 0, 0, 1709647331000},
	    {"2024-03-05T15:02:11+0100", 0, 0, 1709647331000},
	    {"2024-03-05T15:02:11+01", 0, 0, 1709647331000},
	    {"2024-03-05T09:02:11-05:00", 0, 0, 1709647331000},
	    {"2024-03-05T19:32:11.5+05:30", 0, 0, 1709647331500},
	    {"2024-03-05 15:02:11 +0100", 0, 0, 1709647331000},
	    {"2024-03-05 15:02:11.250 +01:00", 0, 0, 1709647331250},
	    {"2024-03-05T14:02:11Z \t\r\n", 0, 0, 1709647331000},
	    /* the zone given beats tz_offset_s */
	    {"2024-03-05T14:02:11Z", 0, 3600, 1709647331000},
	    {"2013-09-06T20:00:48.124817Z", 0, 0, 1378497648124},
	    {"1970-01-01T00:00:00Z", 0, 0, 0},
	    {"1969-12-31T23:59:59.5Z", 0, 0, -500},
	    {"0001-01-01T00:00:00Z", 0, 0, -62135596800000},
	    {"0000-01-01T00:00:00Z", 0, 0, -62167219200000},
	    {"9999-12-31T23:59:59Z", 0, 0, 253402300799000},
	};
	RUN(t);
}

Test(timestamp, stamp_without_zone_uses_tz_offset)
{
	static const struct tcase t[] = {
	    {"2024-03-05T14:02:11", 0, 0, 1709647331000},
	    {"2024-03-05T15:02:11", 0, 3600, 1709647331000},
	    {"2024-03-05 19:32:11", 0, 19800, 1709647331000},
	    {"2024-03-05T09:02:11.5", 0, -18000, 1709647331500},
	    {"2015-07-29 17:41:44,747", 0, 0, 1438191704747},
	    /* an out-of-range tz_offset_s is taken as UTC */
	    {"2024-03-05T14:02:11", 0, 86400, 1709647331000},
	    {"2024-03-05T14:02:11", 0, -100000, 1709647331000},
	};
	RUN(t);
}

Test(timestamp, leap_years_and_leap_seconds)
{
	static const struct tcase t[] = {
	    {"2024-02-29T00:00:00Z", 0, 0, 1709164800000},
	    {"2000-02-29T12:00:00Z", 0, 0, 951825600000},
	    {"2023-02-29T00:00:00Z", 0, 0, NONE},
	    {"1900-02-29T00:00:00Z", 0, 0, NONE},
	    {"2100-02-29T00:00:00Z", 0, 0, NONE},
	    {"2100-02-28T00:00:00Z", 0, 0, 4107456000000},
	    {"1900-03-01T00:00:00Z", 0, 0, -2203891200000},
	    /* 23:59:60 reads as the next second, 2017-01-01T00:00:00Z */
	    {"2016-12-31T23:59:60Z", 0, 0, 1483228800000},
	    {"29/Feb/2024:14:02:11 +0000", 0, 0, 1709215331000},
	    {"29/Feb/2023:14:02:11 +0000", 0, 0, NONE},
	};
	RUN(t);
}

Test(timestamp, iso_out_of_range_or_malformed_is_rejected)
{
	static const struct tcase t[] = {
	    {"2024-13-05T14:02:11Z", 0, 0, NONE},	 {"2024-00-05T14:02:11Z", 0, 0, NONE},
	    {"2024-03-00T14:02:11Z", 0, 0, NONE},	 {"2024-03-32T14:02:11Z", 0, 0, NONE},
	    {"2024-04-31T14:02:11Z", 0, 0, NONE},	 {"2024-03-05T24:00:00Z", 0, 0, NONE},
	    {"2024-03-05T14:60:11Z", 0, 0, NONE},	 {"2024-03-05T14:02:61Z", 0, 0, NONE},
	    {"2024-03-05T14:02:11+24:00", 0, 0, NONE},	 {"2024-03-05T14:02:11+01:60", 0, 0, NONE},
	    {"2024-03-05T14:02:11+1", 0, 0, NONE},	 {"2024-03-05T14:02:11+01:0", 0, 0, NONE},
	    {"2024-03-05T14:02:11Zx", 0, 0, NONE},	 {"2024-03-05T14:02:11 Z", 0, 0, NONE},
	    {" 2024-03-05T14:02:11Z", 0, 0, NONE},	 {"2024-03-05T14:02Z", 0, 0, NONE},
	    {"2024-03-05T14:02:11.Z", 0, 0, NONE},	 {"2024-03-05", 0, 0, NONE},
	    {"2024-3-5T14:02:11Z", 0, 0, NONE},		 {"2024-03-05X14:02:11Z", 0, 0, NONE},
	    {"2024-03-05T14:02:11 garbage", 0, 0, NONE}, {"", 0, 0, NONE},
	    {"2024-03-05T1a:02:11Z", 0, 0, NONE},	 {"2024/03/05 14:02:11", 0, 0, NONE},
	};
	RUN(t);
}

Test(timestamp, rfc3164_takes_the_year_that_is_at_most_7_days_ahead)
{
	static const struct tcase t[] = {
	    {"Mar  5 14:02:11", NOW_2024_03_10, 0, 1709647331000},
	    {"Mar 5 14:02:11", NOW_2024_03_10, 0, 1709647331000},
	    {"Mar 05 14:02:11", NOW_2024_03_10, 0, 1709647331000},
	    {"mar  5 14:02:11", NOW_2024_03_10, 0, 1709647331000},
	    {"MAR  5 14:02:11", NOW_2024_03_10, 0, 1709647331000},
	    {"Mar  5 14:02:11.250", NOW_2024_03_10, 0, 1709647331250},
	    {"Mar  5 15:02:11", NOW_2024_03_10, 3600, 1709647331000},
	    /* 5 days ahead of now: this year; 15 days ahead: last year */
	    {"Mar 15 14:02:11", NOW_2024_03_10, 0, 1710511331000},
	    {"Mar 25 14:02:11", NOW_2024_03_10, 0, 1679752931000},
	    /* read on 2025-01-02 12:00: Dec 31 is 2024's */
	    {"Dec 31 10:00:00", 1735819200000, 0, 1735639200000},
	    /* read on 2024-12-30: Jan 2 (3 days ahead) is 2025's */
	    {"Jan  2 00:00:00", 1735516800000, 0, 1735776000000},
	    /* read on 2025-06-15: Feb 29 goes back to 2024 */
	    {"Feb 29 14:02:11", 1749945600000, 0, 1709215331000},
	    {"Feb 30 14:02:11", NOW_2024_03_10, 0, NONE},
	    {"Apr 31 14:02:11", NOW_2024_03_10, 0, NONE},
	    {"Mar 32 14:02:11", NOW_2024_03_10, 0, NONE},
	    {"Mar  0 14:02:11", NOW_2024_03_10, 0, NONE},
	    {"Foo  5 14:02:11", NOW_2024_03_10, 0, NONE},
	    {"Mar  5 24:02:11", NOW_2024_03_10, 0, NONE},
	    {"Mar   5 14:02:11", NOW_2024_03_10, 0, NONE},
	    {"Mar  5 14:02:11 host", NOW_2024_03_10, 0, NONE},
	    {"Mar  5 14:02", NOW_2024_03_10, 0, NONE},
	    /* a caller that does not know the time gets no year-less stamps */
	    {"Mar  5 14:02:11", TS_NOW_NONE, 0, NONE},
	};
	RUN(t);
}

Test(timestamp, clf_forms)
{
	static const struct tcase t[] = {
	    {"05/Mar/2024:15:02:11 +0100", 0, 0, 1709647331000},
	    {"05/Mar/2024:14:02:11 +0000", 0, 0, 1709647331000},
	    {"05/Mar/2024:09:02:11 -0500", 0, 0, 1709647331000},
	    {"05/Mar/2024:15:02:11 +01:00", 0, 0, 1709647331000},
	    {"05/mar/2024:14:02:11 +0000", 0, 0, 1709647331000},
	    {"22/Jan/2019:03:56:14 +0330", 0, 0, 1548116774000},
	    {"10/Oct/2000:13:55:36 -0700", 0, 0, 971211336000},
	    {"05/Mar/2024:14:02:11", 0, 0, 1709647331000},
	    {"05/Mar/2024:15:02:11", 0, 3600, 1709647331000},
	    {"30/Feb/2024:00:00:00 +0000", 0, 0, NONE},
	    {"05/Foo/2024:14:02:11 +0000", 0, 0, NONE},
	    {"05/Mar/2024 14:02:11 +0000", 0, 0, NONE},
	    {"5/Mar/2024:14:02:11 +0000", 0, 0, NONE},
	    {"05/Mar/2024:14:02:11 +010", 0, 0, NONE},
	    {"05/Mar/2024:14:02:11 +2400", 0, 0, NONE},
	    {"05/Mar/2024:14:02:11 +01", 0, 0, NONE},
	    {"05/Mar/2024:14:02:11 +0000]", 0, 0, NONE},
	    {"05/Mar/2024:14:02:61 +0000", 0, 0, NONE},
	};
	RUN(t);
}

Test(timestamp, epoch_numbers_by_digit_count)
{
	static const struct tcase t[] = {
	    {"170964733", 0, 0, 170964733000},		  /* 9 digits: seconds */
	    {"1709647331", 0, 0, 1709647331000},	  /* 10 */
	    {"17096473310", 0, 0, 17096473310000},	  /* 11 */
	    {"1709647331.123", 0, 0, 1709647331123},	  /* fraction */
	    {"1709647331.5", 0, 0, 1709647331500},	  /* one digit */
	    {"1709647331.123999", 0, 0, 1709647331123},	  /* truncated */
	    {"170964733112", 0, 0, 170964733112},	  /* 12 digits: ms */
	    {"1709647331123", 0, 0, 1709647331123},	  /* 13 */
	    {"12345678901234", 0, 0, 12345678901234},	  /* 14 */
	    {"123456789012345", 0, 0, 123456789012},	  /* 15: us */
	    {"1709647331123456", 0, 0, 1709647331123},	  /* 16 */
	    {"17096473311234567", 0, 0, 17096473311234},  /* 17 */
	    {"170964733112345678", 0, 0, 170964733112},	  /* 18: ns */
	    {"1709647331123456789", 0, 0, 1709647331123}, /* 19 */
	    {"9999999999999999999", 0, 0, 9999999999999}, /* above INT64_MAX as ns */
	    {"1709647331 \r\n", 0, 0, 1709647331000},
	    {"17096473", 0, 0, NONE},		  /* 8 digits: a date, not epoch */
	    {"17096473311234567890", 0, 0, NONE}, /* 20 */
	    {"1709647331123.5", 0, 0, NONE},	  /* fraction only for seconds */
	    {"1709647331.", 0, 0, NONE},
	    {"1709647331,5", 0, 0, NONE},
	    {"-1709647331", 0, 0, NONE},
	    {"+1709647331", 0, 0, NONE},
	    {"1709647331x", 0, 0, NONE},
	    {"1709647331.5x", 0, 0, NONE},
	    {"1.709647331e9", 0, 0, NONE},
	};
	RUN(t);
}

Test(timestamp, reads_only_len_bytes)
{
	/* The stamp is a prefix of a longer buffer: only len bytes count. */
	const char *buf = "2024-03-05T14:02:11Zgarbage";
	int64_t ms = 0;

	cr_assert_eq(ts_parse(buf, 20, 0, 0, &ms), 0);
	cr_assert_eq(ms, 1709647331000);
	cr_assert_eq(ts_parse(buf, 21, 0, 0, &ms), -1);
	cr_assert_eq(ts_parse(buf, 19, 0, 0, &ms), 0); /* no zone: tz 0 */
	/* A NUL inside is just a byte that does not belong. */
	cr_assert_eq(ts_parse("1709647331\0", 11, 0, 0, &ms), -1);
	cr_assert_eq(ts_parse(NULL, 0, 0, 0, &ms), -1);
}

/* Every day from 1899 to 2101 at a time that walks through the clock, in
 * ISO, CLF and (with now set a day later) RFC 3164 form, against timegm. */
Test(timestamp, every_day_1899_to_2101_matches_timegm)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm = {.tm_year = -1, .tm_mon = 0, .tm_mday = 1};
	int checked = 0;

	for (int i = 0; i < 203 * 366; i++) {
		struct tm t = tm;
		t.tm_mday += i;
		t.tm_hour = i % 24;
		t.tm_min = (i * 7) % 60;
		t.tm_sec = (i * 13) % 60;
		int64_t want = (int64_t)timegm(&t) * 1000; /* normalises t too */
		if (t.tm_year + 1900 > 2101)
			break;
		char s[64];
		int64_t got = 0;
		snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900,
			 t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
		cr_assert(ts_parse(s, strlen(s), 0, 0, &got) == 0 && got == want, "%s", s);
		snprintf(s, sizeof(s), "%02d/%s/%04d:%02d:%02d:%02d -0130", t.tm_mday,
			 mon[t.tm_mon], t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
		cr_assert(ts_parse(s, strlen(s), 0, 0, &got) == 0 && got == want + 5400000, "%s",
			  s);
		snprintf(s, sizeof(s), "%s %2d %02d:%02d:%02d", mon[t.tm_mon], t.tm_mday, t.tm_hour,
			 t.tm_min, t.tm_sec);
		cr_assert(ts_parse(s, strlen(s), want + 86400000, 0, &got) == 0 && got == want,
			  "%s (year %d)", s, t.tm_year + 1900);
		checked++;
	}
	cr_assert_gt(checked, 74000);
}
