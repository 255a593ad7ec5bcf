/*
 * fuzz_access.c - libFuzzer target for the access log parser
 * (pattern/access.c).
 *
 * Parses the input twice: into an empty set, and into a set that is
 * nearly full (FIELDS_MAX - 2 fields, 16 bytes of scratch left), so the
 * drop paths run. Aborts if a promise breaks: both parses agree; a
 * rejected line leaves the set as it was; at most FIELDS_MAX fields; every
 * name is one of the documented ones; every value lies inside the input or
 * the set's scratch; the required fields are there and well formed; a
 * timestamp is within the range ts_parse() promises.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 * Without libFuzzer (gcc, or to replay a crash file):
 *   cc -DWEIR_FUZZ_REPLAY -I. tests/fuzz/fuzz_access.c pattern/access.c \
 *      pattern/timestamp.c -o replay
 *   ./replay crash-file...
 */
#include "pattern/parsers.h"
#include "pattern/timestamp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"ip",     "ident",	  "user",	"time",
				    "method", "path",	  "protocol",	"status",
				    "bytes",  "referrer", "user_agent", "request_time"};

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
	}
	if (fs->has_ts && (fs->ts_ms < TS_MIN_MS || fs->ts_ms > TS_MAX_MS))
		abort();
}

static const struct field *get(const struct fieldset *fs, const char *name)
{
	return fields_get(fs, name, strlen(name));
}

static struct fieldset a, b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	fields_reset(&a);
	int rc = access_parse(buf, size, &a);
	if (rc != 0 && rc != -1)
		abort();
	check_set(&a, 0, buf, size);
	if (rc == -1 && (a.n != 0 || a.slen != 0 || a.dropped != 0 || a.has_ts))
		abort();
	if (rc == 0) {
		/* names are the documented ones, each at most once, fields in order */
		size_t next = 0;
		for (uint32_t i = 0; i < a.n; i++) {
			while (next < sizeof(names) / sizeof(names[0]) &&
			       (strlen(names[next]) != a.f[i].nlen ||
				memcmp(names[next], a.f[i].name, a.f[i].nlen) != 0))
				next++;
			if (next == sizeof(names) / sizeof(names[0]))
				abort();
			next++;
		}
		const struct field *st = get(&a, "status"), *ip = get(&a, "ip");
		if (!st || st->vlen != 3 || !ip || ip->vlen == 0 || !get(&a, "time"))
			abort();
		for (int i = 0; i < 3; i++)
			if (st->val[i] < '0' || st->val[i] > '9')
				abort();
		const struct field *m = get(&a, "method"), *p = get(&a, "path");
		if ((m == NULL) != (p == NULL) || (get(&a, "protocol") && !m))
			abort();
		const struct field *by = get(&a, "bytes");
		if (by && (by->vlen == 0 || (by->vlen == 1 && by->val[0] == '-')))
			abort();
	}

	/* again into a nearly full set */
	fields_reset(&b);
	for (int i = 0; i < FIELDS_MAX - 2; i++)
		fields_add(&b, "x", 1, "y", 1);
	b.slen = FIELDS_SCRATCH - 16;
	int rc2 = access_parse(buf, size, &b);
	if (rc2 != rc)
		abort();
	check_set(&b, FIELDS_MAX - 2, buf, size);
	if (rc == -1 && (b.n != FIELDS_MAX - 2 || b.slen != FIELDS_SCRATCH - 16 || b.dropped))
		abort();
	if (rc == 0 && (b.n + b.dropped != FIELDS_MAX - 2 + a.n + a.dropped ||
			b.has_ts != a.has_ts || (a.has_ts && a.ts_ms != b.ts_ms)))
		abort();
	return 0;
}

#include "tests/fuzz/replay.h"
