/* ring.c - see ring.h. */
#include "core/ring.h"

#include "core/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ring_init(struct ring *r, size_t capacity)
{
	size_t cap = 2;

	while (cap < capacity)
		cap <<= 1;
	memset(r, 0, sizeof(*r));
	r->slots = calloc(cap, sizeof(*r->slots));
	if (!r->slots)
		return -ENOMEM;
	r->mask = cap - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

void ring_destroy(struct ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

void ring_push_wait(struct ring *r, void *p)
{
	while (!ring_push(r, p))
		sleep_ms(1);
}
