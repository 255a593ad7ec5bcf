/*
 * tzone.h - time zones for timestamps that carry none (a source's
 * `timezone:`): UTC, a fixed offset, or a zone of the system's tz database
 * (TZif files under $TZDIR or /usr/share/zoneinfo, RFC 8536) with its
 * daylight-saving rules.
 *
 * A zone is loaded once (at config load: file I/O and allocation happen
 * there only) and is then read-only: any thread may ask it for offsets, with
 * no lock, no libc TZ state (no setenv/tzset/localtime) and no allocation.
 * A zeroed struct tz_zone is UTC; {.off0 = X} is the fixed offset X.
 *
 * Owns: the transition tables of a loaded zone (freed by tz_zone_free).
 */
#ifndef WEIR_PATTERN_TZONE_H
#define WEIR_PATTERN_TZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One end of a POSIX TZ daylight-saving rule ("M3.5.0/2", "J60", "59"). */
struct tz_date {
	char kind;    /* 'M': month.week.day; 'J': 1..365 without Feb 29; 'N': 0..365 */
	int16_t m, w; /* 'M': month 1..12, week 1..5 (5 = the last) */
	int16_t d;    /* 'M': weekday 0..6 (Sunday 0); 'J', 'N': the day number */
	int32_t secs; /* local time of day it happens, -167h..167h (default 2h) */
};

struct tz_zone {
	char *name;	 /* as given ("Europe/Berlin", "+02:00", "local"); NULL for UTC */
	int32_t off0;	 /* seconds east of UTC before the first transition; with no
			    transitions and no rule, always */
	uint32_t ntrans; /* transitions from the TZif file */
	int64_t *at;	 /* [ntrans] UTC seconds, ascending */
	int32_t *off;	 /* [ntrans] offset from at[i] on */
	bool rule;	 /* after the last transition (or always, with none): the POSIX rule */
	bool has_dst;	 /* the rule has daylight-saving time */
	int32_t std_off; /* the rule's standard offset, seconds east of UTC */
	int32_t dst_off; /* and its daylight-saving offset */
	struct tz_date start, end; /* DST from start (local standard time) to end (local DST) */
};

/* Largest offset accepted anywhere (real zones stay within -12h..+14h). */
#define TZ_OFFSET_MAX (24 * 3600 - 1)

/*
 * Load spec into *out (OUT; free with tz_zone_free):
 *   "UTC"                       UTC
 *   "+02:00", "-0530", "+02"    a fixed offset east of UTC (hours 0..23)
 *   "local"                     the machine's zone: $TZ if set (a zone name,
 *                               ":name", a path or a POSIX TZ string; empty is
 *                               UTC), else /etc/localtime, else UTC
 *   "Europe/Berlin", ...        a TZif file under $TZDIR or /usr/share/zoneinfo
 * Returns 0; -EINVAL (bad spec or file) or -ENOENT (no such zone) with why
 * (a short reason, NUL-terminated) filled in; or -ENOMEM.
 */
int tz_zone_load(const char *spec, struct tz_zone **out, char *why, size_t whylen);

/* A zone from a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3", "EST5EDT",
 * "<+0530>-5:30"). 0, -EINVAL or -ENOMEM. */
int tz_zone_posix(const char *tz, struct tz_zone **out);

/* A zone from the bytes of a TZif file. name is copied. 0, -EINVAL (with
 * why) or -ENOMEM. */
int tz_zone_tzif(const char *name, const unsigned char *buf, size_t len, struct tz_zone **out,
		 char *why, size_t whylen);

void tz_zone_free(struct tz_zone *z);

/* Does z have one offset for all time (UTC, a fixed offset)? NULL: yes. */
static inline bool tz_zone_fixed(const struct tz_zone *z)
{
	return !z || (!z->ntrans && !z->rule);
}

/* Seconds east of UTC in z at the instant utc_s (seconds since the epoch).
 * NULL is UTC. */
int32_t tz_offset_at(const struct tz_zone *z, int64_t utc_s);

/*
 * The offset that turns local wall-clock time local_s (seconds since the
 * epoch as if the wall clock were UTC) into an instant: utc = local_s -
 * offset. A time that occurs twice (clocks set back) is read as the first
 * (the offset before the change); a time that does not exist (clocks set
 * forward) is read with the offset before the change, so 02:30 on the day
 * Europe/Berlin springs forward is 01:30 UTC. NULL is UTC.
 */
int32_t tz_offset_local(const struct tz_zone *z, int64_t local_s);

#endif
