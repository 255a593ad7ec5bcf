/*
 * fuzz_octet.c - libFuzzer target for the RFC 6587 framer (ingest/octet.c).
 *
 * Input: byte 0 picks max_frame (1..64, or 64..4096 in steps of 64),
 * byte 1 the options (bit 0: NUL is not a trailer, bit 1: skip leading SPs)
 * and the chunking seed; the rest is the TCP stream. The stream is framed
 * three times: whole, in pseudo-random chunks of 1..17 bytes, and a byte at
 * a time. Aborts unless all three give the same frames and counters, every
 * frame is 1..max_frame bytes and points into the current chunk, the
 * framer's buffer or its header digits, and after every feed
 *   bytes_in == bytes_framed + bytes_overhead + bytes_discarded + pending
 * (pending 0 after finish). The buffer is malloc'd with exactly max_frame
 * bytes, so ASan catches any overrun.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. ingest/octet.c \
 *         tests/fuzz/fuzz_octet.c -o fuzz_octet
 *   ./fuzz_octet -max_total_time=30 tests/fuzz/seeds/octet
 * Without libFuzzer (gcc), build with -DWEIR_FUZZ_REPLAY and pass files
 * (tests/fuzz/replay.h; `make replay` runs every seed so).
 */
#include "ingest/octet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_octet: %s:%d: check failed: %s\n", __FILE__,         \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct run {
	const char *chunk; /* the chunk being fed, for the pointer check */
	size_t chunk_len;
	const char *buf, *hdr; /* the framer's buffer and header digits */
	uint32_t max_frame;
	uint64_t h, frames, bytes;
};

static void on_frame(void *ctx, const char *p, uint32_t len, bool truncated)
{
	struct run *r = ctx;
	bool in_chunk = r->chunk && p >= r->chunk && p + len <= r->chunk + r->chunk_len;
	bool in_buf = p >= r->buf && p + len <= r->buf + r->max_frame;
	bool in_hdr = p >= r->hdr && p + len <= r->hdr + OCTET_LEN_DIGITS;

	CHECK(len >= 1 && len <= r->max_frame);
	CHECK(in_chunk || in_buf || in_hdr);
	r->h = (r->h ^ len ^ (truncated ? 0x100000000ULL : 0)) * 0x100000001b3ULL;
	for (uint32_t i = 0; i < len; i++)
		r->h = (r->h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	r->frames++;
	r->bytes += len;
}

static bool balanced(const struct octet_framer *f)
{
	return f->bytes_in ==
	       f->bytes_framed + f->bytes_overhead + f->bytes_discarded + octet_pending(f);
}

/* step 0: whole; 1: a byte at a time; else random chunks from seed. */
static void frame(const char *s, size_t n, uint32_t max_frame, uint8_t opts, int step,
		  struct run *r, struct octet_framer *f)
{
	char *buf = malloc(max_frame);
	uint32_t seed = opts * 2654435761u + (uint32_t)n;

	CHECK(buf);
	CHECK(octet_init(f, buf, max_frame, max_frame) == 0);
	f->nul_trailer = !(opts & 1);
	f->skip_leading_sp = (opts & 2) != 0;
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->hdr = f->hdr;
	r->max_frame = max_frame;
	r->h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n;) {
		size_t k = step == 0 ? n : step == 1 ? 1 : 1 + (seed >> 16) % 17;

		seed = seed * 1103515245u + 12345u;
		if (k > n - i)
			k = n - i;
		r->chunk = s + i;
		r->chunk_len = k;
		uint64_t before = f->frames;
		size_t got = octet_feed(f, s + i, k, on_frame, r);
		CHECK(got == f->frames - before);
		CHECK(balanced(f));
		CHECK(f->len <= max_frame);
		CHECK(octet_pending(f) <= max_frame + OCTET_LEN_DIGITS + 1);
		i += k;
	}
	r->chunk = NULL;
	octet_finish(f, on_frame, r);
	CHECK(octet_pending(f) == 0);
	CHECK(balanced(f));
	CHECK(f->bytes_in == n);
	CHECK(f->frames == r->frames && f->bytes_framed == r->bytes);
	free(buf);
}

static bool same_counters(const struct octet_framer *a, const struct octet_framer *b)
{
	return a->frames == b->frames && a->truncated == b->truncated &&
	       a->framing_errors == b->framing_errors && a->bytes_framed == b->bytes_framed &&
	       a->bytes_overhead == b->bytes_overhead && a->bytes_discarded == b->bytes_discarded;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct octet_framer f0, f1, f2;
	struct run r0, r1, r2;
	uint32_t max_frame;
	uint8_t opts;
	const char *s;
	size_t n;

	if (size < 2)
		return 0;
	max_frame = data[0] < 192 ? 1u + data[0] % 64u : 64u * (data[0] - 191u);
	opts = data[1];
	s = (const char *)data + 2;
	n = size - 2;

	frame(s, n, max_frame, opts, 0, &r0, &f0);
	frame(s, n, max_frame, opts, 2, &r1, &f1);
	frame(s, n, max_frame, opts, 1, &r2, &f2);
	CHECK(r0.h == r1.h && r0.h == r2.h);
	CHECK(same_counters(&f0, &f1) && same_counters(&f0, &f2));
	return 0;
}

#include "tests/fuzz/replay.h"
