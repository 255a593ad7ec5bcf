/* snapshot.c - see snapshot.h. */
#include "aggregate/snapshot.h"

#include <stdlib.h>

struct snapshot *snap_new(uint32_t nrules, uint32_t nwindows)
{
	struct snapshot *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->nrules = nrules;
	s->nwindows = nwindows;
	s->totals = calloc(nrules ? nrules : 1, sizeof(*s->totals));
	s->windows =
	    calloc((size_t)(nrules ? nrules : 1) * (nwindows ? nwindows : 1), sizeof(*s->windows));
	if (!s->totals || !s->windows) {
		free(s->totals);
		free(s->windows);
		free(s);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	return s;
}

void snap_release(struct snapshot *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	free(s->totals);
	free(s->windows);
	free(s->json);
	free(s->sources_json);
	free(s->rule_extra);
	free(s->rule_extra_off);
	free(s->rule_off);
	free(s);
}

void snap_store_init(struct snap_store *st)
{
	pthread_mutex_init(&st->mu, NULL);
	st->cur = NULL;
}

void snap_store_destroy(struct snap_store *st)
{
	snap_release(st->cur);
	st->cur = NULL;
	pthread_mutex_destroy(&st->mu);
}

void snap_store_publish(struct snap_store *st, struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&st->mu);
	old = st->cur;
	st->cur = s;
	pthread_mutex_unlock(&st->mu);
	snap_release(old);
}

struct snapshot *snap_store_acquire(struct snap_store *st)
{
	struct snapshot *s;

	pthread_mutex_lock(&st->mu);
	s = st->cur;
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&st->mu);
	return s;
}
