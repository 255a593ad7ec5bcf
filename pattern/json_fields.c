/*
 * json_fields.c - one JSON object into fields (see parsers.h for what is
 * accepted and how fields are named).
 *
 * Iterative: the open containers are an explicit stack of at most
 * JSON_FIELDS_DEPTH frames, so there is no recursion and the nesting limit
 * is a plain bound check. One forward pass with a cursor that only grows,
 * every read guarded by p < end; composing a dotted name copies its
 * prefix, but only into scratch that it then uses up, so all copying
 * together is bounded by FIELDS_SCRATCH and the work stays linear.
 * The set is written as the parse goes; a syntax error rewinds it to where
 * it stood on entry.
 */
#include "pattern/parsers.h"
#include "pattern/timestamp.h"

#include <stdbool.h>
#include <string.h>

enum { OBJ, ARR };

/* Where the parser is, relative to the innermost open container. */
enum state {
	S_OBJ_OPEN, /* just after '{': a key or '}' */
	S_OBJ_KEY,  /* after ',' in an object: a key */
	S_ARR_OPEN, /* just after '[': a value or ']' */
	S_ARR_ELEM, /* after ',' in an array: a value */
	S_AFTER,    /* after a value: ',' or the closing bracket */
};

struct frame {
	unsigned char type; /* OBJ or ARR */
	bool fielded;	    /* OBJ whose members are fields: every container above is an object */
	bool emit;	    /* ARR that is a field's value (its parent is fielded) */
	const char *name;   /* fielded OBJ below the top: the prefix of its members' names;
			       emitting ARR: the field name; NULL: did not fit in scratch */
	uint32_t nlen;
	const char *start; /* ARR: its '[' */
};

struct str {
	const char *p; /* the body, between the quotes */
	size_t n;
	bool esc; /* holds a backslash */
};

static const char *const ts_names[] = {"@timestamp", "timestamp", "time", "ts"};
#define TS_NAMES (sizeof(ts_names) / sizeof(ts_names[0]))

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Four hex digits at p, or -1. */
static long hex4(const char *p, const char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static bool is_high(long u)
{
	return u >= 0xD800 && u <= 0xDBFF;
}

static bool is_low(long u)
{
	return u >= 0xDC00 && u <= 0xDFFF;
}

static size_t utf8_put(char *d, unsigned long cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xC0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xE0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		d[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (char)(0xF0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	d[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t json_fields_unescape(const char *p, size_t len, char *dst)
{
	const char *end = p + len;
	size_t o = 0;

	while (p < end) {
		if (*p != '\\' || end - p < 2) {
			dst[o++] = *p++;
			continue;
		}
		char r = 0;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			r = p[1];
			break;
		case 'b':
			r = '\b';
			break;
		case 'f':
			r = '\f';
			break;
		case 'n':
			r = '\n';
			break;
		case 'r':
			r = '\r';
			break;
		case 't':
			r = '\t';
			break;
		case 'u': {
			long u = hex4(p + 2, end), l = -1;
			if (u < 0 || is_low(u))
				break;
			if (!is_high(u)) {
				o += utf8_put(dst + o, (unsigned long)u);
				p += 6;
				continue;
			}
			if (end - p >= 12 && p[6] == '\\' && p[7] == 'u')
				l = hex4(p + 8, end);
			if (!is_low(l))
				break;
			o += utf8_put(dst + o, 0x10000 + ((unsigned long)(u - 0xD800) << 10) +
						   (unsigned long)(l - 0xDC00));
			p += 12;
			continue;
		}
		default:
			break;
		}
		if (p[1] == 'u' || r == 0) {
			dst[o++] = *p++; /* invalid: the backslash as written, then the rest */
			continue;
		}
		dst[o++] = r;
		p += 2;
	}
	return o;
}

/* Validate the string whose body starts at p; returns its closing quote or NULL. */
static const char *str_end(const char *p, const char *end, bool *esc)
{
	*esc = false;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c != '\\') {
			p++;
			continue;
		}
		*esc = true;
		if (end - p < 2)
			return NULL;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			break;
		case 'u': {
			long u = hex4(p + 2, end);
			if (u < 0 || is_low(u))
				return NULL;
			p += 6;
			if (is_high(u)) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    !is_low(hex4(p + 2, end)))
					return NULL;
				p += 6;
			}
			break;
		}
		default:
			return NULL;
		}
	}
	return NULL;
}

/* A string at p (its opening quote); *s gets the body. Returns the end or NULL. */
static const char *string(const char *p, const char *end, struct str *s)
{
	const char *q;

	if (p >= end || *p != '"' || !(q = str_end(p + 1, end, &s->esc)))
		return NULL;
	s->p = p + 1;
	s->n = (size_t)(q - p - 1);
	return q + 1;
}

/* The end of the number at p, or NULL (RFC 8259 grammar). */
static const char *number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end || !is_digit(*p))
		return NULL;
	if (*p++ != '0')
		while (p < end && is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		if (++p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

static const char *literal(const char *p, const char *end)
{
	static const char *const lits[] = {"true", "false", "null"};

	for (int i = 0; i < 3; i++) {
		size_t n = strlen(lits[i]);
		if ((size_t)(end - p) >= n && memcmp(p, lits[i], n) == 0)
			return p + n;
	}
	return NULL;
}

/*
 * The full name of member key in object f (top: the outermost object):
 * the key itself at the top (zero-copy unless escaped), else
 * "<prefix>.<key>" in scratch. NULL when it does not fit.
 */
static const char *member_name(struct fieldset *fs, const struct frame *f, bool top, struct str key,
			       uint32_t *nlen)
{
	size_t plen = top ? 0 : (size_t)f->nlen + 1;

	if (top && !key.esc) {
		*nlen = (uint32_t)key.n;
		return key.p;
	}
	if (!top && !f->name)
		return NULL;
	char *d = fields_scratch(fs, plen + key.n);
	if (!d)
		return NULL;
	if (!top) {
		memcpy(d, f->name, f->nlen);
		d[f->nlen] = '.';
	}
	size_t o = key.n;
	if (key.esc)
		o = json_fields_unescape(key.p, key.n, d + plen);
	else
		memcpy(d + plen, key.p, key.n);
	fields_scratch_return(fs, key.n - o);
	*nlen = (uint32_t)(plen + o);
	return d;
}

/* The value of a string: zero-copy, or unescaped into scratch (NULL: no room). */
static const char *string_value(struct fieldset *fs, struct str s, size_t *vlen)
{
	if (!s.esc) {
		*vlen = s.n;
		return s.p;
	}
	char *d = fields_scratch(fs, s.n);
	if (!d)
		return NULL;
	*vlen = json_fields_unescape(s.p, s.n, d);
	fields_scratch_return(fs, s.n - *vlen);
	return d;
}

/* Member key of the fielded object f gets the value v (unescaped into
 * scratch when v.esc). ts[] collects the top-level timestamp candidates
 * (NULL: this value cannot be one). */
static void add_scalar(struct fieldset *fs, const struct frame *f, bool top, struct str key,
		       struct str v, struct str *ts)
{
	uint32_t nlen;
	const char *name = member_name(fs, f, top, key, &nlen), *val = NULL;
	size_t vlen = 0;

	if (name)
		val = string_value(fs, v, &vlen);
	if (!val) {
		fs->dropped++;
		return;
	}
	fields_add(fs, name, nlen, val, vlen);
	if (!top || !ts)
		return;
	for (size_t i = 0; i < TS_NAMES; i++)
		if (!ts[i].p && nlen == strlen(ts_names[i]) && memcmp(name, ts_names[i], nlen) == 0)
			ts[i] = (struct str){val, vlen, false};
}

int json_parse_fields(const char *p, size_t len, struct fieldset *fs)
{
	struct fields_mark mark = fields_mark_get(fs);
	const char *end = p ? p + len : p;
	struct frame st[JSON_FIELDS_DEPTH];
	struct str ts[TS_NAMES], key = {NULL, 0, false};
	int d = 0;
	enum state s;

	memset(ts, 0, sizeof(ts));
	if (!p)
		goto fail;
	if (end - p >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	    (unsigned char)p[2] == 0xBF)
		p += 3;
	p = ws(p, end);
	if (p >= end || *p != '{')
		goto fail;
	st[d++] = (struct frame){OBJ, true, false, NULL, 0, p};
	p++;
	s = S_OBJ_OPEN;
	for (;;) {
		struct frame *f = &st[d - 1];
		bool member = f->type == OBJ, top = d == 1;
		const char *q;

		p = ws(p, end);
		if (p >= end)
			goto fail;
		switch (s) {
		case S_OBJ_OPEN:
		case S_ARR_OPEN:
			if (*p == (s == S_OBJ_OPEN ? '}' : ']'))
				goto close;
			break;
		case S_AFTER:
			if (*p == ',') {
				p++;
				s = member ? S_OBJ_KEY : S_ARR_ELEM;
				continue;
			}
			if (*p == (member ? '}' : ']'))
				goto close;
			goto fail;
		default:
			break;
		}
		if (member) {
			if (!(p = string(p, end, &key)))
				goto fail;
			p = ws(p, end);
			if (p >= end || *p != ':')
				goto fail;
			p = ws(p + 1, end);
			if (p >= end)
				goto fail;
		}
		/* A value at p: a member's if the innermost frame is an object. */
		bool fielded = member && f->fielded;
		if (*p == '{' || *p == '[') {
			if (d == JSON_FIELDS_DEPTH)
				goto fail;
			struct frame *c = &st[d++];
			*c = (struct frame){*p == '{' ? OBJ : ARR, false, false, NULL, 0, p};
			if (fielded) {
				c->fielded = c->type == OBJ;
				c->emit = c->type == ARR;
				c->name = member_name(fs, f, top, key, &c->nlen);
			}
			s = *p == '{' ? S_OBJ_OPEN : S_ARR_OPEN;
			p++;
			continue;
		}
		struct str v;
		if (*p == '"') {
			if (!(q = string(p, end, &v)))
				goto fail;
		} else if (*p == '-' || is_digit(*p)) {
			if (!(q = number(p, end)))
				goto fail;
			v = (struct str){p, (size_t)(q - p), false};
		} else if (!(q = literal(p, end))) {
			goto fail;
		} else {
			v = (struct str){p, (size_t)(q - p), false};
		}
		if (fielded) {
			bool ts_ok = *p == '"' || *p == '-' || is_digit(*p);
			add_scalar(fs, f, top, key, v, ts_ok ? ts : NULL);
		}
		p = q;
		s = S_AFTER;
		continue;
	close:
		p++;
		if (f->emit) {
			if (f->name)
				fields_add(fs, f->name, f->nlen, f->start, (size_t)(p - f->start));
			else
				fs->dropped++;
		}
		if (--d == 0)
			break;
		s = S_AFTER;
	}
	if (ws(p, end) != end)
		goto fail;
	for (size_t i = 0; i < TS_NAMES; i++) {
		int64_t ms;
		if (!ts[i].p)
			continue;
		if (ts_parse_in(ts[i].p, ts[i].n, fs->ts_now_ms, fs->ts_zone, &ms) == 0) {
			fs->has_ts = true;
			fs->ts_ms = ms;
		}
		break;
	}
	return 0;
fail:
	fields_rewind(fs, mark);
	return -1;
}
