/*
 * test_sketch.c - the aggregator's sketches against exact answers computed
 * here on generated data (seeded, so every run sees the same streams):
 * topk (Space-Saving), hll (HyperLogLog), dds (DDSketch), and the compact
 * pane forms of the last two (psketch) against the dense ones; and the
 * bounds the aggregates' checkpoint form (persist.c) keeps when decoding.
 *
 * Run with --verbose to see the measured accuracy (cr_log_info).
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

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- seeded randomness ---- */

struct rng {
	uint64_t s;
};

/* splitmix64 */
static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double unif(struct rng *r)
{
	return ((double)(rnd(r) >> 11) + 0.5) * 0x1p-53;
}

static double normal(struct rng *r)
{
	return sqrt(-2 * log(unif(r))) * cos(2 * M_PI * unif(r));
}

/* ==================================================================== */
/* topk                                                                 */
/* ==================================================================== */

/* 100k distinct keys "xxxxxxxx/..." (8 hex digits that map back to the key's
 * number, then a path of varying length), drawn Zipf(1). */
enum { NKEYS = 100000, NADDS = 1000000 };

#define PERM_MUL 0x9e3779b1u
#define PERM_XOR 0x5bd1e995u

static char keys[NKEYS][48];
static uint8_t key_len[NKEYS];
static double zipf_cdf[NKEYS];

static uint32_t perm(uint32_t i)
{
	return (i * PERM_MUL) ^ PERM_XOR;
}

static uint32_t unperm(uint32_t x)
{
	uint32_t inv = PERM_MUL;

	for (int i = 0; i < 5; i++)
		inv *= 2 - PERM_MUL * inv; /* Newton: inverse of an odd number mod 2^32 */
	return (x ^ PERM_XOR) * inv;
}

static void keys_init(void)
{
	static const char *const tails[] = {"", "/a", "/api/v1/items", "/static/js/app.min.js",
					    "/login?next=%2Fhome"};
	double sum = 0;
	uint32_t i;

	if (key_len[0])
		return;
	for (i = 0; i < NKEYS; i++) {
		int n = snprintf(keys[i], sizeof(keys[i]), "%08x%s", perm(i), tails[i % 5]);

		key_len[i] = (uint8_t)n;
		sum += 1.0 / (i + 1);
		zipf_cdf[i] = sum;
	}
	for (i = 0; i < NKEYS; i++)
		zipf_cdf[i] /= sum;
}

/* A key number, Zipf(1): number i with probability proportional to 1/(i+1). */
static uint32_t zipf(struct rng *r)
{
	double u = unif(r);
	uint32_t lo = 0, hi = NKEYS - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t key_number(const struct topk_entry *e)
{
	char hex[9];

	cr_assert_geq(e->len, 8);
	memcpy(hex, e->key, 8);
	hex[8] = '\0';
	return unperm((uint32_t)strtoul(hex, NULL, 16));
}

/*
 * Space-Saving's promises for table t against the exact counts:
 * the bound is at most total / k; every key counted more than the bound
 * has an entry; each entry's count is in [true, true + err] with err <=
 * bound; the listing is in count order, ties by key. Returns the largest
 * err seen.
 */
static uint64_t check_topk(const struct topk *t, const uint64_t *exact, uint64_t total)
{
	static struct topk_entry out[TOPK_K_MAX < 4096 ? TOPK_K_MAX : 4096];
	uint64_t bound = topk_bound(t), max_err = 0;
	uint32_t n, i, heavy = 0;
	struct topk_entry e;

	cr_assert_eq(t->total, total);
	cr_assert_leq(bound, total / t->k, "bound %llu > total/k %llu", (unsigned long long)bound,
		      (unsigned long long)(total / t->k));
	cr_assert_leq(t->k, 4096);
	n = topk_sorted(t, out, t->k);
	cr_assert_eq(n, t->n);
	for (i = 0; i < n; i++) {
		uint32_t id = key_number(&out[i]);

		cr_assert_lt(id, NKEYS);
		cr_assert_eq(out[i].len, key_len[id]);
		cr_assert(!memcmp(out[i].key, keys[id], out[i].len));
		cr_assert_geq(out[i].count, exact[id], "key %u: count %llu < true %llu", id,
			      (unsigned long long)out[i].count, (unsigned long long)exact[id]);
		cr_assert_leq(out[i].count - out[i].err, exact[id],
			      "key %u: count - err above true", id);
		cr_assert_leq(out[i].err, bound);
		if (out[i].err > max_err)
			max_err = out[i].err;
		if (i) {
			cr_assert_geq(out[i - 1].count, out[i].count, "most frequent first");
			if (out[i - 1].count == out[i].count)
				cr_assert_lt(strcmp(out[i - 1].key, out[i].key), 0, "ties by key");
			/* what the order promises about true counts */
			cr_assert_leq(exact[id], exact[key_number(&out[i - 1])] + out[i - 1].err);
		}
	}
	for (i = 0; i < NKEYS; i++) {
		if (exact[i] <= bound)
			continue;
		heavy++;
		cr_assert(topk_get(t, keys[i], key_len[i], &e),
			  "key %u counted %llu > bound %llu has no entry", i,
			  (unsigned long long)exact[i], (unsigned long long)bound);
		cr_assert_geq(e.count, exact[i]);
	}
	cr_log_info("topk k=%u: total %llu, bound %llu (total/k %llu), %u keys above it, max err "
		    "%llu\n",
		    t->k, (unsigned long long)total, (unsigned long long)bound,
		    (unsigned long long)(total / t->k), heavy, (unsigned long long)max_err);
	cr_assert_gt(heavy, 0, "the test must test something");
	return max_err;
}

/* The k most frequent keys by exact count come out first, in that order,
 * when their counts are far enough apart (true for the head of Zipf). */
static void check_head_order(const struct topk *t, const uint64_t *exact, uint32_t head)
{
	static struct topk_entry out[64];
	static uint32_t order[NKEYS];
	uint32_t i, j, n;

	for (i = 0; i < NKEYS; i++)
		order[i] = i;
	/* partial selection sort of the head by exact count, ties by key */
	for (i = 0; i < head; i++)
		for (j = i + 1; j < NKEYS; j++)
			if (exact[order[j]] > exact[order[i]] ||
			    (exact[order[j]] == exact[order[i]] &&
			     strcmp(keys[order[j]], keys[order[i]]) < 0)) {
				uint32_t x = order[i];

				order[i] = order[j];
				order[j] = x;
			}
	n = topk_sorted(t, out, head);
	cr_assert_eq(n, head);
	for (i = 0; i < head; i++)
		cr_assert_eq(key_number(&out[i]), order[i], "rank %u", i);
}

Test(topk, zipf_stream_keeps_every_space_saving_bound)
{
	static uint64_t exact[NKEYS];
	struct rng r = {42};
	struct topk t;
	uint32_t i;

	keys_init();
	memset(exact, 0, sizeof(exact));
	cr_assert_eq(topk_init(&t, 1000), 0);
	for (i = 0; i < NADDS; i++) {
		uint32_t id = zipf(&r);

		topk_add(&t, keys[id], key_len[id], 1);
		exact[id]++;
	}
	cr_assert_eq(t.n, 1000);
	cr_assert_gt(topk_bound(&t), 0, "full: the bound is the smallest counter");
	check_topk(&t, exact, NADDS);
	check_head_order(&t, exact, 20);
	topk_free(&t);
	topk_free(&t); /* twice: a zeroed table */
	topk_free(NULL);
}

Test(topk, weighted_adds_keep_the_bounds)
{
	static uint64_t exact[NKEYS];
	struct rng r = {7};
	struct topk t;
	uint64_t total = 0;
	uint32_t i;

	keys_init();
	memset(exact, 0, sizeof(exact));
	cr_assert_eq(topk_init(&t, 200), 0);
	for (i = 0; i < 300000; i++) {
		uint32_t id = zipf(&r);
		uint64_t n = rnd(&r) % 5; /* 0 counts nothing */

		topk_add(&t, keys[id], key_len[id], n);
		exact[id] += n;
		total += n;
	}
	check_topk(&t, exact, total);
	topk_free(&t);
}

Test(topk, small_tables_count_exactly)
{
	static uint64_t exact[NKEYS];
	struct topk t;
	struct topk_entry e;
	uint32_t i;

	keys_init();
	memset(exact, 0, sizeof(exact));
	cr_assert_eq(topk_init(&t, 64), 0);
	for (i = 0; i < 50 * 7; i++) {
		topk_add(&t, keys[i % 50], key_len[i % 50], i % 50 + 1);
		exact[i % 50] += i % 50 + 1;
	}
	cr_assert_eq(t.n, 50);
	cr_assert_eq(topk_bound(&t), 0, "not full: exact");
	for (i = 0; i < 50; i++) {
		cr_assert(topk_get(&t, keys[i], key_len[i], &e));
		cr_assert_eq(e.count, exact[i]);
		cr_assert_eq(e.err, 0);
	}
	cr_assert(!topk_get(&t, keys[50], key_len[50], &e));
	check_topk(&t, exact, t.total);
	topk_reset(&t);
	cr_assert_eq(t.n, 0);
	cr_assert_eq(t.total, 0);
	cr_assert(!topk_get(&t, keys[0], key_len[0], &e));
	topk_add(&t, keys[3], key_len[3], 9);
	cr_assert(topk_get(&t, keys[3], key_len[3], &e));
	cr_assert_eq(e.count, 9);
	topk_free(&t);
	cr_assert_eq(topk_init(&t, 0), -EINVAL);
	cr_assert_eq(topk_init(&t, TOPK_K_MAX + 1), -EINVAL);
	topk_free(&t);
}

/* One key number per draw: A's stream is Zipf over keys 0, 1, 2...; B's
 * over a permutation of them, so their heavy keys overlap only in part. */
static uint32_t b_key(uint32_t rank)
{
	return (uint32_t)(((uint64_t)rank * 7919 + 13) % NKEYS);
}

/* Merge b into a and check the result against the merge worked out by
 * hand from both listings: every key of either gets its count there, or
 * that side's bound; the k largest of those are what a holds. */
static void merge_keeps_the_k_largest(struct topk *a, const struct topk *b)
{
	static struct topk_entry la[1000], lb[1000], lm[1000];
	static uint64_t want[2000];
	uint64_t ua = topk_bound(a), ub = topk_bound(b);
	uint32_t na, nb, nm, i, j, n = 0;

	cr_assert_leq(a->k, 1000);
	cr_assert_leq(b->k, 1000);
	na = topk_sorted(a, la, 1000);
	nb = topk_sorted(b, lb, 1000);
	for (i = 0; i < na; i++) {
		uint64_t c = la[i].count + ub;

		for (j = 0; j < nb; j++)
			if (lb[j].len == la[i].len && !memcmp(lb[j].key, la[i].key, la[i].len))
				c = la[i].count + lb[j].count;
		want[n++] = c;
	}
	for (j = 0; j < nb; j++) {
		bool in_a = false;

		for (i = 0; i < na; i++)
			in_a |= lb[j].len == la[i].len && !memcmp(lb[j].key, la[i].key, la[i].len);
		if (!in_a)
			want[n++] = lb[j].count + ua;
	}
	/* descending */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && want[j - 1] < want[j]; j--) {
			uint64_t x = want[j];

			want[j] = want[j - 1];
			want[j - 1] = x;
		}
	topk_merge(a, b);
	nm = topk_sorted(a, lm, 1000);
	cr_assert_eq(nm, n < a->k ? n : a->k);
	for (i = 0; i < nm; i++)
		cr_assert_eq(lm[i].count, want[i], "merged entry %u: %llu, want %llu", i,
			     (unsigned long long)lm[i].count, (unsigned long long)want[i]);
}

Test(topk, merged_halves_keep_the_bounds_of_the_whole_stream)
{
	static uint64_t exact[NKEYS];
	struct rng r = {1234};
	struct topk a, b;
	uint32_t i;

	keys_init();
	memset(exact, 0, sizeof(exact));
	cr_assert_eq(topk_init(&a, 1000), 0);
	cr_assert_eq(topk_init(&b, 1000), 0);
	for (i = 0; i < NADDS; i++) {
		uint32_t id = i < NADDS / 2 ? zipf(&r) : b_key(zipf(&r));

		topk_add(i < NADDS / 2 ? &a : &b, keys[id], key_len[id], 1);
		exact[id]++;
	}
	merge_keeps_the_k_largest(&a, &b);
	cr_assert_eq(a.n, 1000);
	check_topk(&a, exact, NADDS);
	/* the merged table goes on counting with the same promises */
	for (i = 0; i < NADDS / 4; i++) {
		uint32_t id = zipf(&r);

		topk_add(&a, keys[id], key_len[id], 1);
		exact[id]++;
	}
	check_topk(&a, exact, NADDS + NADDS / 4);
	topk_free(&a);
	topk_free(&b);
}

Test(topk, merge_of_tables_not_full_is_exact)
{
	static uint64_t exact[NKEYS];
	struct topk a, b;
	struct topk_entry e;
	uint32_t i;

	keys_init();
	memset(exact, 0, sizeof(exact));
	cr_assert_eq(topk_init(&a, 100), 0);
	cr_assert_eq(topk_init(&b, 100), 0);
	for (i = 0; i < 40; i++) {
		topk_add(&a, keys[i], key_len[i], i + 1); /* keys 0..39 */
		exact[i] += i + 1;
		topk_add(&b, keys[i + 20], key_len[i + 20], 2); /* keys 20..59 */
		exact[i + 20] += 2;
	}
	topk_merge(&a, &b);
	cr_assert_eq(a.n, 60);
	for (i = 0; i < 60; i++) {
		cr_assert(topk_get(&a, keys[i], key_len[i], &e));
		cr_assert_eq(e.count, exact[i], "key %u", i);
		cr_assert_eq(e.err, 0);
	}
	cr_assert_eq(topk_bound(&a), 0);
	topk_free(&a);
	topk_free(&b);
}

/* A full small table merged into a large empty one: every key the small
 * one did not keep may have had up to its bound, so the large one must not
 * call its keys exact, and the bounds must go on holding as it counts. */
Test(topk, merge_into_a_larger_table_keeps_the_smaller_bound)
{
	static uint64_t exact[NKEYS];
	struct rng r = {99};
	struct topk small, big;
	uint64_t total = 0, bound;
	struct topk_entry e;
	uint32_t i;

	keys_init();
	memset(exact, 0, sizeof(exact));
	cr_assert_eq(topk_init(&small, 50), 0);
	cr_assert_eq(topk_init(&big, 500), 0);
	for (i = 0; i < 100000; i++) {
		uint32_t id = zipf(&r);

		topk_add(&small, keys[id], key_len[id], 1);
		exact[id]++;
		total++;
	}
	bound = topk_bound(&small);
	topk_merge(&big, &small);
	cr_assert_eq(big.n, 50);
	cr_assert_eq(topk_bound(&big), bound, "not full, but not exact either");
	/* a new key may have been counted up to bound times before */
	topk_add(&big, keys[NKEYS - 1], key_len[NKEYS - 1], 1);
	exact[NKEYS - 1]++;
	total++;
	cr_assert(topk_get(&big, keys[NKEYS - 1], key_len[NKEYS - 1], &e));
	cr_assert_eq(e.count, bound + 1);
	cr_assert_eq(e.err, bound);
	for (i = 0; i < 200000; i++) {
		uint32_t id = b_key(zipf(&r));

		topk_add(&big, keys[id], key_len[id], 1);
		exact[id]++;
		total++;
	}
	/* check_topk's bound <= total / k needs the smaller k here */
	cr_assert_leq(topk_bound(&big), total / 50);
	for (i = 0; i < NKEYS; i++) {
		if (topk_get(&big, keys[i], key_len[i], &e)) {
			cr_assert_geq(e.count, exact[i]);
			cr_assert_leq(e.count - e.err, exact[i]);
		} else {
			cr_assert_leq(exact[i], topk_bound(&big), "key %u missing", i);
		}
	}
	topk_free(&small);
	topk_free(&big);
}

Test(topk, long_keys_are_cut_and_flagged)
{
	char a[300], b[300];
	struct topk t;
	struct topk_entry out[4], e;

	memset(a, 'a', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[200] = 'b'; /* differs from a after TOPK_KEY_MAX bytes */
	cr_assert_eq(topk_init(&t, 8), 0);
	topk_add(&t, a, 300, 1);
	topk_add(&t, b, 250, 1);
	topk_add(&t, a, TOPK_KEY_MAX + 1, 1);
	topk_add(&t, a, TOPK_KEY_MAX, 5);     /* exactly the kept bytes: another key */
	topk_add(&t, a, TOPK_KEY_MAX - 1, 2); /* a prefix: another key */
	cr_assert_eq(t.n, 3);
	cr_assert_eq(topk_sorted(&t, out, 4), 3);
	cr_assert_eq(out[0].count, 5);
	cr_assert_eq(out[0].len, TOPK_KEY_MAX);
	cr_assert(!out[0].truncated);
	cr_assert_eq(out[1].count, 3, "the three long keys share a counter");
	cr_assert_eq(out[1].len, TOPK_KEY_MAX);
	cr_assert(out[1].truncated);
	cr_assert(!memcmp(out[1].key, a, TOPK_KEY_MAX));
	cr_assert_eq(out[1].key[TOPK_KEY_MAX], '\0');
	cr_assert_eq(out[2].count, 2);
	cr_assert_eq(out[2].len, TOPK_KEY_MAX - 1);
	cr_assert(topk_get(&t, b, 129, &e));
	cr_assert(e.truncated);
	cr_assert_eq(e.count, 3);
	topk_free(&t);
}

Test(topk, equal_counts_are_listed_in_key_order)
{
	static const char *const k[] = {"b", "a", "ab", "", "c"};
	struct topk t;
	struct topk_entry out[5];
	uint32_t i;

	cr_assert_eq(topk_init(&t, 5), 0);
	for (i = 0; i < 5; i++)
		topk_add(&t, k[i], strlen(k[i]), 3);
	cr_assert_eq(topk_sorted(&t, out, 5), 5);
	cr_assert_str_eq(out[0].key, "");
	cr_assert_str_eq(out[1].key, "a");
	cr_assert_str_eq(out[2].key, "ab");
	cr_assert_str_eq(out[3].key, "b");
	cr_assert_str_eq(out[4].key, "c");
	/* cap below n: the first cap of the same order */
	cr_assert_eq(topk_sorted(&t, out, 2), 2);
	cr_assert_str_eq(out[0].key, "");
	cr_assert_str_eq(out[1].key, "a");
	cr_assert_eq(topk_sorted(&t, out, 0), 0);
	topk_free(&t);
}

static void zipf_table(struct topk *t, uint32_t k, uint64_t seed, uint32_t adds)
{
	struct rng r = {seed};
	uint32_t i;

	cr_assert_eq(topk_init(t, k), 0);
	for (i = 0; i < adds; i++) {
		uint32_t id = zipf(&r);

		topk_add(t, keys[id], key_len[id], 1);
	}
}

static void same_listing(const struct topk *a, const struct topk *b)
{
	static struct topk_entry x[1000], y[1000];
	uint32_t n = topk_sorted(a, x, 1000), i;

	cr_assert_eq(topk_sorted(b, y, 1000), n);
	for (i = 0; i < n; i++) {
		cr_assert_eq(x[i].count, y[i].count);
		cr_assert_eq(x[i].err, y[i].err);
		cr_assert_eq(x[i].len, y[i].len);
		cr_assert_eq(x[i].truncated, y[i].truncated);
		cr_assert(!memcmp(x[i].key, y[i].key, x[i].len));
	}
	cr_assert_eq(a->total, b->total);
	cr_assert_eq(topk_bound(a), topk_bound(b));
}

Test(topk, encode_decode_round_trip_restores_the_same_table)
{
	static uint8_t buf[1000 * 150 + 64];
	struct topk a, b, small;
	struct rng r = {5};
	size_t len;
	uint32_t i;

	keys_init();
	zipf_table(&a, 1000, 3, 300000);
	cr_assert_leq(topk_encoded_max(&a), sizeof(buf));
	cr_assert_eq(topk_encode(&a, buf, 10, &len), -ENOSPC);
	cr_assert_eq(topk_encode(&a, buf, sizeof(buf), &len), 0);
	cr_assert_leq(len, topk_encoded_max(&a));
	cr_assert_eq(topk_encode(&a, buf, len - 1, &len), -ENOSPC);
	cr_assert_eq(topk_encode(&a, buf, sizeof(buf), &len), 0);
	cr_assert_eq(topk_init(&b, 1000), 0);
	topk_add(&b, "stale", 5, 1);
	cr_assert_eq(topk_decode(&b, buf, len), 0);
	same_listing(&a, &b);
	/* the same heap layout: both evict alike from here on */
	for (i = 0; i < 200000; i++) {
		uint32_t id = b_key(zipf(&r));

		topk_add(&a, keys[id], key_len[id], 1);
		topk_add(&b, keys[id], key_len[id], 1);
	}
	same_listing(&a, &b);

	/* into a smaller table: its k largest, bounds kept */
	cr_assert_eq(topk_encode(&a, buf, sizeof(buf), &len), 0);
	cr_assert_eq(topk_init(&small, 100), 0);
	cr_assert_eq(topk_decode(&small, buf, len), 0);
	cr_assert_eq(small.n, 100);
	cr_assert_eq(small.total, a.total);
	{
		static struct topk_entry x[100], y[100];

		cr_assert_eq(topk_sorted(&a, x, 100), 100);
		cr_assert_eq(topk_sorted(&small, y, 100), 100);
		for (i = 0; i < 100; i++) {
			cr_assert_eq(x[i].count, y[i].count);
			if (y[i].count > y[99].count) /* ties at the cut may differ */
				cr_assert_str_eq(x[i].key, y[i].key);
		}
		cr_assert_eq(topk_bound(&small), y[99].count);
	}
	topk_free(&a);
	topk_free(&b);
	topk_free(&small);
}

/* Recompute the CRC after a deliberate change, to reach the checks behind it. */
static void reseal(uint8_t *buf, size_t len)
{
	uint32_t crc = crc32c(0, buf, len - 4);

	for (int i = 0; i < 4; i++)
		buf[len - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
}

Test(topk, decode_rejects_every_corrupt_buffer)
{
	static uint8_t buf[64 * 150 + 64], bad[64 * 150 + 64];
	struct topk a, b;
	struct topk_entry e;
	size_t len, i;

	keys_init();
	zipf_table(&a, 64, 11, 20000);
	cr_assert_eq(a.n, 64, "full");
	cr_assert_eq(topk_encode(&a, buf, sizeof(buf), &len), 0);
	cr_assert_eq(topk_init(&b, 64), 0);
	for (i = 0; i < len; i++) {
		memcpy(bad, buf, len);
		bad[i] ^= (uint8_t)(1u << (i % 8));
		cr_assert_eq(topk_decode(&b, bad, len), -EBADMSG, "bit flip at byte %zu", i);
		cr_assert_eq(b.n, 0, "a failed decode leaves the table empty");
	}
	for (i = 0; i < len; i++)
		cr_assert_eq(topk_decode(&b, buf, i), -EBADMSG, "cut to %zu bytes", i);
	cr_assert_eq(topk_decode(&b, buf, len), 0);

	/* consistent CRC, inconsistent content. Header: "WTK" v k n total bound;
	 * entries from byte 28: count err flags len key */
	struct {
		size_t off;
		uint8_t val;
		const char *what;
	} cases[] = {
	    {3, 2, "version 2"},
	    {4, 0, "k = 0 (low byte; k = 64)"},
	    {8, 65, "n > k"},
	    {12, 0, "total below a count's lower bound"},
	    {28 + 16, 2, "unknown flag"},
	    {28 + 17, 200, "key longer than TOPK_KEY_MAX"},
	    {28 + 16, 1, "cut key shorter than TOPK_KEY_MAX"},
	    {28 + 8 + 7, 0xff, "err > count"},
	    {20 + 7, 1, "a count below the bound"},
	    {20, 0, "a full table's bound is not its smallest count"},
	};
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, len);
		if (cases[i].off == 12 || cases[i].off == 20)
			memset(bad + cases[i].off, 0, 8);
		bad[cases[i].off] = cases[i].val;
		reseal(bad, len);
		cr_assert_eq(topk_decode(&b, bad, len), -EBADMSG, "%s", cases[i].what);
	}
	/* a trailing byte */
	memcpy(bad, buf, len);
	memmove(bad + len - 3, bad + len - 4, 4);
	bad[len - 4] = 0;
	reseal(bad, len + 1);
	cr_assert_eq(topk_decode(&b, bad, len + 1), -EBADMSG, "trailing byte");
	/* the same key twice: the first entry ("k", count 100000 + ...) copied
	 * over the second one's count, err, flags, len and key */
	{
		uint8_t two[256];
		size_t n = 28 + 2 * 19 + 4;

		memcpy(two, buf, 28);
		two[8] = 2; /* n */
		two[9] = two[10] = two[11] = 0;
		memset(two + 20, 0, 8); /* bound 0 */
		memcpy(two + 28, "\x05\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01k", 19);
		memcpy(two + 28 + 19, two + 28, 19);
		memset(two + 12, 0, 8);
		two[12] = 10; /* total */
		reseal(two, n);
		cr_assert_eq(topk_decode(&b, two, n), -EBADMSG, "duplicate key");
		two[28 + 19 + 18] = 'j';
		reseal(two, n);
		cr_assert_eq(topk_decode(&b, two, n), 0, "and with two keys it is fine");
		cr_assert(topk_get(&b, "j", 1, &e));
		cr_assert_eq(e.count, 5);
	}
	topk_free(&a);
	topk_free(&b);
}

/* The bound (U) is at most total / k, so never above the total: a table
 * that says otherwise is corrupt, even an empty one (found by fuzz_persist,
 * seed tests/fuzz/seeds/persist/topk-bound-above-total). */
Test(topk, decode_rejects_a_bound_above_the_total)
{
	uint8_t buf[32] = "WTK\1";
	struct topk t;

	buf[4] = 4;  /* k */
	buf[20] = 5; /* bound; n and total 0 */
	reseal(buf, sizeof(buf));
	cr_assert_eq(topk_init(&t, 4), 0);
	cr_assert_eq(topk_decode(&t, buf, sizeof(buf)), -EBADMSG);
	buf[12] = 5; /* total */
	reseal(buf, sizeof(buf));
	cr_assert_eq(topk_decode(&t, buf, sizeof(buf)), 0);
	cr_assert_eq(topk_bound(&t), 5);
	topk_free(&t);
}

/* topk_encode()'s bytes of t into buf; returns the length. */
static size_t encoded(const struct topk *t, uint8_t *buf, size_t cap)
{
	size_t len;

	cr_assert_eq(topk_encode(t, buf, cap, &len), 0);
	return len;
}

/*
 * A table allocates room for a few counters at init and doubles it as keys
 * arrive. Growth must be invisible: the same stream into a lazily grown
 * table and into one whose arrays were grown in full beforehand (k keys,
 * then reset) gives the same heap, so the same encoded bytes, at every
 * stage; so do a decode and a merge into fresh tables.
 */
Test(topk, arrays_grow_with_the_keys_and_growth_is_invisible)
{
	static uint8_t ba[1000 * 150 + 64], bb[1000 * 150 + 64];
	static uint64_t exact[NKEYS];
	static const uint32_t stages[] = {1, 3, 4, 5, 9, 100, 1000, 10000, 300000};
	struct topk a, b, c, d;
	struct topk_entry e;
	struct rng r = {99};
	size_t la, lb, full;
	uint32_t i, s, done = 0;

	keys_init();
	memset(exact, 0, sizeof(exact));
	cr_assert_eq(topk_init(&a, 1000), 0);
	cr_assert_leq(topk_bytes(&a), 1024, "an empty table is small: %zu", topk_bytes(&a));
	cr_assert_eq(topk_init(&b, 1000), 0);
	for (i = 0; i < 1000; i++)
		topk_add(&b, keys[i], key_len[i], 1);
	full = topk_bytes(&b);
	cr_assert_eq(full, 1000 * (152 + 16 + 4) + 2048 * 8, "full size as before: %zu", full);
	topk_reset(&b);
	cr_assert_eq(topk_bytes(&b), full, "reset keeps the arrays");

	for (s = 0; s < sizeof(stages) / sizeof(stages[0]); s++) {
		for (; done < stages[s]; done++) {
			uint32_t id = zipf(&r);

			topk_add(&a, keys[id], key_len[id], 1);
			topk_add(&b, keys[id], key_len[id], 1);
			exact[id]++;
		}
		cr_assert_leq(topk_bytes(&a), (size_t)(2 * a.n + 4) * 204, "%u keys: %zu bytes",
			      a.n, topk_bytes(&a));
		cr_assert_leq(topk_bytes(&a), full);
		if (stages[s] == 1)
			cr_assert_leq(topk_bytes(&a), 1024, "1 key: %zu bytes", topk_bytes(&a));
		la = encoded(&a, ba, sizeof(ba));
		lb = encoded(&b, bb, sizeof(bb));
		cr_assert_eq(la, lb, "after %u adds", stages[s]);
		cr_assert(!memcmp(ba, bb, la), "same heap after %u adds", stages[s]);
		same_listing(&a, &b);
		for (i = 0; i < 20; i++) {
			uint32_t id = zipf(&r);

			cr_assert_eq(topk_get(&a, keys[id], key_len[id], &e),
				     topk_get(&b, keys[id], key_len[id], &e));
		}
		/* decoded into, and merged into, fresh tables growing as they fill */
		cr_assert_eq(topk_init(&c, 1000), 0);
		cr_assert_eq(topk_decode(&c, ba, la), 0);
		lb = encoded(&c, bb, sizeof(bb));
		cr_assert_eq(lb, la);
		cr_assert(!memcmp(bb, ba, la), "decoded: same heap");
		cr_assert_eq(topk_init(&d, 1000), 0);
		topk_merge(&d, &a);
		same_listing(&d, &a);
		topk_merge(&c, &d);
		topk_merge(&b, &d);
		same_listing(&c, &b);
		topk_free(&c);
		topk_free(&d);
		/* b took d's counts twice over: rebuild it from a, grown in full */
		topk_reset(&b);
		cr_assert_eq(topk_decode(&b, ba, la), 0);
		cr_assert_eq(topk_bytes(&b), full);
	}
	cr_assert_eq(a.n, 1000);
	cr_assert_eq(topk_bytes(&a), full, "full: the same arrays as before");
	check_topk(&a, exact, done);
	topk_free(&a);
	topk_free(&b);

	/* k below the initial room */
	cr_assert_eq(topk_init(&a, 1), 0);
	topk_add(&a, "x", 1, 2);
	topk_add(&a, "y", 1, 1);
	cr_assert_eq(a.n, 1);
	cr_assert(topk_get(&a, "y", 1, &e));
	cr_assert_eq(e.count, 3);
	cr_assert_eq(e.err, 2);
	cr_assert_eq(topk_bound(&a), 3);
	topk_free(&a);
}

/* ==================================================================== */
/* hll                                                                  */
/* ==================================================================== */

/* n distinct 8-byte keys from base on. */
static void hll_fill(struct hll *h, uint64_t base, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = base + i;

		hll_add(h, &x, sizeof(x));
	}
}

Test(hll, small_counts_are_nearly_exact)
{
	static struct hll h;
	static const uint64_t ns[] = {1, 2, 3, 10, 100, 500};
	double est;

	hll_init(&h);
	cr_assert_eq(hll_estimate(&h), 0.0, "empty is exactly 0");
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		hll_reset(&h);
		hll_fill(&h, 1000 * i, ns[i]);
		est = hll_estimate(&h);
		cr_log_info("hll n=%llu: %.3f\n", (unsigned long long)ns[i], est);
		cr_assert_lt(fabs(est - (double)ns[i]), ns[i] <= 100 ? 0.5 : 0.005 * ns[i],
			     "n %llu: estimate %.3f", (unsigned long long)ns[i], est);
	}
	/* duplicates do not count */
	hll_reset(&h);
	for (int rep = 0; rep < 50; rep++)
		hll_fill(&h, 7, 10);
	cr_assert_lt(fabs(hll_estimate(&h) - 10), 0.5);
}

Test(hll, large_counts_within_two_percent)
{
	static struct hll h;
	static const uint64_t ns[] = {1000, 10000, 100000, 1000000, 10000000};
	uint64_t done = 0;

	hll_init(&h);
	/* one growing set, checked at each size */
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		double est, rel;

		hll_fill(&h, 1ull << 40 | done, ns[i] - done);
		done = ns[i];
		est = hll_estimate(&h);
		rel = est / (double)ns[i] - 1;
		cr_log_info("hll n=%llu: %.0f (%+.3f%%)\n", (unsigned long long)ns[i], est,
			    100 * rel);
		cr_assert_lt(fabs(rel), 0.02, "n %llu: estimate %.0f", (unsigned long long)ns[i],
			     est);
	}
}

/* Over 32 independent sets the error is centred on 0 and its spread is the
 * 1.04 / sqrt(16384) = 0.81% that p = 14 promises. */
Test(hll, error_is_unbiased_with_the_promised_spread)
{
	static struct hll h;
	enum { TRIALS = 32, N = 50000 };
	double sum = 0, sum2 = 0, mean, rms;

	for (int t = 0; t < TRIALS; t++) {
		double rel;

		hll_reset(&h);
		hll_fill(&h, (uint64_t)(t + 1) << 32, N);
		rel = hll_estimate(&h) / N - 1;
		sum += rel;
		sum2 += rel * rel;
	}
	mean = sum / TRIALS;
	rms = sqrt(sum2 / TRIALS);
	cr_log_info("hll n=%d x %d sets: mean error %+.3f%%, rms %.3f%%\n", N, TRIALS, 100 * mean,
		    100 * rms);
	cr_assert_lt(fabs(mean), 0.005);
	cr_assert_gt(rms, 0.004);
	cr_assert_lt(rms, 0.013);
}

Test(hll, merge_is_the_union)
{
	static struct hll a, b, all, c;
	double est;

	hll_init(&a);
	hll_init(&b);
	hll_init(&all);
	hll_fill(&a, 0, 600000);      /* [0, 600k) */
	hll_fill(&b, 400000, 600000); /* [400k, 1M) */
	hll_fill(&all, 0, 1000000);
	c = a;
	hll_merge(&a, &b);
	cr_assert(!memcmp(&a, &all, sizeof(a)), "registers equal the union's");
	hll_merge(&b, &c);
	cr_assert(!memcmp(&b, &all, sizeof(b)), "in either order");
	hll_merge(&a, &a);
	cr_assert(!memcmp(&a, &all, sizeof(a)), "and with itself");
	est = hll_estimate(&a);
	cr_assert_lt(fabs(est / 1e6 - 1), 0.02, "estimate %.0f", est);
	cr_assert_gt(est, hll_estimate(&c) * 1.5);
}

Test(hll, hash_mixes_every_input_bit)
{
	struct rng r = {77};
	uint64_t flips = 0, trials = 0, seen[65];
	uint8_t buf[100];

	/* each length hashes apart, including 0 and the lengths at the
	 * branch points (3, 4, 16, 17, 48, 49) */
	memset(buf, 0, sizeof(buf));
	for (int n = 0; n <= 64; n++) {
		seen[n] = hll_hash(buf, (size_t)n);
		for (int m = 0; m < n; m++)
			cr_assert_neq(seen[n], seen[m], "lengths %d and %d", n, m);
	}
	/* avalanche: one input bit flipped changes half the output bits */
	for (int len = 1; len <= 100; len += 3)
		for (int t = 0; t < 20; t++) {
			for (int i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd(&r);
			uint64_t h0 = hll_hash(buf, (size_t)len);
			size_t bit = rnd(&r) % ((size_t)len * 8);

			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			flips += (uint64_t)__builtin_popcountll(h0 ^ hll_hash(buf, (size_t)len));
			trials++;
		}
	cr_log_info("hll_hash: %.2f of 64 output bits change per input bit\n",
		    (double)flips / trials);
	cr_assert_gt((double)flips / trials, 30.5);
	cr_assert_lt((double)flips / trials, 33.5);
	/* the value is fixed (it is stored with the registers) */
	cr_assert_eq(hll_hash("weir", 4), hll_hash("weir", 4));
}

Test(hll, encode_decode_round_trip_and_corruption)
{
	static struct hll a, b, keep;
	static uint8_t buf[HLL_ENCODED_MAX], bad[HLL_ENCODED_MAX];
	size_t len, i;

	/* sparse */
	hll_init(&a);
	hll_fill(&a, 5, 300);
	cr_assert_eq(hll_encode(&a, buf, sizeof(buf), &len), 0);
	cr_assert_lt(len, 1000, "a small set is sparse: %zu bytes", len);
	hll_init(&b);
	hll_fill(&b, 1 << 20, 50);
	cr_assert_eq(hll_decode(&b, buf, len), 0);
	cr_assert(!memcmp(&a, &b, sizeof(a)));
	for (i = 0; i < len; i++) {
		memcpy(bad, buf, len);
		bad[i] ^= (uint8_t)(1u << (i % 8));
		keep = b;
		cr_assert_eq(hll_decode(&b, bad, len), -EBADMSG, "flip at %zu", i);
		cr_assert(!memcmp(&b, &keep, sizeof(b)), "unchanged on error");
	}
	for (i = 0; i < len; i++)
		cr_assert_eq(hll_decode(&b, buf, i), -EBADMSG);
	/* consistent CRC, bad content: indices out of order, a register too big */
	memcpy(bad, buf, len);
	memcpy(bad + 10, buf + 13, 3);
	memcpy(bad + 13, buf + 10, 3);
	reseal(bad, len);
	cr_assert_eq(hll_decode(&b, bad, len), -EBADMSG, "indices out of order");
	memcpy(bad, buf, len);
	bad[12] = HLL_RHO_MAX + 1;
	reseal(bad, len);
	cr_assert_eq(hll_decode(&b, bad, len), -EBADMSG, "register above 51");
	memcpy(bad, buf, len);
	bad[5] = HLL_HASH_ID + 1;
	reseal(bad, len);
	cr_assert_eq(hll_decode(&b, bad, len), -EBADMSG, "another hash");

	/* dense */
	hll_fill(&a, 1 << 30, 200000);
	cr_assert_eq(hll_encode(&a, buf, 100, &len), -ENOSPC);
	cr_assert_eq(hll_encode(&a, buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, HLL_ENCODED_MAX);
	cr_assert_eq(hll_decode(&b, buf, len), 0);
	cr_assert(!memcmp(&a, &b, sizeof(a)));
	cr_assert_eq(hll_estimate(&a), hll_estimate(&b));
	for (i = 0; i < len; i += 97) {
		memcpy(bad, buf, len);
		bad[i] ^= 0x10;
		cr_assert_eq(hll_decode(&b, bad, len), -EBADMSG, "flip at %zu", i);
	}
	memcpy(bad, buf, len);
	bad[8 + 77] = HLL_RHO_MAX + 1;
	reseal(bad, len);
	cr_assert_eq(hll_decode(&b, bad, len), -EBADMSG, "register above 51");
	cr_assert(!memcmp(&a, &b, sizeof(a)));
}

/* ==================================================================== */
/* ddsketch                                                             */
/* ==================================================================== */

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

static const double qs[] = {0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1};

/* The exact quantile under the same rank convention: sorted[floor(q (n-1))]. */
static double exact_q(const double *sorted, size_t n, double q)
{
	return sorted[(uint64_t)(q * (double)(n - 1))];
}

/* Every quantile of qs within DDS_ALPHA (and so within 1%) of the exact
 * one; count, min and max exact, sum within 1e-12. Returns the largest
 * relative error. */
static double check_dds(const struct dds *d, const double *v, size_t n, const char *what)
{
	double *s = malloc(n * sizeof(*s)), worst = 0;
	long double ref = 0;
	size_t i;

	cr_assert(s);
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	for (i = 0; i < n; i++)
		ref += s[i];
	cr_assert_eq(d->count, n);
	cr_assert_eq(d->min, s[0]);
	cr_assert_eq(d->max, s[n - 1]);
	cr_assert_leq(fabsl((long double)dds_sum(d) - ref), 1e-12 * fabsl(ref) + 1e-300,
		      "%s: sum %.17g vs %.17Lg", what, dds_sum(d), ref);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double ex = exact_q(s, n, qs[i]), est = dds_quantile(d, qs[i]);
		double rel = ex == 0 ? fabs(est) : fabs(est - ex) / fabs(ex);

		if (rel > worst)
			worst = rel;
		cr_assert_leq(rel, 0.01, "%s: q %g: %.9g, exact %.9g", what, qs[i], est, ex);
		cr_assert_leq(rel, DDS_ALPHA * (1 + 1e-9), "%s: q %g: %.9g, exact %.9g (%.5f%%)",
			      what, qs[i], est, ex, 100 * rel);
	}
	cr_log_info("dds %s: n %zu, p50 %.6g p90 %.6g p99 %.6g p999 %.6g, worst relative error "
		    "%.4f%%\n",
		    what, n, dds_quantile(d, 0.5), dds_quantile(d, 0.9), dds_quantile(d, 0.99),
		    dds_quantile(d, 0.999), 100 * worst);
	free(s);
	return worst;
}

enum { DN = 200000 };

enum dist { UNIFORM, EXPONENTIAL, LOGNORMAL, MIXED, NDIST };

static double draw(struct rng *r, enum dist which)
{
	double u;

	switch (which) {
	case UNIFORM:
		return 1000 * unif(r);
	case EXPONENTIAL:
		return -log(unif(r)); /* mean 1 */
	case LOGNORMAL:
		return exp(1.5 * normal(r)); /* mu 0, sigma 1.5 */
	default:
		/* 25% negative, 15% zeros, 60% positive, magnitudes lognormal */
		u = unif(r);
		if (u < 0.25)
			return -exp(2 + normal(r));
		if (u < 0.40)
			return 0;
		return exp(1 + normal(r));
	}
}

static const char *const dist_name[] = {"uniform(0,1000)", "exponential(1)", "lognormal(0,1.5)",
					"mixed neg/zero/pos"};

Test(dds, quantiles_within_relative_accuracy)
{
	static double v[DN];
	static struct dds d;

	for (int which = 0; which < NDIST; which++) {
		struct rng r = {1000 + (uint64_t)which};

		dds_init(&d);
		for (size_t i = 0; i < DN; i++) {
			v[i] = draw(&r, (enum dist)which);
			cr_assert_eq(dds_add(&d, v[i]), 0);
		}
		cr_assert_eq(d.pos.collapsed + d.neg.collapsed, 0);
		check_dds(&d, v, DN, dist_name[which]);
		if (which == MIXED) {
			cr_assert_gt(d.zero, DN / 8);
			cr_assert_gt(d.neg.count, DN / 5);
			cr_assert_eq(d.neg.count + d.zero + d.pos.count, DN);
		}
	}
}

Test(dds, merged_parts_equal_the_whole)
{
	static double v[DN];
	static struct dds whole, part[3], merged;
	struct rng r = {31};

	dds_init(&whole);
	for (int p = 0; p < 3; p++)
		dds_init(&part[p]);
	for (size_t i = 0; i < DN; i++) {
		v[i] = draw(&r, MIXED);
		dds_add(&whole, v[i]);
		/* parts of unequal make-up: the first gets most negatives */
		dds_add(&part[v[i] < 0 ? (i % 4 != 0 ? 0 : 1) : (int)(i % 3)], v[i]);
	}
	dds_init(&merged);
	for (int p = 0; p < 3; p++)
		dds_merge(&merged, &part[p]);
	check_dds(&merged, v, DN, "merged mixed");
	cr_assert_eq(merged.count, whole.count);
	cr_assert_eq(merged.zero, whole.zero);
	cr_assert(!memcmp(&merged.pos, &whole.pos, sizeof(merged.pos)), "same bins");
	cr_assert(!memcmp(&merged.neg, &whole.neg, sizeof(merged.neg)), "same bins");
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		cr_assert_eq(dds_quantile(&merged, qs[i]), dds_quantile(&whole, qs[i]));
	/* merging an empty sketch changes nothing; into an empty one copies */
	dds_init(&part[0]);
	dds_merge(&merged, &part[0]);
	cr_assert_eq(merged.count, DN);
	dds_merge(&part[0], &merged);
	cr_assert_eq(part[0].min, merged.min);
	cr_assert_eq(part[0].max, merged.max);
	cr_assert_eq(dds_quantile(&part[0], 0.37), dds_quantile(&merged, 0.37));
}

Test(dds, count_min_max_sum_are_exact)
{
	static struct dds d, part, merged;
	struct rng r = {8};
	const double big = 0x1p53;
	int64_t sum = 0;
	double naive = 0;
	int i;

	dds_init(&d);
	dds_init(&part);
	dds_init(&merged);
	/* 2^53, then odd integers a double next to 2^53 cannot hold, then
	 * -2^53: a plain double sum loses the small ones, this one may not */
	for (i = 0; i < 100002; i++) {
		double x = i == 0	 ? big
			   : i == 100001 ? -big
					 : (double)(rnd(&r) % 2000001) - 1000000;

		if (i && i < 100001 && (int64_t)x % 2 == 0)
			x += 1;
		sum += (int64_t)x;
		naive += x;
		dds_add(&d, x);
		dds_add(i % 3 ? &part : &merged, x);
	}
	dds_merge(&merged, &part);
	cr_assert_neq(naive, (double)sum, "the test needs a sum that rounds");
	cr_assert_eq(d.count, 100002);
	cr_assert_eq(dds_sum(&d), (double)sum, "sum %.17g vs %lld", dds_sum(&d), (long long)sum);
	cr_assert_eq(dds_sum(&merged), (double)sum, "merged sum %.17g", dds_sum(&merged));
	cr_assert_eq(d.min, -big);
	cr_assert_eq(d.max, big);
	cr_assert_eq(merged.min, -big);
	cr_assert_eq(merged.max, big);
	cr_assert_eq(merged.count, d.count);
	cr_assert_eq(dds_quantile(&d, 0), -big, "the minimum's rank answers it exactly");
	cr_assert_eq(dds_quantile(&d, 1), big);
}

Test(dds, nan_and_infinities_are_refused_and_counted)
{
	static struct dds d;

	dds_init(&d);
	cr_assert(isnan(dds_quantile(&d, 0.5)), "empty: NaN");
	cr_assert_eq(dds_sum(&d), 0);
	cr_assert_eq(dds_add(&d, NAN), -EDOM);
	cr_assert_eq(dds_add(&d, INFINITY), -EDOM);
	cr_assert_eq(dds_add(&d, -INFINITY), -EDOM);
	cr_assert_eq(d.rejected, 3);
	cr_assert_eq(d.count, 0);
	cr_assert_eq(dds_add(&d, 42.5), 0);
	cr_assert_eq(dds_add(&d, -0.0), 0);
	cr_assert_eq(d.zero, 1);
	cr_assert_eq(dds_quantile(&d, 1), 42.5, "the max is exact");
	cr_assert_eq(dds_quantile(&d, 0), 0);
	cr_assert(isnan(dds_quantile(&d, -0.01)));
	cr_assert(isnan(dds_quantile(&d, 1.01)));
	cr_assert(isnan(dds_quantile(&d, NAN)));
	/* extreme finite values have keys and come back within alpha */
	dds_reset(&d);
	dds_add(&d, 1.7e308);
	dds_add(&d, 5e-324);
	dds_add(&d, 1e-300);
	cr_assert_eq(d.pos.collapsed, 2, "1e308 / 1e-300 is far beyond the window");
	cr_assert_eq(dds_quantile(&d, 1), 1.7e308);
	cr_assert_eq(dds_quantile(&d, 0), 5e-324);
	cr_assert(isfinite(dds_quantile(&d, 0.5)));
	cr_assert_gt(dds_quantile(&d, 0.5), 1e299, "1e-300 reads as the lowest kept bin");
	/* a sum beyond DBL_MAX is infinite, and such a sketch still checkpoints */
	dds_add(&d, 1.7e308);
	cr_assert(isinf(dds_sum(&d)));
	{
		static uint8_t buf[DDS_ENCODED_MAX];
		static struct dds e;
		size_t len;

		cr_assert_eq(dds_encode(&d, buf, sizeof(buf), &len), 0);
		cr_assert_eq(dds_decode(&e, buf, len), 0);
		cr_assert(isinf(dds_sum(&e)));
		cr_assert_eq(e.count, 4);
		cr_assert_eq(dds_quantile(&e, 0.5), dds_quantile(&d, 0.5));
	}
}

/* Log-uniform over 40 decades: far more than DDS_BINS keys. The top of the
 * range keeps its accuracy; what falls below the window reads high. */
Test(dds, collapsed_low_bins_overestimate_only_below_the_window)
{
	enum { N = 100000 };
	static double v[N], s[N], sneg[N];
	static struct dds d, asc, part[2];
	const double gamma = (1 + DDS_ALPHA) / (1 - DDS_ALPHA);
	struct rng r = {2024};
	double floor_v;
	size_t i, j, accurate = 0, high = 0;

	dds_init(&d);
	for (i = 0; i < N; i++) {
		v[i] = pow(10, -20 + 40 * unif(&r));
		dds_add(&d, v[i]);
	}
	memcpy(s, v, sizeof(s));
	qsort(s, N, sizeof(s[0]), cmp_double);
	cr_assert_eq(d.pos.count, N);
	cr_assert_eq(d.pos.hi - d.pos.lo, DDS_BINS - 1, "the window is full");
	/* the values in keys above lo were never moved: bin lo's upper edge */
	floor_v = pow(gamma, d.pos.lo);
	for (i = 0, j = 0; i < N; i++)
		j += s[i] <= pow(gamma, d.pos.lo - 1);
	cr_assert_eq(d.pos.collapsed, j, "collapsed counts exactly the values below bin lo");
	cr_assert_gt(d.pos.collapsed, N / 2, "most of 40 decades fall below 8.9 decades");
	for (i = 0; i <= 1000; i++) {
		double q = i / 1000.0, ex = exact_q(s, N, q), est = dds_quantile(&d, q);

		if (ex > floor_v) {
			cr_assert_leq(fabs(est - ex) / ex, DDS_ALPHA * (1 + 1e-9), "q %g", q);
			accurate++;
		} else {
			/* bin lo's own values may be up to alpha above its value */
			cr_assert_geq(est, ex * (1 - DDS_ALPHA), "q %g: collapsed values read high",
				      q);
			cr_assert_leq(est, floor_v, "q %g: as the lowest bin", q);
			high++;
		}
	}
	cr_log_info("dds collapse: lowest kept bin %.3g, %zu of %zu quantiles below it read high\n",
		    floor_v, high, high + accurate);
	cr_assert_gt(accurate, 100);
	cr_assert_gt(high, 100);
	cr_assert_eq(dds_quantile(&d, 0), s[0], "min still exact");
	cr_assert_geq(dds_quantile(&d, 0.5), 1e3 * exact_q(s, N, 0.5),
		      "the median reads far too high");

	/* ascending order moves the window up at every new key: same bins */
	dds_init(&asc);
	for (i = 0; i < N; i++)
		dds_add(&asc, s[i]);
	cr_assert_eq(asc.pos.lo, d.pos.lo);
	cr_assert_eq(asc.pos.hi, d.pos.hi);
	cr_assert_eq(asc.pos.collapsed, d.pos.collapsed);
	cr_assert(!memcmp(asc.pos.bins, d.pos.bins, sizeof(d.pos.bins)));

	/* merged into an empty sketch: a copy, collapsed values included */
	dds_init(&asc);
	dds_merge(&asc, &d);
	cr_assert_eq(asc.pos.collapsed, d.pos.collapsed);
	cr_assert(!memcmp(&asc.pos, &d.pos, sizeof(d.pos)));

	/* merged parts (a low one that collapses alone, a high one) too */
	dds_init(&part[0]);
	dds_init(&part[1]);
	for (i = 0; i < N; i++)
		dds_add(&part[v[i] < 1e5], v[i]);
	cr_assert_gt(part[1].pos.collapsed, 0);
	dds_merge(&part[0], &part[1]);
	cr_assert_eq(part[0].pos.lo, d.pos.lo);
	cr_assert_eq(part[0].pos.collapsed, d.pos.collapsed);
	cr_assert(!memcmp(part[0].pos.bins, d.pos.bins, sizeof(d.pos.bins)));

	/* negatives: the most negative values (largest magnitudes) stay
	 * accurate, the ones closest to zero read further from it */
	dds_init(&asc);
	for (i = 0; i < N; i++) {
		dds_add(&asc, -v[i]);
		sneg[i] = -s[N - 1 - i];
	}
	cr_assert_eq(asc.neg.collapsed, d.pos.collapsed);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double ex = exact_q(sneg, N, qs[i]), est = dds_quantile(&asc, qs[i]);

		if (-ex > floor_v)
			cr_assert_leq(fabs(est / ex - 1), DDS_ALPHA * (1 + 1e-9), "q %g", qs[i]);
		else
			cr_assert_leq(est, ex * (1 - DDS_ALPHA), "q %g", qs[i]);
	}
	cr_assert_leq(dds_quantile(&asc, 0.5), 1e3 * exact_q(sneg, N, 0.5));
}

Test(dds, encode_decode_round_trip_and_corruption)
{
	static struct dds d, e, keep;
	static uint8_t buf[DDS_ENCODED_MAX], bad[DDS_ENCODED_MAX];
	struct rng r = {4};
	size_t len, i;

	dds_init(&d);
	for (i = 0; i < 50000; i++)
		dds_add(&d, draw(&r, MIXED));
	dds_add(&d, NAN);
	cr_assert_eq(dds_encode(&d, buf, 100, &len), -ENOSPC);
	cr_assert_eq(dds_encode(&d, buf, sizeof(buf), &len), 0);
	cr_assert_eq(dds_encode(&d, buf, len - 1, &len), -ENOSPC);
	cr_assert_eq(dds_encode(&d, buf, sizeof(buf), &len), 0);
	cr_log_info("dds encoded: %zu bytes for %llu values\n", len, (unsigned long long)d.count);
	dds_init(&e);
	dds_add(&e, 3);
	cr_assert_eq(dds_decode(&e, buf, len), 0);
	cr_assert(!memcmp(&d, &e, sizeof(d)), "the same sketch, field for field");
	cr_assert_eq(e.rejected, 1);

	for (i = 0; i < len; i++) {
		memcpy(bad, buf, len);
		bad[i] ^= (uint8_t)(1u << (i % 8));
		keep = e;
		cr_assert_eq(dds_decode(&e, bad, len), -EBADMSG, "flip at %zu", i);
		cr_assert(!memcmp(&e, &keep, sizeof(e)), "unchanged on error");
	}
	for (i = 0; i < len; i += 7)
		cr_assert_eq(dds_decode(&e, buf, i), -EBADMSG, "cut to %zu", i);

	/* consistent CRC, inconsistent content. Layout: magic 0, bins 4,
	 * alpha 8, count 16, zero 24, rejected 32, min 40, max 48, sum 56,
	 * sum_c 64, neg store 72: count, collapsed, lo, hi, varints */
	struct {
		size_t off;
		uint8_t val;
		const char *what;
	} cases[] = {
	    {5, 0x10, "another bin count"}, {8, 0x12, "another alpha"},
	    {16, 0x01, "count off by one"}, {24, 0xff, "zero count too big"},
	    {72, 0x02, "store count off"},  {80 + 7, 0xff, "collapsed > count"},
	    {91, 0x7f, "hi - lo too wide"},
	};
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, buf, len);
		bad[cases[i].off] ^= cases[i].val;
		reseal(bad, len);
		cr_assert_eq(dds_decode(&e, bad, len), -EBADMSG, "%s", cases[i].what);
	}
	{
		double nan = NAN, above = d.max + 1;

		memcpy(bad, buf, len);
		memcpy(bad + 40, &nan, 8);
		reseal(bad, len);
		cr_assert_eq(dds_decode(&e, bad, len), -EBADMSG, "min NaN");
		memcpy(bad + 40, &above, 8);
		reseal(bad, len);
		cr_assert_eq(dds_decode(&e, bad, len), -EBADMSG, "min > max");
	}
	/* an empty sketch round-trips too */
	dds_init(&d);
	cr_assert_eq(dds_encode(&d, buf, sizeof(buf), &len), 0);
	cr_assert_eq(dds_decode(&e, buf, len), 0);
	cr_assert_eq(e.count, 0);
	cr_assert(isnan(dds_quantile(&e, 0.5)));
}

/* ==================================================================== */
/* psketch: compact pane sketches                                       */
/* ==================================================================== */

enum pdist {
	P_UNIFORM,
	P_EXPONENTIAL,
	P_LOGNORMAL,
	P_MIXED,
	P_HUGE,
	P_WIDE_FEW,
	P_INTS,
	P_NONFINITE,
	NPDIST
};

static const char *const pdist_name[] = {
    "uniform(0,1000)",	      "exponential(1)",
    "lognormal(0,1.5)",	      "mixed neg/zero/pos",
    "60 decades, both signs", "13 magnitudes over 60 decades",
    "integers -10..10",	      "mixed with NaN, infinities and extremes"};

static double pdraw(struct rng *r, enum pdist which)
{
	double u;

	switch (which) {
	case P_HUGE:
		/* far more keys than a window: collapses, in panes too */
		u = unif(r);
		if (u < 0.05)
			return 0;
		return (u < 0.35 ? -1 : 1) * pow(10, -30 + 60 * unif(r));
	case P_WIDE_FEW:
		/* few bins, but they collapse */
		return (rnd(r) % 3 ? 1 : -1) * pow(10, -30 + 5 * (double)(rnd(r) % 13));
	case P_INTS:
		return (double)(rnd(r) % 21) - 10;
	case P_NONFINITE:
		u = unif(r);
		if (u < 0.02)
			return NAN;
		if (u < 0.025)
			return u < 0.0225 ? INFINITY : -INFINITY;
		if (u < 0.026)
			return u < 0.0255 ? 5e-324 : -1e300;
		return draw(r, MIXED);
	default:
		return draw(r, (enum dist)which);
	}
}

enum { PN = 100000, NPANE = 30 };

/*
 * Values spread over panes (half of them in pane 0, so that it may outgrow
 * the sparse form, the rest at random): the panes merged into a dense
 * sketch are, field for field, what dds_merge() of a dense sketch per pane
 * gives; and their bins, count, zero, rejected, min and max are those of
 * one dense sketch fed every value (the sum within a rounding of it).
 */
Test(psketch, pdds_panes_merge_into_the_dense_sketch_of_all_values)
{
	static struct dds whole, pane_d[NPANE + 1], ref, merged, rev;
	struct pdds *pane[NPANE + 2];
	size_t bound = sizeof(struct dds) + 256;

	for (int which = 0; which < NPDIST; which++) {
		struct rng r = {500 + (uint64_t)which};
		bool went_dense = false;
		size_t small = 0;

		dds_init(&whole);
		for (int p = 0; p <= NPANE; p++)
			dds_init(&pane_d[p]);
		memset(pane, 0, sizeof(pane)); /* pane[NPANE + 1] stays NULL: empty */
		for (size_t i = 0; i < PN; i++) {
			double v = pdraw(&r, (enum pdist)which);
			int p = i < PN / 2 ? 0 : 1 + (int)(rnd(&r) % (NPANE - 1));
			int rc = dds_add(&whole, v);

			cr_assert_eq(dds_add(&pane_d[p], v), rc);
			cr_assert_eq(pdds_add(&pane[p], v), rc, "%s: value %g", pdist_name[which],
				     v);
			cr_assert_leq(pdds_bytes(pane[p]), bound);
		}
		/* a pane of refused values only */
		for (int j = 0; j < 3; j++) {
			double v = j == 1 ? -INFINITY : NAN;

			cr_assert_eq(dds_add(&whole, v), -EDOM);
			cr_assert_eq(dds_add(&pane_d[NPANE], v), -EDOM);
			cr_assert_eq(pdds_add(&pane[NPANE], v), -EDOM);
		}
		cr_assert_eq(pdds_count(pane[NPANE]), 0);
		cr_assert_eq(pdds_count(pane[NPANE + 1]), 0);
		cr_assert_eq(pdds_bytes(pane[NPANE + 1]), 0);

		dds_init(&ref);
		dds_init(&merged);
		dds_init(&rev);
		for (int p = 0; p <= NPANE + 1; p++) {
			if (p <= NPANE) {
				dds_merge(&ref, &pane_d[p]);
				cr_assert_eq(pdds_count(pane[p]), pane_d[p].count);
			}
			pdds_merge_into(&merged, pane[p]);
			pdds_merge_into(&rev, pane[NPANE + 1 - p]);
			went_dense |= pdds_bytes(pane[p]) > sizeof(struct dds);
			if (p && p < NPANE)
				small = pdds_bytes(pane[p]) > small ? pdds_bytes(pane[p]) : small;
		}
		cr_assert(!memcmp(&merged, &ref, sizeof(ref)), "%s: the same as dds_merge()",
			  pdist_name[which]);
		cr_assert_eq(merged.count, whole.count);
		cr_assert_eq(merged.zero, whole.zero);
		cr_assert_eq(merged.rejected, whole.rejected);
		cr_assert_eq(merged.min, whole.min);
		cr_assert_eq(merged.max, whole.max);
		cr_assert(!memcmp(&merged.pos, &whole.pos, sizeof(whole.pos)), "%s: same bins",
			  pdist_name[which]);
		cr_assert(!memcmp(&merged.neg, &whole.neg, sizeof(whole.neg)), "%s: same bins",
			  pdist_name[which]);
		cr_assert_leq(fabs(dds_sum(&merged) - dds_sum(&whole)),
			      1e-12 * fabs(dds_sum(&whole)) + 1e-300, "%s: sum %.17g vs %.17g",
			      pdist_name[which], dds_sum(&merged), dds_sum(&whole));
		for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
			cr_assert_eq(dds_quantile(&merged, qs[i]), dds_quantile(&whole, qs[i]));
		/* in any order of panes */
		cr_assert(!memcmp(&rev.pos, &whole.pos, sizeof(whole.pos)));
		cr_assert(!memcmp(&rev.neg, &whole.neg, sizeof(whole.neg)));
		cr_assert_eq(rev.count, whole.count);

		cr_log_info("pdds %s: pane 0 %zu bytes, largest small pane %zu bytes, collapsed "
			    "%llu+%llu\n",
			    pdist_name[which], pdds_bytes(pane[0]), small,
			    (unsigned long long)whole.pos.collapsed,
			    (unsigned long long)whole.neg.collapsed);
		if (which == P_WIDE_FEW) {
			cr_assert_gt(pane_d[1].pos.collapsed, 0, "small panes collapse");
			cr_assert_leq(pdds_bytes(pane[0]), 96 + 64 * 12, "and stay small");
		}
		if (which == P_HUGE) {
			cr_assert(went_dense, "60 decades outgrow the sparse form");
			cr_assert_gt(whole.pos.collapsed, 0);
			cr_assert_gt(whole.neg.collapsed, 0);
			cr_assert_gt(pane_d[0].pos.collapsed, 0, "pane 0 collapses on its own");
		}
		if (which == P_INTS) /* 21 values: 20 bins and zeros */
			cr_assert_leq(pdds_bytes(pane[0]), 96 + 32 * 12);
		if (which == P_NONFINITE)
			cr_assert_gt(whole.rejected, PN / 100);
		for (int p = 0; p <= NPANE + 1; p++)
			pdds_free(pane[p]);
	}
	pdds_free(NULL);
}

/* A pane as the aggregator checkpoints it (merged into a zeroed dense
 * sketch, dds_encode) and restores it (dds_decode, pdds_from_dds): merged
 * again, it is the same sketch, and it goes on counting as the dense one. */
Test(psketch, pdds_from_dds_round_trips_through_the_checkpoint)
{
	static struct dds d, e, f, g;
	static uint8_t buf[DDS_ENCODED_MAX];
	/* which: the pane's values (n of them, or n < 0: see below); then:
	 * those added after the restore */
	static const struct {
		enum pdist which, then;
		int n;
		const char *what;
	} cases[] = {
	    {P_INTS, P_INTS, 1000, "few bins"},
	    {P_MIXED, P_MIXED, 2000, "some hundred bins"},
	    {P_HUGE, P_HUGE, 40000, "collapsed, dense"},
	    {P_WIDE_FEW, P_WIDE_FEW, 1000, "collapsed, few bins"},
	    {P_WIDE_FEW, P_HUGE, 1000, "collapsed, few bins, then many"},
	    {P_WIDE_FEW, P_LOGNORMAL, 1000, "collapsed, then others"},
	    {P_NONFINITE, P_NONFINITE, 500, "with refused values and extremes"},
	    {P_UNIFORM, P_UNIFORM, 0, "empty"},
	    {P_NONFINITE, P_NONFINITE, -1, "refused values only"},
	    {P_LOGNORMAL, P_HUGE, -2, "zeros only"},
	    {P_UNIFORM, P_MIXED, -3, "10^8 range, 1800 bins, dense"},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct rng r = {900 + c};
		struct pdds *p = NULL, *q = NULL;
		size_t len;

		for (int i = 0; i < 5000; i++) /* the pane being replaced */
			pdds_add(&q, draw(&r, LOGNORMAL));
		if (cases[c].n > 0)
			for (int i = 0; i < cases[c].n; i++)
				pdds_add(&p, pdraw(&r, cases[c].which));
		else if (cases[c].n == -1)
			for (int i = 0; i < 7; i++)
				pdds_add(&p, NAN);
		else if (cases[c].n == -2)
			for (int i = 0; i < 7; i++)
				pdds_add(&p, i % 2 ? 0.0 : -0.0);
		else if (cases[c].n == -3)
			for (int i = 0; i < 20000; i++)
				pdds_add(&p, (i % 2 ? 1 : -1) * pow(10, -4 + 8 * unif(&r)));
		dds_init(&d);
		pdds_merge_into(&d, p);
		cr_assert_eq(dds_encode(&d, buf, sizeof(buf), &len), 0);
		dds_init(&e);
		cr_assert_eq(dds_decode(&e, buf, len), 0);
		cr_assert_eq(pdds_from_dds(&q, &e), 0);
		cr_assert_eq(pdds_count(q), d.count, "%s", cases[c].what);
		dds_init(&f);
		pdds_merge_into(&f, q);
		cr_assert(!memcmp(&f, &d, sizeof(d)), "%s: the same sketch", cases[c].what);
		cr_assert_leq(pdds_bytes(q), pdds_bytes(p), "%s: %zu bytes, was %zu", cases[c].what,
			      pdds_bytes(q), pdds_bytes(p));
		if (!d.count && !d.rejected)
			cr_assert_null(q, "empty: NULL");
		cr_log_info("pdds restored %s: %zu bytes (added: %zu)\n", cases[c].what,
			    pdds_bytes(q), pdds_bytes(p));

		/* the restored pane keeps counting */
		g = d;
		for (int i = 0; i < 3000; i++) {
			double v = pdraw(&r, cases[c].then);

			cr_assert_eq(pdds_add(&q, v), dds_add(&g, v));
		}
		dds_init(&f);
		pdds_merge_into(&f, q);
		cr_assert_eq(f.count, g.count);
		cr_assert_eq(f.zero, g.zero);
		cr_assert_eq(f.rejected, g.rejected);
		cr_assert_eq(f.min, g.min);
		cr_assert_eq(f.max, g.max);
		cr_assert(!memcmp(&f.pos, &g.pos, sizeof(g.pos)), "%s: same bins", cases[c].what);
		cr_assert(!memcmp(&f.neg, &g.neg, sizeof(g.neg)), "%s: same bins", cases[c].what);
		cr_assert_leq(fabs(dds_sum(&f) - dds_sum(&g)), 1e-12 * fabs(dds_sum(&g)) + 1e-300);
		/* and merges as the dense one into a sketch holding other values */
		dds_init(&f);
		dds_init(&e);
		for (int i = 0; i < 2000; i++) {
			double v = pdraw(&r, i % 2 ? P_HUGE : P_MIXED);

			dds_add(&f, v);
			dds_add(&e, v);
		}
		pdds_merge_into(&f, q);
		dds_merge(&e, &g);
		cr_assert(!memcmp(&f.pos, &e.pos, sizeof(e.pos)), "%s: merged", cases[c].what);
		cr_assert(!memcmp(&f.neg, &e.neg, sizeof(e.neg)), "%s: merged", cases[c].what);
		cr_assert_eq(f.count, e.count);
		pdds_free(p);
		pdds_free(q);
	}
}

/* n distinct keys, each added 1..3 times, over npane panes: the panes
 * merged give exactly the registers of one dense sketch fed every key.
 * Returns the largest pane's bytes. */
static size_t phll_check(uint64_t n, int npane, uint64_t seed)
{
	static struct hll whole, merged;
	struct phll *pane[16] = {0};
	struct rng r = {seed};
	size_t most = 0;

	cr_assert_leq(npane, 16);
	hll_init(&whole);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = seed << 32 | i, h = hll_hash(&x, sizeof(x));
		int times = 1 + (int)(rnd(&r) % 3);

		for (int t = 0; t < times; t++) {
			int p = (int)(rnd(&r) % (uint64_t)npane);

			hll_add_hash(&whole, h);
			cr_assert_eq(phll_add_hash(&pane[p], h), 0);
			cr_assert_leq(phll_bytes(pane[p]), sizeof(struct hll) + 256);
		}
	}
	hll_init(&merged);
	for (int p = 0; p < npane; p++) {
		phll_merge_into(&merged, pane[p]);
		most = phll_bytes(pane[p]) > most ? phll_bytes(pane[p]) : most;
		phll_free(pane[p]);
	}
	phll_merge_into(&merged, NULL);
	cr_assert(!memcmp(&merged, &whole, sizeof(whole)), "%llu keys over %d panes",
		  (unsigned long long)n, npane);
	return most;
}

Test(psketch, phll_panes_merge_into_the_registers_of_all_keys)
{
	static const uint64_t ns[] = {0, 1, 2, 3, 4, 10, 100, 1000, 1500, 1600, 3000, 5000, 100000};
	size_t b1, b16;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		b1 = phll_check(ns[i], 1, 70 + i);
		b16 = phll_check(ns[i], 16, 170 + i);
		cr_log_info("phll %llu keys: one pane %zu bytes, 16 panes at most %zu bytes\n",
			    (unsigned long long)ns[i], b1, b16);
		if (ns[i] == 0)
			cr_assert_eq(b1, 0, "nothing added: nothing allocated");
		if (ns[i] && ns[i] <= 3)
			cr_assert_leq(b1, 64, "a few keys: a few bytes");
		if (ns[i] <= 1000)
			cr_assert_leq(b1, sizeof(struct hll) / 2 + 64, "sparse: %zu bytes", b1);
		if (ns[i] >= 3000)
			cr_assert_geq(b1, sizeof(struct hll), "dense");
	}
	phll_free(NULL);
}

Test(psketch, phll_from_hll_round_trips_through_the_checkpoint)
{
	static struct hll h, e, f;
	static uint8_t buf[HLL_ENCODED_MAX];
	static const uint64_t ns[] = {0, 1, 10, 1000, 1200, 2000, 50000};

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct phll *p = NULL, *q = NULL;
		size_t len;

		for (uint64_t j = 0; j < 3000; j++) /* the pane being replaced */
			phll_add_hash(&q, hll_hash(&j, sizeof(j)));
		for (uint64_t j = 0; j < ns[i]; j++) {
			uint64_t x = j + (i << 40);

			phll_add_hash(&p, hll_hash(&x, sizeof(x)));
		}
		hll_init(&h);
		phll_merge_into(&h, p);
		cr_assert_eq(hll_encode(&h, buf, sizeof(buf), &len), 0);
		cr_assert_eq(hll_decode(&e, buf, len), 0);
		cr_assert_eq(phll_from_hll(&q, &e), 0);
		hll_init(&f);
		phll_merge_into(&f, q);
		cr_assert(!memcmp(&f, &h, sizeof(h)), "%llu keys: the same registers",
			  (unsigned long long)ns[i]);
		cr_assert_leq(phll_bytes(q), phll_bytes(p), "%llu keys: %zu bytes, was %zu",
			      (unsigned long long)ns[i], phll_bytes(q), phll_bytes(p));
		if (!ns[i])
			cr_assert_null(q);
		/* and keeps counting */
		for (uint64_t j = 0; j < 2000; j++) {
			uint64_t x = j + (i << 40) + (1ull << 36), hh = hll_hash(&x, sizeof(x));

			hll_add_hash(&h, hh);
			cr_assert_eq(phll_add_hash(&q, hh), 0);
		}
		hll_init(&f);
		phll_merge_into(&f, q);
		cr_assert(!memcmp(&f, &h, sizeof(h)));
		phll_free(p);
		phll_free(q);
	}
}

/* A million adds of the worst kind (any double, any hash) stay within the
 * dense size; a pane that has grown to its working size adds in place. */
Test(psketch, memory_stays_bounded_and_grown_panes_add_in_place)
{
	struct pdds *p = NULL, *w = NULL;
	struct phll *h = NULL;
	const struct pdds *at;
	struct rng r = {2718};
	size_t most = 0, hmost = 0;

	for (int i = 0; i < 1000000; i++) {
		uint64_t bits = rnd(&r);
		double v;

		memcpy(&v, &bits, sizeof(v)); /* every exponent, NaN and infinities */
		pdds_add(&p, v);
		cr_assert_eq(phll_add_hash(&h, rnd(&r)), 0);
		most = pdds_bytes(p) > most ? pdds_bytes(p) : most;
		hmost = phll_bytes(h) > hmost ? phll_bytes(h) : hmost;
	}
	cr_log_info("1M adds: pdds %zu bytes (dense dds %zu), phll %zu bytes (hll %zu)\n", most,
		    sizeof(struct dds), hmost, sizeof(struct hll));
	cr_assert_leq(most, sizeof(struct dds) + 256);
	cr_assert_leq(hmost, sizeof(struct hll) + 256);
	cr_assert_gt(pdds_count(p), 900000);

	/* 100 bins: grown within the first values, then the same allocation */
	for (int i = 0; i < 2000; i++)
		pdds_add(&w, (i / 50 % 2 ? 1 : -1) * (1 + (double)(i % 50) / 4));
	at = w;
	for (int i = 0; i < 100000; i++)
		cr_assert_eq(pdds_add(&w, (i % 3 ? 1 : -1) * (1 + (double)(rnd(&r) % 50) / 4)), 0);
	cr_assert_eq(w, at, "no new allocation once grown");
	cr_assert_leq(pdds_bytes(w), 96 + 256 * 12);
	pdds_free(p);
	pdds_free(w);
	phll_free(h);
}

/* --- the aggregates' checkpoint form --- */

static struct cfg_rule persist_rules[] = {
    {.name = "n"},
    {.name = "v", .value = "v", .value_scale = 1},
};
static const char *const persist_names[] = {"n", "v"};
static const struct cfg persist_cfg = {.rules = persist_rules, .nrules = 2, .lateness_s = 60};

/* c encoded, then decoded into a fresh core: 0 or -EBADMSG (why set). */
static int persist_round_trip(const struct agg_core *c, char *why, size_t whylen)
{
	struct strbuf sb = {0};
	struct agg_core d;
	int rc;

	agg_persist_encode(c, persist_names, &sb);
	cr_assert(!sb.oom);
	cr_assert_eq(agg_core_init(&d, &persist_cfg, &persist_cfg), 0);
	rc = agg_persist_decode(&d, persist_names, sb.buf, sb.len, why, whylen);
	if (!rc)
		cr_assert_eq(d.max_sec, c->max_sec);
	agg_core_destroy(&d);
	strbuf_free(&sb);
	return rc;
}

/* A second beyond STATE_SEC_MAX (newest, or a pane's) cannot come from a
 * parsed stamp and would overflow in milliseconds: refused, with a reason.
 * A pane sketch for a rule that keeps none is refused too. */
Test(persist, seconds_and_sketches_beyond_the_structure_are_refused)
{
	struct agg_core c;
	char why[128];

	cr_assert_eq(agg_core_init(&c, &persist_cfg, &persist_cfg), 0);
	c.max_sec = STATE_SEC_MAX;
	cr_assert_eq(persist_round_trip(&c, why, sizeof(why)), 0, "%s", why);
	c.max_sec = -STATE_SEC_MAX - 1;
	cr_assert_eq(persist_round_trip(&c, why, sizeof(why)), -EBADMSG);
	cr_assert_str_eq(why, "aggregates: newest second out of range");
	c.max_sec = INT64_MIN; /* nothing placed yet */
	cr_assert_eq(persist_round_trip(&c, why, sizeof(why)), 0, "%s", why);

	tiers_add_count(&c.tiers, STATE_SEC_MAX, STATE_SEC_MAX, 0, 3);
	cr_assert_eq(persist_round_trip(&c, why, sizeof(why)), 0, "%s", why);
	agg_core_destroy(&c);
	cr_assert_eq(agg_core_init(&c, &persist_cfg, &persist_cfg), 0);
	tiers_add_count(&c.tiers, STATE_SEC_MAX + 1, STATE_SEC_MAX + 1, 0, 3);
	cr_assert_eq(persist_round_trip(&c, why, sizeof(why)), -EBADMSG);
	cr_assert_str_eq(why, "aggregates: pane index out of range");
	agg_core_destroy(&c);

	/* rule v keeps a value; its pane written with a top sketch too */
	cr_assert_eq(agg_core_init(&c, &persist_cfg, &persist_cfg), 0);
	cr_assert_eq(tiers_add_value(&c.tiers, 1000, 1000, 1, 2.5), 0);
	cr_assert_eq(persist_round_trip(&c, why, sizeof(why)), 0, "%s", why);
	{
		struct tier_cell *cl = NULL;

		for (uint32_t s = 0; s < c.tiers.t[0].nslots && !cl; s++)
			if (c.tiers.t[0].slot_idx[s] == 1000)
				cl = &c.tiers.t[0].cells[1][s];
		cr_assert_not_null(cl);
		cl->top = calloc(1, sizeof(*cl->top));
		cr_assert_eq(topk_init(cl->top, 4), 0);
		topk_add(cl->top, "k", 1, 1);
	}
	cr_assert_eq(persist_round_trip(&c, why, sizeof(why)), -EBADMSG);
	cr_assert_str_eq(why, "aggregates: a pane sketch its rule does not keep");
	agg_core_destroy(&c);
}
