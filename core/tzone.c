/*
 * tzone.c - time zones: fixed offsets, TZif files and POSIX TZ rules (see
 * tzone.h).
 *
 * A TZif file (RFC 8536) is a table of UTC instants at which the offset
 * changes, then (version 2 and later) a POSIX TZ string for instants after
 * the last one. Files made with `zic -b slim` stop their table early and
 * leave the rest to that string, so both are read. Files with leap-second
 * records ("right/" zones) count TAI-like seconds and are refused.
 *
 * Every reader checks lengths before it reads; nothing here trusts the
 * file. Offsets are looked up by binary search; the POSIX rule is worked
 * out per year with the calendar arithmetic of core/calendar.h.
 */
#include "core/tzone.h"

#include "core/calendar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_DIR_DEFAULT "/usr/share/zoneinfo"
#define TZ_LOCALTIME "/etc/localtime"
#define TZ_FILE_MAX (1u << 20) /* a TZif file larger than this is refused */
#define TZ_NAME_MAX 255
#define TZ_RULE_HOURS 167 /* RFC 8536 3.3.1: rule times may run -167h..167h */
/* Instants are clamped to this many seconds either side of the epoch
 * (about 3 million years) so that year arithmetic cannot overflow. */
#define TZ_T_LIMIT (100000000000000LL)

static void set_why(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
}

void tz_zone_free(struct tz_zone *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->at);
	free(z->off);
	free(z);
}

static struct tz_zone *zone_new(const char *name)
{
	struct tz_zone *z = calloc(1, sizeof(*z));

	if (z && name && !(z->name = strdup(name))) {
		free(z);
		return NULL;
	}
	return z;
}

/* ---------------------------------------------------------------------------
 * POSIX TZ strings: std offset [dst [offset] [,start[/time],end[/time]]]
 */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A zone abbreviation: 3+ letters, or <...> (e.g. "<+0530>"). */
static const char *posix_name(const char *p)
{
	const char *q = p;

	if (*p == '<') {
		for (q = p + 1; *q && *q != '>'; q++)
			if (!is_alpha(*q) && !is_digit(*q) && *q != '+' && *q != '-')
				return NULL;
		return *q == '>' && q - p >= 4 ? q + 1 : NULL;
	}
	while (is_alpha(*q))
		q++;
	return q - p >= 3 ? q : NULL;
}

/* An unsigned number of at most maxd digits, at most max. */
static const char *posix_num(const char *p, int maxd, int max, int *out)
{
	int v = 0, n = 0;

	while (is_digit(*p) && n < maxd) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (!n || is_digit(*p) || v > max)
		return NULL;
	*out = v;
	return p;
}

/* [+-]hh[:mm[:ss]] with hours up to maxh, into seconds (sign applied). */
static const char *posix_hms(const char *p, int maxh, int32_t *out)
{
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!(p = posix_num(p, 3, maxh, &h)))
		return NULL;
	if (*p == ':') {
		if (!(p = posix_num(p + 1, 2, 59, &m)))
			return NULL;
		if (*p == ':' && !(p = posix_num(p + 1, 2, 59, &s)))
			return NULL;
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return p;
}

/* One end of the rule: Jn, n or Mm.w.d, then an optional /time. */
static const char *posix_date(const char *p, struct tz_date *d)
{
	int a, b, c;

	if (*p == 'J') {
		if (!(p = posix_num(p + 1, 3, 365, &a)) || a < 1)
			return NULL;
		*d = (struct tz_date){'J', 0, 0, (int16_t)a, 0};
	} else if (*p == 'M') {
		if (!(p = posix_num(p + 1, 2, 12, &a)) || a < 1 || *p != '.' ||
		    !(p = posix_num(p + 1, 1, 5, &b)) || b < 1 || *p != '.' ||
		    !(p = posix_num(p + 1, 1, 6, &c)))
			return NULL;
		*d = (struct tz_date){'M', (int16_t)a, (int16_t)b, (int16_t)c, 0};
	} else {
		if (!(p = posix_num(p, 3, 365, &a)))
			return NULL;
		*d = (struct tz_date){'N', 0, 0, (int16_t)a, 0};
	}
	d->secs = 7200;
	if (*p == '/' && !(p = posix_hms(p + 1, TZ_RULE_HOURS, &d->secs)))
		return NULL;
	return p;
}

/* Parse tz into z's rule fields. 0 or -EINVAL. */
static int posix_parse(const char *tz, struct tz_zone *z)
{
	const char *p = tz;
	int32_t off;

	if (!(p = posix_name(p)) || !(p = posix_hms(p, 24, &off)))
		return -EINVAL;
	z->std_off = -off; /* POSIX offsets are west of Greenwich */
	z->dst_off = z->std_off;
	z->has_dst = false;
	z->rule = true;
	if (!*p)
		return 0;
	if (!(p = posix_name(p)))
		return -EINVAL;
	z->has_dst = true;
	z->dst_off = z->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = posix_hms(p, 24, &off)))
			return -EINVAL;
		z->dst_off = -off;
	}
	if (!*p) { /* no rule given: the US rule, as glibc assumes */
		z->start = (struct tz_date){'M', 3, 2, 0, 7200};
		z->end = (struct tz_date){'M', 11, 1, 0, 7200};
		return 0;
	}
	if (*p != ',' || !(p = posix_date(p + 1, &z->start)) || *p != ',' ||
	    !(p = posix_date(p + 1, &z->end)) || *p)
		return -EINVAL;
	if (z->std_off > TZ_OFFSET_MAX || z->std_off < -TZ_OFFSET_MAX ||
	    z->dst_off > TZ_OFFSET_MAX || z->dst_off < -TZ_OFFSET_MAX)
		return -EINVAL;
	return 0;
}

int tz_zone_posix(const char *tz, struct tz_zone **out)
{
	struct tz_zone *z;

	*out = NULL;
	if (!tz)
		return -EINVAL;
	if (!(z = zone_new(tz)))
		return -ENOMEM;
	if (posix_parse(tz, z)) {
		tz_zone_free(z);
		return -EINVAL;
	}
	z->off0 = z->std_off;
	*out = z;
	return 0;
}

/* Days since the epoch of the rule date d in year y. */
static int64_t date_day(const struct tz_date *d, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1);

	if (d->kind == 'J')
		return jan1 + d->d - 1 + (is_leap(y) && d->d >= 60);
	if (d->kind == 'N')
		return jan1 + d->d;
	int64_t first = days_from_civil(y, d->m, 1);
	int dow = (int)(((first % 7 + 7) % 7 + 4) % 7); /* 1970-01-01 was a Thursday */
	int day = 1 + (d->d - dow + 7) % 7 + (d->w - 1) * 7;
	while (day > days_in_month(y, d->m))
		day -= 7;
	return first + day - 1;
}

static int32_t rule_offset(const struct tz_zone *z, int64_t t)
{
	if (!z->has_dst)
		return z->std_off;
	int64_t y = year_from_days(floor_div(t + z->std_off, 86400));
	/* start is written in standard time, end in daylight-saving time */
	int64_t s = date_day(&z->start, y) * 86400 + z->start.secs - z->std_off;
	int64_t e = date_day(&z->end, y) * 86400 + z->end.secs - z->dst_off;
	bool dst = s < e ? t >= s && t < e : !(t >= e && t < s);

	return dst ? z->dst_off : z->std_off;
}

/* ---------------------------------------------------------------------------
 * Offsets
 */

int32_t tz_offset_at(const struct tz_zone *z, int64_t t)
{
	uint32_t lo, hi;

	if (!z)
		return 0;
	if (t > TZ_T_LIMIT)
		t = TZ_T_LIMIT;
	if (t < -TZ_T_LIMIT)
		t = -TZ_T_LIMIT;
	if (!z->ntrans)
		return z->rule ? rule_offset(z, t) : z->off0;
	if (t < z->at[0])
		return z->off0;
	lo = 0; /* at[lo] <= t */
	hi = z->ntrans;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	if (lo == z->ntrans - 1 && z->rule)
		return rule_offset(z, t);
	return z->off[lo];
}

int32_t tz_offset_local(const struct tz_zone *z, int64_t local)
{
	if (tz_zone_fixed(z))
		return z ? z->off0 : 0;
	if (local > TZ_T_LIMIT)
		local = TZ_T_LIMIT;
	if (local < -TZ_T_LIMIT)
		local = -TZ_T_LIMIT;
	/* Offsets change at most once in two days in every real zone: the
	 * offsets a day either side are the only candidates. */
	int32_t before = tz_offset_at(z, local - 86400), after = tz_offset_at(z, local + 86400);

	if (before == after)
		return before;
	if (tz_offset_at(z, local - before) == before)
		return before; /* valid; if both are (clocks set back), the first */
	if (tz_offset_at(z, local - after) == after)
		return after;
	return before; /* in the gap (clocks set forward) */
}

/* ---------------------------------------------------------------------------
 * TZif files
 */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_hdr {
	char version; /* 0, '2', '3', '4' */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

#define TZIF_HDR 44

static int tzif_hdr(const unsigned char *p, size_t len, struct tzif_hdr *h)
{
	if (len < TZIF_HDR || memcmp(p, "TZif", 4))
		return -EINVAL;
	h->version = (char)p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	if (!h->typecnt || h->typecnt > 256 || h->timecnt > 100000 || h->charcnt > 100000 ||
	    h->leapcnt > 100000 || (h->isutcnt && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt && h->isstdcnt != h->typecnt))
		return -EINVAL;
	return 0;
}

/* Bytes of the data block after a header, for times of tsize bytes. */
static size_t tzif_body(const struct tzif_hdr *h, size_t tsize)
{
	return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

int tz_zone_tzif(const char *name, const unsigned char *buf, size_t len, struct tz_zone **out,
		 char *why, size_t whylen)
{
	const unsigned char *p = buf, *end = buf + len, *types, *info;
	struct tzif_hdr h;
	struct tz_zone *z = NULL;
	size_t tsize = 4, body;
	int rc = -EINVAL;

	*out = NULL;
	if (tzif_hdr(p, len, &h)) {
		set_why(why, whylen, "not a TZif time zone file");
		return -EINVAL;
	}
	if (h.version >= '2') { /* skip the 32-bit block: the 64-bit one follows */
		body = tzif_body(&h, 4);
		if ((size_t)(end - p) < TZIF_HDR + body ||
		    tzif_hdr(p + TZIF_HDR + body, (size_t)(end - p) - TZIF_HDR - body, &h)) {
			set_why(why, whylen, "a truncated or damaged TZif file");
			return -EINVAL;
		}
		p += TZIF_HDR + body;
		tsize = 8;
	}
	body = tzif_body(&h, tsize);
	if ((size_t)(end - p) < TZIF_HDR + body) {
		set_why(why, whylen, "a truncated TZif file");
		return -EINVAL;
	}
	if (h.leapcnt) {
		set_why(
		    why, whylen,
		    "its times count leap seconds (a right/ zone); use the zone without right/");
		return -EINVAL;
	}
	p += TZIF_HDR;
	types = p + (size_t)h.timecnt * tsize;
	info = types + h.timecnt;
	if (!(z = zone_new(name)))
		return -ENOMEM;
	if (h.timecnt) {
		z->at = malloc(sizeof(*z->at) * h.timecnt);
		z->off = malloc(sizeof(*z->off) * h.timecnt);
		if (!z->at || !z->off) {
			rc = -ENOMEM;
			goto err;
		}
	}
	for (uint32_t i = 0; i < h.typecnt; i++) {
		int32_t o = (int32_t)be32(info + 6 * i);

		if (o > TZ_OFFSET_MAX || o < -TZ_OFFSET_MAX) {
			set_why(why, whylen, "an offset beyond 24 hours in the TZif file");
			goto err;
		}
	}
	z->off0 = (int32_t)be32(info);
	for (uint32_t i = 0; i < h.timecnt; i++) {
		int64_t t = tsize == 8 ? be64(p + 8 * i) : (int32_t)be32(p + 4 * i);

		if (types[i] >= h.typecnt || (i && t <= z->at[i - 1])) {
			set_why(why, whylen, "a damaged TZif file");
			goto err;
		}
		z->at[i] = t;
		z->off[i] = (int32_t)be32(info + 6 * types[i]);
	}
	z->ntrans = h.timecnt;
	p += body;
	if (tsize == 8) { /* footer: "\n" TZ string "\n" */
		const unsigned char *nl;
		char tz[128];

		if (p == end || *p != '\n' || !(nl = memchr(p + 1, '\n', (size_t)(end - p - 1))) ||
		    (size_t)(nl - p - 1) >= sizeof(tz)) {
			set_why(why, whylen, "a damaged TZif footer");
			goto err;
		}
		memcpy(tz, p + 1, (size_t)(nl - p - 1));
		tz[nl - p - 1] = '\0';
		if (tz[0] && posix_parse(tz, z)) {
			set_why(why, whylen, "a TZif file whose TZ rule weir cannot read");
			goto err;
		}
	}
	*out = z;
	return 0;
err:
	tz_zone_free(z);
	return rc;
}

/* Read all of path (at most TZ_FILE_MAX bytes) into *buf. 0 or -errno. */
static int read_file(const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	unsigned char *b;
	size_t n = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)TZ_FILE_MAX) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EISDIR;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, b + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

static int load_path(const char *name, const char *path, struct tz_zone **out, char *why,
		     size_t whylen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, &buf, &len);

	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		if (why && whylen)
			snprintf(why, whylen, "cannot read %s: %s", path,
				 rc == -EISDIR ? "not a file" : strerror(-rc));
		return rc == -ENOENT || rc == -EISDIR ? -ENOENT : -EINVAL;
	}
	rc = tz_zone_tzif(name, buf, len, out, why, whylen);
	free(buf);
	return rc;
}

/* A zone name: letters, digits, '_', '-', '+', '.', '/' between parts;
 * no leading '/', no empty or "." or ".." part. */
static bool zone_name_ok(const char *s)
{
	size_t n = strlen(s), part = 0;

	if (!n || n > TZ_NAME_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '/' || !c) {
			if (!part || (part == 1 && s[i - 1] == '.') ||
			    (part == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
				return false;
			part = 0;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '-' && c != '+' && c != '.')
			return false;
		part++;
	}
	return true;
}

static const char *tz_dir(void)
{
	const char *d = getenv("TZDIR");

	return d && d[0] == '/' ? d : TZ_DIR_DEFAULT;
}

static int load_name(const char *name, const char *as, struct tz_zone **out, char *why,
		     size_t whylen)
{
	char path[4096];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", tz_dir(), name) >= sizeof(path)) {
		set_why(why, whylen, "the zone name is too long");
		return -EINVAL;
	}
	rc = load_path(as, path, out, why, whylen);
	if (rc == -ENOENT && why && whylen)
		snprintf(why, whylen, "no time zone '%s' in %s", name, tz_dir());
	return rc;
}

/* "local": $TZ as glibc reads it, else /etc/localtime, else UTC. */
static int load_local(struct tz_zone **out, char *why, size_t whylen)
{
	const char *tz = getenv("TZ");
	int rc;

	if (!tz) {
		rc = load_path("local", TZ_LOCALTIME, out, why, whylen);
		if (rc != -ENOENT)
			return rc;
		return (*out = zone_new("local")) ? 0 : -ENOMEM; /* no zone set: UTC */
	}
	if (tz[0] == ':')
		tz++;
	if (!tz[0])
		return (*out = zone_new("local")) ? 0 : -ENOMEM;
	if (tz[0] == '/')
		return load_path("local", tz, out, why, whylen);
	if (zone_name_ok(tz)) {
		rc = load_name(tz, "local", out, why, whylen);
		if (rc != -ENOENT)
			return rc;
	}
	rc = tz_zone_posix(tz, out);
	if (rc == -EINVAL && why && whylen)
		snprintf(why, whylen, "TZ='%.60s' is neither a zone name nor a POSIX TZ string",
			 tz);
	if (!rc) {
		free((*out)->name);
		if (!((*out)->name = strdup("local"))) {
			tz_zone_free(*out);
			*out = NULL;
			return -ENOMEM;
		}
	}
	return rc;
}

/* "+hh:mm", "+hhmm" or "+hh" (or '-'): 0 and *off, or -1. */
static int fixed_offset(const char *s, int32_t *off)
{
	int h, m = 0;
	const char *p = s + 1;

	if (*s != '+' && *s != '-')
		return -1;
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (*p == ':')
		p++;
	if (*p) {
		if (!is_digit(p[0]) || !is_digit(p[1]) || p[2] || (p[-1] != ':' && p != s + 3))
			return -1;
		m = (p[0] - '0') * 10 + (p[1] - '0');
	} else if (p[-1] == ':') {
		return -1;
	}
	if (h > 23 || m > 59)
		return -1;
	*off = (*s == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

int tz_zone_load(const char *spec, struct tz_zone **out, char *why, size_t whylen)
{
	int32_t off;

	*out = NULL;
	if (why && whylen)
		why[0] = '\0';
	if (!spec || !spec[0]) {
		set_why(why, whylen, "empty");
		return -EINVAL;
	}
	if (!strcmp(spec, "UTC")) {
		*out = zone_new(spec);
		return *out ? 0 : -ENOMEM;
	}
	if (!strcmp(spec, "local"))
		return load_local(out, why, whylen);
	if (spec[0] == '+' || spec[0] == '-') {
		if (fixed_offset(spec, &off)) {
			set_why(why, whylen,
				"an offset is +hh:mm, +hhmm or +hh (or -), hours 0 to 23");
			return -EINVAL;
		}
		if (!(*out = zone_new(spec)))
			return -ENOMEM;
		(*out)->off0 = off;
		return 0;
	}
	if (!zone_name_ok(spec)) {
		set_why(why, whylen,
			"a zone name is letters, digits, '_', '-', '+' and '.' in parts "
			"separated by '/', e.g. Europe/Berlin");
		return -EINVAL;
	}
	return load_name(spec, spec, out, why, whylen);
}
