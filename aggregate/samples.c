/*
 * samples.c - see samples.h.
 *
 * Slots: a rule has keep + nkeys * per_key + 1 of them, and at any moment
 * at most keep are in the main ring and per_key in each key ring, so one
 * is always free for the next sample: it goes into the main ring, and if
 * that then holds keep + 1, the oldest one (smallest seq) moves to its
 * key's ring (replacing that ring's oldest when full, or the least
 * recently seen key's ring when every ring is in use) or is freed. A slot
 * is never copied once filled, only its pointer moves.
 */
#include "aggregate/samples.h"

#include "config/config.h"
#include "core/json.h"
#include "core/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void smp_rule_slots(const struct cfg *settings, size_t nrules, bool top, uint32_t top_k,
		    uint32_t *keep, uint32_t *nkeys)
{
	uint64_t slot = settings->samples_line_bytes + (top ? PANE_KEY_MAX : 0) +
			sizeof(struct smp_slot) + 2 * sizeof(void *);
	uint64_t share = settings->samples_bytes / (nrules ? nrules : 1);
	uint64_t avail = share / slot, rest;

	*keep = *nkeys = 0;
	if (!settings->samples_keep)
		return;
	/* one slot is the spare; every rule keeps at least one sample */
	*keep = avail > 1 ? (uint32_t)(avail - 1 < settings->samples_keep ? avail - 1
									  : settings->samples_keep)
			  : 1;
	if (!top || !settings->samples_per_key)
		return;
	rest = avail > 1 + (uint64_t)*keep ? avail - 1 - *keep : 0;
	rest /= settings->samples_per_key;
	*nkeys = top_k < SMP_KEYS ? top_k : SMP_KEYS;
	if (rest < *nkeys)
		*nkeys = (uint32_t)rest;
}

int smp_store_init(struct smp_store *st, const struct cfg *settings, const struct cfg *rules)
{
	memset(st, 0, sizeof(*st));
	st->keep = settings->samples_keep;
	st->per_key = settings->samples_per_key;
	st->line_bytes = settings->samples_line_bytes;
	st->dirty = true; /* the first publish makes an (empty) pub */
	st->rules = calloc(rules->nrules ? rules->nrules : 1, sizeof(*st->rules));
	if (!st->rules)
		return -ENOMEM;
	st->nrules = (uint32_t)rules->nrules;
	for (uint32_t r = 0; r < st->nrules; r++) {
		struct smp_rule *R = &st->rules[r];
		const struct cfg_rule *cr = &rules->rules[r];

		smp_rule_slots(settings, rules->nrules, cr->top != NULL, cr->top_k, &R->keep,
			       &R->nkeys);
		R->slot_size = st->line_bytes + (cr->top ? PANE_KEY_MAX : 0);
		R->nslots = R->keep ? R->keep + R->nkeys * st->per_key + 1 : 0;
	}
	return 0;
}

static void block_release(struct smp_block *b)
{
	if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(b->e);
	free(b->json);
	free(b->keys);
	free(b);
}

static void rule_free(struct smp_rule *R)
{
	block_release(R->blk);
	R->blk = NULL;
	for (uint32_t k = 0; R->keys && k < R->nkeys; k++)
		free(R->keys[k].s);
	free(R->keys);
	free(R->all);
	free(R->slab);
	free(R->free);
	free(R->main);
	R->all = NULL;
	R->slab = NULL;
	R->free = R->main = NULL;
	R->keys = NULL;
	R->nfree = R->nmain = 0;
}

void smp_store_free(struct smp_store *st)
{
	for (uint32_t r = 0; st->rules && r < st->nrules; r++)
		rule_free(&st->rules[r]);
	free(st->rules);
	smp_pub_release(st->pub);
	memset(st, 0, sizeof(*st));
}

/* Rule R's slots, at its first sample. 0 or -ENOMEM (nothing kept). */
static int rule_alloc(struct smp_rule *R, uint32_t per_key)
{
	uint32_t i;

	R->all = calloc(R->nslots, sizeof(*R->all));
	R->slab = malloc((size_t)R->nslots * R->slot_size);
	R->free = calloc(R->nslots, sizeof(*R->free));
	R->main = calloc(R->keep + 1, sizeof(*R->main));
	R->keys = R->nkeys ? calloc(R->nkeys, sizeof(*R->keys)) : NULL;
	if (!R->all || !R->slab || !R->free || !R->main || (R->nkeys && !R->keys))
		goto err;
	for (i = 0; i < R->nkeys; i++)
		if (!(R->keys[i].s = calloc(per_key, sizeof(*R->keys[i].s))))
			goto err;
	for (i = 0; i < R->nslots; i++) {
		R->all[i].text = R->slab + (size_t)i * R->slot_size;
		R->free[R->nfree++] = &R->all[R->nslots - 1 - i];
	}
	return 0;
err:
	rule_free(R);
	return -ENOMEM;
}

/* The index of the oldest of n slots (n > 0). */
static uint32_t oldest(struct smp_slot *const *s, uint32_t n)
{
	uint32_t m = 0;

	for (uint32_t i = 1; i < n; i++)
		if (s[i]->seq < s[m]->seq)
			m = i;
	return m;
}

static struct smp_keyring *key_find(struct smp_rule *R, const char *key, uint16_t len)
{
	for (uint32_t k = 0; k < R->nkeys; k++) {
		struct smp_keyring *kr = &R->keys[k];

		if (kr->used && kr->key_len == len && !memcmp(kr->key, key, len))
			return kr;
	}
	return NULL;
}

/* The ring of slot x's key: found, a free one, or the least recently seen
 * key's (its samples are let go). */
static struct smp_keyring *key_take(struct smp_rule *R, const struct smp_slot *x)
{
	const char *key = x->text + x->len;
	struct smp_keyring *kr = key_find(R, key, x->key_len), *lru = NULL;

	if (kr)
		return kr;
	for (uint32_t k = 0; k < R->nkeys; k++) {
		kr = &R->keys[k];
		if (!kr->used) {
			lru = kr;
			break;
		}
		if (!lru || kr->last_seq < lru->last_seq)
			lru = kr;
	}
	for (uint32_t i = 0; i < lru->n; i++)
		R->free[R->nfree++] = lru->s[i];
	lru->n = 0;
	lru->used = true;
	lru->last_seq = x->seq;
	lru->key_len = x->key_len;
	memcpy(lru->key, key, x->key_len);
	return lru;
}

/* Slot x leaves the main ring: into its key's ring, or freed. */
static void demote(struct smp_rule *R, uint32_t per_key, struct smp_slot *x)
{
	struct smp_keyring *kr;

	if (!x->has_key || !R->nkeys) {
		R->free[R->nfree++] = x;
		return;
	}
	kr = key_take(R, x);
	if (kr->n == per_key) {
		uint32_t i = oldest(kr->s, kr->n);

		if (kr->s[i]->seq > x->seq) { /* x is older than all it holds */
			R->free[R->nfree++] = x;
			return;
		}
		R->free[R->nfree++] = kr->s[i];
		kr->s[i] = x;
	} else {
		kr->s[kr->n++] = x;
	}
	if (x->seq > kr->last_seq)
		kr->last_seq = x->seq;
}

void smp_add(struct smp_store *st, const struct pane_sample *h, const char *line, const char *key)
{
	struct smp_rule *R;
	struct smp_slot *x;

	if (h->rule >= st->nrules || !(R = &st->rules[h->rule])->keep)
		return;
	if (!R->all && rule_alloc(R, st->per_key)) {
		st->dropped++;
		return;
	}
	x = R->free[--R->nfree];
	x->seq = h->seq;
	x->t_ms = h->t_ms;
	x->source = h->source;
	x->full_len = h->full_len;
	x->len = h->len < st->line_bytes ? h->len : st->line_bytes;
	x->has_key = h->has_key && R->slot_size > st->line_bytes;
	x->key_len = x->has_key ? (h->key_len < PANE_KEY_MAX ? h->key_len : PANE_KEY_MAX) : 0;
	memcpy(x->text, line, x->len);
	if (x->key_len)
		memcpy(x->text + x->len, key, x->key_len);
	if (x->has_key && R->nkeys) {
		struct smp_keyring *kr = key_find(R, x->text + x->len, x->key_len);

		if (kr && x->seq > kr->last_seq)
			kr->last_seq = x->seq;
	}
	R->main[R->nmain++] = x;
	if (R->nmain > R->keep) {
		uint32_t i = oldest(R->main, R->nmain);

		x = R->main[i];
		R->main[i] = R->main[--R->nmain];
		demote(R, st->per_key, x);
	}
	st->added++;
	st->dirty = true;
	R->dirty = true;
}

void smp_take_pane(struct smp_store *st, const struct pane *pn)
{
	uint32_t at = 0;

	while (pn->smp && at + sizeof(struct pane_sample) <= pn->smp_len) {
		struct pane_sample h;
		const char *line = (const char *)pn->smp + at + sizeof(h);

		memcpy(&h, pn->smp + at, sizeof(h));
		smp_add(st, &h, line, line + h.len);
		at += pane_sample_size(h.len, h.key_len);
	}
}

/* A slot and whether it is in the main ring, for sorting. */
struct ref {
	const struct smp_slot *s;
	bool main;
};

static int newest_first(const void *a, const void *b)
{
	uint64_t x = ((const struct ref *)a)->s->seq, y = ((const struct ref *)b)->s->seq;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Rule R's slots into refs (room for nslots), newest first; how many. */
static uint32_t rule_refs(const struct smp_rule *R, struct ref *refs)
{
	uint32_t n = 0;

	if (!R->all)
		return 0;
	for (uint32_t i = 0; i < R->nmain; i++)
		refs[n++] = (struct ref){R->main[i], true};
	for (uint32_t k = 0; k < R->nkeys; k++)
		for (uint32_t i = 0; i < R->keys[k].n; i++)
			refs[n++] = (struct ref){R->keys[k].s[i], false};
	qsort(refs, n, sizeof(*refs), newest_first);
	return n;
}

void smp_store_carry(struct smp_store *st, const struct smp_store *old, const uint32_t *from)
{
	for (uint32_t r = 0; r < st->nrules; r++) {
		const struct smp_rule *R;
		struct ref *refs;
		uint32_t n;

		if (from[r] >= old->nrules || !(R = &old->rules[from[r]])->all)
			continue;
		if (!(refs = calloc(R->nslots, sizeof(*refs)))) {
			st->dropped += R->nslots;
			continue;
		}
		n = rule_refs(R, refs);
		while (n--) { /* oldest first, so the newest end up in the main ring */
			const struct smp_slot *s = refs[n].s;
			struct pane_sample h = {.seq = s->seq,
						.t_ms = s->t_ms,
						.rule = r,
						.source = s->source,
						.full_len = s->full_len,
						.len = s->len,
						.key_len = s->key_len,
						.has_key = s->has_key};

			smp_add(st, &h, s->text, s->text + s->len);
		}
		free(refs);
	}
	st->added = old->added;
	st->dropped += old->dropped;
}

/* One sample's JSON object. */
static void render_entry(struct strbuf *sb, const struct smp_slot *s, const char *const *names,
			 uint32_t nnames)
{
	strbuf_puts(sb, "{\"t_ms\":");
	json_i64(sb, s->t_ms);
	strbuf_puts(sb, ",\"source\":");
	if (s->source < nnames)
		json_text(sb, names[s->source], strlen(names[s->source]));
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ",\"line\":");
	json_text(sb, s->text, s->len);
	strbuf_puts(sb, s->full_len > s->len ? ",\"truncated\":true" : ",\"truncated\":false");
	strbuf_puts(sb, ",\"key\":");
	if (s->has_key)
		json_text(sb, s->text + s->len, s->key_len);
	else
		strbuf_puts(sb, "null");
	strbuf_putc(sb, '}');
}

void smp_pub_release(struct smp_pub *p)
{
	if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (uint32_t r = 0; p->rules && r < p->nrules; r++)
		block_release(p->rules[r]);
	free(p->rules);
	free(p);
}

/* Rule R's samples rendered into a new block (one reference). NULL on
 * ENOMEM. refs: room for R->nslots. */
static struct smp_block *block_render(const struct smp_rule *R, struct ref *refs,
				      const char *const *names, uint32_t nnames)
{
	struct strbuf json = {0}, keys = {0};
	struct smp_block *b = calloc(1, sizeof(*b));
	uint32_t n = rule_refs(R, refs);

	if (!b || !(b->e = calloc(n ? n : 1, sizeof(*b->e)))) {
		free(b);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	for (uint32_t i = 0; i < n; i++) {
		const struct smp_slot *s = refs[i].s;
		struct smp_entry *e = &b->e[i];

		e->seq = s->seq;
		e->main = refs[i].main;
		e->has_key = s->has_key;
		e->key_len = s->key_len;
		e->key_off = keys.len;
		strbuf_append(&keys, s->text + s->len, s->key_len);
		e->off = json.len;
		render_entry(&json, s, names, nnames);
		e->len = json.len - e->off;
	}
	b->n = n;
	if (json.oom || keys.oom) {
		strbuf_free(&json);
		strbuf_free(&keys);
		block_release(b);
		return NULL;
	}
	b->json = strbuf_take(&json);
	b->keys = strbuf_take(&keys);
	return b;
}

struct smp_pub *smp_publish(struct smp_store *st, const char *const *names, uint32_t nnames)
{
	struct smp_pub *p;
	struct ref *refs = NULL;
	size_t maxn = 1;
	uint32_t r;

	if (!st->dirty && st->pub) {
		atomic_fetch_add_explicit(&st->pub->refs, 1, memory_order_relaxed);
		return st->pub;
	}
	for (r = 0; r < st->nrules; r++)
		if (st->rules[r].nslots > maxn)
			maxn = st->rules[r].nslots;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	p->nrules = st->nrules;
	p->keep = st->keep;
	p->rules = calloc(st->nrules ? st->nrules : 1, sizeof(*p->rules));
	refs = calloc(maxn, sizeof(*refs));
	if (!p->rules || !refs)
		goto err;
	/* Render the rules that changed; share the others' blocks. */
	for (r = 0; r < st->nrules; r++) {
		struct smp_rule *R = &st->rules[r];

		if (R->dirty && R->all) {
			struct smp_block *b = block_render(R, refs, names, nnames);

			if (!b)
				goto err;
			block_release(R->blk);
			R->blk = b;
			R->dirty = false;
		}
		if (R->blk) {
			atomic_fetch_add_explicit(&R->blk->refs, 1, memory_order_relaxed);
			p->rules[r] = R->blk;
		}
	}
	free(refs);
	smp_pub_release(st->pub);
	st->pub = p;
	st->dirty = false;
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
err:
	free(refs);
	smp_pub_release(p);
	return NULL;
}

uint32_t smp_pub_render(const struct smp_pub *p, uint32_t r, const char *key, size_t key_len,
			uint32_t limit, struct strbuf *out)
{
	const struct smp_block *b = p && r < p->nrules ? p->rules[r] : NULL;
	uint32_t n = 0;

	strbuf_putc(out, '[');
	for (uint32_t i = 0; b && i < b->n && n < limit; i++) {
		const struct smp_entry *e = &b->e[i];

		if (key ? !e->has_key || e->key_len != key_len ||
			      memcmp(b->keys ? b->keys + e->key_off : "", key, key_len)
			: !e->main)
			continue;
		if (n++)
			strbuf_putc(out, ',');
		strbuf_append(out, b->json + e->off, e->len);
	}
	strbuf_putc(out, ']');
	return n;
}
