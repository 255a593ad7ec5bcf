/* test_samples.c - the samples store (aggregate/samples.h): the newest
 * `keep` per rule in ingest's order, the byte budget, cut lines, hostile
 * bytes escaped, per-key rings of a top: rule, and a reload carrying the
 * samples of unchanged rules only. The published JSON is parsed back with
 * jansson, as a client would. */
#include "aggregate/samples.h"
#include "config/config.h"
#include "core/strbuf.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"nginx", "app"};

/* A config with n rules (rule i top: when top[i]), samples as given. */
static struct cfg *mk_cfg(uint32_t n, const bool *top, uint32_t keep, uint32_t line_bytes,
			  uint32_t per_key, uint32_t bytes)
{
	struct cfg *c = calloc(1, sizeof(*c));

	c->nrules = n;
	c->rules = calloc(n, sizeof(*c->rules));
	for (uint32_t i = 0; i < n; i++) {
		c->rules[i].top = top && top[i] ? (char *)"user" : NULL;
		c->rules[i].top_k = 10;
	}
	c->samples_keep = keep;
	c->samples_line_bytes = line_bytes;
	c->samples_per_key = per_key;
	c->samples_bytes = bytes;
	return c;
}

static void free_cfg(struct cfg *c)
{
	free(c->rules);
	free(c);
}

/* Add line (with key, if not NULL) to rule r at seq. */
static void add(struct smp_store *st, uint32_t r, uint64_t seq, const char *line, size_t len,
		const char *key)
{
	struct pane_sample h = {.seq = seq,
				.t_ms = 1000 + (int64_t)seq,
				.rule = r,
				.source = (uint32_t)(seq % 2),
				.full_len = (uint32_t)len,
				.len = (uint32_t)len,
				.key_len = key ? (uint16_t)strlen(key) : 0,
				.has_key = key != NULL};

	smp_add(st, &h, line, key);
}

static void addf(struct smp_store *st, uint32_t r, uint64_t seq, const char *key)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "line %llu", (unsigned long long)seq);

	add(st, r, seq, line, (size_t)n, key);
}

/* Rule r's samples as a client sees them (a JSON array; caller decrefs). */
static json_t *render(struct smp_store *st, uint32_t r, const char *key, uint32_t limit)
{
	struct smp_pub *p = smp_publish(st, names, 2);
	struct strbuf sb = {0};
	json_error_t err;
	json_t *j;

	cr_assert(p);
	smp_pub_render(p, r, key, key ? strlen(key) : 0, limit, &sb);
	cr_assert(!sb.oom);
	j = json_loadb(sb.buf, sb.len, JSON_ALLOW_NUL, &err);
	cr_assert(j, "not JSON (%s): %.*s", err.text, (int)sb.len, sb.buf);
	strbuf_free(&sb);
	smp_pub_release(p);
	return j;
}

static const char *line_of(json_t *a, size_t i)
{
	return json_string_value(json_object_get(json_array_get(a, i), "line"));
}

/* The array's lines are "line S" for seqs, in that order. */
static void expect_seqs(json_t *a, const uint64_t *seqs, size_t n)
{
	char want[64];

	cr_assert_eq(json_array_size(a), n, "%zu samples, want %zu", json_array_size(a), n);
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "line %llu", (unsigned long long)seqs[i]);
		cr_assert_str_eq(line_of(a, i), want, "sample %zu", i);
	}
}

Test(samples, keeps_the_newest_keep_newest_first_in_ingest_order)
{
	struct cfg *c = mk_cfg(2, NULL, 5, 1024, 0, 1 << 20);
	struct smp_store st;
	json_t *a;

	cr_assert_eq(smp_store_init(&st, c, c), 0);
	for (uint64_t s = 1; s <= 12; s++)
		addf(&st, 0, s == 7 ? 9 : s == 9 ? 7 : s, NULL); /* 9 arrives before 7 */
	a = render(&st, 0, NULL, 1000);
	expect_seqs(a, (const uint64_t[]){12, 11, 10, 9, 8}, 5);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(a, 0), "t_ms")), 1012);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "source")),
			 "nginx");
	cr_assert(json_is_null(json_object_get(json_array_get(a, 0), "key")));
	json_decref(a);
	a = render(&st, 0, NULL, 2); /* limit */
	expect_seqs(a, (const uint64_t[]){12, 11}, 2);
	json_decref(a);
	a = render(&st, 1, NULL, 1000); /* another rule: none */
	cr_assert_eq(json_array_size(a), 0);
	json_decref(a);
	smp_store_free(&st);
	free_cfg(c);
}

Test(samples, byte_budget_bounds_the_slots_of_each_rule)
{
	uint32_t keep, nkeys;
	struct cfg *c = mk_cfg(100, NULL, 20, 1024, 5, 64 * 1024);
	struct smp_store st;
	json_t *a;

	/* 64 KiB over 100 rules of 1 KiB lines: less than one slot each */
	smp_rule_slots(c, 100, false, 10, &keep, &nkeys);
	cr_assert_eq(keep, 1);
	cr_assert_eq(nkeys, 0);
	/* 1 MiB over 10 rules: ~100 KiB each, so keep (20) and 10 keys of 5 */
	c->samples_bytes = 1 << 20;
	smp_rule_slots(c, 10, true, 10, &keep, &nkeys);
	cr_assert_eq(keep, 20);
	cr_assert_eq(nkeys, 10);
	/* 512 KiB over 10 rules: ~51 KiB each (~1.3 KiB a slot); 20 for keep,
	 * what is left for fewer keys */
	c->samples_bytes = 512 * 1024;
	smp_rule_slots(c, 10, true, 10, &keep, &nkeys);
	cr_assert_eq(keep, 20);
	cr_assert(nkeys > 0 && nkeys < 10, "nkeys %u", nkeys);
	/* 128 KiB: fewer than keep fit */
	c->samples_bytes = 128 * 1024;
	smp_rule_slots(c, 10, true, 10, &keep, &nkeys);
	cr_assert(keep > 1 && keep < 20, "keep %u", keep);
	cr_assert_eq(nkeys, 0);
	/* 8 samples' worth of slots per rule, then: the ring keeps 7 */
	c->samples_bytes = 100 * 8 * (1024 + (uint32_t)sizeof(struct smp_slot) + 16);
	cr_assert_eq(smp_store_init(&st, c, c), 0);
	cr_assert_eq(st.rules[0].keep, 7);
	for (uint64_t s = 1; s <= 30; s++)
		addf(&st, 0, s, NULL);
	a = render(&st, 0, NULL, 1000);
	cr_assert_eq(json_array_size(a), 7);
	cr_assert_str_eq(line_of(a, 0), "line 30");
	json_decref(a);
	/* what the store holds stays within its slots */
	cr_assert_eq(st.rules[0].nslots, 8);
	cr_assert_eq(st.rules[0].nfree, 1);
	smp_store_free(&st);
	free_cfg(c);
}

Test(samples, cut_lines_say_truncated)
{
	struct cfg *c = mk_cfg(1, NULL, 3, 64, 0, 1 << 20);
	struct smp_store st;
	char big[200];
	struct pane_sample h = {.seq = 1, .rule = 0, .full_len = 5000, .len = 200};
	json_t *a;

	memset(big, 'x', sizeof(big));
	cr_assert_eq(smp_store_init(&st, c, c), 0);
	smp_add(&st, &h, big, NULL); /* longer than line_bytes: cut to 64 */
	add(&st, 0, 2, "short", 5, NULL);
	a = render(&st, 0, NULL, 10);
	cr_assert_eq(json_array_size(a), 2);
	cr_assert_str_eq(line_of(a, 0), "short");
	cr_assert(json_is_false(json_object_get(json_array_get(a, 0), "truncated")));
	cr_assert_eq(strlen(line_of(a, 1)), 64);
	cr_assert(json_is_true(json_object_get(json_array_get(a, 1), "truncated")));
	json_decref(a);
	smp_store_free(&st);
	free_cfg(c);
}

Test(samples, hostile_bytes_are_escaped_into_valid_inert_json)
{
	static const char evil[] = "<script>alert(1)</script>\x00\x1b[31m\xff\xfe\t\"\\&\xc3\xa9";
	struct cfg *c = mk_cfg(1, (const bool[]){true}, 3, 1024, 2, 1 << 20);
	struct smp_store st;
	struct smp_pub *p;
	struct strbuf sb = {0};
	json_t *a;

	cr_assert_eq(smp_store_init(&st, c, c), 0);
	add(&st, 0, 1, evil, sizeof(evil) - 1, "<k>\x01");
	p = smp_publish(&st, names, 2);
	smp_pub_render(p, 0, NULL, 0, 10, &sb);
	/* raw body: no markup, no raw control bytes, no invalid UTF-8 */
	cr_assert_null(strstr(sb.buf, "<"), "%s", sb.buf);
	cr_assert_null(strstr(sb.buf, ">"));
	cr_assert_null(memchr(sb.buf, '\x1b', sb.len));
	cr_assert_null(memchr(sb.buf, '\xff', sb.len));
	cr_assert(strstr(sb.buf, "\\u003cscript\\u003e"), "%s", sb.buf);
	cr_assert(strstr(sb.buf, "\\u0000\\u001b[31m\\ufffd\\ufffd\\t\\\"\\\\\\u0026\xc3\xa9"),
		  "%s", sb.buf);
	strbuf_free(&sb);
	smp_pub_release(p);
	/* a client reads back the line, NUL and all, with U+FFFD for bad bytes */
	a = render(&st, 0, NULL, 10);
	{
		json_t *l = json_object_get(json_array_get(a, 0), "line");
		static const char want[] =
		    "<script>alert(1)</script>\x00\x1b[31m\xef\xbf\xbd\xef\xbf\xbd\t\"\\&\xc3\xa9";

		cr_assert_eq(json_string_length(l), sizeof(want) - 1);
		cr_assert(!memcmp(json_string_value(l), want, sizeof(want) - 1));
		cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "key")),
				 "<k>\x01");
	}
	json_decref(a);
	smp_store_free(&st);
	free_cfg(c);
}

Test(samples, per_key_rings_keep_a_rare_key_and_filter)
{
	/* keep 3, 2 per key */
	struct cfg *c = mk_cfg(1, (const bool[]){true}, 3, 1024, 2, 1 << 20);
	struct smp_store st;
	json_t *a;

	cr_assert_eq(smp_store_init(&st, c, c), 0);
	addf(&st, 0, 1, "rare");
	addf(&st, 0, 2, "rare");
	addf(&st, 0, 3, "rare");
	for (uint64_t s = 4; s <= 20; s++)
		addf(&st, 0, s, "busy");
	/* the main ring holds the busy key's newest */
	a = render(&st, 0, NULL, 100);
	expect_seqs(a, (const uint64_t[]){20, 19, 18}, 3);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "key")), "busy");
	json_decref(a);
	/* the rare key still has its two newest */
	a = render(&st, 0, "rare", 100);
	expect_seqs(a, (const uint64_t[]){3, 2}, 2);
	json_decref(a);
	/* a busy key: its main ring ones, then its own ring's */
	a = render(&st, 0, "busy", 100);
	expect_seqs(a, (const uint64_t[]){20, 19, 18, 17, 16}, 5);
	json_decref(a);
	a = render(&st, 0, "busy", 4);
	expect_seqs(a, (const uint64_t[]){20, 19, 18, 17}, 4);
	json_decref(a);
	a = render(&st, 0, "nobody", 100);
	cr_assert_eq(json_array_size(a), 0);
	json_decref(a);
	a = render(&st, 0, "bus", 100); /* exact match only */
	cr_assert_eq(json_array_size(a), 0);
	json_decref(a);
	smp_store_free(&st);
	free_cfg(c);
}

Test(samples, only_recent_keys_keep_rings)
{
	struct cfg *c = mk_cfg(1, (const bool[]){true}, 1, 1024, 1, 1 << 20);
	struct smp_store st;
	char key[16];
	json_t *a;

	c->rules[0].top_k = 3; /* 3 key rings */
	cr_assert_eq(smp_store_init(&st, c, c), 0);
	cr_assert_eq(st.rules[0].nkeys, 3);
	for (uint64_t s = 1; s <= 6; s++) {
		snprintf(key, sizeof(key), "k%llu", (unsigned long long)s);
		addf(&st, 0, s, key);
	}
	/* k6 is in the main ring; k5, k4, k3 have rings; k1, k2 were let go */
	for (int k = 1; k <= 6; k++) {
		snprintf(key, sizeof(key), "k%d", k);
		a = render(&st, 0, key, 10);
		cr_assert_eq(json_array_size(a), k >= 3 ? 1u : 0u, "%s", key);
		json_decref(a);
	}
	smp_store_free(&st);
	free_cfg(c);
}

Test(samples, publish_is_shared_until_something_changes)
{
	struct cfg *c = mk_cfg(1, NULL, 3, 1024, 0, 1 << 20);
	struct smp_store st;
	struct smp_pub *p1, *p2, *p3;

	cr_assert_eq(smp_store_init(&st, c, c), 0);
	addf(&st, 0, 1, NULL);
	p1 = smp_publish(&st, names, 2);
	p2 = smp_publish(&st, names, 2);
	cr_assert_eq(p1, p2);
	addf(&st, 0, 2, NULL);
	p3 = smp_publish(&st, names, 2);
	cr_assert_neq(p3, p1);
	smp_pub_release(p1);
	smp_pub_release(p2);
	smp_store_free(&st); /* p3 outlives the store, as a snapshot may */
	cr_assert_eq(p3->rules[0]->n, 2);
	smp_pub_release(p3);
	free_cfg(c);
}

Test(samples, publish_renders_only_the_rules_that_changed)
{
	struct cfg *c = mk_cfg(3, NULL, 3, 1024, 0, 1 << 20);
	struct smp_store st;
	struct smp_pub *p1, *p2;

	cr_assert_eq(smp_store_init(&st, c, c), 0);
	addf(&st, 0, 1, NULL);
	addf(&st, 1, 2, NULL);
	p1 = smp_publish(&st, names, 2);
	cr_assert(p1->rules[0] && p1->rules[1]);
	cr_assert_null(p1->rules[2]); /* no sample yet: no block */
	addf(&st, 1, 3, NULL);
	p2 = smp_publish(&st, names, 2);
	cr_assert_neq(p2, p1);
	cr_assert_eq(p2->rules[0], p1->rules[0]); /* unchanged: shared, not rendered */
	cr_assert_neq(p2->rules[1], p1->rules[1]);
	cr_assert_eq(p1->rules[1]->n, 1);
	cr_assert_eq(p2->rules[1]->n, 2);
	smp_pub_release(p1); /* p2 still holds rule 0's block */
	cr_assert_eq(p2->rules[0]->n, 1);
	smp_pub_release(p2);
	smp_store_free(&st);
	free_cfg(c);
}

Test(samples, reload_carries_unchanged_rules_only)
{
	struct cfg *c1 = mk_cfg(3, NULL, 4, 1024, 0, 1 << 20);
	struct cfg *c2 = mk_cfg(2, NULL, 2, 1024, 0, 1 << 20);
	struct smp_store a, b;
	/* new rule 0 is old rule 2 (unchanged); new rule 1 is new or changed */
	const uint32_t from[] = {2, UINT32_MAX};
	json_t *j;

	cr_assert_eq(smp_store_init(&a, c1, c1), 0);
	for (uint64_t s = 1; s <= 6; s++) {
		addf(&a, 1, s, NULL);
		addf(&a, 2, 100 + s, NULL);
	}
	cr_assert_eq(smp_store_init(&b, c2, c2), 0); /* keep 2 there */
	smp_store_carry(&b, &a, from);
	smp_store_free(&a);
	j = render(&b, 0, NULL, 10);
	expect_seqs(j, (const uint64_t[]){106, 105}, 2); /* the newest that fit */
	json_decref(j);
	j = render(&b, 1, NULL, 10);
	cr_assert_eq(json_array_size(j), 0);
	json_decref(j);
	smp_store_free(&b);
	free_cfg(c1);
	free_cfg(c2);
}

Test(samples, keep_zero_keeps_nothing)
{
	struct cfg *c = mk_cfg(1, NULL, 0, 1024, 0, 1 << 20);
	struct smp_store st;
	json_t *a;

	cr_assert_eq(smp_store_init(&st, c, c), 0);
	addf(&st, 0, 1, NULL);
	a = render(&st, 0, NULL, 10);
	cr_assert_eq(json_array_size(a), 0);
	json_decref(a);
	smp_store_free(&st);
	free_cfg(c);
}

Test(samples, pane_samples_round_trip)
{
	struct cfg *c = mk_cfg(2, (const bool[]){false, true}, 4, 1024, 1, 1 << 20);
	struct smp_store st;
	uint8_t area[4096] __attribute__((aligned(8)));
	struct pane pn = {.smp = area, .smp_cap = sizeof(area)};
	struct pane_sample h1 = {.seq = 5, .rule = 0, .len = 3, .full_len = 3};
	struct pane_sample h2 = {
	    .seq = 6, .rule = 1, .len = 4, .full_len = 9, .key_len = 2, .has_key = 1};
	json_t *a;

	cr_assert_eq(pane_sample_put(&pn, &h1, "abc", NULL), 0);
	cr_assert_eq(pane_sample_put(&pn, &h2, "defg", "kk"), 0);
	pn.smp_cap = pn.smp_len + 8; /* full: the next one does not fit */
	cr_assert_eq(pane_sample_put(&pn, &h1, "abc", NULL), -1);
	cr_assert_eq(smp_store_init(&st, c, c), 0);
	smp_take_pane(&st, &pn);
	a = render(&st, 0, NULL, 10);
	cr_assert_eq(json_array_size(a), 1);
	cr_assert_str_eq(line_of(a, 0), "abc");
	json_decref(a);
	a = render(&st, 1, "kk", 10);
	cr_assert_eq(json_array_size(a), 1);
	cr_assert_str_eq(line_of(a, 0), "defg");
	cr_assert(json_is_true(json_object_get(json_array_get(a, 0), "truncated")));
	json_decref(a);
	smp_store_free(&st);
	free_cfg(c);
}
