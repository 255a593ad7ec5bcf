/*
 * timestamp.h - turn the text of one timestamp into epoch milliseconds.
 *
 * Pure and reentrant: no locale, no libc TZ state, no timegm/mktime, no
 * allocation. Reads only p[0..len), whatever the bytes, in time linear in
 * len. Dates are proleptic Gregorian; a stamp names wall-clock time at an
 * offset (its own, else tz_offset_s or, with ts_parse_in, the offset a
 * loaded zone has at that wall-clock time, daylight saving included), and
 * the result is UTC.
 *
 * Accepted (the whole input must be one stamp; trailing spaces, tabs, CR
 * and LF are ignored, anything else before or after makes it -1):
 *  - ISO 8601 / RFC 3339: "YYYY-MM-DD" then 'T', 't' or one space, then
 *    "hh:mm:ss", an optional fraction ('.' or ',' then any number of
 *    digits; the first three are kept, the rest truncated), then an
 *    optional zone: 'Z'/'z', "+hh:mm", "+hhmm" or "+hh" (or '-'), which may
 *    follow one space when it is numeric ("2024-03-05 14:02:11 +0100").
 *    No zone: tz_offset_s. Years 0000..9999.
 *  - RFC 3164: "Mmm dd hh:mm:ss", "Mmm  d hh:mm:ss" or "Mmm d hh:mm:ss"
 *    (month name in any case), optional fraction as above. It has no year:
 *    the latest year that puts it at most TS_FUTURE_SLACK_S after now_ms
 *    (so "Dec 31" read on Jan 2 is last year's; "Feb 29" goes back to the
 *    last leap year). No zone: tz_offset_s. With now_ms == TS_NOW_NONE
 *    such stamps are rejected (-1).
 *  - CLF (Apache/nginx): "dd/Mmm/yyyy:hh:mm:ss" then optionally one space
 *    and a zone "+hhmm" or "+hh:mm" (none: tz_offset_s).
 *  - Epoch numbers, by digit count: 9-11 digits seconds (optionally '.'
 *    and 1+ fraction digits, truncated to ms), 12-14 milliseconds, 15-17
 *    microseconds, 18-19 nanoseconds (truncated to ms). No sign.
 * Ranges are checked: month 1-12, day 1 to the month's length (Feb 29 only
 * in leap years), hour 0-23, minute 0-59, second 0-60 (a leap second reads
 * as the next second), zone hours 0-23 and minutes 0-59.
 *
 * Results lie within TS_MIN_MS..TS_MAX_MS (year 0000 minus a day to year
 * 9999 plus a day, since a zone may shift a stamp by up to 23:59).
 */
#ifndef WEIR_PATTERN_TIMESTAMP_H
#define WEIR_PATTERN_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

struct tz_zone;

/* A stamp without a year may lie this far in the future of now_ms. */
#define TS_FUTURE_SLACK_S (7 * 86400)
/* now_ms for callers that do not know the time: year-less stamps fail. */
#define TS_NOW_NONE INT64_MIN
/* Bounds of every result: 0000-01-01T00:00Z - 1 day, 9999-12-31T23:59:60.999Z + 1 day. */
#define TS_MIN_MS (-62167219200000LL - 86400000LL)
#define TS_MAX_MS (253402300800999LL + 86400000LL)

/*
 * Parse the timestamp p[0..len) (see the file comment for the formats).
 * now_ms: epoch ms that picks the year of an RFC 3164 stamp, or
 * TS_NOW_NONE. tz_offset_s: seconds east of UTC for stamps that carry no
 * zone (outside -86399..86399 it is taken as 0). Returns 0 and sets
 * *out_ms (OUT: epoch ms, UTC), or -1 (and *out_ms untouched) when p is not
 * one valid timestamp.
 */
int ts_parse(const char *p, size_t len, int64_t now_ms, int32_t tz_offset_s,
	     int64_t *out_ms /* OUT */);

/* As ts_parse, with stamps that carry no zone read in zone (core/tzone.h;
 * borrowed; NULL: UTC). The year of an RFC 3164 stamp is inferred as
 * above, then its offset is the zone's at that wall-clock time. */
int ts_parse_in(const char *p, size_t len, int64_t now_ms, const struct tz_zone *zone,
		int64_t *out_ms /* OUT */);

/*
 * A timestamp at the start of a raw log line p[0..len): ISO 8601 / RFC 3339
 * (as above, 'T' or a space between date and time, optional fraction and
 * zone) or RFC 3164 "Mmm dd hh:mm:ss[.frac]", optionally inside '[' ']'
 * ("[2024-03-05 14:02:11,123] INFO ..."). It must end the line or be
 * followed by a byte that is not a letter or digit (for '[': by ']').
 * Zone-less stamps are read in zone (NULL: UTC), year-less ones get their
 * year from now_ms as in ts_parse. CLF and epoch numbers are not taken
 * here (a line that starts with a number is too often not a time).
 * Returns the bytes the stamp took (> 0) and sets *out_ms, or -1.
 */
int ts_parse_prefix(const char *p, size_t len, int64_t now_ms, const struct tz_zone *zone,
		    int64_t *out_ms /* OUT */);

#endif
