/*
 * stamp.c - the time-stamp core (see stamp.h): fixed-shape readers over
 * p < end and the calendar step, shared by the syslog and the timestamp
 * parser.
 *
 * Every read is guarded by an explicit length check; the only loop runs
 * over fraction digits and stops at end, so the work is linear in the
 * length. Calendar arithmetic is H. Hinnant's days-from-civil in int64
 * (core/calendar.h) with the inputs bounded (years 0..9999, now clamped),
 * so nothing can overflow.
 */
#include "pattern/stamp.h"

#include "core/calendar.h"
#include "core/tzone.h"

#include <string.h>

int stamp_month(const char *p)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char m[3];

	for (int i = 0; i < 3; i++)
		m[i] = (char)(p[i] | 0x20); /* ASCII lower case; non-letters never match */
	for (int i = 0; i < 12; i++)
		if (memcmp(m, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

const char *stamp_clock(const char *p, const char *end, unsigned syntax, struct stamp *st)
{
	int sec_max = syntax & STAMP_LEAP_SECOND ? 60 : 59;

	if (end - p < 8 || p[2] != ':' || p[5] != ':' || !stamp_digits(p, end, 2, &st->hour) ||
	    !stamp_digits(p + 3, end, 2, &st->min) || !stamp_digits(p + 6, end, 2, &st->sec) ||
	    st->hour > 23 || st->min > 59 || st->sec > sec_max)
		return NULL;
	return p + 8;
}

const char *stamp_fraction(const char *p, const char *end, unsigned syntax, int32_t *usec)
{
	int n = 0;
	int32_t u = 0;

	*usec = 0;
	if (p >= end || !(*p == '.' || (*p == ',' && (syntax & STAMP_FRAC_COMMA))))
		return p;
	p++;
	while (p < end && stamp_is_digit(*p)) {
		if (n < 6)
			u = u * 10 + (*p - '0');
		n++;
		p++;
	}
	if ((n == 0 && (syntax & STAMP_FRAC_DIGITS)) || (n > 6 && (syntax & STAMP_FRAC_MAX6)))
		return NULL;
	for (int i = n; i < 6; i++)
		u *= 10;
	*usec = u;
	return p;
}

const char *stamp_offset(const char *p, const char *end, unsigned syntax, int32_t *off)
{
	int hh, mm = 0;

	if (p >= end || (*p != '+' && *p != '-') || !stamp_digits(p + 1, end, 2, &hh))
		return NULL;
	int sign = *p == '-' ? -1 : 1;
	const char *q = p + 3;
	if (q < end && *q == ':') {
		if (!stamp_digits(q + 1, end, 2, &mm))
			return NULL;
		q += 3;
	} else if (syntax & STAMP_ZONE_COLON) {
		return NULL;
	} else if (stamp_digits(q, end, 2, &mm)) {
		q += 2;
	} else if (!(syntax & STAMP_ZONE_HOURS)) {
		return NULL;
	}
	if (hh > 23 || mm > 59)
		return NULL;
	*off = sign * (hh * 3600 + mm * 60);
	return q;
}

const char *stamp_iso(const char *p, const char *end, unsigned syntax, struct stamp *st)
{
	int y;

	if (end - p < 19 || !stamp_digits(p, end, 4, &y) || p[4] != '-' || p[7] != '-' ||
	    !stamp_digits(p + 5, end, 2, &st->mon) || !stamp_digits(p + 8, end, 2, &st->day))
		return NULL;
	if (!(p[10] == 'T' || p[10] == 't' || (p[10] == ' ' && (syntax & STAMP_SP_T))))
		return NULL;
	if (st->mon < 1 || st->mon > 12 || st->day < 1 || st->day > days_in_month(y, st->mon))
		return NULL;
	st->year = y;
	p = stamp_clock(p + 11, end, syntax, st);
	if (!p || !(p = stamp_fraction(p, end, syntax, &st->usec)))
		return NULL;
	st->zoned = true;
	st->off = 0;
	if (p < end && (*p == 'Z' || *p == 'z'))
		return p + 1;
	bool sp = (syntax & STAMP_ZONE_AFTER_SP) && p < end && *p == ' ';
	const char *q = stamp_offset(p + sp, end, syntax, &st->off);
	if (q && !((syntax & STAMP_ZONE_SP_WORD) && sp && q < end && stamp_is_alnum(*q)))
		return q;
	if (syntax & STAMP_ZONE_NEEDED)
		return NULL;
	st->zoned = false;
	st->off = 0;
	return p;
}

const char *stamp_bsd(const char *p, const char *end, unsigned syntax, struct stamp *st)
{
	int y;

	if (end - p < 4 || p[3] != ' ' || (st->mon = stamp_month(p)) == 0)
		return NULL;
	p += 4;
	if (p < end && *p == ' ')
		p++;
	if (stamp_digits(p, end, 2, &st->day))
		p += 2;
	else if (stamp_digits(p, end, 1, &st->day))
		p++;
	else
		return NULL;
	/* Feb 29 exists in some year: 2000 has every day any year has. */
	if (st->day < 1 || st->day > days_in_month(2000, st->mon) || p >= end || *p != ' ')
		return NULL;
	p++;
	st->year = -1;
	if ((syntax & STAMP_BSD_YEAR) && stamp_digits(p, end, 4, &y) && p + 4 < end &&
	    p[4] == ' ') {
		st->year = y;
		p += 5;
	}
	st->zoned = false;
	st->off = 0;
	p = stamp_clock(p, end, syntax, st);
	return p ? stamp_fraction(p, end, syntax, &st->usec) : NULL;
}

/* The stamp in year as epoch ms: at its own offset, else in zone z. */
static int64_t stamp_ms(const struct stamp *st, int64_t year, const struct tz_zone *z, int32_t *off)
{
	int64_t local = days_from_civil(year, st->mon, st->day) * 86400 + st->hour * 3600 +
			st->min * 60 + st->sec;

	*off = st->zoned ? st->off : tz_offset_local(z, local);
	return (local - *off) * 1000 + st->usec / 1000;
}

/* The latest year that puts a year-less stamp no further than slack_s
 * after now: its time (*t) and offset (*off), or -1. */
static int infer_year(const struct stamp *st, int64_t now_ms, int32_t slack_s, unsigned syntax,
		      const struct tz_zone *zone, int64_t *t, int32_t *off)
{
	if (now_ms < STAMP_NOW_MIN_MS)
		now_ms = STAMP_NOW_MIN_MS;
	if (now_ms > STAMP_NOW_MAX_MS)
		now_ms = STAMP_NOW_MAX_MS;
	int64_t now_s = floor_div(now_ms, 1000);
	/* Whole seconds: t <= limit holds exactly when t's second is at most
	 * now's second plus the slack, whatever either's fraction. */
	int64_t limit = syntax & STAMP_WHOLE_SECONDS ? (now_s + slack_s) * 1000 + 999
						     : now_ms + (int64_t)slack_s * 1000;
	int32_t now_off = st->zoned ? st->off : tz_offset_at(zone, now_s);
	int64_t y = year_from_days(floor_div(now_s + now_off, 86400));

	for (int64_t c = y + 1; c >= y - 8; c--) {
		if (st->day > days_in_month(c, st->mon))
			continue;
		*t = stamp_ms(st, c, zone, off);
		if (*t <= limit)
			return 0;
	}
	return -1;
}

int stamp_time(const struct stamp *st, int64_t now_ms, int32_t slack_s, unsigned syntax,
	       const struct tz_zone *zone, int64_t *out_ms, int32_t *out_off)
{
	int64_t t;
	int32_t off;

	if (st->mon < 1 || st->mon > 12 || st->day < 1)
		return -1;
	if (st->year >= 0) {
		if (st->day > days_in_month(st->year, st->mon))
			return -1;
		t = stamp_ms(st, st->year, zone, &off);
	} else if (infer_year(st, now_ms, slack_s, syntax, zone, &t, &off)) {
		return -1;
	}
	*out_ms = t;
	if (out_off)
		*out_off = off;
	return 0;
}
