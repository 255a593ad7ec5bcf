/*
 * stamp.h - the one time-stamp core: read the date and time forms that
 * syslog headers and the `time:` feature share (ISO 8601 / RFC 3339,
 * RFC 3164 "Mmm dd hh:mm:ss"), and turn the fields into epoch
 * milliseconds, inferring the year of a stamp that has none.
 *
 * Two callers, two dialects of the same forms: the syslog parser
 * (pattern/syslog.c: an RFC 5424 TIMESTAMP strictly by its ABNF, legacy
 * headers leniently) and the timestamp parser (pattern/timestamp.c: what
 * `time:` and the built-in format parsers accept). Where they differ, a
 * STAMP_* bit of the `syntax` argument says which way; the presets below
 * name each caller's set and say why. Everything else is read the same
 * way (month names in any case, a day of 1 or 2 digits, space-padded or
 * not, the ranges of every field, leap years).
 *
 * Pure and reentrant: no locale, no libc TZ state, no allocation. A reader
 * gets p < end, reads only p[0..end) (every read is length checked) and
 * runs in time linear in end - p. It returns where the stamp ends, or
 * NULL when there is none at p; on NULL *st is unspecified.
 */
#ifndef WEIR_PATTERN_STAMP_H
#define WEIR_PATTERN_STAMP_H

#include <stdbool.h>
#include <stdint.h>

struct tz_zone;

/* A stamp's wall-clock fields and its own zone, if it names one. Filled by
 * the readers; a caller may change year (syslog's year after the time). */
struct stamp {
	int year; /* 0..9999, or -1: not given (RFC 3164) */
	int mon, day, hour, min, sec;
	int32_t usec; /* the first 6 fraction digits, 0..999999 */
	bool zoned;   /* the stamp names its offset (else the caller's zone applies) */
	int32_t off;  /* zoned: seconds east of UTC (else 0) */
};

/* Bits of `syntax`. */
#define STAMP_SP_T 0x001u	   /* ISO: one space may stand for the 'T' */
#define STAMP_FRAC_COMMA 0x002u	   /* ',' starts a fraction as '.' does (log4j, Python) */
#define STAMP_FRAC_DIGITS 0x004u   /* a fraction separator needs 1+ digits (else: 0+) */
#define STAMP_FRAC_MAX6 0x008u	   /* at most 6 fraction digits (RFC 5424 TIME-SECFRAC) */
#define STAMP_LEAP_SECOND 0x010u   /* second 60 (read as the next second); else 0-59 */
#define STAMP_ZONE_NEEDED 0x020u   /* ISO: no zone, no stamp (RFC 5424 TIME-OFFSET) */
#define STAMP_ZONE_COLON 0x040u	   /* numeric zones only as +hh:mm (RFC 3339); else +hhmm too */
#define STAMP_ZONE_HOURS 0x080u	   /* numeric zones as +hh too */
#define STAMP_ZONE_AFTER_SP 0x100u /* ISO: a numeric zone may follow one space */
/* With ZONE_AFTER_SP: not when a letter or digit follows the zone
 * ("2024-03-05 14:02:11 -12345 items" has none). */
#define STAMP_ZONE_SP_WORD 0x200u
#define STAMP_BSD_YEAR 0x400u /* RFC 3164: "Mmm dd yyyy hh:mm:ss" (a year inside) */
/* Year inference compares whole seconds: neither the stamp's fraction nor
 * now's milliseconds count (else milliseconds: see stamp_time). */
#define STAMP_WHOLE_SECONDS 0x800u

/*
 * The presets, one a caller. Where they differ, each keeps what its parser
 * did before the two shared this core, so no result of either changed:
 *  - RFC 5424 TIMESTAMP (syslog.c), on purpose: the ABNF exactly ('T',
 *    1-6 fraction digits, Z or +hh:mm required, second 0-59); anything
 *    else is an invalid TIMESTAMP.
 *  - Legacy syslog headers (syslog.c): 'T' or SP, '.' and any number of
 *    fraction digits (even none), Z, +hh:mm or +hhmm right after the time,
 *    second 0-59, and a year inside the BSD stamp. What a stamp is here
 *    decides the rest of the header (a line without one is RAW, the word
 *    after it the hostname), so these stay as they were. The year
 *    inference compares whole seconds.
 *  - `time:` (timestamp.c, ts_parse and ts_parse_in): 'T' or SP, '.' or
 *    ',' with 1+ digits, leap second, Z, +hh:mm, +hhmm or +hh, the
 *    numeric ones also after one space; the year inference compares
 *    milliseconds. The two year inferences part only for a stamp in the
 *    last second the slack allows (test_stamp.c shows one).
 *  - A stamp that starts a raw line (ts_parse_prefix): as `time:`, but a
 *    zone after a space must not run on into a word.
 * The year inference slack is an argument (SYSLOG_FUTURE_SLACK_S,
 * TS_FUTURE_SLACK_S; 7 days both), and so is the zone of zone-less stamps.
 */
#define STAMP_SYSLOG_5424                                                                          \
	(STAMP_FRAC_DIGITS | STAMP_FRAC_MAX6 | STAMP_ZONE_NEEDED | STAMP_ZONE_COLON)
#define STAMP_SYSLOG_LEGACY (STAMP_SP_T | STAMP_BSD_YEAR | STAMP_WHOLE_SECONDS)
#define STAMP_TIME                                                                                 \
	(STAMP_SP_T | STAMP_FRAC_COMMA | STAMP_FRAC_DIGITS | STAMP_LEAP_SECOND |                   \
	 STAMP_ZONE_HOURS | STAMP_ZONE_AFTER_SP)
#define STAMP_LINE_PREFIX (STAMP_TIME | STAMP_ZONE_SP_WORD)

/* now_ms is clamped to years 1..9999 so year inference cannot overflow. */
#define STAMP_NOW_MIN_MS (-62135596800000LL)
#define STAMP_NOW_MAX_MS (253402300799999LL)

static inline bool stamp_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool stamp_is_alnum(char c)
{
	return stamp_is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Exactly n digits (n <= 9) at p, before end, into *v (OUT). */
static inline bool stamp_digits(const char *p, const char *end, int n, int *v)
{
	int x = 0;

	if (end - p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!stamp_is_digit(p[i]))
			return false;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return true;
}

/* The month named by the 3 bytes at p (any case; the caller checks that
 * there are 3): 1..12, or 0. */
int stamp_month(const char *p);

/* "hh:mm:ss" at p: hour 0-23, minute 0-59, second 0-59 (STAMP_LEAP_SECOND:
 * 0-60) into st (OUT). Returns the end or NULL. */
const char *stamp_clock(const char *p, const char *end, unsigned syntax,
			struct stamp *st /* OUT */);

/*
 * "YYYY-MM-DD" 'T' (or 't', or with STAMP_SP_T ' ') "hh:mm:ss", an
 * optional fraction (stamp_fraction), then a zone: 'Z', 'z' or a numeric
 * one (stamp_offset; with STAMP_ZONE_AFTER_SP after one space too). Month,
 * day (leap years counted), hour, minute and second are range checked
 * here. Without a zone (and no STAMP_ZONE_NEEDED) the stamp ends after
 * the time or fraction and st->zoned is false.
 */
const char *stamp_iso(const char *p, const char *end, unsigned syntax, struct stamp *st /* OUT */);

/*
 * "Mmm dd hh:mm:ss", "Mmm  d hh:mm:ss" or "Mmm d hh:mm:ss" (STAMP_BSD_YEAR:
 * also with "yyyy " before the time), then an optional fraction. The day
 * must exist in some year (Feb 29 does, Feb 30 does not); st->year is -1
 * unless given, st->zoned false. Ends right after the time or fraction.
 */
const char *stamp_bsd(const char *p, const char *end, unsigned syntax, struct stamp *st /* OUT */);

/*
 * An optional fraction at p: '.' (STAMP_FRAC_COMMA: or ',') and digits,
 * the first 6 kept in *usec (OUT, 0 when there is none), the rest
 * truncated. Returns p when there is no separator, the end of the digits,
 * or NULL when their count breaks STAMP_FRAC_DIGITS / STAMP_FRAC_MAX6.
 */
const char *stamp_fraction(const char *p, const char *end, unsigned syntax,
			   int32_t *usec /* OUT */);

/* A numeric zone at p: '+' or '-', then hh:mm, hhmm (unless
 * STAMP_ZONE_COLON) or hh (STAMP_ZONE_HOURS); hours 0-23, minutes 0-59.
 * Returns the end and *off (OUT: seconds east of UTC), or NULL. */
const char *stamp_offset(const char *p, const char *end, unsigned syntax, int32_t *off /* OUT */);

/*
 * The time st names, as epoch ms (OUT *out_ms) and the offset from UTC it
 * was read at (OUT *out_off, may be NULL): st's own zone, else zone's at
 * that wall-clock time (borrowed; NULL: UTC). A stamp without a year gets
 * the latest year (next year, this one or one of the 8 before) that puts
 * it no further than slack_s after now_ms, now clamped to
 * STAMP_NOW_MIN_MS..STAMP_NOW_MAX_MS (so "Dec 31" read on Jan 2 is last
 * year's, "Feb 29" goes back to the last leap year); the year now is in
 * is that of the stamp's offset (a zone's at now). "No further" compares milliseconds, fractions
 * included, or with STAMP_WHOLE_SECONDS (the only bit of syntax read here) whole seconds. Returns
 * 0, or -1 (outputs untouched) for a date that does not exist (Feb 29 2023) or no year that fits.
 */
int stamp_time(const struct stamp *st, int64_t now_ms, int32_t slack_s, unsigned syntax,
	       const struct tz_zone *zone, int64_t *out_ms /* OUT */, int32_t *out_off /* OUT */);

#endif
