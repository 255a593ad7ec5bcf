/* idmap.c - see idmap.h. */
#include "ingest/idmap.h"

#include <errno.h>
#include <stdlib.h>

static uint32_t hash(struct idkey k)
{
	uint64_t h = k.a * 0x9e3779b97f4a7c15ull;

	h ^= (k.b + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull;
	h ^= (uint64_t)k.c * 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (uint32_t)(h ^ (h >> 29));
}

static bool same(struct idkey x, struct idkey y)
{
	return x.a == y.a && x.b == y.b && x.c == y.c;
}

int idmap_init(struct idmap *m, uint32_t max)
{
	uint32_t cap = 16, i;

	while (cap < 2ull * max)
		cap <<= 1;
	m->ents = malloc(sizeof(*m->ents) * cap);
	if (!m->ents)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		m->ents[i].val = UINT32_MAX;
	m->mask = cap - 1;
	m->count = 0;
	m->max = max;
	return 0;
}

void idmap_destroy(struct idmap *m)
{
	free(m->ents);
	m->ents = NULL;
}

uint32_t idmap_get(const struct idmap *m, struct idkey k)
{
	uint32_t i = hash(k) & m->mask;

	for (;; i = (i + 1) & m->mask) {
		if (m->ents[i].val == UINT32_MAX)
			return UINT32_MAX;
		if (same(m->ents[i].k, k))
			return m->ents[i].val;
	}
}

bool idmap_put(struct idmap *m, struct idkey k, uint32_t val)
{
	uint32_t i = hash(k) & m->mask;

	for (;; i = (i + 1) & m->mask) {
		if (m->ents[i].val == UINT32_MAX) {
			if (m->count >= m->max)
				return false;
			m->ents[i].k = k;
			m->ents[i].val = val;
			m->count++;
			return true;
		}
		if (same(m->ents[i].k, k)) {
			m->ents[i].val = val;
			return true;
		}
	}
}

/* Empty slot i (in use), moving later entries of its cluster back. */
static void del_at(struct idmap *m, uint32_t i)
{
	uint32_t j;

	/* Backward-shift: move later entries of the cluster into the hole when
	 * their home slot is not between the hole and where they sit. */
	for (j = i;;) {
		uint32_t home;

		m->ents[i].val = UINT32_MAX;
		for (;;) {
			j = (j + 1) & m->mask;
			if (m->ents[j].val == UINT32_MAX) {
				m->count--;
				return;
			}
			home = hash(m->ents[j].k) & m->mask;
			/* stays if home lies cyclically in (i, j] */
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		m->ents[i] = m->ents[j];
		i = j;
	}
}

void idmap_del(struct idmap *m, struct idkey k)
{
	uint32_t i = hash(k) & m->mask;

	for (;; i = (i + 1) & m->mask) {
		if (m->ents[i].val == UINT32_MAX)
			return;
		if (same(m->ents[i].k, k)) {
			del_at(m, i);
			return;
		}
	}
}

int idmap_grow(struct idmap *m)
{
	struct idmap n;
	uint32_t i;

	if (idmap_init(&n, m->max * 2))
		return -ENOMEM;
	for (i = 0; i <= m->mask; i++)
		if (m->ents[i].val != UINT32_MAX)
			idmap_put(&n, m->ents[i].k, m->ents[i].val);
	free(m->ents);
	*m = n;
	return 0;
}

void idmap_keep_only(struct idmap *m, uint32_t keep)
{
	uint32_t i = 0;

	/* A deletion may move a later entry into slot i (or one from the
	 * start of the table, already seen, to the end): look at i again. */
	while (i <= m->mask)
		if (m->ents[i].val != UINT32_MAX && m->ents[i].val != keep)
			del_at(m, i);
		else
			i++;
}
