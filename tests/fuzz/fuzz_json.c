/*
 * fuzz_json.c - libFuzzer target for the JSON field parser
 * (pattern/json_fields.c).
 *
 * Parses the input twice: into an empty set, and into a set that is
 * nearly full (FIELDS_MAX - 2 fields, 16 bytes of scratch left), so the
 * drop paths run. Aborts if a promise breaks: both parses agree; a
 * rejected record leaves the set as it was; at most FIELDS_MAX fields;
 * every name and value lies inside the input or the set's scratch; every
 * field is kept or counted as dropped; a timestamp is within the range
 * ts_parse() promises. Differential check: every input jansson loads as
 * an object no deeper than JSON_FIELDS_DEPTH must parse here too (jansson
 * is stricter elsewhere: UTF-8, number range; inputs with a raw NUL are
 * left out, as jansson reads a NUL as the end of the text).
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 * Without libFuzzer (gcc, or to replay a crash file):
 *   cc -DWEIR_FUZZ_REPLAY -I. tests/fuzz/fuzz_json.c pattern/json_fields.c \
 *      pattern/timestamp.c -ljansson -o replay
 *   ./replay crash-file...
 */
#include "pattern/parsers.h"
#include "pattern/timestamp.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && p + n <= buf + len;
}

static void check_set(const struct fieldset *fs, uint32_t from, const char *buf, size_t len)
{
	if (fs->n > FIELDS_MAX || fs->slen > FIELDS_SCRATCH)
		abort();
	for (uint32_t i = from; i < fs->n; i++) {
		const struct field *f = &fs->f[i];
		if (!inside(f->val, f->vlen, buf, len) &&
		    !inside(f->val, f->vlen, fs->scratch, fs->slen))
			abort();
		if (!inside(f->name, f->nlen, buf, len) &&
		    !inside(f->name, f->nlen, fs->scratch, fs->slen))
			abort();
	}
	if (fs->has_ts && (fs->ts_ms < TS_MIN_MS || fs->ts_ms > TS_MAX_MS))
		abort();
}

/* Containers on the deepest path (jansson's own limit is 2048). */
static int depth(json_t *v)
{
	int d = 0;

	if (json_is_object(v)) {
		const char *k;
		json_t *m;
		json_object_foreach(v, k, m)
		{
			int c = depth(m);
			d = c > d ? c : d;
		}
		return d + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m)
		{
			int c = depth(m);
			d = c > d ? c : d;
		}
		return d + 1;
	}
	return 0;
}

static struct fieldset a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	fields_reset(&a);
	int rc = json_parse_fields(buf, size, &a);
	if (rc != 0 && rc != -1)
		abort();
	check_set(&a, 0, buf, size);
	if (rc == -1 && (a.n != 0 || a.slen != 0 || a.dropped != 0 || a.has_ts))
		abort();

	/* jansson takes a raw NUL byte for the end of the text: skip those. */
	if (!memchr(buf, '\0', size)) {
		json_error_t err;
		json_t *j = json_loadb(buf, size, JSON_ALLOW_NUL, &err);
		if (j && json_is_object(j) && depth(j) <= JSON_FIELDS_DEPTH && rc != 0)
			abort();
		json_decref(j);
	}

	fields_reset(&b);
	for (int i = 0; i < FIELDS_MAX - 2; i++)
		fields_add(&b, "x", 1, "y", 1);
	b.slen = FIELDS_SCRATCH - 16;
	int rc2 = json_parse_fields(buf, size, &b);
	if (rc2 != rc)
		abort();
	check_set(&b, FIELDS_MAX - 2, buf, size);
	if (rc == -1 && (b.n != FIELDS_MAX - 2 || b.slen != FIELDS_SCRATCH - 16 || b.dropped))
		abort();
	if (rc == 0 && b.n + b.dropped != FIELDS_MAX - 2 + a.n + a.dropped)
		abort();
	return 0;
}

#include "tests/fuzz/replay.h"
