/*
 * fuzz_persist.c - libFuzzer target for the aggregates' checkpoint form
 * (aggregate/persist.c: agg_persist_decode) and the sketch decoders it
 * calls (dds_decode, hll_decode, topk_decode), then the compact pane forms
 * a decoded sketch becomes (pdds_from_dds, phll_from_hll).
 *
 * Byte 0 of the input picks what the rest is (each sketch encoding ends in
 * its own CRC32C, which the target appends, so the fuzzer reaches the
 * fields instead of the checksum):
 *   0: an aggregates blob after "WAGG" and its version, which the target
 *      writes, decoded for four rules (count; value; top and distinct;
 *      all three: the rules the seeds were written with);
 *   4: the same for a changed rule set (renamed, reordered, another
 *      top_k), as after a reload or an upgrade;
 *   1: a DDSketch encoding, 2: a HyperLogLog one, 3: a top-k one (byte 1
 *      sets the k of the table it is decoded into), each less its CRC.
 * tests/fuzz/seeds/persist/ holds blobs weir wrote and sketches from them.
 *
 * It aborts if a promise breaks: what decodes encodes and decodes again to
 * the same bytes; a decoded sketch's parts add up; a quantile lies within
 * [min, max]; a compact pane form merges back into the sketch it was
 * made from; a refused sketch leaves its target unchanged (dds, hll) or
 * empty (topk); the newest second and pane indices stay in range.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer,address,undefined.
 * Without libFuzzer (gcc, or to replay a crash file): `make replay`
 * builds $(B)/fuzz-replay/fuzz_persist, which takes files as arguments.
 */
#include "aggregate/aggcore.h"
#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"
#include "aggregate/psketch.h"
#include "aggregate/topk.h"
#include "config/config.h"
#include "core/crc32c.h"
#include "core/strbuf.h"
#include "pipeline/state.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* --- the rule sets (the seeds were written by weir with set A's rules) --- */

#define NRULES 4

static struct cfg_rule rules_a[NRULES] = {
    {.name = "n"},
    {.name = "v", .value = "v", .value_scale = 1},
    {.name = "t", .top = "k", .top_k = 3, .distinct = "k"},
    {.name = "all", .value = "v", .value_scale = 1, .top = "k", .top_k = 2, .distinct = "k"},
};
/* reordered, one renamed, one with another top_k (so another signature) */
static struct cfg_rule rules_b[NRULES] = {
    {.name = "all", .value = "v", .value_scale = 1, .top = "k", .top_k = 5, .distinct = "k"},
    {.name = "t", .top = "k", .top_k = 3, .distinct = "k"},
    {.name = "n2"},
    {.name = "v", .value = "v", .value_scale = 1},
};
static const char *const names_a[NRULES] = {"n", "v", "t", "all"};
static const char *const names_b[NRULES] = {"all", "t", "n2", "v"};

static struct cfg cfg_of(struct cfg_rule *rules)
{
	return (struct cfg){
	    .rules = rules, .nrules = NRULES, .lateness_s = 60, .max_future_s = 300};
}

static void check_core(const struct agg_core *c)
{
	if (c->max_sec != INT64_MIN && (c->max_sec > STATE_SEC_MAX || c->max_sec < -STATE_SEC_MAX))
		abort();
	for (int i = 0; i < TIERS_N; i++)
		for (uint32_t s = 0; s < c->tiers.t[i].nslots; s++) {
			int64_t idx = c->tiers.t[i].slot_idx[s];

			if (idx != INT64_MIN && (idx > STATE_SEC_MAX || idx < -STATE_SEC_MAX))
				abort();
		}
}

/* Decode into a core for the rules (names: theirs). Once decoded, what it
 * holds encodes, decodes and encodes again to the same bytes. */
static void fuzz_blob(const uint8_t *data, size_t size, struct cfg_rule *rules,
		      const char *const *names)
{
	struct cfg ca = cfg_of(rules);
	struct agg_core c, c2;
	struct strbuf e1 = {0}, e2 = {0};
	uint8_t *blob = malloc(size + 8);
	char why[128];

	if (!blob)
		return;
	memcpy(blob, "WAGG\1\0\0\0", 8);
	if (size)
		memcpy(blob + 8, data, size);
	if (agg_core_init(&c, &ca, &ca))
		abort();
	if (!agg_persist_decode(&c, names, blob, size + 8, why, sizeof(why))) {
		check_core(&c);
		agg_persist_encode(&c, names, &e1);
		if (e1.oom || agg_core_init(&c2, &ca, &ca))
			abort();
		if (agg_persist_decode(&c2, names, e1.buf, e1.len, why, sizeof(why)))
			abort();
		agg_persist_encode(&c2, names, &e2);
		if (e2.oom || e1.len != e2.len || memcmp(e1.buf, e2.buf, e1.len))
			abort();
		agg_core_destroy(&c2);
		strbuf_free(&e1);
		strbuf_free(&e2);
	} else if (!why[0]) {
		abort();
	}
	agg_core_destroy(&c);
	free(blob);
}

/* The input less byte 0, with a CRC32C appended: a sketch encoding. */
static uint8_t *sealed(const uint8_t *data, size_t size, size_t *len)
{
	uint8_t *buf = malloc(size + 4);
	uint32_t crc;

	if (!buf)
		return NULL;
	if (size)
		memcpy(buf, data, size);
	crc = crc32c(0, buf, size);
	for (int i = 0; i < 4; i++)
		buf[size + i] = (uint8_t)(crc >> (8 * i));
	*len = size + 4;
	return buf;
}

static struct dds dd, dd2, dd3;
static uint8_t enc1[DDS_ENCODED_MAX > HLL_ENCODED_MAX ? DDS_ENCODED_MAX : HLL_ENCODED_MAX];
static uint8_t enc2[sizeof(enc1)];

static void check_quantiles(const struct dds *d)
{
	static const double qs[] = {0, 0.01, 0.25, 0.5, 0.99, 1};

	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double v = dds_quantile(d, qs[i]);

		if (!d->count ? !isnan(v) : (isnan(v) || v < d->min || v > d->max))
			abort();
	}
}

static void fuzz_dds(const uint8_t *data, size_t size)
{
	size_t len, l1, l2;
	uint8_t *buf = sealed(data, size, &len);
	struct pdds *p = NULL;

	if (!buf)
		return;
	dds_init(&dd);
	dds_add(&dd, 42); /* a refused buffer leaves this as it was */
	if (dds_decode(&dd, buf, len)) {
		if (dd.count != 1 || dd.min != 42 || dd.pos.count != 1)
			abort();
		free(buf);
		return;
	}
	if (dd.zero > dd.count || dd.neg.count + dd.pos.count != dd.count - dd.zero ||
	    dd.pos.collapsed > dd.pos.count || dd.neg.collapsed > dd.neg.count)
		abort();
	check_quantiles(&dd);
	if (dds_encode(&dd, enc1, sizeof(enc1), &l1) || dds_decode(&dd2, enc1, l1) ||
	    dds_encode(&dd2, enc2, sizeof(enc2), &l2) || l1 != l2 || memcmp(enc1, enc2, l1))
		abort();
	/* the pane form of it merges back to what a dense merge gives */
	if (pdds_from_dds(&p, &dd))
		abort(); /* out of memory */
	dds_init(&dd2);
	pdds_merge_into(&dd2, p);
	dds_init(&dd3);
	dds_merge(&dd3, &dd);
	if (dds_encode(&dd2, enc1, sizeof(enc1), &l1) ||
	    dds_encode(&dd3, enc2, sizeof(enc2), &l2) || l1 != l2 || memcmp(enc1, enc2, l1) ||
	    pdds_count(p) != dd.count)
		abort();
	pdds_free(p);
	free(buf);
}

static struct hll hh, hh2;

static void fuzz_hll(const uint8_t *data, size_t size)
{
	size_t len, l1, l2;
	uint8_t *buf = sealed(data, size, &len);
	struct phll *p = NULL;
	double est;

	if (!buf)
		return;
	hll_init(&hh);
	hll_add(&hh, "x", 1);
	memcpy(&hh2, &hh, sizeof(hh));
	if (hll_decode(&hh, buf, len)) {
		if (memcmp(&hh, &hh2, sizeof(hh)))
			abort();
		free(buf);
		return;
	}
	est = hll_estimate(&hh);
	if (isnan(est) || est < 0)
		abort();
	if (hll_encode(&hh, enc1, sizeof(enc1), &l1) || hll_decode(&hh2, enc1, l1) ||
	    hll_encode(&hh2, enc2, sizeof(enc2), &l2) || l1 != l2 || memcmp(enc1, enc2, l1))
		abort();
	if (phll_from_hll(&p, &hh))
		abort(); /* out of memory */
	hll_init(&hh2);
	phll_merge_into(&hh2, p);
	if (memcmp(&hh, &hh2, sizeof(hh)))
		abort();
	phll_free(p);
	free(buf);
}

static void fuzz_topk(const uint8_t *data, size_t size)
{
	static struct topk_entry out[64];
	struct topk t, t2, m;
	uint8_t *buf, *e1 = NULL, *e2 = NULL;
	size_t len, l1, l2;
	uint32_t k;

	if (!size)
		return;
	k = 1 + data[0] % 64;
	buf = sealed(data + 1, size - 1, &len);
	if (!buf)
		return;
	if (topk_init(&t, k) || topk_init(&t2, k) || topk_init(&m, 1 + k / 2))
		abort(); /* out of memory */
	topk_add(&t, "x", 1, 3);
	if (topk_decode(&t, buf, len)) {
		if (t.n || t.total) /* refused: left empty */
			abort();
		goto out;
	}
	if (t.n > t.k || topk_bound(&t) > t.total)
		abort();
	for (uint32_t i = 0, n = topk_sorted(&t, out, 64); i < n; i++)
		if (out[i].err > out[i].count || out[i].len > TOPK_KEY_MAX ||
		    (i && out[i].count > out[i - 1].count))
			abort();
	/* stable once decoded: encode, decode, encode again */
	e1 = malloc(topk_encoded_max(&t));
	if (!e1 || topk_encode(&t, e1, topk_encoded_max(&t), &l1) || topk_decode(&t2, e1, l1))
		abort();
	e2 = malloc(topk_encoded_max(&t2));
	if (!e2 || topk_encode(&t2, e2, topk_encoded_max(&t2), &l2) || l1 != l2 ||
	    memcmp(e1, e2, l1))
		abort();
	topk_merge(&m, &t); /* into a smaller table */
	if (m.n > m.k || m.total != t.total)
		abort();
out:
	free(e1);
	free(e2);
	topk_free(&t);
	topk_free(&t2);
	topk_free(&m);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 5) {
	case 0:
		fuzz_blob(data + 1, size - 1, rules_a, names_a);
		break;
	case 4:
		fuzz_blob(data + 1, size - 1, rules_b, names_b);
		break;
	case 1:
		fuzz_dds(data + 1, size - 1);
		break;
	case 2:
		fuzz_hll(data + 1, size - 1);
		break;
	case 3:
		fuzz_topk(data + 1, size - 1);
		break;
	}
	return 0;
}

#include "tests/fuzz/replay.h"
