/*
 * timestamp.c - the timestamp parser (see timestamp.h for the formats).
 *
 * ISO 8601 and RFC 3164 stamps, the calendar and the year inference are
 * the time-stamp core's (pattern/stamp.h, in its STAMP_TIME and
 * STAMP_LINE_PREFIX dialects), shared with the syslog parser; CLF and
 * epoch numbers are read here. Each format is a fixed-shape reader over
 * p < end: every read is guarded by an explicit length check, the only
 * loops run over digits and stop at end, so the work is linear in the
 * length and nothing outside p[0..len) is read.
 */
#include "pattern/timestamp.h"

#include "core/tzone.h"
#include "pattern/stamp.h"

#include <stdbool.h>

/* CLF zones: "+hhmm" or "+hh:mm", not "+hh". */
#define CLF_SYNTAX (STAMP_TIME & ~STAMP_ZONE_HOURS)

/* "dd/Mmm/yyyy:hh:mm:ss[ +hhmm]"; the day's range is stamp_time's. */
static const char *parse_clf(const char *p, const char *end, struct stamp *st)
{
	if (end - p < 20 || !stamp_digits(p, end, 2, &st->day) || p[2] != '/' || p[6] != '/' ||
	    (st->mon = stamp_month(p + 3)) == 0 || !stamp_digits(p + 7, end, 4, &st->year) ||
	    p[11] != ':')
		return NULL;
	p = stamp_clock(p + 12, end, CLF_SYNTAX, st);
	if (!p)
		return NULL;
	st->usec = 0;
	st->zoned = false;
	st->off = 0;
	if (p < end && *p == ' ') {
		const char *q = stamp_offset(p + 1, end, CLF_SYNTAX, &st->off);
		if (q) {
			st->zoned = true;
			return q;
		}
	}
	return p;
}

/* Epoch digits: 9-11 seconds (with an optional fraction), 12-14 ms,
 * 15-17 us, 18-19 ns. */
static int parse_epoch(const char *p, const char *end, int64_t *out)
{
	const char *d = p;
	uint64_t v = 0;

	while (d < end && stamp_is_digit(*d) && d - p < 20)
		v = v * 10 + (uint64_t)(*d++ - '0');
	size_t n = (size_t)(d - p);
	if (n >= 9 && n <= 11) {
		int32_t usec = 0;
		if (d < end && !(d = stamp_fraction(d, end, STAMP_TIME, &usec)))
			return -1;
		if (d != end || (d > p + n && p[n] != '.'))
			return -1;
		*out = (int64_t)v * 1000 + usec / 1000;
		return 0;
	}
	if (d != end)
		return -1;
	if (n >= 12 && n <= 14)
		*out = (int64_t)v;
	else if (n >= 15 && n <= 17)
		*out = (int64_t)(v / 1000);
	else if (n >= 18 && n <= 19)
		*out = (int64_t)(v / 1000000);
	else
		return -1;
	return 0;
}

/* A parsed stamp into epoch ms: 0 or -1. TS_NOW_NONE is this API's: the
 * core knows no "unknown now", so year-less stamps stop here. */
static int stamp_finish(const struct stamp *st, int64_t now_ms, const struct tz_zone *z,
			int64_t *out_ms)
{
	if (st->year < 0 && now_ms == TS_NOW_NONE)
		return -1;
	return stamp_time(st, now_ms, TS_FUTURE_SLACK_S, STAMP_TIME, z, out_ms, NULL);
}

int ts_parse_in(const char *p, size_t len, int64_t now_ms, const struct tz_zone *zone,
		int64_t *out_ms)
{
	const char *end, *q;
	struct stamp st;

	if (!p || !out_ms)
		return -1;
	end = p + len;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (end - p < 9)
		return -1;
	if (stamp_is_digit(p[0]) && stamp_is_digit(p[1]) && p[2] == '/')
		q = parse_clf(p, end, &st);
	else if (stamp_is_digit(p[0]) && end - p >= 5 && p[4] == '-')
		q = stamp_iso(p, end, STAMP_TIME, &st);
	else if (stamp_is_digit(p[0]))
		return parse_epoch(p, end, out_ms);
	else
		q = stamp_bsd(p, end, STAMP_TIME, &st);
	if (q != end)
		return -1;
	return stamp_finish(&st, now_ms, zone, out_ms);
}

int ts_parse(const char *p, size_t len, int64_t now_ms, int32_t tz_offset_s, int64_t *out_ms)
{
	struct tz_zone fixed = {0};

	if (tz_offset_s <= TZ_OFFSET_MAX && tz_offset_s >= -TZ_OFFSET_MAX)
		fixed.off0 = tz_offset_s;
	return ts_parse_in(p, len, now_ms, &fixed, out_ms);
}

int ts_parse_prefix(const char *p, size_t len, int64_t now_ms, const struct tz_zone *zone,
		    int64_t *out_ms)
{
	const char *s = p, *end = p + len, *q;
	bool bracket = false;
	struct stamp st;

	if (!p || !out_ms)
		return -1;
	if (s < end && *s == '[') {
		bracket = true;
		s++;
	}
	if (end - s < 15)
		return -1;
	if (stamp_is_digit(s[0]))
		q = end - s >= 19 && s[4] == '-' ? stamp_iso(s, end, STAMP_LINE_PREFIX, &st) : NULL;
	else
		q = stamp_bsd(s, end, STAMP_LINE_PREFIX, &st);
	if (!q)
		return -1;
	if (bracket) {
		if (q == end || *q != ']')
			return -1;
		q++;
	} else if (q < end && stamp_is_alnum(*q)) {
		return -1;
	}
	if (stamp_finish(&st, now_ms, zone, out_ms))
		return -1;
	return (int)(q - p);
}
