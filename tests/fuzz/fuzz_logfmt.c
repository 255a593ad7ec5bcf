/*
 * fuzz_logfmt.c - libFuzzer target for the logfmt parser (pattern/logfmt.c).
 *
 * Parses the input twice: into an empty set, and into a set that is
 * nearly full (FIELDS_MAX - 2 fields, 16 bytes of scratch left), so the
 * drop paths run. Aborts if a promise breaks: both parses agree; a
 * rejected record leaves the set as it was; at most FIELDS_MAX fields;
 * every key lies inside the input, is not empty and holds no separator,
 * '=' or '"'; every value lies inside the input or the set's scratch;
 * every field is kept or counted as dropped; a timestamp is within the
 * range ts_parse() promises.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 * Without libFuzzer (gcc, or to replay a crash file):
 *   cc -DWEIR_FUZZ_REPLAY -I. tests/fuzz/fuzz_logfmt.c pattern/logfmt.c \
 *      pattern/json_fields.c pattern/timestamp.c -o replay
 *   ./replay crash-file...
 */
#include "pattern/parsers.h"
#include "pattern/timestamp.h"

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
		if (f->nlen == 0 || !inside(f->name, f->nlen, buf, len))
			abort();
		for (uint32_t k = 0; k < f->nlen; k++) {
			unsigned char c = (unsigned char)f->name[k];
			if (c <= 0x20 || c == 0x7f || c == '=' || c == '"')
				abort();
		}
	}
	if (fs->has_ts && (fs->ts_ms < TS_MIN_MS || fs->ts_ms > TS_MAX_MS))
		abort();
}

static struct fieldset a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	fields_reset(&a);
	int rc = logfmt_parse(buf, size, &a);
	if (rc != 0 && rc != -1)
		abort();
	check_set(&a, 0, buf, size);
	if (rc == -1 && (a.n != 0 || a.slen != 0 || a.dropped != 0 || a.has_ts))
		abort();
	if (rc == 0 && a.n + a.dropped == 0)
		abort();

	fields_reset(&b);
	for (int i = 0; i < FIELDS_MAX - 2; i++)
		fields_add(&b, "x", 1, "y", 1);
	b.slen = FIELDS_SCRATCH - 16;
	int rc2 = logfmt_parse(buf, size, &b);
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
