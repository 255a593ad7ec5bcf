/*
 * timestamp.c - the timestamp parser (see timestamp.h for the formats).
 *
 * Each format is a fixed-shape reader over p < end: every read is guarded
 * by an explicit length check, the only loops run over digits and stop at
 * end, so the work is linear in the length and nothing outside p[0..len)
 * is read. Calendar arithmetic is H. Hinnant's days-from-civil in int64,
 * with the inputs bounded (years 0..9999, or now_ms clamped) so nothing can
 * overflow.
 */
#include "pattern/timestamp.h"

#include "core/calendar.h"
#include "core/tzone.h"

#include <stdbool.h>
#include <string.h>

/* Clamp now to years 1..9999 so year inference cannot overflow. */
#define NOW_MIN_MS (-62135596800000LL)
#define NOW_MAX_MS (253402300799999LL)

/* A stamp's wall-clock fields and its own zone, if it has one. */
struct stamp {
	int64_t year; /* -1: not given */
	int mon, day, hour, min, sec;
	int ms;
	bool zoned;  /* the stamp names its offset (else the caller's zone applies) */
	int32_t off; /* zoned: seconds east of UTC */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at p (n <= 4) into *v. */
static bool digits(const char *p, const char *end, int n, int *v)
{
	int x = 0;

	if (end - p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return true;
}

static bool time_ok(const struct stamp *st)
{
	return st->hour <= 23 && st->min <= 59 && st->sec <= 60;
}

/* "hh:mm:ss" at p; returns the end or NULL. */
static const char *clock_time(const char *p, const char *end, struct stamp *st)
{
	if (end - p < 8 || p[2] != ':' || p[5] != ':' || !digits(p, end, 2, &st->hour) ||
	    !digits(p + 3, end, 2, &st->min) || !digits(p + 6, end, 2, &st->sec) || !time_ok(st))
		return NULL;
	return p + 8;
}

/* An optional fraction ('.' or ',' then 1+ digits) at p; ms gets the first
 * three digits. Returns the end, or NULL for a separator without digits. */
static const char *fraction(const char *p, const char *end, struct stamp *st)
{
	int n = 0, ms = 0;

	st->ms = 0;
	if (p >= end || (*p != '.' && *p != ','))
		return p;
	p++;
	while (p < end && is_digit(*p)) {
		if (n < 3)
			ms = ms * 10 + (*p - '0');
		n++;
		p++;
	}
	if (n == 0)
		return NULL;
	for (int i = n; i < 3; i++)
		ms *= 10;
	st->ms = ms;
	return p;
}

/* A numeric zone "+hh:mm", "+hhmm" or "+hh" (colon_ok / short_ok choose
 * which) at p; returns the end or NULL. */
static const char *numeric_zone(const char *p, const char *end, bool short_ok, int32_t *off)
{
	int hh, mm = 0;

	if (p >= end || (*p != '+' && *p != '-') || !digits(p + 1, end, 2, &hh))
		return NULL;
	int sign = *p == '-' ? -1 : 1;
	const char *q = p + 3;
	if (q < end && *q == ':') {
		if (!digits(q + 1, end, 2, &mm))
			return NULL;
		q += 3;
	} else if (digits(q, end, 2, &mm)) {
		q += 2;
	} else if (!short_ok) {
		return NULL;
	}
	if (hh > 23 || mm > 59)
		return NULL;
	*off = sign * (hh * 3600 + mm * 60);
	return q;
}

static int month_of(const char *p)
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

static bool is_alnum(char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* "YYYY-MM-DD[T ]hh:mm:ss[.frac][zone]"; returns the end or NULL. With
 * prefix (a stamp that starts a line), a zone after a space counts only
 * when no letter or digit follows it ("... 14:02:11 -12345 items" has none). */
static const char *parse_iso(const char *p, const char *end, bool prefix, struct stamp *st)
{
	int y;

	if (end - p < 19 || !digits(p, end, 4, &y) || p[4] != '-' || p[7] != '-' ||
	    !digits(p + 5, end, 2, &st->mon) || !digits(p + 8, end, 2, &st->day))
		return NULL;
	if (p[10] != 'T' && p[10] != 't' && p[10] != ' ')
		return NULL;
	st->year = y;
	p = clock_time(p + 11, end, st);
	if (!p || !(p = fraction(p, end, st)))
		return NULL;
	st->zoned = true;
	st->off = 0;
	if (p < end && (*p == 'Z' || *p == 'z'))
		return p + 1;
	bool sp = p < end && *p == ' ';
	const char *q = numeric_zone(p + sp, end, true, &st->off);
	if (q && !(prefix && sp && q < end && is_alnum(*q)))
		return q;
	st->zoned = false;
	return p;
}

/* "Mmm dd hh:mm:ss", "Mmm  d ...", "Mmm d ..." with an optional fraction. */
static const char *parse_bsd(const char *p, const char *end, struct stamp *st)
{
	if (end - p < 4 || p[3] != ' ' || (st->mon = month_of(p)) == 0)
		return NULL;
	p += 4;
	if (p < end && *p == ' ')
		p++;
	if (digits(p, end, 2, &st->day))
		p += 2;
	else if (digits(p, end, 1, &st->day))
		p++;
	else
		return NULL;
	if (p >= end || *p != ' ')
		return NULL;
	st->year = -1;
	st->zoned = false;
	p = clock_time(p + 1, end, st);
	return p ? fraction(p, end, st) : NULL;
}

/* "dd/Mmm/yyyy:hh:mm:ss[ +hhmm]". */
static const char *parse_clf(const char *p, const char *end, struct stamp *st)
{
	int y;

	if (end - p < 20 || !digits(p, end, 2, &st->day) || p[2] != '/' || p[6] != '/' ||
	    (st->mon = month_of(p + 3)) == 0 || !digits(p + 7, end, 4, &y) || p[11] != ':')
		return NULL;
	st->year = y;
	p = clock_time(p + 12, end, st);
	if (!p)
		return NULL;
	st->ms = 0;
	st->zoned = false;
	if (p < end && *p == ' ') {
		const char *q = numeric_zone(p + 1, end, false, &st->off);
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

	while (d < end && is_digit(*d) && d - p < 20)
		v = v * 10 + (uint64_t)(*d++ - '0');
	size_t n = (size_t)(d - p);
	if (n >= 9 && n <= 11) {
		struct stamp st;
		if (d < end && !(d = fraction(d, end, &st)))
			return -1;
		if (d != end || (d > p + n && p[n] != '.'))
			return -1;
		*out = (int64_t)v * 1000 + (d > p + n ? st.ms : 0);
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

/* The stamp in year as epoch ms: at its own offset, else in zone z. */
static int64_t stamp_ms(const struct stamp *st, int64_t year, const struct tz_zone *z)
{
	int64_t local = days_from_civil(year, st->mon, st->day) * 86400 + st->hour * 3600 +
			st->min * 60 + st->sec;
	int32_t off = st->zoned ? st->off : tz_offset_local(z, local);

	return (local - off) * 1000 + st->ms;
}

/* The latest year that puts a year-less stamp no further than the slack
 * after now; Feb 29 looks back to the last leap year. */
static int infer_year(const struct stamp *st, int64_t now_ms, const struct tz_zone *z, int64_t *out)
{
	if (now_ms == TS_NOW_NONE)
		return -1;
	if (now_ms < NOW_MIN_MS)
		now_ms = NOW_MIN_MS;
	if (now_ms > NOW_MAX_MS)
		now_ms = NOW_MAX_MS;
	int64_t limit = now_ms + (int64_t)TS_FUTURE_SLACK_S * 1000;
	int64_t now_s = floor_div(now_ms, 1000);
	int32_t off = st->zoned ? st->off : tz_offset_at(z, now_s);
	int64_t y = year_from_days(floor_div(now_s + off, 86400));

	for (int64_t c = y + 1; c >= y - 8; c--) {
		if (st->day > days_in_month(c, st->mon))
			continue;
		int64_t t = stamp_ms(st, c, z);
		if (t <= limit) {
			*out = t;
			return 0;
		}
	}
	return -1;
}

/* A parsed stamp (q its end) into epoch ms: 0 or -1. */
static int stamp_finish(const struct stamp *st, int64_t now_ms, const struct tz_zone *z,
			int64_t *out_ms)
{
	if (st->mon < 1 || st->mon > 12 || st->day < 1)
		return -1;
	if (st->year < 0)
		return infer_year(st, now_ms, z, out_ms);
	if (st->day > days_in_month(st->year, st->mon))
		return -1;
	*out_ms = stamp_ms(st, st->year, z);
	return 0;
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
	if (is_digit(p[0]) && is_digit(p[1]) && p[2] == '/')
		q = parse_clf(p, end, &st);
	else if (is_digit(p[0]) && end - p >= 5 && p[4] == '-')
		q = parse_iso(p, end, false, &st);
	else if (is_digit(p[0]))
		return parse_epoch(p, end, out_ms);
	else
		q = parse_bsd(p, end, &st);
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
	if (is_digit(s[0]))
		q = end - s >= 19 && s[4] == '-' ? parse_iso(s, end, true, &st) : NULL;
	else
		q = parse_bsd(s, end, &st);
	if (!q)
		return -1;
	if (bracket) {
		if (q == end || *q != ']')
			return -1;
		q++;
	} else if (q < end && is_alnum(*q)) {
		return -1;
	}
	if (stamp_finish(&st, now_ms, zone, out_ms))
		return -1;
	return (int)(q - p);
}
