/* observed.c - see observed.h. */
#include "aggregate/observed.h"

#include <string.h>

static void remove_at(struct observed *o, uint32_t i)
{
	memmove(&o->s[i], &o->s[i + 1], sizeof(o->s[0]) * (o->n - i - 1));
	o->n--;
}

/* Make span i one with the spans after it that it overlaps or touches. */
static void absorb(struct observed *o, uint32_t i)
{
	while (i + 1 < o->n && o->s[i + 1].from <= o->s[i].to + 1) {
		if (o->s[i + 1].to > o->s[i].to)
			o->s[i].to = o->s[i + 1].to;
		remove_at(o, i + 1);
	}
}

/* The set is full: merge the two neighbours with the smallest gap. */
static void merge_closest(struct observed *o)
{
	uint32_t best = 0;

	for (uint32_t i = 1; i + 1 < o->n; i++)
		if (o->s[i + 1].from - o->s[i].to < o->s[best + 1].from - o->s[best].to)
			best = i;
	o->s[best].to = o->s[best + 1].to;
	remove_at(o, best + 1);
}

void observed_add(struct observed *o, int64_t from, int64_t to)
{
	uint32_t i = 0;

	if (from > to)
		return;
	/* the first span that ends at or after from - 1 (it may touch) */
	while (i < o->n && o->s[i].to < from - 1)
		i++;
	if (i < o->n && o->s[i].from <= to + 1) {
		/* overlaps or touches span i: widen it, then swallow followers */
		if (from < o->s[i].from)
			o->s[i].from = from;
		if (to > o->s[i].to)
			o->s[i].to = to;
		absorb(o, i);
		return;
	}
	if (o->n == OBSERVED_MAX) {
		merge_closest(o);
		observed_add(o, from, to); /* one free place now: no deeper */
		return;
	}
	memmove(&o->s[i + 1], &o->s[i], sizeof(o->s[0]) * (o->n - i));
	o->s[i] = (struct observed_span){from, to};
	o->n++;
}

int64_t observed_in(const struct observed *o, int64_t from, int64_t to)
{
	int64_t sum = 0;

	for (uint32_t i = 0; i < o->n && from <= to; i++) {
		int64_t a = o->s[i].from > from ? o->s[i].from : from;
		int64_t b = o->s[i].to < to ? o->s[i].to : to;

		if (a <= b)
			sum += b - a + 1;
	}
	return sum;
}

void observed_forget(struct observed *o, int64_t before)
{
	while (o->n && o->s[0].to < before)
		remove_at(o, 0);
	if (o->n && o->s[0].from < before)
		o->s[0].from = before;
}
