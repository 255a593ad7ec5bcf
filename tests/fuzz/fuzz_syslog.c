/*
 * fuzz_syslog.c - libFuzzer target for the syslog parser (pattern/syslog.c,
 * with the time-stamp core pattern/stamp.c).
 *
 * Parses the input at a time and zone taken from its first bytes, then
 * checks the parser's promises and aborts if one breaks: every field lies
 * inside the input, the return code matches parse_error, the stamp fields
 * are in range, and a parsed structured_data walks to its end; each SD
 * value is unescaped into a small buffer (so the cut path runs too).
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 * Without libFuzzer (gcc, or to replay a crash file):
 *   cc -DWEIR_FUZZ_REPLAY -I. tests/fuzz/fuzz_syslog.c pattern/syslog.c pattern/stamp.c \
 *      core/tzone.c -o replay
 *   ./replay crash-file...
 */
#include "pattern/syslog.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *buf, size_t len, struct syslog_str s)
{
	if (s.p && (s.p < buf || s.len > len || s.p + s.len > buf + len))
		abort();
}

static void walk_sd(struct syslog_str sd, bool must_end)
{
	struct syslog_sd_iter it;
	struct syslog_sd_item item;
	char small[8];
	int r;
	size_t steps = 0;

	syslog_sd_iter_init(&it, sd);
	while ((r = syslog_sd_next(&it, &item)) > 0) {
		if (r == SYSLOG_SD_PARAM) {
			size_t n = syslog_sd_unescape(item.value, small, sizeof(small));
			if (n > item.value.len || strlen(small) >= sizeof(small))
				abort();
		}
		if (++steps > (size_t)sd.len + 1) /* every step consumes input */
			abort();
	}
	if (must_end && r != SYSLOG_SD_END)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Vary "now" (around 1970..2100) and the zone with the first bytes. */
	int64_t now_ms = 0;
	int32_t tz = 0;
	if (size >= 2) {
		now_ms = (int64_t)(data[0] | data[1] << 8) * 65536 * 1000;
		tz = ((int32_t)data[1] - 128) * 900;
	}
	const char *buf = (const char *)data;
	struct syslog_msg m;
	int rc = syslog_parse(buf, size, now_ms, tz, &m);

	if (rc != (m.parse_error ? -EBADMSG : 0))
		abort();
	if (m.parse_error != ((m.flags & SYSLOG_F_ERRORS) != 0))
		abort();
	struct syslog_str f[] = {m.timestamp,	    m.hostname, m.app_name, m.procid, m.msgid,
				 m.structured_data, m.msg,	m.tag,	    m.body};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		inside(buf, size, f[i]);
	if (m.ts_usec < 0 || m.ts_usec > 999999 || m.facility < 0 || m.facility > 23 ||
	    m.severity < 0 || m.severity > 7 || m.pri > 191)
		abort();
	if (m.ts_ms == INT64_MIN && (m.ts_usec != 0 || m.utc_offset_s != 0))
		abort();
	walk_sd(m.structured_data, true);
	/* The iterator on arbitrary text: must end or fail, never loop or overrun. */
	walk_sd((struct syslog_str){buf, (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size)}, false);
	return 0;
}

#include "tests/fuzz/replay.h"
