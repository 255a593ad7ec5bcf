/*
 * persist.c - struct agg_core: its tables and its checkpoint form.
 *
 * Form (little-endian; v = LEB128 varint; str = v length + bytes;
 * sk = v length + a sketch's own encoding (dds/hll/topk_encode), 0 = none):
 *   "WAGG" u32 version(2)
 *   v records, i64 max_sec, v late, v too_old, v future
 *   v nrules, per rule:
 *     str name, u64 sig, v total, v late, v too_old, v future,
 *     v vn, f64 vsum, f64 vmin, f64 vmax, sk dds, sk top, sk hll,
 *     v extract_n, v extract_ns
 *   per tier (TIERS_N): v step, v nslots, v used, per used slot:
 *     i64 pane index, v nonzero, nonzero x (v rule, v count),
 *     v cells, cells x (v rule, v vn, f64 vsum, f64 vmin, f64 vmax,
 *                       sk dds, sk top, sk hll)
 *   (version 2:) v spans (at most OBSERVED_MAX), per span: i64 from, i64 to,
 *     the seconds watched (observed.h), ascending and disjoint
 * Version 1 (no spans) is still read: the caller then takes the history as
 * watched from its oldest pane (aggregator.c).
 * Pane sketches are written as the dense sketch they merge into, in its
 * compact encoding. The state file around it carries the CRC; the sketch
 * encodings carry their own too.
 *
 * Decoding trusts nothing: every length and count is checked against the
 * bytes left and against the structure it fills (the tiers' shape, the
 * rules' sketches, STATE_SEC_MAX for seconds) before it is used.
 */
#include "aggregate/aggcore.h"

#include "aggregate/ddsketch.h"
#include "aggregate/hll.h"
#include "aggregate/psketch.h"
#include "aggregate/topk.h"
#include "config/config.h"
#include "core/le.h"
#include "core/strbuf.h"
#include "pipeline/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERSIST_VERSION 2u

static void rule_free(struct agg_rule *r)
{
	free(r->dds);
	free(r->hll);
	if (r->top) {
		topk_free(r->top);
		free(r->top);
	}
	memset(r, 0, sizeof(*r));
}

void agg_core_destroy(struct agg_core *c)
{
	for (uint32_t r = 0; c->rules && r < c->nrules; r++)
		rule_free(&c->rules[r]);
	free(c->rules);
	tiers_destroy(&c->tiers);
	memset(c, 0, sizeof(*c));
}

uint64_t agg_rule_sig(const struct cfg *cfg, uint32_t rule)
{
	const struct cfg_rule *cr = &cfg->rules[rule];
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "v=%s|%.17g|t=%s|%u|d=%s", cr->value ? cr->value : "",
		     cr->value ? cr->value_scale : 0.0, cr->top ? cr->top : "",
		     cr->top ? cr->top_k : 0, cr->distinct ? cr->distinct : "");
	return hll_hash(buf, n < 0 ? 0 : (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* What the oldest tier holds, and an hour more: older spans say nothing
 * about any window. */
#define OBSERVED_KEEP_S (720 * 3600 + 3600)

void agg_core_observe(struct agg_core *c, int64_t now)
{
	if (c->run_from != INT64_MAX)
		observed_add(&c->seen, c->run_from < now ? c->run_from : now, now);
	observed_forget(&c->seen, now - OBSERVED_KEEP_S);
}

/* Space-Saving counters per table for a rule showing top_k: more than shown,
 * so the top_k shown are exact unless within total / counters. */
static uint32_t top_cap(uint32_t top_k)
{
	return top_k * 8 < 64 ? 64 : top_k * 8;
}

int agg_core_init(struct agg_core *c, const struct cfg *cfg, const struct cfg *top)
{
	uint32_t n = (uint32_t)cfg->nrules, r;
	uint8_t *want = calloc(n + 1, 1);
	uint32_t *cap = calloc(n + 1, sizeof(*cap));

	memset(c, 0, sizeof(*c));
	c->max_sec = INT64_MIN;
	c->run_from = INT64_MAX;
	c->lateness_s = top->lateness_s;
	c->max_future_s = top->max_future_s;
	c->nrules = n;
	c->rules = calloc(n + 1, sizeof(*c->rules));
	if (!want || !cap || !c->rules)
		goto oom;
	for (r = 0; r < n; r++) {
		const struct cfg_rule *cr = &cfg->rules[r];
		struct agg_rule *ar = &c->rules[r];

		ar->sig = agg_rule_sig(cfg, r);
		if (cr->value) {
			want[r] |= TIERS_VALUE;
			if (!(ar->dds = malloc(sizeof(*ar->dds))))
				goto oom;
			dds_init(ar->dds);
		}
		if (cr->top) {
			want[r] |= TIERS_TOP;
			cap[r] = top_cap(cr->top_k);
			if (!(ar->top = calloc(1, sizeof(*ar->top))) || topk_init(ar->top, cap[r]))
				goto oom;
		}
		if (cr->distinct) {
			want[r] |= TIERS_DISTINCT;
			if (!(ar->hll = malloc(sizeof(*ar->hll))))
				goto oom;
			hll_init(ar->hll);
		}
	}
	if (tiers_init(&c->tiers, n, want, cap))
		goto oom;
	free(want);
	free(cap);
	return 0;
oom:
	free(want);
	free(cap);
	agg_core_destroy(c);
	return -ENOMEM;
}

/* --- writing --- */

static void put_raw(struct strbuf *sb, uint64_t v, int n)
{
	unsigned char b[8];

	le_put(b, v, (unsigned)n);
	strbuf_append(sb, b, (size_t)n);
}

static void put_v(struct strbuf *sb, uint64_t v)
{
	unsigned char b[10];
	int n = 0;

	do {
		b[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	strbuf_append(sb, b, (size_t)n);
}

static void put_f64(struct strbuf *sb, double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	put_raw(sb, u, 8);
}

static void put_str(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s);

	put_v(sb, n);
	strbuf_append(sb, s, n);
}

/* A sketch encoding: its length, then its bytes, written in place. */
static void put_sk(struct strbuf *sb, size_t max,
		   int (*enc)(const void *sk, void *buf, size_t cap, size_t *len), const void *sk)
{
	unsigned char *tmp;
	size_t len = 0;

	if (!sk) {
		put_v(sb, 0);
		return;
	}
	tmp = malloc(max);
	if (!tmp || enc(sk, tmp, max, &len)) {
		free(tmp);
		sb->oom = true;
		return;
	}
	put_v(sb, len);
	strbuf_append(sb, tmp, len);
	free(tmp);
}

static int enc_dds(const void *sk, void *buf, size_t cap, size_t *len)
{
	return dds_encode(sk, buf, cap, len);
}
static int enc_hll(const void *sk, void *buf, size_t cap, size_t *len)
{
	return hll_encode(sk, buf, cap, len);
}
static int enc_top(const void *sk, void *buf, size_t cap, size_t *len)
{
	return topk_encode(sk, buf, cap, len);
}

static void put_top(struct strbuf *sb, const struct topk *t)
{
	put_sk(sb, t ? topk_encoded_max(t) : 0, enc_top, t);
}

void agg_persist_encode(const struct agg_core *c, const char *const *names, struct strbuf *out)
{
	const struct tiers *ts = &c->tiers;
	struct dds *dd = malloc(sizeof(*dd));
	struct hll *hh = malloc(sizeof(*hh));

	if (!dd || !hh) {
		out->oom = true;
		goto done;
	}
	strbuf_append(out, "WAGG", 4);
	put_raw(out, PERSIST_VERSION, 4);
	put_v(out, c->records);
	put_raw(out, (uint64_t)c->max_sec, 8);
	put_v(out, c->late);
	put_v(out, c->too_old);
	put_v(out, c->future);
	put_v(out, c->nrules);
	for (uint32_t r = 0; r < c->nrules; r++) {
		const struct agg_rule *ar = &c->rules[r];

		put_str(out, names[r]);
		put_raw(out, ar->sig, 8);
		put_v(out, ar->total);
		put_v(out, ar->late);
		put_v(out, ar->too_old);
		put_v(out, ar->future);
		put_v(out, ar->vn);
		put_f64(out, ar->vsum);
		put_f64(out, ar->vmin);
		put_f64(out, ar->vmax);
		put_sk(out, DDS_ENCODED_MAX, enc_dds, ar->dds);
		put_top(out, ar->top);
		put_sk(out, HLL_ENCODED_MAX, enc_hll, ar->hll);
		put_v(out, ar->extract_n);
		put_v(out, ar->extract_ns);
	}
	for (int i = 0; i < TIERS_N; i++) {
		const struct tier *t = &ts->t[i];
		uint32_t used = 0;

		for (uint32_t s = 0; s < t->nslots; s++)
			used += t->slot_idx[s] != INT64_MIN;
		put_v(out, t->step);
		put_v(out, t->nslots);
		put_v(out, used);
		for (uint32_t s = 0; s < t->nslots; s++) {
			const uint64_t *row = t->counts + (size_t)s * ts->nrules;
			uint32_t nz = 0, nc = 0;

			if (t->slot_idx[s] == INT64_MIN)
				continue;
			put_raw(out, (uint64_t)t->slot_idx[s], 8);
			for (uint32_t r = 0; r < ts->nrules; r++)
				nz += row[r] != 0;
			put_v(out, nz);
			for (uint32_t r = 0; r < ts->nrules; r++)
				if (row[r]) {
					put_v(out, r);
					put_v(out, row[r]);
				}
			for (uint32_t r = 0; r < ts->nrules; r++) {
				const struct tier_cell *cl = t->cells[r] ? &t->cells[r][s] : NULL;

				nc += cl && (cl->vn || cl->hll || cl->top);
			}
			put_v(out, nc);
			for (uint32_t r = 0; r < ts->nrules; r++) {
				const struct tier_cell *cl = t->cells[r] ? &t->cells[r][s] : NULL;

				if (!cl || !(cl->vn || cl->hll || cl->top))
					continue;
				put_v(out, r);
				put_v(out, cl->vn);
				put_f64(out, cl->vsum);
				put_f64(out, cl->vmin);
				put_f64(out, cl->vmax);
				if (cl->dds) {
					dds_init(dd);
					pdds_merge_into(dd, cl->dds);
				}
				put_sk(out, DDS_ENCODED_MAX, enc_dds, cl->dds ? dd : NULL);
				put_top(out, cl->top);
				if (cl->hll) {
					hll_init(hh);
					phll_merge_into(hh, cl->hll);
				}
				put_sk(out, HLL_ENCODED_MAX, enc_hll, cl->hll ? hh : NULL);
			}
		}
	}
	put_v(out, c->seen.n);
	for (uint32_t i = 0; i < c->seen.n; i++) {
		put_raw(out, (uint64_t)c->seen.s[i].from, 8);
		put_raw(out, (uint64_t)c->seen.s[i].to, 8);
	}
done:
	free(dd);
	free(hh);
}

/* --- reading --- */

static uint64_t get_v(struct le_reader *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		unsigned char b;

		if (r->bad || r->p >= r->end) {
			r->bad = true;
			return 0;
		}
		b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static double get_f64(struct le_reader *r)
{
	uint64_t u = le_read(r, 8);
	double d;

	memcpy(&d, &u, 8);
	return d;
}

/* A length-prefixed span; NULL (and *len 0) for an empty one. */
static const unsigned char *get_span(struct le_reader *r, size_t *len)
{
	uint64_t n = get_v(r);
	const unsigned char *p = r->p;

	*len = 0;
	if (r->bad || (uint64_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	*len = (size_t)n;
	return n ? p : NULL;
}

/* Decode one sketch triple into the given targets (NULL: skip it). */
struct sk_in {
	const unsigned char *dds, *top, *hll;
	size_t dds_len, top_len, hll_len;
};

static void get_sks(struct le_reader *r, struct sk_in *in)
{
	in->dds = get_span(r, &in->dds_len);
	in->top = get_span(r, &in->top_len);
	in->hll = get_span(r, &in->hll_len);
}

/* A second (or a pane index) a checkpoint may hold: see STATE_SEC_MAX. */
static bool sec_ok(int64_t sec)
{
	return sec >= -STATE_SEC_MAX && sec <= STATE_SEC_MAX;
}

static int find_rule(const char *const *names, uint32_t n, const unsigned char *name, size_t len)
{
	for (uint32_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return (int)i;
	return -1;
}

int agg_persist_decode(struct agg_core *c, const char *const *names, const void *buf, size_t len,
		       char *why, size_t whylen)
{
	struct le_reader r = {buf, (const unsigned char *)buf + len, false};
	struct tiers *ts = &c->tiers;
	struct dds *dd = malloc(sizeof(*dd));
	struct hll *hh = malloc(sizeof(*hh));
	int32_t *map = NULL;
	bool *same = NULL;
	uint64_t n, version;
	const char *what = "malformed";

	if (!dd || !hh)
		goto oom;
	if (len < 8 || memcmp(buf, "WAGG", 4)) {
		what = "not an aggregate block";
		goto bad;
	}
	r.p += 4;
	version = le_read(&r, 4);
	if (version != 1 && version != PERSIST_VERSION) {
		what = "unknown aggregate version";
		goto bad;
	}
	c->records = get_v(&r);
	c->max_sec = (int64_t)le_read(&r, 8);
	c->late = get_v(&r);
	c->too_old = get_v(&r);
	c->future = get_v(&r);
	if (!r.bad && c->max_sec != INT64_MIN && !sec_ok(c->max_sec)) {
		what = "newest second out of range";
		goto bad;
	}
	n = get_v(&r);
	if (r.bad || n > (uint64_t)(r.end - r.p) / 8) /* a rule takes more than 8 bytes */
		goto bad;
	map = malloc(sizeof(*map) * (n + 1));
	same = calloc(n + 1, sizeof(*same));
	if (!map || !same)
		goto oom;
	for (uint64_t i = 0; i < n && !r.bad; i++) {
		size_t nlen;
		const unsigned char *name = get_span(&r, &nlen);
		uint64_t sig = le_read(&r, 8);
		int k = r.bad ? -1 : find_rule(names, c->nrules, name, nlen);
		struct agg_rule tmp = {0}, *ar = k >= 0 ? &c->rules[k] : &tmp;
		struct sk_in in;

		map[i] = k;
		same[i] = k >= 0 && sig == c->rules[k].sig;
		ar->total = get_v(&r);
		ar->late = get_v(&r);
		ar->too_old = get_v(&r);
		ar->future = get_v(&r);
		tmp.vn = get_v(&r);
		tmp.vsum = get_f64(&r);
		tmp.vmin = get_f64(&r);
		tmp.vmax = get_f64(&r);
		get_sks(&r, &in);
		ar->extract_n = get_v(&r);
		ar->extract_ns = get_v(&r);
		if (r.bad || !same[i])
			continue;
		ar->vn = tmp.vn;
		ar->vsum = tmp.vsum;
		ar->vmin = tmp.vmin;
		ar->vmax = tmp.vmax;
		if ((in.dds && (!ar->dds || dds_decode(ar->dds, in.dds, in.dds_len))) ||
		    (in.hll && (!ar->hll || hll_decode(ar->hll, in.hll, in.hll_len))) ||
		    (in.top && (!ar->top || topk_decode(ar->top, in.top, in.top_len)))) {
			what = "a rule's sketch is corrupt";
			goto bad;
		}
	}
	for (int i = 0; i < TIERS_N && !r.bad; i++) {
		struct tier *t = &ts->t[i];
		uint64_t step = get_v(&r), nslots = get_v(&r), used = get_v(&r);

		if (r.bad || step != t->step || nslots != t->nslots || used > nslots) {
			what = "tier shape differs";
			goto bad;
		}
		for (uint64_t u = 0; u < used && !r.bad; u++) {
			int64_t idx = (int64_t)le_read(&r, 8);
			int64_t m = idx % (int64_t)t->nslots;
			uint32_t s = (uint32_t)(m < 0 ? m + t->nslots : m);
			uint64_t nz, nc;

			if (r.bad)
				goto bad;
			if (!sec_ok(idx)) {
				what = "pane index out of range";
				goto bad;
			}
			if (t->slot_idx[s] != INT64_MIN) {
				what = "two panes for one slot";
				goto bad;
			}
			t->slot_idx[s] = idx;
			nz = get_v(&r);
			if (!r.bad && nz > n) {
				what = "more pane counts than rules";
				goto bad;
			}
			for (uint64_t z = 0; z < nz && !r.bad; z++) {
				uint64_t rule = get_v(&r), cnt = get_v(&r);

				if (rule >= n)
					goto bad;
				if (map[rule] >= 0)
					t->counts[(size_t)s * ts->nrules + (uint32_t)map[rule]] =
					    cnt;
			}
			nc = get_v(&r);
			if (!r.bad && nc > n) {
				what = "more pane cells than rules";
				goto bad;
			}
			for (uint64_t z = 0; z < nc && !r.bad; z++) {
				uint64_t rule = get_v(&r);
				struct tier_cell tmp = {0}, *cl = &tmp;
				struct sk_in in;

				tmp.vn = get_v(&r);
				tmp.vsum = get_f64(&r);
				tmp.vmin = get_f64(&r);
				tmp.vmax = get_f64(&r);
				get_sks(&r, &in);
				if (r.bad || rule >= n)
					goto bad;
				if (!same[rule] || !t->cells[map[rule]])
					continue;
				if ((in.dds && !(ts->want[map[rule]] & TIERS_VALUE)) ||
				    (in.hll && !(ts->want[map[rule]] & TIERS_DISTINCT)) ||
				    (in.top && !(ts->want[map[rule]] & TIERS_TOP))) {
					what = "a pane sketch its rule does not keep";
					goto bad;
				}
				cl = &t->cells[map[rule]][s];
				cl->vn = tmp.vn;
				cl->vsum = tmp.vsum;
				cl->vmin = tmp.vmin;
				cl->vmax = tmp.vmax;
				if (in.dds && i < TIERS_SKETCHED) {
					if (dds_decode(dd, in.dds, in.dds_len)) {
						what = "a pane's sketch is corrupt";
						goto bad;
					}
					if (pdds_from_dds(&cl->dds, dd))
						goto oom;
				}
				if (in.hll && i < TIERS_SKETCHED) {
					if (hll_decode(hh, in.hll, in.hll_len)) {
						what = "a pane's sketch is corrupt";
						goto bad;
					}
					if (phll_from_hll(&cl->hll, hh))
						goto oom;
				}
				if (in.top && i < TIERS_SKETCHED) {
					if (!cl->top &&
					    (!(cl->top = calloc(1, sizeof(*cl->top))) ||
					     topk_init(cl->top, ts->top_cap[map[rule]]))) {
						free(cl->top);
						cl->top = NULL;
						goto oom;
					}
					if (topk_decode(cl->top, in.top, in.top_len)) {
						what = "a pane's sketch is corrupt";
						goto bad;
					}
				}
			}
		}
	}
	if (version >= 2 && !r.bad) {
		uint64_t ns = get_v(&r);

		if (!r.bad && ns > OBSERVED_MAX) {
			what = "too many watched spans";
			goto bad;
		}
		for (uint64_t i = 0; i < ns && !r.bad; i++) {
			int64_t from = (int64_t)le_read(&r, 8), to = (int64_t)le_read(&r, 8);

			if (r.bad)
				break;
			if (!sec_ok(from) || !sec_ok(to) || from > to ||
			    (c->seen.n && from <= c->seen.s[c->seen.n - 1].to + 1)) {
				what = "a watched span out of range or order";
				goto bad;
			}
			observed_add(&c->seen, from, to);
		}
	}
	if (r.bad || r.p != r.end)
		goto bad;
	free(map);
	free(same);
	free(dd);
	free(hh);
	return 0;
oom:
	what = "out of memory";
bad:
	snprintf(why, whylen, "aggregates: %s", what);
	free(map);
	free(same);
	free(dd);
	free(hh);
	return -EBADMSG;
}
