/* mailbox.c - see mailbox.h. */
#include "core/mailbox.h"

#include <errno.h>
#include <stdlib.h>

int mailbox_init(struct mailbox *m, size_t capacity, size_t size)
{
	size_t cap = 2;

	while (cap < capacity)
		cap <<= 1;
	atomic_init(&m->tail, 0);
	atomic_init(&m->head, 0);
	atomic_init(&m->dropped, 0);
	m->mask = cap - 1;
	m->size = size;
	m->slots = calloc(cap, size ? size : 1);
	return m->slots ? 0 : -ENOMEM;
}

void mailbox_destroy(struct mailbox *m)
{
	free(m->slots);
	m->slots = NULL;
}

void *mailbox_slot(struct mailbox *m)
{
	size_t t = atomic_load_explicit(&m->tail, memory_order_relaxed);

	if (t - atomic_load_explicit(&m->head, memory_order_acquire) > m->mask) {
		atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
		return NULL;
	}
	return m->slots + (t & m->mask) * m->size;
}

void mailbox_post(struct mailbox *m)
{
	size_t t = atomic_load_explicit(&m->tail, memory_order_relaxed);

	atomic_store_explicit(&m->tail, t + 1, memory_order_release);
}

const void *mailbox_peek(struct mailbox *m)
{
	size_t h = atomic_load_explicit(&m->head, memory_order_relaxed);

	if (h == atomic_load_explicit(&m->tail, memory_order_acquire))
		return NULL;
	return m->slots + (h & m->mask) * m->size;
}

void mailbox_done(struct mailbox *m)
{
	size_t h = atomic_load_explicit(&m->head, memory_order_relaxed);

	atomic_store_explicit(&m->head, h + 1, memory_order_release);
}
