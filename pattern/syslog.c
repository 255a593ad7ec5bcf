/*
 * syslog.c - the syslog message parser (see syslog.h for what is accepted).
 *
 * One forward pass over the buffer with a cursor p < end that only grows;
 * every loop advances it or stops, so work is linear in the length. Every
 * read is guarded by p < end (or an explicit length check): the buffer need
 * not be NUL-terminated. Time stamps are read and turned into epoch time by
 * the time-stamp core (pattern/stamp.h: integer arithmetic, no mktime, no
 * locale, no tz database), so the parser is reentrant and fast.
 */
#include "pattern/syslog.h"

#include "core/tzone.h"
#include "pattern/stamp.h"

#include <errno.h>
#include <string.h>

#define HOSTNAME_MAX 255
#define APP_NAME_MAX 48
#define PROCID_MAX 128
#define MSGID_MAX 32
#define SD_NAME_MAX 32

/* ---- dates: the time-stamp core's (pattern/stamp.h) ---- */

/* Fill the time fields of out from st (read with syntax): at its own zone,
 * else at tz; a year-less stamp gets its year from now_ms. A date that
 * does not exist (Feb 29 2019) leaves them unset. */
static void apply_stamp(const struct stamp *st, unsigned syntax, int64_t now_ms, int32_t tz,
			struct syslog_msg *out)
{
	struct tz_zone fixed = {.off0 = tz};
	int64_t ms;
	int32_t off;

	if (stamp_time(st, now_ms, SYSLOG_FUTURE_SLACK_S, syntax, &fixed, &ms, &off))
		return;
	out->ts_ms = ms;
	out->ts_usec = st->usec;
	out->utc_offset_s = off;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool at_sep(const char *p, const char *end)
{
	return p == end || *p == ' ';
}

/*
 * A BSD stamp at p (stamp_bsd: "Mmm dd hh:mm:ss", "Mmm  d ...", "Mmm d ...",
 * with an optional year before the time and a fraction), then a trailing
 * ':' (Cisco) and a year after. *raw_end is where the stamp's text ends
 * (before a Cisco ':'). Returns where parsing goes on (SP or end), or NULL.
 */
static const char *parse_bsd(const char *p, const char *end, struct stamp *st, const char **raw_end)
{
	int v;

	if ((p = stamp_bsd(p, end, STAMP_SYSLOG_LEGACY, st)) == NULL)
		return NULL;
	*raw_end = p;
	if (p < end && *p == ':' && at_sep(p + 1, end))
		p++;
	if (!at_sep(p, end))
		return NULL;
	if (st->year < 0 && end - p >= 5 && stamp_digits(p + 1, end, 4, &v) && at_sep(p + 5, end)) {
		st->year = v;
		p += 5;
		*raw_end = p;
	}
	return p;
}

/* ---- structured data ---- */

static bool sd_name_char(char c)
{
	return c > 32 && c < 127 && c != '=' && c != ']' && c != '"';
}

static const char *sd_name(const char *p, const char *end, struct syslog_str *s, uint32_t *flags)
{
	const char *q = p;

	while (q < end && sd_name_char(*q))
		q++;
	s->p = p;
	s->len = (uint32_t)(q - p);
	if (s->len > SD_NAME_MAX)
		*flags |= SYSLOG_F_OVERLONG;
	return q;
}

enum { SD_BETWEEN = 0, SD_INSIDE = 1, SD_FAILED = 2 };

/*
 * One step. Between elements, stops (SYSLOG_SD_END) at the end of the text
 * or at anything that is not '[': the caller decides whether that is an
 * error (syslog_sd_next) or where STRUCTURED-DATA ends (the parser).
 */
static int sd_step(struct syslog_sd_iter *it, struct syslog_sd_item *item)
{
	const char *p = it->p, *end = it->end;

	memset(item, 0, sizeof(*item));
	if (it->state == SD_FAILED)
		return -EINVAL;
	if (!p)
		return SYSLOG_SD_END; /* nil STRUCTURED-DATA */
	if (it->state == SD_INSIDE) {
		if (p < end && *p == ']') {
			it->p = p + 1;
			it->state = SD_BETWEEN;
			return sd_step(it, item); /* tail call, once: state is now BETWEEN */
		}
		if (p >= end || *p != ' ')
			goto fail;
		p = sd_name(p + 1, end, &item->name, &it->flags);
		if (item->name.len == 0 || p >= end || *p != '=')
			goto fail;
		p++;
		if (p < end && *p == '"') {
			const char *v = ++p;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end)
					p += 2;
				else if (*p == ']' || *p == '\\')
					goto fail; /* ']' must be escaped; '\' at the end */
				else
					p++;
			}
			if (p >= end)
				goto fail;
			item->value.p = v;
			item->value.len = (uint32_t)(p - v);
			p++;
		} else {
			const char *v = p;
			while (p < end && *p != ' ' && *p != ']' && *p != '"')
				p++;
			if (p == v)
				goto fail;
			item->value.p = v;
			item->value.len = (uint32_t)(p - v);
			it->flags |= SYSLOG_F_SD_UNQUOTED;
		}
		if (p >= end || (*p != ' ' && *p != ']'))
			goto fail;
		it->p = p;
		item->id = it->id;
		return SYSLOG_SD_PARAM;
	}
	if (p >= end || *p != '[')
		return SYSLOG_SD_END;
	p = sd_name(p + 1, end, &it->id, &it->flags);
	if (it->id.len == 0 || p >= end || (*p != ' ' && *p != ']'))
		goto fail;
	it->p = p;
	it->state = SD_INSIDE;
	item->id = it->id;
	return SYSLOG_SD_ELEMENT;
fail:
	it->state = SD_FAILED;
	memset(item, 0, sizeof(*item));
	return -EINVAL;
}

void syslog_sd_iter_init(struct syslog_sd_iter *it, struct syslog_str sd)
{
	memset(it, 0, sizeof(*it));
	it->p = sd.p;
	it->end = sd.p ? sd.p + sd.len : NULL;
}

int syslog_sd_next(struct syslog_sd_iter *it, struct syslog_sd_item *item)
{
	int r = sd_step(it, item);

	if (r == SYSLOG_SD_END && it->p != it->end) {
		it->state = SD_FAILED;
		return -EINVAL;
	}
	return r;
}

size_t syslog_sd_unescape(struct syslog_str value, char *dst, size_t cap)
{
	size_t n = 0;

	for (uint32_t i = 0; i < value.len; i++) {
		char c = value.p[i];
		if (c == '\\' && i + 1 < value.len &&
		    (value.p[i + 1] == '"' || value.p[i + 1] == '\\' || value.p[i + 1] == ']'))
			c = value.p[++i];
		if (n + 1 < cap)
			dst[n] = c;
		n++;
	}
	if (cap > 0)
		dst[n < cap ? n : cap - 1] = '\0';
	return n;
}

/*
 * Where STRUCTURED-DATA starting with '[' at p ends, or NULL when it is
 * malformed. Valid SD is followed by SP or the end of the message.
 */
static const char *sd_scan(const char *p, const char *end, uint32_t *flags)
{
	struct syslog_sd_iter it;
	struct syslog_sd_item item;
	int r;

	syslog_sd_iter_init(&it, (struct syslog_str){p, (uint32_t)(end - p)});
	while ((r = sd_step(&it, &item)) > 0)
		;
	*flags |= it.flags;
	if (r < 0 || !at_sep(it.p, end))
		return NULL;
	return it.p;
}

/* ---- messages ---- */

static struct syslog_str span(const char *p, const char *q)
{
	return (struct syslog_str){p, (uint32_t)(q - p)};
}

/* A 5424 header field: NILVALUE is nil, empty is an error, long is flagged. */
static void field(struct syslog_msg *out, struct syslog_str *f, const char *p, const char *q,
		  uint32_t max)
{
	if (q == p) {
		out->flags |= SYSLOG_F_BAD_HEADER;
		return;
	}
	if (q - p == 1 && *p == '-')
		return;
	*f = span(p, q);
	if (f->len > max)
		out->flags |= SYSLOG_F_OVERLONG;
}

static const char *word_end(const char *p, const char *end)
{
	if (p >= end)
		return end;
	const char *q = memchr(p, ' ', (size_t)(end - p));

	return q ? q : end;
}

/* p is just after "<PRI>VERSION ". */
static void parse_5424(const char *p, const char *end, struct syslog_msg *out)
{
	static const uint32_t max[4] = {HOSTNAME_MAX, APP_NAME_MAX, PROCID_MAX, MSGID_MAX};
	struct syslog_str *f[4] = {&out->hostname, &out->app_name, &out->procid, &out->msgid};
	struct stamp st;
	const char *q = word_end(p, end);

	out->format = SYSLOG_FMT_RFC5424;
	if (q == p) {
		out->flags |= SYSLOG_F_BAD_HEADER;
	} else if (!(q - p == 1 && *p == '-')) {
		if (stamp_iso(p, q, STAMP_SYSLOG_5424, &st) == q) {
			out->timestamp = span(p, q);
			apply_stamp(&st, STAMP_SYSLOG_5424, 0, 0, out);
		} else {
			out->flags |= SYSLOG_F_BAD_TIMESTAMP;
		}
	}
	for (int i = 0; i < 4; i++) {
		if (q == end) {
			out->flags |= SYSLOG_F_BAD_HEADER;
			return;
		}
		p = q + 1;
		q = word_end(p, end);
		field(out, f[i], p, q, max[i]);
	}
	if (q == end) {
		out->flags |= SYSLOG_F_BAD_HEADER;
		return;
	}
	p = q + 1;
	if (p < end && *p == '-' && at_sep(p + 1, end)) {
		q = p + 1;
	} else if (p < end && *p == '[' && (q = sd_scan(p, end, &out->flags)) != NULL) {
		out->structured_data = span(p, q);
	} else {
		out->flags |= SYSLOG_F_BAD_SD;
		out->msg = out->body = span(p, end);
		return;
	}
	if (q == end)
		return; /* no MSG */
	p = q + 1;
	out->body = span(p, end);
	if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	    (unsigned char)p[2] == 0xBF) {
		out->has_bom = true;
		p += 3;
	}
	out->msg = span(p, end);
}

/* Letters, digits, '.', '-', '_' and ':' (IPv6): what rsyslog accepts too. */
static bool hostname_word(const char *p, const char *q)
{
	for (; p < q; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
		      c == '-' || c == '_' || c == ':'))
			return false;
	}
	return true;
}

/* A hostname-like word that is really a TAG: "name:" (an IPv6 address has more ':'). */
static bool looks_like_tag(const char *p, const char *q)
{
	return q - p >= 2 && q[-1] == ':' && !memchr(p, ':', (size_t)(q - 1 - p));
}

/* The TAG and the message at p (the RFC 3164 MSG part). */
static void parse_tag(const char *p, const char *end, struct syslog_msg *out)
{
	const char *w = p, *q = p;

	out->body = span(p, end);
	out->msg = out->body;
	while (q < end && *q != ' ' && *q != ':' && *q != '[')
		q++;
	if (q == w || q - w > SYSLOG_TAG_MAX)
		return;
	struct syslog_str app = span(w, q), pid = {NULL, 0};
	if (q < end && *q == '[') {
		const char *b = q + 1, *e = b;
		while (e < end && *e != ']' && *e != ' ' && e - b < PROCID_MAX)
			e++;
		if (e >= end || *e != ']' || e == b)
			return;
		pid = span(b, e);
		q = e + 1;
	}
	if (q < end && *q == ':')
		q++;
	if (q < end && *q != ' ')
		return; /* "foo[1]bar", "a:b" stay message text */
	out->app_name = app;
	out->procid = pid;
	out->tag = span(w, q);
	if (q < end)
		q++; /* the one SP after the TAG */
	out->msg = span(q, end);
}

/* A legacy header at p (just after the PRI, or the start without one). */
static void parse_legacy(const char *buf, const char *p, const char *end, bool has_pri,
			 int64_t now_ms, int32_t tz, struct syslog_msg *out)
{
	const char *s = p, *raw_end = NULL, *q = NULL;
	struct stamp st;

	while (s < end && *s == ' ')
		s++;
	/* Cisco IOS: "NN: " sequence number, then '*' (clock not synced) or '.' */
	for (int pass = 0; pass < 2 && !q; pass++) {
		const char *t = s;
		if (pass == 1) {
			while (t < end && is_digit(*t))
				t++;
			if (t == s || end - t < 2 || t[0] != ':' || t[1] != ' ')
				break;
			t += 2;
		}
		if (t < end && (*t == '*' || *t == '.'))
			t++;
		if ((q = parse_bsd(t, end, &st, &raw_end)) == NULL &&
		    (q = stamp_iso(t, end, STAMP_SYSLOG_LEGACY, &st)) != NULL) {
			raw_end = q;
			if (!at_sep(q, end))
				q = NULL;
		}
		if (q)
			out->timestamp = span(t, raw_end);
	}
	if (!q) {
		if (!has_pri) {
			out->format = SYSLOG_FMT_RAW;
			out->msg = out->body = span(buf, end);
			return;
		}
		out->format = SYSLOG_FMT_RFC3164;
		if (s == end) {
			out->msg = out->body = span(p, end);
			return;
		}
		parse_tag(s, end, out);
		return;
	}
	apply_stamp(&st, STAMP_SYSLOG_LEGACY, now_ms, tz, out);
	out->format = has_pri ? SYSLOG_FMT_RFC3164 : SYSLOG_FMT_NOPRI;
	while (q < end && *q == ' ')
		q++;
	const char *w = word_end(q, end);
	if (w == end) {
		/* one word (a hostname) or nothing left */
		if (w > q && hostname_word(q, w))
			out->hostname = span(q, w);
		else if (w > q) {
			parse_tag(q, end, out);
			return;
		}
		if (out->hostname.len > HOSTNAME_MAX)
			out->flags |= SYSLOG_F_OVERLONG;
		out->msg = out->body = span(w, w);
		return;
	}
	if (hostname_word(q, w) && !looks_like_tag(q, w)) {
		out->hostname = span(q, w);
		if (out->hostname.len > HOSTNAME_MAX)
			out->flags |= SYSLOG_F_OVERLONG;
		q = w + 1;
	}
	parse_tag(q, end, out);
}

int syslog_parse(const char *buf, size_t len, int64_t now_ms, int32_t default_tz_offset_s,
		 struct syslog_msg *out)
{
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->pri = -1;
	out->facility = 1;
	out->severity = 5;
	out->ts_ms = INT64_MIN;
	if (!buf) {
		if (len > 0)
			return -EINVAL;
		buf = "";
	}
	if (len > UINT32_MAX) {
		len = UINT32_MAX;
		out->flags |= SYSLOG_F_CUT;
	}
	if (default_tz_offset_s > 86399 || default_tz_offset_s < -86399)
		default_tz_offset_s = 0;

	const char *p = buf, *end = buf + len;
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == '\0'))
		end--;

	if (p < end && *p == '<') {
		const char *d = p + 1;
		int v = 0;
		while (d < end && is_digit(*d) && d - p <= 3)
			v = v * 10 + (*d++ - '0');
		int n = (int)(d - p - 1);
		if (n < 1 || n > 3 || d >= end || *d != '>' || v > 191 || (n > 1 && p[1] == '0')) {
			out->flags |= SYSLOG_F_BAD_PRI;
			out->format = SYSLOG_FMT_RAW;
			out->msg = out->body = span(buf, end);
			out->parse_error = true;
			return -EBADMSG;
		}
		out->pri = v;
		out->facility = v >> 3;
		out->severity = v & 7;
		p = d + 1;
		/* VERSION: NONZERO-DIGIT 0*2DIGIT, then SP */
		const char *e = p;
		int ver = 0;
		while (e < end && is_digit(*e) && e - p < 4)
			ver = ver * 10 + (*e++ - '0');
		if (e > p && e - p <= 3 && *p != '0' && e < end && *e == ' ') {
			out->version = ver;
			parse_5424(e + 1, end, out);
		} else {
			parse_legacy(buf, p, end, true, now_ms, default_tz_offset_s, out);
		}
	} else {
		parse_legacy(buf, p, end, false, now_ms, default_tz_offset_s, out);
	}
	out->parse_error = (out->flags & SYSLOG_F_ERRORS) != 0;
	return out->parse_error ? -EBADMSG : 0;
}
