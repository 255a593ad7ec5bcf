/*
 * fuzz_state.c - libFuzzer target for the checkpoint file decoder
 * (pipeline/state.c: state_decode), which reads state_dir/weir.state at
 * every start: a file that crashes it crashes weir on every restart.
 *
 * Byte 0 of the input says how the rest is used:
 *   bit 0 clear, "sealed": the rest is a payload; the target writes the
 *     header before it (the current version, or 1 if bit 1 is set) and the CRC32C
 *     after it, so the fuzzer reaches the fields instead of the checksum;
 *   bit 0 set, "raw": the rest is the whole file (magic, header, CRC).
 * tests/fuzz/seeds/state/ holds files weir wrote, in the sealed form.
 *
 * It aborts if a promise breaks: a refused file leaves nothing behind and
 * says why; a decoded one keeps every bound of pipeline/state.h (strings,
 * fingerprint length, flags, seconds); a sealed payload of the current
 * version (STATE_VERSION) encodes back to exactly the bytes decoded.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 * Without libFuzzer (gcc, or to replay a crash file):
 *   cc -DWEIR_FUZZ_REPLAY -I. tests/fuzz/fuzz_state.c pipeline/state.c \
 *      core/crc32c.c core/strbuf.c core/log.c -o replay
 * (or `make replay`, which links build/<san>/libweir.a).
 */
#include "core/crc32c.h"
#include "pipeline/state.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_LEN 24

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The bounds every decoded state keeps (pipeline/state.h). */
static void check_decoded(const struct state *st)
{
	for (uint32_t i = 0; i < st->nfiles; i++) {
		const struct state_file *f = &st->files[i];

		if (!f->source || !f->path || strlen(f->source) > STATE_STR_MAX ||
		    strlen(f->path) > STATE_STR_MAX || f->fp_len > STATE_FP_MAX)
			abort();
	}
	for (uint32_t i = 0; i < st->agg.nrules; i++)
		if (!st->agg.rule_names[i] || strlen(st->agg.rule_names[i]) > STATE_STR_MAX)
			abort();
	for (uint32_t i = 0; i < st->agg.nsecs; i++)
		if (st->agg.secs[i] > STATE_SEC_MAX || st->agg.secs[i] < -STATE_SEC_MAX)
			abort();
	if (st->agg.blob_len && !st->agg.blob)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st;
	char why[160];
	uint8_t *file;
	size_t len;
	int rc, version = STATE_VERSION;
	bool sealed;

	if (!size)
		return 0;
	sealed = !(data[0] & 1);
	if (data[0] & 2)
		version = 1;
	data++;
	size--;
	if (sealed) {
		len = HEADER_LEN + size + 4;
		file = malloc(len);
		if (!file)
			return 0;
		memcpy(file, "WEIRSTAT", 8);
		put_le(file + 8, (uint64_t)version, 4);
		put_le(file + 12, 0, 4);
		put_le(file + 16, size, 8);
		if (size)
			memcpy(file + HEADER_LEN, data, size);
		put_le(file + HEADER_LEN + size, crc32c(0, file, HEADER_LEN + size), 4);
	} else {
		len = size;
		file = malloc(len ? len : 1); /* exact size, for ASan */
		if (!file)
			return 0;
		if (size)
			memcpy(file, data, size);
	}

	why[0] = '\0';
	rc = state_decode((const char *)file, len, &st, why, sizeof(why));
	if (rc) {
		/* refused: a reason, and nothing left to free */
		if (rc != -EBADMSG || !why[0] || !memchr(why, '\0', sizeof(why)))
			abort();
		if (st.files || st.nfiles || st.agg.blob || st.agg.rule_names || st.agg.secs)
			abort();
		free(file);
		return 0;
	}
	check_decoded(&st);
	if (sealed && version == STATE_VERSION) {
		char *again;
		size_t again_len;

		if (state_encode(&st, &again, &again_len))
			abort(); /* out of memory: not expected at these sizes */
		if (again_len != len || memcmp(again, file, len))
			abort(); /* what was decoded is not what was read */
		free(again);
	}
	state_free(&st);
	free(file);
	return 0;
}

#include "tests/fuzz/replay.h"
