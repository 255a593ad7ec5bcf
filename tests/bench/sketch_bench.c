/*
 * sketch_bench.c - nanoseconds per operation of the aggregator's sketches
 * (aggregate/topk, hll, ddsketch), each beside a baseline measured in the
 * same run on the same input:
 *
 *   topk_add   vs  writing and hashing the same keys (the floor of any hash
 *                  index), and
 *                  a linear-scan Space-Saving (core/peer.c's O(k) method)
 *   hll_add    vs  hll_hash alone
 *   dds_add    vs  log() alone (the key computation)
 *   pdds_add, phll_add_hash (the compact pane sketches, psketch.h) vs
 *                  dds_add, hll_add_hash of the same stream, for 10 to
 *                  10,000 distinct bins or keys, each run into a new pane
 *                  (growth included); then the bytes a pane holds after N
 *                  values or keys (topk's too, k = 1000)
 *
 *   sketch_bench [-n ADDS] [-s SEED]
 *
 * Inputs are generated before the clock starts; each figure is the best of
 * 5 runs of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other
 * work on the machine counts less. Not run by `make bench` (run.sh), which
 * only builds it.
 */
#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"
#include "aggregate/psketch.h"
#include "aggregate/topk.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_NAME "sketch_bench"
#include "tests/bench/benchutil.h"

#define NKEYS 100000
#define KEY_W 40 /* longest key and its NUL */
#define RUNS 5

static void row(const char *what, double ns, uint64_t ops)
{
	printf("  %-52s %9.1f ns/op\n", what, ns / (double)ops);
}

/* ---- inputs ---- */

/* Keys are written when used, as the aggregator has a key it just parsed in
 * cache: 8 hex digits of a permutation of the key's number, then one of four
 * paths (8..29 bytes). A table of 100k keys would instead measure cache
 * misses on the table. */
static const char *const tails[] = {"", "/a", "/api/v1/items", "/static/js/app.min.js"};
static uint8_t tail_len[4];

static size_t key_fmt(uint32_t id, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t x = id * 0x9e3779b1u;

	for (int i = 7; i >= 0; i--, x >>= 4)
		out[i] = hex[x & 15];
	memcpy(out + 8, tails[id % 4], tail_len[id % 4]);
	return 8 + (size_t)tail_len[id % 4];
}

static uint32_t *stream; /* key numbers, Zipf(1) */
static uint32_t *flat;	 /* key numbers, uniform: every add a new key for a full table */
static double *vals;	 /* lognormal(0, 1.5) */

static void inputs(uint32_t n)
{
	double *cdf = xmalloc(NKEYS * sizeof(*cdf)), sum = 0;
	uint32_t i;

	for (i = 0; i < 4; i++)
		tail_len[i] = (uint8_t)strlen(tails[i]);
	stream = xmalloc(n * sizeof(*stream));
	flat = xmalloc(n * sizeof(*flat));
	vals = xmalloc(n * sizeof(*vals));
	for (i = 0; i < NKEYS; i++) {
		sum += 1.0 / (i + 1);
		cdf[i] = sum;
	}
	for (i = 0; i < n; i++) {
		double u = unif() * sum;
		uint32_t lo = 0, hi = NKEYS - 1;

		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		stream[i] = lo;
		flat[i] = (uint32_t)(rnd() % NKEYS);
		vals[i] = exp(1.5 * sqrt(-2 * log(unif())) * cos(2 * M_PI * unif()));
	}
	free(cdf);
}

/* ---- the linear-scan baseline: Space-Saving with an O(k) search ---- */

struct scan_ent {
	uint64_t count;
	uint8_t len;
	char key[TOPK_KEY_MAX];
};

static void scan_add(struct scan_ent *e, uint32_t *n, uint32_t k, const char *key, uint8_t len)
{
	uint32_t i, min = 0;

	for (i = 0; i < *n; i++)
		if (e[i].len == len && !memcmp(e[i].key, key, len)) {
			e[i].count++;
			return;
		}
	if (*n < k) {
		i = (*n)++;
		e[i].count = 0;
	} else {
		for (i = 1; i < k; i++)
			if (e[i].count < e[min].count)
				min = i;
		i = min;
	}
	e[i].len = len;
	memcpy(e[i].key, key, len);
	e[i].count++;
}

/* ---- benchmarks ---- */

static void bench_topk(uint32_t n)
{
	static const uint32_t ks[] = {100, 1000, 10000};
	struct topk a, b;
	struct topk_entry *out = xmalloc(10000 * sizeof(*out));
	struct scan_ent *se = xmalloc(1000 * sizeof(*se));
	double best, t;
	uint32_t i, r, sn;
	char what[80], k[KEY_W];

	printf("topk (Space-Saving, %u keys of 8..29 bytes)\n", NKEYS);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		uint64_t x = 0;

		t = now_ns();
		for (i = 0; i < n; i++)
			x += hll_hash(k, key_fmt(stream[i], k));
		t = now_ns() - t;
		sink = x;
		best = t < best ? t : best;
	}
	row("baseline: write each key, hll_hash it", best, n);
	for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
		for (int flat_keys = 0; flat_keys < 2; flat_keys++) {
			const uint32_t *in = flat_keys ? flat : stream;

			best = 1e30;
			for (r = 0; r < RUNS; r++) {
				if (topk_init(&a, ks[ki]))
					exit(1);
				t = now_ns();
				for (i = 0; i < n; i++)
					topk_add(&a, k, key_fmt(in[i], k), 1);
				t = now_ns() - t;
				best = t < best ? t : best;
				sink = topk_bound(&a);
				topk_free(&a);
			}
			snprintf(what, sizeof(what), "topk_add k=%u, %s", ks[ki],
				 flat_keys ? "uniform keys (mostly evictions)" : "Zipf(1) keys");
			row(what, best, n);
		}
	}
	/* the O(k) scan, k = 1000, on a tenth of the stream (it is slow) */
	best = 1e30;
	for (r = 0; r < 2; r++) {
		sn = 0;
		t = now_ns();
		for (i = 0; i < n / 10; i++)
			scan_add(se, &sn, 1000, k, (uint8_t)key_fmt(stream[i], k));
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("baseline: linear-scan Space-Saving k=1000, Zipf(1)", best, n / 10);

	/* merge and listing, k = 1000 */
	topk_init(&a, 1000);
	topk_init(&b, 1000);
	for (i = 0; i < n; i++)
		topk_add(i % 2 ? &a : &b, k, key_fmt(stream[i], k), 1);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		struct topk c;

		topk_init(&c, 1000);
		topk_merge(&c, &a); /* a copy */
		t = now_ns();
		topk_merge(&c, &b);
		t = now_ns() - t;
		best = t < best ? t : best;
		topk_free(&c);
	}
	row("topk_merge k=1000 (two full tables)", best, 1);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		t = now_ns();
		sink = topk_sorted(&a, out, 1000);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("topk_sorted k=1000, all entries", best, 1);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		t = now_ns();
		sink = topk_sorted(&a, out, 10);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("topk_sorted k=1000, top 10", best, 1);
	for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
		struct topk m;
		size_t empty;

		topk_init(&m, ks[ki]);
		empty = topk_bytes(&m);
		for (i = 0; i < ks[ki]; i++)
			topk_add(&m, k, key_fmt(i, k), 1);
		printf("  memory: k=%u: full %zu bytes (%.0f per counter), empty %zu, + %zu "
		       "struct\n",
		       ks[ki], topk_bytes(&m), (double)topk_bytes(&m) / ks[ki], empty, sizeof(m));
		topk_free(&m);
	}
	topk_free(&a);
	topk_free(&b);
	free(out);
	free(se);
}

static void bench_hll(uint32_t n)
{
	static struct hll h, h2;
	uint64_t *hashes = xmalloc(n * sizeof(*hashes));
	double best, t;
	uint32_t i, r;
	char k[KEY_W];

	printf("hll (p = 14, %zu bytes)\n", sizeof(h));
	for (i = 0; i < n; i++)
		hashes[i] = hll_hash(&i, sizeof(i));
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		uint64_t x = 0;

		t = now_ns();
		for (uint64_t j = 0; j < n; j++)
			x += hll_hash(&j, sizeof(j));
		t = now_ns() - t;
		sink = x;
		best = t < best ? t : best;
	}
	row("baseline: hll_hash of an 8-byte key", best, n);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		hll_reset(&h);
		t = now_ns();
		for (uint64_t j = 0; j < n; j++)
			hll_add(&h, &j, sizeof(j));
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("hll_add, 8-byte keys", best, n);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		hll_reset(&h);
		t = now_ns();
		for (i = 0; i < n; i++)
			hll_add(&h, k, key_fmt(stream[i], k));
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("hll_add, the topk keys (written, 8..29 bytes)", best, n);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		hll_reset(&h);
		t = now_ns();
		for (i = 0; i < n; i++)
			hll_add_hash(&h, hashes[i]);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("hll_add_hash (hash precomputed)", best, n);
	h2 = h;
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		t = now_ns();
		hll_merge(&h2, &h);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("hll_merge", best, 1);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		t = now_ns();
		sink = (uint64_t)hll_estimate(&h);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("hll_estimate", best, 1);
	free(hashes);
}

static void bench_dds(uint32_t n)
{
	static struct dds d, d2;
	double best, t;
	uint32_t i, r;

	printf("ddsketch (alpha %.3f, %zu bytes)\n", DDS_ALPHA, sizeof(d));
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		double x = 0;

		t = now_ns();
		for (i = 0; i < n; i++)
			x += log(vals[i]);
		t = now_ns() - t;
		sink = (uint64_t)x;
		best = t < best ? t : best;
	}
	row("baseline: log() of each value", best, n);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		dds_reset(&d);
		t = now_ns();
		for (i = 0; i < n; i++)
			dds_add(&d, vals[i]);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("dds_add, lognormal(0, 1.5)", best, n);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		dds_reset(&d2);
		t = now_ns();
		for (i = 0; i < n; i++)
			dds_add(&d2, i % 5 ? vals[i] : -vals[i]);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("dds_add, 20% negative", best, n);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		struct dds *m = &d2;

		t = now_ns();
		dds_merge(m, &d);
		t = now_ns() - t;
		best = t < best ? t : best;
	}
	row("dds_merge", best, 1);
	best = 1e30;
	for (r = 0; r < RUNS; r++) {
		double x = 0;

		t = now_ns();
		for (i = 0; i < 100; i++)
			x += dds_quantile(&d, i / 100.0);
		t = now_ns() - t;
		sink = (uint64_t)x;
		best = t < best ? t : best;
	}
	row("dds_quantile (q = 0.00 .. 0.99)", best, 100);
}

/* The compact pane sketches on streams of d distinct bins (values) or keys
 * (hashes), drawn uniformly. */
static void bench_psketch(uint32_t n)
{
	static const uint32_t ds[] = {10, 100, 1000, 10000};
	static const uint32_t sizes[] = {1, 10, 100, 1000, 10000, 100000};
	static struct dds d;
	static struct hll h;
	const double lg = log((1 + DDS_ALPHA) / (1 - DDS_ALPHA));
	double *v = xmalloc(n * sizeof(*v)), best, t;
	uint64_t *hs = xmalloc(n * sizeof(*hs));
	uint32_t i, r;
	char what[80];

	printf("psketch (compact pane sketches; each run into a new pane)\n");
	for (size_t di = 0; di < sizeof(ds) / sizeof(ds[0]); di++) {
		struct pdds *p = NULL;
		struct phll *q = NULL;

		/* bin k's middle, half of the bins negative; key j's hash */
		for (i = 0; i < n; i++) {
			uint32_t k = (uint32_t)(rnd() % ds[di]);
			uint64_t key = rnd() % ds[di];

			v[i] = (k % 2 ? -1 : 1) * exp(((double)(k / 2) - 0.5) * lg);
			hs[i] = hll_hash(&key, sizeof(key));
		}
		best = 1e30;
		for (r = 0; r < RUNS; r++) {
			dds_reset(&d);
			t = now_ns();
			for (i = 0; i < n; i++)
				dds_add(&d, v[i]);
			t = now_ns() - t;
			best = t < best ? t : best;
		}
		snprintf(what, sizeof(what), "baseline: dds_add, %u distinct bins", ds[di]);
		row(what, best, n);
		best = 1e30;
		for (r = 0; r < RUNS; r++) {
			pdds_free(p);
			p = NULL;
			t = now_ns();
			for (i = 0; i < n; i++)
				pdds_add(&p, v[i]);
			t = now_ns() - t;
			best = t < best ? t : best;
		}
		snprintf(what, sizeof(what), "pdds_add, %u distinct bins (%zu bytes)", ds[di],
			 pdds_bytes(p));
		row(what, best, n);
		best = 1e30;
		for (r = 0; r < RUNS; r++) {
			hll_reset(&h);
			t = now_ns();
			for (i = 0; i < n; i++)
				hll_add_hash(&h, hs[i]);
			t = now_ns() - t;
			best = t < best ? t : best;
		}
		snprintf(what, sizeof(what), "baseline: hll_add_hash, %u distinct keys", ds[di]);
		row(what, best, n);
		best = 1e30;
		for (r = 0; r < RUNS; r++) {
			phll_free(q);
			q = NULL;
			t = now_ns();
			for (i = 0; i < n; i++)
				phll_add_hash(&q, hs[i]);
			t = now_ns() - t;
			best = t < best ? t : best;
		}
		snprintf(what, sizeof(what), "phll_add_hash, %u distinct keys (%zu bytes)", ds[di],
			 phll_bytes(q));
		row(what, best, n);
		/* a window of 100 such panes, merged */
		best = 1e30;
		for (r = 0; r < RUNS; r++) {
			dds_reset(&d);
			t = now_ns();
			for (i = 0; i < 100; i++)
				pdds_merge_into(&d, p);
			t = now_ns() - t;
			best = t < best ? t : best;
		}
		snprintf(what, sizeof(what), "pdds_merge_into a dds, %u bins (per pane)", ds[di]);
		row(what, best, 100);
		best = 1e30;
		for (r = 0; r < RUNS; r++) {
			hll_reset(&h);
			t = now_ns();
			for (i = 0; i < 100; i++)
				phll_merge_into(&h, q);
			t = now_ns() - t;
			best = t < best ? t : best;
		}
		snprintf(what, sizeof(what), "phll_merge_into a hll, %u keys (per pane)", ds[di]);
		row(what, best, 100);
		pdds_free(p);
		phll_free(q);
	}
	printf("  bytes held by a pane after N values (lognormal(0, 1.5)), N distinct keys:\n");
	printf("  %8s %10s %10s %14s\n", "N", "pdds", "phll", "topk k=1000");
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		struct pdds *p = NULL;
		struct phll *q = NULL;
		struct topk tk;
		char k[KEY_W];

		if (topk_init(&tk, 1000))
			exit(1);
		for (i = 0; i < sizes[si]; i++) {
			uint64_t key = i;

			pdds_add(&p, i < n ? vals[i] : 1.0);
			phll_add_hash(&q, hll_hash(&key, sizeof(key)));
			topk_add(&tk, k, key_fmt(i, k), 1);
		}
		printf("  %8u %10zu %10zu %14zu\n", sizes[si], pdds_bytes(p), phll_bytes(q),
		       topk_bytes(&tk));
		pdds_free(p);
		phll_free(q);
		topk_free(&tk);
	}
	printf("  (dense: struct dds %zu, struct hll %zu bytes)\n", sizeof(struct dds),
	       sizeof(struct hll));
	free(v);
	free(hs);
}

int main(int argc, char **argv)
{
	uint32_t n = 2000000;
	int c;

	rng_s = 1;
	while ((c = getopt(argc, argv, "n:s:h")) != -1) {
		switch (c) {
		case 'n':
			n = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 's':
			rng_s = strtoull(optarg, NULL, 10);
			break;
		default:
			fputs("usage: sketch_bench [-n ADDS] [-s SEED]\n",
			      c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (n < 10) {
		fputs("sketch_bench: -n must be at least 10\n", stderr);
		return 2;
	}
	inputs(n);
	printf("sketch_bench: %u adds per figure, best of %d\n", n, RUNS);
	bench_topk(n);
	bench_hll(n);
	bench_dds(n);
	bench_psketch(n);
	return 0;
}
