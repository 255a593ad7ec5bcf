/*
 * fuzz_timestamp.c - libFuzzer target for the timestamp parser
 * (pattern/timestamp.c).
 *
 * The first two bytes pick "now" (about 1970..2100, or TS_NOW_NONE) and
 * the zone, the rest is the stamp. Aborts if a promise breaks: the result
 * is 0 or -1, *out is untouched on -1 and within TS_MIN_MS..TS_MAX_MS on
 * 0; trailing whitespace changes nothing; and a parsed time, written back
 * as an RFC 3339 UTC stamp by the C library's gmtime_r, parses to the
 * same milliseconds.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 * Without libFuzzer (gcc, or to replay a crash file):
 *   cc -DWEIR_FUZZ_REPLAY -I. tests/fuzz/fuzz_timestamp.c pattern/timestamp.c pattern/stamp.c \
 *      core/tzone.c -o replay
 *   ./replay crash-file...
 */
#include "pattern/timestamp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define YEAR0_MS (-62167219200000LL)	 /* 0000-01-01T00:00:00Z */
#define YEAR10000_MS (253402300800000LL) /* 10000-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t now_ms = 0;
	int32_t tz = 0;

	if (size < 2)
		return 0;
	now_ms = (int64_t)(data[0] | data[1] << 8) * 65536 * 1000;
	if (data[0] == 0xff)
		now_ms = TS_NOW_NONE;
	tz = ((int32_t)data[1] - 128) * 900;
	const char *p = (const char *)data + 2;
	size_t len = size - 2;

	int64_t out = 12345;
	int rc = ts_parse(p, len, now_ms, tz, &out);
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && out != 12345)
		abort();
	if (rc == 0 && (out < TS_MIN_MS || out > TS_MAX_MS))
		abort();

	/* Trailing whitespace is ignored. */
	char *w = malloc(len + 2);
	memcpy(w, p, len);
	w[len] = ' ';
	w[len + 1] = '\n';
	int64_t out2 = 12345;
	int rc2 = ts_parse(w, len + 2, now_ms, tz, &out2);
	free(w);
	if (rc2 != rc || out2 != out)
		abort();

	/* Round trip through an independent formatter. */
	if (rc == 0 && out >= YEAR0_MS && out < YEAR10000_MS) {
		int64_t s = out / 1000 - (out % 1000 < 0);
		int ms = (int)(out - s * 1000);
		time_t t = (time_t)s;
		struct tm tm;
		char iso[64];
		int64_t back = 0;
		if (!gmtime_r(&t, &tm))
			abort();
		int n = snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				 tm.tm_min, tm.tm_sec, ms);
		if (ts_parse(iso, (size_t)n, TS_NOW_NONE, 0, &back) != 0 || back != out)
			abort();
	}
	return 0;
}

#include "tests/fuzz/replay.h"
