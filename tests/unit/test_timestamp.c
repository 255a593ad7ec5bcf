/* test_timestamp.c - ts_parse: every format with exact epoch values
 * (worked out with `date -u -d ... +%s`, not with the code under test),
 * zones, leap years and leap seconds, year inference for RFC 3164 stamps,
 * rejected inputs, and a sweep of every day from 1899 to 2101 in three
 * formats against the C library's timegm(). */
#include "pattern/timestamp.h"

#include <criterion/criterion.h>
#include <errno.h>
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

/* ---------------------------------------------------------------------------
 * Year inference across the new year, time zones (core/tzone.h) and the
 * stamp at the start of a raw line.
 */

#include "core/tzone.h"

#include <stdlib.h>
#include <unistd.h>

/* 2025-01-01T00:10:00Z and 2024-12-31T23:59:00Z (date -u -d ... +%s) */
#define T_2025_01_01_0010 1735690200000LL
#define T_2024_12_31_2359 1735689540000LL

Test(timestamp, rfc3164_year_is_inferred_across_the_new_year)
{
	static const struct tcase t[] = {
	    /* read just after midnight on Jan 1: Dec 31 is last year's */
	    {"Dec 31 23:59:00", T_2025_01_01_0010, 0, T_2024_12_31_2359},
	    /* read on Dec 31: Jan 1 (a few minutes ahead) is next year's */
	    {"Jan  1 00:01:00", T_2024_12_31_2359, 0, 1735689660000LL},
	    /* the same with the stamps in UTC+2: the year is the wall clock's */
	    {"Jan  1 01:59:00", T_2025_01_01_0010, 7200, T_2024_12_31_2359},
	    {"Jan  1 02:10:00", T_2024_12_31_2359, 7200, T_2025_01_01_0010},
	};
	RUN(t);
}

/* The same stamps, through the parsers' path (ts_parse_in, fixed zone). */
Test(timestamp, parse_in_a_fixed_zone_equals_parse_at_its_offset)
{
	struct tz_zone *z;
	int64_t a, b;
	char why[128];

	cr_assert_eq(tz_zone_load("+05:30", &z, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(ts_parse_in("2024-03-05 19:32:11", 19, 0, z, &a), 0);
	cr_assert_eq(ts_parse("2024-03-05 19:32:11", 19, 0, 19800, &b), 0);
	cr_expect_eq(a, 1709647331000);
	cr_expect_eq(a, b);
	cr_assert_eq(ts_parse_in("Dec 31 23:59:00", 15, T_2025_01_01_0010, z, &a), 0);
	cr_expect_eq(a, T_2024_12_31_2359 - 19800000);
	/* a stamp with its own zone ignores the source's */
	cr_assert_eq(ts_parse_in("2024-03-05T14:02:11Z", 20, 0, z, &a), 0);
	cr_expect_eq(a, 1709647331000);
	/* NULL is UTC */
	cr_assert_eq(ts_parse_in("05/Mar/2024:14:02:11", 20, 0, NULL, &a), 0);
	cr_expect_eq(a, 1709647331000);
	tz_zone_free(z);
}

struct zcase {
	const char *in;
	int64_t now_ms;
	int64_t want; /* ms, or NONE */
};

static void run_zone(const struct tz_zone *z, const struct zcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t got = 42;
		int rc = ts_parse_in(c[i].in, strlen(c[i].in), c[i].now_ms, z, &got);

		cr_expect(rc == 0 && got == c[i].want, "\"%s\": want %lld, got rc %d, %lld",
			  c[i].in, (long long)c[i].want, rc, (long long)got);
	}
}

/* Europe/Berlin's 2024: CET (+1) until 2024-03-31 01:00Z, CEST (+2) until
 * 2024-10-27 01:00Z. Values from date -u -d '... UTC' +%s. */
static const struct zcase berlin_2024[] = {
    {"2024-01-15 12:00:00", 0, 1705316400000LL},	   /* 11:00Z */
    {"2024-07-15 12:00:00", 0, 1721037600000LL},	   /* 10:00Z */
    {"2024-03-31 01:59:59", 0, 1711846799000LL},	   /* 00:59:59Z, the last CET second */
    {"2024-03-31 03:00:00", 0, 1711846800000LL},	   /* 01:00Z, the first CEST one */
    {"2024-03-31 02:30:00", 0, 1711848600000LL},	   /* does not exist: read as CET, 01:30Z */
    {"2024-10-27 02:30:00", 0, 1729989000000LL},	   /* happens twice: the first, 00:30Z */
    {"2024-10-27 03:30:00", 0, 1729996200000LL},	   /* 02:30Z (CET again) */
    {"27/Oct/2024:12:00:00", 0, 1730026800000LL},	   /* CLF without a zone: 11:00Z */
    {"2024-07-15T12:00:00+00:00", 0, 1721044800000LL},	   /* its own zone wins */
    {"Jul 15 12:00:00", 1721433600000LL, 1721037600000LL}, /* read 2024-07-20: 10:00Z */
    {"Jan 15 12:00:00", 1721433600000LL, 1705316400000LL}, /* 11:00Z */
    /* read on 2025-01-01T00:10Z (01:10 in Berlin): Dec 31 23:30 is 2024's, 22:30Z */
    {"Dec 31 23:30:00", T_2025_01_01_0010, 1735684200000LL},
};

/* A TZif version 2 file: the given transitions and types, then footer. */
static size_t tzif_make(unsigned char *buf, const int64_t *at, const unsigned char *types,
			uint32_t n, const int32_t *offs, uint32_t ntypes, const char *footer)
{
	unsigned char *p = buf;
	const uint32_t v1[6] = {0, 0, 0, 0, 1, 4};
	const uint32_t v2[6] = {0, 0, 0, n, ntypes, 4};

	for (int pass = 0; pass < 2; pass++) {
		const uint32_t *c = pass ? v2 : v1;

		memcpy(p, "TZif2", 5);
		memset(p + 5, 0, 15);
		p += 20;
		for (int i = 0; i < 6; i++, p += 4) {
			p[0] = (unsigned char)(c[i] >> 24);
			p[1] = (unsigned char)(c[i] >> 16);
			p[2] = (unsigned char)(c[i] >> 8);
			p[3] = (unsigned char)c[i];
		}
		if (!pass) { /* v1 body: one type (UTC) and its name */
			memset(p, 0, 6);
			memcpy(p + 6, "UTC", 4);
			p += 10;
			continue;
		}
		for (uint32_t i = 0; i < n; i++)
			for (int k = 0; k < 8; k++)
				*p++ = (unsigned char)((uint64_t)at[i] >> (56 - 8 * k));
		if (n)
			memcpy(p, types, n);
		p += n;
		for (uint32_t i = 0; i < ntypes; i++) {
			uint32_t o = (uint32_t)offs[i];

			*p++ = (unsigned char)(o >> 24);
			*p++ = (unsigned char)(o >> 16);
			*p++ = (unsigned char)(o >> 8);
			*p++ = (unsigned char)o;
			*p++ = i > 0; /* isdst */
			*p++ = 0;     /* name index */
		}
		memcpy(p, "XXX", 4);
		p += 4;
	}
	p += (size_t)sprintf((char *)p, "\n%s\n", footer);
	return (size_t)(p - buf);
}

/* A "slim" TZif (zic -b slim): no transitions, only the rule in the footer. */
Test(timestamp, slim_tzif_zone_reads_daylight_saving_from_its_rule)
{
	unsigned char buf[512];
	const int32_t offs[] = {3600};
	struct tz_zone *z;
	char why[128];
	size_t len = tzif_make(buf, NULL, NULL, 0, offs, 1, "CET-1CEST,M3.5.0,M10.5.0/3");

	cr_assert_eq(tz_zone_tzif("Test/Slim", buf, len, &z, why, sizeof(why)), 0, "%s", why);
	run_zone(z, berlin_2024, sizeof(berlin_2024) / sizeof(berlin_2024[0]));
	cr_expect_str_eq(z->name, "Test/Slim");
	tz_zone_free(z);
}

Test(timestamp, tzif_transitions_then_the_footer_rule)
{
	unsigned char buf[512];
	/* -05 until 2000-01-01T00:00Z, then +01 until 2010-01-01, then the rule */
	const int64_t at[] = {946684800, 1262304000};
	const unsigned char types[] = {1, 2};
	const int32_t offs[] = {-18000, 3600, 7200};
	struct tz_zone *z;
	char why[128];
	size_t len = tzif_make(buf, at, types, 2, offs, 3, "CET-1CEST,M3.5.0,M10.5.0/3");

	cr_assert_eq(tz_zone_tzif("T", buf, len, &z, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(tz_offset_at(z, 946684799), -18000, "type 0 before the first transition");
	cr_expect_eq(tz_offset_at(z, 946684800), 3600);
	cr_expect_eq(tz_offset_at(z, 978307200 + 180 * 86400), 3600, "2001 summer: no DST");
	cr_expect_eq(tz_offset_at(z, 1262304000), 3600, "2010-01-01: the rule, CET");
	cr_expect_eq(tz_offset_at(z, 1719792000), 7200, "2024-07-01: the rule, CEST");
	run_zone(z, berlin_2024, sizeof(berlin_2024) / sizeof(berlin_2024[0]));
	tz_zone_free(z);
	/* the same without a footer: the last type stays */
	len = tzif_make(buf, at, types, 2, offs, 3, "");
	cr_assert_eq(tz_zone_tzif("T", buf, len, &z, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(tz_offset_at(z, 1719792000), 7200);
	cr_expect_eq(tz_offset_at(z, 1705316400), 7200);
	tz_zone_free(z);
}

Test(timestamp, damaged_tzif_files_are_refused)
{
	unsigned char buf[512];
	const int64_t at[] = {1262304000, 946684800}; /* not ascending */
	const unsigned char types[] = {0, 1};
	const int32_t offs[] = {0, 3600};
	struct tz_zone *z = (struct tz_zone *)1;
	char why[128];
	size_t len = tzif_make(buf, at, types, 2, offs, 2, "");

	cr_expect_eq(tz_zone_tzif("T", buf, len, &z, why, sizeof(why)), -EINVAL);
	cr_expect_null(z);
	len = tzif_make(buf, NULL, NULL, 0, offs, 1, "CET-1CEST,M13.5.0");
	cr_expect_eq(tz_zone_tzif("T", buf, len, &z, why, sizeof(why)), -EINVAL);
	cr_expect_eq(tz_zone_tzif("T", (const unsigned char *)"TZif", 4, &z, why, sizeof(why)),
		     -EINVAL);
	cr_expect_str_eq(why, "not a TZif time zone file");
	/* every cut of a good file is refused, none read beyond it */
	len = tzif_make(buf, at + 1, types + 1, 1, offs, 2, "CET-1");
	for (size_t cut = 0; cut < len - 1; cut++) {
		unsigned char *copy = malloc(cut + 1);

		memcpy(copy, buf, cut);
		cr_expect_eq(tz_zone_tzif("T", copy, cut, &z, why, sizeof(why)), -EINVAL,
			     "cut at %zu", cut);
		free(copy);
	}
	cr_expect_eq(tz_zone_tzif("T", buf, len, &z, why, sizeof(why)), 0);
	tz_zone_free(z);
}

Test(timestamp, named_zone_from_the_system_database)
{
	struct tz_zone *z;
	char why[200];

	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) || getenv("TZDIR"))
		cr_skip_test("no /usr/share/zoneinfo/Europe/Berlin");
	cr_assert_eq(tz_zone_load("Europe/Berlin", &z, why, sizeof(why)), 0, "%s", why);
	run_zone(z, berlin_2024, sizeof(berlin_2024) / sizeof(berlin_2024[0]));
	tz_zone_free(z);
	cr_expect_eq(tz_zone_load("Europe/Nowhere", &z, why, sizeof(why)), -ENOENT);
	cr_expect_str_eq(why, "no time zone 'Europe/Nowhere' in /usr/share/zoneinfo");
}

/* Every 7 hours from 1901 to 2100, offsets of real zones against the C
 * library's localtime_r, which reads the same files. */
Test(timestamp, system_zones_agree_with_localtime)
{
	static const char *const names[] = {
	    "Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Sao_Paulo",
	    "Asia/Kolkata",  "Europe/Dublin",	 "Pacific/Chatham",  "America/St_Johns"};

	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) || getenv("TZDIR"))
		cr_skip_test("no /usr/share/zoneinfo");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct tz_zone *z;
		char why[200];

		cr_assert_eq(tz_zone_load(names[i], &z, why, sizeof(why)), 0, "%s: %s", names[i],
			     why);
		setenv("TZ", names[i], 1);
		tzset();
		for (int64_t t = -2145916800LL; t < 4102444800LL; t += 7 * 3600 + 17) {
			time_t tt = (time_t)t;
			struct tm tm;

			localtime_r(&tt, &tm);
			cr_assert_eq(tz_offset_at(z, t), tm.tm_gmtoff, "%s at %lld", names[i],
				     (long long)t);
			/* and back: the wall-clock time names t (or, when it happens
			 * twice, the first of the two) */
			int64_t local = t + tm.tm_gmtoff, back = local - tz_offset_local(z, local);
			if (back != t) {
				time_t bt = (time_t)back;
				struct tm bm;

				localtime_r(&bt, &bm);
				cr_assert(back < t && back + bm.tm_gmtoff == local,
					  "%s: local time of %lld", names[i], (long long)t);
			}
		}
		tz_zone_free(z);
	}
}

Test(timestamp, posix_rules_north_south_and_negative_times)
{
	static const struct {
		const char *tz;
		int64_t t;
		int32_t off;
	} c[] = {
	    /* Sydney: DST from the first Sunday of October to the first of April */
	    {"AEST-10AEDT,M10.1.0,M4.1.0/3", 1704067200, 39600}, /* 2024-01-01 */
	    {"AEST-10AEDT,M10.1.0,M4.1.0/3", 1719792000, 36000}, /* 2024-07-01 */
	    {"AEST-10AEDT,M10.1.0,M4.1.0/3", 1712419199, 39600}, /* 2024-04-07 02:59:59 AEDT */
	    {"AEST-10AEDT,M10.1.0,M4.1.0/3", 1712419200, 36000}, /* 02:00 AEST */
	    /* Nuuk: rule times before midnight */
	    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1711846799, -7200}, /* 2024-03-30 22:59:59Z */
	    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 1711846800, -3600},
	    /* J and zero-based days; a zone without DST */
	    {"XST-3XDT,J60/0,300", 1709251200, 14400}, /* 2024-03-01 00:00Z */
	    {"XST-3XDT,J60/0,300", 1709164800, 10800}, /* 2024-02-29 */
	    {"<+0530>-5:30", 1700000000, 19800},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tz_zone *z;

		cr_assert_eq(tz_zone_posix(c[i].tz, &z), 0, "%s", c[i].tz);
		cr_expect_eq(tz_offset_at(z, c[i].t), c[i].off, "%s at %lld: %d", c[i].tz,
			     (long long)c[i].t, tz_offset_at(z, c[i].t));
		tz_zone_free(z);
	}
}

Test(timestamp, time_zone_specs)
{
	static const struct {
		const char *spec;
		int rc;
		int32_t off;
	} c[] = {
	    {"UTC", 0, 0},
	    {"+02:00", 0, 7200},
	    {"-0530", 0, -19800},
	    {"+02", 0, 7200},
	    {"-00:00", 0, 0},
	    {"+23:59", 0, 86340},
	    {"+24:00", -EINVAL, 0},
	    {"+2", -EINVAL, 0},
	    {"+02:", -EINVAL, 0},
	    {"+02:5", -EINVAL, 0},
	    {"+0260", -EINVAL, 0},
	    {"02:00", -EINVAL, 0},
	    {"", -EINVAL, 0},
	    {"/etc/passwd", -EINVAL, 0},
	    {"../x", -EINVAL, 0},
	    {"a//b", -EINVAL, 0},
	    {"Europe/./Berlin", -EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tz_zone *z = NULL;
		char why[200];
		int rc = tz_zone_load(c[i].spec, &z, why, sizeof(why));

		cr_expect_eq(rc, c[i].rc, "'%s': %d (%s)", c[i].spec, rc, why);
		if (!rc) {
			cr_expect(tz_zone_fixed(z));
			cr_expect_eq(tz_offset_at(z, 1700000000), c[i].off, "'%s'", c[i].spec);
			cr_expect_eq(tz_offset_local(z, 1700000000), c[i].off, "'%s'", c[i].spec);
		} else {
			cr_expect_null(z);
			cr_expect_neq(why[0], '\0', "'%s' has a reason", c[i].spec);
		}
		tz_zone_free(z);
	}
	cr_expect_eq(tz_offset_at(NULL, 1700000000), 0);
	cr_expect_eq(tz_offset_local(NULL, 1700000000), 0);
}

struct pcase {
	const char *in;
	int took; /* bytes, or -1 */
	int64_t want;
};

Test(timestamp, stamp_at_the_start_of_a_raw_line)
{
	static const struct pcase c[] = {
	    {"2024-03-05T14:02:11Z GET /x", 20, 1709647331000},
	    {"2024-03-05T14:02:11.123456Z level=info", 27, 1709647331123},
	    {"2024-03-05 14:02:11,747 INFO main started", 23, 1709647331747},
	    {"2024-03-05 15:02:11 +0100 started", 25, 1709647331000},
	    {"2024-03-05T15:02:11+01:00|x", 25, 1709647331000},
	    {"2024-03-05 14:02:11", 19, 1709647331000},
	    {"2024-03-05 14:02:11 -12345 items", 19, 1709647331000}, /* not a zone */
	    {"2024-03-05 14:02:11 -05 x", 23, 1709665331000},	     /* a zone */
	    {"[2024-03-05 14:02:11] error", 21, 1709647331000},
	    {"[2024-03-05 14:02:11.5Z]", 24, 1709647331500},
	    {"Mar  5 14:02:11 web1 sshd[1]: Failed", 15, 1709647331000},
	    {"Mar 5 14:02:11.250: %LINK-3-UPDOWN", 18, 1709647331250},
	    {"mar 05 14:02:11", 15, 1709647331000},
	    /* not a stamp at the start */
	    {"2024-03-05T14:02:11Zfoo", -1, 0},
	    {"2024-03-05T14:02:11x", -1, 0},
	    {"[2024-03-05 14:02:11 error", -1, 0},
	    {"2024-03-05", -1, 0},
	    {" 2024-03-05T14:02:11Z", -1, 0},
	    {"1709647331 epoch", -1, 0},
	    {"05/Mar/2024:14:02:11 +0000", -1, 0},
	    {"Mar  5 14:02:11x", -1, 0},
	    {"March 5 14:02:11", -1, 0},
	    {"GET /index.html 2024-03-05T14:02:11Z", -1, 0},
	    {"2024-02-30T14:02:11Z x", -1, 0},
	    {"", -1, 0},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int64_t got = 42;
		int took = ts_parse_prefix(c[i].in, strlen(c[i].in), NOW_2024_03_10, NULL, &got);

		cr_expect_eq(took, c[i].took, "\"%s\": took %d, want %d", c[i].in, took, c[i].took);
		if (c[i].took > 0)
			cr_expect_eq(got, c[i].want, "\"%s\": %lld", c[i].in, (long long)got);
		else
			cr_expect_eq(got, 42, "\"%s\": out written on failure", c[i].in);
	}
}

Test(timestamp, line_start_stamp_reads_only_len_bytes_and_uses_the_zone)
{
	const char *line = "2024-03-05 15:02:11 rest";
	struct tz_zone *z;
	int64_t ms;
	char why[64];

	cr_assert_eq(tz_zone_load("+01:00", &z, why, sizeof(why)), 0);
	cr_expect_eq(ts_parse_prefix(line, strlen(line), 0, z, &ms), 19);
	cr_expect_eq(ms, 1709647331000);
	cr_expect_eq(ts_parse_prefix(line, 19, 0, z, &ms), 19);
	cr_expect_eq(ts_parse_prefix(line, 18, 0, z, &ms), -1);
	cr_expect_eq(ts_parse_prefix("Dec 31 23:59:00 x", 17, T_2025_01_01_0010, z, &ms), 15);
	cr_expect_eq(ms, T_2024_12_31_2359 - 3600000);
	cr_expect_eq(ts_parse_prefix("Dec 31 23:59:00 x", 17, TS_NOW_NONE, z, &ms), -1);
	cr_expect_eq(ts_parse_prefix(NULL, 0, 0, z, &ms), -1);
	tz_zone_free(z);
}
