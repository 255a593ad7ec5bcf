/* tribuf.c - see tribuf.h. */
#include "core/tribuf.h"

#include <errno.h>
#include <stdlib.h>

int tribuf_init(struct tribuf *t, size_t size)
{
	t->back = 0;
	t->front = 1;
	atomic_init(&t->mid, 2u);
	for (int i = 0; i < 3; i++)
		t->slot[i] = NULL;
	for (int i = 0; i < 3; i++)
		if (!(t->slot[i] = calloc(1, size ? size : 1))) {
			tribuf_destroy(t);
			return -ENOMEM;
		}
	return 0;
}

void tribuf_destroy(struct tribuf *t)
{
	for (int i = 0; i < 3; i++) {
		free(t->slot[i]);
		t->slot[i] = NULL;
	}
}
