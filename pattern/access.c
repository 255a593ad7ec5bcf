/*
 * access.c - the Apache/nginx access log parser (see parsers.h for what is
 * accepted and which fields come out).
 *
 * One forward pass with a cursor that only grows; every read is guarded by
 * p < end, so the record need not be NUL-terminated and the work is linear
 * in its length. The line is split into spans first and the fields are
 * added only once the structure is known to be an access line, so a
 * failing line touches the set only through fields_rewind().
 * Values are zero-copy unless they hold a backslash; then they are
 * unescaped into the set's scratch.
 */
#include "pattern/parsers.h"
#include "pattern/timestamp.h"

#include <stdbool.h>
#include <string.h>

struct span {
	const char *p;
	size_t n;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* The end of the word at p: the next space, or end. */
static const char *word_end(const char *p, const char *end)
{
	const char *q = memchr(p, ' ', (size_t)(end - p));

	return q ? q : end;
}

/* The closing quote of a quoted string whose body starts at p: the first
 * '"' that no backslash escapes and that a space or the end follows. NULL
 * when there is none. */
static const char *quote_end(const char *p, const char *end)
{
	while (p < end) {
		if (*p == '\\') {
			if (end - p < 2)
				return NULL;
			p += 2;
		} else if (*p == '"' && (p + 1 == end || p[1] == ' ')) {
			return p;
		} else {
			p++;
		}
	}
	return NULL;
}

/* \" \\ \xHH as Apache and nginx write them; any other backslash stays. */
static size_t unescape(const char *p, size_t n, char *dst)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n && (p[i + 1] == '"' || p[i + 1] == '\\')) {
			dst[o++] = p[++i];
		} else if (p[i] == '\\' && i + 3 < n && p[i + 1] == 'x' && hexval(p[i + 2]) >= 0 &&
			   hexval(p[i + 3]) >= 0) {
			dst[o++] = (char)(hexval(p[i + 2]) << 4 | hexval(p[i + 3]));
			i += 3;
		} else {
			dst[o++] = p[i];
		}
	}
	return o;
}

/* Add name = s, unescaped into scratch when it holds a backslash. */
static void add(struct fieldset *fs, const char *name, struct span s)
{
	if (!memchr(s.p, '\\', s.n)) {
		fields_add(fs, name, strlen(name), s.p, s.n);
		return;
	}
	if (fs->n == FIELDS_MAX) {
		fs->dropped++;
		return;
	}
	char *d = fields_scratch(fs, s.n);
	if (!d) {
		fs->dropped++;
		return;
	}
	size_t o = unescape(s.p, s.n, d);
	fields_scratch_return(fs, s.n - o);
	fields_add(fs, name, strlen(name), d, o);
}

static bool is_dash(struct span s)
{
	return s.n == 1 && s.p[0] == '-';
}

static void add_unless_dash(struct fieldset *fs, const char *name, struct span s)
{
	if (!is_dash(s))
		add(fs, name, s);
}

/* method SP path [SP HTTP/x]: the three fields, or none. */
static void add_request(struct fieldset *fs, struct span req)
{
	const char *r = req.p, *e = req.p + req.n, *m = r;

	while (m < e &&
	       ((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') || *m == '-' || *m == '_'))
		m++;
	if (m == r || m >= e || *m != ' ')
		return;
	const char *path = m + 1, *path_end = e;
	const char *sp = e;
	while (sp > path && sp[-1] != ' ')
		sp--;
	sp = sp > path ? sp - 1 : NULL; /* the last space, if any */
	struct span proto = {NULL, 0};
	if (sp && e - sp > 5 && memcmp(sp + 1, "HTTP/", 5) == 0) {
		proto = (struct span){sp + 1, (size_t)(e - sp - 1)};
		path_end = sp;
	}
	if (path_end == path)
		return;
	add(fs, "method", (struct span){r, (size_t)(m - r)});
	add(fs, "path", (struct span){path, (size_t)(path_end - path)});
	if (proto.p)
		add(fs, "protocol", proto);
}

/* digits '.' digits, or (whole_ok) just digits. */
static bool is_decimal(const char *p, const char *q, bool whole_ok)
{
	const char *d = p;

	while (d < q && is_digit(*d))
		d++;
	if (d == p)
		return false;
	if (d == q)
		return whole_ok;
	if (*d != '.' || ++d == q)
		return false;
	while (d < q && is_digit(*d))
		d++;
	return d == q;
}

/* The value of a "rt=N" or "request_time=N" word, or {NULL, 0}. */
static struct span keyed_time(const char *p, const char *q)
{
	static const char *const keys[] = {"rt=", "request_time="};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t k = strlen(keys[i]);
		if ((size_t)(q - p) > k && memcmp(p, keys[i], k) == 0 && is_decimal(p + k, q, true))
			return (struct span){p + k, (size_t)(q - p) - k};
	}
	return (struct span){NULL, 0};
}

/* The word at *pp, which a space or the end must follow; moves past the spaces after it. */
static bool word(const char **pp, const char *end, struct span *out)
{
	const char *p = *pp, *q = word_end(p, end);

	if (q == p)
		return false;
	*out = (struct span){p, (size_t)(q - p)};
	*pp = skip_spaces(q, end);
	return true;
}

/* A quoted string at *pp; out gets its body. */
static bool quoted(const char **pp, const char *end, struct span *out)
{
	const char *p = *pp, *q;

	if (p >= end || *p != '"' || !(q = quote_end(p + 1, end)))
		return false;
	*out = (struct span){p + 1, (size_t)(q - p - 1)};
	*pp = skip_spaces(q + 1, end);
	return true;
}

int access_parse(const char *p, size_t len, struct fieldset *fs)
{
	const char *end, *q;
	struct span ip, ident, user, time, req, status, bytes;
	struct span ref = {NULL, 0}, ua = {NULL, 0}, rt = {NULL, 0}, bare = {NULL, 0};

	if (!p)
		return -1;
	end = p + len;

	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (!word(&p, end, &ip) || !word(&p, end, &ident) || !word(&p, end, &user))
		return -1;
	if (p >= end || *p != '[' || !(q = memchr(p + 1, ']', (size_t)(end - p - 1))) ||
	    q == p + 1 || (q + 1 < end && q[1] != ' '))
		return -1;
	time = (struct span){p + 1, (size_t)(q - p - 1)};
	p = skip_spaces(q + 1, end);
	if (!quoted(&p, end, &req) || !word(&p, end, &status) || !word(&p, end, &bytes))
		return -1;
	if (status.n != 3 || !is_digit(status.p[0]) || !is_digit(status.p[1]) ||
	    !is_digit(status.p[2]))
		return -1;
	if (!is_dash(bytes) && !is_decimal(bytes.p, bytes.p + bytes.n, true))
		return -1;
	if (p < end && *p == '"') {
		if (!quoted(&p, end, &ref))
			return -1;
		if (p < end && *p == '"' && !quoted(&p, end, &ua))
			return -1;
	}
	/* Trailing tokens: look for the request time; an unclosed quote ends the search. */
	while (p < end) {
		if (*p == '"') {
			struct span skip;
			if (!quoted(&p, end, &skip))
				break;
			continue;
		}
		q = word_end(p, end);
		struct span k = keyed_time(p, q);
		if (k.p && !rt.p)
			rt = k;
		else if (!k.p && !bare.p && is_decimal(p, q, false))
			bare = (struct span){p, (size_t)(q - p)};
		p = skip_spaces(q, end);
	}
	if (!rt.p)
		rt = bare;

	/* An access line: only now is the set touched. */
	add(fs, "ip", ip);
	add_unless_dash(fs, "ident", ident);
	add_unless_dash(fs, "user", user);
	add(fs, "time", time);
	add_request(fs, req);
	add(fs, "status", status);
	add_unless_dash(fs, "bytes", bytes);
	if (ref.p)
		add_unless_dash(fs, "referrer", ref);
	if (ua.p)
		add_unless_dash(fs, "user_agent", ua);
	if (rt.p)
		add(fs, "request_time", rt);
	int64_t ms;
	if (ts_parse_in(time.p, time.n, fs->ts_now_ms, fs->ts_zone, &ms) == 0) {
		fs->has_ts = true;
		fs->ts_ms = ms;
	}
	return 0;
}
