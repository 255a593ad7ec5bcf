/*
 * logfmt.c - logfmt records into fields (see parsers.h for what is
 * accepted).
 *
 * One forward pass with a cursor that only grows; every read is guarded by
 * p < end. Keys and unquoted values are zero-copy; quoted values are
 * zero-copy unless they hold a backslash, and are then unescaped into the
 * set's scratch. The "true" of bare keys is written into scratch once per
 * record, so every value lies in the record or the scratch. A failing
 * record rewinds the set to where it stood on entry.
 */
#include "pattern/parsers.h"
#include "pattern/timestamp.h"

#include <stdbool.h>
#include <string.h>

static const char *const ts_names[] = {"time", "ts", "timestamp"};
#define TS_NAMES (sizeof(ts_names) / sizeof(ts_names[0]))

static bool is_sep(char c)
{
	return (unsigned char)c <= 0x20 || c == 0x7f;
}

/* The closing quote of a quoted value whose body starts at p, or NULL. */
static const char *quote_end(const char *p, const char *end, bool *esc)
{
	*esc = false;
	while (p < end) {
		if (*p == '"')
			return p;
		if (*p == '\\') {
			*esc = true;
			if (end - p < 2)
				return NULL;
			p += 2;
		} else {
			p++;
		}
	}
	return NULL;
}

/* The value of a bare key: "true", in scratch (NULL: no room). */
static const char *bare_true(struct fieldset *fs, const char **cache)
{
	if (!*cache) {
		char *d = fields_scratch(fs, 4);
		if (d)
			memcpy(d, "true", 4);
		*cache = d;
	}
	return *cache;
}

int logfmt_parse(const char *p, size_t len, struct fieldset *fs)
{
	struct fields_mark mark = fields_mark_get(fs);
	const char *end = p ? p + len : p, *t = NULL, *q;
	const char *tsv[TS_NAMES] = {NULL};
	size_t tsn[TS_NAMES] = {0};
	unsigned pairs = 0;

	while (p < end) {
		while (p < end && is_sep(*p))
			p++;
		if (p == end)
			break;
		const char *k = p;
		while (p < end && !is_sep(*p) && *p != '=' && *p != '"')
			p++;
		size_t kn = (size_t)(p - k);
		const char *v = NULL;
		size_t vn = 0;
		bool esc = false;

		if (p < end && *p == '=') {
			p++;
			if (p < end && *p == '"') {
				if (!(q = quote_end(p + 1, end, &esc)))
					goto fail;
				v = p + 1;
				vn = (size_t)(q - v);
				p = q + 1;
			} else {
				v = p;
				while (p < end && !is_sep(*p))
					p++;
				vn = (size_t)(p - v);
			}
			if (kn == 0)
				continue; /* "=value" with no key: skipped */
			pairs++;
		} else if (kn == 0) {
			/* a stray quoted string: skipped whole */
			if (!(q = quote_end(p + 1, end, &esc)))
				goto fail;
			p = q + 1;
			continue;
		} else {
			v = bare_true(fs, &t);
			vn = 4;
			if (!v) {
				fs->dropped++;
				continue;
			}
		}
		if (esc) {
			char *d = fs->n < FIELDS_MAX ? fields_scratch(fs, vn) : NULL;
			if (!d) {
				fs->dropped++;
				continue;
			}
			size_t o = json_fields_unescape(v, vn, d);
			fields_scratch_return(fs, vn - o);
			v = d;
			vn = o;
		}
		fields_add(fs, k, kn, v, vn);
		for (size_t i = 0; i < TS_NAMES; i++)
			if (!tsv[i] && kn == strlen(ts_names[i]) &&
			    memcmp(k, ts_names[i], kn) == 0) {
				tsv[i] = v;
				tsn[i] = vn;
			}
	}
	if (pairs == 0)
		goto fail;
	for (size_t i = 0; i < TS_NAMES; i++) {
		int64_t ms;
		if (!tsv[i])
			continue;
		if (ts_parse_in(tsv[i], tsn[i], fs->ts_now_ms, fs->ts_zone, &ms) == 0) {
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
