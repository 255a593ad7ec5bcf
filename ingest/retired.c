/* retired.c - see retired.h. */
#include "ingest/retired.h"

#include <errno.h>
#include <stdlib.h>

#define NONE UINT32_MAX

int retired_init(struct retired *r, uint32_t max)
{
	uint32_t i;

	r->ents = calloc(max, sizeof(*r->ents));
	r->free = calloc(max, sizeof(*r->free));
	if (!r->ents || !r->free || idmap_init(&r->map, max)) {
		free(r->ents);
		free(r->free);
		r->ents = NULL;
		r->free = NULL;
		return -ENOMEM;
	}
	r->max = max;
	r->n = 0;
	r->oldest = r->newest = NONE;
	for (i = 0; i < max; i++)
		r->free[i] = max - 1 - i;
	r->nfree = max;
	return 0;
}

void retired_destroy(struct retired *r)
{
	if (r->ents)
		idmap_destroy(&r->map);
	free(r->ents);
	free(r->free);
	r->ents = NULL;
	r->free = NULL;
}

static void unlink_ent(struct retired *r, uint32_t i)
{
	struct retired_ent *e = &r->ents[i];

	if (e->prev != NONE)
		r->ents[e->prev].next = e->next;
	else
		r->oldest = e->next;
	if (e->next != NONE)
		r->ents[e->next].prev = e->prev;
	else
		r->newest = e->prev;
}

static void drop(struct retired *r, uint32_t i)
{
	unlink_ent(r, i);
	idmap_del(&r->map, r->ents[i].k);
	r->free[r->nfree++] = i;
	r->n--;
}

void retired_put(struct retired *r, const struct retired_ent *e)
{
	uint32_t i;

	if (!r->ents)
		return;
	i = idmap_get(&r->map, e->k);
	if (i != NONE)
		drop(r, i);
	else if (!r->nfree)
		drop(r, r->oldest);
	i = r->free[--r->nfree];
	r->ents[i] = *e;
	r->ents[i].prev = r->newest;
	r->ents[i].next = NONE;
	if (r->newest != NONE)
		r->ents[r->newest].next = i;
	else
		r->oldest = i;
	r->newest = i;
	idmap_put(&r->map, e->k, i);
	r->n++;
}

bool retired_take(struct retired *r, struct idkey k, struct retired_ent *out)
{
	uint32_t i;

	if (!r->ents || !r->n || (i = idmap_get(&r->map, k)) == NONE)
		return false;
	*out = r->ents[i];
	drop(r, i);
	return true;
}
